//! `nexus-attest mcp`: the tool API as a Model Context Protocol server over stdio
//! (JSON-RPC 2.0, one message per line). Written by hand on the workspace's own JSON
//! model, synchronous, one message at a time (`docs/ARCHITECTURE.md` says why).
//!
//! Stdout carries protocol messages only; logs go to stderr. Every failure of a message
//! is a JSON-RPC error or a tool result with `isError: true`; the server stops only at
//! end of input (exit 0) or when stdin/stdout fail.

#![deny(clippy::print_stdout)]

mod catalog;
mod framing;
mod queue;
mod schema;

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, BufRead, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};

use nexus_attest::router::NexusRouterBridge;
use nexus_attest::verify::canonical;
use nexus_attest::verify::json::{self, Map, Value};
use nexus_attest::verify::VerifyOptions;
use nexus_attest::{CoreError, NexusAttest, Store, ToolResult};

use self::catalog::{Action, Tool};
use self::framing::{Frame, LineReader};

/// The default limit of one incoming message (16 MiB).
pub(crate) const DEFAULT_MAX_REQUEST_BYTES: u64 = 16 * 1024 * 1024;

/// Protocol versions negotiated by the `initialize` handshake, oldest first.
pub(crate) const PROTOCOL_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// The version answered when the client asks for one not in [`PROTOCOL_VERSIONS`].
pub(crate) const LATEST_PROTOCOL_VERSION: &str = "2025-11-25";

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const INTERNAL_ERROR: i64 = -32603;

/// How many executed runs' bundles the server keeps for embedding (oldest dropped).
const KEPT_RUNS: usize = 1024;

const INSTRUCTIONS: &str = "Nexus Attest governs tool actions: `nexus-attest.request` creates a decision with a \
policy (N distinct approvals), `nexus-attest.approve` collects approvals, `nexus-attest.execute` runs it through the \
server's router once the policy holds, and `nexus-attest.export_audit_package` (embed_router_bundle: true) exports \
a verifiable audit package that `nexus-attest.verify_audit_package` checks. `status` and `inspect` show where a \
decision stands. A refused call returns isError with the reason in `error` (`CODE: message`).";

/// The router `execute` runs through.
#[derive(Debug)]
pub(crate) enum RouterSetup {
    /// The dry-run router, a fresh one per call, declaring the requested adapter with
    /// these capabilities (`dry_run` when empty).
    DryRun {
        /// Capabilities of the declared adapter.
        capabilities: Vec<String>,
    },
    /// The nexus-router bridge over a configured adapter registry (real runs).
    Bridge(NexusRouterBridge),
}

/// The key `attest_sign` signs with (`nexus-attest mcp --attest-key`).
#[derive(Debug)]
pub(crate) struct AttestSetup {
    /// The Ed25519 key (its `Debug` never shows the seed).
    pub(crate) key: nexus_attest::witness::SigningKey,
    /// Who attests (signed into every attestation).
    pub(crate) attestor: String,
}

/// Server settings.
#[derive(Debug)]
pub(crate) struct Config {
    /// The router for `execute`.
    pub(crate) router: RouterSetup,
    /// The signing key of `attest_sign`; without it the tool is refused.
    pub(crate) attest: Option<AttestSetup>,
    /// The longest message accepted, in bytes.
    pub(crate) max_request_bytes: usize,
}

/// A JSON-RPC error.
#[derive(Debug)]
struct RpcError {
    code: i64,
    message: String,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError { code, message: message.into() }
    }
}

/// The bundles of runs this server executed, by run id (bounded, oldest dropped).
#[derive(Debug, Default)]
struct Runs {
    order: VecDeque<String>,
    by_id: BTreeMap<String, Value>,
}

