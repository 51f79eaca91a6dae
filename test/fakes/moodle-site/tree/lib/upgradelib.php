<?php
// Installing, upgrading and uninstalling plugins, in miniature of Moodle's lib/upgradelib.php
// (upgrade_noncore(), upgrade_plugins()) and lib/adminlib.php (uninstall_plugin(),
// purge_all_caches() in lib/moodlelib.php).

defined('MOODLE_INTERNAL') || die();

require_once($CFG->libdir . '/pluginlib.php');

/**
 * purge_all_caches() (lib/moodlelib.php): empties $CFG->cachedir and $CFG->localcachedir.
 * The marker written afterwards stands for the caches Moodle rebuilds on its next request; it
 * changes on every purge, so a test can see that one happened.
 */
function purge_all_caches() {
    global $CFG;
    foreach ([$CFG->cachedir, $CFG->localcachedir] as $dir) {
        mini_remove_dir_contents($dir);
        if (!is_dir($dir)) {
            mkdir($dir, 02777, true);
        }
    }
    file_put_contents($CFG->cachedir . '/purged', uniqid('', true) . "\n");
}

function mini_remove_dir_contents($dir) {
    if (!is_dir($dir)) {
        return;
    }
    foreach (scandir($dir) as $entry) {
        if ($entry === '.' || $entry === '..') {
            continue;
        }
        $path = "$dir/$entry";
        if (is_dir($path) && !is_link($path)) {
            mini_remove_dir_contents($path);
            rmdir($path);
        } else {
            unlink($path);
        }
    }
}

/** upgrade_noncore(): every plugin type in components.json order, caches purged around it. */
function upgrade_noncore($verbose) {
    purge_all_caches();
    foreach (mini_plugin_types() as $type => $typedir) {
        upgrade_plugins($type, $typedir, $verbose);
    }
    // "Mark the site as upgraded": only once every plugin went through.
    set_config('allversionshash', mini_all_versions_hash());
    purge_all_caches();
}

/**
 * core_component::get_all_versions_hash(): the versions on disk of the core and of every
 * plugin. Moodle decides whether an upgrade is due by comparing it with the one stored at the
 * last upgrade (moodle_needs_upgrading()), not by reading config_plugins: a plugin folder
 * added or removed changes it, a database changed under the same code does not.
 */
function mini_all_versions_hash() {
    global $CFG;
    $version = null;
    include($CFG->dirroot . '/version.php');
    $versions = ['core' => $version];
    foreach (mini_plugin_types() as $type => $typedir) {
        foreach (mini_plugin_list($type, $typedir) as $name => $dir) {
            $versions["{$type}_{$name}"] = mini_load_version_php($dir)->version;
        }
    }
    return sha1(serialize($versions));
}

/** moodle_needs_upgrading() (lib/moodlelib.php). */
function moodle_needs_upgrading() {
    global $CFG;
    if (empty($CFG->version) || empty($CFG->allversionshash)) {
        return true;
    }
    return mini_all_versions_hash() !== $CFG->allversionshash;
}

/**
 * upgrade_plugins() for one type. As in Moodle: a version.php without version or component is
 * defective; one naming another component is misplaced; a version on disk below the recorded
 * one is refused (cannotdowngrade); a new plugin's version is recorded first
 * (upgrade_plugin_savepoint), then its db/install.php runs with `installrunning` set, so an
 * install that throws leaves the version recorded, `installrunning` set and whatever it wrote;
 * the next upgrade runs xmldb_<component>_install_recovery() when the plugin has one.
 */
