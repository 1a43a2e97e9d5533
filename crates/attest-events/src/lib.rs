#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod actor;
mod clock;
mod error;
mod event;
mod payload;
pub mod serde_value;

pub use actor::{Actor, ActorType, SYSTEM_ACTOR};
pub use attest_verify::json::{Map, Value};
pub use attest_verify::replay::EventType;
pub use attest_verify::Timestamp;
pub use clock::{Clock, FixedClock, IdSource, RandomIds, RecordedClock, RecordedIds, SystemClock};
pub use error::EventError;
pub use event::{event_digest, event_id, Event, NewEvent};
pub use payload::{
    ApprovalGranted, ApprovalRevoked, DecisionCreated, EventPayload, ExecutionCompleted, ExecutionFailed,
    ExecutionRequested, ExecutionStarted, Mode, PolicyAttached, TemplateCreated, TemplateFields,
};
