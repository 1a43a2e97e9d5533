//! `execute`: re-check the policy, record the start atomically with the check, run the
//! router, record the outcome (`spec/core.md` §6.7, `spec/router.md` §2.2).

use std::collections::BTreeSet;

use attest_events::{Actor, EventPayload, EventType, ExecutionRequested, ExecutionStarted, Map, Mode, NewEvent, Value};
use attest_router::{response_digest, run_id_text, steps_executed, Router, RunArgs};
use attest_store::Store;
use attest_verify::replay::{py_str, State};

use crate::engine::Engine;
use crate::error::CoreError;
use crate::lifecycle::Loaded;

/// The governance-side policy of a replayed decision, as `attest-policy` checks it.
fn policy_of(l: &Loaded) -> Option<attest_policy::Policy> {
    let p = l.decision.policy()?;
    Some(attest_policy::Policy {
        min_approvals: p.min_approvals,
        allowed_modes: p.allowed_modes.clone(),
        require_adapter_capabilities: p.require_adapter_capabilities.iter().map(py_str).collect(),
        max_steps: p.max_steps.as_i64(),
        labels: p.labels.iter().map(py_str).collect(),
        forbid_self_approval: p.forbid_self_approval,
    })
}

/// What an execution produced (the success data of the tool).
#[derive(Debug, Clone, PartialEq)]
pub struct ExecuteOutcome {
    /// The tool result data: `request_id`, `run_id` (the raw response value), `mode`,
    /// `steps_executed` (raw), `request_digest`, `response_digest`.
    pub data: Map,
    /// The capability check was skipped because the router did not know the adapter's
    /// capabilities (the requirement was passed on to the router).
    pub capabilities_unknown: bool,
}