function upgrade_plugins($type, $typedir, $verbose) {
    global $CFG, $DB;
    foreach (mini_plugin_list($type, $typedir) as $name => $fullplug) {
        $component = "{$type}_{$name}";
        $plugin = mini_load_version_php($fullplug);
        if (empty($plugin->version)) {
            throw new plugin_defective_exception($component, 'Missing version value in version.php');
        }
        if (empty($plugin->component)) {
            throw new plugin_defective_exception($component, 'Missing $plugin->component declaration in version.php.');
        }
        if ($plugin->component !== $component) {
            throw new plugin_misplaced_exception($plugin->component, null, $fullplug);
        }
        if (!empty($plugin->requires) && (float) $plugin->requires > (float) $CFG->version) {
            throw new moodle_exception('upgraderequires',
                "Plugin \"$component\" requires Moodle {$plugin->requires}, this site is {$CFG->version}.");
        }

        $installedversion = $DB->get_field('config_plugins', 'value', ['name' => 'version', 'plugin' => $component]);
        if (!empty($installedversion) && get_config($component, 'installrunning')) {
            require_once($fullplug . '/db/install.php');
            $recover = mini_xmldb_prefix($type, $name) . '_install_recovery';
            if (function_exists($recover)) {
                mini_part_start($component, $verbose);
                $recover();
                unset_config('installrunning', $component);
                mini_part_end($component, $verbose);
            }
        }

        if (!empty($installedversion) && (float) $installedversion > (float) $plugin->version) {
            throw new downgrade_exception($component, $installedversion, $plugin->version);
        }

        if (empty($installedversion)) {
            mini_part_start($component, $verbose);
            set_config('version', $plugin->version, $component);
            if (file_exists($fullplug . '/db/install.php')) {
                require_once($fullplug . '/db/install.php');
                set_config('installrunning', 1, $component);
                $install = mini_xmldb_prefix($type, $name) . '_install';
                $install();
                unset_config('installrunning', $component);
            }
            mini_part_end($component, $verbose);
        } else if ((float) $installedversion < (float) $plugin->version) {
            mini_part_start($component, $verbose);
            if (is_readable($fullplug . '/db/upgrade.php')) {
                require_once($fullplug . '/db/upgrade.php');
                $upgrade = mini_xmldb_prefix($type, $name) . '_upgrade';
                if (!$upgrade($installedversion)) {
                    throw new moodle_exception('upgradefailed', "Upgrade of $component failed.");
                }
            }
            set_config('version', $plugin->version, $component);
            mini_part_end($component, $verbose);
        }
    }
}

/**
 * The prefix of a plugin's db/ functions: activity modules use their bare name
 * (upgrade_plugins_modules(): xmldb_forum_install), every other type its component
 * (xmldb_block_html_install, xmldb_local_hello_install).
 */
function mini_xmldb_prefix($type, $name) {
    return 'xmldb_' . ($type === 'mod' ? $name : "{$type}_{$name}");
}

/** print_upgrade_part_start() / print_upgrade_part_end() as the CLI shows them. */
function mini_part_start($component, $verbose) {
    if ($verbose) {
        echo "-->$component\n";
    }
}

function mini_part_end($component, $verbose) {
    if ($verbose) {
        echo "++ Success ++\n";
    }
}

/**
 * uninstall_plugin() (lib/adminlib.php): the plugin's db/uninstall.php hook, its tables (here:
 * its rows in plugin_data), every config_plugins row of the component; caches purged. The
 * plugin's folder stays: core_plugin_manager::uninstall_plugin() removes data only (the web
 * UI removes the folder in a separate step, remove_plugin_folder()).
 */
function uninstall_plugin($info) {
    global $DB;
    $component = $info->component;
    if ($info->rootdir !== null && file_exists($info->rootdir . '/db/uninstall.php')) {
        require_once($info->rootdir . '/db/uninstall.php');
        $hook = mini_xmldb_prefix($info->type, $info->name) . '_uninstall';
        if (function_exists($hook)) {
            $hook();
        }
    }
    $DB->delete_records('plugin_data', ['component' => $component]);
    $DB->delete_records('config_plugins', ['plugin' => $component]);
    purge_all_caches();
    // "Invalidate the hash used for upgrade detections": a folder left behind is installed
    // again by the next upgrade.
    set_config('allversionshash', '');
    echo "++ Success ++\n";
}
