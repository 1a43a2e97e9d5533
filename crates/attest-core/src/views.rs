//! The read views: the `status` projection and `inspect` (structured and rendered),
//! byte-compatible with the original (`spec/core.md` §7.4–§7.6).

use attest_events::{Map, Value};
use attest_verify::replay::{py_str, State};

use crate::error::CoreError;
use crate::lifecycle::{lifecycle, Loaded, TimelineEntry, DEFAULT_TIMELINE_LIMIT};

fn opt_iso(t: Option<attest_events::Timestamp>) -> Value {
    t.map(|t| Value::String(t.isoformat())).unwrap_or(Value::Null)
}

fn opt_text(s: &Option<String>) -> Value {
    s.as_deref().map(Value::str).unwrap_or(Value::Null)
}

/// The policy JSON form as replay read it (`max_steps` as stored).
fn policy_value(l: &Loaded) -> Value {
    match l.decision.policy() {
        None => Value::Null,
        Some(p) => {
            let mut m = Map::with_capacity(5);
            m.insert("min_approvals", Value::int(p.min_approvals));
            m.insert("allowed_modes", Value::Array(p.allowed_modes.iter().map(|s| Value::str(s.as_str())).collect()));
            m.insert("require_adapter_capabilities", Value::Array(p.require_adapter_capabilities.clone()));
            m.insert("max_steps", p.max_steps.clone());
            m.insert("labels", Value::Array(p.labels.clone()));
            if p.forbid_self_approval {
                m.insert("forbid_self_approval", Value::Bool(true));
            }
            Value::Object(m)
        }
    }
}

fn template_value(l: &Loaded) -> Option<Value> {
    l.decision.template().map(|t| {
        let mut m = Map::with_capacity(3);
        m.insert("name", Value::str(t.name.as_str()));
        m.insert("digest", Value::str(t.digest.as_str()));
        m.insert("overrides_applied", Value::Object(t.overrides_applied.clone()));
        Value::Object(m)
    })
}

/// The `status` projection (`spec/core.md` §7.4), without `events`.
pub fn status_projection(l: &Loaded) -> Result<Map, CoreError> {
    let d = &l.decision;
    let mut m = Map::with_capacity(14);
    m.insert("decision_id", Value::str(l.decision_id.as_str()));
    m.insert("state", Value::str(d.state().as_str()));
    m.insert("goal", d.goal().map(Value::str).unwrap_or(Value::Null));
    m.insert("plan", d.plan().cloned().unwrap_or(Value::Null));
    m.insert("requested_mode", d.requested_mode().cloned().unwrap_or(Value::Null));
    m.insert("labels", Value::Array(d.labels().to_vec()));
    m.insert("policy", policy_value(l));
    m.insert("active_approvals", Value::int(l.active()? as i64));
    m.insert("total_approvals", Value::int(d.approvals().len() as i64));
    m.insert("is_approved", Value::Bool(l.is_approved()?));
    let executions = d
        .executions()
        .iter()
        .map(|x| {
            let mut e = Map::with_capacity(9);
            e.insert("adapter_id", Value::str(x.adapter_id.as_str()));
            e.insert("dry_run", Value::Bool(x.dry_run));
            e.insert("requested_at", Value::String(x.requested_at.isoformat()));
            e.insert("started_at", opt_iso(x.started_at));
            e.insert("completed_at", opt_iso(x.completed_at));
            e.insert("run_id", opt_text(&x.run_id));
            e.insert("steps_executed", x.steps_executed.map(Value::int).unwrap_or(Value::Null));
            e.insert("error_code", opt_text(&x.error_code));
            e.insert("error_message", opt_text(&x.error_message));
            Value::Object(e)
        })
        .collect();
    m.insert("executions", Value::Array(executions));
    m.insert("event_count", Value::int(d.event_count() as i64));
    if let Some(t) = template_value(l) {
        m.insert("template", t);
    }
    Ok(m)
}

/// The events in tool shape.
pub fn events_value(l: &Loaded) -> Value {
    Value::Array(l.events.iter().map(attest_events::Event::to_tool_value).collect())
}