impl Runs {
    fn keep(&mut self, run_id: String, bundle: Value) {
        if self.by_id.insert(run_id.clone(), bundle).is_none() {
            self.order.push_back(run_id);
        }
        while self.order.len() > KEPT_RUNS {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
    }

    fn get(&self, run_id: &str) -> Option<&Value> {
        self.by_id.get(run_id)
    }
}

/// A tool call's result: the result object, the refusal code, a readable text.
struct Outcome {
    value: Value,
    code: Option<&'static str>,
    readable: Option<String>,
}

impl From<ToolResult> for Outcome {
    fn from(r: ToolResult) -> Outcome {
        let readable = r.data().and_then(|d| d.get("rendered")).and_then(Value::as_str).map(str::to_owned);
        Outcome { value: r.to_value(), code: r.code(), readable }
    }
}

/// What the tools run on: the tool API, the router, the signing key, the kept runs.
struct Runtime<S: Store> {
    tools: NexusAttest<S>,
    router: RouterSetup,
    attest: Option<AttestSetup>,
    runs: Runs,
}

/// The MCP server over one store.
pub(crate) struct Server<S: Store> {
    catalog: Vec<Tool>,
    runtime: Runtime<S>,
    max_request_bytes: usize,
    /// The negotiated protocol version, once `initialize` was answered.
    version: Option<&'static str>,
}

fn log(message: &str) {
    eprintln!("nexus-attest mcp: {message}");
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::with_capacity(pairs.len());
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Object(m)
}

fn response(id: Value, result: Value) -> Value {
    obj(vec![("jsonrpc", Value::str("2.0")), ("id", id), ("result", result)])
}

fn error_response(id: Value, code: i64, message: impl Into<String>) -> Value {
    let error = obj(vec![("code", Value::int(code)), ("message", Value::String(message.into()))]);
    obj(vec![("jsonrpc", Value::str("2.0")), ("id", id), ("error", error)])
}

/// One message as a line: compact JSON (never a raw newline: strings escape it) + `\n`.
fn send(out: &mut impl Write, message: &Value) -> io::Result<()> {
    let mut text = canonical::to_display_string(message, None);
    text.push('\n');
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn at_least(version: &str, minimum: &str) -> bool {
    let pos = |v: &str| PROTOCOL_VERSIONS.iter().position(|x| *x == v);
    matches!((pos(version), pos(minimum)), (Some(a), Some(b)) if a >= b)
}

impl<S: Store> Server<S> {
    /// A server over `tools`.
    pub(crate) fn new(tools: NexusAttest<S>, config: Config) -> Server<S> {
        Server {
            catalog: catalog::tools(),
            runtime: Runtime { tools, router: config.router, attest: config.attest, runs: Runs::default() },
            max_request_bytes: config.max_request_bytes,
            version: None,
        }
    }

    /// Serve until end of input: read a line, answer it (if it needs an answer), repeat.
    /// Returns the first IO error of `input` or `output`.
    pub(crate) fn serve(&mut self, input: impl BufRead, output: &mut impl Write) -> io::Result<()> {
        let mut reader = LineReader::new(input, self.max_request_bytes);
        loop {
            match reader.next_frame()? {
                Frame::Eof => return Ok(()),
                Frame::TooLong(n) => {
                    log(&format!("refused a message of {n} bytes (limit {})", self.max_request_bytes));
                    let message = format!(
                        "Invalid Request: message of {n} bytes exceeds the limit of {} bytes",
                        self.max_request_bytes
                    );
                    send(output, &error_response(Value::Null, INVALID_REQUEST, message))?;
                }
                Frame::Line(bytes) => {
                    if let Some(reply) = self.handle_line(&bytes) {
                        send(output, &reply)?;
                    }
                }
            }
        }
    }

    /// The answer to one line, if it needs one.
    fn handle_line(&mut self, bytes: &[u8]) -> Option<Value> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        match json::parse_bytes(bytes) {
            Err(e) => {
                log(&format!("parse error: {e}"));
                Some(error_response(Value::Null, PARSE_ERROR, format!("Parse error: {e}")))
            }
            Ok(Value::Array(items)) => self.handle_batch(items),
            Ok(message) => self.handle_message(&message, false),
        }
    }

    /// A JSON-RPC batch: only in protocol version 2025-03-26, the one version that has
    /// them; elsewhere (and before `initialize`) an invalid request.
    fn handle_batch(&mut self, items: Vec<Value>) -> Option<Value> {
        if self.version != Some("2025-03-26") {
            let message = format!(
                "Invalid Request: JSON-RPC batches are not part of protocol version {}",
                self.version.unwrap_or("(none negotiated)")
            );
            return Some(error_response(Value::Null, INVALID_REQUEST, message));
        }
        if items.is_empty() {
            return Some(error_response(Value::Null, INVALID_REQUEST, "Invalid Request: empty batch"));
        }
        let replies: Vec<Value> = items.iter().filter_map(|m| self.handle_message(m, true)).collect();
        (!replies.is_empty()).then_some(Value::Array(replies))
    }

    /// One message: a request (answered), a notification (never answered), a response
    /// (ignored: this server sends no requests) or something invalid.
    fn handle_message(&mut self, message: &Value, in_batch: bool) -> Option<Value> {
        let Some(m) = message.as_object() else {
            return Some(error_response(Value::Null, INVALID_REQUEST, "Invalid Request: a message must be an object"));
        };
        let id = m.get("id");
        let id_ok = match id {
            None | Some(Value::String(_)) => true,
            Some(Value::Number(n)) => n.is_integer(),
            Some(_) => false,
        };
        let reply_id = if id_ok { id.cloned().unwrap_or(Value::Null) } else { Value::Null };
        let jsonrpc_ok = m.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
        if let (None, Some(Value::String(method))) = (id, m.get("method")) {
            // A notification is never answered, not even when it is malformed.
            match m.get("params") {
                _ if !jsonrpc_ok => log(&format!("ignored notification `{method}` without `jsonrpc: \"2.0\"`")),
                None | Some(Value::Null | Value::Object(_) | Value::Array(_)) => self.notification(method),
                Some(_) => log(&format!("ignored notification `{method}` with scalar `params`")),
            }
            return None;
        }
        if !jsonrpc_ok {
            return Some(error_response(reply_id, INVALID_REQUEST, "Invalid Request: `jsonrpc` must be \"2.0\""));
        }
        let method = match m.get("method") {
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                return Some(error_response(reply_id, INVALID_REQUEST, "Invalid Request: `method` must be a string"))
            }
            None if id.is_some() && (m.contains_key("result") || m.contains_key("error")) => {
                log("ignored a response: this server sends no requests");
                return None;
            }
            None => return Some(error_response(reply_id, INVALID_REQUEST, "Invalid Request: no `method`")),
        };
        if !id_ok {
            return Some(error_response(
                Value::Null,
                INVALID_REQUEST,
                "Invalid Request: `id` must be a string or an integer",
            ));
        }
        let params = match m.get("params") {
            None | Some(Value::Null) => None,
            Some(Value::Object(p)) => Some(p),
            Some(Value::Array(_)) => {
                return Some(error_response(reply_id, INVALID_PARAMS, "Invalid params: MCP parameters are an object"));
            }
            Some(_) => {
                return Some(error_response(
                    reply_id,
                    INVALID_REQUEST,
                    "Invalid Request: `params` must be an object or an array",
                ));
            }
        };
        let id = id?; // always present here: notifications were handled above
        let outcome = catch_unwind(AssertUnwindSafe(|| self.request(method, params, in_batch)));
        Some(match outcome {
            Ok(Ok(result)) => response(id.clone(), result),
            Ok(Err(e)) => error_response(id.clone(), e.code, e.message),
            Err(_) => {
                log(&format!("internal error: `{method}` panicked"));
                error_response(id.clone(), INTERNAL_ERROR, format!("Internal error while handling `{method}`"))
            }
        })
    }

