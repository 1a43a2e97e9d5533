//! Shared helpers: the mock adapter script, vector files, deterministic engines.

use std::path::PathBuf;
use std::sync::Arc;

use attest_router::{
    AdapterRegistry, CountingIds, RunEngine, SteppingClock, StoredRun, SubprocessConfig, Timestamp, Value,
};

/// `sh tests/adapters/mock_adapter.sh` as a subprocess configuration.
pub(crate) fn mock(adapter_id: &str) -> SubprocessConfig {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/adapters/mock_adapter.sh");
    let mut c = SubprocessConfig::new(["sh".to_owned(), script.display().to_string()]);
    c.adapter_id = Some(adapter_id.to_owned());
    c.timeout_s = 10.0;
    c
}

/// A vector file of `../shared/vectors`.
pub(crate) fn vector_file(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    attest_verify::json::parse(&text).unwrap()
}

/// The case `name` of a vector file.
pub(crate) fn vector_case(file: &str, name: &str) -> Value {
    let v = vector_file(file);
    v.get("cases")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        .cloned()
        .unwrap_or_else(|| panic!("no case {name} in {file}"))
}

/// 2025-01-01T00:00:00Z.
pub(crate) fn t0() -> Timestamp {
    Timestamp::parse_isoformat("2025-01-01T00:00:00+00:00").unwrap()
}

/// An engine with counting ids and a 1 ms stepping clock from [`t0`].
pub(crate) fn engine(adapters: AdapterRegistry) -> RunEngine {
    RunEngine::new(adapters).with_clock(Arc::new(SteppingClock::new(t0(), 1))).with_ids(Arc::new(CountingIds::new()))
}

/// The stored run `run_id` of an engine.
pub(crate) fn stored(engine: &RunEngine, run_id: &str) -> StoredRun {
    engine.store().load(run_id).unwrap().unwrap()
}

/// The event types of a stored run.
pub(crate) fn types(run: &StoredRun) -> Vec<String> {
    run.events.iter().map(|e| e.event_type.to_string()).collect()
}

/// A JSON value from text.
pub(crate) fn json(text: &str) -> Value {
    attest_verify::json::parse(text).unwrap()
}

/// Canonical attest text of a value.
pub(crate) fn canon(v: &Value) -> String {
    attest_verify::canonical::to_string(v).unwrap()
}
