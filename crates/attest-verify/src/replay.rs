//! The decision state machine: the one place where a decision's state, policy, approvals
//! and executions are derived from its event log (`spec/core.md` §2.5, §6.3, §6.4).
//!
//! Replay is permissive exactly as the reference's is (any order of events is applied);
//! the strict plausibility rules live in the deep verification checks. The active approval
//! count is kept as a running total against one fixed "now", so replay is linear in the
//! number of events.

use std::collections::HashMap;
use std::fmt;

use crate::json::{Map, Value};
use crate::pyrepr::repr_str;
use crate::time::Timestamp;

/// The system actor that writes execution events.
pub const SYSTEM_ACTOR_ID: &str = "nexus-control";

/// The event types of a decision log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// `DECISION_CREATED`
    DecisionCreated,
    /// `POLICY_ATTACHED`
    PolicyAttached,
    /// `APPROVAL_GRANTED`
    ApprovalGranted,
    /// `APPROVAL_REVOKED`
    ApprovalRevoked,
    /// `EXECUTION_REQUESTED`
    ExecutionRequested,
    /// `EXECUTION_STARTED`
    ExecutionStarted,
    /// `EXECUTION_COMPLETED`
    ExecutionCompleted,
    /// `EXECUTION_FAILED`
    ExecutionFailed,
    /// `TEMPLATE_CREATED` (template logs; ignored by decision replay)
    TemplateCreated,
}

impl EventType {
    /// Every event type, in declaration order.
    pub const ALL: [EventType; 9] = [
        EventType::DecisionCreated,
        EventType::PolicyAttached,
        EventType::ApprovalGranted,
        EventType::ApprovalRevoked,
        EventType::ExecutionRequested,
        EventType::ExecutionStarted,
        EventType::ExecutionCompleted,
        EventType::ExecutionFailed,
        EventType::TemplateCreated,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::DecisionCreated => "DECISION_CREATED",
            EventType::PolicyAttached => "POLICY_ATTACHED",
            EventType::ApprovalGranted => "APPROVAL_GRANTED",
            EventType::ApprovalRevoked => "APPROVAL_REVOKED",
            EventType::ExecutionRequested => "EXECUTION_REQUESTED",
            EventType::ExecutionStarted => "EXECUTION_STARTED",
            EventType::ExecutionCompleted => "EXECUTION_COMPLETED",
            EventType::ExecutionFailed => "EXECUTION_FAILED",
            EventType::TemplateCreated => "TEMPLATE_CREATED",
        }
    }

    /// Parse a wire name; the error text is the reference's
    /// (`'APPROVAL_ESCALATED' is not a valid EventType`).
    pub fn parse(name: &str) -> Result<EventType, ReplayError> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name).ok_or_else(|| {
            ReplayError::new(ReplayErrorKind::UnknownEventType, format!("{} is not a valid EventType", repr_str(name)))
        })
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decision's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Created, no policy yet (also the state of an empty log).
    Draft,
    /// Policy attached, threshold not met.
    PendingApproval,
    /// Threshold met.
    Approved,
    /// An execution started and has not finished.
    Executing,
    /// The latest execution completed.
    Completed,
    /// The latest execution failed.
    Failed,
}

impl State {
    /// Lower-case name (`status` values).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::PendingApproval => "pending_approval",
            State::Approved => "approved",
            State::Executing => "executing",
            State::Completed => "completed",
            State::Failed => "failed",
        }
    }

    /// Upper-case name (bundle header `status`).
    pub fn as_upper(self) -> &'static str {
        match self {
            State::Draft => "DRAFT",
            State::PendingApproval => "PENDING_APPROVAL",
            State::Approved => "APPROVED",
            State::Executing => "EXECUTING",
            State::Completed => "COMPLETED",
            State::Failed => "FAILED",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The class of a replay failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplayErrorKind {
    /// An event type name that is not one of the nine.
    UnknownEventType,
    /// A timestamp (`ts` or `expires_at`) that does not parse.
    InvalidTimestamp,
    /// The attached policy is invalid (`min_approvals must be at least 1`, ...).
    InvalidPolicy,
    /// A payload key replay needs is missing (message: the key, quoted).
    MissingKey,
    /// A payload value of the wrong kind (e.g. a payload that is not an object).
    WrongType,
    /// An approval expiry without a UTC offset had to be compared with the clock.
    NaiveDatetime,
    /// A value that cannot be converted (e.g. `steps_executed` of `"abc"`).
    InvalidValue,
}

/// Why an event log cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayError {
    kind: ReplayErrorKind,
    message: String,
    seq: Option<usize>,
}

