#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod engine;
mod error;
mod execute;
pub mod lifecycle;
pub mod views;

pub use engine::{Compat, Engine, EngineOptions, RequestArgs, RequestOutcome};
pub use error::CoreError;
pub use execute::ExecuteOutcome;
pub use lifecycle::{Loaded, TimelineEntry, DEFAULT_TIMELINE_LIMIT};
pub use views::InspectOptions;
