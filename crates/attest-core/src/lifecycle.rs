//! Loading a decision by replay, and its lifecycle: blocking reasons, progress and the
//! timeline (`spec/core.md` §7.1–§7.3). Everything here is derived, nothing is stored.

use attest_events::{Event, Map, Timestamp, Value};
use attest_store::Store;
use attest_verify::replay::{py_str, Decision, ReplayEvent, State};

use crate::error::CoreError;

/// Default number of timeline entries kept (the last ones).
pub const DEFAULT_TIMELINE_LIMIT: usize = 20;

/// A decision loaded from the store: its events and their replayed projection.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The decision id.
    pub decision_id: String,
    /// The events as stored, in seq order.
    pub events: Vec<Event>,
    /// Parsed timestamps of the events.
    pub timestamps: Vec<Timestamp>,
    /// The projection, with approval expiry evaluated at one "now".
    pub decision: Decision,
}

impl Loaded {
    /// Load and replay `decision_id`, evaluating expiry at `now_micros`.
    pub fn load(store: &dyn Store, decision_id: &str, now_micros: i64) -> Result<Loaded, CoreError> {
        let events = store.events(decision_id)?;
        Loaded::from_events(decision_id, events, now_micros)
    }

    /// Replay an event list (already in seq order).
    pub fn from_events(decision_id: &str, events: Vec<Event>, now_micros: i64) -> Result<Loaded, CoreError> {
        let mut timestamps = Vec::with_capacity(events.len());
        for e in &events {
            timestamps.push(e.timestamp().map_err(|err| CoreError::Replay(err.to_string()))?);
        }
        let mut decision = Decision::new(now_micros);
        for (e, ts) in events.iter().zip(&timestamps) {
            let ev = ReplayEvent {
                event_type: &e.event_type,
                payload: &e.payload,
                ts: *ts,
                actor_type: &e.actor.kind,
                actor_id: &e.actor.id,
            };
            decision.apply(&ev).map_err(|err| CoreError::Replay(err.message().to_owned()))?;
        }
        Ok(Loaded { decision_id: decision_id.to_owned(), events, timestamps, decision })
    }

    /// The active approval count (fails like the original on a naive expiry).
    pub fn active(&self) -> Result<usize, CoreError> {
        self.decision.active_approval_count().map_err(|e| CoreError::Replay(e.message().to_owned()))
    }

    /// Whether the policy's threshold is met.
    pub fn is_approved(&self) -> Result<bool, CoreError> {
        self.decision.is_approved().map_err(|e| CoreError::Replay(e.message().to_owned()))
    }

    /// `min_approvals` of the policy, or 1 without one.
    pub fn required(&self) -> i64 {
        self.decision.policy().map_or(1, |p| p.min_approvals)
    }

    /// The requested mode as text, or `dry_run`.
    pub fn mode(&self) -> String {
        match self.decision.requested_mode() {
            Some(v) if v.is_truthy() => py_str(v),
            _ => "dry_run".to_owned(),
        }
    }
}

fn reason(code: &str, message: String, details: Map) -> Value {
    let mut m = Map::with_capacity(3);
    m.insert("code", Value::str(code));
    m.insert("message", Value::String(message));
    m.insert("details", Value::Object(details));
    Value::Object(m)
}

/// Blocking reasons in triage order (at most one), `spec/core.md` §7.1.
pub fn blocking_reasons(l: &Loaded) -> Result<Vec<Value>, CoreError> {
    let d = &l.decision;
    let Some(policy) = d.policy() else {
        return Ok(vec![reason("NO_POLICY", "Decision has no policy attached".to_owned(), Map::new())]);
    };
    match d.state() {
        State::Completed => {
            let mut details = Map::new();
            let run_id = d.latest_execution().and_then(|x| x.run_id.clone());
            details.insert("run_id", run_id.map(Value::String).unwrap_or(Value::Null));
            return Ok(vec![reason(
                "ALREADY_EXECUTED",
                "Decision has already been executed successfully".to_owned(),
                details,
            )]);
        }
        State::Failed => {
            let x = d.latest_execution();
            let msg = x.and_then(|x| x.error_message.clone()).unwrap_or_default();
            let mut details = Map::new();
            details
                .insert("error_code", x.and_then(|x| x.error_code.clone()).map(Value::String).unwrap_or(Value::Null));
            details.insert("error_message", Value::str(msg.as_str()));
            let message = if msg.is_empty() {
                "Previous execution failed".to_owned()
            } else {
                format!("Previous execution failed: {msg}")
            };
            return Ok(vec![reason("EXECUTION_FAILED", message, details)]);
        }
        _ => {}
    }
    let required = policy.min_approvals;
    let current = i64::try_from(l.active()?).unwrap_or(i64::MAX);
    if current >= required {
        return Ok(Vec::new());
    }
    let granted = d.approvals().iter().filter(|a| !a.revoked).count();
    let expired = d.expired_approval_count();
    if expired > 0 && i64::try_from(granted).unwrap_or(i64::MAX) >= required {
        let mut details = Map::new();
        details.insert("expired_count", Value::int(expired as i64));
        details.insert("current_valid", Value::int(current));
        details.insert("required", Value::int(required));
        return Ok(vec![reason(
            "APPROVAL_EXPIRED",
            format!("Approvals expired: {expired} approval(s) have expired"),
            details,
        )]);
    }
    let missing = required - current;
    let mut details = Map::new();
    details.insert("required", Value::int(required));
    details.insert("current", Value::int(current));
    details.insert("missing", Value::int(missing));
    let s = if missing == 1 { "" } else { "s" };
    Ok(vec![reason("MISSING_APPROVALS", format!("Missing {missing} approval{s}"), details)])
}