impl ReplayError {
    fn new(kind: ReplayErrorKind, message: impl Into<String>) -> ReplayError {
        ReplayError { kind, message: message.into(), seq: None }
    }

    pub(crate) fn at(mut self, index: usize) -> ReplayError {
        if self.seq.is_none() {
            self.seq = Some(index);
        }
        self
    }

    /// The class of failure.
    pub fn kind(&self) -> ReplayErrorKind {
        self.kind
    }

    /// The message as the reference words it (e.g. `'goal'`,
    /// `min_approvals must be at least 1`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Index (in replay order) of the event that failed, when known.
    pub fn event_index(&self) -> Option<usize> {
        self.seq
    }

    /// Whether the reference raises this as a `ValueError` (which its export reports as
    /// `DECISION_NOT_FOUND`; other classes make it crash).
    pub fn is_value_error(&self) -> bool {
        matches!(
            self.kind,
            ReplayErrorKind::UnknownEventType
                | ReplayErrorKind::InvalidTimestamp
                | ReplayErrorKind::InvalidPolicy
                | ReplayErrorKind::InvalidValue
        )
    }

    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ReplayErrorKind::UnknownEventType => "REPLAY_UNKNOWN_EVENT_TYPE",
            ReplayErrorKind::InvalidTimestamp => "REPLAY_INVALID_TIMESTAMP",
            ReplayErrorKind::InvalidPolicy => "REPLAY_INVALID_POLICY",
            ReplayErrorKind::MissingKey => "REPLAY_MISSING_KEY",
            ReplayErrorKind::WrongType => "REPLAY_WRONG_TYPE",
            ReplayErrorKind::NaiveDatetime => "REPLAY_NAIVE_DATETIME",
            ReplayErrorKind::InvalidValue => "REPLAY_INVALID_VALUE",
        }
    }
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReplayError {}

/// Parse an event timestamp; the error is the reference's
/// `Invalid isoformat string: '<ts>'`.
pub fn parse_ts(ts: &Value) -> Result<Timestamp, ReplayError> {
    let text = py_str(ts);
    Timestamp::parse_isoformat(&text)
        .map_err(|e| ReplayError::new(ReplayErrorKind::InvalidTimestamp, e.message().to_owned()))
}

/// Python `str()` of a JSON value: strings as themselves, `None`, `True`, `False`,
/// numbers as Python prints them, lists and dicts in Python `repr` form.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python `repr()` of a JSON value.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => repr_str(s),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(py_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            let items: Vec<String> = m.iter().map(|(k, v)| format!("{}: {}", repr_str(k), py_repr(v))).collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Python's name of a JSON value's type, for messages.
fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_integer() => "int",
        Value::Number(_) => "float",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python `list(x)`/`tuple(x)` of a JSON value: array elements, the characters of a
/// string, the keys of an object; anything else is not iterable.
fn py_iter(v: &Value) -> Result<Vec<Value>, ReplayError> {
    match v {
        Value::Array(a) => Ok(a.clone()),
        Value::String(s) => Ok(s.chars().map(|c| Value::String(c.to_string())).collect()),
        Value::Object(m) => Ok(m.keys().map(Value::str).collect()),
        other => {
            Err(ReplayError::new(ReplayErrorKind::WrongType, format!("'{}' object is not iterable", py_type(other))))
        }
    }
}

