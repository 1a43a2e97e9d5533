//! `cargo xtask demo`: build a small audit package from a recorded decision log (with
//! this workspace's own digests and derivations), write it under `target/demo/`, and run
//! the `attest-verify` binary on it.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use attest_verify::json::{self, Map, Value};
use attest_verify::package::{binding_digest_payload, ParsedBundle};
use attest_verify::replay::{Decision, ReplayEvent};
use attest_verify::{canonical, derive, Timestamp};

const DECISION_ID: &str = "2f1f3c9e-5d4b-4a43-9a57-0c3b8a1d7e21";

/// The decision log of a demo flow: request, two approvals, execute.
fn events() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    vec![
        (
            "DECISION_CREATED",
            r#"{"goal":"Rotate production API keys","plan":null,"requested_mode":"apply","labels":["prod","security"]}"#,
            "human",
            "alice@example.com",
        ),
        (
            "POLICY_ATTACHED",
            r#"{"min_approvals":2,"allowed_modes":["dry_run","apply"],"require_adapter_capabilities":["timeout"],"max_steps":5,"labels":["prod","security"]}"#,
            "human",
            "alice@example.com",
        ),
        ("APPROVAL_GRANTED", r#"{"expires_at":null,"comment":"plan reviewed"}"#, "human", "alice@example.com"),
        ("APPROVAL_GRANTED", r#"{"expires_at":null,"comment":"ship it"}"#, "human", "bob@example.com"),
        (
            "EXECUTION_REQUESTED",
            r#"{"adapter_id":"subprocess:mcpt:key-rotation","dry_run":false}"#,
            "system",
            "scheduler",
        ),
        (
            "EXECUTION_STARTED",
            r#"{"router_request_digest":"a70d8389d9fda816e1d93a5b2e3cb00d66f2d1989f956ce6c0acda1dc056ac63"}"#,
            "system",
            "nexus-control",
        ),
        (
            "EXECUTION_COMPLETED",
            r#"{"run_id":"run-demo-0001","response_digest":"262bc69bb31227ce602481039a85a80fc3aac0896825f8642ca939ace7f1b273","steps_executed":3}"#,
            "system",
            "nexus-control",
        ),
    ]
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Object(m)
}

/// Build the demo audit package.
pub(crate) fn build() -> Result<Value, String> {
    let base = Timestamp::parse_isoformat("2026-11-24T10:09:33.230703+00:00").map_err(|e| e.to_string())?;
    let t0 = base.unix_micros().ok_or("naive base time")?;
    let mut bundle_events = Vec::new();
    let mut decision = Decision::new(t0 + 1_000_000);
    for (seq, (ty, payload, actor_type, actor_id)) in events().into_iter().enumerate() {
        let payload = json::parse(payload).map_err(|e| e.to_string())?;
        let ts = Timestamp::from_unix_micros(t0 + 97 * seq as i64).ok_or("time out of range")?;
        decision
            .apply(&ReplayEvent { event_type: ty, payload: &payload, ts, actor_type, actor_id })
            .map_err(|e| e.to_string())?;
        let digest = derive::event_digest(&Value::str(ty), &payload).map_err(|e| e.to_string())?;
        bundle_events.push(obj(vec![
            ("event_id", Value::String(format!("evt_{DECISION_ID}_{seq}"))),
            ("decision_id", Value::str(DECISION_ID)),
            ("seq", Value::int(seq as i64)),
            ("type", Value::str(ty)),
            ("payload", payload),
            ("ts", Value::String(ts.isoformat())),
            ("actor", obj(vec![("type", Value::str(actor_type)), ("id", Value::str(actor_id))])),
            ("digest", Value::String(digest.to_hex())),
        ]));
    }
    let first_ts = bundle_events.first().and_then(|e| e.get("ts")).and_then(Value::as_str).map(str::to_owned);
    let mut bundle = obj(vec![
        ("bundle_version", Value::str("0.5")),
        ("decision", derive::header(DECISION_ID, &decision, first_ts.as_deref())),
        ("events", Value::Array(bundle_events)),
        ("template_snapshot", derive::template_snapshot(&decision)),
        ("router_link", Value::Object(derive::router_link(DECISION_ID, &decision))),
        ("integrity", obj(vec![("alg", Value::str("sha256")), ("canonical_digest", Value::str(""))])),
    ]);
    let digest = ParsedBundle::parse(&bundle, "").map_err(|e| e.to_string())?.recompute_digest();
    if let Value::Object(m) = &mut bundle {
        m.insert(
            "integrity",
            obj(vec![("alg", Value::str("sha256")), ("canonical_digest", Value::String(digest.to_prefixed()))]),
        );
        m.insert("provenance", derive::bundle_provenance(DECISION_ID, &digest.to_hex()));
        m.insert("meta", obj(vec![("exported_at", Value::str("2026-11-24T10:09:34.000000+00:00"))]));
    }
    let control_digest = Value::String(digest.to_prefixed());
    let router_link = bundle.get("router_link").cloned().unwrap_or(Value::Null);
    let router_digest = router_link.get("router_result_digest").cloned().ok_or("no router result digest")?;
    let link_digest = router_link.get("control_router_link_digest").cloned().ok_or("no link digest")?;
    let run_id = router_link.get("run_id").cloned().ok_or("no run id")?;
    let binding =
        binding_digest_payload(Value::str("0.6"), control_digest.clone(), router_digest.clone(), link_digest.clone());
    let binding_digest = canonical::digest(&binding).map_err(|e| e.to_string())?;
    Ok(obj(vec![
        ("package_version", Value::str("0.6")),
        ("control_bundle", bundle),
        (
            "router",
            obj(vec![
                ("mode", Value::str("reference")),
                ("ref", obj(vec![("run_id", run_id), ("digest", router_digest.clone())])),
            ]),
        ),
        (
            "binding",
            obj(vec![
                ("control_digest", control_digest),
                ("router_digest", router_digest),
                ("control_router_link_digest", link_digest),
            ]),
        ),
        (
            "integrity",
            obj(vec![("alg", Value::str("sha256")), ("binding_digest", Value::String(binding_digest.to_prefixed()))]),
        ),
        ("provenance", derive::package_provenance(DECISION_ID, &binding_digest.to_hex())),
        ("meta", obj(vec![("exported_at", Value::str("2026-11-24T10:09:34.000100+00:00"))])),
    ]))
}

pub(crate) fn main() -> ExitCode {
    let package = match build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("demo: cannot build the package: {e}");
            return ExitCode::from(2);
        }
    };
    let dir = crate::workspace_root().join("target").join("demo");
    let path: PathBuf = dir.join("package.json");
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, canonical::to_display_string(&package, Some(2)) + "\n"))
    {
        eprintln!("demo: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    println!("demo: wrote an audit package to {}", path.display());
    println!("demo: $ attest-verify package {}", path.display());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["run", "--quiet", "--release", "-p", "attest-verify", "--bin", "attest-verify", "--", "package"])
        .arg(&path)
        .current_dir(crate::workspace_root())
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("demo: attest-verify exited with {s}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("demo: cannot run attest-verify: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_package_verifies_fully() {
        let p = super::build().unwrap();
        let v = attest_verify::verify_package(&p, &Default::default()).unwrap();
        let failed: Vec<_> = v.all_checks().filter(|c| !c.ok).collect();
        assert!(v.ok(), "{failed:?}");
    }
}
