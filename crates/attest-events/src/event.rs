//! The event envelope, the event id and the event digest.

use attest_verify::json::{Map, Value};
use attest_verify::replay::{EventType, ReplayEvent};
use attest_verify::{derive, Digest, Timestamp};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::error::EventError;
use crate::payload::EventPayload;

/// `evt_<decision_id>_<seq>`: derived, never stored.
pub fn event_id(decision_id: &str, seq: u64) -> String {
    format!("evt_{decision_id}_{seq}")
}

/// The event digest: raw hex SHA-256 of canonical `{"event_type", "payload"}`, made by
/// `attest-verify`'s one canonical writer. Fails only for a payload with NaN/infinity.
pub fn event_digest(event_type: &str, payload: &Value) -> Result<Digest, EventError> {
    derive::event_digest(&Value::str(event_type), payload).map_err(|e| EventError::NotCanonical(e.to_string()))
}

/// An event to append: type, actor and payload. The store assigns `seq` and `ts` and
/// computes the digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// The event type.
    #[serde(with = "event_type_serde")]
    pub event_type: EventType,
    /// Who caused it.
    pub actor: Actor,
    /// The payload, kept whole (key order, integer/float distinction).
    #[serde(with = "crate::serde_value")]
    pub payload: Value,
}

impl NewEvent {
    /// An event from a typed payload.
    pub fn new(actor: Actor, payload: &EventPayload) -> NewEvent {
        NewEvent { event_type: payload.event_type(), actor, payload: payload.to_value() }
    }

    /// An event from a raw payload value; the payload must be an object with a canonical
    /// form.
    pub fn raw(event_type: EventType, actor: Actor, payload: Value) -> Result<NewEvent, EventError> {
        if payload.as_object().is_none() {
            return Err(EventError::InvalidPayload {
                event_type: event_type.as_str(),
                reason: format!("the payload must be an object, found {}", payload.type_name()),
            });
        }
        event_digest(event_type.as_str(), &payload)?;
        Ok(NewEvent { event_type, actor, payload })
    }

    /// Seal the event at `seq` and `ts` for `decision_id`: computes its digest.
    pub fn seal(self, decision_id: &str, seq: u64, ts: Timestamp) -> Result<Event, EventError> {
        let digest = event_digest(self.event_type.as_str(), &self.payload)?.to_hex();
        Ok(Event {
            decision_id: decision_id.to_owned(),
            seq,
            event_type: self.event_type.as_str().to_owned(),
            ts: ts.isoformat(),
            actor: self.actor,
            payload: self.payload,
            digest,
        })
    }
}

/// A stored event: the envelope of `spec/core.md` §2.2.
///
/// `event_type` and `ts` are kept as the stored text (imports may bring an unknown type,
/// which replay refuses, or a timestamp in another spelling, which every output
/// re-renders); [`Event::kind`] and [`Event::timestamp`] give the typed values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The owning decision.
    pub decision_id: String,
    /// Position in the decision's log (0, 1, 2, ... without gaps).
    pub seq: u64,
    /// The event type name as stored.
    pub event_type: String,
    /// The timestamp text as stored.
    pub ts: String,
    /// Who caused it.
    pub actor: Actor,
    /// The payload, exactly as written.
    #[serde(with = "crate::serde_value")]
    pub payload: Value,
    /// The event digest (raw hex) as stored; never recomputed on read.
    pub digest: String,
}

impl Event {
    /// `evt_<decision_id>_<seq>`.
    pub fn event_id(&self) -> String {
        event_id(&self.decision_id, self.seq)
    }

    /// The typed event type; the error text is the original's
    /// (`'APPROVAL_ESCALATED' is not a valid EventType`).
    pub fn kind(&self) -> Result<EventType, EventError> {
        EventType::parse(&self.event_type).map_err(|e| EventError::UnknownEventType(e.message().to_owned()))
    }

    /// The parsed timestamp (`Invalid isoformat string: ...` when it does not parse).
    pub fn timestamp(&self) -> Result<Timestamp, EventError> {
        Timestamp::parse_isoformat(&self.ts).map_err(|e| EventError::InvalidTimestamp(e.message().to_owned()))
    }

    /// The typed payload (strict).
    pub fn typed_payload(&self) -> Result<EventPayload, EventError> {
        EventPayload::from_value(self.kind()?, &self.payload)
    }

    /// Recompute the digest from the stored type and payload (the stored `digest` is what
    /// bundles carry; this is the integrity check the original never runs).
    pub fn recompute_digest(&self) -> Result<Digest, EventError> {
        event_digest(&self.event_type, &self.payload)
    }

    /// Whether the stored digest equals the recomputed one.
    pub fn digest_matches(&self) -> bool {
        self.recompute_digest().is_ok_and(|d| d.to_hex() == self.digest)
    }

