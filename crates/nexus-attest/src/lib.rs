#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod tools;

pub use attest_core as core;
pub use attest_events as events;
pub use attest_policy as policy;
pub use attest_router as router;
pub use attest_store as store;
pub use attest_store_redb as store_redb;
pub use attest_store_sqlite as store_sqlite;
pub use attest_verify as verify;
pub use attest_witness as witness;
pub use attest_xrpl as xrpl;

pub use attest_core::{Compat, CoreError, Engine, EngineOptions, InspectOptions, RequestArgs};
pub use attest_events::{Actor, ActorType, Clock, IdSource, Mode};
pub use attest_policy::{PolicyArgs, TemplateSpec};
pub use attest_router::Router;
pub use attest_store::{MemoryStore, Store};
pub use attest_store_redb::RedbStore;
pub use attest_store_sqlite::SqliteStore;
pub use tools::{NexusAttest, ToolResult, TOOL_NAMES};
