//! Layer checks: which workspace crate may depend on which, read from `cargo metadata`.

use std::collections::BTreeMap;
use std::process::{Command, ExitCode};

use attest_verify::json::{self, Value};

/// Allowed normal (non-dev) dependency edges between workspace crates; a crate not listed
/// may depend on no workspace crate. `attest-verify` may depend on nothing at all.
pub(crate) const ALLOWED: &[(&str, &[&str])] = &[
    ("attest-verify", &[]),
    ("attest-events", &["attest-verify"]),
    ("attest-store", &["attest-verify", "attest-events"]),
    ("attest-store-sqlite", &["attest-verify", "attest-events", "attest-store"]),
    ("attest-store-redb", &["attest-verify", "attest-events", "attest-store"]),
    ("attest-policy", &["attest-verify", "attest-events", "attest-store"]),
    ("attest-router", &["attest-verify"]),
    ("attest-core", &["attest-verify", "attest-events", "attest-store", "attest-policy", "attest-router"]),
    ("attest-witness", &["attest-verify", "attest-events", "attest-store"]),
    ("nexus-attest-cli", &["nexus-attest"]),
    ("attest-xrpl", &["attest-verify", "attest-witness"]),
    (
        "nexus-attest",
        &[
            "attest-verify",
            "attest-events",
            "attest-store",
            "attest-store-sqlite",
            "attest-store-redb",
            "attest-policy",
            "attest-router",
            "attest-core",
            "attest-witness",
            "attest-xrpl",
        ],
    ),
];

/// Problems found in `cargo metadata` output.
pub(crate) fn check(metadata: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(packages) = metadata.get("packages").and_then(Value::as_array) else {
        return vec!["cargo metadata has no packages".to_owned()];
    };
    let members: Vec<&str> = packages.iter().filter_map(|p| p.get("name").and_then(Value::as_str)).collect();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    for p in packages {
        let Some(name) = p.get("name").and_then(Value::as_str) else { continue };
        let deps = p.get("dependencies").and_then(Value::as_array).unwrap_or(&[]);
        for d in deps {
            let dep = d.get("name").and_then(Value::as_str).unwrap_or("");
            let kind = d.get("kind").and_then(Value::as_str);
            let optional = d.get("optional").and_then(Value::as_bool).unwrap_or(false);
            if kind.is_some() {
                continue; // dev and build dependencies are not layer edges
            }
            if name == "attest-verify" && !optional {
                problems.push(format!("attest-verify must depend on nothing but std, found `{dep}`"));
                continue;
            }
            if members.contains(&dep) && dep != "xtask" {
                if let Some(ok) = allowed.get(name) {
                    if !ok.contains(&dep) {
                        problems.push(format!("`{name}` may not depend on `{dep}` (see docs/ARCHITECTURE.md)"));
                    }
                }
            }
        }
    }
    problems
}

pub(crate) fn metadata() -> Result<Value, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(crate::workspace_root())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    json::parse_bytes(&out.stdout).map_err(|e| format!("cargo metadata output: {e}"))
}

pub(crate) fn main() -> ExitCode {
    match metadata() {
        Ok(m) => {
            let problems = check(&m);
            for p in &problems {
                println!("tidy: {p}");
            }
            if problems.is_empty() {
                println!("tidy: layering ok");
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("tidy: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_layering_holds() {
        let m = metadata().unwrap();
        assert_eq!(check(&m), Vec::<String>::new());
    }

    #[test]
    fn a_forbidden_edge_is_reported() {
        let m = json::parse(
            r#"{"packages":[{"name":"attest-verify","dependencies":[{"name":"serde","kind":null,"optional":false}]},
                {"name":"attest-router","dependencies":[{"name":"attest-core","kind":null}]},
                {"name":"attest-core","dependencies":[]}]}"#,
        )
        .unwrap();
        let p = check(&m);
        assert_eq!(p.len(), 2, "{p:?}");
    }
}
