<?php
// tool_recyclebin's version.php as Moodle 4.5.0 ships it.

defined('MOODLE_INTERNAL') || die();

$plugin->version   = 2024100700; // The current plugin version (Date: YYYYMMDDXX).
$plugin->requires  = 2024100100; // Requires this Moodle version.
$plugin->component = 'tool_recyclebin'; // Full name of the plugin (used for diagnostics).
