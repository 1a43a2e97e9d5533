//! `SqliteStore`: opening a file, and the [`Store`] operations over one connection.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use attest_events::{Clock, Event, NewEvent, SystemClock, Value};
use attest_store::{
    check_record, check_record_limit, check_record_version, decision_labels, order_key, DecisionHeader, Durability,
    ImportBatch, ListQuery, Record, RecordWrite, Store, StoreError, TemplateRecord,
};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use crate::codec::{
    event_from_row, has_non_finite, json_text, parse_json, seq_of, seq_param, string_list_text, template_from_row,
    text, TEMPLATE_COLUMNS,
};
use crate::error::Fail;
use crate::schema;

/// The busy timeout of [`SqliteOptions::default`]: how long a write waits for another
/// connection's write lock before failing.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How [`SqliteStore::open`] opens a file.
#[derive(Clone)]
pub struct SqliteOptions {
    /// Where event timestamps come from (read once per event inside the write transaction).
    pub clock: Arc<dyn Clock>,
    /// `Full` (the default): `synchronous=FULL`, every commit is on disk when it returns.
    /// `Normal`: `synchronous=NORMAL`, commits survive a process crash but the last ones
    /// may be lost on power failure.
    pub durability: Durability,
    /// How long a write waits for another writer (thread or process) before failing with
    /// [`StoreError::Backend`].
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> SqliteOptions {
        SqliteOptions { clock: Arc::new(SystemClock), durability: Durability::Full, busy_timeout: DEFAULT_BUSY_TIMEOUT }
    }
}

impl std::fmt::Debug for SqliteOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteOptions")
            .field("durability", &self.durability)
            .field("busy_timeout", &self.busy_timeout)
            .finish_non_exhaustive()
    }
}

/// A [`Store`] in one SQLite file, shareable between threads and between processes.
///
/// The file keeps the four tables of nexus-attest 1.0.1 unchanged (a file written by the
/// original opens here, and the original can open files written here) plus this backend's
/// listing tables. One connection is kept open per store (WAL journal, `foreign_keys=ON`);
/// calls from several threads take turns on it. Appends and creates run in `BEGIN
/// IMMEDIATE` transactions that read the next seq, check `expected_seq`, read the clock
/// once per event and insert, so two writers never claim the same seq, in one process or
/// several.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    clock: Arc<dyn Clock>,
    path: PathBuf,
    busy_timeout: Duration,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// `PRAGMA cache_size` (negative: KiB): a 16 MiB page cache.
const CACHE_SIZE_KIB: i64 = -16 * 1024;

impl SqliteStore {
    /// Open the store in the file at `path`, creating the file (not its directory) when it
    /// does not exist.
    ///
    /// A file written by the original Python implementation gets this backend's tables,
    /// back-filled in one transaction. Errors: [`StoreError::NotAStore`] for a file that is
    /// not an SQLite database or is another program's database (the file is left
    /// unchanged); [`StoreError::SchemaTooNew`] for a file from a newer version;
    /// [`StoreError::Backend`] when the file cannot be opened.
    pub fn open(path: impl AsRef<Path>, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let timeout = options.busy_timeout;
        check_file(&path)?;
        let conn = open_connection(&path, &options).map_err(|f| with_path(f.into_store_error(timeout), &path))?;
        Ok(SqliteStore { conn: Mutex::new(conn), clock: options.clock, path, busy_timeout: timeout })
    }

