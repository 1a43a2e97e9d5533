//! The policy: fields, defaults, validation, the execution check and compilation to the
//! router request (`spec/core.md` §4).

use std::collections::BTreeSet;

use attest_events::{Map, Mode, PolicyAttached, Value};
use attest_verify::pyrepr::{repr_list, repr_set, repr_tuple};

use crate::error::PolicyError;

/// A policy: what a decision needs before it may execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Minimum number of active approvals by distinct actors (≥ 1).
    pub min_approvals: i64,
    /// Modes `execute` may use (duplicates allowed, order kept).
    pub allowed_modes: Vec<String>,
    /// Capabilities the adapter must have.
    pub require_adapter_capabilities: Vec<String>,
    /// Step limit passed to the router (`None`: unlimited).
    pub max_steps: Option<i64>,
    /// Governance labels; never sent to the router.
    pub labels: Vec<String>,
    /// Separation of duties (a Rust addition): the requester may not approve. Written to
    /// the policy JSON only when set, so existing digests do not change.
    pub forbid_self_approval: bool,
}

impl Default for Policy {
    /// The policy model's defaults: 1 approval, `["dry_run"]`, no capabilities, no limit.
    fn default() -> Policy {
        Policy {
            min_approvals: 1,
            allowed_modes: vec!["dry_run".to_owned()],
            require_adapter_capabilities: Vec::new(),
            max_steps: None,
            labels: Vec::new(),
            forbid_self_approval: false,
        }
    }
}

/// The policy arguments of `request` and `template_create`; `None` means "not passed".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyArgs {
    /// `min_approvals`.
    pub min_approvals: Option<i64>,
    /// `allowed_modes`.
    pub allowed_modes: Option<Vec<String>>,
    /// `require_adapter_capabilities`.
    pub require_adapter_capabilities: Option<Vec<String>>,
    /// `max_steps`.
    pub max_steps: Option<i64>,
    /// `labels`.
    pub labels: Option<Vec<String>>,
    /// `forbid_self_approval` (Rust addition).
    pub forbid_self_approval: Option<bool>,
}

impl Policy {
    /// Validate in the original's order; the first failure is reported.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.min_approvals < 1 {
            return Err(PolicyError::MinApprovals);
        }
        if self.allowed_modes.is_empty() {
            return Err(PolicyError::NoModes);
        }
        if let Some(bad) = self.allowed_modes.iter().find(|m| Mode::parse(m).is_none()) {
            return Err(PolicyError::InvalidMode(bad.clone()));
        }
        if self.max_steps.is_some_and(|m| m < 1) {
            return Err(PolicyError::MaxSteps);
        }
        Ok(())
    }

    /// Whether `mode` is allowed.
    pub fn allows(&self, mode: Mode) -> bool {
        self.allowed_modes.iter().any(|m| m == mode.as_str())
    }

    /// The policy JSON form: `{"min_approvals", "allowed_modes",
    /// "require_adapter_capabilities", "max_steps", "labels"}` (+ `forbid_self_approval`
    /// only when set).
    pub fn to_value(&self) -> Value {
        let strs = |v: &[String]| Value::Array(v.iter().map(|s| Value::str(s.as_str())).collect());
        let mut m = Map::with_capacity(6);
        m.insert("min_approvals", Value::int(self.min_approvals));
        m.insert("allowed_modes", strs(&self.allowed_modes));
        m.insert("require_adapter_capabilities", strs(&self.require_adapter_capabilities));
        m.insert("max_steps", self.max_steps.map(Value::int).unwrap_or(Value::Null));
        m.insert("labels", strs(&self.labels));
        if self.forbid_self_approval {
            m.insert("forbid_self_approval", Value::Bool(true));
        }
        Value::Object(m)
    }

    /// The `POLICY_ATTACHED` payload of this policy (no template fields).
    pub fn to_payload(&self) -> PolicyAttached {
        PolicyAttached {
            min_approvals: self.min_approvals,
            allowed_modes: self.allowed_modes.clone(),
            require_adapter_capabilities: self.require_adapter_capabilities.clone(),
            max_steps: self.max_steps,
            labels: self.labels.clone(),
            template: None,
            forbid_self_approval: self.forbid_self_approval,
        }
    }

    /// The effective policy of a request made without a template (`spec/core.md` §6.2):
    /// `allowed_modes` defaults to `["dry_run"]` for a dry-run request and to
    /// `["dry_run", "apply"]` otherwise.
    pub fn for_request(mode: Mode, args: &PolicyArgs) -> Policy {
        let default_modes = match mode {
            Mode::DryRun => vec!["dry_run".to_owned()],
            Mode::Apply => vec!["dry_run".to_owned(), "apply".to_owned()],
        };
        Policy {
            min_approvals: args.min_approvals.unwrap_or(1),
            allowed_modes: args.allowed_modes.clone().unwrap_or(default_modes),
            require_adapter_capabilities: args.require_adapter_capabilities.clone().unwrap_or_default(),
            max_steps: args.max_steps,
            labels: args.labels.clone().unwrap_or_default(),
            forbid_self_approval: args.forbid_self_approval.unwrap_or(false),
        }
    }

    /// The request's mode check: `mode` must be an element of `allowed_modes`.
    pub fn check_requested_mode(&self, mode: &str) -> Result<(), PolicyError> {
        if self.allowed_modes.iter().any(|m| m == mode) {
            Ok(())
        } else {
            Err(PolicyError::ModeNotAllowed { mode: mode.to_owned(), allowed: repr_list(&self.allowed_modes) })
        }
    }

    /// The execution check (`spec/core.md` §4.3): every failure, in order, as the
    /// original words it. Missing capabilities are listed in policy order without
    /// duplicates. `capabilities = None` means the adapter's capabilities are unknown, in
    /// which case the requirement is not checked here (the router enforces it).
    pub fn execution_failures(
        &self,
        mode: Mode,
        active_approvals: usize,
        capabilities: Option<&BTreeSet<String>>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        if !self.allows(mode) {
            out.push(format!(
                "Mode '{}' not allowed by policy (allowed: {})",
                mode.as_str(),
                repr_tuple(&self.allowed_modes)
            ));
        }
        let active = i64::try_from(active_approvals).unwrap_or(i64::MAX);
        if active < self.min_approvals {
            out.push(format!("Insufficient approvals: {active} < {} required", self.min_approvals));
        }
        if let Some(caps) = capabilities {
            let mut missing: Vec<&str> = Vec::new();
            for c in &self.require_adapter_capabilities {
                if !caps.contains(c) && !missing.contains(&c.as_str()) {
                    missing.push(c);
                }
            }
            if !missing.is_empty() {
                out.push(format!("Adapter missing required capabilities: {}", repr_set(&missing)));
            }
        }
        out
    }
}

