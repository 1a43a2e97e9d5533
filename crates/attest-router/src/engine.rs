//! The nexus-router 1.1.1 run algorithm (router.md 3.5) over a [`RunStore`], with an
//! injected clock and id source, and the Rust enforcement options of 4.3 and 4.7.
//!
//! In compat mode ([`EngineOptions::compat`]) events, payloads, ids, results, the run
//! response and the provenance digest are exactly nexus-router's. The strict options
//! ([`EngineOptions::strict`], used by the bridge and the dry-run router) refuse before
//! any step what nexus-router only advertises: a plan longer than `max_steps`, apply
//! through an adapter without `apply`, apply not allowed by the policy, apply asked of
//! a dry-run-only router. Refusals are recorded as runs, each with its own code.

use std::sync::Arc;

use attest_verify::canonical::Dialect;
use attest_verify::json::{Map, Value};

use crate::adapter::{Adapter, AdapterError, AdapterRegistry, ErrorKind, CAP_APPLY};
use crate::bundle;
use crate::clock::{router_timestamp, Clock, IdSource, RandomIds, SystemClock};
use crate::error::{RouterError, StoreError};
use crate::hash::{count, digest_of_entries, obj, uint};
use crate::request::{Mode, RunRequest, Step};
use crate::store::{MemoryRunStore, NewRunEvent, RunRecord, RunStatus, RunStore};

/// The `method_id` of run provenance records.
pub const PROVENANCE_METHOD_ID: &str = "nexus-router.provenance.record_v0_1";

/// What to do with a plan longer than `policy.max_steps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaxStepsPolicy {
    /// nexus-router: record `RUN_FAILED {reason: "max_steps_exceeded"}` and run the
    /// first `max_steps` steps (the run ends `FAILED`).
    Truncate,
    /// Run no step at all and refuse with `MAX_STEPS_EXCEEDED` (router.md 4.7).
    Refuse,
}

/// Engine behaviour beyond nexus-router; all off in [`EngineOptions::compat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EngineOptions {
    /// Plans longer than `max_steps`.
    pub max_steps: MaxStepsPolicy,
    /// After an operational step failure, start no further step (the run still ends
    /// with `PROVENANCE_EMITTED` and `RUN_FAILED {outcome: "error"}`).
    pub stop_on_step_error: bool,
    /// Write the adapter's redacted arguments into `TOOL_CALL_REQUESTED` (the adapter
    /// still receives the real ones; the provenance digest covers the real request).
    pub redact_event_args: bool,
    /// In apply mode, refuse before any step when the adapter lacks `apply`
    /// (`CAPABILITY_MISSING`) or the policy does not allow apply (`MODE_NOT_ALLOWED`),
    /// instead of failing every step.
    pub strict_apply: bool,
    /// Whether apply mode is offered at all; when false an apply request is refused
    /// with `APPLY_NOT_SUPPORTED` (the dry-run router).
    pub apply_supported: bool,
}

impl EngineOptions {
    /// nexus-router 1.1.1's behaviour exactly.
    pub const fn compat() -> EngineOptions {
        EngineOptions {
            max_steps: MaxStepsPolicy::Truncate,
            stop_on_step_error: false,
            redact_event_args: false,
            strict_apply: false,
            apply_supported: true,
        }
    }

    /// Every enforcement on (router.md 4.7): the bridge's options.
    pub const fn strict() -> EngineOptions {
        EngineOptions {
            max_steps: MaxStepsPolicy::Refuse,
            stop_on_step_error: true,
            redact_event_args: true,
            strict_apply: true,
            apply_supported: true,
        }
    }
}

impl Default for EngineOptions {
    fn default() -> EngineOptions {
        EngineOptions::compat()
    }
}

/// Why a run was refused before any step ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalCode {
    /// The requested (or default) adapter is not registered.
    UnknownAdapter,
    /// A required capability, or `apply` in apply mode, is missing.
    CapabilityMissing,
    /// Apply mode on a dry-run-only engine.
    ApplyNotSupported,
    /// Apply mode while `policy.allow_apply` is not true.
    ModeNotAllowed,
    /// The plan is longer than `max_steps` ([`MaxStepsPolicy::Refuse`]).
    MaxStepsExceeded,
}

