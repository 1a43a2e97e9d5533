#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod flusher;
mod open;
mod redb_error;
mod schema;
mod store;
mod tables;

pub use store::{RedbOptions, RedbStore};

/// The schema version this build writes; files with a higher one are refused with
/// [`attest_store::StoreError::SchemaTooNew`].
pub const SCHEMA_VERSION: u64 = schema::SCHEMA_VERSION;
