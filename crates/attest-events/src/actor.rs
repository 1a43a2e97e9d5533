//! Who caused an event: a typed `{type, id}` pair.

use std::fmt;

use attest_verify::json::{Map, Value};
use serde::{Deserialize, Serialize};

use crate::error::EventError;

/// The two actor types the tools write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorType {
    /// A person.
    Human,
    /// A program (scheduler, agent, the system itself).
    System,
}

impl ActorType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::Human => "human",
            ActorType::System => "system",
        }
    }
}

/// An actor: `{"type": <string>, "id": <string>}`.
///
/// Write paths accept only [`Actor::new`]-validated actors (type `human` or `system`,
/// non-empty id). The read path ([`Actor::from_stored`]) accepts any type string, because
/// imported logs may carry others (`"unknown"` for a missing actor).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Actor {
    /// The actor type (`human`, `system`, or anything read from an imported log).
    #[serde(rename = "type")]
    pub kind: String,
    /// The actor's identity; approvals are keyed by it alone.
    pub id: String,
}

/// The system actor that writes execution events: `{"type": "system", "id": "nexus-control"}`.
pub const SYSTEM_ACTOR: &str = attest_verify::replay::SYSTEM_ACTOR_ID;

impl Actor {
    /// A validated actor for write paths.
    pub fn new(kind: ActorType, id: impl Into<String>) -> Result<Actor, EventError> {
        let id = id.into();
        if id.is_empty() {
            return Err(EventError::EmptyActorId);
        }
        Ok(Actor { kind: kind.as_str().to_owned(), id })
    }

    /// Validate a caller-supplied `(type, id)` pair for a write path.
    pub fn parse(kind: &str, id: &str) -> Result<Actor, EventError> {
        let t = match kind {
            "human" => ActorType::Human,
            "system" => ActorType::System,
            other => return Err(EventError::InvalidActorType(other.to_owned())),
        };
        Actor::new(t, id)
    }

    /// A human actor; an empty id is refused.
    pub fn human(id: impl Into<String>) -> Result<Actor, EventError> {
        Actor::new(ActorType::Human, id)
    }

    /// A system actor; an empty id is refused.
    pub fn system(id: impl Into<String>) -> Result<Actor, EventError> {
        Actor::new(ActorType::System, id)
    }

    /// The execution system actor `system:nexus-control`.
    pub fn nexus_control() -> Actor {
        Actor { kind: "system".to_owned(), id: SYSTEM_ACTOR.to_owned() }
    }

    /// An actor as stored (any type string; read path only).
    pub fn from_stored(kind: impl Into<String>, id: impl Into<String>) -> Actor {
        Actor { kind: kind.into(), id: id.into() }
    }

    /// The typed actor type, when it is one of the two.
    pub fn actor_type(&self) -> Option<ActorType> {
        match self.kind.as_str() {
            "human" => Some(ActorType::Human),
            "system" => Some(ActorType::System),
            _ => None,
        }
    }

    /// `{"type", "id"}`.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(2);
        m.insert("type", Value::str(self.kind.as_str()));
        m.insert("id", Value::str(self.id.as_str()));
        Value::Object(m)
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(Actor::parse("robot", "x").is_err());
        assert_eq!(Actor::parse("human", ""), Err(EventError::EmptyActorId));
        let a = Actor::parse("human", "alice").unwrap();
        assert_eq!(attest_verify::canonical::to_string(&a.to_value()).unwrap(), r#"{"id":"alice","type":"human"}"#);
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"type":"human","id":"alice"}"#);
        assert_eq!(Actor::nexus_control().to_string(), "system:nexus-control");
    }
}
