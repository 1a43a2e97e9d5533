//! The common setup of WORKLOADS.md: the actors, the fixed router, fresh SQLite files in a
//! temporary directory, and one timed flow through the tool API.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use nexus_attest::router::{RouterError, RunArgs};
use nexus_attest::verify::canonical;
use nexus_attest::verify::json::{Map, Value};
use nexus_attest::{NexusAttest, Router, SqliteStore, ToolResult};

/// The adapter every execution names.
pub(crate) const ADAPTER: &str = "subprocess:mcpt:bench";

/// The tool API over an SQLite file at the default durability (WAL, `synchronous=FULL`).
pub(crate) type Db = NexusAttest<SqliteStore>;

/// Open (or create) the database file at `path` with [`NexusAttest::open`].
pub(crate) fn open(path: &Path) -> Result<Db, String> {
    NexusAttest::open(path).map_err(|e| format!("cannot open `{}`: {e}", path.display()))
}

/// `{"type": kind, "id": id}`.
pub(crate) fn actor(kind: &str, id: &str) -> Value {
    obj(vec![("type", Value::str(kind)), ("id", Value::str(id))])
}

/// The human requester and first approver.
pub(crate) fn alice() -> Value {
    actor("human", "alice@example.com")
}

/// The human second approver.
pub(crate) fn bob() -> Value {
    actor("human", "bob@example.com")
}

/// The system actor that executes.
pub(crate) fn scheduler() -> Value {
    actor("system", "scheduler")
}

/// A JSON object from pairs, in order.
pub(crate) fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::with_capacity(pairs.len());
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Object(m)
}

/// The router of WORKLOADS.md: in the same process, capabilities `timeout`, `dry_run`,
/// `apply`, and always the same response.
#[derive(Debug)]
pub(crate) struct FixedRouter {
    response: Map,
    capabilities: BTreeSet<String>,
}

impl FixedRouter {
    pub(crate) fn new() -> FixedRouter {
        let output = |step: i64, name: &str| {
            obj(vec![("step", Value::int(step)), ("name", Value::str(name)), ("ok", Value::Bool(true))])
        };
        let mut response = Map::with_capacity(4);
        response.insert("run_id", Value::str("run-bench-0001"));
        response.insert("steps_executed", Value::int(3));
        response.insert("status", Value::str("ok"));
        response.insert("outputs", Value::Array(vec![output(1, "plan"), output(2, "apply"), output(3, "verify")]));
        let capabilities = ["timeout", "dry_run", "apply"].into_iter().map(str::to_owned).collect();
        FixedRouter { response, capabilities }
    }
}

impl Router for FixedRouter {
    fn adapter_capabilities(&self, _adapter_id: &str) -> Result<Option<BTreeSet<String>>, RouterError> {
        Ok(Some(self.capabilities.clone()))
    }

    fn run(&self, _args: &RunArgs<'_>) -> Result<Map, RouterError> {
        Ok(self.response.clone())
    }
}

/// The data of a successful tool call, or `"<tool>: <CODE>: <message>"`.
pub(crate) fn ok(tool: &str, r: ToolResult) -> Result<Map, String> {
    let code = r.code().unwrap_or("");
    let text = r.error().map(ToString::to_string).unwrap_or_default();
    r.into_result().map_err(|_| format!("{tool}: {code}: {text}"))
}

/// The `request_id` of a `request` result.
pub(crate) fn request_id(data: &Map) -> Result<String, String> {
    data.get("request_id").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| "request: no request_id".to_owned())
}

/// The arguments of a flow's `request` (`min_approvals` 2, label `bench`, mode `apply`).
pub(crate) fn request_args(goal: &str, min_approvals: i64) -> Value {
    obj(vec![
        ("goal", Value::str(goal)),
        ("actor", alice()),
        ("mode", Value::str("apply")),
        ("min_approvals", Value::int(min_approvals)),
        ("labels", Value::Array(vec![Value::str("bench")])),
    ])
}

/// Per-step wall times of one flow, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FlowTimes {
    pub(crate) request: f64,
    /// Both approvals (alice, then bob).
    pub(crate) approve: [f64; 2],
    pub(crate) execute: f64,
    pub(crate) export: f64,
    pub(crate) flow: f64,
}

/// One finished flow.
#[derive(Debug)]
pub(crate) struct Flow {
    pub(crate) id: String,
    pub(crate) times: FlowTimes,
    /// The audit package, when asked for.
    pub(crate) package: Option<Value>,
}

/// Milliseconds since `t`.
pub(crate) fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// A flow (WORKLOADS.md): `request` (alice, `apply`, `min_approvals` 2, labels
/// `["bench"]`), `approve` by alice then bob, `execute` through `router` by the scheduler,
/// `export_audit_package` (reference mode), each through [`NexusAttest::call`] with the
/// tool's default arguments. The arguments of each call are built before its timer
/// starts. 7 events.
pub(crate) fn flow(db: &Db, router: &FixedRouter, goal: &str, keep_package: bool) -> Result<Flow, String> {
    let mut t = FlowTimes::default();
    let args = request_args(goal, 2);
    let start = Instant::now();
    let data = ok("request", db.call("request", &args))?;
    t.request = ms_since(start);
    let id = request_id(&data)?;
    for (i, who) in [alice(), bob()].into_iter().enumerate() {
        let args = obj(vec![("request_id", Value::str(id.as_str())), ("actor", who)]);
        let s = Instant::now();
        ok("approve", db.call("approve", &args))?;
        if let Some(slot) = t.approve.get_mut(i) {
            *slot = ms_since(s);
        }
    }
    let args =
        obj(vec![("request_id", Value::str(id.as_str())), ("adapter_id", Value::str(ADAPTER)), ("actor", scheduler())]);
    let s = Instant::now();
    ok("execute", db.call_with_router("execute", &args, router))?;
    t.execute = ms_since(s);
    let args = obj(vec![("decision_id", Value::str(id.as_str()))]);
    let s = Instant::now();
    let mut data = ok("export_audit_package", db.call("export_audit_package", &args))?;
    t.export = ms_since(s);
    t.flow = ms_since(start);
    let package = if keep_package { data.remove("package") } else { None };
    Ok(Flow { id, times: t, package })
}

/// The canonical JSON text of `v` (what is hashed and what a file holds).
pub(crate) fn canonical_text(v: &Value) -> Result<String, String> {
    canonical::to_string(v).map_err(|e| format!("canonical JSON: {e}"))
}

/// A fresh directory under the system's temporary directory, removed on drop (unless
/// `NEXUS_ATTEST_BENCH_KEEP` is set).
#[derive(Debug)]
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub(crate) fn new() -> Result<TempDir, String> {
        let base = std::env::temp_dir();
        let pid = std::process::id();
        for attempt in 0..1000u32 {
            let path = base.join(format!("nexus-attest-bench-{pid}-{attempt}"));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("cannot create `{}`: {e}", path.display())),
            }
        }
        Err(format!("no free temporary directory name under `{}`", base.display()))
    }

    /// A path for a database file named `name` inside the directory.
    pub(crate) fn db(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("NEXUS_ATTEST_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