    fn notification(&mut self, method: &str) {
        match method {
            "notifications/initialized" => log("client initialized"),
            "notifications/cancelled" => {} // requests are answered before the next line is read
            other => log(&format!("ignored notification `{other}`")),
        }
    }

    fn request(&mut self, method: &str, params: Option<&Map>, in_batch: bool) -> Result<Value, RpcError> {
        match method {
            "initialize" => return self.initialize(params, in_batch),
            "ping" => return Ok(Value::Object(Map::new())),
            "tools/list" | "tools/call" => {}
            other => {
                log(&format!("method not found: `{other}`"));
                return Err(RpcError::new(METHOD_NOT_FOUND, format!("Method not found: {other}")));
            }
        }
        let Some(version) = self.version else {
            return Err(RpcError::new(
                INVALID_REQUEST,
                "Invalid Request: the session is not initialized (send `initialize` first)",
            ));
        };
        if method == "tools/list" {
            return self.tools_list(params, version);
        }
        self.tools_call(params, version)
    }

    fn initialize(&mut self, params: Option<&Map>, in_batch: bool) -> Result<Value, RpcError> {
        if in_batch {
            return Err(RpcError::new(INVALID_REQUEST, "Invalid Request: `initialize` must not be part of a batch"));
        }
        if self.version.is_some() {
            return Err(RpcError::new(INVALID_REQUEST, "Invalid Request: the session is already initialized"));
        }
        let bad = |m: &str| RpcError::new(INVALID_PARAMS, format!("Invalid params: {m}"));
        let p = params.ok_or_else(|| bad("`initialize` needs {protocolVersion, capabilities, clientInfo}"))?;
        let requested = p
            .get("protocolVersion")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("`protocolVersion` must be a string"))?;
        if p.get("capabilities").and_then(Value::as_object).is_none() {
            return Err(bad("`capabilities` must be an object"));
        }
        let client =
            p.get("clientInfo").and_then(Value::as_object).ok_or_else(|| bad("`clientInfo` must be an object"))?;
        let client_name =
            client.get("name").and_then(Value::as_str).ok_or_else(|| bad("`clientInfo.name` must be a string"))?;
        let client_version = client
            .get("version")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("`clientInfo.version` must be a string"))?;
        let version = PROTOCOL_VERSIONS.iter().copied().find(|v| *v == requested).unwrap_or(LATEST_PROTOCOL_VERSION);
        self.version = Some(version);
        log(&format!("initialize: {client_name} {client_version} asked for {requested}; speaking {version}"));
        let mut info = Map::new();
        info.insert("name", Value::str("nexus-attest"));
        if at_least(version, "2025-06-18") {
            info.insert("title", Value::str("Nexus Attest"));
        }
        info.insert("version", Value::str(env!("CARGO_PKG_VERSION")));
        Ok(obj(vec![
            ("protocolVersion", Value::str(version)),
            ("capabilities", obj(vec![("tools", obj(vec![("listChanged", Value::Bool(false))]))])),
            ("serverInfo", Value::Object(info)),
            ("instructions", Value::str(INSTRUCTIONS)),
        ]))
    }

    fn tools_list(&self, params: Option<&Map>, version: &str) -> Result<Value, RpcError> {
        if params.and_then(|p| p.get("cursor")).is_some_and(|c| !c.is_null()) {
            return Err(RpcError::new(INVALID_PARAMS, "Invalid params: unknown cursor (the list has one page)"));
        }
        let structured = at_least(version, "2025-06-18");
        let annotations = at_least(version, "2025-03-26");
        let tools = self.catalog.iter().map(|t| t.listing(structured, annotations)).collect();
        Ok(obj(vec![("tools", Value::Array(tools))]))
    }

    fn tools_call(&mut self, params: Option<&Map>, version: &str) -> Result<Value, RpcError> {
        let bad = |m: String| RpcError::new(INVALID_PARAMS, format!("Invalid params: {m}"));
        let p = params.ok_or_else(|| bad("`tools/call` needs {name, arguments}".to_owned()))?;
        let name = p.get("name").and_then(Value::as_str).ok_or_else(|| bad("`name` must be a string".to_owned()))?;
        let args = match p.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(a)) => a.clone(),
            Some(_) => return Err(bad("`arguments` must be an object".to_owned())),
        };
        let Some(tool) = catalog::find(&self.catalog, name) else {
            log(&format!("tools/call: unknown tool `{name}`"));
            return Err(RpcError::new(INVALID_PARAMS, format!("Unknown tool: {name}")));
        };
        let outcome = self.runtime.call(tool, args);
        match outcome.code {
            None => log(&format!("tools/call {}: ok", tool.name)),
            Some(code) => log(&format!("tools/call {}: refused [{code}]", tool.name)),
        }
        Ok(tool_result(outcome, at_least(version, "2025-06-18")))
    }
}

