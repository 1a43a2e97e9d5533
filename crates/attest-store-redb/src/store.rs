//! [`RedbStore`]: the `Store` trait on one redb file, one write transaction per write.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use attest_events::{Clock, Event, NewEvent, SystemClock, Value};
use attest_store::{
    check_record, check_record_limit, check_record_version, decision_labels, order_key, DecisionHeader, Durability,
    ImportBatch, ListQuery, Record, RecordWrite, Store, StoreError, TemplateRecord,
};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction};

use crate::codec::{self, DecisionRow};
use crate::flusher::{self, Flusher};
use crate::redb_error::store_error;
use crate::schema;
use crate::tables::{
    event_rows, insert_events, log_full, next_insert, next_seq, open, page, read_log, remove_log, DecisionTables,
};

/// How to open a [`RedbStore`].
#[derive(Clone)]
pub struct RedbOptions {
    /// Where event timestamps come from (read once per event, inside the write
    /// transaction that assigns its seq).
    pub clock: Arc<dyn Clock>,
    /// [`Durability::Full`]: every commit is fsynced before it returns.
    /// [`Durability::Normal`]: commits are made durable in batches, at most 100 ms later
    /// and when the store is closed; a crash (of the process or the machine) may lose
    /// the commits of that window, never corrupts the file.
    pub durability: Durability,
}

impl Default for RedbOptions {
    /// The system clock and [`Durability::Full`].
    fn default() -> RedbOptions {
        RedbOptions { clock: Arc::new(SystemClock), durability: Durability::Full }
    }
}

impl std::fmt::Debug for RedbOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbOptions").field("durability", &self.durability).finish_non_exhaustive()
    }
}

/// A [`Store`] in one redb file.
///
/// Single process: the file is locked exclusively while a `RedbStore` has it open; a
/// second open (from another process, or from this one) fails with
/// [`StoreError::Locked`] at once. Within the process, share one `RedbStore` (it is
/// `Send + Sync`; wrap it in an `Arc`). Writes are serialised by redb's single writer,
/// so the seq read, the `expected_seq` check, the clock readings and the insert of an
/// append happen in one transaction and two writers never claim the same seq.
pub struct RedbStore {
    flusher: Option<Flusher>,
    // INVARIANT (open db): `Some` from `open` until `drop`, which takes it to close the
    // database under `catch_unwind`.
    db: Option<Arc<redb::Database>>,
    /// Set when redb panicked (on a damaged file): every later call fails.
    poisoned: AtomicBool,
    clock: Arc<dyn Clock>,
    durability: Durability,
    path: PathBuf,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

impl RedbStore {
    /// Open the store at `path`, creating the file (not its directory) when it does not
    /// exist or is empty.
    ///
    /// Errors: [`StoreError::Locked`] when the file is open elsewhere;
    /// [`StoreError::NotAStore`] for a file that is not a redb database or holds another
    /// program's tables (the file is not modified); [`StoreError::SchemaTooNew`] for a
    /// store written by a newer version (not modified either); [`StoreError::Corrupt`]
    /// when redb detects corruption; [`StoreError::Backend`] for I/O errors.
    pub fn open(path: impl AsRef<Path>, options: RedbOptions) -> Result<RedbStore, StoreError> {
        let path = path.as_ref();
        let db = match catch_unwind(AssertUnwindSafe(|| crate::open::open_database(path))) {
            Ok(db) => Arc::new(db?),
            Err(panic) => return Err(engine_panic(path, panic.as_ref())),
        };
        let flusher = match options.durability {
            Durability::Full => None,
            Durability::Normal => Some(Flusher::start(Arc::clone(&db))?),
        };
        Ok(RedbStore {
            flusher,
            db: Some(db),
            poisoned: AtomicBool::new(false),
            clock: options.clock,
            durability: options.durability,
            path: path.to_owned(),
        })
    }

    /// [`RedbStore::open`] with the system clock and [`Durability::Full`].
    pub fn open_default(path: impl AsRef<Path>) -> Result<RedbStore, StoreError> {
        RedbStore::open(path, RedbOptions::default())
    }

