<?php
// What Moodle's lib/setup.php does for a CLI script, in miniature: the constants, $CFG's
// derived paths, the database ($DB), the site's settings from the config table into $CFG
// (Moodle: initialise_cfg()), and the CLI exception handler (lib/setuplib.php
// default_exception_handler(): the error's text between "!!!", its code, exit status 1).

define('MOODLE_INTERNAL', true);
if (!defined('CLI_SCRIPT')) {
    define('CLI_SCRIPT', false);
}

// lib/setuplib.php / lib/moodlelib.php constants.
define('MATURITY_ALPHA', 50);
define('MATURITY_BETA', 100);
define('MATURITY_RC', 150);
define('MATURITY_STABLE', 200);
define('ANY_VERSION', 'any');

$CFG->dirroot = dirname(__DIR__);
$CFG->libdir = $CFG->dirroot . '/lib';
$CFG->cachedir = $CFG->dataroot . '/cache';
$CFG->localcachedir = $CFG->dataroot . '/localcache';
$CFG->filepermissions = 0666;
$CFG->config_php_settings = (array) $CFG;

/** Moodle's base exception (lib/setuplib.php): an error code and a text. */
class moodle_exception extends Exception {
    public $errorcode;
    public $debuginfo;

    public function __construct($errorcode, $message = '', $debuginfo = null) {
        $this->errorcode = $errorcode;
        $this->debuginfo = $debuginfo;
        parent::__construct($message === '' ? $errorcode : $message);
    }
}

/** lib/upgradelib.php: a plugin's version on disk is lower than the installed one. */
class downgrade_exception extends moodle_exception {
    public function __construct($plugin, $oldversion, $newversion) {
        parent::__construct('cannotdowngrade',
            "Cannot downgrade $plugin from $oldversion to $newversion.");
    }
}

/** lib/upgradelib.php: a plugin whose version.php is not usable. */
class plugin_defective_exception extends moodle_exception {
    public function __construct($plugin, $details) {
        parent::__construct('detectedbrokenplugin', "Plugin \"$plugin\" is defective or outdated, can not continue, sorry.", $details);
    }
}

/** lib/upgradelib.php: a plugin's version.php names another component than its folder. */
class plugin_misplaced_exception extends moodle_exception {
    public function __construct($component, $expected, $current) {
        parent::__construct('detectedmisplacedplugin',
            "Plugin \"$component\" is installed in incorrect location \"$current\", expected location is \"$expected\"");
    }
}

/**
 * default_exception_handler() for CLI scripts (lib/setuplib.php, with core_renderer_cli's
 * fatal_error()): the message on standard output, then exit status 1. An install that threw
 * half-way leaves what it already wrote: Moodle wraps no plugin install in a transaction.
 */
set_exception_handler(function (Throwable $e) {
    $code = $e instanceof moodle_exception ? $e->errorcode : 'generalexceptionmessage';
    echo "Default exception handler: " . $e->getMessage() . "\n";
    echo "!!! " . $e->getMessage() . " !!!\n";
    echo "!! Error code: $code !!\n";
    if ($e instanceof moodle_exception && $e->debuginfo !== null) {
        echo "!! Debug info: {$e->debuginfo} !!\n";
    }
    exit(1);
});

require_once($CFG->libdir . '/dml.php');

global $DB;
$DB = new moodle_database_mini($CFG->dbname);

// initialise_cfg(): every core setting becomes a property of $CFG; config.php wins.
if ($DB->table_exists('config')) {
    foreach ($DB->get_records_menu('config', [], 'name', 'value') as $name => $value) {
        if (!array_key_exists($name, $CFG->config_php_settings)) {
            $CFG->$name = $value;
        }
    }
}

/** lib/moodlelib.php get_config(): one setting, false when absent; all of a component's. */
function get_config($plugin, $name = null) {
    global $DB, $CFG;
    if ($plugin === null || $plugin === 'core' || $plugin === 'moodle') {
        if ($name === null) {
            return (object) $DB->get_records_menu('config', [], 'name', 'value');
        }
        $value = $DB->get_field('config', 'value', ['name' => $name]);
        if ($value === false && isset($CFG->$name) && is_scalar($CFG->$name)) {
            return (string) $CFG->$name;
        }
        return $value;
    }
    if ($name === null) {
        return (object) $DB->get_records_menu('config_plugins', ['plugin' => $plugin], 'name', 'value');
    }
    return $DB->get_field('config_plugins', 'value', ['plugin' => $plugin, 'name' => $name]);
}

/** lib/moodlelib.php set_config(): null unsets. */
function set_config($name, $value, $plugin = null) {
    global $DB, $CFG;
    if ($value === null) {
        unset_config($name, $plugin);
        return true;
    }
    if ($plugin === null || $plugin === 'core' || $plugin === 'moodle') {
        $DB->upsert('config', ['name' => $name], ['value' => (string) $value]);
        $CFG->$name = (string) $value;
    } else {
        $DB->upsert('config_plugins', ['plugin' => $plugin, 'name' => $name], ['value' => (string) $value]);
    }
    return true;
}

/** lib/moodlelib.php unset_config(). */
function unset_config($name, $plugin = null) {
    global $DB, $CFG;
    if ($plugin === null || $plugin === 'core' || $plugin === 'moodle') {
        $DB->delete_records('config', ['name' => $name]);
        unset($CFG->$name);
    } else {
        $DB->delete_records('config_plugins', ['plugin' => $plugin, 'name' => $name]);
    }
    return true;
}

// There is no php closing tag in this file,
// it is intentional because it prevents trailing whitespace problems!