/// Progress toward execution, `spec/core.md` §7.2.
pub fn progress(l: &Loaded) -> Result<Value, CoreError> {
    let d = &l.decision;
    let required = l.required();
    let current = l.active()?;
    let state = d.state();
    let outcome = match state {
        State::Completed => Value::str("success"),
        State::Failed => Value::str("failed"),
        State::Executing => Value::str("pending"),
        _ => Value::Null,
    };
    let mut m = Map::with_capacity(6);
    m.insert("approvals", Value::String(format!("{current}/{required}")));
    m.insert("approvals_current", Value::int(current as i64));
    m.insert("approvals_required", Value::int(required));
    m.insert("ready_to_execute", Value::Bool(l.is_approved()? && !matches!(state, State::Completed | State::Failed)));
    m.insert("has_executed", Value::Bool(matches!(state, State::Executing | State::Completed | State::Failed)));
    m.insert("execution_outcome", outcome);
    Ok(Value::Object(m))
}

/// One timeline entry.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    /// Isoformat of the event time.
    pub ts: String,
    /// `decision`, `policy`, `approval` or `execution`.
    pub category: &'static str,
    /// Short action label.
    pub label: &'static str,
    /// Human-readable summary.
    pub summary: String,
    /// Actor id, `system:`-prefixed for system actors; `None` for `THRESHOLD_MET`.
    pub actor: Option<String>,
    /// The event type (or `THRESHOLD_MET`).
    pub event_type: String,
    /// The event's seq.
    pub seq: u64,
}

impl TimelineEntry {
    /// `{"ts", "category", "label", "summary", "actor", "event_type", "seq"}`.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(7);
        m.insert("ts", Value::str(self.ts.as_str()));
        m.insert("category", Value::str(self.category));
        m.insert("label", Value::str(self.label));
        m.insert("summary", Value::str(self.summary.as_str()));
        m.insert("actor", self.actor.as_deref().map(Value::str).unwrap_or(Value::Null));
        m.insert("event_type", Value::str(self.event_type.as_str()));
        m.insert("seq", Value::int(i64::try_from(self.seq).unwrap_or(i64::MAX)));
        Value::Object(m)
    }
}

fn get_text(p: &Value, key: &str) -> Option<String> {
    p.get(key).filter(|v| v.is_truthy()).map(py_str)
}

