//! Test helper for `tests/multiprocess.rs`, not a user tool: writes one SQLite store from
//! its own OS process so the tests can run several writers on one file, or kill one.
//!
//! ```text
//! attest-store-sqlite-stress append <db> <decision_id> <n>
//!     create the decision if it does not exist, then append <n> events one by one;
//!     prints `appended <n> failed <f>` and exits 1 when any append failed
//! attest-store-sqlite-stress churn <db> <k> <seconds>
//!     until killed (or <seconds> pass): create decisions `churn-<pid>-<i>` with <k>
//!     events each in one call, and append one event to decision `shared`; prints
//!     `ready` after its first write
//! ```

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use attest_events::{Actor, ApprovalGranted, DecisionCreated, EventPayload, Mode, NewEvent};
use attest_store::{Store, StoreError};
use attest_store_sqlite::SqliteStore;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["append", db, id, n] => n.parse().map_err(|e| format!("bad count: {e}")).and_then(|n| append(db, id, n)),
        ["churn", db, k, secs] => match (k.parse(), secs.parse()) {
            (Ok(k), Ok(secs)) => churn(db, k, secs),
            _ => Err("bad number".to_owned()),
        },
        _ => Err("usage: attest-store-sqlite-stress append <db> <id> <n> | churn <db> <k> <seconds>".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("attest-store-sqlite-stress: {e}");
            ExitCode::FAILURE
        }
    }
}

fn created() -> Result<NewEvent, String> {
    let actor = Actor::human("stress@example.com").map_err(|e| e.to_string())?;
    Ok(NewEvent::new(
        actor,
        &EventPayload::DecisionCreated(DecisionCreated {
            goal: "stress".into(),
            plan: None,
            requested_mode: Mode::DryRun,
            labels: vec!["stress".into()],
        }),
    ))
}

fn approval(i: u64) -> Result<NewEvent, String> {
    let actor = Actor::human(format!("p{}-{i}", std::process::id())).map_err(|e| e.to_string())?;
    Ok(NewEvent::new(actor, &EventPayload::ApprovalGranted(ApprovalGranted { expires_at: None, comment: None })))
}

fn ensure(store: &SqliteStore, id: &str) -> Result<(), String> {
    match store.create_decision(id, vec![]) {
        Ok(_) | Err(StoreError::DecisionExists(_)) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn append(db: &str, id: &str, n: u64) -> Result<(), String> {
    let store = SqliteStore::open_default(db).map_err(|e| e.to_string())?;
    ensure(&store, id)?;
    let mut failed = 0u64;
    for i in 0..n {
        if let Err(e) = store.append(id, vec![approval(i)?], None) {
            eprintln!("append {i}: {e}");
            failed += 1;
        }
    }
    println!("appended {} failed {failed}", n - failed);
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} appends failed"))
    }
}

fn churn(db: &str, k: u64, seconds: u64) -> Result<(), String> {
    let store = SqliteStore::open_default(db).map_err(|e| e.to_string())?;
    ensure(&store, "shared")?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut i = 0u64;
    while Instant::now() < deadline {
        let mut events = vec![created()?];
        for j in 1..k {
            events.push(approval(j)?);
        }
        store.create_decision(&format!("churn-{}-{i}", std::process::id()), events).map_err(|e| e.to_string())?;
        store.append("shared", vec![approval(i)?], None).map_err(|e| e.to_string())?;
        if i == 0 {
            let mut out = std::io::stdout();
            writeln!(out, "ready").and_then(|()| out.flush()).map_err(|e| e.to_string())?;
        }
        i += 1;
    }
    Ok(())
}