    /// The file this store was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The durability level commits are made with.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Make every commit so far durable now (a no-op in effect under
    /// [`Durability::Full`], where each commit already is).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.guard(flusher::flush)
    }

    /// Run `op` on the database. redb assumes a well-formed file and may panic on a
    /// damaged one; such a panic becomes [`StoreError::Corrupt`] and poisons the store
    /// (every later call fails the same way; reopen it after repairing the file).
    fn guard<T>(&self, op: impl FnOnce(&redb::Database) -> Result<T, StoreError>) -> Result<T, StoreError> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(StoreError::Corrupt(format!(
                "`{}`: an earlier operation hit damaged data; the store must be reopened",
                self.path.display()
            )));
        }
        let Some(db) = self.db.as_deref() else {
            return Err(StoreError::Backend("the store is closed".to_owned()));
        };
        match catch_unwind(AssertUnwindSafe(|| op(db))) {
            Ok(result) => result,
            Err(panic) => {
                self.poisoned.store(true, Ordering::Release);
                Err(engine_panic(&self.path, panic.as_ref()))
            }
        }
    }

    fn write(&self, db: &redb::Database) -> Result<WriteTransaction, StoreError> {
        let mut txn = db.begin_write().map_err(store_error)?;
        let level = match self.durability {
            Durability::Full => redb::Durability::Immediate,
            Durability::Normal => redb::Durability::None,
        };
        txn.set_durability(level).map_err(store_error)?;
        Ok(txn)
    }

    fn commit(&self, txn: WriteTransaction) -> Result<(), StoreError> {
        txn.commit().map_err(store_error)?;
        if let Some(f) = &self.flusher {
            f.mark_dirty();
        }
        Ok(())
    }

    /// Seal `events` at `first_seq`, `first_seq + 1`, ..., one clock reading each.
    fn seal_all(&self, decision_id: &str, first_seq: u64, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::with_capacity(events.len());
        for (i, e) in events.into_iter().enumerate() {
            let seq = first_seq.checked_add(i as u64).ok_or_else(|| log_full(decision_id))?;
            out.push(e.seal(decision_id, seq, self.clock.now())?);
        }
        Ok(out)
    }
}

impl Drop for RedbStore {
    /// Stop the flush thread, then close the database (redb makes every commit durable
    /// on close). A panic of redb while closing a damaged file is contained.
    fn drop(&mut self) {
        drop(self.flusher.take());
        if let Some(db) = self.db.take() {
            let _ = catch_unwind(AssertUnwindSafe(move || drop(db)));
        }
    }
}