/// The full timeline with the synthetic `THRESHOLD_MET` entry, `spec/core.md` §7.3.
pub fn timeline(l: &Loaded) -> Vec<TimelineEntry> {
    let mut entries = Vec::with_capacity(l.events.len() + 1);
    for (e, ts) in l.events.iter().zip(&l.timestamps) {
        let actor = if e.actor.kind == "system" { format!("system:{}", e.actor.id) } else { e.actor.id.clone() };
        let p = &e.payload;
        let (category, label, summary) = match e.event_type.as_str() {
            "DECISION_CREATED" => ("decision", "created", "Decision created".to_owned()),
            "POLICY_ATTACHED" => (
                "policy",
                "policy",
                match get_text(p, "template_name") {
                    Some(t) => format!("Policy attached from template \"{t}\""),
                    None => "Policy attached".to_owned(),
                },
            ),
            "APPROVAL_GRANTED" => {
                let base = format!("Approval granted by {}", e.actor.id);
                let s = match get_text(p, "comment") {
                    Some(c) => format!("{base}: \"{c}\""),
                    None => base,
                };
                ("approval", "approved", s)
            }
            "APPROVAL_REVOKED" => {
                let base = format!("Approval revoked by {}", e.actor.id);
                let s = match get_text(p, "reason") {
                    Some(r) => format!("{base}: \"{r}\""),
                    None => base,
                };
                ("approval", "revoked", s)
            }
            "EXECUTION_REQUESTED" => {
                let adapter = p.get("adapter_id").map(py_str).unwrap_or_else(|| "unknown".to_owned());
                let mode = if p.get("dry_run").is_some_and(Value::is_truthy) { "dry-run" } else { "apply" };
                ("execution", "requested", format!("Execution requested ({mode}) via {adapter}"))
            }
            "EXECUTION_STARTED" => ("execution", "started", "Execution started".to_owned()),
            "EXECUTION_COMPLETED" => (
                "execution",
                "completed",
                match get_text(p, "steps_executed") {
                    Some(s) => format!("Execution completed ({s} steps)"),
                    None => "Execution completed".to_owned(),
                },
            ),
            "EXECUTION_FAILED" => (
                "execution",
                "failed",
                match get_text(p, "error_message") {
                    Some(m) if m.chars().count() > 50 => {
                        format!("Execution failed: {}...", m.chars().take(47).collect::<String>())
                    }
                    Some(m) => format!("Execution failed: {m}"),
                    None => "Execution failed".to_owned(),
                },
            ),
            _ => continue,
        };
        entries.push(TimelineEntry {
            ts: ts.isoformat(),
            category,
            label,
            summary,
            actor: Some(actor),
            event_type: e.event_type.clone(),
            seq: e.seq,
        });
    }
    if let Some(policy) = l.decision.policy() {
        let required = policy.min_approvals;
        let mut count: i64 = 0;
        let mut met: Option<TimelineEntry> = None;
        for (e, ts) in l.events.iter().zip(&l.timestamps) {
            match e.event_type.as_str() {
                "APPROVAL_GRANTED" => {
                    count += 1;
                    if count == required && met.is_none() {
                        met = Some(TimelineEntry {
                            ts: ts.isoformat(),
                            category: "decision",
                            label: "approved",
                            summary: format!("Approval threshold met ({required}/{required})"),
                            actor: None,
                            event_type: "THRESHOLD_MET".to_owned(),
                            seq: e.seq,
                        });
                    }
                }
                "APPROVAL_REVOKED" => count -= 1,
                _ => {}
            }
        }
        if let Some(m) = met {
            // immediately after the entry of the same seq
            let pos = entries.iter().position(|x| x.seq > m.seq).unwrap_or(entries.len());
            entries.insert(pos, m);
        }
    }
    entries
}

/// The number of timeline entries (`timeline_total`) without building them.
pub fn timeline_len(l: &Loaded) -> usize {
    let entries = l
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.event_type.as_str(),
                "DECISION_CREATED"
                    | "POLICY_ATTACHED"
                    | "APPROVAL_GRANTED"
                    | "APPROVAL_REVOKED"
                    | "EXECUTION_REQUESTED"
                    | "EXECUTION_STARTED"
                    | "EXECUTION_COMPLETED"
                    | "EXECUTION_FAILED"
            )
        })
        .count();
    let threshold = l.decision.policy().is_some_and(|p| {
        let mut count: i64 = 0;
        l.events.iter().any(|e| match e.event_type.as_str() {
            "APPROVAL_GRANTED" => {
                count += 1;
                count == p.min_approvals
            }
            "APPROVAL_REVOKED" => {
                count -= 1;
                false
            }
            _ => false,
        })
    });
    entries + usize::from(threshold)
}

/// The lifecycle object: `{"state", "is_blocked", "blocking_reasons", "progress",
/// "timeline", "timeline_total", "timeline_truncated"}`; `limit` keeps the last entries
/// (`None`: all).
pub fn lifecycle(l: &Loaded, limit: Option<usize>) -> Result<(Value, Vec<TimelineEntry>), CoreError> {
    let full = timeline(l);
    let total = full.len();
    debug_assert_eq!(total, timeline_len(l), "timeline_len must count what timeline builds");
    let (kept, truncated) = match limit {
        Some(n) if total > n => (full.get(total - n..).map(<[TimelineEntry]>::to_vec).unwrap_or_default(), true),
        _ => (full, false),
    };
    let reasons = blocking_reasons(l)?;
    let mut m = Map::with_capacity(7);
    m.insert("state", Value::str(l.decision.state().as_str()));
    m.insert("is_blocked", Value::Bool(!reasons.is_empty()));
    m.insert("blocking_reasons", Value::Array(reasons));
    m.insert("progress", progress(l)?);
    m.insert("timeline", Value::Array(kept.iter().map(TimelineEntry::to_value).collect()));
    m.insert("timeline_total", Value::int(total as i64));
    m.insert("timeline_truncated", Value::Bool(truncated));
    Ok((Value::Object(m), kept))
}
