//! N-event decisions (WORKLOADS.md): `request`, padding approve/revoke pairs, two
//! approvals and `execute`, exactly N events, in the two shapes `distinct` and
//! `pool_of_5`.
//!
//! How they are built: `request`, the two approvals and `execute` go through the tool API
//! (so the head and the tail are the engine's own events); the padding goes through the
//! store in one call, `Store::append(id, padding, Some(2))` (one `BEGIN IMMEDIATE`
//! transaction), because N approve/revoke tool calls cost O(N²) replays to set up. N - 7
//! padding events: (N - 7) / 2 pairs `APPROVAL_GRANTED`/`APPROVAL_REVOKED` by approver k,
//! plus one unrevoked `APPROVAL_GRANTED` when N is even.

use nexus_attest::events::{Actor, ApprovalGranted, ApprovalRevoked, EventPayload, NewEvent};
use nexus_attest::verify::json::Value;
use nexus_attest::Store;

use crate::setup::{alice, bob, obj, ok, request_args, request_id, scheduler, Db, FixedRouter, ADAPTER};

/// Who the padding approvers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Each padding pair by a new actor `approver-<k>@example.com`.
    Distinct,
    /// Padding pairs cycle through `approver-0..4@example.com`.
    PoolOf5,
}

impl Shape {
    /// The report's name of the shape.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Shape::Distinct => "distinct",
            Shape::PoolOf5 => "pool_of_5",
        }
    }

    fn approver(self, k: usize) -> String {
        match self {
            Shape::Distinct => format!("approver-{k}@example.com"),
            Shape::PoolOf5 => format!("approver-{}@example.com", k % 5),
        }
    }
}

/// The smallest N: request (2 events), two approvals, execute (3 events).
pub(crate) const MIN_EVENTS: usize = 7;

/// Build an executed decision of exactly `n` events (`n >= 7`) and return its id.
pub(crate) fn build(db: &Db, router: &FixedRouter, shape: Shape, n: usize) -> Result<String, String> {
    if n < MIN_EVENTS {
        return Err(format!("an N-event decision needs N >= {MIN_EVENTS}, got {n}"));
    }
    let goal = format!("Bench decision with {n} events ({})", shape.name());
    let id = request_id(&ok("request", db.call("request", &request_args(&goal, 2)))?)?;
    let padding = n - MIN_EVENTS;
    let mut events = Vec::with_capacity(padding);
    for k in 0..padding / 2 {
        let who = Actor::human(shape.approver(k)).map_err(|e| e.to_string())?;
        events.push(NewEvent::new(
            who.clone(),
            &EventPayload::ApprovalGranted(ApprovalGranted { expires_at: None, comment: None }),
        ));
        events.push(NewEvent::new(
            who,
            &EventPayload::ApprovalRevoked(ApprovalRevoked { reason: "bench padding".to_owned() }),
        ));
    }
    if padding % 2 == 1 {
        let who = Actor::human(shape.approver(padding / 2)).map_err(|e| e.to_string())?;
        events.push(NewEvent::new(
            who,
            &EventPayload::ApprovalGranted(ApprovalGranted { expires_at: None, comment: None }),
        ));
    }
    if !events.is_empty() {
        db.engine().store().append(&id, events, Some(2)).map_err(|e| format!("padding append: {e}"))?;
    }
    for who in [alice(), bob()] {
        ok("approve", db.call("approve", &obj(vec![("request_id", Value::str(id.as_str())), ("actor", who)])))?;
    }
    let args =
        obj(vec![("request_id", Value::str(id.as_str())), ("adapter_id", Value::str(ADAPTER)), ("actor", scheduler())]);
    ok("execute", db.call_with_router("execute", &args, router))?;
    let written = db.engine().store().events(&id).map_err(|e| e.to_string())?.len();
    if written != n {
        return Err(format!("built a decision of {written} events, wanted {n}"));
    }
    Ok(id)
}

/// The N-event decisions of W2–W4, all in one database file.
#[derive(Debug)]
pub(crate) struct Corpus {
    pub(crate) db: Db,
    /// `(shape, N, decision id)` in build order.
    pub(crate) decisions: Vec<(Shape, usize, String)>,
}

impl Corpus {
    /// Build one decision per `(shape, N)` in `db`.
    pub(crate) fn build(db: Db, router: &FixedRouter, points: &[(Shape, usize)]) -> Result<Corpus, String> {
        let mut decisions = Vec::with_capacity(points.len());
        for &(shape, n) in points {
            let start = std::time::Instant::now();
            let id = build(&db, router, shape, n)?;
            eprintln!("  built a {n}-event decision ({}) in {:.0} ms", shape.name(), crate::setup::ms_since(start));
            decisions.push((shape, n, id));
        }
        Ok(Corpus { db, decisions })
    }

    /// The decision of `(shape, n)`, if built.
    pub(crate) fn id(&self, shape: Shape, n: usize) -> Option<&str> {
        self.decisions.iter().find(|(s, k, _)| *s == shape && *k == n).map(|(_, _, id)| id.as_str())
    }
}