/// The `inspect` status vocabulary.
pub fn inspect_status(state: State) -> &'static str {
    match state {
        State::Draft => "DRAFT",
        State::PendingApproval => "PENDING_APPROVAL",
        State::Approved => "APPROVED",
        State::Executing => "EXECUTING",
        State::Completed => "EXECUTED",
        State::Failed => "FAILED",
    }
}

fn verdict(l: &Loaded) -> Result<(bool, String), CoreError> {
    let d = &l.decision;
    Ok(match d.state() {
        State::Draft => (false, "Decision in draft (no policy attached)".to_owned()),
        State::PendingApproval => {
            let missing = match d.policy() {
                Some(p) => p.min_approvals - i64::try_from(l.active()?).unwrap_or(i64::MAX),
                None => 0,
            };
            let s = if missing == 1 { "" } else { "s" };
            (false, format!("Decision not executable (missing {missing} approval{s})"))
        }
        State::Approved => (true, "Decision approved (ready to execute)".to_owned()),
        State::Executing => (true, "Execution in progress".to_owned()),
        State::Completed => (true, "Executed (router run completed)".to_owned()),
        State::Failed => {
            let msg = d.latest_execution().and_then(|x| x.error_message.clone()).filter(|m| !m.is_empty());
            (
                false,
                match msg {
                    Some(m) => format!("Execution failed: {m}"),
                    None => "Execution failed".to_owned(),
                },
            )
        }
    })
}

/// Non-revoked approvals (expired included) sorted by actor id.
fn current_approvers(l: &Loaded) -> Vec<&attest_verify::replay::Approval> {
    let mut v: Vec<_> = l.decision.approvals().iter().filter(|a| !a.revoked).collect();
    v.sort_by(|a, b| a.actor_id.cmp(&b.actor_id));
    v
}

fn approval_section(l: &Loaded) -> Result<Value, CoreError> {
    let required = l.required();
    let active = i64::try_from(l.active()?).unwrap_or(i64::MAX);
    let approvers: Vec<Value> = current_approvers(l)
        .into_iter()
        .map(|a| {
            let mut m = Map::with_capacity(5);
            m.insert("actor", Value::str(a.actor_id.as_str()));
            m.insert("actor_type", Value::str(a.actor_type.as_str()));
            m.insert("expires_at", opt_iso(a.expires_at));
            m.insert("comment", a.comment.clone().unwrap_or(Value::Null));
            m.insert("ts", Value::String(a.granted_at.isoformat()));
            Value::Object(m)
        })
        .collect();
    let mut m = Map::with_capacity(5);
    m.insert("min_approvals", Value::int(required));
    m.insert("approved_count", Value::int(active));
    m.insert("approvers", Value::Array(approvers));
    m.insert("missing", Value::int((required - active).max(0)));
    m.insert("is_approved", Value::Bool(l.is_approved()?));
    Ok(Value::Object(m))
}

fn policy_section(l: &Loaded) -> Value {
    match l.decision.policy() {
        None => Value::Null,
        Some(p) => {
            let mut m = Map::with_capacity(4);
            m.insert("allowed_modes", Value::Array(p.allowed_modes.iter().map(|s| Value::str(s.as_str())).collect()));
            m.insert("require_capabilities", Value::Array(p.require_adapter_capabilities.clone()));
            m.insert("max_steps", p.max_steps.clone());
            m.insert("labels", Value::Array(p.labels.clone()));
            Value::Object(m)
        }
    }
}

