//! The router protocol nexus-attest's `execute` talks to (router.md 2.1, 4.2): two
//! methods, nothing else is ever called.

use std::collections::BTreeSet;

use attest_verify::json::Map;

use crate::error::RouterError;
use crate::request::RunArgs;

/// What the governance layer calls during `execute`.
///
/// Call order within one execution: [`Router::adapter_capabilities`] exactly once (as
/// soon as the decision has a policy), then [`Router::run`] at most once.
///
/// How the engine maps the answers (router.md 2.2, 2.4):
/// - an `Err` from `adapter_capabilities` fails the execution with no event
///   (`Unexpected error: <text>`);
/// - an `Err` from `run` is recorded as `EXECUTION_FAILED` with `error_code
///   "ROUTER_ERROR"` and the error's display text as `error_message`;
/// - an `Ok` response is kept whole: `response_digest` = [`crate::response_digest`],
///   the run id and step count via [`crate::run_id_text`] and [`crate::steps_executed`].
///
/// A panic inside `run` must not be caught by the caller: it plays the role of the
/// reference's process crash (the decision stays `executing`).
pub trait Router {
    /// The adapter's capability set; `Ok(None)` means "unknown", in which case the
    /// governance side skips its own capability check (the routers of this crate answer
    /// a concrete set for every adapter they can run, and `None` only for unknown ids).
    fn adapter_capabilities(&self, adapter_id: &str) -> Result<Option<BTreeSet<String>>, RouterError>;

    /// Run the request. The response is any JSON object; it is hashed whole, so it must
    /// be kept as a generic value (unknown keys, integer/float distinction).
    fn run(&self, args: &RunArgs<'_>) -> Result<Map, RouterError>;
}

impl<R: Router + ?Sized> Router for &R {
    fn adapter_capabilities(&self, adapter_id: &str) -> Result<Option<BTreeSet<String>>, RouterError> {
        (**self).adapter_capabilities(adapter_id)
    }

    fn run(&self, args: &RunArgs<'_>) -> Result<Map, RouterError> {
        (**self).run(args)
    }
}

impl<R: Router + ?Sized> Router for std::sync::Arc<R> {
    fn adapter_capabilities(&self, adapter_id: &str) -> Result<Option<BTreeSet<String>>, RouterError> {
        (**self).adapter_capabilities(adapter_id)
    }

    fn run(&self, args: &RunArgs<'_>) -> Result<Map, RouterError> {
        (**self).run(args)
    }
}

impl<R: Router + ?Sized> Router for Box<R> {
    fn adapter_capabilities(&self, adapter_id: &str) -> Result<Option<BTreeSet<String>>, RouterError> {
        (**self).adapter_capabilities(adapter_id)
    }

    fn run(&self, args: &RunArgs<'_>) -> Result<Map, RouterError> {
        (**self).run(args)
    }
}
