#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod adapter;
mod bridge;
mod bundle;
mod clock;
mod engine;
mod error;
mod evidence;
mod hash;
mod import;
mod protocol;
mod replay;
mod request;
mod response;
mod store;
mod subprocess;

pub use adapter::{
    Adapter, AdapterError, AdapterRegistry, DeclaredAdapter, ErrorKind, FakeAdapter, FakeResponse, NullAdapter,
    CAP_APPLY, CAP_DRY_RUN, CAP_EXTERNAL, CAP_TIMEOUT, STANDARD_CAPABILITIES,
};
pub use attest_verify::json::{Map, Value};
pub use attest_verify::{Digest, Timestamp};
pub use bridge::{DryRunRouter, NexusRouterBridge, DEFAULT_SOURCE_NAME};
pub use bundle::{export_run, RunBundle, BUNDLE_VERSION};
pub use clock::{router_timestamp, Clock, CountingIds, IdSource, RandomIds, RecordedIds, SteppingClock, SystemClock};
pub use engine::{
    provenance_value, EngineOptions, MaxStepsPolicy, Refusal, RefusalCode, RunEngine, RunOutcome, PROVENANCE_METHOD_ID,
};
pub use error::{BundleError, ConfigError, RequestError, RouterError, StoreError};
pub use evidence::{
    derive_response, derive_response_from_run, rebuild_results, recompute_provenance_value, recorded_provenance_value,
    request_binding_holds,
};
pub use hash::{attest_digest, into_sorted, router_digest, router_json, sorted};
pub use import::{import_bundle, ImportMode, ImportOptions, ImportOutcome};
pub use protocol::Router;
pub use replay::{replay_run, replay_values, ReplayReport, Violation};
pub use request::{CompiledRequest, Mode, RunArgs, RunRequest, Step};
pub use response::{response_digest, run_id_text, steps_executed};
pub use store::{MemoryRunStore, NewRunEvent, RunEvent, RunRecord, RunStatus, RunStore, StoredRun};
pub use subprocess::{
    redact_args, redact_text, SubprocessAdapter, SubprocessConfig, SubprocessError, DEFAULT_MAX_OUTPUT_BYTES,
    DEFAULT_MAX_STDERR_CHARS, DEFAULT_MAX_STDOUT_CHARS, DEFAULT_TIMEOUT_S,
};