impl RefusalCode {
    /// Every refusal code.
    pub const ALL: [RefusalCode; 5] = [
        RefusalCode::UnknownAdapter,
        RefusalCode::CapabilityMissing,
        RefusalCode::ApplyNotSupported,
        RefusalCode::ModeNotAllowed,
        RefusalCode::MaxStepsExceeded,
    ];

    /// The code recorded in `RUN_FAILED.error_code` and used as the error code.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::UnknownAdapter => "UNKNOWN_ADAPTER",
            RefusalCode::CapabilityMissing => "CAPABILITY_MISSING",
            RefusalCode::ApplyNotSupported => "APPLY_NOT_SUPPORTED",
            RefusalCode::ModeNotAllowed => "MODE_NOT_ALLOWED",
            RefusalCode::MaxStepsExceeded => "MAX_STEPS_EXCEEDED",
        }
    }
}

/// A refusal: code, message and details (as recorded in the run's `RUN_FAILED`).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The code.
    pub code: RefusalCode,
    /// The message.
    pub message: String,
    /// The details (selection failures: nexus-router's detail objects).
    pub details: Map,
}

/// The result of a run that was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The run id.
    pub run_id: String,
    /// The final status (`Completed` or `Failed`).
    pub status: RunStatus,
    /// nexus-router's run response (router.md 3.6).
    pub response: Map,
    /// Set when the run was refused before any step.
    pub refusal: Option<Refusal>,
}

/// The run engine: nexus-router's algorithm over a store, a registry, a clock and an
/// id source. `Sync`: several runs may proceed at once (each run has one writer).
#[derive(Clone)]
pub struct RunEngine {
    store: Arc<dyn RunStore>,
    adapters: AdapterRegistry,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    options: EngineOptions,
}

impl std::fmt::Debug for RunEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunEngine").field("adapters", &self.adapters).field("options", &self.options).finish()
    }
}