    /// [`SqliteStore::open`] with the system clock, full durability and a 30 s busy timeout.
    pub fn open_default(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        SqliteStore::open(path, SqliteOptions::default())
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run SQLite's `PRAGMA integrity_check`: `Ok` when the file is sound, otherwise
    /// [`StoreError::Corrupt`] with SQLite's findings.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare("PRAGMA integrity_check")?;
            let lines = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<String>, _>>()?;
            if lines.len() == 1 && lines.first().is_some_and(|l| l == "ok") {
                Ok(())
            } else {
                Err(Fail::Store(StoreError::Corrupt(format!("integrity check failed: {}", lines.join("; ")))))
            }
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held cannot leave a half-applied write: an open
        // transaction rolls back when its guard drops during unwinding.
        match self.conn.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Run `f` on the connection outside any explicit transaction (single statements, or
    /// reads whose statements are each consistent on their own).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, Fail>) -> Result<T, StoreError> {
        let conn = self.lock();
        f(&conn).map_err(|e| e.into_store_error(self.busy_timeout))
    }

    /// Run `f` in a `BEGIN IMMEDIATE` transaction and commit when it succeeds; roll back
    /// otherwise.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, Fail>) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let run = || -> Result<T, Fail> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run().map_err(|e| e.into_store_error(self.busy_timeout))
    }

    /// Re-index listing rows other programs wrote, if any.
    fn reconcile_if_needed(&self) -> Result<(), StoreError> {
        if self.read(schema::has_dirty)? {
            self.write(schema::reconcile)?;
        }
        Ok(())
    }

    fn seal_all(&self, decision_id: &str, first_seq: u64, events: Vec<NewEvent>) -> Result<Vec<Event>, Fail> {
        let mut out = Vec::with_capacity(events.len());
        for (i, e) in events.into_iter().enumerate() {
            out.push(e.seal(decision_id, first_seq + i as u64, self.clock.now())?);
        }
        Ok(out)
    }
}

/// Refuse what is certainly not an SQLite file before SQLite touches it.
fn check_file(path: &Path) -> Result<(), StoreError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Backend(format!("cannot read `{}`: {e}", path.display()))),
    };
    if meta.is_dir() {
        return Err(StoreError::NotAStore(format!("`{}` is a directory, not a database file", path.display())));
    }
    if meta.len() == 0 {
        return Ok(()); // SQLite reads an empty file as an empty database
    }
    let mut head = [0u8; 16];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    match read {
        Ok(()) if &head == SQLITE_MAGIC => Ok(()),
        Ok(()) => Err(StoreError::NotAStore(format!("`{}` is not an SQLite database file", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(StoreError::NotAStore(format!(
            "`{}` is not an SQLite database file (only {} bytes)",
            path.display(),
            meta.len()
        ))),
        Err(e) => Err(StoreError::Backend(format!("cannot read `{}`: {e}", path.display()))),
    }
}

fn with_path(e: StoreError, path: &Path) -> StoreError {
    match e {
        StoreError::NotAStore(m) => StoreError::NotAStore(format!("`{}`: {m}", path.display())),
        StoreError::Backend(m) => StoreError::Backend(format!("`{}`: {m}", path.display())),
        StoreError::Corrupt(m) => StoreError::Corrupt(format!("`{}`: {m}", path.display())),
        other => other,
    }
}

fn open_connection(path: &Path, options: &SqliteOptions) -> Result<Connection, Fail> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(options.busy_timeout)?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "foreign_keys", true)?;
    // Keep more pages cached between transactions (a per-connection setting). Memory-
    // mapped reads stay off: an I/O error on a mapped page (a file truncated by another
    // program, a failing disk) is a SIGBUS that kills the process instead of an error.
    conn.pragma_update(None, "cache_size", CACHE_SIZE_KIB)?;
    // Recognise the file before anything writes to it: another program's database and a
    // newer schema are refused untouched.
    let layout = schema::detect(&conn)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Fail::Store(StoreError::Backend(format!(
            "cannot switch the database to WAL journaling (journal_mode is `{mode}`)"
        ))));
    }
    let sync = match options.durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    if layout.needs_setup() {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        schema::setup(&tx)?;
        tx.commit()?;
    } else if !schema::has_records(&conn)? {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        schema::ensure_records(&tx)?;
        tx.commit()?;
    }
    Ok(conn)
}

fn decision_exists(conn: &Connection, decision_id: &str) -> Result<bool, Fail> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM decisions WHERE decision_id = ?1")?
        .query_row([decision_id], |_| Ok(()))
        .optional()?
        .is_some())
}

