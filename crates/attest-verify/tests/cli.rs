//! The `attest-verify` binary against the golden vectors and bad input: exit codes, the
//! `--json` shape, the original's verdicts, the deep verdicts and `--expect-binding`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use attest_verify::json::{self, Value};

fn vectors() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors");
    if dir.exists() {
        Some(dir)
    } else {
        eprintln!("skipping: {} not found", dir.display());
        None
    }
}

fn load(name: &str) -> Option<Value> {
    let path = vectors()?.join(name);
    Some(json::parse(&std::fs::read_to_string(path).unwrap()).unwrap())
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_attest-verify"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn text(v: &Value) -> String {
    attest_verify::canonical::to_string(v).unwrap()
}

fn check_json(out: &Output) -> Value {
    json::parse(std::str::from_utf8(&out.stdout).unwrap()).unwrap_or_else(|e| panic!("stdout is not json: {e}"))
}

fn names_failed(report: &Value, reference: bool) -> Vec<String> {
    let reference_names = [
        "binding_digest",
        "control_bundle_digest",
        "binding_control_match",
        "binding_router_match",
        "binding_link_match",
        "router_digest",
    ];
    report
        .get("checks")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("ok") == Some(&Value::Bool(false)))
        .map(|c| c.get("name").unwrap().as_str().unwrap().to_owned())
        .filter(|n| reference_names.contains(&n.as_str()) == reference)
        .collect()
}

