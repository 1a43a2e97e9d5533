#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod error;
mod schema;
mod store;

pub use schema::SCHEMA_VERSION;
pub use store::{SqliteOptions, SqliteStore, DEFAULT_BUSY_TIMEOUT};
