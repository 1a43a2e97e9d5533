//! The crate's errors: [`RouterError`] (what [`crate::Router::run`] returns) and the
//! narrower enums it wraps. Every variant has a stable `code()`; codes never change
//! meaning and are unique within each enum (tested).

use crate::engine::RefusalCode;

/// Why a run request was refused before any run was created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The request breaks nexus-router's run request schema v0.7 (router.md 3.2): empty
    /// goal, unknown key, duplicate required capability, `max_steps` below 1, a malformed
    /// step, ...
    #[error("INVALID_REQUEST: {0}")]
    Invalid(String),
    /// The decision's `plan` is not the JSON text of a step list (router.md 4.6).
    #[error("PLAN_NOT_STRUCTURED: {0}")]
    PlanNotStructured(String),
}

impl RequestError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::Invalid(_) => "INVALID_REQUEST",
            RequestError::PlanNotStructured(_) => "PLAN_NOT_STRUCTURED",
        }
    }
}

/// A run store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No run with this id (nexus-router's export error text).
    #[error("Run {0} not found")]
    RunNotFound(String),
    /// A run with this id already exists.
    #[error("run `{0}` already exists")]
    RunExists(String),
    /// Two events of one run claim the same sequence number.
    #[error("Duplicate seq {seq}: UNIQUE constraint failed: events.run_id, events.seq")]
    SeqDuplicate {
        /// The duplicated sequence number.
        seq: u64,
    },
    /// A writer panicked while holding the store's lock; the store refuses further use.
    #[error("run store is unusable: a writer panicked")]
    Poisoned,
}

impl StoreError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::RunNotFound(_) => "RUN_NOT_FOUND",
            StoreError::RunExists(_) => "RUN_EXISTS",
            StoreError::SeqDuplicate { .. } => "SEQ_DUPLICATE",
            StoreError::Poisoned => "STORE_POISONED",
        }
    }
}

/// A run bundle could not be read or does not verify (nexus-router 1.1.1 import rules,
/// router.md 3.13 steps 2 and 3; messages are nexus-router's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// A required key is missing or has the wrong type (`Missing run.goal`, ...).
    #[error("INVALID_BUNDLE: {0}")]
    Invalid(String),
    /// `digests.sha256` is missing or differs from the recomputed digest.
    #[error("DIGEST_MISMATCH: {0}")]
    DigestMismatch(String),
}

impl BundleError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Invalid(_) => "INVALID_BUNDLE",
            BundleError::DigestMismatch(_) => "DIGEST_MISMATCH",
        }
    }

    /// The message without the code.
    pub fn message(&self) -> &str {
        match self {
            BundleError::Invalid(m) | BundleError::DigestMismatch(m) => m,
        }
    }
}

/// An adapter registry or adapter configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Registering an id twice (nexus-router's text).
    #[error("Adapter already registered: {0}")]
    DuplicateAdapter(String),
    /// A configuration entry is malformed or names an unknown factory.
    #[error("ADAPTER_LOAD_FAILED: {0}")]
    LoadFailed(String),
    /// An `env` entry whose key or value is not a string (nexus-router's text).
    #[error("Invalid env variable: key and value must be strings")]
    EnvInvalid {
        /// The offending key.
        key: String,
    },
}

impl ConfigError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::DuplicateAdapter(_) => "ADAPTER_ALREADY_REGISTERED",
            ConfigError::LoadFailed(_) => "ADAPTER_LOAD_FAILED",
            ConfigError::EnvInvalid { .. } => "ENV_INVALID",
        }
    }
}

