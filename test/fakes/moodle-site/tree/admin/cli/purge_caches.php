<?php
// admin/cli/purge_caches.php: with no option, purge_all_caches() (every cache: here the
// contents of dataroot/cache and dataroot/localcache, then a new marker in dataroot/cache).

define('CLI_SCRIPT', true);

require(__DIR__ . '/../../config.php');
require_once($CFG->libdir . '/clilib.php');
require_once($CFG->libdir . '/upgradelib.php');

[$options, $unrecognized] = cli_get_params(['help' => false], ['h' => 'help']);
if ($unrecognized) {
    cli_unknown_options($unrecognized);
}
if ($options['help']) {
    echo "Invalidates Moodle internal caches\n\nOptions:\n-h, --help            Print out this help\n";
    exit(0);
}

purge_all_caches();
exit(0);
