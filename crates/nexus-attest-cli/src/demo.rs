//! `nexus-attest demo`: the whole flow in a fresh database — template, request, two
//! approvals, a dry run through the router, the audit package with the run embedded, and
//! its verification. Exits 0 only if the package verifies.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nexus_attest::verify::json::{self, Map, Value};
use nexus_attest::verify::VerifyOptions;
use nexus_attest::{NexusAttest, Store, ToolResult};

const ADAPTER: &str = "subprocess:mcpt:key-rotation";

const PLAN: &str = r#"[{"step_id": "s1", "intent": "snapshot the key store", "call": {"tool": "vault", "method": "snapshot", "args": {"path": "secret/payments"}}}, {"step_id": "s2", "intent": "rotate the API keys", "call": {"tool": "keys", "method": "rotate", "args": {"scope": "payments-api"}}}]"#;

fn fresh_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    std::env::temp_dir().join(format!("nexus-attest-demo-{}-{nanos}", std::process::id()))
}

fn args(text: &str) -> Value {
    json::parse(text).unwrap_or(Value::Null)
}

fn get(r: &ToolResult, key: &str) -> String {
    match r.data().and_then(|d| d.get(key)) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => nexus_attest::verify::canonical::to_display_string(v, None),
        None => "-".to_owned(),
    }
}

struct Steps {
    n: usize,
    total: usize,
}

impl Steps {
    fn step(&mut self, what: &str, r: &ToolResult) -> Result<(), String> {
        self.n += 1;
        if r.is_success() {
            println!("[{}/{}] {what}", self.n, self.total);
            Ok(())
        } else {
            println!("[{}/{}] {what}: FAILED", self.n, self.total);
            Err(r.to_json())
        }
    }
}

fn flow<S: Store>(tools: &NexusAttest<S>, dir: &Path) -> Result<bool, String> {
    let mut steps = Steps { n: 0, total: 7 };
    let t = tools.call(
        "template_create",
        &args(
            r#"{"name": "prod-deploy", "actor": {"type": "human", "id": "alice@example.com"},
                 "description": "Production deployment policy", "min_approvals": 2,
                 "allowed_modes": ["dry_run", "apply"], "require_adapter_capabilities": ["timeout"],
                 "max_steps": 5, "labels": ["prod"]}"#,
        ),
    );
    steps.step(&format!("template `prod-deploy` created (digest {})", get(&t, "digest")), &t)?;

    let mut req = Map::new();
    req.insert("goal", Value::str("Rotate the payments API keys"));
    req.insert("actor", args(r#"{"type": "human", "id": "alice@example.com"}"#));
    req.insert("mode", Value::str("dry_run"));
    req.insert("plan", Value::str(PLAN));
    req.insert("template_name", Value::str("prod-deploy"));
    let r = tools.call("request", &Value::Object(req));
    steps.step(
        &format!(
            "request {} created from the template: needs {} approvals",
            get(&r, "request_id"),
            get(&r, "min_approvals")
        ),
        &r,
    )?;
    let id = get(&r, "request_id");

    for who in ["alice@example.com", "bob@example.com"] {
        let a = tools.call(
            "approve",
            &args(&format!(r#"{{"request_id": "{id}", "actor": {{"type": "human", "id": "{who}"}}, "comment": "reviewed the plan"}}"#)),
        );
        steps.step(
            &format!(
                "approved by {who}: {}/{} ({})",
                get(&a, "current_approvals"),
                get(&a, "required_approvals"),
                get(&a, "state")
            ),
            &a,
        )?;
    }

    let registry = nexus_attest::router::AdapterRegistry::default()
        .with(std::sync::Arc::new(nexus_attest::router::DeclaredAdapter::new(
            ADAPTER,
            "subprocess",
            &["dry_run", "timeout"],
        )))
        .map_err(|e| e.to_string())?;
    let router = nexus_attest::router::DryRunRouter::new(nexus_attest::router::RunEngine::new(registry));
    let e = tools.call_with_router(
        "execute",
        &args(&format!(
            r#"{{"request_id": "{id}", "adapter_id": "{ADAPTER}", "actor": {{"type": "system", "id": "scheduler"}}}}"#
        )),
        &router,
    );
    steps.step(
        &format!(
            "executed through the dry-run router: run {} ({} steps)",
            get(&e, "run_id"),
            get(&e, "steps_executed")
        ),
        &e,
    )?;

    let run_bundle =
        router.last_run_id().and_then(|run| router.export_bundle(&run).ok()).ok_or("the router kept no run bundle")?;
    let mut exp = Map::new();
    exp.insert("decision_id", Value::str(id.as_str()));
    exp.insert("embed_router_bundle", Value::Bool(true));
    exp.insert("router_bundle", run_bundle);
    let p = tools.call("export_audit_package", &Value::Object(exp));
    steps.step(&format!("audit package exported with the run embedded: binding {}", get(&p, "digest")), &p)?;
    let package = p.data().and_then(|d| d.get("package")).cloned().ok_or("no package")?;
    let path = dir.join("audit-package.json");
    std::fs::write(&path, nexus_attest::verify::canonical::to_display_string(&package, Some(2)) + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;

    let v = nexus_attest::verify::verify_package(&package, &VerifyOptions::default()).map_err(|e| e.to_string())?;
    println!(
        "[7/7] verified {}: {} reference checks and {} deep checks, {}",
        path.display(),
        v.reference.checks.len(),
        v.deep.checks.len(),
        if v.ok() { "all passed" } else { "FAILED" }
    );
    for c in v.all_checks().filter(|c| !c.ok) {
        println!("      FAIL {}: {}", c.name, c.detail.as_deref().unwrap_or(""));
    }
    if let Some(Value::String(rendered)) = p.data().and_then(|d| d.get("rendered")) {
        println!("\n{rendered}\n");
    }
    println!(
        "verify it yourself: nexus-attest verify {}   (or: attest-verify package {})",
        path.display(),
        path.display()
    );
    Ok(v.ok())
}

/// Run the demo; `dir` defaults to a fresh temporary directory.
pub(crate) fn run(dir: Option<&Path>, redb: bool) -> ExitCode {
    let dir = dir.map(Path::to_path_buf).unwrap_or_else(fresh_dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("nexus-attest demo: cannot create {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let db = dir.join(if redb { "nexus-attest.redb" } else { "nexus-attest.db" });
    println!("nexus-attest demo: fresh database {}", db.display());
    let outcome = if redb {
        NexusAttest::open_redb(&db).map_err(|e| e.wire_message()).and_then(|t| flow(&t, &dir))
    } else {
        NexusAttest::open(&db).map_err(|e| e.wire_message()).and_then(|t| flow(&t, &dir))
    };
    match outcome {
        Ok(true) => {
            println!("demo: the audit package verifies");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("demo: the audit package does NOT verify");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("nexus-attest demo: {e}");
            ExitCode::from(1)
        }
    }
}
