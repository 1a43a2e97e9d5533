//! Files written by nexus-attest 1.0.1 (Python): made here with plain SQL exactly as the
//! original writes them, then opened, listed, read and appended to; and rows the original
//! writes into a file this backend already uses.

use attest_events::{event_digest, Value};
use attest_store::{ListQuery, Store};
use attest_verify::json;
use rusqlite::{params, Connection};

use crate::{approval, open};

/// The original's DDL (`DecisionStore._init_schema` and `TemplateStore._init_schema`).
const ORIGINAL_DDL: &str = "
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decision_events (
    decision_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    ts TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (decision_id, seq),
    FOREIGN KEY (decision_id) REFERENCES decisions(decision_id)
);
CREATE INDEX IF NOT EXISTS idx_events_decision ON decision_events(decision_id);
CREATE INDEX IF NOT EXISTS idx_events_type ON decision_events(event_type);
CREATE TABLE IF NOT EXISTS templates (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    min_approvals INTEGER NOT NULL,
    allowed_modes TEXT NOT NULL,
    require_adapter_capabilities TEXT NOT NULL,
    max_steps INTEGER,
    labels TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by_type TEXT NOT NULL,
    created_by_id TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS template_events (
    template_name TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    ts TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (template_name, seq)
);
CREATE INDEX IF NOT EXISTS idx_template_events_name ON template_events(template_name);
";

const CREATED: &str = r#"{"goal": "R\u00e9sum\u00e9", "plan": null, "requested_mode": "apply", "labels": ["prod"]}"#;
const POLICY: &str = r#"{"min_approvals": 1, "allowed_modes": ["dry_run"], "require_adapter_capabilities": [], "max_steps": null, "labels": ["prod"], "weight": 1.0, "count": 1}"#;
const APPROVED: &str = r#"{"expires_at": null, "comment": "LGTM \u2714"}"#;

fn digest(event_type: &str, payload_text: &str) -> String {
    event_digest(event_type, &json::parse(payload_text).unwrap()).unwrap().to_hex()
}

/// Insert a decision and its events the way the original does: `json.dumps` text, the
/// digest of the canonical form.
fn python_decision(conn: &Connection, id: &str, created_at: &str, events: &[(&str, &str)]) {
    conn.execute("INSERT INTO decisions (decision_id, created_at) VALUES (?, ?)", [id, created_at]).unwrap();
    for (seq, (event_type, payload)) in events.iter().enumerate() {
        conn.execute(
            "INSERT INTO decision_events (decision_id, seq, event_type, ts, actor_type, actor_id, payload, digest)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                id,
                seq as i64,
                event_type,
                format!("2026-01-0{}T10:00:0{seq}.250000+00:00", &created_at[9..10]),
                "human",
                "alice@example.com",
                payload,
                digest(event_type, payload)
            ],
        )
        .unwrap();
    }
}

fn python_file(path: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch(ORIGINAL_DDL).unwrap();
    python_decision(
        &conn,
        "py-1",
        "2026-01-02T10:00:00.123456+00:00",
        &[("DECISION_CREATED", CREATED), ("POLICY_ATTACHED", POLICY), ("APPROVAL_GRANTED", APPROVED)],
    );
    python_decision(
        &conn,
        "py-2",
        "2026-01-03T09:00:00+00:00",
        &[("DECISION_CREATED", &CREATED.replace("prod", "dev"))],
    );
    python_decision(&conn, "py-empty", "2026-01-01T00:00:00+00:00", &[]);
    conn.execute(
        "INSERT INTO templates (name, description, min_approvals, allowed_modes, require_adapter_capabilities,
             max_steps, labels, created_at, created_by_type, created_by_id, digest)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            "prod-deploy",
            "D\u{e9}ploiement",
            2,
            r#"["dry_run", "apply"]"#,
            r#"["timeout"]"#,
            Option::<i64>::None,
            r#"["prod", "caf\u00e9"]"#,
            "2026-01-01T12:00:00+00:00",
            "human",
            "alice@example.com",
            "ab".repeat(32)
        ],
    )
    .unwrap();
    let tpl_payload = r#"{"name": "prod-deploy", "description": "D\u00e9ploiement", "min_approvals": 2, "allowed_modes": ["dry_run", "apply"], "require_adapter_capabilities": ["timeout"], "max_steps": null, "labels": ["prod", "caf\u00e9"]}"#;
    conn.execute(
        "INSERT INTO template_events (template_name, seq, event_type, ts, actor_type, actor_id, payload, digest)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            "prod-deploy",
            0,
            "TEMPLATE_CREATED",
            "2026-01-01T12:00:00+00:00",
            "human",
            "alice@example.com",
            tpl_payload,
            digest("TEMPLATE_CREATED", tpl_payload)
        ],
    )
    .unwrap();
}