/// The compiled router request (`spec/core.md` §4.4): `goal`, `adapter_id`, `dry_run`,
/// then `plan` when not null, `max_steps` when not null and `require_capabilities` when
/// the policy requires some. Its attest-canonical digest is the router request digest.
pub fn compile_router_request(
    policy: &Policy,
    goal: &str,
    plan: Option<&str>,
    adapter_id: &str,
    dry_run: bool,
) -> Value {
    let mut m = Map::with_capacity(6);
    m.insert("goal", Value::str(goal));
    m.insert("adapter_id", Value::str(adapter_id));
    m.insert("dry_run", Value::Bool(dry_run));
    if let Some(p) = plan {
        m.insert("plan", Value::str(p));
    }
    if let Some(n) = policy.max_steps {
        m.insert("max_steps", Value::int(n));
    }
    if !policy.require_adapter_capabilities.is_empty() {
        m.insert(
            "require_capabilities",
            Value::Array(policy.require_adapter_capabilities.iter().map(|c| Value::str(c.as_str())).collect()),
        );
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(min: i64, modes: &[&str], max_steps: Option<i64>) -> Policy {
        Policy {
            min_approvals: min,
            allowed_modes: modes.iter().map(|s| (*s).to_owned()).collect(),
            max_steps,
            ..Policy::default()
        }
    }

    #[test]
    fn validation_order_and_messages() {
        assert_eq!(p(0, &[], Some(0)).validate().unwrap_err().to_string(), "min_approvals must be at least 1");
        assert_eq!(p(1, &[], Some(0)).validate().unwrap_err().to_string(), "allowed_modes cannot be empty");
        assert_eq!(p(1, &["dry_run", "wat", "x"], Some(0)).validate().unwrap_err().to_string(), "Invalid mode: wat");
        assert_eq!(
            p(1, &["apply"], Some(0)).validate().unwrap_err().to_string(),
            "max_steps must be at least 1 if specified"
        );
        assert!(p(1, &["apply", "apply"], None).validate().is_ok());
        assert_eq!(p(1, &[], None).validate().unwrap_err().code(), "INVALID_POLICY");
    }

    #[test]
    fn execution_messages_match_the_vectors() {
        let pol = p(1, &["dry_run"], None);
        assert_eq!(
            pol.execution_failures(Mode::Apply, 1, None),
            ["Mode 'apply' not allowed by policy (allowed: ('dry_run',))"]
        );
        assert_eq!(pol.execution_failures(Mode::DryRun, 0, None), ["Insufficient approvals: 0 < 1 required"]);
        let mut pol = p(2, &["dry_run", "apply"], Some(7));
        pol.require_adapter_capabilities = vec!["timeout".into(), "external".into(), "external".into(), "z".into()];
        let caps: BTreeSet<String> = ["timeout".to_owned()].into();
        assert_eq!(
            pol.execution_failures(Mode::Apply, 2, Some(&caps)),
            ["Adapter missing required capabilities: {'external', 'z'}"]
        );
        assert!(pol.execution_failures(Mode::Apply, 2, None).is_empty());
        assert_eq!(
            pol.check_requested_mode("bogus").unwrap_err().to_string(),
            "Requested mode 'bogus' not in allowed_modes: ['dry_run', 'apply']"
        );
    }

    #[test]
    fn compile_matches_the_spec_example() {
        let mut pol = p(2, &["dry_run", "apply"], Some(7));
        pol.require_adapter_capabilities = vec!["timeout".into(), "external".into()];
        let req = compile_router_request(
            &pol,
            "Run the nightly reconciliation job",
            Some("step 1: snapshot ledger\nstep 2: reconcile\nstep 3: publish report"),
            "subprocess:mcpt:key-rotation",
            false,
        );
        assert_eq!(
            attest_verify::canonical::digest(&req).unwrap().to_hex(),
            "ed1aba7b71c5c26e119382cd9b542370b624d72f6acb12b2d224c28875c8ef62"
        );
    }

    #[test]
    fn self_approval_flag_is_absent_unless_set() {
        let mut pol = Policy::default();
        assert!(pol.to_value().get("forbid_self_approval").is_none());
        pol.forbid_self_approval = true;
        assert_eq!(pol.to_value().get("forbid_self_approval"), Some(&Value::Bool(true)));
    }
}
