#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod policy;
mod template;

pub use error::PolicyError;
pub use policy::{compile_router_request, Policy, PolicyArgs};
pub use template::{
    effective_policy, template_digest, template_snapshot, validate_template_name, Template, TemplateSpec,
    TEMPLATE_NAME_PATTERN,
};