/// The `CallToolResult`: text content (the readable rendering when there is one, then
/// the result object as JSON), the result object as `structuredContent` (2025-06-18 on),
/// `isError` when refused, and the refusal code in `_meta`.
fn tool_result(outcome: Outcome, structured: bool) -> Value {
    let success = outcome.value.get("success") == Some(&Value::Bool(true));
    let text = |t: String| obj(vec![("type", Value::str("text")), ("text", Value::String(t))]);
    let mut content = Vec::with_capacity(2);
    if let (true, Some(r)) = (success, outcome.readable) {
        content.push(text(r));
    }
    content.push(text(canonical::to_display_string(&outcome.value, None)));
    let mut m = Map::new();
    m.insert("content", Value::Array(content));
    if structured {
        m.insert("structuredContent", outcome.value);
    }
    m.insert("isError", Value::Bool(!success));
    if let Some(code) = outcome.code {
        m.insert("_meta", obj(vec![("nexus-attest/code", Value::str(code))]));
    }
    Value::Object(m)
}

impl<S: Store> Runtime<S> {
    /// Validate `args` against the tool's schema, then run it. Nothing is written when
    /// the arguments are refused.
    fn call(&mut self, tool: &Tool, mut args: Map) -> Outcome {
        let errors = schema::check_object(&tool.props, &mut args);
        if !errors.is_empty() {
            let message = format!("{}: {}", tool.name, errors.join("; "));
            return ToolResult::err(CoreError::InvalidArgument(message)).into();
        }
        match tool.action {
            Action::VerifyPackage => verify(&args),
            Action::QueueIntent => queue::queue_intent(self.tools.engine().store(), &args),
            Action::QueueStatus => queue::queue_status(self.tools.engine().store(), &args),
            Action::Narrative => queue::narrative(self.tools.engine().store(), &args),
            Action::AttestSign => attest_sign(self.attest.as_ref(), &args),
            Action::Method("execute") => self.execute(&Value::Object(args)).into(),
            Action::Method("export_audit_package") => {
                self.fill_router_bundle(&mut args);
                self.tools.call("export_audit_package", &Value::Object(args)).into()
            }
            Action::Method(method) => self.tools.call(method, &Value::Object(args)).into(),
        }
    }