fn ids(store: &impl Store, label: Option<&str>) -> Vec<String> {
    let q = ListQuery { label: label.map(str::to_owned), ..ListQuery::default() };
    store.list(&q).unwrap().into_iter().map(|h| h.decision_id).collect()
}

#[test]
fn a_file_written_by_the_original_opens_lists_reads_and_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.db");
    python_file(&path);
    let store = open(&path);

    assert_eq!(store.count().unwrap(), 3);
    assert_eq!(ids(&store, None), ["py-2", "py-1", "py-empty"]);
    assert_eq!(ids(&store, Some("prod")), ["py-1"]);
    assert_eq!(ids(&store, Some("dev")), ["py-2"]);
    assert_eq!(store.header("py-1").unwrap().unwrap().created_at, "2026-01-02T10:00:00.123456+00:00");

    let events = store.events("py-1").unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.digest_matches()), "stored digests are the event digests");
    assert_eq!(events[0].payload.get("goal").and_then(Value::as_str), Some("Résumé"));
    let keys: Vec<&str> = events[1].payload.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["min_approvals", "allowed_modes", "require_adapter_capabilities", "max_steps", "labels", "weight", "count"]
    );
    let weight = events[1].payload.get("weight").and_then(Value::as_number).unwrap();
    let count = events[1].payload.get("count").and_then(Value::as_number).unwrap();
    assert!(weight.is_float() && count.is_integer(), "1.0 stays a float and 1 an integer");
    assert_eq!(events[2].payload.get("comment").and_then(Value::as_str), Some("LGTM ✔"));
    assert_eq!(events[2].actor.to_string(), "human:alice@example.com");
    assert_eq!(events[2].ts, "2026-01-02T10:00:02.250000+00:00");
    assert!(store.events("py-empty").unwrap().is_empty());

    let tpl = store.template("prod-deploy").unwrap().unwrap();
    assert_eq!(tpl.labels, ["prod", "café"]);
    assert_eq!(tpl.max_steps, None);
    assert_eq!(tpl.description, "Déploiement");
    let q = ListQuery { label: Some("café".into()), ..ListQuery::default() };
    assert_eq!(store.list_templates(&q).unwrap().len(), 1);
    assert_eq!(store.template_events("prod-deploy").unwrap()[0].decision_id, "prod-deploy");

    let appended = store.append("py-1", vec![approval("bob@example.com")], Some(3)).unwrap();
    assert_eq!(appended[0].seq, 3);
    assert_eq!(store.events("py-1").unwrap().len(), 4);
    assert_eq!(store.append("py-empty", vec![approval("bob@example.com")], None).unwrap()[0].seq, 0);
    store.integrity_check().unwrap();

    // Reopening does not back-fill again.
    drop(store);
    let store = open(&path);
    assert_eq!(ids(&store, None), ["py-2", "py-1", "py-empty"]);
}