/// Python `int(x)`, saturating at the `i64` range for huge integers.
fn py_int(v: &Value) -> Result<i64, ReplayError> {
    match v {
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if let Some(f) = n.as_f64() {
                Ok(f.trunc().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
            } else if n.to_string().starts_with('-') {
                Ok(i64::MIN)
            } else {
                Ok(i64::MAX)
            }
        }
        Value::String(s) => {
            let t = s.trim().replace('_', "");
            match crate::json::Number::from_integer_text(t.strip_prefix('+').unwrap_or(&t)) {
                Some(n) => py_int(&Value::Number(n)),
                None => Err(ReplayError::new(
                    ReplayErrorKind::InvalidValue,
                    format!("invalid literal for int() with base 10: {}", repr_str(s)),
                )),
            }
        }
        other => Err(ReplayError::new(
            ReplayErrorKind::WrongType,
            format!("int() argument must be a string, a bytes-like object or a real number, not '{}'", py_type(other)),
        )),
    }
}

fn payload_obj(payload: &Value) -> Result<&Map, ReplayError> {
    payload.as_object().ok_or_else(|| {
        ReplayError::new(ReplayErrorKind::WrongType, format!("payload must be an object, got '{}'", py_type(payload)))
    })
}

fn need<'a>(m: &'a Map, key: &str) -> Result<&'a Value, ReplayError> {
    m.get(key).ok_or_else(|| ReplayError::new(ReplayErrorKind::MissingKey, repr_str(key)))
}

/// A policy as replay reads it from `POLICY_ATTACHED` (validated as §4.2 says).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Minimum number of active approvals (≥ 1).
    pub min_approvals: i64,
    /// Allowed modes, each `dry_run` or `apply` (duplicates kept).
    pub allowed_modes: Vec<String>,
    /// Required adapter capabilities, as given.
    pub require_adapter_capabilities: Vec<Value>,
    /// Step limit, as given (null, or a number ≥ 1).
    pub max_steps: Value,
    /// Governance labels, as given.
    pub labels: Vec<Value>,
    /// Separation of duties (Rust addition; absent in the original's payloads): the
    /// requester may not approve. Truthiness of the payload's `forbid_self_approval`.
    pub forbid_self_approval: bool,
}

impl Policy {
    /// Read and validate a `POLICY_ATTACHED` payload.
    pub fn from_payload(p: &Map) -> Result<Policy, ReplayError> {
        let min_approvals = py_int(need(p, "min_approvals")?)?;
        let modes_raw = py_iter(need(p, "allowed_modes")?)?;
        let caps = match p.get("require_adapter_capabilities") {
            Some(v) => py_iter(v)?,
            None => Vec::new(),
        };
        let max_steps = p.get("max_steps").cloned().unwrap_or(Value::Null);
        let labels = match p.get("labels") {
            Some(v) => py_iter(v)?,
            None => Vec::new(),
        };
        let invalid = |m: &str| ReplayError::new(ReplayErrorKind::InvalidPolicy, m.to_owned());
        if min_approvals < 1 {
            return Err(invalid("min_approvals must be at least 1"));
        }
        if modes_raw.is_empty() {
            return Err(invalid("allowed_modes cannot be empty"));
        }
        let mut allowed_modes = Vec::with_capacity(modes_raw.len());
        for m in &modes_raw {
            match m.as_str() {
                Some(s @ ("dry_run" | "apply")) => allowed_modes.push(s.to_owned()),
                _ => return Err(invalid(&format!("Invalid mode: {}", py_str(m)))),
            }
        }
        match &max_steps {
            Value::Null => {}
            Value::Bool(b) => {
                if !*b {
                    return Err(invalid("max_steps must be at least 1 if specified"));
                }
            }
            Value::Number(n) => {
                if n.to_f64_lossy() < 1.0 {
                    return Err(invalid("max_steps must be at least 1 if specified"));
                }
            }
            other => {
                return Err(ReplayError::new(
                    ReplayErrorKind::WrongType,
                    format!("'<' not supported between instances of '{}' and 'int'", py_type(other)),
                ))
            }
        }
        let forbid_self_approval = p.get("forbid_self_approval").is_some_and(Value::is_truthy);
        Ok(Policy {
            min_approvals,
            allowed_modes,
            require_adapter_capabilities: caps,
            max_steps,
            labels,
            forbid_self_approval,
        })
    }