    /// `execute` through the configured router; the run's bundle is kept for embedding.
    fn execute(&mut self, args: &Value) -> ToolResult {
        let (result, run) = match &self.router {
            RouterSetup::DryRun { capabilities } => {
                let adapter = args.get("adapter_id").and_then(Value::as_str).unwrap_or_default();
                let router = match crate::router::dry_run_router(adapter, capabilities) {
                    Ok(r) => r,
                    Err(e) => return ToolResult::err(CoreError::InvalidArgument(format!("nexus-attest.execute: {e}"))),
                };
                let result = self.tools.call_with_router("execute", args, &router);
                let run = router.last_run_id().and_then(|id| router.export_bundle(&id).ok().map(|b| (id, b)));
                (result, run)
            }
            RouterSetup::Bridge(bridge) => {
                let result = self.tools.call_with_router("execute", args, bridge);
                let run = bridge.last_run_id().and_then(|id| bridge.export_bundle(&id).ok().map(|b| (id, b)));
                (result, run)
            }
        };
        if let Some((id, bundle)) = run {
            self.runs.keep(id, bundle);
        }
        result
    }

    /// With `embed_router_bundle: true` and no `router_bundle`, embed the bundle of the
    /// decision's latest run if this server executed it (or the bridge still has it).
    /// Otherwise the arguments stay as given (the export then references the router
    /// result and says so in `warnings`).
    fn fill_router_bundle(&self, args: &mut Map) {
        let embed = args.get("embed_router_bundle") == Some(&Value::Bool(true));
        if !embed || args.get("router_bundle").is_some_and(|b| !b.is_null()) {
            return;
        }
        let Some(id) = args.get("decision_id").and_then(Value::as_str) else { return };
        let Ok(loaded) = self.tools.engine().load(id) else { return };
        let Some(run_id) = loaded.decision.latest_execution().and_then(|x| x.run_id.clone()) else { return };
        let bundle = match (self.runs.get(&run_id), &self.router) {
            (Some(b), _) => Some(b.clone()),
            (None, RouterSetup::Bridge(bridge)) => bridge.export_bundle(&run_id).ok(),
            (None, RouterSetup::DryRun { .. }) => None,
        };
        if let Some(b) = bundle {
            args.insert("router_bundle", b);
        }
    }
}

/// A refused call: `{"success": false, "error": "CODE: message"}`, with the code.
fn refused(code: &'static str, message: String) -> Outcome {
    Outcome {
        value: obj(vec![("success", Value::Bool(false)), ("error", Value::String(format!("{code}: {message}")))]),
        code: Some(code),
        readable: None,
    }
}

