//! The tables of a store file, its schema version, and how a file is recognised.
//!
//! Every table maps `&[u8]` to `&[u8]` in the encodings of [`crate::codec`]; the layout is
//! described in the crate README.

use attest_store::StoreError;
use redb::{ReadTransaction, TableDefinition, TableHandle, WriteTransaction};

use crate::redb_error::store_error;

/// A table of the store.
pub(crate) type Def = TableDefinition<'static, &'static [u8], &'static [u8]>;

/// `schema_version`, `next_insert` and `format`.
pub(crate) const META: Def = TableDefinition::new("nexus_attest.meta");
/// Decision id → header row.
pub(crate) const DECISIONS: Def = TableDefinition::new("nexus_attest.decisions");
/// (decision id, seq) → event row.
pub(crate) const DECISION_EVENTS: Def = TableDefinition::new("nexus_attest.decision_events");
/// (descending order key, insertion counter) → (decision id, created_at).
pub(crate) const DECISION_ORDER: Def = TableDefinition::new("nexus_attest.decision_order");
/// (label, descending order key, insertion counter) → (decision id, created_at).
pub(crate) const DECISION_LABELS: Def = TableDefinition::new("nexus_attest.decision_labels");
/// Template name → template row.
pub(crate) const TEMPLATES: Def = TableDefinition::new("nexus_attest.templates");
/// (template name, seq) → event row.
pub(crate) const TEMPLATE_EVENTS: Def = TableDefinition::new("nexus_attest.template_events");
/// (descending order key, insertion counter) → template name.
pub(crate) const TEMPLATE_ORDER: Def = TableDefinition::new("nexus_attest.template_order");
/// (label, descending order key, insertion counter) → template name.
pub(crate) const TEMPLATE_LABELS: Def = TableDefinition::new("nexus_attest.template_labels");

/// (length-prefixed namespace, key bytes) → (version u64 little-endian, value JSON text).
/// Added after schema version 1 without a bump: not in the tables [`inspect`] requires,
/// created when a store is opened ([`ensure_records`]); a build that does not know it
/// ignores it.
pub(crate) const RECORDS: Def = TableDefinition::new("nexus_attest.records");
/// (length-prefixed namespace, length-prefixed key, seq u64 big-endian) → JSON text.
pub(crate) const RECORD_LOG: Def = TableDefinition::new("nexus_attest.record_log");

const ALL: [Def; 9] = [
    META,
    DECISIONS,
    DECISION_EVENTS,
    DECISION_ORDER,
    DECISION_LABELS,
    TEMPLATES,
    TEMPLATE_EVENTS,
    TEMPLATE_ORDER,
    TEMPLATE_LABELS,
];

/// The schema version this build writes and the highest it reads.
pub(crate) const SCHEMA_VERSION: u64 = 1;
/// Metadata key of the schema version (u64, little-endian).
pub(crate) const KEY_SCHEMA_VERSION: &[u8] = b"schema_version";
/// Metadata key of the next insertion counter (u64, little-endian).
pub(crate) const KEY_NEXT_INSERT: &[u8] = b"next_insert";
/// Metadata key of the format marker.
const KEY_FORMAT: &[u8] = b"format";
const FORMAT: &[u8] = b"nexus-attest store";

/// What a redb database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// No tables at all: a new file, to be initialised.
    Empty,
    /// A store of a schema version this build reads.
    Store,
}

/// Recognise the database behind `txn`: empty, one of our stores, or an error
/// ([`StoreError::NotAStore`] for another program's tables, [`StoreError::SchemaTooNew`],
/// [`StoreError::Corrupt`] for a store with missing parts).
pub(crate) fn inspect(txn: &ReadTransaction) -> Result<Layout, StoreError> {
    let names: Vec<String> = txn.list_tables().map_err(store_error)?.map(|t| t.name().to_owned()).collect();
    let multimaps = txn.list_multimap_tables().map_err(store_error)?.count();
    if names.is_empty() && multimaps == 0 {
        return Ok(Layout::Empty);
    }
    if !names.iter().any(|n| n == META.name()) {
        return Err(StoreError::NotAStore("the redb database holds tables of another program".to_owned()));
    }
    let meta = txn.open_table(META).map_err(store_error)?;
    let format = meta.get(KEY_FORMAT).map_err(store_error)?;
    if format.as_ref().map(|f| f.value()) != Some(FORMAT) {
        return Err(StoreError::NotAStore("the redb database has no nexus-attest format marker".to_owned()));
    }
    let version = match meta.get(KEY_SCHEMA_VERSION).map_err(store_error)? {
        Some(v) => crate::codec::meta_u64(v.value(), "schema_version")?,
        None => return Err(StoreError::Corrupt("the store has no schema version".to_owned())),
    };
    if version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: i64::try_from(version).unwrap_or(i64::MAX),
            supported: SCHEMA_VERSION as i64,
        });
    }
    if version == 0 {
        return Err(StoreError::Corrupt("the store has schema version 0".to_owned()));
    }
    if let Some(missing) = ALL.iter().find(|d| !names.iter().any(|n| n == d.name())) {
        return Err(StoreError::Corrupt(format!("table `{}` is missing", missing.name())));
    }
    Ok(Layout::Store)
}

/// Whether the record tables exist.
pub(crate) fn has_records(txn: &ReadTransaction) -> Result<bool, StoreError> {
    let names: Vec<String> = txn.list_tables().map_err(store_error)?.map(|t| t.name().to_owned()).collect();
    Ok([RECORDS, RECORD_LOG].iter().all(|d| names.iter().any(|n| n == d.name())))
}

/// Create the record tables when missing (inside `txn`, not committed).
pub(crate) fn ensure_records(txn: &WriteTransaction) -> Result<(), StoreError> {
    for def in [RECORDS, RECORD_LOG] {
        txn.open_table(def).map_err(store_error)?;
    }
    Ok(())
}

/// Create every table and the metadata of a new store (inside `txn`, not committed).
pub(crate) fn init(txn: &WriteTransaction) -> Result<(), StoreError> {
    for def in ALL {
        txn.open_table(def).map_err(store_error)?;
    }
    ensure_records(txn)?;
    let mut meta = txn.open_table(META).map_err(store_error)?;
    meta.insert(KEY_FORMAT, FORMAT).map_err(store_error)?;
    meta.insert(KEY_SCHEMA_VERSION, SCHEMA_VERSION.to_le_bytes().as_slice()).map_err(store_error)?;
    meta.insert(KEY_NEXT_INSERT, 0u64.to_le_bytes().as_slice()).map_err(store_error)?;
    Ok(())
}