impl<S: Store> Engine<S> {
    /// Execute a decision through `router` (`spec/core.md` §6.7).
    ///
    /// The policy check and the `EXECUTION_REQUESTED`/`EXECUTION_STARTED` events are one
    /// compare-and-append: a concurrent approval, revocation or execution makes the engine
    /// re-check. A completed decision is refused with `ALREADY_EXECUTED` and one being
    /// executed with `EXECUTION_IN_PROGRESS` (unless [`crate::Compat::reexecute_completed`]);
    /// a failed one may be retried. A router error is recorded as `EXECUTION_FAILED`
    /// (`ROUTER_ERROR`) and reported as `Router execution failed: <error>`. A panic inside
    /// the router is not caught: the decision then stays `executing`, as after a crash.
    pub fn execute<R: Router + ?Sized>(
        &self,
        request_id: &str,
        adapter_id: &str,
        actor: &Actor,
        router: &R,
        dry_run: Option<bool>,
    ) -> Result<ExecuteOutcome, CoreError> {
        let compat = self.options().compat.reexecute_completed;
        let mut attempt = 0;
        let (l, mode, compiled, request_digest, unknown_caps) = loop {
            let l = self.load(request_id)?;
            let mode = match dry_run {
                Some(true) => Mode::DryRun,
                Some(false) => Mode::Apply,
                None => match l.decision.requested_mode().and_then(Value::as_str) {
                    Some("apply") => Mode::Apply,
                    _ => Mode::DryRun,
                },
            };
            let policy = policy_of(&l).ok_or(CoreError::NoPolicy)?;
            match l.decision.state() {
                State::Completed if !compat => return Err(CoreError::AlreadyExecuted),
                State::Executing if !compat => return Err(CoreError::ExecutionInProgress),
                _ => {}
            }
            let caps: Option<BTreeSet<String>> =
                router.adapter_capabilities(adapter_id).map_err(|e| CoreError::Internal(e.to_string()))?;
            let failures = policy.execution_failures(mode, l.active()?, caps.as_ref());
            if !failures.is_empty() {
                return Err(CoreError::PolicyValidation(failures.join("; ")));
            }
            let goal = l.decision.goal().unwrap_or("").to_owned();
            let plan = l.decision.plan().map(py_str);
            let compiled = attest_policy::compile_router_request(
                &policy,
                &goal,
                plan.as_deref(),
                adapter_id,
                mode == Mode::DryRun,
            );
            let request_digest =
                attest_verify::canonical::digest(&compiled).map_err(|e| CoreError::Internal(e.to_string()))?.to_hex();
            let events = vec![
                NewEvent::new(
                    actor.clone(),
                    &EventPayload::ExecutionRequested(ExecutionRequested {
                        adapter_id: adapter_id.to_owned(),
                        dry_run: mode == Mode::DryRun,
                    }),
                ),
                NewEvent::new(
                    Actor::nexus_control(),
                    &EventPayload::ExecutionStarted(ExecutionStarted { router_request_digest: request_digest.clone() }),
                ),
            ];
            match self.store().append(request_id, events, Some(l.events.len() as u64)) {
                Ok(_) => {
                    break (
                        l,
                        mode,
                        compiled,
                        request_digest,
                        caps.is_none() && !policy.require_adapter_capabilities.is_empty(),
                    )
                }
                Err(attest_store::StoreError::SequenceConflict { .. }) if attempt < self.options().max_retries => {
                    attempt += 1
                }
                Err(e) => return Err(e.into()),
            }
        };
        let goal = compiled.get("goal").and_then(Value::as_str).unwrap_or("");
        let plan = compiled.get("plan").and_then(Value::as_str);
        let max_steps = compiled.get("max_steps").and_then(Value::as_i64).and_then(|n| u64::try_from(n).ok());
        let caps: Option<Vec<String>> = compiled
            .get("require_capabilities")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect());
        let args = RunArgs {
            goal,
            adapter_id,
            dry_run: mode == Mode::DryRun,
            plan,
            max_steps,
            require_capabilities: caps.as_deref(),
        };
        let seq_after_start = l.events.len() as u64 + 2;
        let outcome = router.run(&args).map_err(|e| e.to_string()).and_then(|response| {
            let digest = response_digest(&response).map_err(|e| e.to_string())?.to_hex();
            let steps = steps_executed(&response)?;
            Ok((response, digest, steps))
        });
        match outcome {
            Ok((response, response_digest, steps)) => {
                let strict_failure = self.options().strict_router_verdict.then(|| strict_verdict(&response)).flatten();
                // A null run id is treated as an absent one (the original stores "None").
                let run_id = match response.get("run_id") {
                    None | Some(Value::Null) => "unknown".to_owned(),
                    Some(_) => run_id_text(&response),
                };
                let event = match &strict_failure {
                    Some(message) => failed_event("ROUTER_RUN_FAILED", message, Some(&run_id)),
                    None => {
                        let mut p = Map::with_capacity(3);
                        p.insert("run_id", Value::String(run_id.clone()));
                        p.insert("response_digest", Value::String(response_digest.clone()));
                        p.insert("steps_executed", Value::Number(steps.clone()));
                        NewEvent::raw(EventType::ExecutionCompleted, Actor::nexus_control(), Value::Object(p))?
                    }
                };
                self.store().append(request_id, vec![event], Some(seq_after_start))?;
                if let Some(message) = strict_failure {
                    return Err(CoreError::Router(message));
                }
                let mut m = Map::with_capacity(6);
                m.insert("request_id", Value::str(request_id));
                m.insert("run_id", response.get("run_id").cloned().unwrap_or_else(|| Value::str("unknown")));
                m.insert("mode", Value::str(mode.as_str()));
                m.insert("steps_executed", response.get("steps_executed").cloned().unwrap_or_else(|| Value::int(0)));
                m.insert("request_digest", Value::String(request_digest));
                m.insert("response_digest", Value::String(response_digest));
                Ok(ExecuteOutcome { data: m, capabilities_unknown: unknown_caps })
            }
            Err(message) => {
                self.store().append(
                    request_id,
                    vec![failed_event("ROUTER_ERROR", &message, None)],
                    Some(seq_after_start),
                )?;
                Err(CoreError::Router(message))
            }
        }
    }

    /// Recover a decision stuck in `executing` after a crash: append `EXECUTION_FAILED`
    /// with `error_code` `EXECUTION_ABANDONED`, so it can be retried. Only in state
    /// `executing`.
    pub fn abandon_execution(&self, request_id: &str, reason: &str) -> Result<Map, CoreError> {
        let event = failed_event("EXECUTION_ABANDONED", reason, None);
        self.append_checked(request_id, event, |l| {
            if l.decision.state() == State::Executing {
                Ok(())
            } else {
                Err(CoreError::InvalidState(format!(
                    "Cannot abandon execution of decision in state: {}",
                    l.decision.state()
                )))
            }
        })?;
        let l = self.load(request_id)?;
        let mut m = Map::new();
        m.insert("request_id", Value::str(request_id));
        m.insert("state", Value::str(l.decision.state().as_str()));
        Ok(m)
    }
}

/// Strict mode: a response whose `status` is present and not `completed` failed.
fn strict_verdict(response: &Map) -> Option<String> {
    let status = response.get("status")?.as_str()?;
    if status.eq_ignore_ascii_case("completed") {
        return None;
    }
    let message = response
        .get("error")
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("router run {status}"));
    Some(message)
}

fn failed_event(code: &str, message: &str, run_id: Option<&str>) -> NewEvent {
    let mut p = Map::with_capacity(3);
    p.insert("error_code", Value::str(code));
    p.insert("error_message", Value::str(message));
    p.insert("run_id", run_id.map(Value::str).unwrap_or(Value::Null));
    NewEvent { event_type: EventType::ExecutionFailed, actor: Actor::nexus_control(), payload: Value::Object(p) }
}
