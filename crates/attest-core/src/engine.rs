//! The engine: requests, approvals, revocations, templates and the read views over any
//! [`Store`]. Writes that depend on the decision's current state use the store's
//! compare-and-append, so a check and the event it permits are atomic (a concurrent write
//! makes the engine reload, re-check and retry).

use std::sync::Arc;

use attest_events::{
    Actor, ApprovalGranted, ApprovalRevoked, Clock, DecisionCreated, EventPayload, IdSource, Map, Mode, NewEvent,
    RandomIds, SystemClock, Timestamp, Value,
};
use attest_policy::{effective_policy, template_digest, template_snapshot, Policy, PolicyArgs, TemplateSpec};
use attest_store::{ListQuery, Store, StoreError, TemplateRecord};
use attest_verify::replay::State;

use crate::error::CoreError;
use crate::lifecycle::{lifecycle, Loaded};
use crate::views::{events_value, inspect, status_projection, InspectOptions};

/// Behaviours of the original that the engine fixes by default and can reproduce for
/// compatibility (the golden vectors pin them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compat {
    /// Accept a request whose effective policy is invalid (the original writes it and
    /// every later replay fails). Off: such a request is refused with `INVALID_POLICY`.
    pub accept_invalid_policy: bool,
    /// Execute a decision that already completed (the original runs it again). Off:
    /// `ALREADY_EXECUTED`.
    pub reexecute_completed: bool,
}

/// Engine settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// Reproduce the original where it is weak.
    pub compat: Compat,
    /// How often a state-dependent write is retried after losing a race.
    pub max_retries: usize,
    /// Record a router response whose `status` is present and not `completed` as
    /// `EXECUTION_FAILED` (`ROUTER_RUN_FAILED`) instead of `EXECUTION_COMPLETED` (the
    /// original ignores the router's verdict). Off by default.
    pub strict_router_verdict: bool,
}

impl Default for EngineOptions {
    fn default() -> EngineOptions {
        EngineOptions { compat: Compat::default(), max_retries: 64, strict_router_verdict: false }
    }
}

/// The arguments of `request` (`spec/core.md` §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestArgs {
    /// What the action should achieve (non-empty).
    pub goal: String,
    /// Who asks.
    pub actor: Actor,
    /// `dry_run` (default) or `apply`; other strings only with [`Compat::accept_invalid_policy`].
    pub mode: String,
    /// Optional plan text.
    pub plan: Option<String>,
    /// A template to start from (`None` or empty: no template).
    pub template_name: Option<String>,
    /// Policy arguments; `None` means "not passed".
    pub policy: PolicyArgs,
}

impl RequestArgs {
    /// A dry-run request with defaults.
    pub fn new(goal: impl Into<String>, actor: Actor) -> RequestArgs {
        RequestArgs {
            goal: goal.into(),
            actor,
            mode: "dry_run".to_owned(),
            plan: None,
            template_name: None,
            policy: PolicyArgs::default(),
        }
    }
}

/// The result data of `request`.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestOutcome {
    /// The new decision id.
    pub request_id: String,
    /// The effective `min_approvals`.
    pub min_approvals: i64,
    /// Template name and digest when a template was used, with the overrides.
    pub template: Option<(String, String, Map)>,
}

impl RequestOutcome {
    /// `{"request_id", "state", "min_approvals", "current_approvals"[, "template_name",
    /// "template_digest"[, "overrides_applied"]]}`.
    pub fn to_map(&self) -> Map {
        let mut m = Map::new();
        m.insert("request_id", Value::str(self.request_id.as_str()));
        m.insert("state", Value::str("pending_approval"));
        m.insert("min_approvals", Value::int(self.min_approvals));
        m.insert("current_approvals", Value::int(0));
        if let Some((name, digest, overrides)) = &self.template {
            m.insert("template_name", Value::str(name.as_str()));
            m.insert("template_digest", Value::str(digest.as_str()));
            if !overrides.is_empty() {
                m.insert("overrides_applied", Value::Object(overrides.clone()));
            }
        }
        m
    }
}

