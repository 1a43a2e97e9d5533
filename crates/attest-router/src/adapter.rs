//! Dispatch adapters (router.md 3.7): the [`Adapter`] trait, its error, the built-in
//! null, fake and declared adapters, and the [`AdapterRegistry`] with its configuration
//! format (the Rust form of nexus-router's factory references, 3.9).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use attest_verify::json::{Map, Value};

use crate::error::ConfigError;
use crate::hash::obj;
use crate::subprocess::{SubprocessAdapter, SubprocessConfig};

/// Capability: meaningful simulation.
pub const CAP_DRY_RUN: &str = "dry_run";
/// Capability: real execution (required in apply mode).
pub const CAP_APPLY: &str = "apply";
/// Capability: the adapter enforces time limits.
pub const CAP_TIMEOUT: &str = "timeout";
/// Capability: the adapter reaches outside systems.
pub const CAP_EXTERNAL: &str = "external";
/// The standard capability set; adapters declare capabilities from it only.
pub const STANDARD_CAPABILITIES: [&str; 4] = [CAP_DRY_RUN, CAP_APPLY, CAP_TIMEOUT, CAP_EXTERNAL];

/// Whether an adapter failure is expected (the run continues) or a defect (the run is
/// aborted and the error propagates), as nexus-router distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Expected failure (timeout, non-zero exit, invalid output, ...): recorded as
    /// `TOOL_CALL_FAILED {error_kind: "operational"}`.
    Operational,
    /// A bug: recorded as `TOOL_CALL_FAILED {error_kind: "bug"}` + `RUN_FAILED
    /// {reason: "bug_error"}`, then propagated.
    Bug,
}

impl ErrorKind {
    /// `"operational"` or `"bug"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Operational => "operational",
            ErrorKind::Bug => "bug",
        }
    }
}

/// An adapter's failure: kind, machine code (the adapter contract's codes, e.g.
/// `TIMEOUT`, `NONZERO_EXIT`), message and details (never written to events).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AdapterError {
    kind: ErrorKind,
    code: String,
    message: String,
    details: Map,
}

impl AdapterError {
    /// An operational error.
    pub fn operational(code: impl Into<String>, message: impl Into<String>) -> AdapterError {
        AdapterError { kind: ErrorKind::Operational, code: code.into(), message: message.into(), details: Map::new() }
    }

    /// A bug error.
    pub fn bug(code: impl Into<String>, message: impl Into<String>) -> AdapterError {
        AdapterError { kind: ErrorKind::Bug, code: code.into(), message: message.into(), details: Map::new() }
    }

    /// Attach details.
    pub fn with_details(mut self, details: Map) -> AdapterError {
        self.details = details;
        self
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The adapter's error code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message (what `TOOL_CALL_FAILED.message` records).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The details (diagnostics; redacted where the adapter redacts).
    pub fn details(&self) -> &Map {
        &self.details
    }
}

/// A dispatch adapter: performs one tool call.
///
/// Contract (router.md 3.7): `adapter_id` is non-empty and unique within a registry;
/// `adapter_kind` is a short lower-case word; capabilities come from
/// [`STANDARD_CAPABILITIES`]; `call` returns a JSON object or an [`AdapterError`] and
/// never panics on any input it receives from outside.
pub trait Adapter: Send + Sync {
    /// The id recorded in events.
    fn adapter_id(&self) -> &str;
    /// The implementation kind (`null`, `fake`, `subprocess`, ...).
    fn adapter_kind(&self) -> &str;
    /// The declared capabilities.
    fn capabilities(&self) -> &BTreeSet<String>;
    /// Perform a call.
    fn call(&self, tool: &str, method: &str, args: &Map) -> Result<Map, AdapterError>;
    /// The arguments as they may be written into `TOOL_CALL_REQUESTED` when the engine
    /// redacts event arguments; `None` (the default) writes them unchanged.
    fn redact_args(&self, _args: &Map) -> Option<Map> {
        None
    }
}

fn caps<const N: usize>(list: [&str; N]) -> BTreeSet<String> {
    list.iter().map(|c| (*c).to_owned()).collect()
}

/// nexus-router's null adapter: kind `null`, capability `dry_run`; its call echoes
/// (never reached in practice: dry runs do not call, apply fails on the missing `apply`).
#[derive(Debug, Clone)]
pub struct NullAdapter {
    id: String,
    caps: BTreeSet<String>,
}

impl NullAdapter {
    /// The adapter with id `null`.
    pub fn new() -> NullAdapter {
        NullAdapter::with_id("null")
    }