fn execution_section(l: &Loaded) -> Value {
    let mut m = Map::with_capacity(12);
    let Some(x) = l.decision.latest_execution() else {
        m.insert("requested", Value::Bool(false));
        for k in ["run_id", "adapter_id", "router_request_digest", "router_result_digest", "outcome", "last_error"] {
            m.insert(k, Value::Null);
        }
        return Value::Object(m);
    };
    let outcome = match l.decision.state() {
        State::Completed => Value::str("ok"),
        State::Failed => Value::str("failed"),
        State::Executing => Value::str("in_progress"),
        _ => Value::Null,
    };
    m.insert("requested", Value::Bool(true));
    m.insert("requested_at", Value::String(x.requested_at.isoformat()));
    m.insert("started_at", opt_iso(x.started_at));
    m.insert("completed_at", opt_iso(x.completed_at));
    m.insert("run_id", opt_text(&x.run_id));
    m.insert("adapter_id", Value::str(x.adapter_id.as_str()));
    m.insert("dry_run", Value::Bool(x.dry_run));
    m.insert("steps_executed", x.steps_executed.map(Value::int).unwrap_or(Value::Null));
    m.insert("router_request_digest", opt_text(&x.request_digest));
    m.insert("router_result_digest", opt_text(&x.response_digest));
    m.insert("outcome", outcome);
    m.insert("last_error", opt_text(&x.error_message));
    Value::Object(m)
}

/// The compiled request preview of `inspect` (requested mode, latest adapter).
fn compiled_preview(l: &Loaded) -> Option<Value> {
    let p = l.decision.policy()?;
    let adapter =
        l.decision.latest_execution().map(|x| x.adapter_id.clone()).unwrap_or_else(|| "<not specified>".to_owned());
    let mut req = Map::with_capacity(6);
    req.insert("goal", Value::str(l.decision.goal().unwrap_or("")));
    req.insert("adapter_id", Value::str(adapter.as_str()));
    req.insert("dry_run", Value::Bool(l.decision.requested_mode().and_then(Value::as_str) == Some("dry_run")));
    if let Some(plan) = l.decision.plan() {
        req.insert("plan", plan.clone());
    }
    if !p.max_steps.is_null() {
        req.insert("max_steps", p.max_steps.clone());
    }
    if !p.require_adapter_capabilities.is_empty() {
        req.insert("require_capabilities", Value::Array(p.require_adapter_capabilities.clone()));
    }
    let digest = attest_verify::canonical::digest(&Value::Object(req)).ok()?.to_hex();
    let mut m = Map::with_capacity(5);
    m.insert("digest", Value::String(format!("sha256:{}...", digest.get(..12).unwrap_or(""))));
    m.insert("adapter_id", Value::String(adapter));
    m.insert(
        "require_capabilities",
        if p.require_adapter_capabilities.is_empty() {
            Value::Null
        } else {
            Value::Array(p.require_adapter_capabilities.clone())
        },
    );
    m.insert("allow_apply", Value::Bool(p.allows_mode("apply")));
    m.insert("max_steps", p.max_steps.clone());
    Some(Value::Object(m))
}

/// Options of `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InspectOptions {
    /// Include the rendered text.
    pub render: bool,
    /// Include the event list.
    pub include_events: bool,
    /// Include the compiled router request preview.
    pub include_compiled_router_request: bool,
}

impl Default for InspectOptions {
    fn default() -> InspectOptions {
        InspectOptions { render: true, include_events: false, include_compiled_router_request: true }
    }
}

/// The `inspect` data (`spec/core.md` §7.5), including `rendered` when asked.
pub fn inspect(l: &Loaded, opts: InspectOptions) -> Result<Map, CoreError> {
    let d = &l.decision;
    let (life, timeline) = lifecycle(l, Some(DEFAULT_TIMELINE_LIMIT))?;
    let mut decision = Map::with_capacity(6);
    decision.insert("decision_id", Value::str(l.decision_id.as_str()));
    decision.insert("status", Value::str(inspect_status(d.state())));
    decision.insert("mode", Value::String(l.mode()));
    decision.insert("goal", d.goal().map(Value::str).unwrap_or(Value::Null));
    decision.insert("created_at", opt_iso(l.timestamps.first().copied()));
    decision.insert("last_event_at", opt_iso(l.timestamps.last().copied()));
    let mut m = Map::with_capacity(12);
    m.insert("ok", Value::Bool(true));
    m.insert("decision", Value::Object(decision));
    m.insert("lifecycle", life.clone());
    m.insert("approval", approval_section(l)?);
    m.insert("policy", policy_section(l));
    m.insert("template", template_value(l).unwrap_or(Value::Null));
    m.insert("execution", execution_section(l));
    m.insert("timeline", Value::Array(timeline.iter().map(TimelineEntry::to_value).collect()));
    if opts.include_compiled_router_request {
        if let Some(c) = compiled_preview(l) {
            m.insert("compiled_router_request", c);
        }
    }
    if opts.include_events {
        m.insert("events", events_value(l));
    }
    if opts.render {
        m.insert("rendered", Value::String(render_inspect(l, &life, &timeline)?));
    }
    Ok(m)
}

