//! The engine's error type: one variant per failure the tools report, each with a stable
//! code and the original's message.

use attest_policy::PolicyError;
use attest_store::StoreError;

/// Why an engine operation failed. A failed operation writes nothing (except where the
/// original records the failure itself: a router error is an `EXECUTION_FAILED` event).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// `Decision not found: <id>`.
    #[error("Decision not found: {0}")]
    DecisionNotFound(String),
    /// The decision's log cannot be replayed (the replay message, e.g.
    /// `min_approvals must be at least 1`).
    #[error("{0}")]
    Replay(String),
    /// `Template '<name>' does not exist`.
    #[error("Template '{0}' does not exist")]
    TemplateNotFound(String),
    /// `Template already exists: <name>`.
    #[error("Template already exists: {0}")]
    TemplateExists(String),
    /// A template that fails validation (name or policy rules).
    #[error("{0}")]
    InvalidTemplate(String),
    /// The requested mode is not allowed by the effective policy.
    #[error("{0}")]
    ModeNotAllowed(String),
    /// The effective policy of a request is invalid (Rust: checked before writing).
    #[error("{0}")]
    InvalidPolicy(String),
    /// An operation not possible in the decision's state.
    #[error("{0}")]
    InvalidState(String),
    /// `Actor <id> has already approved this request`.
    #[error("Actor {0} has already approved this request")]
    AlreadyApproved(String),
    /// `Actor <id> has not approved this request`.
    #[error("Actor {0} has not approved this request")]
    NotApproved(String),
    /// `Actor <id>'s approval is already revoked`.
    #[error("Actor {0}'s approval is already revoked")]
    AlreadyRevoked(String),
    /// `Decision has no policy attached`.
    #[error("Decision has no policy attached")]
    NoPolicy,
    /// `Policy validation failed: <messages joined by "; ">`.
    #[error("Policy validation failed: {0}")]
    PolicyValidation(String),
    /// `Router execution failed: <router error>` (recorded as `EXECUTION_FAILED`).
    #[error("Router execution failed: {0}")]
    Router(String),
    /// The requester tried to approve a decision whose policy forbids it (Rust addition).
    #[error("actor {0} requested this decision and the policy forbids self-approval")]
    SelfApproval(String),
    /// The decision was already executed successfully (Rust addition).
    #[error("Decision has already been executed successfully")]
    AlreadyExecuted,
    /// An execution is in progress (Rust addition).
    #[error("an execution of this decision is in progress")]
    ExecutionInProgress,
    /// An argument that violates the tool's input schema (Rust addition).
    #[error("{0}")]
    InvalidArgument(String),
    /// Anything else (`Unexpected error: <message>` on the wire).
    #[error("{0}")]
    Internal(String),
    /// The store failed or refused (`STORE_LOCKED`, `NOT_A_STORE`, `SCHEMA_TOO_NEW`, ...).
    #[error("{message}")]
    Store {
        /// The store's error code.
        code: &'static str,
        /// What happened.
        message: String,
    },
    /// A bundle, import or audit package failure, with the original's code
    /// (`<CODE>: <message>` on the wire).
    #[error("{message}")]
    Package {
        /// The code.
        code: PackageCode,
        /// The original's message.
        message: String,
    },
}

/// The codes of bundle export/import and audit package export (`spec/packages.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageCode {
    /// `DECISION_NOT_FOUND` (also for any replay failure on export).
    DecisionNotFound,
    /// `NO_ROUTER_LINK`.
    NoRouterLink,
    /// `ROUTER_DIGEST_MISMATCH`.
    RouterDigestMismatch,
    /// `ROUTER_BUNDLE_INVALID` (Rust addition).
    RouterBundleInvalid,
    /// `BUNDLE_INVALID_SCHEMA`.
    BundleInvalidSchema,
    /// `CONFLICT_MODE_INVALID`.
    ConflictModeInvalid,
    /// `INTEGRITY_MISMATCH`.
    IntegrityMismatch,
    /// `DECISION_EXISTS`.
    DecisionExists,
    /// `REPLAY_INVALID`.
    ReplayInvalid,
    /// `IMPORT_ATOMICITY_FAILED`.
    ImportAtomicityFailed,
}

impl PackageCode {
    /// The wire code.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageCode::DecisionNotFound => "DECISION_NOT_FOUND",
            PackageCode::NoRouterLink => "NO_ROUTER_LINK",
            PackageCode::RouterDigestMismatch => "ROUTER_DIGEST_MISMATCH",
            PackageCode::RouterBundleInvalid => "ROUTER_BUNDLE_INVALID",
            PackageCode::BundleInvalidSchema => "BUNDLE_INVALID_SCHEMA",
            PackageCode::ConflictModeInvalid => "CONFLICT_MODE_INVALID",
            PackageCode::IntegrityMismatch => "INTEGRITY_MISMATCH",
            PackageCode::DecisionExists => "DECISION_EXISTS",
            PackageCode::ReplayInvalid => "REPLAY_INVALID",
            PackageCode::ImportAtomicityFailed => "IMPORT_ATOMICITY_FAILED",
        }
    }
}

