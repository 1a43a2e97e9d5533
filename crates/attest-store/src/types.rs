//! Records and queries shared by every backend.

use attest_events::{Actor, Event, Map, Timestamp, Value};

use crate::error::StoreError;

/// The largest `limit` a listing accepts.
pub const MAX_LIST_LIMIT: usize = 1000;

/// A decision header: the id and the creation time text as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionHeader {
    /// The decision id.
    pub decision_id: String,
    /// The creation time as stored (isoformat when written here; the bundle's spelling
    /// when imported). Outside every digest.
    pub created_at: String,
}

/// Paging and filtering of listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// At most this many rows, 1..=[`MAX_LIST_LIMIT`].
    pub limit: usize,
    /// Skip this many rows first.
    pub offset: usize,
    /// Only rows whose label list contains exactly this string (case-sensitive; `%`, `_`
    /// and `\` are ordinary characters). `None` or empty: no filter.
    pub label: Option<String>,
}

impl Default for ListQuery {
    fn default() -> ListQuery {
        ListQuery { limit: 100, offset: 0, label: None }
    }
}

impl ListQuery {
    /// The first `limit` rows.
    pub fn first(limit: usize) -> ListQuery {
        ListQuery { limit, ..ListQuery::default() }
    }

    /// Check the bounds: `1 <= limit <= 1000`.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.limit == 0 || self.limit > MAX_LIST_LIMIT {
            return Err(StoreError::InvalidInput(format!(
                "limit must be between 1 and {MAX_LIST_LIMIT}, got {}",
                self.limit
            )));
        }
        Ok(())
    }

    /// The label filter, `None` when absent or empty.
    pub fn label_filter(&self) -> Option<&str> {
        self.label.as_deref().filter(|l| !l.is_empty())
    }
}

/// The sort key of a `created_at` text: microseconds since the epoch of the parsed instant
/// (a value without offset is read as UTC); `i64::MIN` for text that does not parse, so
/// it lists last. Listings sort by this key descending, then by insertion order.
pub fn order_key(created_at: &str) -> i64 {
    match Timestamp::parse_isoformat(created_at) {
        Ok(t) => match t.unix_micros() {
            Some(m) => m,
            None => {
                // naive: read the wall time as UTC
                let utc = format!("{}+00:00", t.isoformat());
                Timestamp::parse_isoformat(&utc).ok().and_then(|u| u.unix_micros()).unwrap_or(i64::MIN)
            }
        },
        Err(_) => i64::MIN,
    }
}

/// A stored template (`spec/core.md` §5.1). Immutable once stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRecord {
    /// Unique, case-sensitive name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Minimum approvals.
    pub min_approvals: i64,
    /// Allowed modes.
    pub allowed_modes: Vec<String>,
    /// Required adapter capabilities.
    pub require_adapter_capabilities: Vec<String>,
    /// Step limit.
    pub max_steps: Option<i64>,
    /// Labels.
    pub labels: Vec<String>,
    /// Creation time text (isoformat).
    pub created_at: String,
    /// The creating actor.
    pub created_by: Actor,
    /// The digest written at creation (consumers recompute it; never trusted on read).
    pub digest: String,
}

impl TemplateRecord {
    /// The template's JSON form (`spec/core.md` §5.1), which is also the digest preimage:
    /// `{"name", "description", "min_approvals", "allowed_modes",
    /// "require_adapter_capabilities", "max_steps", "labels", "created_at", "created_by"}`.
    pub fn to_value(&self) -> Value {
        let strs = |v: &[String]| Value::Array(v.iter().map(|s| Value::str(s.as_str())).collect());
        let mut m = Map::with_capacity(9);
        m.insert("name", Value::str(self.name.as_str()));
        m.insert("description", Value::str(self.description.as_str()));
        m.insert("min_approvals", Value::int(self.min_approvals));
        m.insert("allowed_modes", strs(&self.allowed_modes));
        m.insert("require_adapter_capabilities", strs(&self.require_adapter_capabilities));
        m.insert("max_steps", self.max_steps.map(Value::int).unwrap_or(Value::Null));
        m.insert("labels", strs(&self.labels));
        let created_at = Timestamp::parse_isoformat(&self.created_at)
            .map(|t| t.isoformat())
            .unwrap_or_else(|_| self.created_at.clone());
        m.insert("created_at", Value::String(created_at));
        m.insert("created_by", self.created_by.to_value());
        Value::Object(m)
    }

    /// Whether the labels contain `label` exactly.
    pub fn has_label(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l == label)
    }
}

/// A whole decision to write verbatim (bundle import).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportBatch {
    /// The target decision id.
    pub decision_id: String,
    /// The header's `created_at` text, stored as given.
    pub created_at: String,
    /// The events, seq 0, 1, 2, ... with their stored fields (their `decision_id` is
    /// replaced by the batch's).
    pub events: Vec<Event>,
    /// Replace an existing decision instead of failing.
    pub overwrite: bool,
}

