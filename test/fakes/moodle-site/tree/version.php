<?php
// MOODLE VERSION INFORMATION, as in Moodle 4.5.0's version.php (MOODLE_405_STABLE).

defined('MOODLE_INTERNAL') || die();

$version  = 2024100700.00;              // 20241007      = branching date YYYYMMDD - do not modify!
                                        //         RR    = release increments - 00 in DEV branches.
                                        //           .XX = incremental changes.
$release  = '4.5 (Build: 20241007)';    // Human-friendly version name
$branch   = '405';                      // This version's branch.
$maturity = MATURITY_STABLE;            // This version's maturity level.