    /// A null adapter with another id.
    pub fn with_id(id: impl Into<String>) -> NullAdapter {
        NullAdapter { id: id.into(), caps: caps([CAP_DRY_RUN]) }
    }
}

impl Default for NullAdapter {
    fn default() -> NullAdapter {
        NullAdapter::new()
    }
}

impl Adapter for NullAdapter {
    fn adapter_id(&self) -> &str {
        &self.id
    }
    fn adapter_kind(&self) -> &str {
        "null"
    }
    fn capabilities(&self) -> &BTreeSet<String> {
        &self.caps
    }
    fn call(&self, tool: &str, method: &str, args: &Map) -> Result<Map, AdapterError> {
        Ok(obj([
            ("simulated", Value::Bool(true)),
            ("tool", Value::str(tool)),
            ("method", Value::str(method)),
            ("args_echo", Value::Object(args.clone())),
            ("result", Value::Null),
        ]))
    }
}

/// An adapter known by id, kind and capabilities only, for routers that never call it
/// (the dry-run router): calling it is an operational `ADAPTER_NOT_CALLABLE` error.
#[derive(Debug, Clone)]
pub struct DeclaredAdapter {
    id: String,
    kind: String,
    caps: BTreeSet<String>,
}

impl DeclaredAdapter {
    /// Declare an adapter.
    pub fn new(id: impl Into<String>, kind: impl Into<String>, capabilities: &[&str]) -> DeclaredAdapter {
        DeclaredAdapter {
            id: id.into(),
            kind: kind.into(),
            caps: capabilities.iter().map(|c| (*c).to_owned()).collect(),
        }
    }
}

impl Adapter for DeclaredAdapter {
    fn adapter_id(&self) -> &str {
        &self.id
    }
    fn adapter_kind(&self) -> &str {
        &self.kind
    }
    fn capabilities(&self) -> &BTreeSet<String> {
        &self.caps
    }
    fn call(&self, _tool: &str, _method: &str, _args: &Map) -> Result<Map, AdapterError> {
        Err(AdapterError::operational(
            "ADAPTER_NOT_CALLABLE",
            format!("Adapter '{}' is declared only and cannot be called", self.id),
        ))
    }
}

/// A canned answer of the [`FakeAdapter`].
#[derive(Debug, Clone, PartialEq)]
pub enum FakeResponse {
    /// Return this object.
    Output(Map),
    /// Fail with an operational error (code, message).
    Operational(String, String),
    /// Fail with a bug error (code, message).
    Bug(String, String),
}

/// nexus-router's fake adapter for tests: canned answers per `(tool, method)`, a call
/// log, capabilities `dry_run` and `apply` unless configured otherwise. Unconfigured
/// calls answer `{fake: true, tool, method, args_echo, result: null}`.
#[derive(Debug)]
pub struct FakeAdapter {
    id: String,
    caps: BTreeSet<String>,
    responses: Mutex<BTreeMap<(String, String), FakeResponse>>,
    log: Mutex<Vec<(String, String, Map)>>,
}

impl FakeAdapter {
    /// The adapter `fake` with `dry_run` and `apply`.
    pub fn new() -> FakeAdapter {
        FakeAdapter::with(String::from("fake"), &[CAP_DRY_RUN, CAP_APPLY])
    }

    /// A fake adapter with this id and capabilities.
    pub fn with(id: impl Into<String>, capabilities: &[&str]) -> FakeAdapter {
        FakeAdapter {
            id: id.into(),
            caps: capabilities.iter().map(|c| (*c).to_owned()).collect(),
            responses: Mutex::new(BTreeMap::new()),
            log: Mutex::new(Vec::new()),
        }
    }

