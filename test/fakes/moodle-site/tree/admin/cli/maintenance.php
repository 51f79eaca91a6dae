<?php
// admin/cli/maintenance.php: --enable writes climaintenance.html into dataroot (lib/adminlib.php
// enable_cli_maintenance_mode()), which every web server sharing that dataroot obeys; --disable
// removes it (and sets maintenance_enabled to 0 when it is not); no option prints the status.
// An --enable while the file is there is a no-op with exit 0. (Moodle's --enable also records
// maintenance_enabled in config, with a value that changed between releases: left out here.)

define('CLI_SCRIPT', true);

require(__DIR__ . '/../../config.php');
require_once($CFG->libdir . '/clilib.php');

[$options, $unrecognized] = cli_get_params(
    ['enable' => false, 'enablelater' => 0, 'enableold' => false, 'disable' => false, 'help' => false],
    ['h' => 'help']
);
if ($unrecognized) {
    cli_unknown_options($unrecognized);
}
if ($options['help']) {
    echo "Maintenance mode settings.\nCurrent status displayed if not option specified.\n\n"
        . "Options:\n--enable              Enable CLI maintenance mode\n"
        . "--disable             Disable maintenance mode\n-h, --help            Print out this help\n";
    die;
}

$file = "$CFG->dataroot/climaintenance.html";
cli_heading("Maintenance mode ($CFG->wwwroot)");

if ($options['enable']) {
    if (file_exists($file)) {
        exit(0);
    }
    $html = '<!DOCTYPE html><html><head><title>Maintenance</title></head><body>'
        . '<p>This site is undergoing maintenance and is currently unavailable</p></body></html>';
    file_put_contents($file, $html);
    chmod($file, $CFG->filepermissions);
    echo "Your site has been switched into CLI maintenance mode, no web access allowed.\n";
    exit(0);
} else if ($options['disable']) {
    if (get_config('core', 'maintenance_enabled') !== '0') {
        set_config('maintenance_enabled', 0);
    }
    if (file_exists($file)) {
        unlink($file);
    }
    echo "Maintenance mode has been disabled and the site is running normally again\n";
    exit(0);
}

if (!empty($CFG->maintenance_enabled) || file_exists($file)) {
    echo "Status: enabled\n";
} else {
    echo "Status: disabled\n";
}