    /// Whether `mode` is allowed.
    pub fn allows_mode(&self, mode: &str) -> bool {
        self.allowed_modes.iter().any(|m| m == mode)
    }
}

/// The template a decision was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRef {
    /// `template_name` as text.
    pub name: String,
    /// `template_digest` as text (`""` when absent).
    pub digest: String,
    /// `template_snapshot` when it is an object, else empty.
    pub snapshot: Map,
    /// `overrides_applied` when it is an object, else empty.
    pub overrides_applied: Map,
}

/// One actor's latest approval.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    /// Actor id (the key).
    pub actor_id: String,
    /// Actor type of the granting event.
    pub actor_type: String,
    /// When granted (the event's `ts`).
    pub granted_at: Timestamp,
    /// Expiry, if any.
    pub expires_at: Option<Timestamp>,
    /// Comment, as given.
    pub comment: Option<Value>,
    /// Whether revoked.
    pub revoked: bool,
    /// When revoked.
    pub revoked_at: Option<Timestamp>,
    /// Revocation reason, as given.
    pub revoke_reason: Option<Value>,
}

impl Approval {
    /// Active at `now_micros`: not revoked and not expired (`expires_at > now`).
    /// `None` when the expiry is naive (cannot be compared, as in the reference).
    pub fn is_active_at(&self, now_micros: i64) -> Option<bool> {
        if self.revoked {
            return Some(false);
        }
        match &self.expires_at {
            None => Some(true),
            Some(t) => t.unix_micros().map(|e| e > now_micros),
        }
    }
}

/// One execution attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRecord {
    /// Adapter id as text.
    pub adapter_id: String,
    /// Whether dry-run (truthiness of the payload's `dry_run`).
    pub dry_run: bool,
    /// When requested.
    pub requested_at: Timestamp,
    /// When started.
    pub started_at: Option<Timestamp>,
    /// When completed or failed.
    pub completed_at: Option<Timestamp>,
    /// Run id (text), if any.
    pub run_id: Option<String>,
    /// Router request digest (raw hex as stored).
    pub request_digest: Option<String>,
    /// Router response digest (raw hex as stored).
    pub response_digest: Option<String>,
    /// Steps executed (a stored 0 replays as `None`).
    pub steps_executed: Option<i64>,
    /// Failure code.
    pub error_code: Option<String>,
    /// Failure message.
    pub error_message: Option<String>,
}

/// One event as replay consumes it.
#[derive(Debug, Clone, Copy)]
pub struct ReplayEvent<'a> {
    /// The event type name (validated by replay).
    pub event_type: &'a str,
    /// The payload.
    pub payload: &'a Value,
    /// The parsed timestamp.
    pub ts: Timestamp,
    /// Actor type.
    pub actor_type: &'a str,
    /// Actor id.
    pub actor_id: &'a str,
}

/// The projection of a decision's log: everything replay derives.
#[derive(Debug, Clone)]
pub struct Decision {
    state: State,
    goal: Option<String>,
    plan: Option<Value>,
    requested_mode: Option<Value>,
    labels: Vec<Value>,
    policy: Option<Policy>,
    template: Option<TemplateRef>,
    requester: Option<(String, String)>,
    // INVARIANT (approval index): `approval_index[id]` is the position of `id` in
    // `approvals`; positions follow first grant order (Python dict order).
    approvals: Vec<Approval>,
    // A hash index for lookups only (never iterated, so no order leaks anywhere).
    approval_index: HashMap<String, usize>,
    // INVARIANT (running count): `active` is the number of entries of `approvals` active
    // at `now`, `naive` the number of non-revoked entries whose expiry has no offset.
    active: usize,
    naive: usize,
    executions: Vec<ExecutionRecord>,
    event_count: usize,
    now: i64,
}