#[test]
fn canonical_and_digest_commands() {
    let out = run(&["canonical", "-"], br#"{"b": 1.0, "a": "\u00e9"}"#);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, "{\"a\":\"é\",\"b\":1.0}".as_bytes());
    let out = run(&["digest"], br#"{"b": 1.0, "a": "\u00e9"}"#);
    assert_eq!(out.status.code(), Some(0));
    let want = attest_verify::Digest::of("{\"a\":\"é\",\"b\":1.0}".as_bytes()).to_hex() + "\n";
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
    for bad in [&b"[NaN]"[..], b"{\"s\":\"\\ud800\"}", b"[1e400]", b"{", b"\xff"] {
        let out = run(&["canonical", "-"], bad);
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(bad));
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn usage_errors_exit_2_with_json_error() {
    for args in [
        &["package"][..],
        &["frobnicate"],
        &["package", "-", "--bogus"],
        &["package", "-", "--expect-binding", "nope", "--json"],
    ] {
        let out = run(args, b"{}");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = run(&["package", "-", "--json"], b"{}");
    assert_eq!(out.status.code(), Some(2));
    let v = check_json(&out);
    assert_eq!(v.get("ok"), Some(&Value::Bool(false)));
    assert_eq!(v.get("error").unwrap().get("code").unwrap().as_str(), Some("SHAPE_MISSING_KEY"));
    let out = run(&["package", "-", "--json"], b"[1,");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(check_json(&out).get("error").unwrap().get("code").unwrap().as_str(), Some("JSON_SYNTAX"));
}

#[test]
fn fresh_packages_verify_and_report_both_verdicts() {
    let Some(doc) = load("audit_packages.json") else { return };
    for case in doc.get("cases").unwrap().as_array().unwrap() {
        let Some(pkg) = case.get("expected").unwrap().get("package") else { continue };
        let out = run(&["package", "-", "--json"], text(pkg).as_bytes());
        let v = check_json(&out);
        assert_eq!(v.get("reference_ok"), Some(&Value::Bool(true)));
        let expected_ok = case.get("expected").unwrap().get("verification").unwrap().get("ok").unwrap();
        assert_eq!(v.get("reference_ok").unwrap(), expected_ok);
        let code = out.status.code().unwrap();
        assert_eq!(code == 0, v.get("ok") == Some(&Value::Bool(true)));
        // every check object has the five keys
        for c in v.get("checks").unwrap().as_array().unwrap() {
            let keys: Vec<&str> = c.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["name", "ok", "expected", "actual", "detail"]);
        }
        // the human report names every check
        let human = run(&["package", "-"], text(pkg).as_bytes());
        assert_eq!(human.status.code(), out.status.code());
        let s = String::from_utf8(human.stdout).unwrap();
        assert!(s.contains("binding_digest") && s.contains("event_digests") && s.contains("unauthenticated"), "{s}");
    }
}

/// Whether every mutation of a case changes or removes a known `meta` value (content no
/// digest covers). Adding a key to `meta` is an unknown key, which `schema_strict` flags.
fn touches_only_meta(case: &Value) -> bool {
    case.get("mutation").unwrap().as_array().unwrap().iter().all(|m| {
        let path = m.get("path").and_then(Value::as_str).unwrap_or("");
        if m.get("op").and_then(Value::as_str) == Some("add") {
            return false;
        }
        path == "meta"
            || path.starts_with("meta.")
            || path == "control_bundle.meta"
            || path.starts_with("control_bundle.meta.")
    })
}

#[test]
fn tampered_packages_get_the_original_verdict_and_the_deep_one() {
    let Some(doc) = load("audit_tampered.json") else { return };
    let Some(base) = load("audit_packages.json") else { return };
    let mut meta_only_accepted = 0;
    for case in doc.get("cases").unwrap().as_array().unwrap() {
        let name = case.get("name").unwrap().as_str().unwrap();
        let expected = case.get("expected").unwrap();
        let pkg = text(case.get("package").unwrap());
        let out = run(&["package", "-", "--json"], pkg.as_bytes());
        let code = out.status.code();
        assert_ne!(code, Some(101), "{name}: panicked");
        if expected.get("parse_ok") == Some(&Value::Bool(false)) {
            assert_eq!(code, Some(2), "{name}");
            continue;
        }
        let v = check_json(&out);
        if expected.get("verify_error").is_some() {
            assert_eq!(code, Some(1), "{name}");
            assert_eq!(v.get("reference_ok"), Some(&Value::Bool(false)), "{name}");
            continue;
        }
        assert_eq!(v.get("reference_ok").unwrap(), expected.get("ok").unwrap(), "{name}");
        let want: Vec<String> = expected
            .get("failed_checks")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names_failed(&v, true), want, "{name}");

        let content_changed = case.get("content_changed") == Some(&Value::Bool(true));
        if case.get("reference_gap") == Some(&Value::Bool(true)) {
            if touches_only_meta(case) {
                assert_eq!(code, Some(0), "{name}: meta is unauthenticated by design, not a failure");
                meta_only_accepted += 1;
            } else {
                assert_eq!(code, Some(1), "{name}: a content change the original accepts must fail a deep check");
                assert!(!names_failed(&v, false).is_empty(), "{name}");
            }
        } else if !content_changed {
            assert_eq!(code, Some(0), "{name}: a pure representation change must verify");
        } else {
            assert_eq!(code, Some(1), "{name}");
        }

        // A re-sealed package fails against the binding digest of the untampered one.
        let resealed = case
            .get("mutation")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m.get("op").and_then(Value::as_str) == Some("recompute"));
        if resealed {
            let base_name = case.get("base_case").unwrap().as_str().unwrap();
            let base_case = base
                .get("cases")
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c.get("name").unwrap().as_str() == Some(base_name))
                .unwrap();
            let pin = base_case.get("expected").unwrap().get("digest").unwrap().as_str().unwrap();
            let out = run(&["package", "-", "--json", "--expect-binding", pin], pkg.as_bytes());
            assert_eq!(out.status.code(), Some(1), "{name}");
            assert!(names_failed(&check_json(&out), false).contains(&"expected_binding".to_owned()), "{name}");
            // and the untampered package passes the same pin
            let out = run(
                &["package", "-", "--expect-binding", pin],
                text(base_case.get("expected").unwrap().get("package").unwrap()).as_bytes(),
            );
            assert_eq!(out.status.code(), Some(0), "{name} base");
        }
    }
    assert_eq!(meta_only_accepted, 3);
}

#[test]
fn bundles_verify() {
    let Some(doc) = load("decision_flows.json") else { return };
    for case in doc.get("cases").unwrap().as_array().unwrap() {
        let Some(bundle) = case.get("expected").unwrap().get("bundle") else { continue };
        let out = run(&["bundle", "-", "--json"], text(bundle).as_bytes());
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
        // a stale event digest is caught by the deep check only
        let mut tampered = bundle.clone();
        if let Value::Object(m) = &mut tampered {
            if let Some(Value::Array(events)) = m.get_mut("events") {
                if let Some(Value::Object(e)) = events.get_mut(0) {
                    e.insert("digest", Value::str("0".repeat(64)));
                }
            }
        }
        let out = run(&["bundle", "-", "--json"], text(&tampered).as_bytes());
        assert_eq!(out.status.code(), Some(1));
        let v = check_json(&out);
        assert!(names_failed(&v, false).contains(&"event_digests".to_owned()));
    }
}
