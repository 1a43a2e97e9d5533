//! The conformance suite every backend must pass (feature `conformance`).
//!
//! A backend crate runs all of it with one macro call in a test file:
//!
//! ```text
//! struct MyBackend;
//! impl attest_store::conformance::Backend for MyBackend {
//!     type Store = MyStore;
//!     fn open(&self, dir: &std::path::Path, clock: std::sync::Arc<dyn attest_events::Clock>) -> MyStore {
//!         MyStore::open(dir.join("store.db"), clock).unwrap()
//!     }
//!     fn durable(&self) -> bool { true }
//! }
//! attest_store::conformance_suite!(MyBackend);
//! ```
//!
//! Each case is a public function taking the backend, so a backend may also call them one
//! by one. Cases panic (assert) on a violation: this module is test support.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a failed assertion fails the calling test"
)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use attest_events::{
    Actor, ApprovalGranted, ApprovalRevoked, Clock, DecisionCreated, Event, EventPayload, EventType,
    ExecutionCompleted, ExecutionFailed, ExecutionRequested, ExecutionStarted, Map, Mode, NewEvent, PolicyAttached,
    TemplateCreated, TemplateFields, Timestamp, Value,
};
use attest_verify::json;

use crate::{ImportBatch, ListQuery, RecordWrite, Store, StoreError, TemplateRecord};

/// How the suite makes stores of one backend.
pub trait Backend: Sync {
    /// The store type.
    type Store: Store + 'static;
    /// Open (creating if needed) a store in `dir`, reading timestamps from `clock`. The
    /// suite passes a fresh empty directory per case, and the same directory again after
    /// dropping the store when it checks durability.
    fn open(&self, dir: &Path, clock: Arc<dyn Clock>) -> Self::Store;
    /// Whether data survives dropping the store and opening the same directory again.
    fn durable(&self) -> bool;
}

