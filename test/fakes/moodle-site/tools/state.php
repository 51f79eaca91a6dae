<?php
// The site's state for the tests, as JSON, read without Moodle's own code (so that a broken
// tree or a site in maintenance is still read): the plugin versions recorded in config_plugins,
// the folders in every plugin type's directory, whether climaintenance.html is in dataroot,
// the cache purge marker, and a digest of every row of every table of the database.
//
//   php state.php <code root> <dataroot> <database file>

[, $root, $dataroot, $dbfile] = $argv;

$pdo = new PDO('sqlite:' . $dbfile, null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 60]);

$versions = [];
foreach ($pdo->query("SELECT plugin, value FROM config_plugins WHERE name = 'version' ORDER BY plugin") as $row) {
    $versions[$row['plugin']] = $row['value'];
}

$settings = [];
foreach ($pdo->query('SELECT plugin, name, value FROM config_plugins ORDER BY plugin, name') as $row) {
    $settings[] = [$row['plugin'], $row['name'], $row['value']];
}

$rows = [];
foreach ($pdo->query('SELECT component, name, value FROM plugin_data ORDER BY id') as $row) {
    $rows[] = [$row['component'], $row['name'], $row['value']];
}

$dump = '';
$tables = $pdo->query("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")->fetchAll(PDO::FETCH_ASSOC);
foreach ($tables as $table) {
    $dump .= $table['sql'] . "\n";
    foreach ($pdo->query('SELECT * FROM "' . str_replace('"', '""', $table['name']) . '" ORDER BY 1') as $row) {
        $dump .= json_encode(array_values($row)) . "\n";
    }
}

$folders = [];
$types = json_decode(file_get_contents("$root/lib/components.json"), true)['plugintypes'];
foreach ($types as $type => $dir) {
    $full = "$root/$dir";
    if (!is_dir($full)) {
        continue;
    }
    foreach (scandir($full) as $name) {
        if ($name === '.' || $name === '..' || !is_dir("$full/$name")) {
            continue;
        }
        // A directory of one type holding another type's directory (admin/tool/log/store).
        if (in_array("$dir/$name", $types, true)) {
            continue;
        }
        $folders[] = "{$type}_{$name}";
    }
}
sort($folders);

$marker = @file_get_contents("$dataroot/cache/purged");

// Files the web server's user (uid 33) does not own: what a copy or a CLI run as root leaves.
$foreign = [];
foreach ([$root, $dataroot, dirname($dbfile)] as $top) {
    $walk = new RecursiveIteratorIterator(
        new RecursiveDirectoryIterator($top, FilesystemIterator::SKIP_DOTS),
        RecursiveIteratorIterator::SELF_FIRST
    );
    foreach ($walk as $path => $file) {
        if (count($foreign) < 50 && lstat($path)['uid'] !== 33) {
            $foreign[] = $path;
        }
    }
}

echo json_encode([
    'versions' => (object) $versions,
    'settings' => $settings,
    'rows' => $rows,
    'folders' => $folders,
    'maintenance' => file_exists("$dataroot/climaintenance.html"),
    'cachePurgeMarker' => $marker === false ? null : trim($marker),
    'databaseDigest' => hash('sha256', $dump),
    'notOwnedByWebUser' => $foreign,
]), "\n";
