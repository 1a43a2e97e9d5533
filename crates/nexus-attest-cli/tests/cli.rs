//! The CLI round trip from the shell, each step a separate process on one database file,
//! plus exit codes and the demo.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nexus_attest::verify::json::{self, Value};

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let p = std::env::temp_dir().join(format!("nexus-attest-cli-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cli(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nexus-attest")).arg("--db").arg(db).args(args).output().unwrap()
}

fn json_of(out: &Output) -> Value {
    json::parse(std::str::from_utf8(&out.stdout).unwrap())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn field(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_else(|| panic!("no `{k}` in {v:?}")).to_owned()
}

#[test]
fn round_trip_in_separate_processes() {
    for store in ["sqlite", "redb"] {
        let dir = Dir::new(store);
        let db = dir.0.join("x.db");
        let s = |args: &[&str]| {
            let mut all = vec!["--store", store, "--json"];
            all.extend_from_slice(args);
            cli(&db, &all)
        };
        let out = s(&["request", "--goal", "Rotate keys", "--actor", "human:alice", "--min-approvals", "2"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let id = field(&json_of(&out), "request_id");
        for who in ["human:alice", "human:bob"] {
            let out = s(&["approve", &id, "--actor", who, "--comment", "ok"]);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let run_bundle = dir.0.join("run.json");
        let out = s(&[
            "execute",
            &id,
            "--adapter",
            "subprocess:mcpt:rotate",
            "--actor",
            "system:scheduler",
            "--save-run-bundle",
            run_bundle.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(json_of(&out).get("success"), Some(&Value::Bool(true)));
        for (name, embed) in [("ref.json", false), ("embedded.json", true)] {
            let pkg = dir.0.join(name);
            let mut args = vec!["export-audit-package", &id, "-o", pkg.to_str().unwrap()];
            if embed {
                args.extend_from_slice(&["--embed-router", "--router-bundle", run_bundle.to_str().unwrap()]);
            }
            let out = s(&args);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            let out = s(&["verify", pkg.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
            let v = json_of(&out);
            assert_eq!(v.get("ok"), Some(&Value::Bool(true)));
            // attest-verify agrees
            let pkg_doc = json::parse(&std::fs::read_to_string(&pkg).unwrap()).unwrap();
            assert!(nexus_attest::verify::verify_package(&pkg_doc, &Default::default()).unwrap().ok());
        }
        // status, inspect, list, bundle export and re-import
        let out = s(&["status", &id]);
        assert_eq!(field(&json_of(&out), "state"), "completed");
        let out = cli(&db, &["--store", store, "inspect", &id]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("Executed (router run completed)"));
        let out = s(&["list"]);
        assert_eq!(json_of(&out).get("count"), Some(&Value::int(1)));
        let bundle = dir.0.join("bundle.json");
        assert_eq!(s(&["export-bundle", &id, "-o", bundle.to_str().unwrap()]).status.code(), Some(0));
        let out = s(&["import-bundle", bundle.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "the decision exists already");
        assert!(field(&json_of(&out), "error").starts_with("DECISION_EXISTS: "));
        let out = s(&["import-bundle", bundle.to_str().unwrap(), "--conflict-mode", "new_decision_id"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn exit_codes() {
    let dir = Dir::new("codes");
    let db = dir.0.join("x.db");
    // refused by the tool: 1, code printed
    let out = cli(&db, &["approve", "no-such-id", "--actor", "human:bob"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DECISION_NOT_FOUND"));
    let out = cli(&db, &["--json", "request", "--goal", "g", "--actor", "human:a", "--min-approvals", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_of(&out).get("success"), Some(&Value::Bool(false)));
    // bad usage: 2
    assert_eq!(cli(&db, &["approve"]).status.code(), Some(2));
    assert_eq!(cli(&db, &["request", "--goal", "g", "--actor", "nocolon"]).status.code(), Some(2));
    assert_eq!(cli(&db, &["frobnicate"]).status.code(), Some(2));
    // unreadable input: 2
    let junk = dir.0.join("junk.json");
    std::fs::write(&junk, "{not json").unwrap();
    assert_eq!(cli(&db, &["import-bundle", junk.to_str().unwrap()]).status.code(), Some(2));
    assert_eq!(cli(&db, &["verify", junk.to_str().unwrap()]).status.code(), Some(2));
    // a file of another program is not opened as a store
    let other = dir.0.join("other.db");
    std::fs::write(&other, "hello, I am a text file").unwrap();
    let out = cli(&other, &["list"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "hello, I am a text file");
}

#[test]
fn the_demo_verifies() {
    let dir = Dir::new("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_nexus-attest")).args(["demo", "--dir"]).arg(&dir.0).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("[7/7] verified"), "{text}");
    assert!(text.contains("demo: the audit package verifies"));
    let pkg = json::parse(&std::fs::read_to_string(dir.0.join("audit-package.json")).unwrap()).unwrap();
    assert!(nexus_attest::verify::verify_package(&pkg, &Default::default()).unwrap().ok());
}
