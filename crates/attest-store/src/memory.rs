//! The in-memory store: the reference semantics of the trait, for tests and embedding.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use attest_events::{Clock, Event, NewEvent, SystemClock, Value};

use crate::error::StoreError;
use crate::types::{
    check_record, check_record_limit, check_record_version, decision_labels, order_key, DecisionHeader, ImportBatch,
    ListQuery, Record, RecordWrite, TemplateRecord,
};
use crate::Store;

#[derive(Debug)]
struct DecisionRow {
    created_at: String,
    order: i64,
    inserted: u64,
    labels: Vec<String>,
    events: Vec<Event>,
}

#[derive(Debug)]
struct TemplateRow {
    record: TemplateRecord,
    order: i64,
    inserted: u64,
    events: Vec<Event>,
}

#[derive(Debug, Default)]
struct Inner {
    decisions: BTreeMap<String, DecisionRow>,
    templates: BTreeMap<String, TemplateRow>,
    next_insert: u64,
    /// (namespace, key) → (value, version, log).
    records: BTreeMap<(String, String), (Value, u64, Vec<Value>)>,
}

/// A store that keeps everything in memory behind one mutex. Not durable.
pub struct MemoryStore {
    inner: Mutex<Inner>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> MemoryStore {
        MemoryStore::with_clock(Arc::new(SystemClock))
    }

    /// An empty store reading event timestamps from `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> MemoryStore {
        MemoryStore { inner: Mutex::new(Inner::default()), clock }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied write: every write
        // is prepared first and then applied with infallible moves.
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn seal_all(&self, decision_id: &str, first_seq: u64, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::with_capacity(events.len());
        for (i, e) in events.into_iter().enumerate() {
            out.push(e.seal(decision_id, first_seq + i as u64, self.clock.now())?);
        }
        Ok(out)
    }
}

fn page<T: Clone>(mut rows: Vec<(i64, u64, T)>, q: &ListQuery) -> Vec<T> {
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    rows.into_iter().skip(q.offset).take(q.limit).map(|r| r.2).collect()
}

