//! The file layout: the original's four tables (unchanged, so a file moves both ways), this
//! backend's own tables and triggers, recognising what a file holds, creating and
//! back-filling, and keeping the listing tables in step with rows other programs wrote.
//!
//! INVARIANT (index in step): every `decisions` row has one `attest_decision_order` row,
//! and every `templates` row one `attest_template_order` row. A row whose `dirty` flag is
//! clear has the `order_key` of its `created_at` and its labels in the label table. The
//! triggers below hold the first half and set `dirty` on any write this backend did not make
//! itself (the original Python implementation writing the same file); [`reconcile`]
//! recomputes dirty rows before a listing reads them.

use attest_store::{decision_labels, order_key, StoreError};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::codec::{parse_json, parse_string_list};
use crate::error::{corrupt, Fail};

/// The schema version this build writes and reads. Version history: 1, the first.
pub const SCHEMA_VERSION: i64 = 1;

/// The original's decision tables, column for column (nexus-attest 1.0.1 `DecisionStore`).
const ORIGINAL_DECISIONS: &str = "
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decision_events (
    decision_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    ts TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (decision_id, seq),
    FOREIGN KEY (decision_id) REFERENCES decisions(decision_id)
);
CREATE INDEX IF NOT EXISTS idx_events_decision ON decision_events(decision_id);
CREATE INDEX IF NOT EXISTS idx_events_type ON decision_events(event_type);
";