impl RunEngine {
    /// An engine over `adapters` with an in-memory store, the system clock, random ids
    /// and compat options.
    pub fn new(adapters: AdapterRegistry) -> RunEngine {
        RunEngine {
            store: Arc::new(MemoryRunStore::new()),
            adapters,
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds::new()),
            options: EngineOptions::compat(),
        }
    }

    /// Use another store.
    pub fn with_store(mut self, store: Arc<dyn RunStore>) -> RunEngine {
        self.store = store;
        self
    }

    /// Use another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> RunEngine {
        self.clock = clock;
        self
    }

    /// Use another id source.
    pub fn with_ids(mut self, ids: Arc<dyn IdSource>) -> RunEngine {
        self.ids = ids;
        self
    }

    /// Use other options.
    pub fn with_options(mut self, options: EngineOptions) -> RunEngine {
        self.options = options;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn RunStore> {
        &self.store
    }

    /// The adapters.
    pub fn adapters(&self) -> &AdapterRegistry {
        &self.adapters
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The options.
    pub fn options(&self) -> EngineOptions {
        self.options
    }

    /// Export run `run_id` as a nexus-router 0.3 bundle (router.md 3.12), `exported_at`
    /// read from the clock; `source` names the store in the export provenance (a
    /// logical name, not a path), `None` omits the provenance.
    ///
    /// Errors: [`StoreError::RunNotFound`] (`Run <id> not found`).
    pub fn export(&self, run_id: &str, source: Option<&str>) -> Result<Value, RouterError> {
        let exported_at = router_timestamp(&self.clock.now());
        let mut out = None;
        self.store.with_run(run_id, &mut |run| out = Some(bundle::export_run(run, &exported_at, source)))?;
        out.ok_or_else(|| StoreError::RunNotFound(run_id.to_owned()).into())
    }

    /// Execute a validated request and record it as a run (router.md 3.5).
    ///
    /// `Ok` for every recorded run, including selection failures and refusals
    /// ([`RunOutcome::refusal`]). Errors: [`RouterError::AdapterBug`] after recording
    /// `TOOL_CALL_FAILED` (bug) and `RUN_FAILED {reason: "bug_error"}`;
    /// [`RouterError::Store`].
    pub fn run(&self, req: &RunRequest) -> Result<RunOutcome, RouterError> {
        self.execute(req, true)
    }

    /// [`RunEngine::run`]; without `respond` the outcome's response is left empty (the
    /// routers answer a response derived from the recorded run instead).
    pub(crate) fn execute(&self, req: &RunRequest, respond: bool) -> Result<RunOutcome, RouterError> {
        let mode = req.mode();
        let run_id = self.ids.next_id();
        let created_at = router_timestamp(&self.clock.now());
        self.store.create_run(RunRecord {
            run_id: run_id.clone(),
            mode: mode.as_str().to_owned(),
            goal: req.goal().to_owned(),
            status: RunStatus::Running.as_str().to_owned(),
            created_at,
        })?;
        let mut w = Writer { engine: self, run_id: &run_id, events: 0 };
        // Payloads are built with their keys in code point order, as the store keeps them.
        w.append("RUN_STARTED", obj([("goal", Value::str(req.goal())), ("mode", Value::str(mode.as_str()))]))?;

        let (adapter, source) = match self.select(req) {
            Ok(sel) => sel,
            Err(refusal) => return self.refuse_selection(w, mode, refusal),
        };
        w.append(
            "DISPATCH_SELECTED",
            obj([
                ("adapter_id", Value::str(adapter.adapter_id())),
                ("adapter_kind", Value::str(adapter.adapter_kind())),
                ("capabilities", caps_value(adapter)),
                ("selection_source", Value::str(source)),
            ]),
        )?;
        w.append("PLAN_CREATED", obj([("plan", req.plan_sorted().clone())]))?;

        let mut steps: &[Step] = req.steps();
        let mut ok = true;
        let mut refusal = None;
        if let Some(max) = req.max_steps() {
            let limit = usize::try_from(max).unwrap_or(usize::MAX);
            if steps.len() > limit {
                ok = false;
                w.append(
                    "RUN_FAILED",
                    obj([
                        ("max_steps", uint(max)),
                        ("plan_steps", count(steps.len())),
                        ("reason", Value::str("max_steps_exceeded")),
                    ]),
                )?;
                self.store.set_status(&run_id, RunStatus::Failed)?;
                match self.options.max_steps {
                    MaxStepsPolicy::Truncate => steps = steps.get(..limit).unwrap_or(steps),
                    MaxStepsPolicy::Refuse => {
                        refusal = Some(Refusal {
                            code: RefusalCode::MaxStepsExceeded,
                            message: format!("plan has {} steps, max_steps is {max}", steps.len()),
                            details: obj([("max_steps", uint(max)), ("plan_steps", count(steps.len()))]),
                        });
                        steps = &[];
                    }
                }
            }
        }

        let mut results = Vec::with_capacity(steps.len());
        let mut tools_used: Vec<&str> = Vec::new();
        let mut applied = 0usize;
        let mut skipped = 0usize;
        for step in steps {
            if !tools_used.contains(&step.method()) {
                tools_used.push(step.method());
            }
            let (status, output) = self.run_step(&mut w, req, adapter, step)?;
            if status {
                applied += 1;
            } else {
                ok = false;
                skipped += 1;
            }
            w.append(
                "STEP_COMPLETED",
                obj([
                    ("status", Value::str(if status { "ok" } else { "error" })),
                    ("step_id", Value::str(step.step_id())),
                ]),
            )?;
            results.push(Value::Object(obj([
                ("step_id", Value::str(step.step_id())),
                ("status", Value::str(if status { "ok" } else { "error" })),
                ("simulated", Value::Bool(mode == Mode::DryRun)),
                ("output", Value::Object(output)),
                ("evidence", Value::Array(Vec::new())),
            ])));
            if !status && self.options.stop_on_step_error {
                break;
            }
        }

        let results = Value::Array(results);
        let mut provenance = self.provenance(&run_id, req.as_value(), &results);
        let stored_provenance =
            if respond { provenance.clone() } else { std::mem::replace(&mut provenance, Value::Null) };
        w.append("PROVENANCE_EMITTED", obj([("provenance", stored_provenance)]))?;
        let status = if ok {
            w.append("RUN_COMPLETED", obj([("outcome", Value::str("ok"))]))?;
            RunStatus::Completed
        } else {
            w.append("RUN_FAILED", obj([("outcome", Value::str("error"))]))?;
            RunStatus::Failed
        };
        self.store.set_status(&run_id, status)?;
        if !respond {
            return Ok(RunOutcome { run_id, status, response: Map::new(), refusal });
        }

        let n_results = results.as_array().map_or(0, <[Value]>::len);
        let mut response = obj([
            (
                "summary",
                Value::Object(obj([
                    ("mode", Value::str(mode.as_str())),
                    ("steps", count(steps.len())),
                    ("tools_used", Value::Array(tools_used.iter().map(|t| Value::str(*t)).collect())),
                    ("outputs_total", count(n_results)),
                    ("outputs_applied", count(if mode == Mode::DryRun { 0 } else { applied })),
                    ("outputs_skipped", count(skipped)),
                    ("adapter_id", Value::str(adapter.adapter_id())),
                ])),
            ),
            (
                "dispatch",
                Value::Object(obj([
                    ("adapter_id", Value::str(adapter.adapter_id())),
                    ("adapter_kind", Value::str(adapter.adapter_kind())),
                    ("selection_source", Value::str(source)),
                ])),
            ),
            ("run", Value::Object(obj([("run_id", Value::str(&run_id)), ("events_committed", count(w.events))]))),
            // The executed steps are always a prefix of the plan (possibly cut by max_steps).
            ("plan", Value::Array(req.plan().as_array().unwrap_or(&[]).iter().take(steps.len()).cloned().collect())),
            ("results", results),
            ("provenance", provenance),
        ]);
        if let Some(r) = &refusal {
            response.insert(
                "error",
                Value::Object(obj([("code", Value::str(r.code.as_str())), ("message", Value::str(&r.message))])),
            );
        }
        Ok(RunOutcome { run_id, status, response, refusal })
    }

    /// Adapter selection (3.5 step 3) and the strict pre-flight checks (4.7).
    fn select(&self, req: &RunRequest) -> Result<(&dyn Adapter, &'static str), Refusal> {
        let (id, source) = match req.adapter_id() {
            Some(id) => (id, "request"),
            None => (self.adapters.default_adapter_id(), "default"),
        };
        let Some(adapter) = self.adapters.get(id) else {
            let available = self.adapters.ids().into_iter().map(Value::from).collect();
            return Err(Refusal {
                code: RefusalCode::UnknownAdapter,
                message: format!("Unknown adapter: '{id}'"),
                details: obj([
                    ("available_adapters", Value::Array(available)),
                    ("requested_adapter_id", Value::str(id)),
                ]),
            });
        };
        let adapter: &dyn Adapter = adapter.as_ref();
        let missing = |cap: &str, message: String| Refusal {
            code: RefusalCode::CapabilityMissing,
            message,
            details: obj([
                ("adapter_capabilities", caps_value(adapter)),
                ("adapter_id", Value::str(adapter.adapter_id())),
                ("required_capability", Value::str(cap)),
            ]),
        };
        for cap in req.require_capabilities() {
            if !adapter.capabilities().contains(cap) {
                let id = adapter.adapter_id();
                return Err(missing(cap, format!("Adapter '{id}' lacks required capability: {cap}")));
            }
        }
        if req.mode() == Mode::Apply {
            if !self.options.apply_supported {
                return Err(Refusal {
                    code: RefusalCode::ApplyNotSupported,
                    message: "This router only simulates runs: apply mode is not supported".to_owned(),
                    details: obj([("mode", Value::str("apply"))]),
                });
            }
            if self.options.strict_apply {
                if !adapter.capabilities().contains(CAP_APPLY) {
                    let id = adapter.adapter_id();
                    return Err(missing(
                        CAP_APPLY,
                        format!("Adapter '{id}' lacks required capability 'apply' for apply mode"),
                    ));
                }
                if !req.allow_apply() {
                    return Err(Refusal {
                        code: RefusalCode::ModeNotAllowed,
                        message: "Policy does not allow apply (allow_apply=false).".to_owned(),
                        details: obj([("allow_apply", Value::Bool(false)), ("mode", Value::str("apply"))]),
                    });
                }
            }
        }
        Ok((adapter, source))
    }

    fn refuse_selection(&self, mut w: Writer<'_>, mode: Mode, refusal: Refusal) -> Result<RunOutcome, RouterError> {
        w.append(
            "RUN_FAILED",
            obj([
                ("details", Value::Object(refusal.details.clone())),
                ("error_code", Value::str(refusal.code.as_str())),
                ("message", Value::str(&refusal.message)),
                ("reason", Value::str("dispatch_selection_failed")),
            ]),
        )?;
        self.store.set_status(w.run_id, RunStatus::Failed)?;
        let zero = || count(0);
        let response = obj([
            (
                "summary",
                Value::Object(obj([
                    ("mode", Value::str(mode.as_str())),
                    ("steps", zero()),
                    ("tools_used", Value::Array(Vec::new())),
                    ("outputs_total", zero()),
                    ("outputs_applied", zero()),
                    ("outputs_skipped", zero()),
                    ("adapter_id", Value::str("none")),
                ])),
            ),
            (
                "dispatch",
                Value::Object(obj([
                    ("adapter_id", Value::str("none")),
                    ("adapter_kind", Value::str("none")),
                    ("selection_source", Value::str("failed")),
                ])),
            ),
            ("run", Value::Object(obj([("run_id", Value::str(w.run_id)), ("events_committed", count(w.events))]))),
            ("plan", Value::Array(Vec::new())),
            ("results", Value::Array(Vec::new())),
            (
                "provenance",
                Value::Object(obj([("artifacts", Value::Array(Vec::new())), ("records", Value::Array(Vec::new()))])),
            ),
            (
                "error",
                Value::Object(obj([
                    ("code", Value::str(refusal.code.as_str())),
                    ("message", Value::str(&refusal.message)),
                ])),
            ),
        ]);
        Ok(RunOutcome { run_id: w.run_id.to_owned(), status: RunStatus::Failed, response, refusal: Some(refusal) })
    }

    /// One step: `STEP_STARTED`, `TOOL_CALL_REQUESTED`, dispatch, result event. Returns
    /// whether it succeeded and its output (`{}` on failure).
    fn run_step(
        &self,
        w: &mut Writer<'_>,
        req: &RunRequest,
        adapter: &dyn Adapter,
        step: &Step,
    ) -> Result<(bool, Map), RouterError> {
        w.append("STEP_STARTED", obj([("step_id", Value::str(step.step_id()))]))?;
        let mut call = step.call().clone();
        if self.options.redact_event_args {
            if let (Some(redacted), Value::Object(c)) = (adapter.redact_args(step.args()), &mut call) {
                c.insert("args", Value::Object(redacted));
            }
        }
        w.append(
            "TOOL_CALL_REQUESTED",
            obj([
                ("adapter_capabilities", caps_value(adapter)),
                ("adapter_id", Value::str(adapter.adapter_id())),
                ("call", call),
                ("step_id", Value::str(step.step_id())),
            ]),
        )?;
        match self.dispatch(req, adapter, step) {
            Ok((output, simulated, duration_ms)) => {
                w.append(
                    "TOOL_CALL_SUCCEEDED",
                    obj([
                        ("adapter_id", Value::str(adapter.adapter_id())),
                        ("duration_ms", uint(duration_ms)),
                        ("output", Value::Object(output.clone())),
                        ("simulated", Value::Bool(simulated)),
                        ("step_id", Value::str(step.step_id())),
                    ]),
                )?;
                Ok((true, output))
            }
            Err(e) => {
                w.append(
                    "TOOL_CALL_FAILED",
                    obj([
                        ("adapter_id", Value::str(adapter.adapter_id())),
                        ("error_code", Value::str(e.code())),
                        ("error_kind", Value::str(e.kind().as_str())),
                        ("message", Value::str(e.message())),
                        ("step_id", Value::str(step.step_id())),
                    ]),
                )?;
                if e.kind() == ErrorKind::Bug {
                    w.append(
                        "RUN_FAILED",
                        obj([("reason", Value::str("bug_error")), ("step_id", Value::str(step.step_id()))]),
                    )?;
                    self.store.set_status(w.run_id, RunStatus::Failed)?;
                    return Err(RouterError::AdapterBug {
                        adapter_code: e.code().to_owned(),
                        message: e.message().to_owned(),
                        run_id: w.run_id.to_owned(),
                    });
                }
                Ok((false, Map::new()))
            }
        }
    }

    /// 3.5 step 6: simulate in dry run; in apply mode check `apply`, the policy gate,
    /// then call the adapter and stamp `adapter_id` into its output.
    fn dispatch(&self, req: &RunRequest, adapter: &dyn Adapter, step: &Step) -> Result<(Map, bool, u64), AdapterError> {
        let id = adapter.adapter_id();
        if req.mode() == Mode::DryRun {
            let out = obj([
                ("adapter_id", Value::str(id)),
                ("method", Value::str(step.method())),
                ("simulated", Value::Bool(true)),
                ("tool", Value::str(step.tool())),
            ]);
            return Ok((out, true, 0));
        }
        if !adapter.capabilities().contains(CAP_APPLY) {
            return Err(AdapterError::operational(
                "CAPABILITY_MISSING",
                format!("Adapter '{id}' lacks required capability 'apply' for apply mode"),
            ));
        }
        if !req.allow_apply() {
            return Err(AdapterError::operational(
                "PERMISSION_DENIED",
                "Policy does not allow apply (allow_apply=false).",
            ));
        }
        let t0 = self.clock.monotonic();
        let mut output = adapter.call(step.tool(), step.method(), step.args())?;
        let ms = self.clock.monotonic().saturating_sub(t0).as_millis();
        output.insert("adapter_id", Value::str(id));
        Ok((output, false, u64::try_from(ms).unwrap_or(u64::MAX)))
    }

    /// The provenance object of 3.10; the prov id is drawn here, just before the
    /// `PROVENANCE_EMITTED` event's id.
    fn provenance(&self, run_id: &str, request: &Value, results: &Value) -> Value {
        let prov_id = self.ids.next_id();
        let value = provenance_value(request, results).to_hex();
        let record = obj([
            (
                "digests",
                Value::Array(vec![Value::Object(obj([
                    ("alg", Value::str("sha256")),
                    ("artifact_id", Value::str(format!("run:{run_id}"))),
                    ("value", Value::str(value)),
                ]))]),
            ),
            ("inputs", Value::Array(Vec::new())),
            ("method_id", Value::str(PROVENANCE_METHOD_ID)),
            ("outputs", Value::Array(Vec::new())),
            ("prov_id", Value::str(prov_id)),
        ]);
        Value::Object(obj([
            ("artifacts", Value::Array(Vec::new())),
            ("records", Value::Array(vec![Value::Object(record)])),
        ]))
    }
}

/// The run provenance value `H_r({"request": request, "results": results})`
/// (router.md 3.10), without copying either.
pub fn provenance_value(request: &Value, results: &Value) -> attest_verify::Digest {
    // The router dialect cannot fail.
    digest_of_entries(&[("request", request), ("results", results)], Dialect::Router)
        .unwrap_or_else(|_| attest_verify::Digest::of(b""))
}

fn caps_value(adapter: &dyn Adapter) -> Value {
    // BTreeSet iterates sorted, as nexus-router's `sorted(capabilities)`.
    Value::Array(adapter.capabilities().iter().map(Value::str).collect())
}

/// Appends the events of one run, drawing an id and a timestamp per event.
struct Writer<'a> {
    engine: &'a RunEngine,
    run_id: &'a str,
    events: usize,
}

impl Writer<'_> {
    fn append(&mut self, event_type: &'static str, payload: Map) -> Result<(), StoreError> {
        let event_id = self.engine.ids.next_id();
        let ts = router_timestamp(&self.engine.clock.now());
        self.engine
            .store
            .append(self.run_id, NewRunEvent { event_id, event_type, payload: Value::Object(payload), ts })?;
        self.events += 1;
        Ok(())
    }
}
