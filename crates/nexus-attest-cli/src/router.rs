//! The routers `execute` runs through, shared by the `execute` subcommand and the MCP
//! server: the dry-run router (a declared adapter, nothing is run) and the nexus-router
//! bridge built from an adapter configuration file.

use std::path::Path;
use std::sync::Arc;

use nexus_attest::router::{AdapterRegistry, DeclaredAdapter, DryRunRouter, NexusRouterBridge, RunEngine};
use nexus_attest::verify::json::{self, Value};

/// The capability the dry-run router declares when none is given.
pub(crate) const DEFAULT_CAPABILITY: &str = "dry_run";

/// A dry-run router whose only adapter is `adapter`, declared (not run) with
/// `capabilities` (`dry_run` when empty), so that capability checks are real.
pub(crate) fn dry_run_router(adapter: &str, capabilities: &[String]) -> Result<DryRunRouter, String> {
    let caps: Vec<&str> = if capabilities.is_empty() {
        vec![DEFAULT_CAPABILITY]
    } else {
        capabilities.iter().map(String::as_str).collect()
    };
    // nexus-router's default registry holds the `null` adapter; a declared `null`
    // replaces it instead of colliding with it.
    let base = if adapter == "null" { AdapterRegistry::new("null") } else { AdapterRegistry::default() };
    let registry = base
        .with(Arc::new(DeclaredAdapter::new(adapter, "subprocess", &caps)))
        .map_err(|e| format!("adapter configuration: {e}"))?;
    Ok(DryRunRouter::new(RunEngine::new(registry)))
}

/// Read an adapter configuration file (nexus-router's JSON format).
pub(crate) fn read_config(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    json::parse_bytes(&bytes).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// The nexus-router bridge over the adapters of `config` (real runs, subprocess
/// adapters included); `origin` names the configuration in error messages.
pub(crate) fn bridge(config: &Value, origin: &Path) -> Result<NexusRouterBridge, String> {
    let registry = AdapterRegistry::from_config(config).map_err(|e| format!("{}: {e}", origin.display()))?;
    Ok(NexusRouterBridge::new(RunEngine::new(registry)))
}
