//! Named, immutable templates: creation and validation, the template digest and
//! snapshot, and the effective policy of a request with overrides (`spec/core.md` §5).

use attest_events::{Actor, EventPayload, Map, NewEvent, TemplateCreated, TemplateFields, Timestamp, Value};
use attest_store::TemplateRecord;
use attest_verify::Digest;

use crate::error::PolicyError;
use crate::policy::{Policy, PolicyArgs};

/// The template name pattern the tool schema publishes (enforced here at creation).
pub const TEMPLATE_NAME_PATTERN: &str = "^[a-zA-Z0-9][a-zA-Z0-9_-]*$";

/// Check a new template's name: non-empty, then [`TEMPLATE_NAME_PATTERN`].
pub fn validate_template_name(name: &str) -> Result<(), PolicyError> {
    let mut chars = name.chars();
    match chars.next() {
        None => Err(PolicyError::EmptyTemplateName),
        Some(first)
            if first.is_ascii_alphanumeric() && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            Ok(())
        }
        Some(_) => Err(PolicyError::TemplateNamePattern(name.to_owned())),
    }
}

/// What `template_create` is given (after defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSpec {
    /// Name (unique, case-sensitive).
    pub name: String,
    /// Description (`""` by default).
    pub description: String,
    /// The template's policy.
    pub policy: Policy,
}

impl TemplateSpec {
    /// A spec from `template_create`'s arguments: a missing `allowed_modes` becomes
    /// `["dry_run"]`, missing lists become `[]`, a missing `min_approvals` 1.
    pub fn new(name: impl Into<String>, description: impl Into<String>, args: &PolicyArgs) -> TemplateSpec {
        TemplateSpec {
            name: name.into(),
            description: description.into(),
            policy: Policy {
                min_approvals: args.min_approvals.unwrap_or(1),
                allowed_modes: args.allowed_modes.clone().unwrap_or_else(|| vec!["dry_run".to_owned()]),
                require_adapter_capabilities: args.require_adapter_capabilities.clone().unwrap_or_default(),
                max_steps: args.max_steps,
                labels: args.labels.clone().unwrap_or_default(),
                forbid_self_approval: false,
            },
        }
    }

    /// Validate (name, then the policy rules in order) and build the stored record and its
    /// `TEMPLATE_CREATED` event, both at `created_at`. The record's digest is the
    /// template digest.
    pub fn build(&self, actor: &Actor, created_at: Timestamp) -> Result<Template, PolicyError> {
        validate_template_name(&self.name)?;
        self.policy.validate()?;
        let mut record = TemplateRecord {
            name: self.name.clone(),
            description: self.description.clone(),
            min_approvals: self.policy.min_approvals,
            allowed_modes: self.policy.allowed_modes.clone(),
            require_adapter_capabilities: self.policy.require_adapter_capabilities.clone(),
            max_steps: self.policy.max_steps,
            labels: self.policy.labels.clone(),
            created_at: created_at.isoformat(),
            created_by: actor.clone(),
            digest: String::new(),
        };
        record.digest = template_digest(&record).to_hex();
        let payload = EventPayload::TemplateCreated(TemplateCreated {
            name: record.name.clone(),
            description: record.description.clone(),
            min_approvals: record.min_approvals,
            allowed_modes: record.allowed_modes.clone(),
            require_adapter_capabilities: record.require_adapter_capabilities.clone(),
            max_steps: record.max_steps,
            labels: record.labels.clone(),
        });
        Ok(Template { record, event: NewEvent::new(actor.clone(), &payload) })
    }
}

/// A validated template ready to store: the record and its creation event.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The record (with its digest).
    pub record: TemplateRecord,
    /// The `TEMPLATE_CREATED` event (seq 0 of the template's log).
    pub event: NewEvent,
}

/// The template digest: SHA-256 of the canonical template JSON form (`spec/core.md` §5.3),
/// recomputed from the stored fields (the stored `digest` is never trusted).
pub fn template_digest(record: &TemplateRecord) -> Digest {
    // Strings, integers and lists of strings only: the canonical writer cannot fail.
    attest_verify::canonical::digest(&record.to_value()).unwrap_or(Digest::from_bytes([0; 32]))
}

