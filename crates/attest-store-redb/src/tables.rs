//! The table-level steps of the store's operations: the decision tables of one write
//! transaction with their index upkeep, seq and insertion counters, log reads and pages.

use attest_events::Event;
use attest_store::{ListQuery, StoreError};
use redb::{AccessGuard, ReadTransaction, ReadableTable, StorageError, Table, WriteTransaction};

use crate::codec::{self, DecisionRow};
use crate::redb_error::store_error;
use crate::schema::{self, Def};

pub(crate) type RwTable<'t> = Table<'t, &'static [u8], &'static [u8]>;
pub(crate) type Entry<'a> = Result<(AccessGuard<'a, &'static [u8]>, AccessGuard<'a, &'static [u8]>), StorageError>;

/// The decision tables of one write transaction.
pub(crate) struct DecisionTables<'t> {
    pub(crate) meta: RwTable<'t>,
    headers: RwTable<'t>,
    pub(crate) events: RwTable<'t>,
    order: RwTable<'t>,
    labels: RwTable<'t>,
}

impl<'t> DecisionTables<'t> {
    pub(crate) fn open(txn: &'t WriteTransaction) -> Result<DecisionTables<'t>, StoreError> {
        Ok(DecisionTables {
            meta: open(txn, schema::META)?,
            headers: open(txn, schema::DECISIONS)?,
            events: open(txn, schema::DECISION_EVENTS)?,
            order: open(txn, schema::DECISION_ORDER)?,
            labels: open(txn, schema::DECISION_LABELS)?,
        })
    }

    pub(crate) fn header(&self, id: &str) -> Result<Option<DecisionRow>, StoreError> {
        let found = self.headers.get(id.as_bytes()).map_err(store_error)?;
        found.map(|v| DecisionRow::decode(v.value())).transpose()
    }

    /// Write the header row and its order and label index entries.
    pub(crate) fn insert_header(&mut self, id: &str, row: &DecisionRow) -> Result<(), StoreError> {
        self.headers.insert(id.as_bytes(), row.encode().as_slice()).map_err(store_error)?;
        let listing = codec::encode_listing(id, &row.created_at);
        self.order
            .insert(codec::order_suffix(row.order, row.inserted).as_slice(), listing.as_slice())
            .map_err(store_error)?;
        for label in &row.labels {
            self.labels
                .insert(codec::label_key(label, row.order, row.inserted).as_slice(), listing.as_slice())
                .map_err(store_error)?;
        }
        Ok(())
    }

    /// Remove the header row and its index entries (not the events).
    pub(crate) fn remove_header(&mut self, id: &str, row: &DecisionRow) -> Result<(), StoreError> {
        self.headers.remove(id.as_bytes()).map_err(store_error)?;
        self.order.remove(codec::order_suffix(row.order, row.inserted).as_slice()).map_err(store_error)?;
        for label in &row.labels {
            self.labels.remove(codec::label_key(label, row.order, row.inserted).as_slice()).map_err(store_error)?;
        }
        Ok(())
    }
}

pub(crate) fn open<'t>(txn: &'t WriteTransaction, def: Def) -> Result<RwTable<'t>, StoreError> {
    txn.open_table(def).map_err(store_error)
}

/// Take the next insertion counter from the metadata table.
pub(crate) fn next_insert(meta: &mut RwTable<'_>) -> Result<u64, StoreError> {
    let current = match meta.get(schema::KEY_NEXT_INSERT).map_err(store_error)? {
        Some(v) => codec::meta_u64(v.value(), "next_insert")?,
        None => return Err(StoreError::Corrupt("the store has no insertion counter".to_owned())),
    };
    let next =
        current.checked_add(1).ok_or_else(|| StoreError::Corrupt("the insertion counter overflowed".to_owned()))?;
    meta.insert(schema::KEY_NEXT_INSERT, next.to_le_bytes().as_slice()).map_err(store_error)?;
    Ok(current)
}

/// The seq the next event of `id` gets: the highest stored + 1, or 0.
pub(crate) fn next_seq(events: &RwTable<'_>, id: &str) -> Result<u64, StoreError> {
    let (lo, hi) = codec::event_range(id);
    let last = events.range(lo.as_slice()..=hi.as_slice()).map_err(store_error)?.next_back();
    match last {
        None => Ok(0),
        Some(entry) => {
            let (k, _) = entry.map_err(store_error)?;
            codec::event_key_seq(k.value())?.checked_add(1).ok_or_else(|| log_full(id))
        }
    }
}

pub(crate) fn insert_events(table: &mut RwTable<'_>, id: &str, events: &[Event]) -> Result<(), StoreError> {
    for e in events {
        let payload = codec::payload_text(id, e.seq, &e.payload)?;
        table
            .insert(codec::event_key(id, e.seq).as_slice(), codec::encode_event(e, &payload).as_slice())
            .map_err(store_error)?;
    }
    Ok(())
}

/// The encoded rows of `events`, made before any transaction starts (they may be refused).
pub(crate) fn event_rows(owner: &str, events: &[Event]) -> Result<Vec<Vec<u8>>, StoreError> {
    events.iter().map(|e| codec::payload_text(owner, e.seq, &e.payload).map(|p| codec::encode_event(e, &p))).collect()
}

pub(crate) fn remove_log(table: &mut RwTable<'_>, id: &str) -> Result<(), StoreError> {
    let (lo, hi) = codec::event_range(id);
    table.retain_in(lo.as_slice()..=hi.as_slice(), |_, _| false).map_err(store_error)
}

/// Every event of log `owner` in `def`, ascending seq.
pub(crate) fn read_log(txn: &ReadTransaction, def: Def, owner: &str) -> Result<Vec<Event>, StoreError> {
    let t = txn.open_table(def).map_err(store_error)?;
    let (lo, hi) = codec::event_range(owner);
    let mut range = t.range(lo.as_slice()..=hi.as_slice()).map_err(store_error)?;
    // Size the result from the last seq (seqs are contiguous from 0), bounded in case the
    // stored key is damaged.
    let capacity = match range.next_back() {
        Some(last) => codec::event_key_seq(last.map_err(store_error)?.0.value())?.saturating_add(1).min(1 << 20),
        None => return Ok(Vec::new()),
    };
    drop(range);
    let mut out = Vec::with_capacity(capacity as usize);
    for entry in t.range(lo.as_slice()..=hi.as_slice()).map_err(store_error)? {
        let (k, v) = entry.map_err(store_error)?;
        out.push(codec::decode_event(owner, codec::event_key_seq(k.value())?, v.value())?);
    }
    Ok(out)
}

/// The values of the index entries `query` selects.
pub(crate) fn page<'a>(
    entries: impl Iterator<Item = Entry<'a>>,
    query: &ListQuery,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut out = Vec::with_capacity(query.limit.min(128));
    for entry in entries.skip(query.offset).take(query.limit) {
        let (_, v) = entry.map_err(store_error)?;
        out.push(v.value().to_vec());
    }
    Ok(out)
}

/// The error for a log whose seqs ran out.
pub(crate) fn log_full(id: &str) -> StoreError {
    StoreError::InvalidInput(format!("the log of `{id}` has no sequence numbers left"))
}
