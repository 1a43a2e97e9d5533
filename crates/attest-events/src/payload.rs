//! The typed payload of every event type, written in the key order the original writes
//! and read strictly (a wrong type is an error naming the key).

use attest_verify::json::{Map, Value};
use attest_verify::replay::EventType;
use serde::{Deserialize, Serialize};

use crate::error::EventError;

/// An execution mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `dry_run`: simulate.
    DryRun,
    /// `apply`: act.
    Apply,
}

impl Mode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::DryRun => "dry_run",
            Mode::Apply => "apply",
        }
    }

    /// Parse a wire name.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "dry_run" => Some(Mode::DryRun),
            "apply" => Some(Mode::Apply),
            _ => None,
        }
    }
}

/// `DECISION_CREATED`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionCreated {
    /// What the action should achieve.
    pub goal: String,
    /// An optional plan (null when none was given).
    pub plan: Option<String>,
    /// The requested mode.
    pub requested_mode: Mode,
    /// The effective labels.
    pub labels: Vec<String>,
}

/// The template part of a `POLICY_ATTACHED` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateFields {
    /// The template's name.
    pub template_name: String,
    /// The template's own policy values (`template_name`, `template_description`, ...).
    #[serde(with = "crate::serde_value::map")]
    pub template_snapshot: Map,
    /// The template digest (raw hex).
    pub template_digest: String,
    /// The overriding arguments that were passed, in the original's order.
    #[serde(with = "crate::serde_value::map")]
    pub overrides_applied: Map,
}

/// `POLICY_ATTACHED`: the effective policy, plus the template fields for a templated
/// decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyAttached {
    /// Minimum number of active approvals.
    pub min_approvals: i64,
    /// Modes `execute` may use.
    pub allowed_modes: Vec<String>,
    /// Capabilities the adapter must have.
    pub require_adapter_capabilities: Vec<String>,
    /// Step limit passed to the router.
    pub max_steps: Option<i64>,
    /// Governance labels.
    pub labels: Vec<String>,
    /// Template reference, when made from a template.
    #[serde(flatten)]
    pub template: Option<TemplateFields>,
    /// Separation of duties (Rust addition): the requester may not approve. Written only
    /// when true, so payloads without it hash exactly as the original's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forbid_self_approval: bool,
}

/// `APPROVAL_GRANTED`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalGranted {
    /// Expiry as Python isoformat (with offset), or none.
    pub expires_at: Option<String>,
    /// A non-empty comment, when given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub comment: Option<String>,
}

/// `APPROVAL_REVOKED`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRevoked {
    /// Why (`""` by default).
    pub reason: String,
}

/// `EXECUTION_REQUESTED`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRequested {
    /// The adapter chosen at execute time.
    pub adapter_id: String,
    /// Whether the mode is `dry_run`.
    pub dry_run: bool,
}

/// `EXECUTION_STARTED`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionStarted {
    /// Digest (raw hex) of the compiled router request.
    pub router_request_digest: String,
}

/// `EXECUTION_COMPLETED`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionCompleted {
    /// The router's run id, as text.
    pub run_id: String,
    /// Digest (raw hex) of the router's response.
    pub response_digest: String,
    /// Steps the router executed.
    pub steps_executed: i64,
}

/// `EXECUTION_FAILED`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionFailed {
    /// The failure code (`ROUTER_ERROR` from the tools).
    pub error_code: String,
    /// The failure text.
    pub error_message: String,
    /// The run id, when the router got as far as naming one.
    pub run_id: Option<String>,
}

/// `TEMPLATE_CREATED` (template logs only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateCreated {
    /// Template name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Minimum approvals.
    pub min_approvals: i64,
    /// Allowed modes.
    pub allowed_modes: Vec<String>,
    /// Required capabilities.
    pub require_adapter_capabilities: Vec<String>,
    /// Step limit.
    pub max_steps: Option<i64>,
    /// Labels.
    pub labels: Vec<String>,
}