impl Decision {
    /// An empty projection that evaluates approval expiry at `now_micros` (microseconds
    /// since the Unix epoch).
    pub fn new(now_micros: i64) -> Decision {
        Decision {
            state: State::Draft,
            goal: None,
            plan: None,
            requested_mode: None,
            labels: Vec::new(),
            policy: None,
            template: None,
            requester: None,
            approvals: Vec::new(),
            approval_index: HashMap::new(),
            active: 0,
            naive: 0,
            executions: Vec::new(),
            event_count: 0,
            now: now_micros,
        }
    }

    /// Replay a whole log in order. The error carries the index of the failing event.
    pub fn replay<'a>(
        events: impl IntoIterator<Item = ReplayEvent<'a>>,
        now_micros: i64,
    ) -> Result<Decision, ReplayError> {
        let mut d = Decision::new(now_micros);
        for (i, e) in events.into_iter().enumerate() {
            d.apply(&e).map_err(|err| err.at(i))?;
        }
        Ok(d)
    }

    /// Apply one event, exactly as the reference's `apply_event`.
    pub fn apply(&mut self, e: &ReplayEvent<'_>) -> Result<(), ReplayError> {
        let et = EventType::parse(e.event_type)?;
        self.event_count += 1;
        match et {
            EventType::DecisionCreated => {
                let p = payload_obj(e.payload)?;
                self.goal = Some(py_str(need(p, "goal")?));
                self.plan = p.get("plan").cloned().filter(|v| !v.is_null());
                self.requested_mode = Some(need(p, "requested_mode")?.clone());
                self.labels = match p.get("labels") {
                    Some(v) => py_iter(v)?,
                    None => Vec::new(),
                };
                if self.requester.is_none() {
                    self.requester = Some((e.actor_type.to_owned(), e.actor_id.to_owned()));
                }
                self.state = State::Draft;
            }
            EventType::PolicyAttached => {
                let p = payload_obj(e.payload)?;
                let policy = Policy::from_payload(p)?;
                if let Some(name) = p.get("template_name").filter(|v| v.is_truthy()) {
                    let as_obj = |k: &str| p.get(k).and_then(Value::as_object).cloned().unwrap_or_default();
                    self.template = Some(TemplateRef {
                        name: py_str(name),
                        digest: p.get("template_digest").map(py_str).unwrap_or_default(),
                        snapshot: as_obj("template_snapshot"),
                        overrides_applied: as_obj("overrides_applied"),
                    });
                }
                self.policy = Some(policy);
                self.state = State::PendingApproval;
            }
            EventType::ApprovalGranted => {
                let p = payload_obj(e.payload)?;
                let expires_at = match p.get("expires_at").filter(|v| v.is_truthy()) {
                    Some(v) => Some(parse_ts(v)?),
                    None => None,
                };
                let approval = Approval {
                    actor_id: e.actor_id.to_owned(),
                    actor_type: e.actor_type.to_owned(),
                    granted_at: e.ts,
                    expires_at,
                    comment: p.get("comment").cloned(),
                    revoked: false,
                    revoked_at: None,
                    revoke_reason: None,
                };
                let added = self.contribution(&approval);
                match self.approval_index.get(e.actor_id).copied() {
                    Some(i) => {
                        if let Some(slot) = self.approvals.get_mut(i) {
                            let old = std::mem::replace(slot, approval);
                            let removed = self.contribution(&old);
                            self.retract(removed);
                        }
                    }
                    None => {
                        self.approval_index.insert(e.actor_id.to_owned(), self.approvals.len());
                        self.approvals.push(approval);
                    }
                }
                self.add(added);
                self.reevaluate()?;
            }
            EventType::ApprovalRevoked => {
                let p = payload_obj(e.payload)?;
                if let Some(i) = self.approval_index.get(e.actor_id).copied() {
                    if let Some(old) = self.approvals.get(i) {
                        let removed = self.contribution(old);
                        self.retract(removed);
                    }
                    if let Some(a) = self.approvals.get_mut(i) {
                        a.revoked = true;
                        a.revoked_at = Some(e.ts);
                        a.revoke_reason = p.get("reason").cloned();
                    }
                }
                self.reevaluate()?;
            }
            EventType::ExecutionRequested => {
                let p = payload_obj(e.payload)?;
                let adapter_id = py_str(need(p, "adapter_id")?);
                let dry_run = need(p, "dry_run")?.is_truthy();
                self.executions.push(ExecutionRecord {
                    adapter_id,
                    dry_run,
                    requested_at: e.ts,
                    started_at: None,
                    completed_at: None,
                    run_id: None,
                    request_digest: None,
                    response_digest: None,
                    steps_executed: None,
                    error_code: None,
                    error_message: None,
                });
            }
            EventType::ExecutionStarted => {
                if !self.executions.is_empty() {
                    let p = payload_obj(e.payload)?;
                    let digest = py_str(need(p, "router_request_digest")?);
                    if let Some(x) = self.executions.last_mut() {
                        x.started_at = Some(e.ts);
                        x.request_digest = Some(digest);
                    }
                }
                self.state = State::Executing;
            }
            EventType::ExecutionCompleted => {
                if !self.executions.is_empty() {
                    let p = payload_obj(e.payload)?;
                    let run_id = py_str(need(p, "run_id")?);
                    let response_digest = py_str(need(p, "response_digest")?);
                    let steps = match p.get("steps_executed").filter(|v| v.is_truthy()) {
                        Some(v) => Some(py_int(v)?),
                        None => None,
                    };
                    if let Some(x) = self.executions.last_mut() {
                        x.completed_at = Some(e.ts);
                        x.run_id = Some(run_id);
                        x.response_digest = Some(response_digest);
                        x.steps_executed = steps;
                    }
                }
                self.state = State::Completed;
            }
            EventType::ExecutionFailed => {
                if !self.executions.is_empty() {
                    let p = payload_obj(e.payload)?;
                    let code = py_str(need(p, "error_code")?);
                    let message = py_str(need(p, "error_message")?);
                    let run_id = p.get("run_id").filter(|v| v.is_truthy()).map(py_str);
                    if let Some(x) = self.executions.last_mut() {
                        x.completed_at = Some(e.ts);
                        x.error_code = Some(code);
                        x.error_message = Some(message);
                        x.run_id = run_id;
                    }
                }
                self.state = State::Failed;
            }
            EventType::TemplateCreated => {}
        }
        Ok(())
    }

    /// How an entry contributes to the running counts: `(active, naive)`.
    fn contribution(&self, a: &Approval) -> (usize, usize) {
        if a.revoked {
            return (0, 0);
        }
        match a.is_active_at(self.now) {
            Some(true) => (1, 0),
            Some(false) => (0, 0),
            None => (0, 1),
        }
    }

    fn add(&mut self, (active, naive): (usize, usize)) {
        self.active += active;
        self.naive += naive;
    }

    fn retract(&mut self, (active, naive): (usize, usize)) {
        self.active = self.active.saturating_sub(active);
        self.naive = self.naive.saturating_sub(naive);
    }

    fn reevaluate(&mut self) -> Result<(), ReplayError> {
        if matches!(self.state, State::PendingApproval | State::Approved) {
            self.state = if self.is_approved()? { State::Approved } else { State::PendingApproval };
        }
        Ok(())
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The goal (text), once `DECISION_CREATED` was applied.
    pub fn goal(&self) -> Option<&str> {
        self.goal.as_deref()
    }

    /// The plan, when not null.
    pub fn plan(&self) -> Option<&Value> {
        self.plan.as_ref()
    }

    /// The requested mode as stored (normally `"dry_run"` or `"apply"`).
    pub fn requested_mode(&self) -> Option<&Value> {
        self.requested_mode.as_ref()
    }

    /// The decision's labels.
    pub fn labels(&self) -> &[Value] {
        &self.labels
    }

    /// The policy, once attached.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// The template reference.
    pub fn template(&self) -> Option<&TemplateRef> {
        self.template.as_ref()
    }

    /// Actor (type, id) of the first `DECISION_CREATED`.
    pub fn requester(&self) -> Option<(&str, &str)> {
        self.requester.as_ref().map(|(t, i)| (t.as_str(), i.as_str()))
    }

    /// Approvals in first-grant order (one per actor id: the latest grant).
    pub fn approvals(&self) -> &[Approval] {
        &self.approvals
    }

    /// The approval entry of `actor_id`.
    pub fn approval(&self, actor_id: &str) -> Option<&Approval> {
        self.approval_index.get(actor_id).and_then(|&i| self.approvals.get(i))
    }

    /// Active approvals at the replay's "now" (O(1)). Fails like the reference when a
    /// non-revoked approval has an expiry without offset.
    pub fn active_approval_count(&self) -> Result<usize, ReplayError> {
        if self.naive > 0 {
            return Err(naive_error());
        }
        Ok(self.active)
    }

    /// Active approvals at another instant (O(approvers)).
    pub fn active_approval_count_at(&self, micros: i64) -> Result<usize, ReplayError> {
        let mut n = 0;
        for a in &self.approvals {
            match a.is_active_at(micros) {
                Some(true) => n += 1,
                Some(false) => {}
                None => return Err(naive_error()),
            }
        }
        Ok(n)
    }

    /// Number of non-revoked approvals that have expired at "now".
    pub fn expired_approval_count(&self) -> usize {
        self.approvals.iter().filter(|a| !a.revoked && a.is_active_at(self.now) == Some(false)).count()
    }

    /// A policy exists and the active count reaches `min_approvals`.
    pub fn is_approved(&self) -> Result<bool, ReplayError> {
        match &self.policy {
            None => Ok(false),
            Some(p) => Ok(i64::try_from(self.active_approval_count()?).unwrap_or(i64::MAX) >= p.min_approvals),
        }
    }

    /// Execution attempts in order.
    pub fn executions(&self) -> &[ExecutionRecord] {
        &self.executions
    }

    /// The latest execution attempt.
    pub fn latest_execution(&self) -> Option<&ExecutionRecord> {
        self.executions.last()
    }

    /// Number of events applied (including `TEMPLATE_CREATED`).
    pub fn event_count(&self) -> usize {
        self.event_count
    }

    /// The "now" approval expiry is evaluated against.
    pub fn now_micros(&self) -> i64 {
        self.now
    }
}

