//! Differential test: random operations against `RedbStore` and the reference
//! `MemoryStore` must give identical results (reopening the redb store now and then).

use std::fmt::Debug;
use std::sync::Arc;

use attest_events::{Actor, Event, EventType, NewEvent};
use attest_store::{Durability, ImportBatch, ListQuery, MemoryStore, Store, StoreError, TemplateRecord};

use crate::support::{created, event, json, open, revoke, StepClock, TempDir};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const IDS: &[&str] = &["d0", "d1", "d2", "d3", "d4", "d\u{e9}5", ""];
const LABELS: &[&str] = &["a", "b", "prod", "%", ""];
const STAMPS: &[&str] = &[
    "2026-01-01T00:00:00+00:00",
    "2026-01-01T00:00:00Z",
    "2026-01-01T01:00:00+05:00",
    "2026-01-01T00:00:00",
    "2025-06-01T12:00:00.5+00:00",
    "not a date",
    "2027-01-01T00:00:00+00:00",
];

fn new_events(rng: &mut Rng, first: bool) -> Vec<NewEvent> {
    let n = rng.below(4);
    (0..n)
        .map(|i| {
            if (i == 0 && first && rng.chance(70)) || rng.chance(10) {
                let labels: Vec<&str> = (0..rng.below(3)).map(|_| *rng.pick(LABELS)).collect();
                created(&labels)
            } else if rng.chance(50) {
                revoke(&format!("r{}", rng.below(1000)))
            } else {
                event(
                    EventType::ApprovalGranted,
                    r#"{"expires_at": null, "comment": "ok", "n": 5, "f": 5.0, "big": 123456789012345678901234567890}"#,
                )
            }
        })
        .collect()
}