impl Store for RedbStore {
    fn create_decision(&self, decision_id: &str, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError> {
        self.guard(|db| self.create_decision_in(db, decision_id, events))
    }

    fn append(
        &self,
        decision_id: &str,
        events: Vec<NewEvent>,
        expected_seq: Option<u64>,
    ) -> Result<Vec<Event>, StoreError> {
        self.guard(|db| self.append_in(db, decision_id, events, expected_seq))
    }

    fn header(&self, decision_id: &str) -> Result<Option<DecisionHeader>, StoreError> {
        self.guard(|db| self.header_in(db, decision_id))
    }

    fn events(&self, decision_id: &str) -> Result<Vec<Event>, StoreError> {
        self.guard(|db| self.events_in(db, decision_id))
    }

    fn list(&self, query: &ListQuery) -> Result<Vec<DecisionHeader>, StoreError> {
        self.guard(|db| self.list_in(db, query))
    }

    fn count(&self) -> Result<u64, StoreError> {
        self.guard(|db| self.count_in(db))
    }

    fn delete_decision(&self, decision_id: &str) -> Result<bool, StoreError> {
        self.guard(|db| self.delete_decision_in(db, decision_id))
    }

    fn import(&self, batch: ImportBatch) -> Result<(), StoreError> {
        self.guard(|db| self.import_in(db, batch))
    }

    fn put_template(&self, record: TemplateRecord, event: Event) -> Result<(), StoreError> {
        self.guard(|db| self.put_template_in(db, record, event))
    }

    fn template(&self, name: &str) -> Result<Option<TemplateRecord>, StoreError> {
        self.guard(|db| self.template_in(db, name))
    }

    fn list_templates(&self, query: &ListQuery) -> Result<Vec<TemplateRecord>, StoreError> {
        self.guard(|db| self.list_templates_in(db, query))
    }

    fn template_events(&self, name: &str) -> Result<Vec<Event>, StoreError> {
        self.guard(|db| self.template_events_in(db, name))
    }

    fn put_record(&self, namespace: &str, key: &str, write: RecordWrite<'_>) -> Result<u64, StoreError> {
        self.guard(|db| self.put_record_in(db, namespace, key, write))
    }

    fn record(&self, namespace: &str, key: &str) -> Result<Option<Record>, StoreError> {
        self.guard(|db| self.record_in(db, namespace, key))
    }

    fn records(&self, namespace: &str, after: Option<&str>, limit: usize) -> Result<Vec<Record>, StoreError> {
        self.guard(|db| self.records_in(db, namespace, after, limit))
    }

    fn record_log(&self, namespace: &str, key: &str) -> Result<Vec<Value>, StoreError> {
        self.guard(|db| self.record_log_in(db, namespace, key))
    }
}

/// The record operations of [`Store`], each run under [`RedbStore::guard`].
impl RedbStore {
    fn put_record_in(
        &self,
        db: &redb::Database,
        namespace: &str,
        key: &str,
        write: RecordWrite<'_>,
    ) -> Result<u64, StoreError> {
        let mut values: Vec<&Value> = vec![write.value];
        values.extend(write.log.iter());
        check_record(namespace, key, &values)?;
        let text = codec::record_text(write.value)?;
        let log = write.log.iter().map(codec::record_text).collect::<Result<Vec<String>, StoreError>>()?;
        let id = codec::record_key(namespace, key);
        let txn = self.write(db)?;
        let version = {
            let mut records = open(&txn, schema::RECORDS)?;
            let actual = match records.get(id.as_slice()).map_err(store_error)? {
                Some(v) => codec::decode_record(v.value())?.0,
                None => 0,
            };
            let version = check_record_version(namespace, key, write.expected_version, actual)?;
            records.insert(id.as_slice(), codec::encode_record(version, &text).as_slice()).map_err(store_error)?;
            if !log.is_empty() {
                let mut table = open(&txn, schema::RECORD_LOG)?;
                let lo = codec::record_log_key(namespace, key, 0);
                let hi = codec::record_log_key(namespace, key, u64::MAX);
                let last = match table.range(lo.as_slice()..=hi.as_slice()).map_err(store_error)?.next_back() {
                    None => None,
                    Some(entry) => Some(codec::event_key_seq(entry.map_err(store_error)?.0.value())?),
                };
                let mut seq = match last {
                    None => 0,
                    Some(s) => s.checked_add(1).ok_or_else(|| log_full(key))?,
                };
                for entry in &log {
                    let k = codec::record_log_key(namespace, key, seq);
                    table.insert(k.as_slice(), entry.as_bytes()).map_err(store_error)?;
                    seq = seq.checked_add(1).ok_or_else(|| log_full(key))?;
                }
            }
            version
        };
        self.commit(txn)?;
        Ok(version)
    }

    fn record_in(&self, db: &redb::Database, namespace: &str, key: &str) -> Result<Option<Record>, StoreError> {
        let txn = db.begin_read().map_err(store_error)?;
        let t = txn.open_table(schema::RECORDS).map_err(store_error)?;
        let Some(v) = t.get(codec::record_key(namespace, key).as_slice()).map_err(store_error)? else {
            return Ok(None);
        };
        let (version, value) = codec::decode_record(v.value())?;
        Ok(Some(Record { key: key.to_owned(), value, version }))
    }