impl ImportBatch {
    /// Check the batch: non-empty id, seqs 0, 1, 2, ... Returns the events with their
    /// `decision_id` set to the batch's.
    pub fn checked_events(&self) -> Result<Vec<Event>, StoreError> {
        if self.decision_id.is_empty() {
            return Err(StoreError::InvalidInput("decision id must not be empty".to_owned()));
        }
        let mut out = Vec::with_capacity(self.events.len());
        for (i, e) in self.events.iter().enumerate() {
            if e.seq != i as u64 {
                return Err(StoreError::InvalidInput(format!(
                    "import events must have seq 0, 1, 2, ...: event {i} has seq {}",
                    e.seq
                )));
            }
            let mut e = e.clone();
            e.decision_id.clone_from(&self.decision_id);
            out.push(e);
        }
        Ok(out)
    }
}

/// The labels of a decision as listing filters see them: the string elements of the
/// `labels` list of its `DECISION_CREATED` payload (the first event of that type).
pub fn decision_labels(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .find(|e| e.event_type == "DECISION_CREATED")
        .and_then(|e| e.payload.get("labels"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A versioned record of the generic record capability ([`crate::Store::put_record`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The key, unique within its namespace.
    pub key: String,
    /// The value as last written (key order, integers and floats preserved).
    pub value: Value,
    /// 1 after the first write, incremented by every write.
    pub version: u64,
}

/// One compare-and-set write of a record ([`crate::Store::put_record`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordWrite<'a> {
    /// The new value.
    pub value: &'a Value,
    /// `None`: write whatever is stored. `Some(0)`: only if the record does not exist.
    /// `Some(n)`: only if the stored version is `n`.
    pub expected_version: Option<u64>,
    /// Entries appended to the record's append-only log in the same atomic write.
    pub log: &'a [Value],
}

impl<'a> RecordWrite<'a> {
    /// An unconditional write of `value` with no log entry.
    pub fn value(value: &'a Value) -> RecordWrite<'a> {
        RecordWrite { value, expected_version: None, log: &[] }
    }
}

/// Check a record's namespace and key (both non-empty) and that every value can be
/// stored and read back (no NaN or infinity, nesting within the JSON reader's limit).
pub fn check_record(namespace: &str, key: &str, values: &[&Value]) -> Result<(), StoreError> {
    if namespace.is_empty() {
        return Err(StoreError::InvalidInput("record namespace must not be empty".to_owned()));
    }
    if key.is_empty() {
        return Err(StoreError::InvalidInput("record key must not be empty".to_owned()));
    }
    for v in values {
        if let Some(problem) = unstorable(v, 1) {
            return Err(StoreError::InvalidInput(format!("record `{namespace}`/`{key}` cannot be stored: {problem}")));
        }
    }
    Ok(())
}

fn unstorable(v: &Value, depth: usize) -> Option<&'static str> {
    match v {
        Value::Array(_) | Value::Object(_) if depth > attest_verify::json::DEFAULT_MAX_DEPTH => {
            Some("it nests too deeply")
        }
        Value::Array(items) => items.iter().find_map(|i| unstorable(i, depth + 1)),
        Value::Object(m) => m.iter().find_map(|(_, i)| unstorable(i, depth + 1)),
        Value::Number(n) if n.as_f64().is_some_and(|f| !f.is_finite()) => Some("it holds NaN or an infinity"),
        _ => None,
    }
}

/// Check a record listing's limit: `1 <= limit <= 1000`.
pub fn check_record_limit(limit: usize) -> Result<(), StoreError> {
    ListQuery::first(limit).validate()
}

/// Check `expected` against the stored version (0 when absent).
pub fn check_record_version(namespace: &str, key: &str, expected: Option<u64>, actual: u64) -> Result<u64, StoreError> {
    match expected {
        Some(e) if e != actual => Err(StoreError::RecordConflict {
            namespace: namespace.to_owned(),
            key: key.to_owned(),
            expected: e,
            actual,
        }),
        _ => actual
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt(format!("record `{namespace}`/`{key}` has no versions left"))),
    }
}

/// How hard a file backend works to make a commit survive power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every commit is on disk before it returns (SQLite `synchronous=FULL`; redb
    /// immediate durability). The default.
    #[default]
    Full,
    /// Faster commits that may lose the most recent ones: SQLite `synchronous=NORMAL` in
    /// WAL mode (survives a process crash, may lose the last commits on power failure);
    /// redb group commit (commits become durable within about 100 ms, so a crash of the
    /// process or the machine may lose the last ones). Each backend documents its bound.
    Normal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys() {
        assert!(order_key("2026-01-01T01:00:00+05:00") < order_key("2026-01-01T00:00:00Z"));
        assert_eq!(order_key("2026-01-01T00:00:00Z"), order_key("2026-01-01T00:00:00+00:00"));
        assert_eq!(order_key("2026-01-01T00:00:00"), order_key("2026-01-01T00:00:00+00:00"));
        assert_eq!(order_key("not a date"), i64::MIN);
    }

    #[test]
    fn query_bounds() {
        assert!(ListQuery::first(0).validate().is_err());
        assert!(ListQuery::first(1001).validate().is_err());
        assert!(ListQuery::first(1000).validate().is_ok());
        assert_eq!(ListQuery { label: Some(String::new()), ..ListQuery::default() }.label_filter(), None);
    }
}
