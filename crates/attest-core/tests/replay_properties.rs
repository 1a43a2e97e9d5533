//! Replay properties: deterministic, independent of how events were batched into
//! appends, approval count never negative, and any interleaving of approve / revoke /
//! expiry gives the state of a reference model written here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use std::collections::BTreeMap;
use std::sync::Arc;

use attest_core::Loaded;
use attest_events::{
    Actor, ApprovalGranted, ApprovalRevoked, DecisionCreated, EventPayload, FixedClock, Mode, NewEvent, PolicyAttached,
    Timestamp,
};
use attest_store::{MemoryStore, Store};
use attest_verify::replay::State;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Grant { actor: u8, expired: bool },
    Revoke { actor: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..5, any::<bool>()).prop_map(|(actor, expired)| Op::Grant { actor, expired }),
        (0u8..5).prop_map(|actor| Op::Revoke { actor }),
    ]
}

const NOW: i64 = 1_795_514_400_000_000; // 2026-11-24T10:00:00Z

fn events(min: i64, ops: &[Op]) -> Vec<NewEvent> {
    let alice = Actor::human("alice").unwrap();
    let mut out = vec![
        NewEvent::new(
            alice.clone(),
            &EventPayload::DecisionCreated(DecisionCreated {
                goal: "g".into(),
                plan: None,
                requested_mode: Mode::DryRun,
                labels: vec![],
            }),
        ),
        NewEvent::new(
            alice,
            &EventPayload::PolicyAttached(PolicyAttached {
                min_approvals: min,
                allowed_modes: vec!["dry_run".into()],
                require_adapter_capabilities: vec![],
                max_steps: None,
                labels: vec![],
                template: None,
                forbid_self_approval: false,
            }),
        ),
    ];
    for o in ops {
        out.push(match o {
            Op::Grant { actor, expired } => NewEvent::new(
                Actor::human(format!("a{actor}")).unwrap(),
                &EventPayload::ApprovalGranted(ApprovalGranted {
                    expires_at: Some(
                        if *expired { "2001-01-01T00:00:00+00:00" } else { "2099-01-01T00:00:00+05:00" }.into(),
                    ),
                    comment: None,
                }),
            ),
            Op::Revoke { actor } => NewEvent::new(
                Actor::human(format!("a{actor}")).unwrap(),
                &EventPayload::ApprovalRevoked(ApprovalRevoked { reason: String::new() }),
            ),
        });
    }
    out
}

/// The reference model: the latest grant per actor, revoked or not, expired or not.
fn model(min: i64, ops: &[Op]) -> (usize, State) {
    let mut m: BTreeMap<u8, (bool, bool)> = BTreeMap::new(); // actor -> (revoked, expired)
    let mut state = State::PendingApproval;
    for o in ops {
        match o {
            Op::Grant { actor, expired } => {
                m.insert(*actor, (false, *expired));
            }
            Op::Revoke { actor } => {
                if let Some(e) = m.get_mut(actor) {
                    e.0 = true;
                }
            }
        }
        let active = m.values().filter(|(r, x)| !r && !x).count();
        state = if active as i64 >= min { State::Approved } else { State::PendingApproval };
    }
    let active = m.values().filter(|(r, x)| !r && !x).count();
    (active, state)
}

fn store() -> MemoryStore {
    MemoryStore::with_clock(Arc::new(FixedClock(Timestamp::parse_isoformat("2026-11-24T09:00:00+00:00").unwrap())))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn replay_matches_the_model_and_ignores_batching(min in 1i64..4, ops in prop::collection::vec(op(), 0..40), cuts in prop::collection::vec(1usize..6, 0..40)) {
        let all = events(min, &ops);
        // one write
        let one = store();
        one.create_decision("d", all.clone()).unwrap();
        // many writes of random sizes
        let many = store();
        many.create_decision("d", all[..2].to_vec()).unwrap();
        let mut rest = &all[2..];
        let mut cuts = cuts.into_iter().cycle();
        while !rest.is_empty() {
            let n = cuts.next().unwrap_or(1).min(rest.len());
            let (head, tail) = rest.split_at(n);
            many.append("d", head.to_vec(), None).unwrap();
            rest = tail;
        }
        let a = Loaded::load(&one, "d", NOW).unwrap();
        let b = Loaded::load(&many, "d", NOW).unwrap();
        prop_assert_eq!(&a.events, &b.events);
        let (active, state) = model(min, &ops);
        for l in [&a, &b] {
            prop_assert_eq!(l.active().unwrap(), active);
            prop_assert_eq!(l.decision.state(), state);
            prop_assert_eq!(l.is_approved().unwrap(), active as i64 >= min);
            prop_assert!(l.decision.expired_approval_count() <= l.decision.approvals().len());
        }
        // deterministic: replaying again gives the same projection
        let c = Loaded::load(&one, "d", NOW).unwrap();
        prop_assert_eq!(c.active().unwrap(), a.active().unwrap());
        prop_assert_eq!(
            attest_core::views::status_projection(&c).unwrap(),
            attest_core::views::status_projection(&a).unwrap()
        );
    }

    #[test]
    fn the_running_count_never_goes_negative(ops in prop::collection::vec(op(), 0..60)) {
        let s = store();
        s.create_decision("d", events(1, &[])).unwrap();
        for o in &ops {
            s.append("d", events(1, std::slice::from_ref(o))[2..].to_vec(), None).unwrap();
            let l = Loaded::load(&s, "d", NOW).unwrap();
            let active = l.active().unwrap();
            let live = l.decision.approvals().iter().filter(|a| !a.revoked).count();
            prop_assert!(active <= live);
        }
    }
}
