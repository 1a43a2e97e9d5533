//! `nexus-attest queue add|list|status` and `nexus-attest narrative`: the witness queue
//! persisted in the same database file as the decisions (`--db`, `--store`), through
//! `nexus_attest::witness::PersistentQueue`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use nexus_attest::events::{Clock, SystemClock};
use nexus_attest::verify::canonical;
use nexus_attest::verify::json::Value;
use nexus_attest::verify::Timestamp;
use nexus_attest::witness::{
    show_intent, Intent, NarrativeOptions, PersistentExchangeStore, PersistentQueue, QueueError, Validation,
};
use nexus_attest::{RedbStore, SqliteStore, Store};

/// The `queue` subcommands.
#[derive(Subcommand, Debug)]
pub(crate) enum QueueCmd {
    /// Enqueue an attestation intent (a JSON file, `-` for stdin); prints its queue id.
    /// Enqueueing the same intent again is a no-op.
    Add {
        /// The intent JSON.
        intent: PathBuf,
        /// Enqueue time (default: now, `YYYY-MM-DDTHH:MM:SS+00:00`).
        #[arg(long)]
        created_at: Option<String>,
    },
    /// List queued intents in queue order.
    List {
        /// Only entries with this status (`PENDING`, `SUBMITTED`, `CONFIRMED`, `FAILED`,
        /// `DEFERRED`).
        #[arg(long)]
        status: Option<String>,
    },
    /// The status of one intent, by queue id (= `sha256:` + intent digest) or bare
    /// digest.
    Status {
        /// The queue id or intent digest.
        id: String,
    },
    /// Run the witness worker: anchor due intents on the XRP Ledger over JSON-RPC,
    /// recording receipts in the database. A transaction in flight is re-polled, never
    /// re-submitted; unfinished entries back off. Seeds come from `--seed-file` or
    /// NEXUS_ATTEST_XRPL_SEED, never from the command line.
    Run(crate::witness::RunCmd),
}

/// Run a `queue` subcommand. Exit 0 success, 1 refused or not found, 2 bad input.
pub(crate) fn run(cmd: &QueueCmd, db: &Path, redb: bool, json_out: bool) -> ExitCode {
    with_store(db, redb, |store| match cmd {
        QueueCmd::Add { intent, created_at } => {
            add(&PersistentQueue::new(store), intent, created_at.as_deref(), json_out)
        }
        QueueCmd::List { status } => list(&PersistentQueue::new(store), status.as_deref(), json_out),
        QueueCmd::Status { id } => status(&PersistentQueue::new(store), id, json_out),
        QueueCmd::Run(c) => crate::witness::run_queue(c, &store, json_out).map_err(|(code, message)| {
            if code == 2 {
                Outcome::Usage(message)
            } else {
                Outcome::Refused("WORKER_FAILED", message)
            }
        }),
    })
}

/// `narrative INTENT_DIGEST`: the narrative report of a queued intent (text, or the
/// report JSON with `--json`). Exit 0 when the intent is found and no check fails, 1
/// otherwise, 2 when the database cannot be read.
pub(crate) fn narrative(intent_digest: &str, db: &Path, redb: bool, json_out: bool) -> ExitCode {
    with_store(db, redb, |store| {
        let queue = PersistentQueue::new(&store);
        let digest = queue_id(intent_digest);
        let snapshot = queue.snapshot(&digest).map_err(|e| refused(&e))?;
        let exchanges = PersistentExchangeStore::new(&store);
        let report = show_intent(&snapshot, &digest, Some(&exchanges), &NarrativeOptions::default())
            .map_err(|e| Outcome::Refused(e.code(), e.to_string()))?;
        if json_out {
            println!("{}", canonical::to_display_string(&report.to_value(), Some(2)));
        } else {
            print!("{}", report.render(None));
        }
        let (_, failed, _) = report.check_counts();
        if report.intent_found && failed == 0 {
            Ok(())
        } else {
            Err(Outcome::Silent)
        }
    })
}

