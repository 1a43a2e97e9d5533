//! nexus-router's replay invariants (router.md 3.11), over stored runs or bundle
//! values, with the selection-failure shape recognised (a known nexus-router gap).

use attest_verify::json::{Map, Value};

use crate::store::StoredRun;

/// One broken invariant, as nexus-router reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `NO_EVENTS`, `SEQ_NOT_ZERO`, `SEQ_GAP`, `RUN_STARTED_NOT_FIRST`,
    /// `PLAN_BEFORE_RUN_STARTED`, `TOOL_CALL_WITHOUT_STEP`, `TOOL_RESULT_WITHOUT_STEP`,
    /// `STEP_COMPLETED_WITHOUT_START`, `NO_RUN_STARTED`, `NO_PLAN_CREATED`,
    /// `NO_TERMINAL_EVENT`.
    pub code: &'static str,
    /// nexus-router's message.
    pub message: String,
    /// The event's seq, when an event is involved.
    pub seq: Option<i64>,
    /// The event's id, when an event is involved.
    pub event_id: Option<String>,
}

/// The outcome of a strict replay.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplayReport {
    /// The violations in event order, then the final checks.
    pub violations: Vec<Violation>,
    /// `"ok"` / `"error"` from the last terminal event.
    pub outcome: Option<&'static str>,
    /// `RUN_COMPLETED` or `RUN_FAILED`, the last terminal event seen.
    pub terminal_event_type: Option<&'static str>,
    /// Unique `call.method` values of `TOOL_CALL_REQUESTED`, in order.
    pub tools_used: Vec<String>,
    /// Whether `PROVENANCE_EMITTED` occurs.
    pub provenance_present: bool,
    /// Whether the events are exactly nexus-router's selection-failure shape
    /// (`RUN_STARTED`, `RUN_FAILED {reason: "dispatch_selection_failed"}`).
    pub selection_failure: bool,
}

impl ReplayReport {
    /// nexus-router's strict verdict (`replay_ok`): no violation at all.
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// The verdict with the selection-failure gap recognised: no violation, or only
    /// `NO_PLAN_CREATED` on a selection-failure run.
    pub fn ok_or_selection_failure(&self) -> bool {
        self.ok() || (self.selection_failure && self.violations.iter().all(|v| v.code == "NO_PLAN_CREATED"))
    }
}

/// Replay a stored run.
pub fn replay_run(run: &StoredRun) -> ReplayReport {
    let events: Vec<(Option<i64>, &str, &str, &Value)> = run
        .events
        .iter()
        .map(|e| (i64::try_from(e.seq).ok(), e.event_id.as_str(), &*e.event_type, &e.payload))
        .collect();
    replay_events(events)
}

/// Replay the `events` of a bundle (sorted by `seq`, as nexus-router reads them back
/// after an import).
pub fn replay_values(_run: &Map, events: &[Value]) -> ReplayReport {
    let mut list: Vec<(Option<i64>, &str, &str, &Value)> = events
        .iter()
        .map(|e| {
            (
                e.get("seq").and_then(Value::as_i64),
                e.get("event_id").and_then(Value::as_str).unwrap_or(""),
                e.get("type").and_then(Value::as_str).unwrap_or(""),
                e.get("payload").unwrap_or(&Value::Null),
            )
        })
        .collect();
    list.sort_by_key(|e| e.0);
    replay_events(list)
}

