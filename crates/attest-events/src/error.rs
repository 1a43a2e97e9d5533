//! The error type of the event model, with stable codes.

/// Why an actor, payload or event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// An actor type other than `human` or `system` on a write path.
    #[error("actor type must be `human` or `system`, got `{0}`")]
    InvalidActorType(String),
    /// An actor without an id.
    #[error("actor id must not be empty")]
    EmptyActorId,
    /// An event type name that is not one of the nine.
    #[error("{0}")]
    UnknownEventType(String),
    /// A payload that does not have the shape its event type requires.
    #[error("invalid `{event_type}` payload: {reason}")]
    InvalidPayload {
        /// The event type.
        event_type: &'static str,
        /// What is wrong, naming the key.
        reason: String,
    },
    /// A payload that has no canonical JSON form (NaN or an infinity).
    #[error("payload cannot be canonicalized: {0}")]
    NotCanonical(String),
    /// A timestamp that does not parse, or has no offset where one is required.
    #[error("{0}")]
    InvalidTimestamp(String),
}

impl EventError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            EventError::InvalidActorType(_) => "INVALID_ACTOR_TYPE",
            EventError::EmptyActorId => "EMPTY_ACTOR_ID",
            EventError::UnknownEventType(_) => "UNKNOWN_EVENT_TYPE",
            EventError::InvalidPayload { .. } => "INVALID_PAYLOAD",
            EventError::NotCanonical(_) => "PAYLOAD_NOT_CANONICAL",
            EventError::InvalidTimestamp(_) => "INVALID_TIMESTAMP",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let all = [
            EventError::InvalidActorType(String::new()),
            EventError::EmptyActorId,
            EventError::UnknownEventType(String::new()),
            EventError::InvalidPayload { event_type: "X", reason: String::new() },
            EventError::NotCanonical(String::new()),
            EventError::InvalidTimestamp(String::new()),
        ];
        let mut codes: Vec<_> = all.iter().map(EventError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
