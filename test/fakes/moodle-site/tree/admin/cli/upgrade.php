<?php
// admin/cli/upgrade.php, in the order Moodle runs it: core version.php below the database's
// version → "downgradedcore" (exit 1); the code's versions hashed as at the last upgrade
// (moodle_needs_upgrading()) → "No upgrade needed…" (exit 0);
// --is-pending → "An upgrade is pending" (exit 2); all_plugins_ok() failing → "Dependencies
// check failed for …" and "You must solve all the plugin requirements…" (exit 1); without
// --non-interactive a yes/no question; then upgrade_noncore(), whose exceptions (a plugin
// downgrade: cannotdowngrade; an install.php that throws) end the script with exit 1.

define('CLI_SCRIPT', true);

require(__DIR__ . '/../../config.php');
require_once($CFG->libdir . '/clilib.php');
require_once($CFG->libdir . '/upgradelib.php');

[$options, $unrecognized] = cli_get_params(
    [
        'non-interactive' => false,
        'allow-unstable' => false,
        'help' => false,
        'lang' => 'en',
        'verbose-settings' => false,
        'is-pending' => false,
    ],
    ['h' => 'help']
);
$interactive = empty($options['non-interactive']);

if ($unrecognized) {
    cli_unknown_options($unrecognized);
}
if ($options['help']) {
    echo "Command line Moodle upgrade.\nPlease note you must execute this script with the same uid as apache!\n\n"
        . "Options:\n--non-interactive     No interactive questions or confirmations\n"
        . "--is-pending          If an upgrade is needed it exits with an error code of\n"
        . "                      2 so it distinct from other types of errors.\n"
        . "-h, --help            Print out this help\n";
    die;
}

if (empty($CFG->version)) {
    cli_error('Config table does not contain version, can not continue, sorry.');
}

require("$CFG->dirroot/version.php");       // Defines $version, $release, $branch and $maturity.

if ($version < $CFG->version) {
    cli_error('Cannot downgrade Moodle: the code is older than the database. Please restore the newer code.');
}

$oldversion = "$CFG->release ($CFG->version)";
$newversion = "$release ($version)";

if (!moodle_needs_upgrading()) {
    cli_error("No upgrade needed for the installed version $newversion. Thanks for coming anyway!", 0);
}

if ($options['is-pending']) {
    cli_error('An upgrade is pending', 2);
}

$failed = [];
if (!mini_all_plugins_ok($version, $failed, $branch)) {
    cli_problem('Dependencies check failed for ' . implode(', ', array_unique($failed)));
    cli_error('You must solve all the plugin requirements before proceeding to install this Moodle version!');
}

if ($interactive) {
    echo "You are going to upgrade to version $newversion. Continue?\n";
    echo 'type y (means yes) or n (means no)' . "\n";
    $input = trim((string) fgets(STDIN));
    if ($input !== 'y') {
        exit(1);
    }
}

if ((float) $version > (float) $CFG->version) {
    set_config('version', $version);
}
set_config('release', $release);
set_config('branch', $branch);

upgrade_noncore(true);

echo "Command line upgrade from $oldversion to $newversion completed successfully.\n";
exit(0);
