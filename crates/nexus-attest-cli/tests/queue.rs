//! `nexus-attest queue add|list|status` and `nexus-attest narrative` through the binary,
//! on both backends: enqueue is idempotent, the status and listing read back, and the
//! narrative of a queued intent verifies its own digest.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use nexus_attest::verify::json::{self, Value};
use nexus_attest::witness::verify_narrative_value;

const INTENT: &str = r#"{"intent_version": "0.1", "subject_type": "nexus.audit_package", "binding_digest": "sha256:e58bb2d469adf646425aac4268f5ceb6e5fd014c85430e8c06081b13362147e3", "env": "prod"}"#;

struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("nexus-attest-queue-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("intent.json"), INTENT).unwrap();
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cli(dir: &Dir, store: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nexus-attest"))
        .current_dir(&dir.0)
        .args(["--db", "q.db", "--store", store])
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn queue_add_list_status_and_narrative() {
    for store in ["sqlite", "redb"] {
        let dir = Dir::new();
        let add = cli(&dir, store, &["queue", "add", "intent.json", "--created-at", "2025-01-15T12:00:00+00:00"]);
        assert_eq!(add.status.code(), Some(0), "{}", String::from_utf8_lossy(&add.stderr));
        let id = stdout(&add).trim().to_owned();
        assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
        // idempotent: the first created_at is kept
        let again =
            cli(&dir, store, &["--json", "queue", "add", "intent.json", "--created-at", "2030-01-01T00:00:00Z"]);
        let v = json::parse(&stdout(&again)).unwrap();
        assert_eq!(v.get("created_at"), Some(&Value::str("2025-01-15T12:00:00+00:00")));
        assert_eq!(v.get("status"), Some(&Value::str("PENDING")));

        let list = cli(&dir, store, &["--json", "queue", "list"]);
        let v = json::parse(&stdout(&list)).unwrap();
        assert_eq!(v.as_array().map(<[Value]>::len), Some(1));
        let none = cli(&dir, store, &["--json", "queue", "list", "--status", "CONFIRMED"]);
        assert_eq!(json::parse(&stdout(&none)).unwrap().as_array().map(<[Value]>::len), Some(0));

        let bare = id.trim_start_matches("sha256:");
        let status = cli(&dir, store, &["queue", "status", bare]);
        assert_eq!(status.status.code(), Some(0));
        assert!(stdout(&status).contains("status:          PENDING"), "{}", stdout(&status));
        let missing = cli(&dir, store, &["queue", "status", "sha256:00"]);
        assert_eq!(missing.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&missing.stderr).contains("QUEUE_NOT_FOUND"));

        let narrative = cli(&dir, store, &["narrative", &id, "--json"]);
        assert_eq!(narrative.status.code(), Some(0), "{}", String::from_utf8_lossy(&narrative.stderr));
        let report = json::parse(&stdout(&narrative)).unwrap();
        assert_eq!(report.get("intent_found"), Some(&Value::Bool(true)));
        assert_eq!(report.get("current_status"), Some(&Value::str("PENDING")));
        assert_eq!(report.get("env"), Some(&Value::str("prod")));
        assert_eq!(verify_narrative_value(&report).status.as_str(), "PASS");
        let text = cli(&dir, store, &["narrative", bare]);
        assert_eq!(text.status.code(), Some(0));
        assert!(!stdout(&text).is_empty());
        let unknown = cli(&dir, store, &["narrative", "sha256:00"]);
        assert_eq!(unknown.status.code(), Some(1));

        let bad = cli(&dir, store, &["queue", "add", "nope.json"]);
        assert_eq!(bad.status.code(), Some(2));
    }
}