/// A typed event payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventPayload {
    /// `DECISION_CREATED`
    DecisionCreated(DecisionCreated),
    /// `POLICY_ATTACHED`
    PolicyAttached(PolicyAttached),
    /// `APPROVAL_GRANTED`
    ApprovalGranted(ApprovalGranted),
    /// `APPROVAL_REVOKED`
    ApprovalRevoked(ApprovalRevoked),
    /// `EXECUTION_REQUESTED`
    ExecutionRequested(ExecutionRequested),
    /// `EXECUTION_STARTED`
    ExecutionStarted(ExecutionStarted),
    /// `EXECUTION_COMPLETED`
    ExecutionCompleted(ExecutionCompleted),
    /// `EXECUTION_FAILED`
    ExecutionFailed(ExecutionFailed),
    /// `TEMPLATE_CREATED`
    TemplateCreated(TemplateCreated),
}

fn s(v: &str) -> Value {
    Value::str(v)
}

fn strs(items: &[String]) -> Value {
    Value::Array(items.iter().map(|x| Value::str(x.as_str())).collect())
}

fn opt_int(v: Option<i64>) -> Value {
    v.map(Value::int).unwrap_or(Value::Null)
}

fn opt_str(v: &Option<String>) -> Value {
    v.as_deref().map(Value::str).unwrap_or(Value::Null)
}

struct Reader<'a> {
    t: &'static str,
    m: &'a Map,
}

impl<'a> Reader<'a> {
    fn new(t: EventType, v: &'a Value) -> Result<Reader<'a>, EventError> {
        let m = v.as_object().ok_or_else(|| EventError::InvalidPayload {
            event_type: t.as_str(),
            reason: format!("the payload must be an object, found {}", v.type_name()),
        })?;
        Ok(Reader { t: t.as_str(), m })
    }

    fn bad(&self, key: &str, want: &str, got: Option<&Value>) -> EventError {
        EventError::InvalidPayload {
            event_type: self.t,
            reason: match got {
                None => format!("missing `{key}` ({want})"),
                Some(v) => format!("`{key}` must be {want}, found {}", v.type_name()),
            },
        }
    }

    fn string(&self, key: &str) -> Result<String, EventError> {
        match self.m.get(key) {
            Some(Value::String(x)) => Ok(x.clone()),
            other => Err(self.bad(key, "a string", other)),
        }
    }

    fn opt_string(&self, key: &str, required: bool) -> Result<Option<String>, EventError> {
        match self.m.get(key) {
            Some(Value::String(x)) => Ok(Some(x.clone())),
            Some(Value::Null) => Ok(None),
            None if !required => Ok(None),
            other => Err(self.bad(key, "a string or null", other)),
        }
    }

    fn int(&self, key: &str) -> Result<i64, EventError> {
        match self.m.get(key) {
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or_default()),
            other => Err(self.bad(key, "an integer", other)),
        }
    }

    fn opt_int(&self, key: &str) -> Result<Option<i64>, EventError> {
        match self.m.get(key) {
            Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            other => Err(self.bad(key, "an integer or null", other)),
        }
    }

    fn bool(&self, key: &str) -> Result<bool, EventError> {
        match self.m.get(key) {
            Some(Value::Bool(b)) => Ok(*b),
            other => Err(self.bad(key, "a boolean", other)),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, EventError> {
        match self.m.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|x| x.as_str().map(str::to_owned).ok_or_else(|| self.bad(key, "a list of strings", Some(x))))
                .collect(),
            other => Err(self.bad(key, "a list of strings", other)),
        }
    }

    fn object(&self, key: &str) -> Result<Map, EventError> {
        match self.m.get(key) {
            Some(Value::Object(o)) => Ok(o.clone()),
            other => Err(self.bad(key, "an object", other)),
        }
    }

    fn mode(&self, key: &str) -> Result<Mode, EventError> {
        let v = self.m.get(key);
        v.and_then(Value::as_str).and_then(Mode::parse).ok_or_else(|| self.bad(key, "`dry_run` or `apply`", v))
    }
}

impl EventPayload {
    /// The event type of this payload.
    pub fn event_type(&self) -> EventType {
        match self {
            EventPayload::DecisionCreated(_) => EventType::DecisionCreated,
            EventPayload::PolicyAttached(_) => EventType::PolicyAttached,
            EventPayload::ApprovalGranted(_) => EventType::ApprovalGranted,
            EventPayload::ApprovalRevoked(_) => EventType::ApprovalRevoked,
            EventPayload::ExecutionRequested(_) => EventType::ExecutionRequested,
            EventPayload::ExecutionStarted(_) => EventType::ExecutionStarted,
            EventPayload::ExecutionCompleted(_) => EventType::ExecutionCompleted,
            EventPayload::ExecutionFailed(_) => EventType::ExecutionFailed,
            EventPayload::TemplateCreated(_) => EventType::TemplateCreated,
        }
    }

