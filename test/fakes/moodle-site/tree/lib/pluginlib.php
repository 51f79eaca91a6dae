<?php
// Where plugins are and what state they are in, in miniature of Moodle's core_component
// (lib/classes/component.php: plugin types from lib/components.json, a plugin is a folder
// with a version.php) and core_plugin_manager (lib/classes/plugin_manager.php: the status of
// each plugin from its version on disk and the one recorded in config_plugins;
// all_plugins_ok(): `requires`, `supported`/`incompatible` and `dependencies` of every plugin;
// can_uninstall_plugin()).

defined('MOODLE_INTERNAL') || die();

define('PLUGIN_STATUS_UPTODATE', 'uptodate');
define('PLUGIN_STATUS_NEW', 'new');
define('PLUGIN_STATUS_UPGRADE', 'upgrade');
define('PLUGIN_STATUS_DOWNGRADE', 'downgrade');
define('PLUGIN_STATUS_MISSING', 'missing');

/** Plugin type => its absolute directory (core_component::get_plugin_types()). */
function mini_plugin_types() {
    global $CFG;
    $json = json_decode(file_get_contents($CFG->libdir . '/components.json'), true);
    $types = [];
    foreach ($json['plugintypes'] as $type => $dir) {
        $types[$type] = $CFG->dirroot . '/' . $dir;
    }
    return $types;
}

/** Plugin name => folder, for one type (core_component::get_plugin_list(); sorted by name). */
function mini_plugin_list($type, $typedir) {
    $plugins = [];
    if (!is_dir($typedir)) {
        return $plugins;
    }
    foreach (scandir($typedir) as $name) {
        // core_component::is_valid_plugin_name().
        if (!preg_match('/^[a-z](?:[a-z0-9_](?!__))*[a-z0-9]+$/', $name)) {
            continue;
        }
        if ($type === 'mod' && strpos($name, '_') !== false) {
            continue;
        }
        if (is_dir("$typedir/$name") && file_exists("$typedir/$name/version.php")) {
            $plugins[$name] = "$typedir/$name";
        }
    }
    return $plugins;
}

/**
 * A plugin's version.php, included as Moodle includes it (core\plugininfo\base::
 * load_disk_version(): `$plugin = new stdClass(); $plugin->version = null; $module = $plugin;`).
 */
function mini_load_version_php($dir) {
    $plugin = new stdClass();
    $plugin->version = null;
    $module = $plugin;
    include($dir . '/version.php');
    return $plugin;
}

/** get_string('pluginname', $component) from the plugin's English language file. */
function mini_plugin_displayname($type, $name, $dir) {
    $component = "{$type}_{$name}";
    $file = $type === 'mod' ? "$dir/lang/en/$name.php" : "$dir/lang/en/$component.php";
    if ($dir !== null && file_exists($file)) {
        $string = [];
        include($file);
        if (isset($string['pluginname'])) {
            return $string['pluginname'];
        }
    }
    return $component;
}

/** Every plugin on disk or recorded as installed: component => info (get_plugins()). */
function mini_plugins() {
    global $DB;
    $installed = $DB->get_records_menu('config_plugins', ['name' => 'version'], 'plugin', 'value');
    $plugins = [];
    $types = mini_plugin_types();
    foreach ($types as $type => $typedir) {
        foreach (mini_plugin_list($type, $typedir) as $name => $dir) {
            $component = "{$type}_{$name}";
            $disk = mini_load_version_php($dir);
            $info = new stdClass();
            $info->type = $type;
            $info->name = $name;
            $info->component = $component;
            $info->rootdir = $dir;
            $info->versiondisk = $disk->version;
            $info->versionrequires = isset($disk->requires) ? $disk->requires : null;
            $info->supported = isset($disk->supported) ? $disk->supported : null;
            $info->incompatible = isset($disk->incompatible) ? $disk->incompatible : null;
            $info->dependencies = isset($disk->dependencies) ? (array) $disk->dependencies : [];
            $info->disk = $disk;
            $info->versiondb = isset($installed[$component]) ? $installed[$component] : null;
            $info->displayname = mini_plugin_displayname($type, $name, $dir);
            $plugins[$component] = $info;
        }
    }
    foreach ($installed as $component => $version) {
        if (isset($plugins[$component])) {
            continue;
        }
        [$type, $name] = explode('_', $component, 2);
        $info = new stdClass();
        $info->type = $type;
        $info->name = $name;
        $info->component = $component;
        $info->rootdir = null;
        $info->versiondisk = null;
        $info->versionrequires = null;
        $info->supported = null;
        $info->incompatible = null;
        $info->dependencies = [];
        $info->disk = null;
        $info->versiondb = $version;
        $info->displayname = $component;
        $plugins[$component] = $info;
    }
    return $plugins;
}

/** core\plugininfo\base::get_status(). */
function mini_plugin_status($info) {
    if ($info->versiondisk === null) {
        return PLUGIN_STATUS_MISSING;
    }
    if ($info->versiondb === null) {
        return PLUGIN_STATUS_NEW;
    }
    if ((float) $info->versiondisk > (float) $info->versiondb) {
        return PLUGIN_STATUS_UPGRADE;
    }
    if ((float) $info->versiondisk < (float) $info->versiondb) {
        return PLUGIN_STATUS_DOWNGRADE;
    }
    return PLUGIN_STATUS_UPTODATE;
}

/**
 * core_plugin_manager::all_plugins_ok(): every plugin on disk must accept the core version
 * (`requires`), the branch (`supported` range, `incompatible`) and find the plugins it depends
 * on (`dependencies`: component => version or ANY_VERSION) on disk, new enough.
 */
function mini_all_plugins_ok($moodleversion, &$failed, $branch) {
    $plugins = mini_plugins();
    $ok = true;
    foreach ($plugins as $info) {
        if ($info->versiondisk === null) {
            continue;
        }
        if ($info->versionrequires !== null && (float) $info->versionrequires > (float) $moodleversion) {
            $ok = false;
            $failed[] = $info->component;
        }
        if (is_array($info->supported) && count($info->supported) === 2
                && ((int) $branch < (int) $info->supported[0] || (int) $branch > (int) $info->supported[1])) {
            $ok = false;
            $failed[] = $info->component;
        }
        if ($info->incompatible !== null && (int) $branch >= (int) $info->incompatible) {
            $ok = false;
            $failed[] = $info->component;
        }
        foreach ($info->dependencies as $component => $required) {
            $other = isset($plugins[$component]) ? $plugins[$component] : null;
            if ($other === null || $other->versiondisk === null
                    || ($required !== ANY_VERSION && (float) $other->versiondisk < (float) $required)) {
                $ok = false;
                $failed[] = $info->component;
            }
        }
    }
    return $ok;
}

/**
 * core_plugin_manager::can_uninstall_plugin(): not a plugin about to be installed, not one
 * whose plugininfo forbids it (core\plugininfo\mod::is_uninstall_allowed(): not the forum),
 * not one another plugin depends on.
 */
function mini_can_uninstall($info, array $plugins) {
    if (mini_plugin_status($info) === PLUGIN_STATUS_NEW) {
        return false;
    }
    if ($info->component === 'mod_forum') {
        return false;
    }
    foreach ($plugins as $other) {
        if (isset($other->dependencies[$info->component])) {
            return false;
        }
    }
    return true;
}
