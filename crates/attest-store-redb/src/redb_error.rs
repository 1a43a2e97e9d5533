//! How redb's errors become [`StoreError`]s.

use std::io;

use attest_store::StoreError;

/// A redb failure as a store error: lock contention is [`StoreError::Locked`], detected
/// corruption [`StoreError::Corrupt`], a table of ours with foreign types
/// [`StoreError::NotAStore`], everything else [`StoreError::Backend`].
pub(crate) fn store_error<E: Into<redb::Error>>(e: E) -> StoreError {
    match e.into() {
        redb::Error::DatabaseAlreadyOpen => {
            StoreError::Locked("the file is open in another process or store".to_owned())
        }
        redb::Error::Corrupted(msg) => StoreError::Corrupt(format!("redb reports corruption: {msg}")),
        redb::Error::UpgradeRequired(v) => {
            StoreError::NotAStore(format!("the file uses redb file format {v}, which this build does not write"))
        }
        redb::Error::ValueTooLarge(n) => {
            StoreError::InvalidInput(format!("a record of {n} bytes exceeds the 3 GiB limit"))
        }
        e @ (redb::Error::TableTypeMismatch { .. }
        | redb::Error::TableIsMultimap(_)
        | redb::Error::TableIsNotMultimap(_)
        | redb::Error::TypeDefinitionChanged { .. }) => {
            StoreError::NotAStore(format!("a table has the name of a store table but another type: {e}"))
        }
        redb::Error::TableDoesNotExist(name) => StoreError::Corrupt(format!("table `{name}` is missing")),
        redb::Error::Io(e) => io_error(&e),
        other => StoreError::Backend(format!("redb: {other}")),
    }
}

/// An I/O failure as a store error (`WouldBlock` on the file lock is [`StoreError::Locked`]).
pub(crate) fn io_error(e: &io::Error) -> StoreError {
    match e.kind() {
        io::ErrorKind::WouldBlock => StoreError::Locked("the file is open in another process or store".to_owned()),
        _ => StoreError::Backend(format!("i/o error: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping() {
        assert_eq!(store_error(redb::Error::DatabaseAlreadyOpen).code(), "STORE_LOCKED");
        assert_eq!(store_error(redb::Error::Corrupted("x".into())).code(), "STORE_CORRUPT");
        assert_eq!(store_error(redb::Error::UpgradeRequired(2)).code(), "NOT_A_STORE");
        assert_eq!(store_error(redb::Error::TableDoesNotExist("t".into())).code(), "STORE_CORRUPT");
        assert_eq!(store_error(redb::Error::Io(io::ErrorKind::WouldBlock.into())).code(), "STORE_LOCKED");
        assert_eq!(store_error(redb::Error::Io(io::ErrorKind::Other.into())).code(), "STORE_BACKEND");
        assert_eq!(store_error(redb::Error::DatabaseClosed).code(), "STORE_BACKEND");
    }
}