fn naive_error() -> ReplayError {
    ReplayError::new(ReplayErrorKind::NaiveDatetime, "can't compare offset-naive and offset-aware datetimes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_isoformat(s).unwrap()
    }

    struct Log(Vec<(String, Value, String, String)>);
    impl Log {
        fn new() -> Log {
            Log(Vec::new())
        }
        fn push(&mut self, t: &str, p: &str, actor: &str) -> &mut Log {
            self.0.push((t.to_owned(), parse(p).unwrap(), "2026-01-01T00:00:00+00:00".to_owned(), actor.to_owned()));
            self
        }
        fn replay(&self, now: i64) -> Result<Decision, ReplayError> {
            Decision::replay(
                self.0.iter().map(|(t, p, when, a)| ReplayEvent {
                    event_type: t,
                    payload: p,
                    ts: ts(when),
                    actor_type: "human",
                    actor_id: a,
                }),
                now,
            )
        }
    }

    const CREATED: &str = r#"{"goal":"g","plan":null,"requested_mode":"apply","labels":[]}"#;
    const POLICY2: &str = r#"{"min_approvals":2,"allowed_modes":["dry_run","apply"],"require_adapter_capabilities":[],"max_steps":null,"labels":[]}"#;

    #[test]
    fn threshold_and_revocation() {
        let now = ts("2026-06-01T00:00:00+00:00").unix_micros().unwrap();
        let mut log = Log::new();
        log.push("DECISION_CREATED", CREATED, "alice").push("POLICY_ATTACHED", POLICY2, "alice");
        assert_eq!(log.replay(now).unwrap().state(), State::PendingApproval);
        log.push("APPROVAL_GRANTED", r#"{"expires_at":null}"#, "bob");
        log.push("APPROVAL_GRANTED", r#"{"expires_at":"2099-01-01T00:00:00+00:00"}"#, "carol");
        let d = log.replay(now).unwrap();
        assert_eq!(d.state(), State::Approved);
        assert_eq!(d.active_approval_count().unwrap(), 2);
        log.push("APPROVAL_REVOKED", r#"{"reason":""}"#, "bob");
        assert_eq!(log.replay(now).unwrap().state(), State::PendingApproval);
        // re-grant after revocation counts again
        log.push("APPROVAL_GRANTED", r#"{"expires_at":null}"#, "bob");
        let d = log.replay(now).unwrap();
        assert_eq!(d.state(), State::Approved);
        assert_eq!(d.approvals().len(), 2);
        // an expired grant replacing an active one drops the count
        log.push("APPROVAL_GRANTED", r#"{"expires_at":"2001-01-01T00:00:00+00:00"}"#, "carol");
        let d = log.replay(now).unwrap();
        assert_eq!(d.active_approval_count().unwrap(), 1);
        assert_eq!(d.expired_approval_count(), 1);
        assert_eq!(d.state(), State::PendingApproval);
    }

    #[test]
    fn replay_errors_match_reference_text() {
        let mut log = Log::new();
        log.push("APPROVAL_ESCALATED", "{}", "x");
        assert_eq!(log.replay(0).unwrap_err().message(), "'APPROVAL_ESCALATED' is not a valid EventType");
        let mut log = Log::new();
        log.push("POLICY_ATTACHED", r#"{"min_approvals":0,"allowed_modes":["dry_run"]}"#, "a");
        assert_eq!(log.replay(0).unwrap_err().message(), "min_approvals must be at least 1");
        let mut log = Log::new();
        log.push("DECISION_CREATED", r#"{"plan":null}"#, "a");
        let e = log.replay(0).unwrap_err();
        assert_eq!(e.message(), "'goal'");
        assert_eq!(e.kind(), ReplayErrorKind::MissingKey);
        let mut log = Log::new();
        log.push("POLICY_ATTACHED", POLICY2, "a").push("APPROVAL_GRANTED", r#"{"expires_at":"2099-01-01"}"#, "b");
        assert_eq!(log.replay(0).unwrap_err().kind(), ReplayErrorKind::NaiveDatetime);
        let mut log = Log::new();
        log.push("POLICY_ATTACHED", r#"{"min_approvals":1,"allowed_modes":["dry_run","wat"]}"#, "a");
        assert_eq!(log.replay(0).unwrap_err().message(), "Invalid mode: wat");
    }

    #[test]
    fn permissive_orders_are_applied() {
        // approvals before the policy: state pending with threshold met
        let mut log = Log::new();
        log.push("APPROVAL_GRANTED", r#"{"expires_at":null}"#, "b").push(
            "POLICY_ATTACHED",
            POLICY2.replace('2', "1").as_str(),
            "a",
        );
        let d = log.replay(0).unwrap();
        assert_eq!(d.state(), State::PendingApproval);
        assert!(d.is_approved().unwrap());
        // a lone EXECUTION_STARTED moves to executing without a record
        let mut log = Log::new();
        log.push("EXECUTION_STARTED", "[]", "s");
        let d = log.replay(0).unwrap();
        assert_eq!(d.state(), State::Executing);
        assert!(d.latest_execution().is_none());
    }

    #[test]
    fn execution_records() {
        let mut log = Log::new();
        log.push("DECISION_CREATED", CREATED, "a")
            .push("POLICY_ATTACHED", POLICY2, "a")
            .push("EXECUTION_REQUESTED", r#"{"adapter_id":"x","dry_run":0}"#, "s")
            .push("EXECUTION_STARTED", r#"{"router_request_digest":"aa"}"#, "nexus-control")
            .push(
                "EXECUTION_COMPLETED",
                r#"{"run_id":7,"response_digest":"bb","steps_executed":"3"}"#,
                "nexus-control",
            );
        let d = log.replay(0).unwrap();
        let x = d.latest_execution().unwrap();
        assert!(!x.dry_run);
        assert_eq!(x.run_id.as_deref(), Some("7"));
        assert_eq!(x.steps_executed, Some(3));
        assert_eq!(d.state(), State::Completed);
    }
}