    /// Configure the answer to `(tool, method)`.
    pub fn set_response(&self, tool: &str, method: &str, response: FakeResponse) {
        let mut g = self.responses.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        g.insert((tool.to_owned(), method.to_owned()), response);
    }

    /// The calls made so far: `(tool, method, args)`.
    pub fn calls(&self) -> Vec<(String, String, Map)> {
        self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl Default for FakeAdapter {
    fn default() -> FakeAdapter {
        FakeAdapter::new()
    }
}

impl Adapter for FakeAdapter {
    fn adapter_id(&self) -> &str {
        &self.id
    }
    fn adapter_kind(&self) -> &str {
        "fake"
    }
    fn capabilities(&self) -> &BTreeSet<String> {
        &self.caps
    }
    fn call(&self, tool: &str, method: &str, args: &Map) -> Result<Map, AdapterError> {
        self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((
            tool.to_owned(),
            method.to_owned(),
            args.clone(),
        ));
        let configured = self
            .responses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(tool.to_owned(), method.to_owned()))
            .cloned();
        match configured {
            Some(FakeResponse::Output(m)) => Ok(m),
            Some(FakeResponse::Operational(code, message)) => Err(AdapterError::operational(code, message)),
            Some(FakeResponse::Bug(code, message)) => Err(AdapterError::bug(code, message)),
            None => Ok(obj([
                ("fake", Value::Bool(true)),
                ("tool", Value::str(tool)),
                ("method", Value::str(method)),
                ("args_echo", Value::Object(args.clone())),
                ("result", Value::Null),
            ])),
        }
    }
}

/// Adapters by id, with a default id used when a request selects none.
#[derive(Clone)]
pub struct AdapterRegistry {
    adapters: BTreeMap<String, Arc<dyn Adapter>>,
    default_adapter_id: String,
}

impl fmt::Debug for AdapterRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdapterRegistry")
            .field("adapters", &self.adapters.keys().collect::<Vec<_>>())
            .field("default_adapter_id", &self.default_adapter_id)
            .finish()
    }
}

impl Default for AdapterRegistry {
    /// nexus-router's default: only the null adapter, which is the default.
    fn default() -> AdapterRegistry {
        let mut r = AdapterRegistry::new("null");
        r.adapters.insert("null".to_owned(), Arc::new(NullAdapter::new()));
        r
    }
}

impl AdapterRegistry {
    /// An empty registry whose default is `default_adapter_id` (a default that is not
    /// registered fails at selection, as in nexus-router).
    pub fn new(default_adapter_id: impl Into<String>) -> AdapterRegistry {
        AdapterRegistry { adapters: BTreeMap::new(), default_adapter_id: default_adapter_id.into() }
    }

    /// Register an adapter. Errors: [`ConfigError::DuplicateAdapter`].
    pub fn register(&mut self, adapter: Arc<dyn Adapter>) -> Result<(), ConfigError> {
        let id = adapter.adapter_id().to_owned();
        if self.adapters.contains_key(&id) {
            return Err(ConfigError::DuplicateAdapter(id));
        }
        self.adapters.insert(id, adapter);
        Ok(())
    }

    /// [`AdapterRegistry::register`], chained.
    pub fn with(mut self, adapter: Arc<dyn Adapter>) -> Result<AdapterRegistry, ConfigError> {
        self.register(adapter)?;
        Ok(self)
    }

    /// The adapter registered under `id`.
    pub fn get(&self, id: &str) -> Option<&Arc<dyn Adapter>> {
        self.adapters.get(id)
    }

    /// The default adapter id.
    pub fn default_adapter_id(&self) -> &str {
        &self.default_adapter_id
    }