impl Store for MemoryStore {
    fn create_decision(&self, decision_id: &str, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError> {
        if decision_id.is_empty() {
            return Err(StoreError::InvalidInput("decision id must not be empty".to_owned()));
        }
        let mut inner = self.lock();
        if inner.decisions.contains_key(decision_id) {
            return Err(StoreError::DecisionExists(decision_id.to_owned()));
        }
        let created_at = if events.is_empty() { Some(self.clock.now().isoformat()) } else { None };
        let sealed = self.seal_all(decision_id, 0, events)?;
        let created_at = created_at.or_else(|| sealed.first().map(|e| e.ts.clone())).unwrap_or_default();
        let inserted = inner.next_insert;
        inner.next_insert += 1;
        inner.decisions.insert(
            decision_id.to_owned(),
            DecisionRow {
                order: order_key(&created_at),
                created_at,
                inserted,
                labels: decision_labels(&sealed),
                events: sealed.clone(),
            },
        );
        Ok(sealed)
    }

    fn append(
        &self,
        decision_id: &str,
        events: Vec<NewEvent>,
        expected_seq: Option<u64>,
    ) -> Result<Vec<Event>, StoreError> {
        let mut inner = self.lock();
        let Some(row) = inner.decisions.get(decision_id) else {
            return Err(StoreError::DecisionNotFound(decision_id.to_owned()));
        };
        let next = row.events.len() as u64;
        if let Some(expected) = expected_seq {
            if expected != next {
                return Err(StoreError::SequenceConflict {
                    decision_id: decision_id.to_owned(),
                    expected,
                    actual: next,
                });
            }
        }
        let sealed = self.seal_all(decision_id, next, events)?;
        if let Some(row) = inner.decisions.get_mut(decision_id) {
            if row.labels.is_empty() && row.events.iter().all(|e| e.event_type != "DECISION_CREATED") {
                row.labels = decision_labels(&sealed);
            }
            row.events.extend(sealed.iter().cloned());
        }
        Ok(sealed)
    }

    fn header(&self, decision_id: &str) -> Result<Option<DecisionHeader>, StoreError> {
        Ok(self
            .lock()
            .decisions
            .get(decision_id)
            .map(|r| DecisionHeader { decision_id: decision_id.to_owned(), created_at: r.created_at.clone() }))
    }

    fn events(&self, decision_id: &str) -> Result<Vec<Event>, StoreError> {
        self.lock()
            .decisions
            .get(decision_id)
            .map(|r| r.events.clone())
            .ok_or_else(|| StoreError::DecisionNotFound(decision_id.to_owned()))
    }

    fn list(&self, query: &ListQuery) -> Result<Vec<DecisionHeader>, StoreError> {
        query.validate()?;
        let inner = self.lock();
        let label = query.label_filter();
        let rows = inner
            .decisions
            .iter()
            .filter(|(_, r)| label.is_none_or(|l| r.labels.iter().any(|x| x == l)))
            .map(|(id, r)| {
                (r.order, r.inserted, DecisionHeader { decision_id: id.clone(), created_at: r.created_at.clone() })
            })
            .collect();
        Ok(page(rows, query))
    }

    fn count(&self) -> Result<u64, StoreError> {
        Ok(self.lock().decisions.len() as u64)
    }

    fn delete_decision(&self, decision_id: &str) -> Result<bool, StoreError> {
        Ok(self.lock().decisions.remove(decision_id).is_some())
    }

    fn import(&self, batch: ImportBatch) -> Result<(), StoreError> {
        let events = batch.checked_events()?;
        let mut inner = self.lock();
        let existing = inner.decisions.get(&batch.decision_id).map(|r| r.inserted);
        if existing.is_some() && !batch.overwrite {
            return Err(StoreError::DecisionExists(batch.decision_id));
        }
        let inserted = match existing {
            Some(i) => i,
            None => {
                let i = inner.next_insert;
                inner.next_insert += 1;
                i
            }
        };
        inner.decisions.insert(
            batch.decision_id,
            DecisionRow {
                order: order_key(&batch.created_at),
                created_at: batch.created_at,
                inserted,
                labels: decision_labels(&events),
                events,
            },
        );
        Ok(())
    }

    fn put_template(&self, record: TemplateRecord, event: Event) -> Result<(), StoreError> {
        if record.name.is_empty() {
            return Err(StoreError::InvalidInput("template name must not be empty".to_owned()));
        }
        let mut inner = self.lock();
        if inner.templates.contains_key(&record.name) {
            return Err(StoreError::TemplateExists(record.name));
        }
        let inserted = inner.next_insert;
        inner.next_insert += 1;
        let mut event = event;
        event.decision_id.clone_from(&record.name);
        event.seq = 0;
        inner.templates.insert(
            record.name.clone(),
            TemplateRow { order: order_key(&record.created_at), record, inserted, events: vec![event] },
        );
        Ok(())
    }

    fn template(&self, name: &str) -> Result<Option<TemplateRecord>, StoreError> {
        Ok(self.lock().templates.get(name).map(|t| t.record.clone()))
    }

    fn list_templates(&self, query: &ListQuery) -> Result<Vec<TemplateRecord>, StoreError> {
        query.validate()?;
        let inner = self.lock();
        let label = query.label_filter();
        let rows = inner
            .templates
            .values()
            .filter(|t| label.is_none_or(|l| t.record.has_label(l)))
            .map(|t| (t.order, t.inserted, t.record.clone()))
            .collect();
        Ok(page(rows, query))
    }

    fn template_events(&self, name: &str) -> Result<Vec<Event>, StoreError> {
        self.lock()
            .templates
            .get(name)
            .map(|t| t.events.clone())
            .ok_or_else(|| StoreError::TemplateNotFound(name.to_owned()))
    }

    fn put_record(&self, namespace: &str, key: &str, write: RecordWrite<'_>) -> Result<u64, StoreError> {
        let mut values: Vec<&Value> = vec![write.value];
        values.extend(write.log.iter());
        check_record(namespace, key, &values)?;
        let mut inner = self.lock();
        let id = (namespace.to_owned(), key.to_owned());
        let actual = inner.records.get(&id).map_or(0, |r| r.1);
        let version = check_record_version(namespace, key, write.expected_version, actual)?;
        let entry = inner.records.entry(id).or_insert_with(|| (Value::Null, 0, Vec::new()));
        entry.0 = write.value.clone();
        entry.1 = version;
        entry.2.extend(write.log.iter().cloned());
        Ok(version)
    }

    fn record(&self, namespace: &str, key: &str) -> Result<Option<Record>, StoreError> {
        let inner = self.lock();
        Ok(inner.records.get(&(namespace.to_owned(), key.to_owned())).map(|(value, version, _)| Record {
            key: key.to_owned(),
            value: value.clone(),
            version: *version,
        }))
    }

    fn records(&self, namespace: &str, after: Option<&str>, limit: usize) -> Result<Vec<Record>, StoreError> {
        check_record_limit(limit)?;
        let inner = self.lock();
        let start = (namespace.to_owned(), after.unwrap_or_default().to_owned());
        Ok(inner
            .records
            .range(start..)
            .take_while(|((ns, _), _)| ns == namespace)
            .filter(|((_, k), _)| after.is_none_or(|a| k.as_str() > a))
            .take(limit)
            .map(|((_, k), (value, version, _))| Record { key: k.clone(), value: value.clone(), version: *version })
            .collect())
    }

    fn record_log(&self, namespace: &str, key: &str) -> Result<Vec<Value>, StoreError> {
        let inner = self.lock();
        Ok(inner.records.get(&(namespace.to_owned(), key.to_owned())).map(|r| r.2.clone()).unwrap_or_default())
    }
}
