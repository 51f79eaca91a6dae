<?php
// mod_forum's version.php as Moodle 4.5.0 ships it (values of MOODLE_405_STABLE).

defined('MOODLE_INTERNAL') || die();

$plugin->version   = 2024100700;       // The current module version (Date: YYYYMMDDXX).
$plugin->requires  = 2024100100;       // Requires this Moodle version.
$plugin->component = 'mod_forum';      // Full name of the plugin (used for diagnostics)
