#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "signatures")]
pub mod attestation;
pub mod canonical;
pub mod derive;
pub mod digest;
pub mod json;
pub mod package;
pub mod pyrepr;
pub mod replay;
pub mod sha256;
pub mod time;
pub mod verify;

pub use canonical::Dialect;
pub use digest::Digest;
pub use json::{parse, Map, Number, Value};
pub use package::{ParsedBundle, ParsedPackage, ShapeError};
pub use replay::{Decision, EventType, ReplayError, State};
pub use time::Timestamp;
pub use verify::{
    verify_bundle, verify_bundle_json, verify_package, verify_package_json, Check, Checks, Verification, VerifyError,
    VerifyOptions,
};