#[test]
fn a_file_with_only_the_decision_tables_opens() {
    // The original creates the template tables only once a template store is used.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(&ORIGINAL_DDL[..ORIGINAL_DDL.find("CREATE TABLE IF NOT EXISTS templates").unwrap()]).unwrap();
    python_decision(&conn, "only", "2026-01-02T00:00:00+00:00", &[("DECISION_CREATED", CREATED)]);
    drop(conn);
    let store = open(&path);
    assert_eq!(ids(&store, Some("prod")), ["only"]);
    assert!(store.list_templates(&ListQuery::default()).unwrap().is_empty());
}

#[test]
fn rows_the_original_writes_later_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.db");
    let store = open(&path);
    store.create_decision("rust-1", vec![crate::created(&["prod"])]).unwrap();

    // The original opens the same file (its CREATE ... IF NOT EXISTS are no-ops) and writes.
    let py = Connection::open(&path).unwrap();
    py.pragma_update(None, "foreign_keys", true).unwrap();
    py.execute_batch(ORIGINAL_DDL).unwrap();
    python_decision(&py, "py-late", "2027-01-05T00:00:00+00:00", &[("DECISION_CREATED", CREATED)]);
    python_decision(&py, "py-old", "2020-01-05T00:00:00+00:00", &[]);
    // import with overwrite, the original's way: delete events, delete header, insert again
    py.execute("DELETE FROM decision_events WHERE decision_id = ?", ["rust-1"]).unwrap();
    py.execute("DELETE FROM decisions WHERE decision_id = ?", ["rust-1"]).unwrap();
    python_decision(&py, "rust-1", "2021-01-05T00:00:00+00:00", &[("DECISION_CREATED", &CREATED.replace("prod", "x"))]);

    assert_eq!(ids(&store, None), ["py-late", "rust-1", "py-old"]);
    assert_eq!(ids(&store, Some("prod")), ["py-late"]);
    assert_eq!(ids(&store, Some("x")), ["rust-1"]);
    assert_eq!(store.count().unwrap(), 3);
}

/// With a real Python (when one is installed), the original's own SQL and `json` module
/// read what this backend wrote and write rows this backend reads.
#[test]
fn python_and_rust_share_a_file() {
    let Ok(probe) = std::process::Command::new("python3").arg("-c").arg("import sqlite3, json").output() else {
        eprintln!("python3 not found: skipped");
        return;
    };
    if !probe.status.success() {
        eprintln!("python3 without sqlite3: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let store = open(&path);
    store.create_decision("r", vec![crate::created(&["prod"]), approval("bob@example.com")]).unwrap();
    let written = store.events("r").unwrap();
    let script = r#"
import sqlite3, json, sys
from datetime import datetime
conn = sqlite3.connect(sys.argv[1])
conn.execute("PRAGMA foreign_keys = ON")
rows = conn.execute("SELECT seq, event_type, ts, payload FROM decision_events WHERE decision_id = 'r' ORDER BY seq").fetchall()
for seq, event_type, ts, payload in rows:
    datetime.fromisoformat(ts)
    assert json.dumps(json.loads(payload)) == payload, payload
print(json.loads(rows[0][3])["goal"])
conn.execute("INSERT INTO decisions (decision_id, created_at) VALUES (?, ?)", ("p", datetime(2030, 1, 1).isoformat() + "+00:00"))
payload = {"goal": "from python", "plan": None, "requested_mode": "dry_run", "labels": ["py", "prod"], "n": 1, "f": 1.0}
conn.execute("INSERT INTO decision_events (decision_id, seq, event_type, ts, actor_type, actor_id, payload, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             ("p", 0, "DECISION_CREATED", "2030-01-01T00:00:00+00:00", "human", "py", json.dumps(payload), "d" * 64))
conn.commit()
"#;
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Résumé 🔑");
    assert_eq!(store.events("r").unwrap(), written);
    assert_eq!(ids(&store, Some("prod")), ["p", "r"]);
    assert_eq!(ids(&store, Some("py")), ["p"]);
    let p = store.events("p").unwrap();
    assert!(p[0].payload.get("f").and_then(Value::as_number).unwrap().is_float());
    assert!(p[0].payload.get("n").and_then(Value::as_number).unwrap().is_integer());
}
