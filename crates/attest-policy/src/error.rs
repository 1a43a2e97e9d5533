//! Policy and template errors, with the original's messages and stable codes.

/// Why a policy or template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// `min_approvals` below 1.
    #[error("min_approvals must be at least 1")]
    MinApprovals,
    /// No allowed mode.
    #[error("allowed_modes cannot be empty")]
    NoModes,
    /// A mode other than `dry_run`/`apply` (the first offender).
    #[error("Invalid mode: {0}")]
    InvalidMode(String),
    /// `max_steps` below 1.
    #[error("max_steps must be at least 1 if specified")]
    MaxSteps,
    /// The requested mode is not among the effective allowed modes (message carries the
    /// Python list repr, e.g. `['dry_run']`).
    #[error("Requested mode '{mode}' not in allowed_modes: {allowed}")]
    ModeNotAllowed {
        /// The requested mode.
        mode: String,
        /// Python repr of the allowed modes.
        allowed: String,
    },
    /// An empty template name.
    #[error("Template name cannot be empty")]
    EmptyTemplateName,
    /// A template name outside `^[a-zA-Z0-9][a-zA-Z0-9_-]*$`.
    #[error("Template name `{0}` must match ^[a-zA-Z0-9][a-zA-Z0-9_-]*$")]
    TemplateNamePattern(String),
}

impl PolicyError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::MinApprovals | PolicyError::NoModes | PolicyError::InvalidMode(_) | PolicyError::MaxSteps => {
                "INVALID_POLICY"
            }
            PolicyError::ModeNotAllowed { .. } => "MODE_NOT_ALLOWED",
            PolicyError::EmptyTemplateName | PolicyError::TemplateNamePattern(_) => "INVALID_TEMPLATE",
        }
    }

    /// Whether this is one of the §4.2 policy rules (reported as `INVALID_TEMPLATE` on
    /// template creation, `INVALID_POLICY` on a request).
    pub fn is_policy_rule(&self) -> bool {
        self.code() == "INVALID_POLICY"
    }
}
