//! The witness queue as MCP tools: `queue_intent` (enqueue an attestation intent),
//! `queue_status` (entries, or one entry) and `narrative` (the self-verifying report of
//! one intent), over the server's own database through `PersistentQueue`.

use nexus_attest::verify::json::{Map, Value};
use nexus_attest::witness::{
    show_intent, Intent, NarrativeOptions, PersistentExchangeStore, PersistentQueue, Validation,
};
use nexus_attest::Store;

use super::{refused, Outcome};

/// A successful call: `{"success": true, <data...>}`.
fn done(data: Vec<(&str, Value)>, readable: Option<String>) -> Outcome {
    let mut m = Map::with_capacity(data.len() + 1);
    m.insert("success", Value::Bool(true));
    for (k, v) in data {
        m.insert(k, v);
    }
    Outcome { value: Value::Object(m), code: None, readable }
}

/// `queue_intent`: validate the intent strictly and enqueue it (idempotent: the same
/// intent again keeps its first entry). Data: `queue_id`, `entry` (its status).
pub(super) fn queue_intent<S: Store>(store: &S, args: &Map) -> Outcome {
    let Some(value) = args.get("intent") else {
        return refused("INVALID_ARGUMENT", "intent is required".to_owned());
    };
    let intent = match Intent::from_value(value, Validation::Strict) {
        Ok(i) => i,
        Err(e) => return refused(e.code(), e.to_string()),
    };
    let created_at = args.get("created_at").and_then(Value::as_str).map_or_else(crate::queue::now, str::to_owned);
    let queue = PersistentQueue::new(store);
    let id = match queue.enqueue(&intent, &created_at) {
        Ok(id) => id,
        Err(e) => return refused(e.code(), e.to_string()),
    };
    match queue.status(&id) {
        Ok(status) => {
            let entry = status.map_or(Value::Null, |s| s.to_value());
            done(vec![("queue_id", Value::String(id)), ("entry", entry)], None)
        }
        Err(e) => refused(e.code(), e.to_string()),
    }
}

/// `queue_status`: one entry by `queue_id` (refused `QUEUE_NOT_FOUND` when absent),
/// else every entry, optionally with one `status`. Data: `entries`.
pub(super) fn queue_status<S: Store>(store: &S, args: &Map) -> Outcome {
    let queue = PersistentQueue::new(store);
    let entries = match args.get("queue_id").and_then(Value::as_str) {
        Some(id) => match queue.status(&crate::queue::queue_id(id)) {
            Ok(Some(s)) => vec![s.to_value()],
            Ok(None) => return refused("QUEUE_NOT_FOUND", format!("no intent `{id}` in the queue")),
            Err(e) => return refused(e.code(), e.to_string()),
        },
        None => match queue.list(args.get("status").and_then(Value::as_str)) {
            Ok(rows) => rows.iter().map(|s| s.to_value()).collect(),
            Err(e) => return refused(e.code(), e.to_string()),
        },
    };
    done(vec![("entries", Value::Array(entries))], None)
}

/// `narrative`: the narrative report of one queued intent. Data: `ok` (found, and no
/// integrity check failed) and `report` (the self-verifying report, unchanged).
pub(super) fn narrative<S: Store>(store: &S, args: &Map) -> Outcome {
    let Some(digest) = args.get("intent_digest").and_then(Value::as_str) else {
        return refused("INVALID_ARGUMENT", "intent_digest is required".to_owned());
    };
    let digest = crate::queue::queue_id(digest);
    let queue = PersistentQueue::new(store);
    let snapshot = match queue.snapshot(&digest) {
        Ok(s) => s,
        Err(e) => return refused(e.code(), e.to_string()),
    };
    let exchanges = PersistentExchangeStore::new(store);
    match show_intent(&snapshot, &digest, Some(&exchanges), &NarrativeOptions::default()) {
        Ok(report) => {
            let (_, failed, _) = report.check_counts();
            let ok = report.intent_found && failed == 0;
            done(vec![("ok", Value::Bool(ok)), ("report", report.to_value())], Some(report.render(None)))
        }
        Err(e) => refused(e.code(), e.to_string()),
    }
}