    /// The payload as JSON, keys in the order the original writes them (§2.4).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        match self {
            EventPayload::DecisionCreated(p) => {
                m.insert("goal", s(&p.goal));
                m.insert("plan", opt_str(&p.plan));
                m.insert("requested_mode", s(p.requested_mode.as_str()));
                m.insert("labels", strs(&p.labels));
            }
            EventPayload::PolicyAttached(p) => {
                m.insert("min_approvals", Value::int(p.min_approvals));
                m.insert("allowed_modes", strs(&p.allowed_modes));
                m.insert("require_adapter_capabilities", strs(&p.require_adapter_capabilities));
                m.insert("max_steps", opt_int(p.max_steps));
                m.insert("labels", strs(&p.labels));
                if let Some(t) = &p.template {
                    m.insert("template_name", s(&t.template_name));
                    m.insert("template_snapshot", Value::Object(t.template_snapshot.clone()));
                    m.insert("template_digest", s(&t.template_digest));
                    m.insert("overrides_applied", Value::Object(t.overrides_applied.clone()));
                }
                if p.forbid_self_approval {
                    m.insert("forbid_self_approval", Value::Bool(true));
                }
            }
            EventPayload::ApprovalGranted(p) => {
                m.insert("expires_at", opt_str(&p.expires_at));
                if let Some(c) = p.comment.as_deref().filter(|c| !c.is_empty()) {
                    m.insert("comment", s(c));
                }
            }
            EventPayload::ApprovalRevoked(p) => {
                m.insert("reason", s(&p.reason));
            }
            EventPayload::ExecutionRequested(p) => {
                m.insert("adapter_id", s(&p.adapter_id));
                m.insert("dry_run", Value::Bool(p.dry_run));
            }
            EventPayload::ExecutionStarted(p) => {
                m.insert("router_request_digest", s(&p.router_request_digest));
            }
            EventPayload::ExecutionCompleted(p) => {
                m.insert("run_id", s(&p.run_id));
                m.insert("response_digest", s(&p.response_digest));
                m.insert("steps_executed", Value::int(p.steps_executed));
            }
            EventPayload::ExecutionFailed(p) => {
                m.insert("error_code", s(&p.error_code));
                m.insert("error_message", s(&p.error_message));
                m.insert("run_id", opt_str(&p.run_id));
            }
            EventPayload::TemplateCreated(p) => {
                m.insert("name", s(&p.name));
                m.insert("description", s(&p.description));
                m.insert("min_approvals", Value::int(p.min_approvals));
                m.insert("allowed_modes", strs(&p.allowed_modes));
                m.insert("require_adapter_capabilities", strs(&p.require_adapter_capabilities));
                m.insert("max_steps", opt_int(p.max_steps));
                m.insert("labels", strs(&p.labels));
            }
        }
        Value::Object(m)
    }

    /// Read a payload of type `t` strictly: every key the tools write must be present with
    /// its type (integers as integers, not floats). Values written by the original's tools
    /// always read; imported oddities (a float `min_approvals`, a missing key) do not, and
    /// stay available as raw JSON on the event.
    pub fn from_value(t: EventType, v: &Value) -> Result<EventPayload, EventError> {
        let r = Reader::new(t, v)?;
        Ok(match t {
            EventType::DecisionCreated => EventPayload::DecisionCreated(DecisionCreated {
                goal: r.string("goal")?,
                plan: r.opt_string("plan", true)?,
                requested_mode: r.mode("requested_mode")?,
                labels: r.strings("labels")?,
            }),
            EventType::PolicyAttached => {
                let template = match r.m.get("template_name") {
                    None => None,
                    Some(_) => Some(TemplateFields {
                        template_name: r.string("template_name")?,
                        template_snapshot: r.object("template_snapshot")?,
                        template_digest: r.string("template_digest")?,
                        overrides_applied: r.object("overrides_applied")?,
                    }),
                };
                EventPayload::PolicyAttached(PolicyAttached {
                    min_approvals: r.int("min_approvals")?,
                    allowed_modes: r.strings("allowed_modes")?,
                    require_adapter_capabilities: r.strings("require_adapter_capabilities")?,
                    max_steps: r.opt_int("max_steps")?,
                    labels: r.strings("labels")?,
                    template,
                    forbid_self_approval: match r.m.get("forbid_self_approval") {
                        None => false,
                        Some(Value::Bool(b)) => *b,
                        other => return Err(r.bad("forbid_self_approval", "a boolean", other)),
                    },
                })
            }
            EventType::ApprovalGranted => EventPayload::ApprovalGranted(ApprovalGranted {
                expires_at: r.opt_string("expires_at", true)?,
                comment: r.opt_string("comment", false)?,
            }),
            EventType::ApprovalRevoked => {
                EventPayload::ApprovalRevoked(ApprovalRevoked { reason: r.string("reason")? })
            }
            EventType::ExecutionRequested => EventPayload::ExecutionRequested(ExecutionRequested {
                adapter_id: r.string("adapter_id")?,
                dry_run: r.bool("dry_run")?,
            }),
            EventType::ExecutionStarted => EventPayload::ExecutionStarted(ExecutionStarted {
                router_request_digest: r.string("router_request_digest")?,
            }),
            EventType::ExecutionCompleted => EventPayload::ExecutionCompleted(ExecutionCompleted {
                run_id: r.string("run_id")?,
                response_digest: r.string("response_digest")?,
                steps_executed: r.int("steps_executed")?,
            }),
            EventType::ExecutionFailed => EventPayload::ExecutionFailed(ExecutionFailed {
                error_code: r.string("error_code")?,
                error_message: r.string("error_message")?,
                run_id: r.opt_string("run_id", true)?,
            }),
            EventType::TemplateCreated => EventPayload::TemplateCreated(TemplateCreated {
                name: r.string("name")?,
                description: r.string("description")?,
                min_approvals: r.int("min_approvals")?,
                allowed_modes: r.strings("allowed_modes")?,
                require_adapter_capabilities: r.strings("require_adapter_capabilities")?,
                max_steps: r.opt_int("max_steps")?,
                labels: r.strings("labels")?,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attest_verify::json::parse;

    #[test]
    fn round_trip_keeps_key_order_and_types() {
        let text = r#"{"min_approvals":3,"allowed_modes":["dry_run","apply"],"require_adapter_capabilities":["timeout"],"max_steps":5,"labels":["prod","hotfix"],"template_name":"prod-deploy","template_snapshot":{"template_name":"prod-deploy","min_approvals":2},"template_digest":"0a97","overrides_applied":{"min_approvals":3,"max_steps":5,"labels":["prod","hotfix"]}}"#;
        let v = parse(text).unwrap();
        let p = EventPayload::from_value(EventType::PolicyAttached, &v).unwrap();
        assert_eq!(p.to_value(), v);
        let v = parse(r#"{"expires_at":null}"#).unwrap();
        let p = EventPayload::from_value(EventType::ApprovalGranted, &v).unwrap();
        assert_eq!(p.to_value(), v);
    }

    #[test]
    fn strict_reading_names_the_key() {
        let v = parse(r#"{"min_approvals":3.0,"allowed_modes":["dry_run"],"require_adapter_capabilities":[],"max_steps":null,"labels":[]}"#).unwrap();
        let e = EventPayload::from_value(EventType::PolicyAttached, &v).unwrap_err();
        assert_eq!(e.code(), "INVALID_PAYLOAD");
        assert!(e.to_string().contains("min_approvals"), "{e}");
        let e = EventPayload::from_value(EventType::DecisionCreated, &parse("[]").unwrap()).unwrap_err();
        assert!(e.to_string().contains("object"));
    }

    #[test]
    fn serde_shape() {
        let p = EventPayload::ApprovalRevoked(ApprovalRevoked { reason: "x".into() });
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(j, r#"{"event_type":"APPROVAL_REVOKED","payload":{"reason":"x"}}"#);
        let back: EventPayload = serde_json::from_str(&j).unwrap();
        assert_eq!(back, p);
    }
}
