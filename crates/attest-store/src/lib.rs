#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod memory;
mod types;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::StoreError;
pub use memory::MemoryStore;
pub use types::{
    check_record, check_record_limit, check_record_version, decision_labels, order_key, DecisionHeader, Durability,
    ImportBatch, ListQuery, Record, RecordWrite, TemplateRecord, MAX_LIST_LIMIT,
};

use attest_events::{Event, NewEvent, Value};

/// The storage every Nexus Attest backend provides.
///
/// The event log is the only truth: headers and events are appended, never edited
/// (import may replace a whole decision atomically). Every method is atomic on its own;
/// implementations are `Send + Sync` and safe to share between threads (and, for file
/// backends that say so, between processes).
///
/// Timestamps of appended events are read from the store's clock inside the write
/// transaction, one reading per event, so `ts` order equals `seq` order.
pub trait Store: Send + Sync {
    /// Create decision `decision_id` with its first events (seq 0, 1, ...) in one atomic
    /// write. The header's `created_at` is the first event's timestamp (a fresh clock
    /// reading when `events` is empty).
    ///
    /// Errors: [`StoreError::DecisionExists`] when the id is taken (nothing is written);
    /// [`StoreError::InvalidInput`] for an empty id.
    fn create_decision(&self, decision_id: &str, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError>;

    /// Append events to an existing decision in one atomic write: the first gets the next
    /// sequence number (highest + 1, or 0), the rest follow. Two writers can never claim
    /// the same seq. With `expected_seq = Some(n)` the append happens only if the next seq
    /// is still `n` (compare-and-append), else [`StoreError::SequenceConflict`] and nothing
    /// is written.
    ///
    /// Errors: [`StoreError::DecisionNotFound`] without a header.
    fn append(
        &self,
        decision_id: &str,
        events: Vec<NewEvent>,
        expected_seq: Option<u64>,
    ) -> Result<Vec<Event>, StoreError>;

    /// The header of a decision, if it exists.
    fn header(&self, decision_id: &str) -> Result<Option<DecisionHeader>, StoreError>;

    /// All events of a decision in ascending seq, exactly as stored.
    ///
    /// Errors: [`StoreError::DecisionNotFound`] without a header.
    fn events(&self, decision_id: &str) -> Result<Vec<Event>, StoreError>;

    /// Decisions, newest first by the parsed instant of `created_at` (ties: insertion
    /// order, oldest first), optionally only those whose `DECISION_CREATED` labels contain
    /// `query.label` exactly, then `offset`/`limit`.
    fn list(&self, query: &ListQuery) -> Result<Vec<DecisionHeader>, StoreError>;

    /// Number of decisions.
    fn count(&self) -> Result<u64, StoreError>;

    /// Remove a decision and all its events; whether it existed.
    fn delete_decision(&self, decision_id: &str) -> Result<bool, StoreError>;

    /// Write a whole decision verbatim (header `created_at` text and events with their
    /// stored seq, type, ts, actor, payload and digest), all or nothing. An existing
    /// decision is replaced only with `overwrite`; otherwise
    /// [`StoreError::DecisionExists`]. Event seqs must be 0, 1, 2, ...
    /// ([`StoreError::InvalidInput`] otherwise); each event's `decision_id` is replaced by
    /// the batch's.
    fn import(&self, batch: ImportBatch) -> Result<(), StoreError>;

    /// Store a template and its creation event (seq 0, `TEMPLATE_CREATED`) once.
    ///
    /// Errors: [`StoreError::TemplateExists`] when the name (case-sensitive) is taken.
    fn put_template(&self, record: TemplateRecord, event: Event) -> Result<(), StoreError>;

    /// A template by exact name.
    fn template(&self, name: &str) -> Result<Option<TemplateRecord>, StoreError>;

    /// Templates, newest first as [`Store::list`] orders decisions, optionally only those
    /// whose labels contain `query.label` exactly (no wildcard characters).
    fn list_templates(&self, query: &ListQuery) -> Result<Vec<TemplateRecord>, StoreError>;

    /// The log of a template.
    ///
    /// Errors: [`StoreError::TemplateNotFound`] when it does not exist.
    fn template_events(&self, name: &str) -> Result<Vec<Event>, StoreError>;

    /// Write record `namespace`/`key` and append `write.log` to its append-only log, all
    /// in one atomic write; returns the new version (1 for a new record, stored + 1
    /// otherwise). With `write.expected_version = Some(n)` the write happens only if the
    /// stored version is `n` (0: no record), else [`StoreError::RecordConflict`] and
    /// nothing is written. Two writers can never both succeed from the same version.
    ///
    /// Records live beside decisions and templates and are outside every digest.
    /// Errors: [`StoreError::InvalidInput`] for an empty namespace or key or a value that
    /// cannot be stored; [`StoreError::Unsupported`] from a store without records (the
    /// default body; every backend of this workspace overrides it).
    fn put_record(&self, namespace: &str, key: &str, write: RecordWrite<'_>) -> Result<u64, StoreError> {
        let _ = (namespace, key, write);
        Err(StoreError::Unsupported("records".to_owned()))
    }

    /// Record `namespace`/`key` with its version, if it exists.
    fn record(&self, namespace: &str, key: &str) -> Result<Option<Record>, StoreError> {
        let _ = (namespace, key);
        Err(StoreError::Unsupported("records".to_owned()))
    }

    /// Up to `limit` (1..=[`MAX_LIST_LIMIT`]) records of `namespace` in ascending key
    /// order (bytes of the UTF-8 key), starting after the key `after` when given; page
    /// by passing the last key returned.
    fn records(&self, namespace: &str, after: Option<&str>, limit: usize) -> Result<Vec<Record>, StoreError> {
        let _ = (namespace, after, limit);
        Err(StoreError::Unsupported("records".to_owned()))
    }

    /// The log of record `namespace`/`key` in append order (empty when there is none).
    /// Log entries are never changed or removed.
    fn record_log(&self, namespace: &str, key: &str) -> Result<Vec<Value>, StoreError> {
        let _ = (namespace, key);
        Err(StoreError::Unsupported("records".to_owned()))
    }
}

/// Forwards every [`Store`] method through a pointer to a store.
macro_rules! forward_store {
    ($ty:ty) => {
        impl<S: Store + ?Sized> Store for $ty {
            fn create_decision(&self, decision_id: &str, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError> {
                (**self).create_decision(decision_id, events)
            }
            fn append(
                &self,
                decision_id: &str,
                events: Vec<NewEvent>,
                expected_seq: Option<u64>,
            ) -> Result<Vec<Event>, StoreError> {
                (**self).append(decision_id, events, expected_seq)
            }
            fn header(&self, decision_id: &str) -> Result<Option<DecisionHeader>, StoreError> {
                (**self).header(decision_id)
            }
            fn events(&self, decision_id: &str) -> Result<Vec<Event>, StoreError> {
                (**self).events(decision_id)
            }
            fn list(&self, query: &ListQuery) -> Result<Vec<DecisionHeader>, StoreError> {
                (**self).list(query)
            }
            fn count(&self) -> Result<u64, StoreError> {
                (**self).count()
            }
            fn delete_decision(&self, decision_id: &str) -> Result<bool, StoreError> {
                (**self).delete_decision(decision_id)
            }
            fn import(&self, batch: ImportBatch) -> Result<(), StoreError> {
                (**self).import(batch)
            }
            fn put_template(&self, record: TemplateRecord, event: Event) -> Result<(), StoreError> {
                (**self).put_template(record, event)
            }
            fn template(&self, name: &str) -> Result<Option<TemplateRecord>, StoreError> {
                (**self).template(name)
            }
            fn list_templates(&self, query: &ListQuery) -> Result<Vec<TemplateRecord>, StoreError> {
                (**self).list_templates(query)
            }
            fn template_events(&self, name: &str) -> Result<Vec<Event>, StoreError> {
                (**self).template_events(name)
            }
            fn put_record(&self, namespace: &str, key: &str, write: RecordWrite<'_>) -> Result<u64, StoreError> {
                (**self).put_record(namespace, key, write)
            }
            fn record(&self, namespace: &str, key: &str) -> Result<Option<Record>, StoreError> {
                (**self).record(namespace, key)
            }
            fn records(&self, namespace: &str, after: Option<&str>, limit: usize) -> Result<Vec<Record>, StoreError> {
                (**self).records(namespace, after, limit)
            }
            fn record_log(&self, namespace: &str, key: &str) -> Result<Vec<Value>, StoreError> {
                (**self).record_log(namespace, key)
            }
        }
    };
}

forward_store!(std::sync::Arc<S>);
forward_store!(&S);