const DASH: &str = "\u{2014}";

fn render_inspect(l: &Loaded, life: &Value, timeline: &[TimelineEntry]) -> Result<String, CoreError> {
    let d = &l.decision;
    let mut lines: Vec<String> = Vec::new();
    let (ok, msg) = verdict(l)?;
    lines.push(format!("{} {msg}", if ok { "\u{2713}" } else { "\u{2717}" }));
    lines.push(String::new());

    lines.push("## Decision".into());
    lines.push(format!("  ID:           {}", l.decision_id));
    lines.push(format!("  Status:       {}", inspect_status(d.state())));
    lines.push(format!("  Mode:         {}", l.mode()));
    lines.push(format!("  Goal:         {}", d.goal().filter(|g| !g.is_empty()).unwrap_or(DASH)));
    if let (Some(first), Some(last)) = (l.timestamps.first(), l.timestamps.last()) {
        lines.push(format!("  Created:      {}", first.wall_time_z()));
        lines.push(format!("  Last update:  {}", last.wall_time_z()));
    }
    lines.push(String::new());

    lines.push("## Lifecycle".into());
    let progress = life.get("progress");
    let num = |k: &str| progress.and_then(|p| p.get(k)).and_then(Value::as_i64).unwrap_or(0);
    let flag = |k: &str| progress.and_then(|p| p.get(k)).and_then(Value::as_bool).unwrap_or(false);
    lines.push(format!("  Progress:     {}/{} approvals", num("approvals_current"), num("approvals_required")));
    lines.push(format!("  Ready:        {}", if flag("ready_to_execute") { "yes" } else { "no" }));
    let reasons = life.get("blocking_reasons").and_then(Value::as_array).unwrap_or(&[]);
    if reasons.is_empty() {
        lines.push("  Blocked:      no".into());
    } else {
        lines.push("  Blocked:      yes".into());
        for r in reasons {
            let code = r.get("code").and_then(Value::as_str).unwrap_or("");
            let message = r.get("message").and_then(Value::as_str).unwrap_or("");
            lines.push(format!("    [{code}] {message}"));
        }
    }
    lines.push(String::new());

    lines.push("## Approval".into());
    match d.policy() {
        Some(p) => {
            let required = p.min_approvals;
            let approved = i64::try_from(l.active()?).unwrap_or(i64::MAX);
            let missing = (required - approved).max(0);
            let note = if l.is_approved()? {
                " (threshold met)".to_owned()
            } else if missing > 0 {
                format!(" (missing {missing})")
            } else {
                String::new()
            };
            lines.push(format!("  Required:     {required}"));
            lines.push(format!("  Approved:     {approved}{note}"));
            let approvers = current_approvers(l);
            if !approvers.is_empty() {
                if approvers.len() <= 5 {
                    lines.push(String::new());
                    lines.push("  Approvers:".into());
                    for a in approvers {
                        let expires = a.expires_at.map(|t| t.wall_time_z()).unwrap_or_else(|| DASH.to_owned());
                        lines.push(format!("    - {}  (expires: {expires})", a.actor_id));
                        if let Some(c) = a.comment.as_ref().filter(|c| c.is_truthy()) {
                            lines.push(format!("      \"{}\"", py_str(c)));
                        }
                    }
                } else {
                    let names: Vec<&str> = approvers.iter().take(3).map(|a| a.actor_id.as_str()).collect();
                    lines.push(format!("  Approvers:    {} (+{} more)", names.join(", "), approvers.len() - 3));
                }
            }
        }
        None => lines.push("  (no policy attached)".into()),
    }
    lines.push(String::new());

    lines.push("## Policy".into());
    match d.policy() {
        Some(p) => {
            let caps: Vec<String> = p.require_adapter_capabilities.iter().map(py_str).collect();
            lines.push(format!("  Allowed modes:          {}", p.allowed_modes.join(", ")));
            lines.push(format!(
                "  Required capabilities:  {}",
                if caps.is_empty() { DASH.to_owned() } else { caps.join(", ") }
            ));
            let max_steps = if p.max_steps.is_truthy() { py_str(&p.max_steps) } else { DASH.to_owned() };
            lines.push(format!("  max_steps:              {max_steps}"));
        }
        None => lines.push("  (no policy attached)".into()),
    }
    lines.push(String::new());

    if let Some(t) = d.template() {
        lines.push("## Template".into());
        lines.push(format!("  Name:           {}", t.name));
        lines.push(format!("  Digest:         sha256:{}...", prefix12(&t.digest)));
        if t.overrides_applied.is_empty() {
            lines.push("  Overrides:      (none)".into());
        } else {
            lines.push(format!("  Overrides:      {}", t.overrides_applied.keys().collect::<Vec<_>>().join(", ")));
        }
        lines.push(String::new());
    }

    lines.push("## Execution".into());
    let latest = d.latest_execution();
    match latest {
        Some(x) => {
            lines.push(format!("  Requested:    {}", x.requested_at.wall_time_z()));
            lines.push(format!("  Run ID:       {}", x.run_id.as_deref().filter(|r| !r.is_empty()).unwrap_or(DASH)));
            lines.push(format!("  Adapter:      {}", x.adapter_id));
            match d.state() {
                State::Completed => lines.push("  Outcome:      ok".into()),
                State::Failed => {
                    lines.push("  Outcome:      failed".into());
                    if let Some(m) = x.error_message.as_deref().filter(|m| !m.is_empty()) {
                        lines.push(format!("  Error:        {m}"));
                    }
                }
                State::Executing => lines.push("  Outcome:      in progress".into()),
                _ => {}
            }
        }
        None => {
            lines.push(format!("  Requested:    {DASH}"));
            lines.push(format!("  Run ID:       {DASH}"));
            lines.push(format!("  Adapter:      {DASH}"));
            lines.push(format!("  Router link:  {DASH}"));
        }
    }
    lines.push(String::new());

    if let Some(x) = latest {
        if let Some(run_id) = x.run_id.as_deref().filter(|r| !r.is_empty()) {
            lines.push("## Router (linked)".into());
            if let Some(dg) = x.request_digest.as_deref().filter(|s| !s.is_empty()) {
                lines.push(format!("  Router request digest:  sha256:{}...", prefix12(dg)));
            }
            if let Some(dg) = x.response_digest.as_deref().filter(|s| !s.is_empty()) {
                lines.push(format!("  Router result digest:   sha256:{}...", prefix12(dg)));
            }
            lines.push(format!("  Inspect hint:           nexus-router.inspect {{ \"run_id\": \"{run_id}\" }}"));
            lines.push(String::new());
        }
    }

    lines.push("## Timeline".into());
    for e in timeline {
        let icon = match e.category {
            "decision" => "\u{1f4cb}",
            "policy" => "\u{1f4dc}",
            "approval" => "\u{2705}",
            "execution" => "\u{26a1}",
            _ => "\u{2022}",
        };
        let by = e.actor.as_deref().filter(|a| !a.is_empty()).map(|a| format!(" by {a}")).unwrap_or_default();
        lines.push(format!("  {icon} [{}] {}{by}", e.label, e.summary));
        lines.push(format!("      {}", e.ts));
    }
    lines.push(String::new());

    lines.push("## Integrity".into());
    let digest = attest_verify::canonical::digest(&Value::Object(status_projection(l)?))
        .map_err(|e| CoreError::Internal(e.to_string()))?
        .to_hex();
    lines.push(format!("  Decision digest:        sha256:{}...", prefix12(&digest)));
    if let Some(last) = l.events.last() {
        lines.push(format!("  Latest event digest:    sha256:{}...", prefix12(&last.digest)));
    }
    Ok(lines.join("\n"))
}

fn prefix12(s: &str) -> String {
    s.chars().take(12).collect()
}