/// The governance engine over a store.
pub struct Engine<S: Store> {
    store: S,
    clock: Arc<dyn Clock>,
    now: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    options: EngineOptions,
}

impl<S: Store> std::fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("options", &self.options).finish_non_exhaustive()
    }
}

impl<S: Store> Engine<S> {
    /// An engine on the system clock with random UUIDv4 ids.
    pub fn new(store: S) -> Engine<S> {
        Engine::with_sources(store, Arc::new(SystemClock), Arc::new(SystemClock), Arc::new(RandomIds))
    }

    /// An engine with explicit sources: `clock` for template creation times (give the
    /// store the same clock so recorded flows replay exactly), `now` for approval expiry,
    /// `ids` for new decision ids.
    pub fn with_sources(store: S, clock: Arc<dyn Clock>, now: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Engine<S> {
        Engine { store, clock, now, ids, options: EngineOptions::default() }
    }

    /// Change the options.
    pub fn with_options(mut self, options: EngineOptions) -> Engine<S> {
        self.options = options;
        self
    }

    /// The options.
    pub fn options(&self) -> EngineOptions {
        self.options
    }

    /// A fresh decision id from the id source.
    pub fn new_decision_id(&self) -> String {
        self.ids.new_decision_id()
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// "Now" for approval expiry, in microseconds since the epoch.
    pub fn now_micros(&self) -> i64 {
        self.now.now().unix_micros().unwrap_or(0)
    }

    /// The source of "now" for approval expiry.
    pub fn now_clock(&self) -> &Arc<dyn Clock> {
        &self.now
    }

    /// Load and replay a decision with one reading of "now".
    pub fn load(&self, decision_id: &str) -> Result<Loaded, CoreError> {
        Loaded::load(&self.store, decision_id, self.now_micros())
    }

    // ------------------------------------------------------------------ request

    /// Create a decision with its policy (`spec/core.md` §6.2): `DECISION_CREATED` and
    /// `POLICY_ATTACHED` in one atomic write.
    pub fn request(&self, args: &RequestArgs) -> Result<RequestOutcome, CoreError> {
        let compat = self.options.compat.accept_invalid_policy;
        if args.goal.is_empty() && !compat {
            return Err(CoreError::InvalidArgument("goal must not be empty".to_owned()));
        }
        let mode = Mode::parse(&args.mode);
        if mode.is_none() && !compat {
            return Err(CoreError::InvalidArgument(format!("mode must be `dry_run` or `apply`, got `{}`", args.mode)));
        }
        let template_name = args.template_name.as_deref().filter(|t| !t.is_empty());
        let (policy, template_fields) = match template_name {
            Some(name) => {
                let record = self.store.template(name)?.ok_or_else(|| CoreError::TemplateNotFound(name.to_owned()))?;
                let (p, fields) = effective_policy(&record, &args.policy);
                (p, Some(fields))
            }
            None => (Policy::for_request(mode.unwrap_or(Mode::Apply), &args.policy), None),
        };
        policy.check_requested_mode(&args.mode).map_err(CoreError::from_request_policy)?;
        if !compat {
            policy.validate().map_err(CoreError::from_request_policy)?;
        }
        let created = match mode {
            Some(m) => EventPayload::DecisionCreated(DecisionCreated {
                goal: args.goal.clone(),
                plan: args.plan.clone(),
                requested_mode: m,
                labels: policy.labels.clone(),
            })
            .to_value(),
            None => {
                let mut m = Map::new();
                m.insert("goal", Value::str(args.goal.as_str()));
                m.insert("plan", args.plan.as_deref().map(Value::str).unwrap_or(Value::Null));
                m.insert("requested_mode", Value::str(args.mode.as_str()));
                m.insert("labels", Value::Array(policy.labels.iter().map(|l| Value::str(l.as_str())).collect()));
                Value::Object(m)
            }
        };
        let mut attached = policy.to_payload();
        attached.template = template_fields.clone();
        let events = vec![
            NewEvent::raw(attest_events::EventType::DecisionCreated, args.actor.clone(), created)?,
            NewEvent::new(args.actor.clone(), &EventPayload::PolicyAttached(attached)),
        ];
        let mut request_id = self.ids.new_decision_id();
        let mut attempts = 0;
        loop {
            match self.store.create_decision(&request_id, events.clone()) {
                Ok(_) => break,
                Err(StoreError::DecisionExists(_)) if attempts < 3 => {
                    attempts += 1;
                    request_id = self.ids.new_decision_id();
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(RequestOutcome {
            request_id,
            min_approvals: policy.min_approvals,
            template: template_fields.map(|f| (f.template_name, f.template_digest, f.overrides_applied)),
        })
    }

    // ------------------------------------------------------------------ approve / revoke

    /// Grant an approval (`spec/core.md` §6.5). `expires_at` must carry a UTC offset.
    pub fn approve(
        &self,
        request_id: &str,
        actor: &Actor,
        comment: Option<&str>,
        expires_at: Option<&str>,
    ) -> Result<Map, CoreError> {
        let expires = match expires_at {
            None => None,
            Some(text) => {
                let t = Timestamp::parse_isoformat(text)
                    .map_err(|e| CoreError::InvalidArgument(format!("expires_at: {}", e.message())))?;
                if !t.is_aware() {
                    return Err(CoreError::InvalidArgument(format!("expires_at `{text}` must carry a UTC offset")));
                }
                Some(t.isoformat())
            }
        };
        let payload = EventPayload::ApprovalGranted(ApprovalGranted {
            expires_at: expires,
            comment: comment.filter(|c| !c.is_empty()).map(str::to_owned),
        });
        let event = NewEvent::new(actor.clone(), &payload);
        self.append_checked(request_id, event, |l| {
            let d = &l.decision;
            if !matches!(d.state(), State::PendingApproval | State::Approved) {
                return Err(CoreError::InvalidState(format!("Cannot approve decision in state: {}", d.state())));
            }
            if d.approval(&actor.id).is_some_and(|a| !a.revoked) {
                return Err(CoreError::AlreadyApproved(actor.id.clone()));
            }
            if d.policy().is_some_and(|p| p.forbid_self_approval) && d.requester().is_some_and(|(_, id)| id == actor.id)
            {
                return Err(CoreError::SelfApproval(actor.id.clone()));
            }
            Ok(())
        })?;
        let l = self.load(request_id)?;
        let mut m = Map::new();
        m.insert("request_id", Value::str(request_id));
        m.insert("state", Value::str(l.decision.state().as_str()));
        m.insert("current_approvals", Value::int(l.active()? as i64));
        m.insert("required_approvals", Value::int(l.required()));
        m.insert("is_approved", Value::Bool(l.is_approved()?));
        Ok(m)
    }

    /// Revoke an approval (`spec/core.md` §6.6). A revocation by an actor whose type
    /// differs from the approving actor's is refused (approvals are keyed by id).
    pub fn revoke_approval(&self, request_id: &str, actor: &Actor, reason: &str) -> Result<Map, CoreError> {
        let event =
            NewEvent::new(actor.clone(), &EventPayload::ApprovalRevoked(ApprovalRevoked { reason: reason.to_owned() }));
        self.append_checked(request_id, event, |l| {
            let d = &l.decision;
            if matches!(d.state(), State::Executing | State::Completed) {
                return Err(CoreError::InvalidState(format!(
                    "Cannot revoke approval for decision in state: {}",
                    d.state()
                )));
            }
            match d.approval(&actor.id) {
                None => Err(CoreError::NotApproved(actor.id.clone())),
                Some(a) if a.revoked => Err(CoreError::AlreadyRevoked(actor.id.clone())),
                Some(a) if a.actor_type != actor.kind => Err(CoreError::NotApproved(actor.id.clone())),
                Some(_) => Ok(()),
            }
        })?;
        let l = self.load(request_id)?;
        let mut m = Map::new();
        m.insert("request_id", Value::str(request_id));
        m.insert("state", Value::str(l.decision.state().as_str()));
        m.insert("current_approvals", Value::int(l.active()? as i64));
        m.insert("is_approved", Value::Bool(l.is_approved()?));
        Ok(m)
    }

    /// Load, check, append with the seq guard; on a lost race reload and re-check.
    pub(crate) fn append_checked(
        &self,
        decision_id: &str,
        event: NewEvent,
        check: impl Fn(&Loaded) -> Result<(), CoreError>,
    ) -> Result<attest_events::Event, CoreError> {
        self.append_all_checked(decision_id, vec![event], |l| check(l)).map(|mut v| v.remove(0))
    }

    pub(crate) fn append_all_checked(
        &self,
        decision_id: &str,
        events: Vec<NewEvent>,
        check: impl Fn(&Loaded) -> Result<(), CoreError>,
    ) -> Result<Vec<attest_events::Event>, CoreError> {
        let mut attempt = 0;
        loop {
            let l = self.load(decision_id)?;
            check(&l)?;
            match self.store.append(decision_id, events.clone(), Some(l.events.len() as u64)) {
                Ok(written) if !written.is_empty() => return Ok(written),
                Ok(_) => return Err(CoreError::Internal("the store wrote no event".to_owned())),
                Err(StoreError::SequenceConflict { .. }) if attempt < self.options.max_retries => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    // ------------------------------------------------------------------ reads

    /// The `status` data (`spec/core.md` §7.4).
    pub fn status(&self, request_id: &str, include_events: bool) -> Result<Map, CoreError> {
        let l = self.load(request_id)?;
        let mut m = status_projection(&l)?;
        if include_events {
            m.insert("events", events_value(&l));
        }
        Ok(m)
    }

    /// The `inspect` data (`spec/core.md` §7.5).
    pub fn inspect(&self, decision_id: &str, opts: InspectOptions) -> Result<Map, CoreError> {
        inspect(&self.load(decision_id)?, opts)
    }

    /// The lifecycle object with an optional timeline limit (≥ 1; `None`: all).
    pub fn lifecycle(&self, decision_id: &str, limit: Option<usize>) -> Result<Value, CoreError> {
        if limit == Some(0) {
            return Err(CoreError::InvalidArgument("timeline limit must be at least 1".to_owned()));
        }
        Ok(lifecycle(&self.load(decision_id)?, limit)?.0)
    }

    /// `list_requests` (`spec/core.md` §7.7): a decision that cannot be replayed is listed
    /// with state `invalid` and its error instead of failing the whole list.
    pub fn list_requests(&self, limit: usize, offset: usize) -> Result<Map, CoreError> {
        let q = ListQuery { limit, offset, label: None };
        q.validate().map_err(|e| CoreError::InvalidArgument(e.to_string()))?;
        let now = self.now_micros();
        let mut out = Vec::new();
        for h in self.store.list(&q)? {
            let created = Timestamp::parse_isoformat(&h.created_at)
                .map(|t| t.isoformat())
                .unwrap_or_else(|_| h.created_at.clone());
            let mut m = Map::new();
            m.insert("request_id", Value::str(h.decision_id.as_str()));
            m.insert("created_at", Value::String(created));
            match Loaded::load(&self.store, &h.decision_id, now).and_then(|l| Ok((l.is_approved()?, l))) {
                Ok((approved, l)) => {
                    m.insert("state", Value::str(l.decision.state().as_str()));
                    m.insert("goal", l.decision.goal().map(Value::str).unwrap_or(Value::Null));
                    m.insert("is_approved", Value::Bool(approved));
                }
                Err(e) => {
                    m.insert("state", Value::str("invalid"));
                    m.insert("goal", Value::Null);
                    m.insert("is_approved", Value::Bool(false));
                    m.insert("error", Value::String(e.to_string()));
                }
            }
            out.push(Value::Object(m));
        }
        let mut m = Map::new();
        m.insert("count", Value::int(out.len() as i64));
        m.insert("requests", Value::Array(out));
        let mut ordered = Map::new();
        for k in ["requests", "count"] {
            if let Some(v) = m.remove(k) {
                ordered.insert(k, v);
            }
        }
        ordered.insert("offset", Value::int(offset as i64));
        ordered.insert("limit", Value::int(limit as i64));
        Ok(ordered)
    }

    // ------------------------------------------------------------------ templates

    /// Create a named, immutable template (`spec/core.md` §5.2): existence first, then one
    /// clock reading, then validation, then one atomic write.
    pub fn template_create(&self, spec: &TemplateSpec, actor: &Actor) -> Result<Map, CoreError> {
        if self.store.template(&spec.name)?.is_some() {
            return Err(CoreError::TemplateExists(spec.name.clone()));
        }
        let ts = self.clock.now();
        let t = spec.build(actor, ts).map_err(CoreError::from_template_policy)?;
        let event = t.event.clone().seal(&spec.name, 0, ts)?;
        self.store.put_template(t.record.clone(), event)?;
        let mut m = Map::new();
        m.insert("template_name", Value::str(t.record.name.as_str()));
        m.insert("description", Value::str(t.record.description.as_str()));
        m.insert("digest", Value::str(t.record.digest.as_str()));
        m.insert("created_at", Value::str(t.record.created_at.as_str()));
        Ok(m)
    }

    /// `template_get` (`spec/core.md` §5.6).
    pub fn template_get(&self, name: &str, include_events: bool) -> Result<Map, CoreError> {
        let record = self.store.template(name)?.ok_or_else(|| CoreError::TemplateNotFound(name.to_owned()))?;
        let mut m = Map::new();
        m.insert("template", record.to_value());
        m.insert("digest", Value::String(template_digest(&record).to_hex()));
        m.insert("snapshot", Value::Object(template_snapshot(&record)));
        if include_events {
            let events = self.store.template_events(name)?;
            let list = events
                .iter()
                .map(|e| {
                    let mut x = Map::new();
                    x.insert("template_name", Value::str(name));
                    x.insert("seq", Value::int(i64::try_from(e.seq).unwrap_or(i64::MAX)));
                    x.insert("event_type", Value::str(e.event_type.as_str()));
                    x.insert("ts", Value::String(e.iso_ts()));
                    x.insert("actor", e.actor.to_value());
                    x.insert("payload", e.payload.clone());
                    x.insert("digest", Value::str(e.digest.as_str()));
                    Value::Object(x)
                })
                .collect();
            m.insert("events", Value::Array(list));
        }
        Ok(m)
    }

    /// `template_list` (`spec/core.md` §5.6) with an exact label filter.
    pub fn template_list(&self, limit: usize, offset: usize, label_filter: Option<&str>) -> Result<Map, CoreError> {
        let q = ListQuery { limit, offset, label: label_filter.map(str::to_owned) };
        q.validate().map_err(|e| CoreError::InvalidArgument(e.to_string()))?;
        let templates: Vec<Value> = self.store.list_templates(&q)?.iter().map(template_summary).collect();
        let mut m = Map::new();
        m.insert("count", Value::int(templates.len() as i64));
        let mut out = Map::new();
        out.insert("templates", Value::Array(templates));
        out.insert("count", m.remove("count").unwrap_or(Value::int(0)));
        out.insert("offset", Value::int(offset as i64));
        out.insert("limit", Value::int(limit as i64));
        Ok(out)
    }
}

fn template_summary(t: &TemplateRecord) -> Value {
    let full = t.to_value();
    let mut m = Map::new();
    for k in ["name", "description", "min_approvals", "allowed_modes", "labels", "created_at"] {
        m.insert(k, full.get(k).cloned().unwrap_or(Value::Null));
    }
    Value::Object(m)
}
