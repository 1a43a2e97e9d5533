#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod engine;
mod error;
mod execute;
pub mod export;
mod import;
pub mod lifecycle;
pub mod views;

pub use engine::{Compat, Engine, EngineOptions, RequestArgs, RequestOutcome};
pub use error::{CoreError, PackageCode};
pub use execute::ExecuteOutcome;
pub use export::{BundleOptions, Exported, PackageOptions};
pub use import::{ImportOptions, ImportOutcome, CONFLICT_MODES};
pub use lifecycle::{Loaded, TimelineEntry, DEFAULT_TIMELINE_LIMIT};
pub use views::InspectOptions;
