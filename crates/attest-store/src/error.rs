//! The store's error type, with stable codes (the original's where it has them).

use attest_events::EventError;

/// Why a store operation failed. Every failure leaves the store unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No decision with this id.
    #[error("Decision not found: {0}")]
    DecisionNotFound(String),
    /// A decision with this id already exists.
    #[error("Decision already exists: {0}")]
    DecisionExists(String),
    /// No template with this name.
    #[error("Template '{0}' does not exist")]
    TemplateNotFound(String),
    /// A template with this name already exists.
    #[error("Template already exists: {0}")]
    TemplateExists(String),
    /// A compare-and-append found another next seq than expected.
    #[error("sequence conflict on decision `{decision_id}`: expected next seq {expected}, found {actual}")]
    SequenceConflict {
        /// The decision.
        decision_id: String,
        /// The seq the caller expected the new event to get.
        expected: u64,
        /// The seq it would have got.
        actual: u64,
    },
    /// An event that cannot be stored (e.g. a payload without canonical form).
    #[error("invalid event: {0}")]
    InvalidEvent(#[from] EventError),
    /// Arguments that make no sense (empty id, non-contiguous import seqs, limit 0).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Stored data that cannot be read back (a payload that is not JSON, a negative seq).
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// The file was written by a newer version of this software.
    #[error("store schema version {found} is newer than the supported version {supported}")]
    SchemaTooNew {
        /// Version recorded in the file.
        found: i64,
        /// Highest version this build reads.
        supported: i64,
    },
    /// The file is not a Nexus Attest store (another program's database, or not a database).
    #[error("not a nexus-attest store: {0}")]
    NotAStore(String),
    /// The store is held by another process.
    #[error("store is locked by another process: {0}")]
    Locked(String),
    /// The storage engine failed (I/O, database engine).
    #[error("storage backend error: {0}")]
    Backend(String),
    /// A compare-and-set of a record found another version than expected; nothing was
    /// written.
    #[error("record conflict on `{namespace}`/`{key}`: expected version {expected}, found {actual}")]
    RecordConflict {
        /// The record's namespace.
        namespace: String,
        /// The record's key.
        key: String,
        /// The version the caller expected (0: the record must not exist).
        expected: u64,
        /// The stored version (0: no record).
        actual: u64,
    },
    /// The store does not implement an optional capability (e.g. records).
    #[error("the store does not support {0}")]
    Unsupported(String),
}

impl StoreError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::DecisionNotFound(_) => "DECISION_NOT_FOUND",
            StoreError::DecisionExists(_) => "DECISION_EXISTS",
            StoreError::TemplateNotFound(_) => "TEMPLATE_NOT_FOUND",
            StoreError::TemplateExists(_) => "TEMPLATE_ALREADY_EXISTS",
            StoreError::SequenceConflict { .. } => "SEQUENCE_CONFLICT",
            StoreError::InvalidEvent(_) => "INVALID_EVENT",
            StoreError::InvalidInput(_) => "INVALID_INPUT",
            StoreError::Corrupt(_) => "STORE_CORRUPT",
            StoreError::SchemaTooNew { .. } => "SCHEMA_TOO_NEW",
            StoreError::NotAStore(_) => "NOT_A_STORE",
            StoreError::Locked(_) => "STORE_LOCKED",
            StoreError::Backend(_) => "STORE_BACKEND",
            StoreError::RecordConflict { .. } => "RECORD_CONFLICT",
            StoreError::Unsupported(_) => "STORE_UNSUPPORTED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_messages_match_the_original() {
        let all = [
            StoreError::DecisionNotFound("d".into()),
            StoreError::DecisionExists("d".into()),
            StoreError::TemplateNotFound("t".into()),
            StoreError::TemplateExists("t".into()),
            StoreError::SequenceConflict { decision_id: "d".into(), expected: 1, actual: 2 },
            StoreError::InvalidEvent(EventError::EmptyActorId),
            StoreError::InvalidInput(String::new()),
            StoreError::Corrupt(String::new()),
            StoreError::SchemaTooNew { found: 2, supported: 1 },
            StoreError::NotAStore(String::new()),
            StoreError::Locked(String::new()),
            StoreError::Backend(String::new()),
            StoreError::RecordConflict { namespace: "n".into(), key: "k".into(), expected: 1, actual: 2 },
            StoreError::Unsupported(String::new()),
        ];
        let mut codes: Vec<_> = all.iter().map(StoreError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert_eq!(all[0].to_string(), "Decision not found: d");
        assert_eq!(all[1].to_string(), "Decision already exists: d");
        assert_eq!(all[2].to_string(), "Template 't' does not exist");
        assert_eq!(all[3].to_string(), "Template already exists: t");
    }
}
