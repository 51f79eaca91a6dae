<?php
// The site's config.php, in the shape of Moodle's config-dist.php: $CFG with the database,
// wwwroot and dataroot, then lib/setup.php. Moodle has no SQLite driver; this miniature keeps
// its database in one SQLite file (PDO) in a directory of its own, so that a volume backup of
// that directory is a backup of the database.

unset($CFG);
global $CFG;
$CFG = new stdClass();

$CFG->dbtype    = 'sqlite';
$CFG->dbname    = '/var/www/moodledb/moodle.sqlite';
$CFG->prefix    = 'mdl_';
$CFG->wwwroot   = 'http://moodle.invalid';
$CFG->dataroot  = '/var/www/moodledata';
$CFG->admin     = 'admin';
$CFG->directorypermissions = 02777;

require_once(__DIR__ . '/lib/setup.php');

// There is no php closing tag in this file,
// it is intentional because it prevents trailing whitespace problems!
