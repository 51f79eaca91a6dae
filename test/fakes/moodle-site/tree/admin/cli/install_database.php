<?php
// admin/cli/install_database.php: with config.php in place, creates the database of a new
// site (refused when its tables are there), records the core version, release and branch,
// installs every plugin of the code tree, and leaves the site out of maintenance.

define('CLI_SCRIPT', true);

require(__DIR__ . '/../../config.php');
require_once($CFG->libdir . '/clilib.php');

[$options, $unrecognized] = cli_get_params(['agree-license' => false, 'help' => false], ['h' => 'help']);
if ($unrecognized) {
    cli_unknown_options($unrecognized);
}
if (!$options['agree-license']) {
    cli_error('You have to agree to the license. --help prints out the help');
}
if ($DB->table_exists('config')) {
    cli_error('Database tables already present; CLI installation cannot continue.');
}

require("$CFG->dirroot/version.php");
$DB->install_schema();
set_config('version', $version);
set_config('release', $release);
set_config('branch', $branch);
set_config('maintenance_enabled', 0);

require_once($CFG->libdir . '/upgradelib.php');
upgrade_noncore(true);

echo "Installation completed successfully.\n";
exit(0);