/// The error of [`crate::Router::run`] and of the routers' other operations.
///
/// For nexus-attest the `Display` text is what `EXECUTION_FAILED.error_message` records
/// (`ROUTER_ERROR`); it starts with the code so the refusal kind survives in the
/// decision's event log. Refusals name the refused run, which stays in the router's
/// store: `UNKNOWN_ADAPTER: Unknown adapter: 'x' (run <run_id>)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouterError {
    /// Refused before a run was created (no run recorded).
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The adapter id is not registered (a selection-failure run is recorded).
    #[error("UNKNOWN_ADAPTER: {message} (run {run_id})")]
    UnknownAdapter {
        /// nexus-router's message (`Unknown adapter: '<id>'`).
        message: String,
        /// The refused run.
        run_id: String,
    },
    /// The adapter lacks a required capability, or `apply` in apply mode.
    #[error("CAPABILITY_MISSING: {message} (run {run_id})")]
    CapabilityMissing {
        /// nexus-router's message.
        message: String,
        /// The refused run.
        run_id: String,
    },
    /// Apply mode asked of a dry-run-only router.
    #[error("APPLY_NOT_SUPPORTED: {message} (run {run_id})")]
    ApplyNotSupported {
        /// The message.
        message: String,
        /// The refused run.
        run_id: String,
    },
    /// Apply mode while the request's policy does not allow apply.
    #[error("MODE_NOT_ALLOWED: {message} (run {run_id})")]
    ModeNotAllowed {
        /// The message.
        message: String,
        /// The refused run.
        run_id: String,
    },
    /// The plan has more steps than `max_steps`; no step ran.
    #[error("MAX_STEPS_EXCEEDED: {message} (run {run_id})")]
    MaxStepsExceeded {
        /// `plan has <n> steps, max_steps is <m>`.
        message: String,
        /// The refused run.
        run_id: String,
    },
    /// An adapter reported a bug (or an unexpected failure); the run was recorded as
    /// failed (`RUN_FAILED {reason: "bug_error"}`) and aborted.
    #[error("ADAPTER_BUG: {adapter_code}: {message} (run {run_id})")]
    AdapterBug {
        /// The adapter's own error code.
        adapter_code: String,
        /// The adapter's message.
        message: String,
        /// The aborted run.
        run_id: String,
    },
    /// Any other failure, for `Router` implementations outside this crate (glue to
    /// another router, a scripted router replaying the vectors): the display text is the
    /// message verbatim, so it lands unchanged in `EXECUTION_FAILED.error_message`.
    #[error("{0}")]
    Failed(String),
    /// The run store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bundle could not be read.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The adapter configuration was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl RouterError {
    /// Stable error code (the wrapped error's code for wrapping variants).
    pub fn code(&self) -> &'static str {
        match self {
            RouterError::Request(e) => e.code(),
            RouterError::UnknownAdapter { .. } => "UNKNOWN_ADAPTER",
            RouterError::CapabilityMissing { .. } => "CAPABILITY_MISSING",
            RouterError::ApplyNotSupported { .. } => "APPLY_NOT_SUPPORTED",
            RouterError::ModeNotAllowed { .. } => "MODE_NOT_ALLOWED",
            RouterError::MaxStepsExceeded { .. } => "MAX_STEPS_EXCEEDED",
            RouterError::AdapterBug { .. } => "ADAPTER_BUG",
            RouterError::Failed(_) => "ROUTER_FAILED",
            RouterError::Store(e) => e.code(),
            RouterError::Bundle(e) => e.code(),
            RouterError::Config(e) => e.code(),
        }
    }

    /// The refused or aborted run, when one was recorded.
    pub fn run_id(&self) -> Option<&str> {
        match self {
            RouterError::UnknownAdapter { run_id, .. }
            | RouterError::CapabilityMissing { run_id, .. }
            | RouterError::ApplyNotSupported { run_id, .. }
            | RouterError::ModeNotAllowed { run_id, .. }
            | RouterError::MaxStepsExceeded { run_id, .. }
            | RouterError::AdapterBug { run_id, .. } => Some(run_id),
            _ => None,
        }
    }

    /// The error for a refused run.
    pub(crate) fn refused(code: RefusalCode, message: String, run_id: String) -> RouterError {
        match code {
            RefusalCode::UnknownAdapter => RouterError::UnknownAdapter { message, run_id },
            RefusalCode::CapabilityMissing => RouterError::CapabilityMissing { message, run_id },
            RefusalCode::ApplyNotSupported => RouterError::ApplyNotSupported { message, run_id },
            RefusalCode::ModeNotAllowed => RouterError::ModeNotAllowed { message, run_id },
            RefusalCode::MaxStepsExceeded => RouterError::MaxStepsExceeded { message, run_id },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn all_router_errors() -> Vec<RouterError> {
        let s = String::new;
        vec![
            RouterError::Request(RequestError::Invalid(s())),
            RouterError::Request(RequestError::PlanNotStructured(s())),
            RouterError::UnknownAdapter { message: s(), run_id: s() },
            RouterError::CapabilityMissing { message: s(), run_id: s() },
            RouterError::ApplyNotSupported { message: s(), run_id: s() },
            RouterError::ModeNotAllowed { message: s(), run_id: s() },
            RouterError::MaxStepsExceeded { message: s(), run_id: s() },
            RouterError::AdapterBug { adapter_code: s(), message: s(), run_id: s() },
            RouterError::Failed(s()),
            RouterError::Store(StoreError::RunNotFound(s())),
            RouterError::Store(StoreError::RunExists(s())),
            RouterError::Store(StoreError::SeqDuplicate { seq: 0 }),
            RouterError::Store(StoreError::Poisoned),
            RouterError::Bundle(BundleError::Invalid(s())),
            RouterError::Bundle(BundleError::DigestMismatch(s())),
            RouterError::Config(ConfigError::DuplicateAdapter(s())),
            RouterError::Config(ConfigError::LoadFailed(s())),
            RouterError::Config(ConfigError::EnvInvalid { key: s() }),
        ]
    }

    #[test]
    fn codes_are_unique_across_every_variant() {
        let all = all_router_errors();
        let codes: BTreeSet<&str> = all.iter().map(RouterError::code).collect();
        assert_eq!(codes.len(), all.len(), "{codes:?}");
        for c in codes {
            assert!(c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{c}");
        }
    }

    #[test]
    fn refusals_print_code_message_and_run() {
        let e = RouterError::refused(RefusalCode::UnknownAdapter, "Unknown adapter: 'x'".into(), "r1".into());
        assert_eq!(e.to_string(), "UNKNOWN_ADAPTER: Unknown adapter: 'x' (run r1)");
        assert_eq!(e.run_id(), Some("r1"));
        assert_eq!(RouterError::Failed("router exploded: 'x'".into()).to_string(), "router exploded: 'x'");
        for code in RefusalCode::ALL {
            let e = RouterError::refused(code, String::new(), String::new());
            assert_eq!(e.code(), code.as_str());
            assert!(e.to_string().starts_with(code.as_str()));
        }
    }
}