    /// Registered ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.adapters.keys().cloned().collect()
    }

    /// Ids of the adapters that declare `capability`, sorted.
    pub fn find_by_capability(&self, capability: &str) -> Vec<String> {
        self.adapters.iter().filter(|(_, a)| a.capabilities().contains(capability)).map(|(k, _)| k.clone()).collect()
    }

    /// nexus-router's `adapters` tool answer: `{adapters: [{adapter_id, adapter_kind,
    /// capabilities}], default_adapter_id, total}`.
    pub fn list(&self) -> Value {
        let list: Vec<Value> = self
            .adapters
            .values()
            .map(|a| {
                Value::Object(obj([
                    ("adapter_id", Value::str(a.adapter_id())),
                    ("adapter_kind", Value::str(a.adapter_kind())),
                    ("capabilities", Value::Array(a.capabilities().iter().map(Value::str).collect())),
                ]))
            })
            .collect();
        let total = crate::hash::count(list.len());
        Value::Object(obj([
            ("adapters", Value::Array(list)),
            ("default_adapter_id", Value::str(&self.default_adapter_id)),
            ("total", total),
        ]))
    }

    /// Build a registry from its configuration (JSON):
    ///
    /// ```json
    /// {"default_adapter_id": "null",
    ///  "adapters": [
    ///    {"factory": "null"},
    ///    {"factory": "subprocess", "adapter_id": "subprocess:mcpt:key-rotation",
    ///     "base_cmd": ["mcpt", "--profile", "rotation"], "timeout_s": 30.0},
    ///    {"factory": "declared", "adapter_id": "http:api", "adapter_kind": "http",
    ///     "capabilities": ["apply", "external", "timeout"]}]}
    /// ```
    ///
    /// Factories: `null` (optional `adapter_id`), `subprocess` (see
    /// [`SubprocessConfig::from_value`]) and `declared` (id, kind and capabilities only,
    /// for the dry-run router). This is how an adapter id such as
    /// `subprocess:mcpt:NAME` maps to a command: the id is looked up here, never parsed.
    ///
    /// Errors: [`ConfigError::LoadFailed`] for malformed entries and unknown factories,
    /// [`ConfigError::EnvInvalid`], [`ConfigError::DuplicateAdapter`].
    pub fn from_config(config: &Value) -> Result<AdapterRegistry, ConfigError> {
        let load = |m: String| ConfigError::LoadFailed(m);
        let c = config.as_object().ok_or_else(|| load("the adapter configuration must be an object".into()))?;
        let default_id = match c.get("default_adapter_id") {
            None => "null".to_owned(),
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => return Err(load("`default_adapter_id` must be a non-empty string".into())),
        };
        let mut reg = AdapterRegistry::new(default_id);
        let entries = match c.get("adapters") {
            None => &[][..],
            Some(Value::Array(a)) => a.as_slice(),
            Some(_) => return Err(load("`adapters` must be an array".into())),
        };
        for (i, e) in entries.iter().enumerate() {
            let m = e.as_object().ok_or_else(|| load(format!("`adapters[{i}]` must be an object")))?;
            let adapter: Arc<dyn Adapter> = match m.get("factory").and_then(Value::as_str) {
                Some("null") => match m.get("adapter_id") {
                    None => Arc::new(NullAdapter::new()),
                    Some(Value::String(s)) if !s.is_empty() => Arc::new(NullAdapter::with_id(s.clone())),
                    Some(_) => return Err(load(format!("`adapters[{i}].adapter_id` must be a non-empty string"))),
                },
                Some("subprocess") => {
                    let mut cfg = m.clone();
                    cfg.remove("factory");
                    Arc::new(SubprocessAdapter::new(SubprocessConfig::from_value(&Value::Object(cfg))?)?)
                }
                Some("declared") => Arc::new(declared_from(m, i)?),
                Some(other) => return Err(load(format!("unknown adapter factory `{other}` in `adapters[{i}]`"))),
                None => return Err(load(format!("`adapters[{i}].factory` must be a string"))),
            };
            reg.register(adapter)?;
        }
        Ok(reg)
    }
}