enum Outcome {
    /// Exit 1 with a code and message.
    Refused(&'static str, String),
    /// Exit 1, already reported.
    Silent,
    /// Exit 2.
    Usage(String),
}

fn refused(e: &QueueError) -> Outcome {
    Outcome::Refused(e.code(), e.to_string())
}

fn with_store(db: &Path, redb: bool, f: impl FnOnce(std::sync::Arc<dyn Store>) -> Result<(), Outcome>) -> ExitCode {
    let opened: Result<std::sync::Arc<dyn Store>, _> = if redb {
        RedbStore::open_default(db).map(|s| std::sync::Arc::new(s) as std::sync::Arc<dyn Store>)
    } else {
        SqliteStore::open_default(db).map(|s| std::sync::Arc::new(s) as std::sync::Arc<dyn Store>)
    };
    let result = match opened {
        Ok(store) => f(store),
        Err(e) => Err(Outcome::Usage(format!("cannot open {}: {e}", db.display()))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Outcome::Silent) => ExitCode::from(1),
        Err(Outcome::Refused(code, message)) => {
            eprintln!("nexus-attest: refused [{code}]: {message}");
            ExitCode::from(1)
        }
        Err(Outcome::Usage(message)) => {
            eprintln!("nexus-attest: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn add<S: Store>(
    queue: &PersistentQueue<S>,
    path: &Path,
    created_at: Option<&str>,
    json_out: bool,
) -> Result<(), Outcome> {
    let value = crate::read_json(path).map_err(|f| match f {
        crate::Fail::Usage(m) => Outcome::Usage(m),
        crate::Fail::Refused(r) => Outcome::Usage(r.error().map(ToString::to_string).unwrap_or_default()),
    })?;
    let intent =
        Intent::from_value(&value, Validation::Strict).map_err(|e| Outcome::Refused(e.code(), e.to_string()))?;
    let created_at = created_at.map_or_else(now, str::to_owned);
    let id = queue.enqueue(&intent, &created_at).map_err(|e| refused(&e))?;
    let status = queue.status(&id).map_err(|e| refused(&e))?;
    if json_out {
        let v = status.map_or(Value::Null, |s| s.to_value());
        println!("{}", canonical::to_display_string(&v, Some(2)));
    } else {
        println!("{id}");
    }
    Ok(())
}

fn list<S: Store>(queue: &PersistentQueue<S>, status: Option<&str>, json_out: bool) -> Result<(), Outcome> {
    let rows = queue.list(status).map_err(|e| refused(&e))?;
    if json_out {
        let v = Value::Array(rows.iter().map(|s| s.to_value()).collect());
        println!("{}", canonical::to_display_string(&v, Some(2)));
    } else {
        for s in &rows {
            println!(
                "{:<9}  attempt {:<3}  {}  {}{}",
                s.status,
                s.last_attempt,
                s.created_at,
                s.queue_id,
                s.last_error_code.as_deref().map(|c| format!("  [{c}]")).unwrap_or_default()
            );
        }
    }
    Ok(())
}

fn status<S: Store>(queue: &PersistentQueue<S>, id: &str, json_out: bool) -> Result<(), Outcome> {
    let id = queue_id(id);
    let Some(s) = queue.status(&id).map_err(|e| refused(&e))? else {
        return Err(Outcome::Refused("QUEUE_NOT_FOUND", format!("no intent `{id}` in the queue")));
    };
    if json_out {
        println!("{}", canonical::to_display_string(&s.to_value(), Some(2)));
    } else {
        println!("queue_id:        {}", s.queue_id);
        println!("status:          {}", s.status);
        println!("last_attempt:    {}", s.last_attempt);
        println!("created_at:      {}", s.created_at);
        println!("updated_at:      {}", s.updated_at);
        println!("last_error_code: {}", s.last_error_code.as_deref().unwrap_or("-"));
    }
    Ok(())
}

/// A bare 64-hex digest gets the `sha256:` prefix; anything else is taken as given.
pub(crate) fn queue_id(id: &str) -> String {
    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("sha256:{}", id.to_ascii_lowercase())
    } else {
        id.to_owned()
    }
}

/// UTC now as the original writes it: `YYYY-MM-DDTHH:MM:SS+00:00`.
pub(crate) fn now() -> String {
    let us = SystemClock.now().unix_micros().unwrap_or(0);
    Timestamp::from_unix_micros_saturating(us - us.rem_euclid(1_000_000)).isoformat()
}