fn stored_events(rng: &mut Rng) -> Vec<Event> {
    let n = rng.below(4);
    (0..n)
        .map(|seq| {
            let (event_type, payload) = match rng.below(3) {
                0 => (
                    "DECISION_CREATED".to_owned(),
                    format!(r#"{{"labels": ["{}"], "z": 1, "a": 2}}"#, rng.pick(LABELS)),
                ),
                1 => ("APPROVAL_ESCALATED".to_owned(), r#"{"\u00fc": [1, 2.5, {"k": null}]}"#.to_owned()),
                _ => ("APPROVAL_REVOKED".to_owned(), r#"{"reason": "x"}"#.to_owned()),
            };
            Event {
                decision_id: "ignored".to_owned(),
                seq,
                event_type,
                ts: rng.pick(STAMPS).to_string(),
                actor: Actor::from_stored(if rng.chance(50) { "unknown" } else { "human" }, "imp"),
                payload: json(&payload),
                digest: format!("digest-{}", rng.below(100)),
            }
        })
        .collect()
}

fn template(rng: &mut Rng) -> (TemplateRecord, Event) {
    let name = rng.pick(&["t0", "t1", "T0", "t2", ""]).to_string();
    let labels: Vec<String> = (0..rng.below(3)).map(|_| rng.pick(LABELS).to_string()).collect();
    let record = TemplateRecord {
        name: name.clone(),
        description: "desc".to_owned(),
        min_approvals: rng.below(3) as i64,
        allowed_modes: vec!["dry_run".to_owned()],
        require_adapter_capabilities: if rng.chance(50) { vec!["timeout".to_owned()] } else { vec![] },
        max_steps: if rng.chance(50) { Some(rng.below(10) as i64) } else { None },
        labels,
        created_at: rng.pick(STAMPS).to_string(),
        created_by: Actor::human("alice").unwrap(),
        digest: "abc".to_owned(),
    };
    let event = Event {
        decision_id: "x".to_owned(),
        seq: 7,
        event_type: "TEMPLATE_CREATED".to_owned(),
        ts: record.created_at.clone(),
        actor: record.created_by.clone(),
        payload: json(r#"{"name": "n", "labels": []}"#),
        digest: "abc".to_owned(),
    };
    (record, event)
}

fn query(rng: &mut Rng) -> ListQuery {
    ListQuery {
        limit: *rng.pick(&[0, 1, 2, 3, 5, 100, 1001]),
        offset: rng.below(4) as usize,
        label: if rng.chance(40) { Some(rng.pick(LABELS).to_string()) } else { None },
    }
}

fn same<T: PartialEq + Debug>(step: usize, op: &str, a: Result<T, StoreError>, b: Result<T, StoreError>) {
    let a = a.map_err(|e| e.code());
    let b = b.map_err(|e| e.code());
    assert_eq!(a, b, "step {step}: {op} (left: MemoryStore, right: RedbStore)");
}

fn run(seed: u64, steps: usize, durability: Durability) {
    let dir = TempDir::new("model");
    let mem_clock = StepClock::new();
    let redb_clock = StepClock::new();
    let mem = MemoryStore::with_clock(mem_clock);
    let mut redb = Some(open(&dir.file(), redb_clock.clone(), durability));
    let mut rng = Rng(seed);
    for step in 0..steps {
        let db = redb.as_ref().unwrap();
        let id = *rng.pick(IDS);
        match rng.below(14) {
            0 | 1 => {
                let evs = new_events(&mut rng, true);
                same(step, "create", mem.create_decision(id, evs.clone()), db.create_decision(id, evs));
            }
            2..=4 => {
                let evs = new_events(&mut rng, false);
                let expected = if rng.chance(50) { None } else { Some(rng.below(5)) };
                same(step, "append", mem.append(id, evs.clone(), expected), db.append(id, evs, expected));
            }
            5 => same(step, "header", mem.header(id), db.header(id)),
            6 => same(step, "events", mem.events(id), db.events(id)),
            7 => {
                let q = query(&mut rng);
                same(step, "list", mem.list(&q), db.list(&q));
                same(step, "count", mem.count(), db.count());
            }
            8 => same(step, "delete", mem.delete_decision(id), db.delete_decision(id)),
            9 => {
                let batch = ImportBatch {
                    decision_id: id.to_owned(),
                    created_at: rng.pick(STAMPS).to_string(),
                    events: stored_events(&mut rng),
                    overwrite: rng.chance(50),
                };
                same(step, "import", mem.import(batch.clone()), db.import(batch));
            }
            10 => {
                let (record, event) = template(&mut rng);
                same(
                    step,
                    "put_template",
                    mem.put_template(record.clone(), event.clone()),
                    db.put_template(record, event),
                );
            }
            11 => {
                let name = *rng.pick(&["t0", "t1", "T0", "t2", "nope"]);
                same(step, "template", mem.template(name), db.template(name));
                same(step, "template_events", mem.template_events(name), db.template_events(name));
            }
            12 => {
                let q = query(&mut rng);
                same(step, "list_templates", mem.list_templates(&q), db.list_templates(&q));
            }
            _ => {
                if rng.chance(30) {
                    drop(redb.take());
                    redb = Some(open(&dir.file(), redb_clock.clone(), durability));
                }
            }
        }
    }
    // Final full comparison.
    let db = redb.as_ref().unwrap();
    let all = ListQuery::first(1000);
    same(steps, "final list", mem.list(&all), db.list(&all));
    for id in IDS {
        same(steps, "final events", mem.events(id), db.events(id));
    }
    same(steps, "final templates", mem.list_templates(&all), db.list_templates(&all));
}

#[test]
fn redb_matches_memory_store() {
    for seed in 1..=6u64 {
        run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), 400, Durability::Full);
    }
}

#[test]
fn redb_matches_memory_store_with_normal_durability() {
    run(0xDEAD_BEEF, 400, Durability::Normal);
}

#[test]
fn arc_store_is_a_store() {
    let dir = TempDir::new("arc");
    let store: Arc<dyn Store> = Arc::new(open(&dir.file(), StepClock::new(), Durability::Full));
    store.create_decision("d", vec![revoke("x")]).unwrap();
    assert_eq!(store.count().unwrap(), 1);
}