fn declared_from(m: &Map, i: usize) -> Result<DeclaredAdapter, ConfigError> {
    let load = |m: String| ConfigError::LoadFailed(m);
    let s = |k: &str| match m.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(load(format!("`adapters[{i}].{k}` must be a non-empty string"))),
    };
    let id = s("adapter_id")?;
    let kind = s("adapter_kind")?;
    let list = m
        .get("capabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| load(format!("`adapters[{i}].capabilities` must be an array")))?;
    let mut caps = BTreeSet::new();
    for c in list {
        match c.as_str() {
            Some(c) if STANDARD_CAPABILITIES.contains(&c) => {
                caps.insert(c.to_owned());
            }
            _ => return Err(load(format!("`adapters[{i}].capabilities` holds a non-standard capability"))),
        }
    }
    Ok(DeclaredAdapter { id, kind, caps })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_rejects_duplicates_and_lists_sorted() {
        let mut r = AdapterRegistry::default();
        assert_eq!(
            r.register(Arc::new(NullAdapter::new())).unwrap_err().to_string(),
            "Adapter already registered: null"
        );
        r.register(Arc::new(FakeAdapter::new())).unwrap();
        assert_eq!(r.ids(), ["fake", "null"]);
        assert_eq!(r.find_by_capability(CAP_APPLY), ["fake"]);
        assert_eq!(
            attest_verify::canonical::to_string(&r.list()).unwrap(),
            r#"{"adapters":[{"adapter_id":"fake","adapter_kind":"fake","capabilities":["apply","dry_run"]},{"adapter_id":"null","adapter_kind":"null","capabilities":["dry_run"]}],"default_adapter_id":"null","total":2}"#
        );
    }

    #[test]
    fn registry_from_config() {
        let cfg = attest_verify::json::parse(
            r#"{"default_adapter_id": "null", "adapters": [{"factory": "null"},
                {"factory": "subprocess", "adapter_id": "subprocess:mcpt:key-rotation", "base_cmd": ["mcpt"]},
                {"factory": "declared", "adapter_id": "http:api", "adapter_kind": "http", "capabilities": ["apply"]}]}"#,
        )
        .unwrap();
        let r = AdapterRegistry::from_config(&cfg).unwrap();
        assert_eq!(r.ids(), ["http:api", "null", "subprocess:mcpt:key-rotation"]);
        let sp = r.get("subprocess:mcpt:key-rotation").unwrap();
        assert_eq!(sp.adapter_kind(), "subprocess");
        assert_eq!(sp.capabilities().iter().collect::<Vec<_>>(), ["apply", "external", "timeout"]);
        let err = r.get("http:api").unwrap().call("t", "m", &Map::new()).unwrap_err();
        assert_eq!(err.code(), "ADAPTER_NOT_CALLABLE");
        for bad in [
            r#"{"adapters": [{"factory": "python:module"}]}"#,
            r#"{"adapters": [{"factory": "declared", "adapter_id": "x", "adapter_kind": "k", "capabilities": ["fly"]}]}"#,
            r#"{"adapters": [{"factory": "subprocess", "base_cmd": []}]}"#,
            r#"{"adapters": {}}"#,
        ] {
            let e = AdapterRegistry::from_config(&attest_verify::json::parse(bad).unwrap()).unwrap_err();
            assert_eq!(e.code(), "ADAPTER_LOAD_FAILED", "{bad}");
        }
        let dup = r#"{"adapters": [{"factory": "null"}, {"factory": "null"}]}"#;
        let e = AdapterRegistry::from_config(&attest_verify::json::parse(dup).unwrap()).unwrap_err();
        assert_eq!(e.code(), "ADAPTER_ALREADY_REGISTERED");
    }

    #[test]
    fn fake_adapter_answers_and_logs() {
        let f = FakeAdapter::new();
        f.set_response("t", "boom", FakeResponse::Operational("TOOL_ERROR".into(), "no".into()));
        assert_eq!(f.call("t", "boom", &Map::new()).unwrap_err().kind(), ErrorKind::Operational);
        let ok = f.call("t", "m", &Map::new()).unwrap();
        assert_eq!(ok.get("fake"), Some(&Value::Bool(true)));
        assert_eq!(f.calls().len(), 2);
        let n = NullAdapter::new().call("t", "m", &Map::new()).unwrap();
        assert_eq!(n.get("result"), Some(&Value::Null));
    }
}
