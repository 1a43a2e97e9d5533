//! The two [`Router`]s of this crate: [`NexusRouterBridge`] (the run engine behind the
//! nexus-attest protocol, with strict enforcement, router.md 4.6–4.7) and
//! [`DryRunRouter`] (the same, simulation only, 4.4).

use std::collections::BTreeSet;
use std::sync::Mutex;

use attest_verify::json::{Map, Value};

use crate::engine::{EngineOptions, RunEngine};
use crate::error::{RouterError, StoreError};
use crate::evidence::derive_response_from_run;
use crate::protocol::Router;
use crate::request::{RunArgs, RunRequest};

/// The default logical store name written as `source_db_path` in export provenance.
pub const DEFAULT_SOURCE_NAME: &str = "attest-router:memory";

/// A [`Router`] backed by the run engine.
///
/// `run`: translate the arguments into a nexus-router request
/// ([`crate::CompiledRequest::to_run_request`]; refused before any run
/// with `INVALID_REQUEST` / `PLAN_NOT_STRUCTURED`), run it with strict options
/// ([`EngineOptions::strict`]), then either return the response derived from the
/// recorded run ([`crate::derive_response`]: `run_id`, `status`, `steps_executed`,
/// `summary`) or, for a refused run, an `Err` whose code names the refusal
/// (`UNKNOWN_ADAPTER`, `CAPABILITY_MISSING`, `MODE_NOT_ALLOWED`, `MAX_STEPS_EXCEEDED`,
/// `APPLY_NOT_SUPPORTED`) and whose text names the run. Runs that executed steps are
/// responses even when a step failed (`"status": "failed"`).
///
/// `adapter_capabilities`: the registered adapter's set, `None` for unknown ids.
#[derive(Debug)]
pub struct NexusRouterBridge {
    engine: RunEngine,
    source_name: String,
    last_run: Mutex<Option<String>>,
}

impl NexusRouterBridge {
    /// A bridge over `engine`, whose options are replaced by [`EngineOptions::strict`].
    pub fn new(engine: RunEngine) -> NexusRouterBridge {
        NexusRouterBridge::with_options(engine, EngineOptions::strict())
    }

    fn with_options(engine: RunEngine, options: EngineOptions) -> NexusRouterBridge {
        NexusRouterBridge {
            engine: engine.with_options(options),
            source_name: DEFAULT_SOURCE_NAME.to_owned(),
            last_run: Mutex::new(None),
        }
    }

    /// Name the store in export provenance (`source_db_path`).
    pub fn with_source_name(mut self, name: impl Into<String>) -> NexusRouterBridge {
        self.source_name = name.into();
        self
    }

    /// The engine (its store holds every run, refused ones included).
    pub fn engine(&self) -> &RunEngine {
        &self.engine
    }

    /// The id of the latest run this router recorded.
    pub fn last_run_id(&self) -> Option<String> {
        self.last_run.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Export run `run_id` as a nexus-router 0.3 bundle with export provenance. Embed
    /// it in an audit package with [`crate::RunBundle::embedding_form`].
    pub fn export_bundle(&self, run_id: &str) -> Result<Value, RouterError> {
        self.engine.export(run_id, Some(&self.source_name))
    }

    fn derived(&self, run_id: &str) -> Result<Map, RouterError> {
        let mut out = None;
        self.engine.store().with_run(run_id, &mut |run| out = Some(derive_response_from_run(run)))?;
        out.ok_or_else(|| StoreError::RunNotFound(run_id.to_owned()).into())
    }
}

impl Router for NexusRouterBridge {
    fn adapter_capabilities(&self, adapter_id: &str) -> Result<Option<BTreeSet<String>>, RouterError> {
        Ok(self.engine.adapters().get(adapter_id).map(|a| a.capabilities().clone()))
    }

    fn run(&self, args: &RunArgs<'_>) -> Result<Map, RouterError> {
        let request = RunRequest::translate(args)?;
        let outcome = self.engine.execute(&request, false).inspect_err(|e| {
            if let Some(id) = e.run_id() {
                *self.last_run.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(id.to_owned());
            }
        })?;
        *self.last_run.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome.run_id.clone());
        if let Some(r) = outcome.refusal {
            return Err(RouterError::refused(r.code, r.message, outcome.run_id));
        }
        self.derived(&outcome.run_id)
    }
}

/// A [`Router`] that only simulates: the bridge with apply refused
/// (`APPLY_NOT_SUPPORTED`, recorded as a refused run). Adapters are never called;
/// events, bundles and responses are exactly those of a nexus-router dry run, and the
/// same limits as a real run apply (unknown adapter, required capabilities,
/// `max_steps`). Register the adapters whose ids nexus-attest will pass (a
/// [`crate::DeclaredAdapter`] is enough) so that capability checks are real.
#[derive(Debug)]
pub struct DryRunRouter {
    bridge: NexusRouterBridge,
}

impl DryRunRouter {
    /// A dry-run router over `engine` (options replaced by the strict ones with apply
    /// not supported).
    pub fn new(engine: RunEngine) -> DryRunRouter {
        let options = EngineOptions { apply_supported: false, ..EngineOptions::strict() };
        DryRunRouter { bridge: NexusRouterBridge::with_options(engine, options) }
    }

    /// Name the store in export provenance (`source_db_path`).
    pub fn with_source_name(self, name: impl Into<String>) -> DryRunRouter {
        DryRunRouter { bridge: self.bridge.with_source_name(name) }
    }

    /// The engine.
    pub fn engine(&self) -> &RunEngine {
        self.bridge.engine()
    }

    /// The id of the latest run this router recorded.
    pub fn last_run_id(&self) -> Option<String> {
        self.bridge.last_run_id()
    }

    /// Export run `run_id` as a nexus-router 0.3 bundle.
    pub fn export_bundle(&self, run_id: &str) -> Result<Value, RouterError> {
        self.bridge.export_bundle(run_id)
    }
}

impl Router for DryRunRouter {
    fn adapter_capabilities(&self, adapter_id: &str) -> Result<Option<BTreeSet<String>>, RouterError> {
        self.bridge.adapter_capabilities(adapter_id)
    }

    fn run(&self, args: &RunArgs<'_>) -> Result<Map, RouterError> {
        self.bridge.run(args)
    }
}
