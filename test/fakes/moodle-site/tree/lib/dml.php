<?php
// A few calls of Moodle's data manipulation API (lib/dml/moodle_database.php: insert_record,
// get_field, get_records_menu, record_exists, delete_records, count_records) over PDO SQLite.
// Each statement commits by itself, as Moodle's upgrade runs plugin installs outside any
// transaction: an install that fails half-way leaves its first writes in the database.

defined('MOODLE_INTERNAL') || die();

class moodle_database_mini {
    /** @var PDO */
    private $pdo;

    public function __construct($path) {
        $this->pdo = new PDO('sqlite:' . $path, null, null, [
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_TIMEOUT => 60,
        ]);
    }

    /** The schema of a fresh site (Moodle: lib/db/install.xml, here only what is used). */
    public function install_schema() {
        $this->pdo->exec('CREATE TABLE config (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, value TEXT NOT NULL)');
        $this->pdo->exec('CREATE TABLE config_plugins (id INTEGER PRIMARY KEY, plugin TEXT NOT NULL, '
            . 'name TEXT NOT NULL, value TEXT NOT NULL, UNIQUE (plugin, name))');
        // Rows a plugin writes in its db/install.php (a real plugin has tables of its own from
        // db/install.xml; uninstalling drops them, here it deletes the component's rows).
        $this->pdo->exec('CREATE TABLE plugin_data (id INTEGER PRIMARY KEY, component TEXT NOT NULL, '
            . 'name TEXT NOT NULL, value TEXT)');
    }

    public function table_exists($table) {
        $st = $this->pdo->prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
        $st->execute([$table]);
        return $st->fetchColumn() !== false;
    }

    private static function where(array $conditions) {
        if (!$conditions) {
            return ['1 = 1', []];
        }
        $parts = [];
        foreach (array_keys($conditions) as $column) {
            $parts[] = self::ident($column) . ' = ?';
        }
        return [implode(' AND ', $parts), array_values($conditions)];
    }

    private static function ident($name) {
        if (!preg_match('/^[a-z_][a-z0-9_]*$/', $name)) {
            throw new moodle_exception('invalidname', "Invalid name $name");
        }
        return $name;
    }

    public function insert_record($table, $record) {
        $record = (array) $record;
        unset($record['id']);
        $columns = array_map([self::class, 'ident'], array_keys($record));
        $sql = 'INSERT INTO ' . self::ident($table) . ' (' . implode(', ', $columns) . ') VALUES ('
            . implode(', ', array_fill(0, count($columns), '?')) . ')';
        $this->pdo->prepare($sql)->execute(array_values($record));
        return (int) $this->pdo->lastInsertId();
    }

    public function get_field($table, $field, array $conditions) {
        [$where, $params] = self::where($conditions);
        $st = $this->pdo->prepare('SELECT ' . self::ident($field) . ' FROM ' . self::ident($table) . " WHERE $where");
        $st->execute($params);
        $value = $st->fetchColumn();
        return $value === false ? false : (string) $value;
    }

    public function get_records_menu($table, array $conditions, $key, $value) {
        [$where, $params] = self::where($conditions);
        $st = $this->pdo->prepare('SELECT ' . self::ident($key) . ', ' . self::ident($value) . ' FROM '
            . self::ident($table) . " WHERE $where ORDER BY " . self::ident($key));
        $st->execute($params);
        $menu = [];
        foreach ($st->fetchAll(PDO::FETCH_NUM) as $row) {
            $menu[$row[0]] = (string) $row[1];
        }
        return $menu;
    }

    public function get_records($table, array $conditions = []) {
        [$where, $params] = self::where($conditions);
        $st = $this->pdo->prepare('SELECT * FROM ' . self::ident($table) . " WHERE $where ORDER BY id");
        $st->execute($params);
        return array_map(function ($row) {
            return (object) $row;
        }, $st->fetchAll(PDO::FETCH_ASSOC));
    }

    public function record_exists($table, array $conditions) {
        return $this->count_records($table, $conditions) > 0;
    }

    public function count_records($table, array $conditions = []) {
        [$where, $params] = self::where($conditions);
        $st = $this->pdo->prepare('SELECT COUNT(*) FROM ' . self::ident($table) . " WHERE $where");
        $st->execute($params);
        return (int) $st->fetchColumn();
    }

    public function delete_records($table, array $conditions = []) {
        [$where, $params] = self::where($conditions);
        $this->pdo->prepare('DELETE FROM ' . self::ident($table) . " WHERE $where")->execute($params);
        return true;
    }

    /** Updates the row `$key` names, or inserts it. */
    public function upsert($table, array $key, array $values) {
        [$where, $params] = self::where($key);
        $sets = [];
        foreach (array_keys($values) as $column) {
            $sets[] = self::ident($column) . ' = ?';
        }
        $st = $this->pdo->prepare('UPDATE ' . self::ident($table) . ' SET ' . implode(', ', $sets) . " WHERE $where");
        $st->execute(array_merge(array_values($values), $params));
        if ($st->rowCount() === 0) {
            $this->insert_record($table, $key + $values);
        }
    }
}