    /// The event as replay consumes it (fails on an unparseable timestamp).
    pub fn as_replay(&self) -> Result<ReplayEvent<'_>, EventError> {
        Ok(ReplayEvent {
            event_type: &self.event_type,
            payload: &self.payload,
            ts: self.timestamp()?,
            actor_type: &self.actor.kind,
            actor_id: &self.actor.id,
        })
    }

    /// The tool shape: `{"event_id", "decision_id", "seq", "event_type", "ts", "actor",
    /// "payload", "digest"}` with `ts` re-rendered as isoformat when it parses.
    pub fn to_tool_value(&self) -> Value {
        let mut m = Map::with_capacity(8);
        m.insert("event_id", Value::String(self.event_id()));
        m.insert("decision_id", Value::str(self.decision_id.as_str()));
        m.insert("seq", Value::int(i64::try_from(self.seq).unwrap_or(i64::MAX)));
        m.insert("event_type", Value::str(self.event_type.as_str()));
        m.insert("ts", Value::String(self.iso_ts()));
        m.insert("actor", self.actor.to_value());
        m.insert("payload", self.payload.clone());
        m.insert("digest", Value::str(self.digest.as_str()));
        Value::Object(m)
    }

    /// The bundle shape: `{"event_id", "decision_id", "seq", "type", "payload", "ts",
    /// "actor", "digest"}`.
    pub fn to_bundle_value(&self) -> Value {
        let mut m = Map::with_capacity(8);
        m.insert("event_id", Value::String(self.event_id()));
        m.insert("decision_id", Value::str(self.decision_id.as_str()));
        m.insert("seq", Value::int(i64::try_from(self.seq).unwrap_or(i64::MAX)));
        m.insert("type", Value::str(self.event_type.as_str()));
        m.insert("payload", self.payload.clone());
        m.insert("ts", Value::String(self.iso_ts()));
        m.insert("actor", self.actor.to_value());
        m.insert("digest", Value::str(self.digest.as_str()));
        Value::Object(m)
    }

    /// The timestamp as Python isoformat (the stored text when it does not parse).
    pub fn iso_ts(&self) -> String {
        self.timestamp().map(|t| t.isoformat()).unwrap_or_else(|_| self.ts.clone())
    }
}

mod event_type_serde {
    use attest_verify::replay::EventType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &EventType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<EventType, D::Error> {
        let s = String::deserialize(d)?;
        EventType::parse(&s).map_err(|e| serde::de::Error::custom(e.message()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{ApprovalGranted, EventPayload};

    #[test]
    fn seal_and_shapes() {
        let ts = Timestamp::parse_isoformat("2026-11-24T10:09:33.230849+00:00").unwrap();
        let p = EventPayload::ApprovalGranted(ApprovalGranted {
            expires_at: None,
            comment: Some("Reviewed plan, looks safe".into()),
        });
        let e = NewEvent::new(Actor::human("bob@example.com").unwrap(), &p).seal("d1", 2, ts).unwrap();
        // the vector's digest for this payload (audit_packages.json, reference_mode_default)
        assert_eq!(e.digest, "fc2f5ba22231eeab6d6b0863257478ce1ff28ecaf08c505ca78222f0668128e9");
        assert!(e.digest_matches());
        assert_eq!(e.event_id(), "evt_d1_2");
        assert_eq!(e.typed_payload().unwrap(), p);
        let keys: Vec<String> = e.to_bundle_value().as_object().unwrap().keys().map(str::to_owned).collect();
        assert_eq!(keys, ["event_id", "decision_id", "seq", "type", "payload", "ts", "actor", "digest"]);
        let j = serde_json::to_string(&e).unwrap();
        let back: Event = serde_json::from_str(&j).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn unknown_type_and_bad_payload() {
        let e = Event {
            decision_id: "d".into(),
            seq: 0,
            event_type: "APPROVAL_ESCALATED".into(),
            ts: "x".into(),
            actor: Actor::from_stored("unknown", "unknown"),
            payload: Value::Object(Map::new()),
            digest: String::new(),
        };
        assert_eq!(e.kind().unwrap_err().to_string(), "'APPROVAL_ESCALATED' is not a valid EventType");
        assert_eq!(e.timestamp().unwrap_err().to_string(), "Invalid isoformat string: 'x'");
        assert!(NewEvent::raw(EventType::ApprovalRevoked, Actor::human("a").unwrap(), Value::Null).is_err());
        let nan = Value::Array(vec![Value::Number(attest_verify::json::Number::from_f64(f64::NAN))]);
        let mut m = Map::new();
        m.insert("x", nan);
        let err = NewEvent::raw(EventType::ApprovalRevoked, Actor::human("a").unwrap(), Value::Object(m)).unwrap_err();
        assert_eq!(err.code(), "PAYLOAD_NOT_CANONICAL");
    }
}
