<?php
defined('MOODLE_INTERNAL') || die();

$string['modulename'] = 'Forum';
$string['pluginname'] = 'Forum';