/// The template snapshot (`spec/core.md` §5.4): `{"template_name", "template_description",
/// "min_approvals", "allowed_modes", "require_adapter_capabilities", "max_steps",
/// "labels"}` with the template's own values.
pub fn template_snapshot(record: &TemplateRecord) -> Map {
    let strs = |v: &[String]| Value::Array(v.iter().map(|s| Value::str(s.as_str())).collect());
    let mut m = Map::with_capacity(7);
    m.insert("template_name", Value::str(record.name.as_str()));
    m.insert("template_description", Value::str(record.description.as_str()));
    m.insert("min_approvals", Value::int(record.min_approvals));
    m.insert("allowed_modes", strs(&record.allowed_modes));
    m.insert("require_adapter_capabilities", strs(&record.require_adapter_capabilities));
    m.insert("max_steps", record.max_steps.map(Value::int).unwrap_or(Value::Null));
    m.insert("labels", strs(&record.labels));
    m
}

/// The effective policy of a request made from `record` with the passed `args`
/// (`spec/core.md` §5.5): each passed argument replaces the template's value; the
/// returned template fields record exactly the passed ones, in the fixed order
/// `min_approvals`, `allowed_modes`, `require_adapter_capabilities`, `max_steps`,
/// `labels`.
pub fn effective_policy(record: &TemplateRecord, args: &PolicyArgs) -> (Policy, TemplateFields) {
    let strs = |v: &[String]| Value::Array(v.iter().map(|s| Value::str(s.as_str())).collect());
    let mut overrides = Map::new();
    if let Some(n) = args.min_approvals {
        overrides.insert("min_approvals", Value::int(n));
    }
    if let Some(m) = &args.allowed_modes {
        overrides.insert("allowed_modes", strs(m));
    }
    if let Some(c) = &args.require_adapter_capabilities {
        overrides.insert("require_adapter_capabilities", strs(c));
    }
    if let Some(n) = args.max_steps {
        overrides.insert("max_steps", Value::int(n));
    }
    if let Some(l) = &args.labels {
        overrides.insert("labels", strs(l));
    }
    let policy = Policy {
        min_approvals: args.min_approvals.unwrap_or(record.min_approvals),
        allowed_modes: args.allowed_modes.clone().unwrap_or_else(|| record.allowed_modes.clone()),
        require_adapter_capabilities: args
            .require_adapter_capabilities
            .clone()
            .unwrap_or_else(|| record.require_adapter_capabilities.clone()),
        max_steps: args.max_steps.or(record.max_steps),
        labels: args.labels.clone().unwrap_or_else(|| record.labels.clone()),
        forbid_self_approval: args.forbid_self_approval.unwrap_or(false),
    };
    let fields = TemplateFields {
        template_name: record.name.clone(),
        template_snapshot: template_snapshot(record),
        template_digest: template_digest(record).to_hex(),
        overrides_applied: overrides,
    };
    (policy, fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_template_name("prod-deploy_2").is_ok());
        assert_eq!(validate_template_name(""), Err(PolicyError::EmptyTemplateName));
        assert_eq!(validate_template_name("has space ü %").unwrap_err().code(), "INVALID_TEMPLATE");
        assert!(validate_template_name("-x").is_err());
    }

    #[test]
    fn digest_of_the_vector_template() {
        // decision_flows.json, case template_with_overrides
        let args = PolicyArgs {
            min_approvals: Some(2),
            allowed_modes: Some(vec!["dry_run".into(), "apply".into()]),
            require_adapter_capabilities: Some(vec!["timeout".into()]),
            max_steps: Some(20),
            labels: Some(vec!["prod".into()]),
            forbid_self_approval: None,
        };
        let spec = TemplateSpec::new("prod-deploy", "Production deployment policy", &args);
        let t = spec.build(
            &Actor::human("alice@example.com").unwrap(),
            Timestamp::parse_isoformat("2026-11-24T10:09:33.230572+00:00").unwrap(),
        );
        let t = t.unwrap();
        assert_eq!(t.record.digest, "0a97b6925cf4aced346315db57bf2257af200957bb8181e1014a87f136db6372");
        let (policy, fields) = effective_policy(
            &t.record,
            &PolicyArgs {
                min_approvals: Some(3),
                max_steps: Some(5),
                labels: Some(vec!["prod".into(), "hotfix".into()]),
                ..PolicyArgs::default()
            },
        );
        assert_eq!(policy.min_approvals, 3);
        assert_eq!(policy.allowed_modes, ["dry_run", "apply"]);
        assert_eq!(fields.overrides_applied.keys().collect::<Vec<_>>(), ["min_approvals", "max_steps", "labels"]);
    }
}
