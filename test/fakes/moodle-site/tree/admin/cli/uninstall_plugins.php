<?php
// admin/cli/uninstall_plugins.php: --plugins=a,b without --run only says "Will be
// uninstalled: <component>\t<name>" (a dry run); with --run "Uninstalling: …" and the plugin's
// data goes (uninstall_plugin()); its folder stays (see lib/upgradelib.php). An unknown
// component is "Unknown plugin: …", one that cannot go "Can not be uninstalled: …"; the exit
// status is 0 in every one of these cases. --show-all / --show-contrib / --show-missing list.

define('CLI_SCRIPT', true);
define('IGNORE_COMPONENT_CACHE', true);

require(__DIR__ . '/../../config.php');
require_once($CFG->libdir . '/clilib.php');
require_once($CFG->libdir . '/upgradelib.php');

$help = "Command line tool to uninstall plugins.

Options:
    -h --help                   Print this help.
    --show-all                  Displays a list of all installed plugins.
    --show-missing              Displays a list of plugins missing from disk.
    --plugins=<plugin name>     A comma separated list of plugins to be uninstalled. E.g. mod_assign,mod_forum
    --run                       Execute uninstall. If this option is not set, then the script will be run in a dry mode.
";

[$options, $unrecognised] = cli_get_params([
    'help' => false,
    'show-all' => false,
    'show-contrib' => false,
    'show-missing' => false,
    'purge-missing' => false,
    'plugins' => false,
    'run' => false,
    'showsql' => false,
    'showdebugging' => false,
], ['h' => 'help']);

if ($unrecognised) {
    cli_unknown_options($unrecognised);
}
if ($options['help']) {
    cli_writeln($help);
    exit(0);
}

$plugins = mini_plugins();

if ($options['show-all'] || $options['show-missing'] || $options['show-contrib']) {
    foreach ($plugins as $info) {
        if ($options['show-missing'] && mini_plugin_status($info) !== PLUGIN_STATUS_MISSING) {
            continue;
        }
        cli_writeln($info->component . "\t" . $info->displayname);
    }
    exit(0);
}

if ($options['plugins']) {
    foreach (explode(',', $options['plugins']) as $component) {
        $info = isset($plugins[$component]) ? $plugins[$component] : null;
        if ($info === null) {
            cli_writeln('Unknown plugin: ' . $component);
            continue;
        }
        $pluginstring = $component . "\t" . $info->displayname;
        if (!mini_can_uninstall($info, $plugins)) {
            cli_writeln('Can not be uninstalled: ' . $pluginstring);
        } else if ($options['run']) {
            cli_writeln('Uninstalling: ' . $pluginstring);
            uninstall_plugin($info);
        } else {
            cli_writeln('Will be uninstalled: ' . $pluginstring);
        }
    }
    exit(0);
}

cli_writeln($help);
exit(0);