fn template_exists(conn: &Connection, name: &str) -> Result<bool, Fail> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM templates WHERE name = ?1")?
        .query_row([name], |_| Ok(()))
        .optional()?
        .is_some())
}

fn insert_events(conn: &Connection, decision_id: &str, events: &[Event]) -> Result<(), Fail> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO decision_events (decision_id, seq, event_type, ts, actor_type, actor_id, payload, digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for e in events {
        stmt.execute(params![
            decision_id,
            seq_param(e.seq)?,
            e.event_type,
            e.ts,
            e.actor.kind,
            e.actor.id,
            json_text(&e.payload)?,
            e.digest
        ])?;
    }
    Ok(())
}

fn read_events(conn: &Connection, sql: &EventsSql, owner: &str) -> Result<Vec<Event>, Fail> {
    // Size the result once (the highest seq, one index probe) instead of growing it.
    let last: Option<i64> = conn.prepare_cached(sql.last_seq)?.query_row([owner], |r| r.get(0)).optional()?;
    let capacity = last.and_then(|s| usize::try_from(s).ok()).map_or(0, |s| s.saturating_add(1).min(MAX_PRESIZE));
    let mut stmt = conn.prepare_cached(sql.all)?;
    let mut rows = stmt.query([owner])?;
    let mut out = Vec::with_capacity(capacity);
    while let Some(row) = rows.next()? {
        out.push(event_from_row(row, owner)?);
    }
    Ok(out)
}

/// The queries reading one log: its highest seq, and all its events in seq order.
struct EventsSql {
    last_seq: &'static str,
    all: &'static str,
}

const DECISION_EVENTS: EventsSql = EventsSql {
    last_seq: "SELECT seq FROM decision_events WHERE decision_id = ?1 ORDER BY seq DESC LIMIT 1",
    all: "SELECT seq, event_type, ts, actor_type, actor_id, payload, digest
          FROM decision_events WHERE decision_id = ?1 ORDER BY seq",
};

const TEMPLATE_EVENTS: EventsSql = EventsSql {
    last_seq: "SELECT seq FROM template_events WHERE template_name = ?1 ORDER BY seq DESC LIMIT 1",
    all: "SELECT seq, event_type, ts, actor_type, actor_id, payload, digest
          FROM template_events WHERE template_name = ?1 ORDER BY seq",
};

/// The largest event count a read reserves room for up front (a damaged seq must not
/// make it reserve gigabytes).
const MAX_PRESIZE: usize = 1 << 20;

fn limits(query: &ListQuery) -> Result<(i64, i64), Fail> {
    query.validate()?;
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
    Ok((limit, offset))
}

