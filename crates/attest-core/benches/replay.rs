//! Replay of N-event decisions (approve/revoke padding by distinct approvers, then two
//! approvals and an execution), with the status projection and the full lifecycle.
//! Target: ≤ 5 ms at 10,000 events and a log-log slope ≤ 1.05 from 1k to 10k.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "benchmark")]

use std::sync::Arc;

use attest_core::{lifecycle, views, Loaded};
use attest_events::{
    Actor, ApprovalGranted, ApprovalRevoked, DecisionCreated, Event, EventPayload, ExecutionCompleted,
    ExecutionRequested, ExecutionStarted, Mode, NewEvent, PolicyAttached, RecordedClock, Timestamp,
};
use attest_store::{MemoryStore, Store};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};

fn decision(n: usize) -> Vec<Event> {
    let alice = Actor::human("alice@example.com").unwrap();
    let mut evs = vec![
        NewEvent::new(
            alice.clone(),
            &EventPayload::DecisionCreated(DecisionCreated {
                goal: "bench".into(),
                plan: None,
                requested_mode: Mode::Apply,
                labels: vec!["bench".into()],
            }),
        ),
        NewEvent::new(
            alice.clone(),
            &EventPayload::PolicyAttached(PolicyAttached {
                min_approvals: 2,
                allowed_modes: vec!["dry_run".into(), "apply".into()],
                require_adapter_capabilities: vec![],
                max_steps: None,
                labels: vec!["bench".into()],
                template: None,
                forbid_self_approval: false,
            }),
        ),
    ];
    let padding = (n - 7) / 2;
    for k in 0..padding {
        let a = Actor::human(format!("approver-{k}@example.com")).unwrap();
        evs.push(NewEvent::new(
            a.clone(),
            &EventPayload::ApprovalGranted(ApprovalGranted { expires_at: None, comment: Some(format!("padding {k}")) }),
        ));
        evs.push(NewEvent::new(a, &EventPayload::ApprovalRevoked(ApprovalRevoked { reason: String::new() })));
    }
    while evs.len() < n - 5 {
        evs.push(NewEvent::new(
            alice.clone(),
            &EventPayload::ApprovalRevoked(ApprovalRevoked { reason: "filler".into() }),
        ));
    }
    for who in ["alice@example.com", "bob@example.com"] {
        evs.push(NewEvent::new(
            Actor::human(who).unwrap(),
            &EventPayload::ApprovalGranted(ApprovalGranted { expires_at: None, comment: None }),
        ));
    }
    let system = Actor::nexus_control();
    evs.push(NewEvent::new(
        Actor::system("scheduler").unwrap(),
        &EventPayload::ExecutionRequested(ExecutionRequested {
            adapter_id: "subprocess:mcpt:bench".into(),
            dry_run: false,
        }),
    ));
    evs.push(NewEvent::new(
        system.clone(),
        &EventPayload::ExecutionStarted(ExecutionStarted { router_request_digest: "00".repeat(32) }),
    ));
    evs.push(NewEvent::new(
        system,
        &EventPayload::ExecutionCompleted(ExecutionCompleted {
            run_id: "run-bench-0001".into(),
            response_digest: "11".repeat(32),
            steps_executed: 3,
        }),
    ));
    assert_eq!(evs.len(), n);
    let t0 = Timestamp::parse_isoformat("2026-11-24T10:00:00+00:00").unwrap().unix_micros().unwrap();
    let clock = RecordedClock::new((0..n as i64).map(|i| Timestamp::from_unix_micros(t0 + i * 1000).unwrap()));
    let store = MemoryStore::with_clock(Arc::new(clock));
    store.create_decision("d", evs).unwrap()
}

fn bench(c: &mut Criterion) {
    let now = Timestamp::parse_isoformat("2026-11-25T00:00:00+00:00").unwrap().unix_micros().unwrap();
    let mut g = c.benchmark_group("replay_distinct");
    for n in [1_000usize, 2_000, 5_000, 10_000] {
        let events = decision(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("replay", n), &events, |b, evs| {
            b.iter_batched(|| evs.clone(), |evs| Loaded::from_events("d", evs, now).unwrap(), BatchSize::LargeInput)
        });
        g.bench_with_input(BenchmarkId::new("replay+status", n), &events, |b, evs| {
            b.iter_batched(
                || evs.clone(),
                |evs| {
                    let l = Loaded::from_events("d", evs, now).unwrap();
                    views::status_projection(&l).unwrap()
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("replay+lifecycle", n), &events, |b, evs| {
            b.iter_batched(
                || evs.clone(),
                |evs| {
                    let l = Loaded::from_events("d", evs, now).unwrap();
                    lifecycle::lifecycle(&l, Some(20)).unwrap()
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
