<?php
// admin/cli/cfg.php: --name (and --component, default core) prints one setting followed by a
// new line and exits 0; a setting that is not there: "No such configuration variable found."
// on standard error, exit status 3. Without --name: every setting of the component, one
// "name<TAB>value" a line (or --json). --set / --unset change it (exit 0).

define('CLI_SCRIPT', true);

require(__DIR__ . '/../../config.php');
require_once($CFG->libdir . '/clilib.php');

[$options, $unrecognised] = cli_get_params([
    'help' => false,
    'component' => null,
    'name' => null,
    'set' => null,
    'unset' => false,
    'shell-arg' => false,
    'json' => false,
    'no-eol' => false,
], ['h' => 'help']);

if ($unrecognised) {
    cli_unknown_options($unrecognised);
}
if ($options['help']) {
    cli_writeln('Displays the current value of the given site setting. Allows to set it to the given value, too.');
    exit(2);
}

if ($options['unset'] || $options['set'] !== null) {
    if (empty($options['name'])) {
        cli_error('Missing configuration variable name', 2);
    }
    if (array_key_exists($options['name'], $CFG->config_php_settings)) {
        cli_error('The configuration variable is hard-set in the config.php, unable to change.', 4);
    }
    set_config($options['name'], $options['unset'] ? null : $options['set'], $options['component']);
    exit(0);
}

if ($options['name'] === null) {
    $got = (array) get_config($options['component']);
    if ($options['json']) {
        cli_writeln(json_encode($got));
    } else {
        foreach ($got as $name => $value) {
            if ($options['shell-arg']) {
                $value = escapeshellarg($value);
            }
            cli_writeln($name . "\t" . $value);
        }
    }
    exit(0);
}

$got = get_config($options['component'], $options['name']);
if ($got === false) {
    cli_error('No such configuration variable found.', 3);
}
if ($options['shell-arg']) {
    $got = escapeshellarg($got);
}
if ($options['json']) {
    $got = json_encode($got);
}
if ($options['no-eol']) {
    cli_write($got);
} else {
    cli_writeln($got);
}
exit(0);