impl Store for SqliteStore {
    fn create_decision(&self, decision_id: &str, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError> {
        if decision_id.is_empty() {
            return Err(StoreError::InvalidInput("decision id must not be empty".to_owned()));
        }
        self.write(|tx| {
            if decision_exists(tx, decision_id)? {
                return Err(Fail::Store(StoreError::DecisionExists(decision_id.to_owned())));
            }
            let created_at = if events.is_empty() { Some(self.clock.now().isoformat()) } else { None };
            let sealed = self.seal_all(decision_id, 0, events)?;
            let created_at = created_at.or_else(|| sealed.first().map(|e| e.ts.clone())).unwrap_or_default();
            tx.prepare_cached("INSERT INTO decisions (decision_id, created_at) VALUES (?1, ?2)")?
                .execute([decision_id, created_at.as_str()])?;
            insert_events(tx, decision_id, &sealed)?;
            schema::index_decision(tx, decision_id, order_key(&created_at), &decision_labels(&sealed))?;
            Ok(sealed)
        })
    }

    fn append(
        &self,
        decision_id: &str,
        events: Vec<NewEvent>,
        expected_seq: Option<u64>,
    ) -> Result<Vec<Event>, StoreError> {
        self.write(|tx| {
            if !decision_exists(tx, decision_id)? {
                return Err(Fail::Store(StoreError::DecisionNotFound(decision_id.to_owned())));
            }
            let last: Option<i64> =
                tx.prepare_cached(DECISION_EVENTS.last_seq)?.query_row([decision_id], |r| r.get(0)).optional()?;
            let next = match last {
                Some(s) => seq_of(s, decision_id)? + 1,
                None => 0,
            };
            if let Some(expected) = expected_seq {
                if expected != next {
                    return Err(Fail::Store(StoreError::SequenceConflict {
                        decision_id: decision_id.to_owned(),
                        expected,
                        actual: next,
                    }));
                }
            }
            let sealed = self.seal_all(decision_id, next, events)?;
            insert_events(tx, decision_id, &sealed)?;
            if sealed.iter().any(|e| e.event_type == "DECISION_CREATED") {
                // The first DECISION_CREATED of the whole log decides the labels.
                let created_at: String = tx
                    .prepare_cached("SELECT created_at FROM decisions WHERE decision_id = ?1")?
                    .query_row([decision_id], |r| r.get(0))?;
                let labels = schema::stored_decision_labels(tx, decision_id)?;
                schema::index_decision(tx, decision_id, order_key(&created_at), &labels)?;
            }
            Ok(sealed)
        })
    }

    fn header(&self, decision_id: &str) -> Result<Option<DecisionHeader>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT created_at FROM decisions WHERE decision_id = ?1")?;
            let mut rows = stmt.query([decision_id])?;
            match rows.next()? {
                Some(row) => Ok(Some(DecisionHeader {
                    decision_id: decision_id.to_owned(),
                    created_at: text(row, 0, "created_at")?.to_owned(),
                })),
                None => Ok(None),
            }
        })
    }

    fn events(&self, decision_id: &str) -> Result<Vec<Event>, StoreError> {
        self.read(|conn| {
            // One statement is one snapshot: events exist only under a header (foreign
            // key), so a non-empty result proves the header; an empty one asks for it.
            let events = read_events(conn, &DECISION_EVENTS, decision_id)?;
            if events.is_empty() && !decision_exists(conn, decision_id)? {
                return Err(Fail::Store(StoreError::DecisionNotFound(decision_id.to_owned())));
            }
            Ok(events)
        })
    }

    fn list(&self, query: &ListQuery) -> Result<Vec<DecisionHeader>, StoreError> {
        let (limit, offset) = limits(query).map_err(|e| e.into_store_error(self.busy_timeout))?;
        self.reconcile_if_needed()?;
        self.read(|conn| {
            let mut stmt;
            let mut rows = match query.label_filter() {
                None => {
                    // The page is cut from the covering index alone; only its rows are
                    // joined to their headers.
                    stmt = conn.prepare_cached(
                        "SELECT o.decision_id, d.created_at FROM
                           (SELECT decision_id, order_key, ins FROM attest_decision_order
                            ORDER BY order_key DESC, ins ASC LIMIT ?1 OFFSET ?2) o
                         JOIN decisions d ON d.decision_id = o.decision_id
                         ORDER BY o.order_key DESC, o.ins ASC",
                    )?;
                    stmt.query(params![limit, offset])?
                }
                Some(label) => {
                    stmt = conn.prepare_cached(
                        "SELECT l.decision_id, d.created_at FROM
                           (SELECT decision_id, order_key, ins FROM attest_decision_labels WHERE label = ?3
                            ORDER BY order_key DESC, ins ASC LIMIT ?1 OFFSET ?2) l
                         JOIN decisions d ON d.decision_id = l.decision_id
                         ORDER BY l.order_key DESC, l.ins ASC",
                    )?;
                    stmt.query(params![limit, offset, label])?
                }
            };
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(DecisionHeader {
                    decision_id: text(row, 0, "decision_id")?.to_owned(),
                    created_at: text(row, 1, "created_at")?.to_owned(),
                });
            }
            Ok(out)
        })
    }

    fn count(&self) -> Result<u64, StoreError> {
        self.read(|conn| {
            let n: i64 = conn.prepare_cached("SELECT COUNT(*) FROM decisions")?.query_row([], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn delete_decision(&self, decision_id: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM decision_events WHERE decision_id = ?1")?.execute([decision_id])?;
            let n = tx.prepare_cached("DELETE FROM decisions WHERE decision_id = ?1")?.execute([decision_id])?;
            Ok(n > 0)
        })
    }

    fn import(&self, batch: ImportBatch) -> Result<(), StoreError> {
        let events = batch.checked_events()?;
        if let Some(e) = events.iter().find(|e| has_non_finite(&e.payload)) {
            return Err(StoreError::InvalidInput(format!(
                "import event {} has a payload with NaN or an infinite number, which JSON cannot store",
                e.seq
            )));
        }
        let id = batch.decision_id.as_str();
        self.write(|tx| {
            if decision_exists(tx, id)? {
                if !batch.overwrite {
                    return Err(Fail::Store(StoreError::DecisionExists(id.to_owned())));
                }
                // Keep the replaced decision's place among equal instants.
                let ins: Option<i64> = tx
                    .prepare_cached("SELECT ins FROM attest_decision_order WHERE decision_id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()?;
                tx.prepare_cached("DELETE FROM decision_events WHERE decision_id = ?1")?.execute([id])?;
                tx.prepare_cached("DELETE FROM decisions WHERE decision_id = ?1")?.execute([id])?;
                if let Some(ins) = ins {
                    tx.prepare_cached(
                        "INSERT INTO attest_decision_order (ins, decision_id, order_key, dirty) VALUES (?1, ?2, NULL, 1)",
                    )?
                    .execute(params![ins, id])?;
                }
            }
            tx.prepare_cached("INSERT INTO decisions (decision_id, created_at) VALUES (?1, ?2)")?
                .execute([id, batch.created_at.as_str()])?;
            insert_events(tx, id, &events)?;
            schema::index_decision(tx, id, order_key(&batch.created_at), &decision_labels(&events))?;
            Ok(())
        })
    }

    fn put_template(&self, record: TemplateRecord, event: Event) -> Result<(), StoreError> {
        if record.name.is_empty() {
            return Err(StoreError::InvalidInput("template name must not be empty".to_owned()));
        }
        if has_non_finite(&event.payload) {
            return Err(StoreError::InvalidInput(
                "the template event payload has NaN or an infinite number, which JSON cannot store".to_owned(),
            ));
        }
        let name = record.name.as_str();
        self.write(|tx| {
            if template_exists(tx, name)? {
                return Err(Fail::Store(StoreError::TemplateExists(name.to_owned())));
            }
            tx.prepare_cached(
                "INSERT INTO templates (name, description, min_approvals, allowed_modes, require_adapter_capabilities,
                     max_steps, labels, created_at, created_by_type, created_by_id, digest)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                name,
                record.description,
                record.min_approvals,
                string_list_text(&record.allowed_modes)?,
                string_list_text(&record.require_adapter_capabilities)?,
                record.max_steps,
                string_list_text(&record.labels)?,
                record.created_at,
                record.created_by.kind,
                record.created_by.id,
                record.digest,
            ])?;
            tx.prepare_cached(
                "INSERT INTO template_events (template_name, seq, event_type, ts, actor_type, actor_id, payload, digest)
                 VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                name,
                event.event_type,
                event.ts,
                event.actor.kind,
                event.actor.id,
                json_text(&event.payload)?,
                event.digest
            ])?;
            schema::index_template(tx, name, order_key(&record.created_at), &record.labels)?;
            Ok(())
        })
    }

    fn template(&self, name: &str) -> Result<Option<TemplateRecord>, StoreError> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare_cached(&format!("SELECT {TEMPLATE_COLUMNS} FROM templates t WHERE t.name = ?1"))?;
            let mut rows = stmt.query([name])?;
            match rows.next()? {
                Some(row) => Ok(Some(template_from_row(row)?)),
                None => Ok(None),
            }
        })
    }

    fn list_templates(&self, query: &ListQuery) -> Result<Vec<TemplateRecord>, StoreError> {
        let (limit, offset) = limits(query).map_err(|e| e.into_store_error(self.busy_timeout))?;
        self.reconcile_if_needed()?;
        self.read(|conn| {
            let mut stmt;
            let mut rows = match query.label_filter() {
                None => {
                    stmt = conn.prepare_cached(&format!(
                        "SELECT {TEMPLATE_COLUMNS} FROM
                           (SELECT name, order_key, ins FROM attest_template_order
                            ORDER BY order_key DESC, ins ASC LIMIT ?1 OFFSET ?2) o
                         JOIN templates t ON t.name = o.name
                         ORDER BY o.order_key DESC, o.ins ASC"
                    ))?;
                    stmt.query(params![limit, offset])?
                }
                Some(label) => {
                    stmt = conn.prepare_cached(&format!(
                        "SELECT {TEMPLATE_COLUMNS} FROM
                           (SELECT name, order_key, ins FROM attest_template_labels WHERE label = ?3
                            ORDER BY order_key DESC, ins ASC LIMIT ?1 OFFSET ?2) l
                         JOIN templates t ON t.name = l.name
                         ORDER BY l.order_key DESC, l.ins ASC"
                    ))?;
                    stmt.query(params![limit, offset, label])?
                }
            };
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(template_from_row(row)?);
            }
            Ok(out)
        })
    }

    fn template_events(&self, name: &str) -> Result<Vec<Event>, StoreError> {
        self.read(|conn| {
            if !template_exists(conn, name)? {
                return Err(Fail::Store(StoreError::TemplateNotFound(name.to_owned())));
            }
            read_events(conn, &TEMPLATE_EVENTS, name)
        })
    }

    fn put_record(&self, namespace: &str, key: &str, write: RecordWrite<'_>) -> Result<u64, StoreError> {
        let mut values: Vec<&Value> = vec![write.value];
        values.extend(write.log.iter());
        check_record(namespace, key, &values)?;
        let text = json_text(write.value).map_err(|e| e.into_store_error(self.busy_timeout))?;
        let log = write
            .log
            .iter()
            .map(json_text)
            .collect::<Result<Vec<String>, Fail>>()
            .map_err(|e| e.into_store_error(self.busy_timeout))?;
        self.write(|tx| {
            let stored: Option<i64> = tx
                .prepare_cached("SELECT version FROM attest_records WHERE namespace = ?1 AND key = ?2")?
                .query_row([namespace, key], |r| r.get(0))
                .optional()?;
            let actual = match stored {
                Some(v) => u64::try_from(v).map_err(|_| corrupt_version(namespace, key))?,
                None => 0,
            };
            let version = check_record_version(namespace, key, write.expected_version, actual)?;
            let version_param = i64::try_from(version).map_err(|_| corrupt_version(namespace, key))?;
            tx.prepare_cached(
                "INSERT INTO attest_records (namespace, key, value, version) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = excluded.version",
            )?
            .execute(params![namespace, key, text, version_param])?;
            if !log.is_empty() {
                let last: Option<i64> = tx
                    .prepare_cached(
                        "SELECT seq FROM attest_record_log WHERE namespace = ?1 AND key = ?2 ORDER BY seq DESC LIMIT 1",
                    )?
                    .query_row([namespace, key], |r| r.get(0))
                    .optional()?;
                let mut seq = last.map_or(0, |s| s.saturating_add(1));
                let mut insert = tx.prepare_cached(
                    "INSERT INTO attest_record_log (namespace, key, seq, value) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for entry in &log {
                    insert.execute(params![namespace, key, seq, entry])?;
                    seq = seq.saturating_add(1);
                }
            }
            Ok(version)
        })
    }

    fn record(&self, namespace: &str, key: &str) -> Result<Option<Record>, StoreError> {
        self.read(|conn| {
            let row: Option<(String, i64)> = conn
                .prepare_cached("SELECT value, version FROM attest_records WHERE namespace = ?1 AND key = ?2")?
                .query_row([namespace, key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            row.map(|(text, version)| record_from(namespace, key.to_owned(), &text, version)).transpose()
        })
    }

    fn records(&self, namespace: &str, after: Option<&str>, limit: usize) -> Result<Vec<Record>, StoreError> {
        check_record_limit(limit)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|conn| {
            let mut out = Vec::new();
            let mut push = |row: &rusqlite::Row<'_>| -> Result<(), Fail> {
                let key: String = row.get(0)?;
                let text: String = row.get(1)?;
                let version: i64 = row.get(2)?;
                out.push(record_from(namespace, key, &text, version)?);
                Ok(())
            };
            match after {
                None => {
                    let mut stmt = conn.prepare_cached(
                        "SELECT key, value, version FROM attest_records WHERE namespace = ?1 ORDER BY key LIMIT ?2",
                    )?;
                    let mut rows = stmt.query(params![namespace, limit])?;
                    while let Some(row) = rows.next()? {
                        push(row)?;
                    }
                }
                Some(after) => {
                    let mut stmt = conn.prepare_cached(
                        "SELECT key, value, version FROM attest_records WHERE namespace = ?1 AND key > ?2
                         ORDER BY key LIMIT ?3",
                    )?;
                    let mut rows = stmt.query(params![namespace, after, limit])?;
                    while let Some(row) = rows.next()? {
                        push(row)?;
                    }
                }
            }
            Ok(out)
        })
    }

    fn record_log(&self, namespace: &str, key: &str) -> Result<Vec<Value>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT value FROM attest_record_log WHERE namespace = ?1 AND key = ?2 ORDER BY seq")?;
            let mut rows = stmt.query([namespace, key])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let text: String = row.get(0)?;
                out.push(parse_json(&text, "record log entry")?);
            }
            Ok(out)
        })
    }
}