/// `verify_audit_package`: attest-verify's checks; a package that fails a check is a
/// successful call with `ok: false`, one that is not shaped like a package is refused.
fn verify(args: &Map) -> Outcome {
    let package = args.get("package").cloned().unwrap_or(Value::Null);
    let expect_binding = args.get("expect_binding").and_then(Value::as_str).map(str::to_owned);
    let opts = VerifyOptions { now_micros: None, expect_binding };
    let attestations: Vec<Value> =
        args.get("attestations").and_then(Value::as_array).map(<[Value]>::to_vec).unwrap_or_default();
    let key_texts: Vec<&str> = args
        .get("trusted_keys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let threshold = args.get("threshold").and_then(Value::as_i64).and_then(|t| usize::try_from(t).ok()).unwrap_or(1);
    let with_trust = !attestations.is_empty() || !key_texts.is_empty();
    let mut keys = Vec::with_capacity(key_texts.len());
    for k in &key_texts {
        match nexus_attest::verify::attestation::public_key_from_text(k) {
            Ok(key) => keys.push(key),
            Err(e) => {
                return refused("INVALID_ARGUMENT", format!("trusted key `{k}`: {e}"));
            }
        }
    }
    let result = if with_trust {
        nexus_attest::verify::attestation::verify_package_with_trust(&package, &opts, &attestations, &keys, threshold)
            .map(|t| (t.to_flat_value(), t.verification))
    } else {
        nexus_attest::verify::verify_package(&package, &opts).map(|v| (v.to_flat_value(), v))
    };
    match result {
        Ok((flat_value, v)) => {
            let mut m = Map::new();
            m.insert("success", Value::Bool(true));
            if let Value::Object(flat) = flat_value {
                for (k, x) in flat {
                    m.insert(k, x);
                }
            }
            Outcome { value: Value::Object(m), code: None, readable: Some(crate::verification_text(&v)) }
        }
        Err(e) => refused(e.code(), format!("not shaped like an audit package: {e}")),
    }
}

/// `attest_sign`: an Ed25519 attestation over the package's binding digest with the
/// server's key, only when the package verifies.
fn attest_sign(setup: Option<&AttestSetup>, args: &Map) -> Outcome {
    let Some(setup) = setup else {
        return refused(
            "ATTEST_KEY_NOT_CONFIGURED",
            "this server has no signing key (start it with `nexus-attest mcp --attest-key KEYFILE`)".to_owned(),
        );
    };
    let package = args.get("package").cloned().unwrap_or(Value::Null);
    let claims: Vec<String> = args
        .get("claims")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let role = args.get("role").and_then(Value::as_str);
    match crate::attest::sign_package(&package, &setup.key, &claims, &setup.attestor, None, role) {
        Ok((attestation, binding)) => {
            let readable = format!("{} over {binding} by {}", attestation.attestation_id, setup.key.public_key_hex());
            let mut m = Map::new();
            m.insert("success", Value::Bool(true));
            m.insert("attestation_id", Value::str(attestation.attestation_id.as_str()));
            m.insert("binding_digest", Value::String(binding));
            m.insert("public_key", Value::String(setup.key.public_key_hex()));
            m.insert("attestation", attestation.to_value());
            Outcome { value: Value::Object(m), code: None, readable: Some(readable) }
        }
        Err(crate::attest::SignRefusal::Shape(code, e)) => {
            refused(code, format!("not shaped like an audit package: {e}"))
        }
        Err(crate::attest::SignRefusal::NotVerified(v)) => refused(
            "PACKAGE_NOT_VERIFIED",
            format!("the package does not verify; not signing it: {}", crate::verification_text(&v)),
        ),
    }
}

/// Run the server on stdin/stdout until end of input. Exit 0 at end of input (or when
/// the client closed stdout), 1 on any other IO failure.
pub(crate) fn run<S: Store>(tools: NexusAttest<S>, config: Config, origin: &str) -> std::process::ExitCode {
    let router = match &config.router {
        RouterSetup::DryRun { .. } => "the dry-run router",
        RouterSetup::Bridge(_) => "the nexus-router bridge",
    };
    log(&format!("serving {origin} over stdio, executing through {router}"));
    let mut server = Server::new(tools, config);
    let stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    match server.serve(stdin, &mut stdout) {
        Ok(()) => {
            log("end of input: shutting down");
            std::process::ExitCode::SUCCESS
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            log("the client closed stdout: shutting down");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            log(&format!("io error: {e}"));
            std::process::ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests;