impl CoreError {
    /// Stable error code (`spec/core.md` §8.4).
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::DecisionNotFound(_) => "DECISION_NOT_FOUND",
            CoreError::Replay(_) => "REPLAY_FAILED",
            CoreError::TemplateNotFound(_) => "TEMPLATE_NOT_FOUND",
            CoreError::TemplateExists(_) => "TEMPLATE_ALREADY_EXISTS",
            CoreError::InvalidTemplate(_) => "INVALID_TEMPLATE",
            CoreError::ModeNotAllowed(_) => "MODE_NOT_ALLOWED",
            CoreError::InvalidPolicy(_) => "INVALID_POLICY",
            CoreError::InvalidState(_) => "INVALID_STATE",
            CoreError::AlreadyApproved(_) => "ALREADY_APPROVED",
            CoreError::NotApproved(_) => "NOT_APPROVED",
            CoreError::AlreadyRevoked(_) => "ALREADY_REVOKED",
            CoreError::NoPolicy => "NO_POLICY",
            CoreError::PolicyValidation(_) => "POLICY_VALIDATION_FAILED",
            CoreError::Router(_) => "ROUTER_ERROR",
            CoreError::SelfApproval(_) => "SELF_APPROVAL",
            CoreError::AlreadyExecuted => "ALREADY_EXECUTED",
            CoreError::ExecutionInProgress => "EXECUTION_IN_PROGRESS",
            CoreError::InvalidArgument(_) => "INVALID_ARGUMENT",
            CoreError::Internal(_) => "INTERNAL",
            CoreError::Package { code, .. } => code.as_str(),
            CoreError::Store { code, .. } => code,
        }
    }

    /// The `error` string of the tool result, as the original writes it: coded errors as
    /// `CODE: message`, the original's uncoded errors as the bare message, unexpected
    /// errors as `Unexpected error: message`, and the Rust additions as `CODE: message`.
    pub fn wire_message(&self) -> String {
        match self {
            CoreError::TemplateNotFound(_) | CoreError::TemplateExists(_) | CoreError::InvalidTemplate(_) => {
                format!("{}: {self}", self.code())
            }
            CoreError::SelfApproval(_)
            | CoreError::AlreadyExecuted
            | CoreError::ExecutionInProgress
            | CoreError::InvalidArgument(_)
            | CoreError::Package { .. } => format!("{}: {self}", self.code()),
            CoreError::Internal(m) => format!("Unexpected error: {m}"),
            CoreError::Store { code, message } => format!("{code}: {message}"),
            _ => self.to_string(),
        }
    }

    pub(crate) fn from_template_policy(e: PolicyError) -> CoreError {
        CoreError::InvalidTemplate(e.to_string())
    }

    pub(crate) fn from_request_policy(e: PolicyError) -> CoreError {
        match e {
            PolicyError::ModeNotAllowed { .. } => CoreError::ModeNotAllowed(e.to_string()),
            other => CoreError::InvalidPolicy(other.to_string()),
        }
    }
}

impl From<attest_events::EventError> for CoreError {
    fn from(e: attest_events::EventError) -> CoreError {
        CoreError::InvalidArgument(e.to_string())
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> CoreError {
        match e {
            StoreError::DecisionNotFound(id) => CoreError::DecisionNotFound(id),
            StoreError::TemplateNotFound(name) => CoreError::TemplateNotFound(name),
            StoreError::TemplateExists(name) => CoreError::TemplateExists(name),
            other => CoreError::Store { code: other.code(), message: other.to_string() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_messages() {
        assert_eq!(
            CoreError::TemplateNotFound("no-such-template".into()).wire_message(),
            "TEMPLATE_NOT_FOUND: Template 'no-such-template' does not exist"
        );
        assert_eq!(
            CoreError::TemplateExists("x".into()).wire_message(),
            "TEMPLATE_ALREADY_EXISTS: Template already exists: x"
        );
        assert_eq!(
            CoreError::InvalidTemplate("Template name cannot be empty".into()).wire_message(),
            "INVALID_TEMPLATE: Template name cannot be empty"
        );
        assert_eq!(CoreError::DecisionNotFound("d".into()).wire_message(), "Decision not found: d");
        assert_eq!(
            CoreError::AlreadyRevoked("carol@example.com".into()).wire_message(),
            "Actor carol@example.com's approval is already revoked"
        );
        assert_eq!(CoreError::Internal("boom".into()).wire_message(), "Unexpected error: boom");
        assert_eq!(
            CoreError::AlreadyExecuted.wire_message(),
            "ALREADY_EXECUTED: Decision has already been executed successfully"
        );
        assert_eq!(CoreError::PolicyValidation("x; y".into()).wire_message(), "Policy validation failed: x; y");
    }
}