fn corrupt_version(namespace: &str, key: &str) -> Fail {
    Fail::Store(StoreError::Corrupt(format!("record `{namespace}`/`{key}` has an invalid version")))
}

fn record_from(namespace: &str, key: String, text: &str, version: i64) -> Result<Record, Fail> {
    let version = u64::try_from(version).map_err(|_| corrupt_version(namespace, &key))?;
    Ok(Record { value: parse_json(text, "record")?, key, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(store: &SqliteStore, name: &str) -> i64 {
        store.read(|c| Ok(c.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0))?)).unwrap()
    }

    #[test]
    fn connection_settings_follow_the_options() {
        let dir = tempfile::tempdir().unwrap();
        let full = SqliteStore::open_default(dir.path().join("a.db")).unwrap();
        assert_eq!(pragma(&full, "synchronous"), 2, "FULL");
        assert_eq!(pragma(&full, "foreign_keys"), 1);
        assert_eq!(pragma(&full, "busy_timeout"), 30_000);
        let normal = SqliteStore::open(
            dir.path().join("b.db"),
            SqliteOptions {
                durability: Durability::Normal,
                busy_timeout: Duration::from_millis(1500),
                ..SqliteOptions::default()
            },
        )
        .unwrap();
        assert_eq!(pragma(&normal, "synchronous"), 1, "NORMAL");
        assert_eq!(pragma(&normal, "busy_timeout"), 1500);
        let mode: String = normal.read(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?)).unwrap();
        assert_eq!(mode, "wal");
        assert!(format!("{normal:?}").contains("b.db"));
        assert_eq!(normal.path(), dir.path().join("b.db"));
    }

    #[test]
    fn a_missing_directory_is_a_backend_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = SqliteStore::open_default(dir.path().join("no/such/dir/a.db")).unwrap_err();
        assert!(matches!(&err, StoreError::Backend(m) if m.contains("no/such/dir")), "{err}");
    }
}
