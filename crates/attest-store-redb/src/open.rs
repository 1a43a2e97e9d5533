//! Opening a store file: recognise the file before redb touches it, take redb's exclusive
//! lock, check the schema, initialise a new file.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use attest_store::StoreError;
use redb::{Database, DatabaseError, ReadableDatabase};

use crate::redb_error::{io_error, store_error};
use crate::schema::{self, Layout};

/// The first bytes of every redb file (`redb` file format 3).
const REDB_MAGIC: &[u8] = &[b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Open (or create) the redb database at `path` as a store.
///
/// A file that is not a redb database, another program's redb database and a store of a
/// newer schema are refused without a single byte written to them.
pub(crate) fn open_database(path: &Path) -> Result<Database, StoreError> {
    let shown = path.display();
    match sniff(path)? {
        Kind::Missing | Kind::Empty => {}
        Kind::Redb => precheck(path)?,
        Kind::Sqlite => {
            return Err(StoreError::NotAStore(format!("`{shown}` is an SQLite database, not a redb store")))
        }
        Kind::Other => return Err(StoreError::NotAStore(format!("`{shown}` is not a redb database"))),
        Kind::Directory => return Err(StoreError::NotAStore(format!("`{shown}` is a directory"))),
    }
    let db = Database::builder().create(path).map_err(|e| open_error(path, e))?;
    let layout = {
        let txn = db.begin_read().map_err(store_error)?;
        schema::inspect(&txn).map_err(|e| in_file(path, e))?
    };
    let has_records = {
        let txn = db.begin_read().map_err(store_error)?;
        schema::has_records(&txn)?
    };
    if layout == Layout::Empty || !has_records {
        let mut txn = db.begin_write().map_err(store_error)?;
        txn.set_durability(redb::Durability::Immediate).map_err(store_error)?;
        if layout == Layout::Empty {
            schema::init(&txn)?;
        } else {
            schema::ensure_records(&txn)?;
        }
        txn.commit().map_err(store_error)?;
    }
    Ok(db)
}

enum Kind {
    Missing,
    Empty,
    Redb,
    Sqlite,
    Other,
    Directory,
}

/// What the file at `path` is, from its first bytes (read only).
fn sniff(path: &Path) -> Result<Kind, StoreError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Kind::Missing),
        Err(e) => return Err(io_error(&e)),
    };
    if meta.is_dir() {
        return Ok(Kind::Directory);
    }
    if meta.len() == 0 {
        return Ok(Kind::Empty);
    }
    let mut head = Vec::with_capacity(16);
    File::open(path).and_then(|f| f.take(16).read_to_end(&mut head)).map_err(|e| io_error(&e))?;
    Ok(if head.starts_with(REDB_MAGIC) {
        Kind::Redb
    } else if head.starts_with(SQLITE_MAGIC) {
        Kind::Sqlite
    } else {
        Kind::Other
    })
}

/// Inspect an existing redb file through a read-only handle, so a foreign or newer file
/// is refused before the read-write open (whose close writes to the file).
fn precheck(path: &Path) -> Result<(), StoreError> {
    let ro = match Database::builder().set_cache_size(1 << 20).open_read_only(path) {
        Ok(ro) => ro,
        // Needs repair after a crash: the read-write open repairs it, then inspects.
        Err(DatabaseError::RepairAborted) => return Ok(()),
        Err(e) => return Err(open_error(path, e)),
    };
    let txn = ro.begin_read().map_err(store_error)?;
    schema::inspect(&txn).map(|_| ()).map_err(|e| in_file(path, e))
}

fn open_error(path: &Path, e: DatabaseError) -> StoreError {
    match e {
        DatabaseError::DatabaseAlreadyOpen => {
            StoreError::Locked(format!("`{}` is open in another process or store", path.display()))
        }
        DatabaseError::Storage(redb::StorageError::Io(io)) if io.kind() == io::ErrorKind::InvalidData => {
            StoreError::NotAStore(format!("`{}` is not a redb database", path.display()))
        }
        other => in_file(path, store_error(other)),
    }
}

/// Name the file in a message that does not already.
fn in_file(path: &Path, e: StoreError) -> StoreError {
    let p = path.display();
    match e {
        StoreError::NotAStore(m) => StoreError::NotAStore(format!("`{p}`: {m}")),
        StoreError::Corrupt(m) => StoreError::Corrupt(format!("`{p}`: {m}")),
        StoreError::Locked(m) => StoreError::Locked(format!("`{p}`: {m}")),
        StoreError::Backend(m) => StoreError::Backend(format!("`{p}`: {m}")),
        other => other,
    }
}
