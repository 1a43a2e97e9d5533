//! How engine failures become [`StoreError`]s: one internal failure type for `?`, mapped
//! once at the public boundary.

use std::time::Duration;

use attest_events::EventError;
use attest_store::StoreError;
use rusqlite::ErrorCode;

/// A failure inside an operation: already a store error, or an engine error still to be
/// classified (busy, not a database, corrupt, bad column type, ...).
#[derive(Debug)]
pub(crate) enum Fail {
    Store(StoreError),
    Db(rusqlite::Error),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Fail {
        Fail::Store(e)
    }
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Fail {
        Fail::Db(e)
    }
}

impl From<EventError> for Fail {
    fn from(e: EventError) -> Fail {
        Fail::Store(StoreError::InvalidEvent(e))
    }
}

/// Shorthand for a corrupt-row failure.
pub(crate) fn corrupt(msg: impl Into<String>) -> Fail {
    Fail::Store(StoreError::Corrupt(msg.into()))
}

impl Fail {
    /// The public error. `busy_timeout` is only used in the message of a lock wait that
    /// ran out.
    pub(crate) fn into_store_error(self, busy_timeout: Duration) -> StoreError {
        match self {
            Fail::Store(e) => e,
            Fail::Db(e) => from_db(e, busy_timeout),
        }
    }
}

/// Classify an engine error.
pub(crate) fn from_db(e: rusqlite::Error, busy_timeout: Duration) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Backend(format!(
                "the database stayed locked by another writer for longer than the busy timeout ({} ms); nothing was written: {e}",
                busy_timeout.as_millis()
            )),
            ErrorCode::NotADatabase => StoreError::NotAStore(format!("the file is not an SQLite database: {e}")),
            ErrorCode::DatabaseCorrupt => StoreError::Corrupt(format!("the database file is damaged: {e}")),
            _ => StoreError::Backend(format!("sqlite: {e}")),
        },
        rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::Utf8Error(..) => StoreError::Corrupt(format!("a stored value has the wrong type: {e}")),
        _ => StoreError::Backend(format!("sqlite: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn classification() {
        let t = Duration::from_millis(250);
        let busy = from_db(failure(rusqlite::ffi::SQLITE_BUSY), t);
        assert!(matches!(&busy, StoreError::Backend(m) if m.contains("busy timeout (250 ms)")), "{busy}");
        assert!(matches!(from_db(failure(rusqlite::ffi::SQLITE_NOTADB), t), StoreError::NotAStore(_)));
        assert!(matches!(from_db(failure(rusqlite::ffi::SQLITE_CORRUPT), t), StoreError::Corrupt(_)));
        assert!(matches!(from_db(failure(rusqlite::ffi::SQLITE_IOERR), t), StoreError::Backend(_)));
        let ty = rusqlite::Error::InvalidColumnType(0, "seq".into(), rusqlite::types::Type::Text);
        assert!(matches!(from_db(ty, t), StoreError::Corrupt(_)));
    }
}