fn replay_events(events: Vec<(Option<i64>, &str, &str, &Value)>) -> ReplayReport {
    let mut r = ReplayReport::default();
    if events.is_empty() {
        r.violations.push(Violation {
            code: "NO_EVENTS",
            message: "Run has no events".into(),
            seq: None,
            event_id: None,
        });
        return r;
    }
    r.selection_failure = events.len() == 2
        && events.first().is_some_and(|e| e.2 == "RUN_STARTED")
        && events.get(1).is_some_and(|e| {
            e.2 == "RUN_FAILED" && e.3.get("reason").and_then(Value::as_str) == Some("dispatch_selection_failed")
        });
    let (mut run_started, mut plan_created, mut terminal) = (false, false, false);
    let mut prev: Option<Option<i64>> = None;
    let mut active: Vec<String> = Vec::new();
    for (seq, event_id, ty, payload) in events {
        let mut violate = |code: &'static str, message: String| {
            r.violations.push(Violation { code, message, seq, event_id: Some(event_id.to_owned()) });
        };
        let show = |s: Option<i64>| s.map_or_else(|| "None".to_owned(), |s| s.to_string());
        match prev {
            None if seq != Some(0) => {
                violate("SEQ_NOT_ZERO", format!("First event seq should be 0, got {}", show(seq)))
            }
            Some(p) => {
                let want = p.and_then(|p| p.checked_add(1));
                if seq.is_none() || seq != want {
                    violate("SEQ_GAP", format!("Expected seq {}, got {}", show(want), show(seq)));
                }
            }
            None => {}
        }
        prev = Some(seq);
        let step_id = payload.get("step_id").and_then(Value::as_str).filter(|s| !s.is_empty());
        match ty {
            "RUN_STARTED" => {
                if seq != Some(0) {
                    violate("RUN_STARTED_NOT_FIRST", format!("RUN_STARTED should be seq 0, found at {}", show(seq)));
                }
                run_started = true;
            }
            "PLAN_CREATED" => {
                if !run_started {
                    violate("PLAN_BEFORE_RUN_STARTED", "PLAN_CREATED appeared before RUN_STARTED".into());
                }
                plan_created = true;
            }
            "STEP_STARTED" => {
                if let Some(s) = step_id {
                    if !active.iter().any(|a| a == s) {
                        active.push(s.to_owned());
                    }
                }
            }
            "TOOL_CALL_REQUESTED" => {
                if let Some(s) = step_id {
                    if !active.iter().any(|a| a == s) {
                        violate("TOOL_CALL_WITHOUT_STEP", format!("TOOL_CALL_REQUESTED for {s} without STEP_STARTED"));
                    }
                }
                let method = payload.get("call").and_then(|c| c.get("method")).and_then(Value::as_str);
                if let Some(m) = method.filter(|m| !m.is_empty()) {
                    if !r.tools_used.iter().any(|t| t == m) {
                        r.tools_used.push(m.to_owned());
                    }
                }
            }
            "TOOL_CALL_SUCCEEDED" | "TOOL_CALL_FAILED" => {
                if let Some(s) = step_id {
                    if !active.iter().any(|a| a == s) {
                        violate("TOOL_RESULT_WITHOUT_STEP", format!("Tool result for {s} without STEP_STARTED"));
                    }
                }
            }
            "STEP_COMPLETED" => {
                if let Some(s) = step_id {
                    if !active.iter().any(|a| a == s) {
                        violate("STEP_COMPLETED_WITHOUT_START", format!("STEP_COMPLETED for {s} without STEP_STARTED"));
                    }
                    active.retain(|a| a != s);
                }
            }
            "PROVENANCE_EMITTED" => r.provenance_present = true,
            "RUN_COMPLETED" => {
                terminal = true;
                r.terminal_event_type = Some("RUN_COMPLETED");
                r.outcome = Some("ok");
            }
            "RUN_FAILED" => {
                terminal = true;
                r.terminal_event_type = Some("RUN_FAILED");
                r.outcome = Some("error");
            }
            _ => {}
        }
    }
    let mut fin = |code: &'static str, message: &str| {
        r.violations.push(Violation { code, message: message.to_owned(), seq: None, event_id: None });
    };
    if !run_started {
        fin("NO_RUN_STARTED", "RUN_STARTED event not found");
    }
    if !plan_created {
        fin("NO_PLAN_CREATED", "PLAN_CREATED event not found");
    }
    if !terminal {
        fin("NO_TERMINAL_EVENT", "No terminal event (RUN_COMPLETED or RUN_FAILED) found");
    }
    r
}

#[cfg(test)]
mod tests {
    use attest_verify::json;

    use super::*;

    fn events(text: &str) -> Vec<Value> {
        json::parse(text).unwrap().as_array().unwrap().to_vec()
    }

    #[test]
    fn a_clean_run_replays_ok() {
        let ev = events(
            r#"[{"seq":0,"event_id":"a","type":"RUN_STARTED","payload":{}},
                {"seq":1,"event_id":"b","type":"PLAN_CREATED","payload":{"plan":[]}},
                {"seq":2,"event_id":"c","type":"STEP_STARTED","payload":{"step_id":"s"}},
                {"seq":3,"event_id":"d","type":"TOOL_CALL_REQUESTED","payload":{"step_id":"s","call":{"method":"m"}}},
                {"seq":4,"event_id":"e","type":"STEP_COMPLETED","payload":{"step_id":"s","status":"ok"}},
                {"seq":5,"event_id":"f","type":"RUN_COMPLETED","payload":{"outcome":"ok"}}]"#,
        );
        let r = replay_values(&Map::new(), &ev);
        assert!(r.ok(), "{:?}", r.violations);
        assert_eq!(r.tools_used, ["m"]);
        assert_eq!(r.terminal_event_type, Some("RUN_COMPLETED"));
    }

    #[test]
    fn broken_runs_report_nexus_router_violations() {
        let ev = events(
            r#"[{"seq":1,"event_id":"a","type":"PLAN_CREATED","payload":{}},
                {"seq":3,"event_id":"b","type":"RUN_STARTED","payload":{}},
                {"seq":4,"event_id":"c","type":"STEP_COMPLETED","payload":{"step_id":"x"}}]"#,
        );
        let r = replay_values(&Map::new(), &ev);
        let codes: Vec<&str> = r.violations.iter().map(|v| v.code).collect();
        assert_eq!(
            codes,
            [
                "SEQ_NOT_ZERO",
                "PLAN_BEFORE_RUN_STARTED",
                "SEQ_GAP",
                "RUN_STARTED_NOT_FIRST",
                "STEP_COMPLETED_WITHOUT_START",
                "NO_TERMINAL_EVENT"
            ]
        );
        assert_eq!(r.violations[2].message, "Expected seq 2, got 3");
        assert_eq!(replay_values(&Map::new(), &[]).violations[0].code, "NO_EVENTS");
    }

    #[test]
    fn selection_failures_are_recognised() {
        let ev = events(
            r#"[{"seq":0,"event_id":"a","type":"RUN_STARTED","payload":{}},
                {"seq":1,"event_id":"b","type":"RUN_FAILED","payload":{"reason":"dispatch_selection_failed"}}]"#,
        );
        let r = replay_values(&Map::new(), &ev);
        assert!(!r.ok());
        assert!(r.ok_or_selection_failure());
    }
}
