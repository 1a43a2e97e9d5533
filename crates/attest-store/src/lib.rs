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
    decision_labels, order_key, DecisionHeader, Durability, ImportBatch, ListQuery, TemplateRecord, MAX_LIST_LIMIT,
};

use attest_events::{Event, NewEvent};

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
}

impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
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
}