    fn records_in(
        &self,
        db: &redb::Database,
        namespace: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        check_record_limit(limit)?;
        let txn = db.begin_read().map_err(store_error)?;
        let t = txn.open_table(schema::RECORDS).map_err(store_error)?;
        let prefix = codec::prefixed(namespace);
        let start = match after {
            Some(a) => std::ops::Bound::Excluded(codec::record_key(namespace, a)),
            None => std::ops::Bound::Included(prefix.clone()),
        };
        let range = (start.as_ref().map(Vec::as_slice), std::ops::Bound::Unbounded);
        let mut out = Vec::with_capacity(limit.min(128));
        for entry in t.range::<&[u8]>(range).map_err(store_error)? {
            let (k, v) = entry.map_err(store_error)?;
            let Some(rest) = k.value().strip_prefix(prefix.as_slice()) else { break };
            let key = std::str::from_utf8(rest)
                .map_err(|_| StoreError::Corrupt("record key is not UTF-8".to_owned()))?
                .to_owned();
            let (version, value) = codec::decode_record(v.value())?;
            out.push(Record { key, value, version });
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    fn record_log_in(&self, db: &redb::Database, namespace: &str, key: &str) -> Result<Vec<Value>, StoreError> {
        let txn = db.begin_read().map_err(store_error)?;
        let t = txn.open_table(schema::RECORD_LOG).map_err(store_error)?;
        let lo = codec::record_log_key(namespace, key, 0);
        let hi = codec::record_log_key(namespace, key, u64::MAX);
        let mut out = Vec::new();
        for entry in t.range(lo.as_slice()..=hi.as_slice()).map_err(store_error)? {
            let (_, v) = entry.map_err(store_error)?;
            let text = std::str::from_utf8(v.value())
                .map_err(|_| StoreError::Corrupt("record log entry is not text".to_owned()))?;
            out.push(codec::parse_record_json(text)?);
        }
        Ok(out)
    }
}

/// The operations of [`Store`], each run under [`RedbStore::guard`].
impl RedbStore {
    fn create_decision_in(
        &self,
        db: &redb::Database,
        decision_id: &str,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Event>, StoreError> {
        if decision_id.is_empty() {
            return Err(StoreError::InvalidInput("decision id must not be empty".to_owned()));
        }
        let txn = self.write(db)?;
        let sealed = {
            let mut t = DecisionTables::open(&txn)?;
            if t.header(decision_id)?.is_some() {
                return Err(StoreError::DecisionExists(decision_id.to_owned()));
            }
            let created_at = if events.is_empty() { Some(self.clock.now().isoformat()) } else { None };
            let sealed = self.seal_all(decision_id, 0, events)?;
            let created_at = created_at.or_else(|| sealed.first().map(|e| e.ts.clone())).unwrap_or_default();
            let inserted = next_insert(&mut t.meta)?;
            let row = DecisionRow {
                order: order_key(&created_at),
                created_at,
                inserted,
                has_created: has_created(&sealed),
                labels: decision_labels(&sealed),
            };
            t.insert_header(decision_id, &row)?;
            insert_events(&mut t.events, decision_id, &sealed)?;
            sealed
        };
        self.commit(txn)?;
        Ok(sealed)
    }

    fn append_in(
        &self,
        db: &redb::Database,
        decision_id: &str,
        events: Vec<NewEvent>,
        expected_seq: Option<u64>,
    ) -> Result<Vec<Event>, StoreError> {
        let txn = self.write(db)?;
        let sealed = {
            let mut t = DecisionTables::open(&txn)?;
            let Some(row) = t.header(decision_id)? else {
                return Err(StoreError::DecisionNotFound(decision_id.to_owned()));
            };
            let next = next_seq(&t.events, decision_id)?;
            if let Some(expected) = expected_seq {
                if expected != next {
                    return Err(StoreError::SequenceConflict {
                        decision_id: decision_id.to_owned(),
                        expected,
                        actual: next,
                    });
                }
            }
            if events.is_empty() {
                return Ok(Vec::new());
            }
            let sealed = self.seal_all(decision_id, next, events)?;
            if !row.has_created && has_created(&sealed) {
                // The first DECISION_CREATED fixes the labels (as in `MemoryStore`).
                t.remove_header(decision_id, &row)?;
                let row = DecisionRow { has_created: true, labels: decision_labels(&sealed), ..row };
                t.insert_header(decision_id, &row)?;
            }
            insert_events(&mut t.events, decision_id, &sealed)?;
            sealed
        };
        self.commit(txn)?;
        Ok(sealed)
    }

    fn header_in(&self, db: &redb::Database, decision_id: &str) -> Result<Option<DecisionHeader>, StoreError> {
        let txn = db.begin_read().map_err(store_error)?;
        let t = txn.open_table(schema::DECISIONS).map_err(store_error)?;
        let Some(v) = t.get(decision_id.as_bytes()).map_err(store_error)? else { return Ok(None) };
        let row = DecisionRow::decode(v.value())?;
        Ok(Some(DecisionHeader { decision_id: decision_id.to_owned(), created_at: row.created_at }))
    }

    fn events_in(&self, db: &redb::Database, decision_id: &str) -> Result<Vec<Event>, StoreError> {
        let txn = db.begin_read().map_err(store_error)?;
        let headers = txn.open_table(schema::DECISIONS).map_err(store_error)?;
        if headers.get(decision_id.as_bytes()).map_err(store_error)?.is_none() {
            return Err(StoreError::DecisionNotFound(decision_id.to_owned()));
        }
        read_log(&txn, schema::DECISION_EVENTS, decision_id)
    }

    fn list_in(&self, db: &redb::Database, query: &ListQuery) -> Result<Vec<DecisionHeader>, StoreError> {
        query.validate()?;
        let txn = db.begin_read().map_err(store_error)?;
        let entries = match query.label_filter() {
            None => {
                page(txn.open_table(schema::DECISION_ORDER).map_err(store_error)?.iter().map_err(store_error)?, query)?
            }
            Some(label) => {
                let t = txn.open_table(schema::DECISION_LABELS).map_err(store_error)?;
                let (lo, hi) = codec::label_range(label);
                page(t.range(lo.as_slice()..=hi.as_slice()).map_err(store_error)?, query)?
            }
        };
        entries
            .iter()
            .map(|v| {
                codec::decode_listing(v).map(|(decision_id, created_at)| DecisionHeader { decision_id, created_at })
            })
            .collect()
    }

    fn count_in(&self, db: &redb::Database) -> Result<u64, StoreError> {
        let txn = db.begin_read().map_err(store_error)?;
        let t = txn.open_table(schema::DECISIONS).map_err(store_error)?;
        t.len().map_err(store_error)
    }

    fn delete_decision_in(&self, db: &redb::Database, decision_id: &str) -> Result<bool, StoreError> {
        let txn = self.write(db)?;
        {
            let mut t = DecisionTables::open(&txn)?;
            let Some(row) = t.header(decision_id)? else { return Ok(false) };
            t.remove_header(decision_id, &row)?;
            remove_log(&mut t.events, decision_id)?;
        }
        self.commit(txn)?;
        Ok(true)
    }

    fn import_in(&self, db: &redb::Database, batch: ImportBatch) -> Result<(), StoreError> {
        let events = batch.checked_events()?;
        let id = batch.decision_id.as_str();
        let rows = event_rows(id, &events)?;
        let txn = self.write(db)?;
        {
            let mut t = DecisionTables::open(&txn)?;
            let inserted = match t.header(id)? {
                Some(_) if !batch.overwrite => return Err(StoreError::DecisionExists(batch.decision_id)),
                Some(old) => {
                    t.remove_header(id, &old)?;
                    remove_log(&mut t.events, id)?;
                    old.inserted
                }
                None => next_insert(&mut t.meta)?,
            };
            let row = DecisionRow {
                order: order_key(&batch.created_at),
                created_at: batch.created_at.clone(),
                inserted,
                has_created: has_created(&events),
                labels: decision_labels(&events),
            };
            t.insert_header(id, &row)?;
            for (e, value) in events.iter().zip(&rows) {
                t.events.insert(codec::event_key(id, e.seq).as_slice(), value.as_slice()).map_err(store_error)?;
            }
        }
        self.commit(txn)
    }

    fn put_template_in(&self, db: &redb::Database, record: TemplateRecord, event: Event) -> Result<(), StoreError> {
        if record.name.is_empty() {
            return Err(StoreError::InvalidInput("template name must not be empty".to_owned()));
        }
        let name = record.name.as_str();
        let mut event = event;
        event.decision_id.clone_from(&record.name);
        event.seq = 0;
        let rows = event_rows(name, std::slice::from_ref(&event))?;
        let txn = self.write(db)?;
        {
            let mut templates = open(&txn, schema::TEMPLATES)?;
            if templates.get(name.as_bytes()).map_err(store_error)?.is_some() {
                return Err(StoreError::TemplateExists(record.name));
            }
            let mut meta = open(&txn, schema::META)?;
            let inserted = next_insert(&mut meta)?;
            let order = order_key(&record.created_at);
            let value = codec::encode_template(&record, order, inserted);
            templates.insert(name.as_bytes(), value.as_slice()).map_err(store_error)?;
            let mut by_order = open(&txn, schema::TEMPLATE_ORDER)?;
            by_order.insert(codec::order_suffix(order, inserted).as_slice(), name.as_bytes()).map_err(store_error)?;
            let mut by_label = open(&txn, schema::TEMPLATE_LABELS)?;
            for label in &record.labels {
                by_label
                    .insert(codec::label_key(label, order, inserted).as_slice(), name.as_bytes())
                    .map_err(store_error)?;
            }
            let mut log = open(&txn, schema::TEMPLATE_EVENTS)?;
            for (e, value) in std::slice::from_ref(&event).iter().zip(&rows) {
                log.insert(codec::event_key(name, e.seq).as_slice(), value.as_slice()).map_err(store_error)?;
            }
        }
        self.commit(txn)
    }

    fn template_in(&self, db: &redb::Database, name: &str) -> Result<Option<TemplateRecord>, StoreError> {
        let txn = db.begin_read().map_err(store_error)?;
        let t = txn.open_table(schema::TEMPLATES).map_err(store_error)?;
        let found = t.get(name.as_bytes()).map_err(store_error)?;
        found.map(|v| codec::decode_template(name, v.value())).transpose()
    }

    fn list_templates_in(&self, db: &redb::Database, query: &ListQuery) -> Result<Vec<TemplateRecord>, StoreError> {
        query.validate()?;
        let txn = db.begin_read().map_err(store_error)?;
        let names = match query.label_filter() {
            None => {
                page(txn.open_table(schema::TEMPLATE_ORDER).map_err(store_error)?.iter().map_err(store_error)?, query)?
            }
            Some(label) => {
                let t = txn.open_table(schema::TEMPLATE_LABELS).map_err(store_error)?;
                let (lo, hi) = codec::label_range(label);
                page(t.range(lo.as_slice()..=hi.as_slice()).map_err(store_error)?, query)?
            }
        };
        let templates = txn.open_table(schema::TEMPLATES).map_err(store_error)?;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let name = codec::decode_name(&name)?;
            let Some(v) = templates.get(name.as_bytes()).map_err(store_error)? else {
                return Err(StoreError::Corrupt(format!("template index names `{name}`, which has no record")));
            };
            out.push(codec::decode_template(&name, v.value())?);
        }
        Ok(out)
    }

    fn template_events_in(&self, db: &redb::Database, name: &str) -> Result<Vec<Event>, StoreError> {
        let txn = db.begin_read().map_err(store_error)?;
        let templates = txn.open_table(schema::TEMPLATES).map_err(store_error)?;
        if templates.get(name.as_bytes()).map_err(store_error)?.is_none() {
            return Err(StoreError::TemplateNotFound(name.to_owned()));
        }
        read_log(&txn, schema::TEMPLATE_EVENTS, name)
    }
}

/// The error for a panic of redb (it assumes well-formed files).
fn engine_panic(path: &Path, panic: &(dyn Any + Send)) -> StoreError {
    let msg = panic.downcast_ref::<&str>().copied().or_else(|| panic.downcast_ref::<String>().map(String::as_str));
    StoreError::Corrupt(format!(
        "`{}`: the storage engine failed on damaged data ({})",
        path.display(),
        msg.unwrap_or("no message")
    ))
}

fn has_created(events: &[Event]) -> bool {
    events.iter().any(|e| e.event_type == "DECISION_CREATED")
}