/// A temporary directory removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty directory under the system temp dir.
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let p = std::env::temp_dir().join(format!("attest-store-{tag}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A deterministic clock: `2026-11-24T10:00:00+00:00` plus one millisecond per reading.
#[derive(Debug, Default)]
pub struct TickClock(Mutex<i64>);

impl Clock for TickClock {
    fn now(&self) -> Timestamp {
        let mut n = self.0.lock().unwrap();
        *n += 1;
        Timestamp::from_unix_micros_saturating(1_795_514_400_000_000 + *n * 1000)
    }
}

fn tick() -> Arc<dyn Clock> {
    Arc::new(TickClock::default())
}

fn human(id: &str) -> Actor {
    Actor::human(id).unwrap()
}

fn created(labels: &[&str]) -> NewEvent {
    NewEvent::new(
        human("alice@example.com"),
        &EventPayload::DecisionCreated(DecisionCreated {
            goal: "Rotate keys 🔑 é\u{2028}\"q\" \\ \u{1}".into(),
            plan: Some("step 1\nstep 2".into()),
            requested_mode: Mode::Apply,
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
        }),
    )
}

fn approval(actor: &str, comment: &str) -> NewEvent {
    NewEvent::new(
        human(actor),
        &EventPayload::ApprovalGranted(ApprovalGranted { expires_at: None, comment: Some(comment.to_owned()) }),
    )
}

fn revoke(actor: &str) -> NewEvent {
    NewEvent::new(human(actor), &EventPayload::ApprovalRevoked(ApprovalRevoked { reason: String::new() }))
}

/// Every event type, in a plausible order, with payloads that stress fidelity.
pub fn every_event_type() -> Vec<NewEvent> {
    let mut snapshot = Map::new();
    snapshot.insert("template_name", Value::str("prod-deploy"));
    snapshot.insert("min_approvals", Value::int(2));
    snapshot.insert(
        "zeta_then_alpha",
        json::parse(r#"{"z":1,"a":1.0,"big":123456789012345678901234567890,"neg":-0.0}"#).unwrap(),
    );
    let mut overrides = Map::new();
    overrides.insert("max_steps", Value::int(5));
    overrides.insert("labels", json::parse(r#"["prod","hotfix"]"#).unwrap());
    let system = Actor::nexus_control();
    vec![
        created(&["prod", "security"]),
        NewEvent::new(
            human("alice@example.com"),
            &EventPayload::PolicyAttached(PolicyAttached {
                min_approvals: 2,
                allowed_modes: vec!["dry_run".into(), "apply".into()],
                require_adapter_capabilities: vec!["timeout".into()],
                max_steps: Some(5),
                labels: vec!["prod".into(), "hotfix".into()],
                template: Some(TemplateFields {
                    template_name: "prod-deploy".into(),
                    template_snapshot: snapshot,
                    template_digest: "0a97b6925cf4aced346315db57bf2257af200957bb8181e1014a87f136db6372".into(),
                    overrides_applied: overrides,
                }),
                forbid_self_approval: true,
            }),
        ),
        approval("bob@example.com", "LGTM ✔"),
        NewEvent::new(
            human("carol@example.com"),
            &EventPayload::ApprovalGranted(ApprovalGranted {
                expires_at: Some("2099-12-31T23:59:59+05:00".into()),
                comment: None,
            }),
        ),
        revoke("bob@example.com"),
        approval("dave@example.com", ""),
        NewEvent::new(
            Actor::system("scheduler").unwrap(),
            &EventPayload::ExecutionRequested(ExecutionRequested {
                adapter_id: "subprocess:mcpt:key-rotation".into(),
                dry_run: false,
            }),
        ),
        NewEvent::new(
            system.clone(),
            &EventPayload::ExecutionStarted(ExecutionStarted {
                router_request_digest: "a70d8389d9fda816e1d93a5b2e3cb00d66f2d1989f956ce6c0acda1dc056ac63".into(),
            }),
        ),
        NewEvent::new(
            system.clone(),
            &EventPayload::ExecutionFailed(ExecutionFailed {
                error_code: "ROUTER_ERROR".into(),
                error_message: "boom".into(),
                run_id: None,
            }),
        ),
        NewEvent::new(
            system,
            &EventPayload::ExecutionCompleted(ExecutionCompleted {
                run_id: "run-1".into(),
                response_digest: "262bc69bb31227ce602481039a85a80fc3aac0896825f8642ca939ace7f1b273".into(),
                steps_executed: 3,
            }),
        ),
        NewEvent::new(
            human("alice@example.com"),
            &EventPayload::TemplateCreated(TemplateCreated {
                name: "t".into(),
                description: String::new(),
                min_approvals: 1,
                allowed_modes: vec!["dry_run".into()],
                require_adapter_capabilities: vec![],
                max_steps: None,
                labels: vec![],
            }),
        ),
    ]
}

fn assert_same_events(got: &[Event], want: &[Event]) {
    assert_eq!(got.len(), want.len(), "event count");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w, "event {} differs after a round trip", w.seq);
        // key order survives, not just the value
        let gk: Vec<&str> = g.payload.as_object().map(|m| m.keys().collect()).unwrap_or_default();
        let wk: Vec<&str> = w.payload.as_object().map(|m| m.keys().collect()).unwrap_or_default();
        assert_eq!(gk, wk, "payload key order of event {}", w.seq);
    }
}

fn template(name: &str, labels: &[&str], created_at: &str) -> (TemplateRecord, Event) {
    let record = TemplateRecord {
        name: name.to_owned(),
        description: format!("template {name}"),
        min_approvals: 2,
        allowed_modes: vec!["dry_run".into(), "apply".into()],
        require_adapter_capabilities: vec!["timeout".into()],
        max_steps: Some(20),
        labels: labels.iter().map(|s| (*s).to_owned()).collect(),
        created_at: created_at.to_owned(),
        created_by: human("alice@example.com"),
        digest: "00".repeat(32),
    };
    let payload = EventPayload::TemplateCreated(TemplateCreated {
        name: name.to_owned(),
        description: record.description.clone(),
        min_approvals: 2,
        allowed_modes: record.allowed_modes.clone(),
        require_adapter_capabilities: record.require_adapter_capabilities.clone(),
        max_steps: Some(20),
        labels: record.labels.clone(),
    });
    let ts = Timestamp::parse_isoformat(created_at).unwrap();
    let event = NewEvent::new(human("alice@example.com"), &payload).seal(name, 0, ts).unwrap();
    (record, event)
}

/// Every event type round-trips exactly: payload values and key order, actor, ts, digest.
pub fn round_trip_every_event_type<B: Backend>(b: &B) {
    let dir = TempDir::new("roundtrip");
    let s = b.open(dir.path(), tick());
    let mut all = every_event_type();
    let rest = all.split_off(2);
    let first = s.create_decision("d-1", all).unwrap();
    assert_eq!(first.iter().map(|e| e.seq).collect::<Vec<_>>(), [0, 1]);
    let mut written = first;
    for e in rest {
        written.extend(s.append("d-1", vec![e], None).unwrap());
    }
    for (i, e) in written.iter().enumerate() {
        assert_eq!(e.seq, i as u64);
        assert_eq!(e.decision_id, "d-1");
        assert!(e.digest_matches(), "event {i}: stored digest must be the event digest");
        e.typed_payload().unwrap();
    }
    assert_same_events(&s.events("d-1").unwrap(), &written);
    let header = s.header("d-1").unwrap().unwrap();
    assert_eq!(header.created_at, written[0].ts, "the header takes the first event's timestamp");
    // timestamps follow seq order
    let stamps: Vec<i64> = written.iter().map(|e| e.timestamp().unwrap().unix_micros().unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
}

/// Fidelity of unusual JSON in payloads: big integers, floats vs integers, unicode,
/// control characters, key order, nesting.
pub fn payload_fidelity<B: Backend>(b: &B) {
    let dir = TempDir::new("fidelity");
    let s = b.open(dir.path(), tick());
    let text = r#"{"z":1,"a":1.0,"m":-0.0,"big":-170141183460469231731687303715884105728,"f":1.2345678901234568e+20,"tiny":5e-324,"s":"\u0000\u001f\u007f\u0080 é 🔑 \u2028 \"\\/","nested":{"b":[],"a":{}},"list":[null,true,false,"",[[]]]}"#;
    let payload = json::parse(text).unwrap();
    let e = NewEvent::raw(EventType::ApprovalRevoked, human("x"), payload.clone()).unwrap();
    s.create_decision("d", vec![e]).unwrap();
    let back = s.events("d").unwrap();
    assert_eq!(back[0].payload, payload);
    assert_eq!(
        attest_verify::canonical::to_string(&back[0].payload).unwrap(),
        attest_verify::canonical::to_string(&payload).unwrap()
    );
}

/// A decision may have no events; its first append gets seq 0.
pub fn empty_decision<B: Backend>(b: &B) {
    let dir = TempDir::new("empty");
    let s = b.open(dir.path(), tick());
    assert!(s.create_decision("e", vec![]).unwrap().is_empty());
    let h = s.header("e").unwrap().unwrap();
    assert!(Timestamp::parse_isoformat(&h.created_at).is_ok());
    assert!(s.events("e").unwrap().is_empty());
    assert_eq!(s.append("e", vec![created(&[])], Some(0)).unwrap()[0].seq, 0);
    assert!(matches!(s.create_decision("", vec![]), Err(StoreError::InvalidInput(_))));
}

/// Listing: newest first by instant, ties in insertion order, paging, bounds.
pub fn listing_order_and_paging<B: Backend>(b: &B) {
    let dir = TempDir::new("list");
    let s = b.open(dir.path(), tick());
    for i in 0..25 {
        s.create_decision(&format!("d{i:02}"), vec![created(&[])]).unwrap();
    }
    let all = s.list(&ListQuery::first(1000)).unwrap();
    let ids: Vec<&str> = all.iter().map(|h| h.decision_id.as_str()).collect();
    let want: Vec<String> = (0..25).rev().map(|i| format!("d{i:02}")).collect();
    assert_eq!(ids, want);
    let page2 = s.list(&ListQuery { limit: 10, offset: 10, label: None }).unwrap();
    assert_eq!(page2.iter().map(|h| h.decision_id.clone()).collect::<Vec<_>>(), want[10..20].to_vec());
    assert!(s.list(&ListQuery { limit: 10, offset: 30, label: None }).unwrap().is_empty());
    assert!(matches!(s.list(&ListQuery::first(0)), Err(StoreError::InvalidInput(_))));
    assert!(matches!(s.list(&ListQuery::first(1001)), Err(StoreError::InvalidInput(_))));
    assert_eq!(s.count().unwrap(), 25);

    // Imported headers: ordered by instant whatever the spelling; ties by insertion order.
    let dir = TempDir::new("list2");
    let s = b.open(dir.path(), tick());
    let imp = |id: &str, at: &str| ImportBatch {
        decision_id: id.into(),
        created_at: at.into(),
        events: vec![],
        overwrite: false,
    };
    s.import(imp("plus5", "2026-01-01T01:00:00+05:00")).unwrap(); // 2025-12-31T20:00Z
    s.import(imp("zulu", "2026-01-01T00:00:00Z")).unwrap();
    s.import(imp("tie-a", "2026-01-02T00:00:00+00:00")).unwrap();
    s.import(imp("tie-b", "2026-01-02T00:00:00Z")).unwrap();
    s.import(imp("garbage", "not a date")).unwrap();
    let ids: Vec<String> = s.list(&ListQuery::default()).unwrap().into_iter().map(|h| h.decision_id).collect();
    assert_eq!(ids, ["tie-a", "tie-b", "zulu", "plus5", "garbage"]);
}

/// Label filters match whole labels exactly; `%`, `_` and `\` are ordinary characters.
pub fn label_filters_are_literal<B: Backend>(b: &B) {
    let dir = TempDir::new("labels");
    let s = b.open(dir.path(), tick());
    let labels: [&[&str]; 9] =
        [&["%"], &["_"], &["a\\b"], &["prod"], &["PROD"], &["production"], &["é"], &["a%b", "x"], &["\"q\""]];
    for (i, l) in labels.iter().enumerate() {
        s.create_decision(&format!("d{i}"), vec![created(l)]).unwrap();
        let (rec, ev) = template(&format!("t{i}"), l, &format!("2026-01-01T00:00:0{i}+00:00"));
        s.put_template(rec, ev).unwrap();
    }
    let find = |label: &str| -> (Vec<String>, Vec<String>) {
        let q = ListQuery { label: Some(label.to_owned()), ..ListQuery::default() };
        let mut d: Vec<String> = s.list(&q).unwrap().into_iter().map(|h| h.decision_id).collect();
        let mut t: Vec<String> = s.list_templates(&q).unwrap().into_iter().map(|t| t.name).collect();
        d.sort();
        t.sort();
        (d, t)
    };
    for (label, want) in [
        ("%", "0"),
        ("_", "1"),
        ("a\\b", "2"),
        ("prod", "3"),
        ("PROD", "4"),
        ("é", "6"),
        ("a%b", "7"),
        ("x", "7"),
        ("\"q\"", "8"),
    ] {
        assert_eq!(find(label), (vec![format!("d{want}")], vec![format!("t{want}")]), "label {label:?}");
    }
    for none in ["pro", "prod%", "%prod%", "_rod", "a_b", "\\", "E"] {
        assert_eq!(find(none), (vec![], vec![]), "label {none:?} must match nothing");
    }
    assert_eq!(find("").0.len(), labels.len(), "an empty filter is no filter");
}

/// Duplicate ids, conflicting appends and missing targets are errors that write nothing.
pub fn duplicate_and_conflicting_writes<B: Backend>(b: &B) {
    let dir = TempDir::new("dupes");
    let s = b.open(dir.path(), tick());
    s.create_decision("d", vec![created(&["a"])]).unwrap();
    assert_eq!(
        s.create_decision("d", vec![created(&["b"]), approval("x", "y")]),
        Err(StoreError::DecisionExists("d".into()))
    );
    assert_eq!(s.events("d").unwrap().len(), 1);
    assert!(matches!(s.append("missing", vec![approval("x", "")], None), Err(StoreError::DecisionNotFound(_))));
    assert!(matches!(s.events("missing"), Err(StoreError::DecisionNotFound(_))));
    assert_eq!(s.header("missing").unwrap(), None);
    s.append("d", vec![approval("x", "")], Some(1)).unwrap();
    let err = s.append("d", vec![approval("y", ""), approval("z", "")], Some(1)).unwrap_err();
    assert_eq!(err, StoreError::SequenceConflict { decision_id: "d".into(), expected: 1, actual: 2 });
    assert_eq!(s.events("d").unwrap().len(), 2);
    let (rec, ev) = template("prod", &["p"], "2026-01-01T00:00:00+00:00");
    s.put_template(rec.clone(), ev.clone()).unwrap();
    let (mut other, ev2) = template("prod", &["q"], "2026-01-02T00:00:00+00:00");
    other.description = "other".into();
    assert_eq!(s.put_template(other, ev2), Err(StoreError::TemplateExists("prod".into())));
    assert_eq!(s.template("prod").unwrap().unwrap(), rec);
    let (lower, ev3) = template("Prod", &[], "2026-01-03T00:00:00+00:00");
    s.put_template(lower, ev3).unwrap(); // names are case-sensitive
    assert_eq!(s.template_events("prod").unwrap().len(), 1);
    assert_eq!(s.template_events("prod").unwrap()[0].event_type, "TEMPLATE_CREATED");
    assert!(matches!(s.template_events("nope"), Err(StoreError::TemplateNotFound(_))));
    assert_eq!(s.template("nope").unwrap(), None);
    let names: Vec<String> = s.list_templates(&ListQuery::default()).unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["Prod", "prod"]);
}

fn nan_event() -> NewEvent {
    let mut m = Map::new();
    m.insert("x", Value::Number(json::Number::from_f64(f64::NAN)));
    NewEvent { event_type: EventType::ApprovalRevoked, actor: human("x"), payload: Value::Object(m) }
}

/// Multi-event writes are all or nothing: a bad event anywhere rolls the write back.
pub fn atomic_writes_roll_back<B: Backend>(b: &B) {
    let dir = TempDir::new("atomic");
    let s = b.open(dir.path(), tick());
    assert!(matches!(s.create_decision("d", vec![created(&[]), nan_event()]), Err(StoreError::InvalidEvent(_))));
    assert_eq!(s.header("d").unwrap(), None);
    assert_eq!(s.count().unwrap(), 0);
    s.create_decision("d", vec![created(&["x"])]).unwrap();
    assert!(s.append("d", vec![approval("a", ""), nan_event()], None).is_err());
    assert_eq!(s.events("d").unwrap().len(), 1);
    // import: non-contiguous seqs are refused and an existing decision stays intact
    let good = s.events("d").unwrap();
    let mut bad = every_event_type()
        .into_iter()
        .take(3)
        .enumerate()
        .map(|(i, e)| e.seal("x", i as u64, TickClock::default().now()).unwrap())
        .collect::<Vec<_>>();
    bad[2].seq = 5;
    let batch = ImportBatch {
        decision_id: "d".into(),
        created_at: "2026-01-01T00:00:00+00:00".into(),
        events: bad,
        overwrite: true,
    };
    assert!(matches!(s.import(batch), Err(StoreError::InvalidInput(_))));
    assert_eq!(s.events("d").unwrap(), good);
    assert_eq!(s.count().unwrap(), 1);
}

/// Import writes events verbatim (stale digests, other ts spellings, unknown actor types
/// and event types) and replaces only with `overwrite`.
pub fn import_is_verbatim<B: Backend>(b: &B) {
    let dir = TempDir::new("import");
    let s = b.open(dir.path(), tick());
    let mut events: Vec<Event> = every_event_type()
        .into_iter()
        .enumerate()
        .map(|(i, e)| e.seal("elsewhere", i as u64, TickClock::default().now()).unwrap())
        .collect();
    events[0].ts = "2026-01-01T00:00:00Z".into();
    events[1].digest = "stale".into();
    events[2].actor = Actor::from_stored("unknown", "unknown");
    events[3].event_type = "APPROVAL_ESCALATED".into();
    let batch = ImportBatch {
        decision_id: "imp".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        events: events.clone(),
        overwrite: false,
    };
    s.import(batch.clone()).unwrap();
    let back = s.events("imp").unwrap();
    let want: Vec<Event> = events
        .iter()
        .cloned()
        .map(|mut e| {
            e.decision_id = "imp".into();
            e
        })
        .collect();
    assert_same_events(&back, &want);
    assert_eq!(s.header("imp").unwrap().unwrap().created_at, "2026-01-01T00:00:00Z");
    assert_eq!(s.import(batch.clone()), Err(StoreError::DecisionExists("imp".into())));
    // overwrite with an earlier state
    let earlier = ImportBatch { events: want[..2].to_vec(), overwrite: true, ..batch };
    s.import(earlier).unwrap();
    assert_eq!(s.events("imp").unwrap().len(), 2);
    assert_eq!(s.count().unwrap(), 1);
    assert!(s.delete_decision("imp").unwrap());
    assert!(!s.delete_decision("imp").unwrap());
    assert!(matches!(s.events("imp"), Err(StoreError::DecisionNotFound(_))));
    assert_eq!(s.count().unwrap(), 0);
}

/// Many threads appending to one decision: no error, no gap, no duplicate seq; and a
/// compare-and-append retry loop loses nothing.
pub fn concurrent_appends<B: Backend>(b: &B) {
    let dir = TempDir::new("threads");
    let s = Arc::new(b.open(dir.path(), Arc::new(attest_events::SystemClock)));
    s.create_decision("d", vec![created(&[])]).unwrap();
    let threads = 8;
    let per = 25;
    std::thread::scope(|scope| {
        for t in 0..threads {
            let s = Arc::clone(&s);
            scope.spawn(move || {
                for i in 0..per {
                    s.append("d", vec![approval(&format!("t{t}-{i}"), "")], None).unwrap();
                }
            });
        }
    });
    let events = s.events("d").unwrap();
    assert_eq!(events.len(), 1 + threads * per);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64);
    }
    let stamps: Vec<i64> = events.iter().map(|e| e.timestamp().unwrap().unix_micros().unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "ts order must follow seq order");
    let mut actors: Vec<&str> = events.iter().skip(1).map(|e| e.actor.id.as_str()).collect();
    actors.sort_unstable();
    actors.dedup();
    assert_eq!(actors.len(), threads * per, "every append is there exactly once");

    // validate-then-append with the seq guard
    s.create_decision("cas", vec![]).unwrap();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let s = Arc::clone(&s);
            scope.spawn(move || {
                for i in 0..10 {
                    loop {
                        let next = s.events("cas").unwrap().len() as u64;
                        match s.append("cas", vec![approval(&format!("c{t}-{i}"), "")], Some(next)) {
                            Ok(_) => break,
                            Err(StoreError::SequenceConflict { .. }) => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    assert_eq!(s.events("cas").unwrap().len(), 40);
}

/// Everything written survives closing and reopening (durable backends only).
pub fn reopen_after_close<B: Backend>(b: &B) {
    if !b.durable() {
        return;
    }
    let dir = TempDir::new("reopen");
    let (events, header, tpl) = {
        let s = b.open(dir.path(), tick());
        s.create_decision("d", every_event_type()).unwrap();
        s.create_decision("e", vec![created(&["prod"])]).unwrap();
        let (rec, ev) = template("prod", &["p"], "2026-01-01T00:00:00+00:00");
        s.put_template(rec.clone(), ev).unwrap();
        (s.events("d").unwrap(), s.header("d").unwrap(), rec)
    };
    let s = b.open(dir.path(), tick());
    assert_same_events(&s.events("d").unwrap(), &events);
    assert_eq!(s.header("d").unwrap(), header);
    assert_eq!(s.template("prod").unwrap(), Some(tpl));
    assert_eq!(s.count().unwrap(), 2);
    let q = ListQuery { label: Some("prod".into()), ..ListQuery::default() };
    let ids: Vec<String> = s.list(&q).unwrap().into_iter().map(|h| h.decision_id).collect();
    assert_eq!(ids, ["e", "d"]);
    // appends continue the sequence
    assert_eq!(s.append("d", vec![revoke("z")], None).unwrap()[0].seq, events.len() as u64);
}

/// A 2,000-event decision reads back whole and in order.
pub fn long_log<B: Backend>(b: &B) {
    let dir = TempDir::new("long");
    let s = b.open(dir.path(), tick());
    s.create_decision("d", vec![created(&[])]).unwrap();
    let batch: Vec<NewEvent> = (0..999).map(|i| approval(&format!("a{i}"), "c")).collect();
    s.append("d", batch, Some(1)).unwrap();
    for i in 0..1000 {
        s.append("d", vec![revoke(&format!("a{i}"))], None).unwrap();
    }
    let events = s.events("d").unwrap();
    assert_eq!(events.len(), 2000);
    assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64));
}

fn display(v: &Value) -> String {
    attest_verify::canonical::to_display_string(v, None)
}

fn rec(text: &str) -> Value {
    json::parse(text).unwrap()
}

fn put<S: Store>(s: &S, ns: &str, key: &str, value: &Value, expected: Option<u64>, log: &[Value]) -> u64 {
    s.put_record(ns, key, RecordWrite { value, expected_version: expected, log }).unwrap()
}

/// Records round-trip exactly (key order, big integers, floats, non-ASCII), versions
/// count writes, logs keep append order, and bad names or values are refused.
pub fn records_round_trip<B: Backend>(b: &B) {
    let dir = TempDir::new("records");
    let s = b.open(dir.path(), tick());
    assert_eq!(s.record("q", "k").unwrap(), None);
    assert_eq!(s.record_log("q", "k").unwrap(), Vec::<Value>::new());
    let v1 = rec(r#"{"z": 1, "a": [1.0, 2.5e-7, 123456789012345678901234567890], "é": "🔑\u2028", "n": null}"#);
    assert_eq!(put(&s, "q", "k", &v1, None, &[rec(r#"{"i": 1}"#)]), 1);
    let got = s.record("q", "k").unwrap().unwrap();
    assert_eq!((got.key.as_str(), got.version), ("k", 1));
    assert_eq!(display(&got.value), display(&v1));
    let v2 = rec(r#"{"status": "DONE"}"#);
    assert_eq!(put(&s, "q", "k", &v2, Some(1), &[rec(r#"{"i": 2}"#), rec(r#"{"i": 3}"#)]), 2);
    assert_eq!(put(&s, "q", "k", &v2, None, &[]), 3);
    assert_eq!(s.record("q", "k").unwrap().unwrap().value, v2);
    let log: Vec<String> = s.record_log("q", "k").unwrap().iter().map(display).collect();
    assert_eq!(log, [r#"{"i": 1}"#, r#"{"i": 2}"#, r#"{"i": 3}"#]);
    // same key in another namespace is another record
    assert_eq!(s.record("other", "k").unwrap(), None);
    assert!(matches!(s.put_record("", "k", RecordWrite::value(&v2)), Err(StoreError::InvalidInput(_))));
    assert!(matches!(s.put_record("q", "", RecordWrite::value(&v2)), Err(StoreError::InvalidInput(_))));
    let nan = Value::Number(json::Number::from_f64(f64::NAN));
    assert!(matches!(s.put_record("q", "nan", RecordWrite::value(&nan)), Err(StoreError::InvalidInput(_))));
    assert_eq!(s.record("q", "nan").unwrap(), None);
}

/// A compare-and-set with a stale version fails with `RecordConflict` and writes
/// nothing (neither the value nor the log); `Some(0)` creates only.
pub fn records_compare_and_set<B: Backend>(b: &B) {
    let dir = TempDir::new("records-cas");
    let s = b.open(dir.path(), tick());
    let a = rec(r#"{"v": "a"}"#);
    let b2 = rec(r#"{"v": "b"}"#);
    assert_eq!(put(&s, "q", "k", &a, Some(0), std::slice::from_ref(&a)), 1);
    let err =
        s.put_record("q", "k", RecordWrite { value: &b2, expected_version: Some(0), log: std::slice::from_ref(&b2) });
    assert!(matches!(err, Err(StoreError::RecordConflict { expected: 0, actual: 1, .. })), "{err:?}");
    let err =
        s.put_record("q", "k", RecordWrite { value: &b2, expected_version: Some(7), log: std::slice::from_ref(&b2) });
    assert_eq!(err.as_ref().map_err(StoreError::code), Err("RECORD_CONFLICT"));
    let err = s.put_record("q", "missing", RecordWrite { value: &b2, expected_version: Some(1), log: &[] });
    assert!(matches!(err, Err(StoreError::RecordConflict { expected: 1, actual: 0, .. })));
    assert_eq!(s.record("q", "missing").unwrap(), None);
    let got = s.record("q", "k").unwrap().unwrap();
    assert_eq!((got.value, got.version), (a.clone(), 1));
    assert_eq!(s.record_log("q", "k").unwrap(), vec![a]);

    // many threads incrementing one counter through a CAS retry loop lose nothing
    let s = Arc::new(s);
    put(&*s, "q", "counter", &Value::int(0), Some(0), &[]);
    std::thread::scope(|scope| {
        for t in 0..4 {
            let s = Arc::clone(&s);
            scope.spawn(move || {
                for i in 0..10 {
                    loop {
                        let cur = s.record("q", "counter").unwrap().unwrap();
                        let n = cur.value.as_i64().unwrap();
                        let next = Value::int(n + 1);
                        let entry = Value::str(format!("t{t}-{i}"));
                        let w = RecordWrite {
                            value: &next,
                            expected_version: Some(cur.version),
                            log: std::slice::from_ref(&entry),
                        };
                        match s.put_record("q", "counter", w) {
                            Ok(_) => break,
                            Err(StoreError::RecordConflict { .. }) => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    let got = s.record("q", "counter").unwrap().unwrap();
    assert_eq!((got.value.as_i64(), got.version), (Some(40), 41));
    assert_eq!(s.record_log("q", "counter").unwrap().len(), 40);
}

/// Listing is in ascending byte order of the key within one namespace, pages with
/// `after`, and refuses a limit outside 1..=1000.
pub fn records_ordering_and_paging<B: Backend>(b: &B) {
    let dir = TempDir::new("records-order");
    let s = b.open(dir.path(), tick());
    let keys = ["m", "b", "é", "a", "ab", "Z", "a\u{0}"];
    for (i, k) in keys.iter().enumerate() {
        put(&s, "q", k, &Value::int(i as i64), None, &[]);
    }
    put(&s, "p", "x", &Value::int(0), None, &[]);
    put(&s, "qq", "a", &Value::int(0), None, &[]);
    put(&s, "q\u{0}", "a", &Value::int(0), None, &[]);
    let mut expected: Vec<&str> = keys.to_vec();
    expected.sort_unstable();
    let all: Vec<String> = s.records("q", None, 1000).unwrap().into_iter().map(|r| r.key).collect();
    assert_eq!(all, expected);
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = s.records("q", after.as_deref(), 3).unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|r| r.key.clone());
        paged.extend(page.into_iter().map(|r| r.key));
    }
    assert_eq!(paged, expected);
    assert_eq!(s.records("q", Some("\u{10ffff}"), 10).unwrap(), Vec::new());
    assert_eq!(s.records("none", None, 10).unwrap(), Vec::new());
    assert!(matches!(s.records("q", None, 0), Err(StoreError::InvalidInput(_))));
    assert!(matches!(s.records("q", None, 1001), Err(StoreError::InvalidInput(_))));
}

/// Records and logs survive closing and reopening (durable backends only), and
/// versions continue.
pub fn records_reopen<B: Backend>(b: &B) {
    if !b.durable() {
        return;
    }
    let dir = TempDir::new("records-reopen");
    let v = rec(r#"{"b": 2, "a": 1}"#);
    {
        let s = b.open(dir.path(), tick());
        put(&s, "q", "k", &v, None, &[rec("[1]"), rec("[2]")]);
        put(&s, "q", "k", &v, Some(1), &[rec("[3]")]);
        s.create_decision("d", vec![created(&[])]).unwrap();
    }
    let s = b.open(dir.path(), tick());
    let got = s.record("q", "k").unwrap().unwrap();
    assert_eq!(display(&got.value), display(&v));
    assert_eq!(got.version, 2);
    assert_eq!(s.record_log("q", "k").unwrap(), vec![rec("[1]"), rec("[2]"), rec("[3]")]);
    assert_eq!(put(&s, "q", "k", &v, Some(2), &[rec("[4]")]), 3);
    assert_eq!(s.record_log("q", "k").unwrap().len(), 4);
    assert_eq!(s.count().unwrap(), 1);
}

/// Expands to one `#[test]` per conformance case for the given [`Backend`] value.
#[macro_export]
macro_rules! conformance_suite {
    ($backend:expr) => {
        $crate::conformance_suite!(@cases $backend;
            round_trip_every_event_type, payload_fidelity, empty_decision, listing_order_and_paging,
            label_filters_are_literal, duplicate_and_conflicting_writes, atomic_writes_roll_back,
            import_is_verbatim, concurrent_appends, reopen_after_close, long_log, records_round_trip,
            records_compare_and_set, records_ordering_and_paging, records_reopen);
    };
    (@cases $backend:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::conformance::$case(&$backend);
            }
        )*
    };
}
