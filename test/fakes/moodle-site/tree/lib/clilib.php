<?php
// Moodle's lib/clilib.php, in miniature: cli_get_params() (--name=value, --flag, -h; the
// rest is "unrecognised"), cli_error() (the text on standard error, exit status 1 unless
// given), cli_problem(), cli_writeln(), cli_heading().

defined('MOODLE_INTERNAL') || die();

function cli_get_params(array $longoptions, array $shortmapping = null) {
    $shortmapping = (array) $shortmapping;
    global $argv;
    $options = $longoptions;
    $unrecognised = [];
    foreach (array_slice($argv, 1) as $arg) {
        if (substr($arg, 0, 2) === '--') {
            $parts = explode('=', substr($arg, 2), 2);
            $key = $parts[0];
            $value = count($parts) === 2 ? $parts[1] : true;
            if (array_key_exists($key, $longoptions)) {
                $options[$key] = $value;
            } else {
                $unrecognised[] = $arg;
            }
        } else if (substr($arg, 0, 1) === '-') {
            $key = substr($arg, 1);
            if (isset($shortmapping[$key])) {
                $options[$shortmapping[$key]] = true;
            } else {
                $unrecognised[] = $arg;
            }
        } else {
            $unrecognised[] = $arg;
        }
    }
    return [$options, $unrecognised];
}

function cli_write($text, $stream = STDOUT) {
    fwrite($stream, $text);
}

function cli_writeln($text, $stream = STDOUT) {
    cli_write($text . PHP_EOL, $stream);
}

function cli_heading($string) {
    echo "== $string ==\n";
}

function cli_problem($text) {
    cli_writeln($text, STDERR);
}

function cli_error($text, $errorcode = 1) {
    cli_writeln($text . PHP_EOL, STDERR);
    die($errorcode);
}

/** get_string('cliunknowoption', 'admin', …). */
function cli_unknown_options(array $unrecognised) {
    cli_error("Unrecognised options:\n  " . implode("\n  ", $unrecognised) . "\nPlease use --help option.");
}