/// The original's template tables (nexus-attest 1.0.1 `TemplateStore`); the original
/// creates them only once a template store is used, so a file may lack them.
const ORIGINAL_TEMPLATES: &str = "
CREATE TABLE IF NOT EXISTS templates (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    min_approvals INTEGER NOT NULL,
    allowed_modes TEXT NOT NULL,
    require_adapter_capabilities TEXT NOT NULL,
    max_steps INTEGER,
    labels TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by_type TEXT NOT NULL,
    created_by_id TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS template_events (
    template_name TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    ts TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (template_name, seq)
);
CREATE INDEX IF NOT EXISTS idx_template_events_name ON template_events(template_name);
";

/// This backend's own tables. `order_key` is [`order_key`] of `created_at` (microseconds
/// since the epoch of the parsed instant); `ins` (the rowid) is the insertion counter, so
/// ties on `order_key` list oldest first. Listings walk `(order_key DESC, ins ASC)`
/// indexes, which also cover the id, so a page costs `offset + limit` index steps whatever
/// the number of rows. Label rows repeat their decision's (or template's) `order_key` and
/// `ins`, so a label filter is one walk of `(label, order_key DESC, ins ASC)`. The
/// triggers use only plain SQL, so they also run when the original implementation writes
/// the file.
const OWN: &str = "
CREATE TABLE IF NOT EXISTS attest_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value NOT NULL
);
CREATE TABLE IF NOT EXISTS attest_decision_order (
    ins INTEGER PRIMARY KEY,
    decision_id TEXT NOT NULL UNIQUE,
    order_key INTEGER,
    dirty INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS attest_decision_order_list ON attest_decision_order(order_key DESC, ins ASC, decision_id);
CREATE INDEX IF NOT EXISTS attest_decision_order_dirty ON attest_decision_order(ins) WHERE dirty <> 0;
CREATE TABLE IF NOT EXISTS attest_decision_labels (
    decision_id TEXT NOT NULL,
    label TEXT NOT NULL,
    order_key INTEGER,
    ins INTEGER NOT NULL,
    PRIMARY KEY (decision_id, label)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attest_decision_labels_list ON attest_decision_labels(label, order_key DESC, ins ASC);
CREATE TABLE IF NOT EXISTS attest_template_order (
    ins INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    order_key INTEGER,
    dirty INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS attest_template_order_list ON attest_template_order(order_key DESC, ins ASC, name);
CREATE INDEX IF NOT EXISTS attest_template_order_dirty ON attest_template_order(ins) WHERE dirty <> 0;
CREATE TABLE IF NOT EXISTS attest_template_labels (
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    order_key INTEGER,
    ins INTEGER NOT NULL,
    PRIMARY KEY (name, label)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attest_template_labels_list ON attest_template_labels(label, order_key DESC, ins ASC);

CREATE TRIGGER IF NOT EXISTS attest_decisions_insert AFTER INSERT ON decisions BEGIN
    INSERT OR IGNORE INTO attest_decision_order (decision_id, order_key, dirty) VALUES (NEW.decision_id, NULL, 1);
    UPDATE attest_decision_order SET dirty = 1 WHERE decision_id = NEW.decision_id;
END;
CREATE TRIGGER IF NOT EXISTS attest_decisions_update AFTER UPDATE ON decisions BEGIN
    DELETE FROM attest_decision_labels WHERE decision_id = OLD.decision_id;
    UPDATE attest_decision_order SET decision_id = NEW.decision_id, dirty = 1 WHERE decision_id = OLD.decision_id;
END;
CREATE TRIGGER IF NOT EXISTS attest_decisions_delete AFTER DELETE ON decisions BEGIN
    DELETE FROM attest_decision_labels WHERE decision_id = OLD.decision_id;
    DELETE FROM attest_decision_order WHERE decision_id = OLD.decision_id;
END;
CREATE TRIGGER IF NOT EXISTS attest_decision_events_insert AFTER INSERT ON decision_events
WHEN NEW.event_type = 'DECISION_CREATED' BEGIN
    UPDATE attest_decision_order SET dirty = 1 WHERE decision_id = NEW.decision_id;
END;
CREATE TRIGGER IF NOT EXISTS attest_decision_events_update AFTER UPDATE ON decision_events
WHEN OLD.event_type = 'DECISION_CREATED' OR NEW.event_type = 'DECISION_CREATED' BEGIN
    UPDATE attest_decision_order SET dirty = 1 WHERE decision_id IN (OLD.decision_id, NEW.decision_id);
END;
CREATE TRIGGER IF NOT EXISTS attest_decision_events_delete AFTER DELETE ON decision_events
WHEN OLD.event_type = 'DECISION_CREATED' BEGIN
    UPDATE attest_decision_order SET dirty = 1 WHERE decision_id = OLD.decision_id;
END;
CREATE TRIGGER IF NOT EXISTS attest_templates_insert AFTER INSERT ON templates BEGIN
    INSERT OR IGNORE INTO attest_template_order (name, order_key, dirty) VALUES (NEW.name, NULL, 1);
    UPDATE attest_template_order SET dirty = 1 WHERE name = NEW.name;
END;
CREATE TRIGGER IF NOT EXISTS attest_templates_update AFTER UPDATE ON templates BEGIN
    DELETE FROM attest_template_labels WHERE name = OLD.name;
    UPDATE attest_template_order SET name = NEW.name, dirty = 1 WHERE name = OLD.name;
END;
CREATE TRIGGER IF NOT EXISTS attest_templates_delete AFTER DELETE ON templates BEGIN
    DELETE FROM attest_template_labels WHERE name = OLD.name;
    DELETE FROM attest_template_order WHERE name = OLD.name;
END;
";

/// The generic records ([`attest_store::Store::put_record`]): a versioned value per
/// (namespace, key) and its append-only log. `TEXT` keys compare with the `BINARY`
/// collation (bytes of UTF-8), which is the order listings promise. Added after schema
/// version 1 without a version bump: a version-1 file gets these tables when it is
/// opened ([`ensure_records`]), and a build that does not know them ignores them, so
/// files keep moving both ways.
const RECORDS: &str = "
CREATE TABLE IF NOT EXISTS attest_records (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attest_record_log (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (namespace, key, seq)
) WITHOUT ROWID;
";

/// Whether the record tables exist.
pub(crate) fn has_records(conn: &Connection) -> Result<bool, Fail> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('attest_records', 'attest_record_log')",
        [],
        |r| r.get(0),
    )?;
    Ok(n == 2)
}

/// Create the record tables when missing (a file written before they existed), inside
/// `tx`.
pub(crate) fn ensure_records(tx: &Transaction<'_>) -> Result<(), Fail> {
    tx.execute_batch(RECORDS)?;
    Ok(())
}

/// The columns each original table must have for a file to be a store.
const REQUIRED_COLUMNS: &[(&str, &[&str])] = &[
    ("decisions", &["decision_id", "created_at"]),
    ("decision_events", &["decision_id", "seq", "event_type", "ts", "actor_type", "actor_id", "payload", "digest"]),
    (
        "templates",
        &[
            "name",
            "description",
            "min_approvals",
            "allowed_modes",
            "require_adapter_capabilities",
            "max_steps",
            "labels",
            "created_at",
            "created_by_type",
            "created_by_id",
            "digest",
        ],
    ),
    ("template_events", &["template_name", "seq", "event_type", "ts", "actor_type", "actor_id", "payload", "digest"]),
];

/// What a database file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// No tables at all: a new file.
    Empty,
    /// The original's tables without this backend's: written by the Python implementation.
    Original,
    /// This backend's layout at the given (supported) version.
    Current(i64),
}

impl Layout {
    /// Whether opening must write (create tables, back-fill, migrate).
    pub(crate) fn needs_setup(self) -> bool {
        self != Layout::Current(SCHEMA_VERSION)
    }
}

/// Recognise the file's layout, reading only. Another program's database (tables, but not
/// the original's decision tables with their columns) is [`StoreError::NotAStore`]; a
/// newer schema is [`StoreError::SchemaTooNew`].
pub(crate) fn detect(conn: &Connection) -> Result<Layout, Fail> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?;
    let tables = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<String>, _>>()?;
    if tables.is_empty() {
        return Ok(Layout::Empty);
    }
    let has = |t: &str| tables.iter().any(|n| n == t);
    let version = if has("attest_meta") { Some(schema_version(conn)?) } else { None };
    if let Some(v) = version {
        if v > SCHEMA_VERSION {
            return Err(Fail::Store(StoreError::SchemaTooNew { found: v, supported: SCHEMA_VERSION }));
        }
    }
    if !has("decisions") || !has("decision_events") {
        let mut names = tables.clone();
        names.sort();
        return Err(Fail::Store(StoreError::NotAStore(format!(
            "the database belongs to another program: it has tables ({}) but not the nexus-attest tables `decisions` and `decision_events`",
            names.join(", ")
        ))));
    }
    for (table, columns) in REQUIRED_COLUMNS {
        if !has(table) {
            continue; // the template tables are optional in a file written by the original
        }
        let present = table_columns(conn, table)?;
        if let Some(missing) = columns.iter().find(|c| !present.iter().any(|p| p == *c)) {
            return Err(Fail::Store(StoreError::NotAStore(format!(
                "the database belongs to another program: table `{table}` has no column `{missing}`"
            ))));
        }
    }
    Ok(match version {
        Some(v) => Layout::Current(v),
        None => Layout::Original,
    })
}

fn schema_version(conn: &Connection) -> Result<i64, Fail> {
    let value: Option<rusqlite::types::Value> =
        conn.query_row("SELECT value FROM attest_meta WHERE key = 'schema_version'", [], |r| r.get(0)).optional()?;
    match value {
        Some(rusqlite::types::Value::Integer(v)) => Ok(v),
        Some(other) => Err(corrupt(format!("attest_meta.schema_version is not an integer: {other:?}"))),
        None => Err(corrupt("attest_meta has no schema_version")),
    }
}

fn table_columns(conn: &Connection, table: &str) -> Result<Vec<String>, Fail> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let cols = stmt.query_map([table], |r| r.get::<_, String>(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(cols)
}

/// Bring the file to [`SCHEMA_VERSION`] inside `tx` (a write transaction): re-detect (another
/// process may have done it meanwhile), create whatever is missing, back-fill the listing
/// tables from the original's rows in their insertion order, record the version.
pub(crate) fn setup(tx: &Transaction<'_>) -> Result<(), Fail> {
    let layout = detect(tx)?;
    if !layout.needs_setup() {
        return Ok(());
    }
    tx.execute_batch(ORIGINAL_DECISIONS)?;
    tx.execute_batch(ORIGINAL_TEMPLATES)?;
    tx.execute_batch(OWN)?;
    tx.execute_batch(RECORDS)?;
    // Back-fill (a no-op for a new file): rowid order is the original's insertion order.
    tx.execute(
        "INSERT OR IGNORE INTO attest_decision_order (decision_id, order_key, dirty)
         SELECT decision_id, NULL, 1 FROM decisions ORDER BY rowid",
        [],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO attest_template_order (name, order_key, dirty)
         SELECT name, NULL, 1 FROM templates ORDER BY rowid",
        [],
    )?;
    tx.execute(
        "INSERT INTO attest_meta (key, value) VALUES ('schema_version', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [SCHEMA_VERSION],
    )?;
    reconcile(tx)?;
    Ok(())
}

/// Whether any listing row is dirty (written by another program since it was indexed).
pub(crate) fn has_dirty(conn: &Connection) -> Result<bool, Fail> {
    let d: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM attest_decision_order WHERE dirty <> 0)
                 OR EXISTS (SELECT 1 FROM attest_template_order WHERE dirty <> 0)",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(d)
}

/// Recompute every dirty listing row inside `tx`. Never fails on stored content: a label
/// list that does not parse indexes as no labels (reading the record reports it).
pub(crate) fn reconcile(tx: &Transaction<'_>) -> Result<(), Fail> {
    let dirty: Vec<(String, Option<String>)> = {
        let mut stmt = tx.prepare(
            "SELECT o.decision_id, d.created_at FROM attest_decision_order o
             LEFT JOIN decisions d ON d.decision_id = o.decision_id WHERE o.dirty <> 0",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (id, created_at) in dirty {
        match created_at {
            Some(created_at) => {
                let labels = stored_decision_labels(tx, &id)?;
                index_decision(tx, &id, order_key(&created_at), &labels)?;
            }
            None => {
                tx.execute("DELETE FROM attest_decision_labels WHERE decision_id = ?1", [&id])?;
                tx.execute("DELETE FROM attest_decision_order WHERE decision_id = ?1", [&id])?;
            }
        }
    }
    let dirty: Vec<(String, Option<(String, String)>)> = {
        let mut stmt = tx.prepare(
            "SELECT o.name, t.created_at, t.labels FROM attest_template_order o
             LEFT JOIN templates t ON t.name = o.name WHERE o.dirty <> 0",
        )?;
        let rows = stmt.query_map([], |r| {
            let created_at: Option<String> = r.get(1)?;
            let labels: Option<String> = r.get(2)?;
            Ok((r.get::<_, String>(0)?, created_at.zip(labels)))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    for (name, row) in dirty {
        match row {
            Some((created_at, labels)) => {
                let labels = parse_string_list(&labels, "template labels").unwrap_or_default();
                index_template(tx, &name, order_key(&created_at), &labels)?;
            }
            None => {
                tx.execute("DELETE FROM attest_template_labels WHERE name = ?1", [&name])?;
                tx.execute("DELETE FROM attest_template_order WHERE name = ?1", [&name])?;
            }
        }
    }
    Ok(())
}

/// The labels of a stored decision (its first `DECISION_CREATED` payload), as
/// [`decision_labels`] reads them; none when that payload does not parse.
pub(crate) fn stored_decision_labels(conn: &Connection, decision_id: &str) -> Result<Vec<String>, Fail> {
    // `+event_type` keeps the planner on the (decision_id, seq) key instead of the
    // event_type index, which would scan every DECISION_CREATED of the file.
    let payload: Option<String> = conn
        .prepare_cached(
            "SELECT payload FROM decision_events WHERE decision_id = ?1 AND +event_type = 'DECISION_CREATED'
             ORDER BY seq LIMIT 1",
        )?
        .query_row([decision_id], |r| r.get(0))
        .optional()
        .or_else(|e| match e {
            rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..) => Ok(None),
            e => Err(e),
        })?;
    let Some(payload) = payload else { return Ok(Vec::new()) };
    let Ok(value) = parse_json(&payload, "payload") else { return Ok(Vec::new()) };
    let event = attest_events::Event {
        decision_id: String::new(),
        seq: 0,
        event_type: "DECISION_CREATED".to_owned(),
        ts: String::new(),
        actor: attest_events::Actor::from_stored("", ""),
        payload: value,
        digest: String::new(),
    };
    Ok(decision_labels(std::slice::from_ref(&event)))
}

/// Write a decision's listing row and labels and clear its dirty flag. The row exists
/// (the insert trigger made it) unless the index was damaged; then it is recreated.
pub(crate) fn index_decision(conn: &Connection, decision_id: &str, key: i64, labels: &[String]) -> Result<(), Fail> {
    index(conn, &DECISION_INDEX, decision_id, key, labels)
}

/// Write a template's listing row and labels and clear its dirty flag.
pub(crate) fn index_template(conn: &Connection, name: &str, key: i64, labels: &[String]) -> Result<(), Fail> {
    index(conn, &TEMPLATE_INDEX, name, key, labels)
}

/// The statements maintaining one kind of listing.
struct IndexSql {
    update: &'static str,
    insert: &'static str,
    clear_labels: &'static str,
    add_label: &'static str,
}

const DECISION_INDEX: IndexSql = IndexSql {
    update: "UPDATE attest_decision_order SET order_key = ?2, dirty = 0 WHERE decision_id = ?1 RETURNING ins",
    insert: "INSERT INTO attest_decision_order (decision_id, order_key, dirty) VALUES (?1, ?2, 0) RETURNING ins",
    clear_labels: "DELETE FROM attest_decision_labels WHERE decision_id = ?1",
    add_label:
        "INSERT OR IGNORE INTO attest_decision_labels (decision_id, label, order_key, ins) VALUES (?1, ?2, ?3, ?4)",
};

const TEMPLATE_INDEX: IndexSql = IndexSql {
    update: "UPDATE attest_template_order SET order_key = ?2, dirty = 0 WHERE name = ?1 RETURNING ins",
    insert: "INSERT INTO attest_template_order (name, order_key, dirty) VALUES (?1, ?2, 0) RETURNING ins",
    clear_labels: "DELETE FROM attest_template_labels WHERE name = ?1",
    add_label: "INSERT OR IGNORE INTO attest_template_labels (name, label, order_key, ins) VALUES (?1, ?2, ?3, ?4)",
};

fn index(conn: &Connection, sql: &IndexSql, id: &str, key: i64, labels: &[String]) -> Result<(), Fail> {
    let updated: Option<i64> = conn.prepare_cached(sql.update)?.query_row(params![id, key], |r| r.get(0)).optional()?;
    let ins = match updated {
        Some(ins) => ins,
        None => conn.prepare_cached(sql.insert)?.query_row(params![id, key], |r| r.get(0))?,
    };
    conn.prepare_cached(sql.clear_labels)?.execute([id])?;
    let mut add = conn.prepare_cached(sql.add_label)?;
    for label in labels {
        add.execute(params![id, label, key, ins])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_file_setup_and_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(detect(&conn).unwrap(), Layout::Empty);
        let tx = conn.transaction().unwrap();
        setup(&tx).unwrap();
        tx.commit().unwrap();
        assert_eq!(detect(&conn).unwrap(), Layout::Current(SCHEMA_VERSION));
        conn.execute("UPDATE attest_meta SET value = 99 WHERE key = 'schema_version'", []).unwrap();
        assert!(matches!(detect(&conn), Err(Fail::Store(StoreError::SchemaTooNew { found: 99, supported: 1 }))));
        conn.execute("UPDATE attest_meta SET value = 'x' WHERE key = 'schema_version'", []).unwrap();
        assert!(matches!(detect(&conn), Err(Fail::Store(StoreError::Corrupt(_)))));
    }

    #[test]
    fn other_programs_are_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)").unwrap();
        assert!(matches!(detect(&conn), Err(Fail::Store(StoreError::NotAStore(m))) if m.contains("users")));
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE decisions (id INTEGER); CREATE TABLE decision_events (x TEXT)").unwrap();
        assert!(matches!(detect(&conn), Err(Fail::Store(StoreError::NotAStore(m))) if m.contains("decision_id")));
    }

    #[test]
    fn label_lookup_uses_the_key_not_the_type_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        setup(&tx).unwrap();
        tx.commit().unwrap();
        let plan: Vec<String> = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT payload FROM decision_events WHERE decision_id = ?1
                 AND +event_type = 'DECISION_CREATED' ORDER BY seq LIMIT 1",
            )
            .unwrap()
            .query_map(["d"], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(plan.iter().all(|p| !p.contains("idx_events_type") && !p.contains("TEMP B-TREE")), "{plan:?}");
    }
}
