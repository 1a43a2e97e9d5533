//! In-process tests of the MCP server: a small client speaking JSON-RPC lines to a
//! [`Server`] over an in-memory store.

use nexus_attest::verify::json::{self, Value};
use nexus_attest::{MemoryStore, NexusAttest};

use super::{Config, RouterSetup, Server, LATEST_PROTOCOL_VERSION, PROTOCOL_VERSIONS};

struct Session {
    server: Server<MemoryStore>,
    next_id: i64,
}

fn parse(text: &str) -> Value {
    json::parse(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn text(v: &Value) -> String {
    nexus_attest::verify::canonical::to_display_string(v, None)
}

impl Session {
    fn new(max: usize) -> Session {
        let config =
            Config { router: RouterSetup::DryRun { capabilities: Vec::new() }, attest: None, max_request_bytes: max };
        Session { server: Server::new(NexusAttest::in_memory(), config), next_id: 0 }
    }

    fn initialized(version: &str) -> Session {
        let mut s = Session::new(1 << 20);
        let r = s.request(
            "initialize",
            &format!(
                r#"{{"protocolVersion": "{version}", "capabilities": {{}}, "clientInfo": {{"name": "t", "version": "1"}}}}"#
            ),
        );
        assert!(r.get("result").is_some(), "{}", text(&r));
        assert_eq!(s.raw(r#"{"jsonrpc": "2.0", "method": "notifications/initialized"}"#), None);
        s
    }

    /// Feed one line through the server's reader, as stdin would.
    fn raw(&mut self, line: &str) -> Option<Value> {
        let mut out = Vec::new();
        let input = format!("{line}\n");
        self.server.serve(input.as_bytes(), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        match out.lines().collect::<Vec<_>>().as_slice() {
            [] => None,
            [one] => Some(parse(one)),
            many => panic!("more than one reply: {many:?}"),
        }
    }

    fn request(&mut self, method: &str, params: &str) -> Value {
        self.next_id += 1;
        let line = format!(r#"{{"jsonrpc": "2.0", "id": {}, "method": "{method}", "params": {params}}}"#, self.next_id);
        let reply = self.raw(&line).expect("a request is answered");
        assert_eq!(reply.get("id"), Some(&Value::int(self.next_id)), "{}", text(&reply));
        reply
    }

    /// `tools/call` → the CallToolResult.
    fn call(&mut self, tool: &str, args: &str) -> Value {
        let r = self.request("tools/call", &format!(r#"{{"name": "{tool}", "arguments": {args}}}"#));
        r.get("result").cloned().unwrap_or_else(|| panic!("not a result: {}", text(&r)))
    }

    /// `tools/call` that must succeed → its structured content, which must conform to
    /// the tool's output schema.
    fn ok(&mut self, tool: &str, args: &str) -> Value {
        let r = self.call(tool, args);
        assert_eq!(r.get("isError"), Some(&Value::Bool(false)), "{}", text(&r));
        let content = r.get("structuredContent").cloned().unwrap();
        let schema = super::catalog::find(&self.server.catalog, tool).unwrap().output_schema();
        conforms(&schema, &content);
        content
    }

    /// `tools/call` that must be refused → its `error` string.
    fn refused(&mut self, tool: &str, args: &str) -> String {
        let r = self.call(tool, args);
        assert_eq!(r.get("isError"), Some(&Value::Bool(true)), "{}", text(&r));
        let s = r.get("structuredContent").unwrap();
        assert_eq!(s.get("success"), Some(&Value::Bool(false)));
        s.get("error").and_then(Value::as_str).unwrap().to_owned()
    }

    fn decision_count(&mut self) -> i64 {
        self.ok("nexus-attest.list_requests", "{}").get("count").and_then(Value::as_i64).unwrap()
    }
}

/// The checks a JSON Schema validator makes of a successful result against our output
/// schemas: `then.required` present, each declared property of its declared type(s).
fn conforms(schema: &Value, v: &Value) {
    let required = schema.get("then").and_then(|t| t.get("required")).and_then(Value::as_array).unwrap();
    for k in required {
        assert!(v.get(k.as_str().unwrap()).is_some(), "missing `{}` in {}", k.as_str().unwrap(), text(v));
    }
    let props = schema.get("properties").and_then(Value::as_object).unwrap();
    for (k, p) in props.iter() {
        let (Some(x), Some(t)) = (v.get(k), p.get("type")) else { continue };
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            other => other.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect(),
        };
        let actual = match x {
            Value::Number(n) if n.is_integer() => "integer",
            other => other.type_name(),
        };
        assert!(types.contains(&actual), "`{k}` is {actual}, schema says {types:?}");
    }
}

fn error_code(reply: &Value) -> i64 {
    reply.get("error").and_then(|e| e.get("code")).and_then(Value::as_i64).unwrap_or_else(|| panic!("{}", text(reply)))
}

const ALICE: &str = r#"{"type": "human", "id": "alice"}"#;
const BOB: &str = r#"{"type": "human", "id": "bob"}"#;

#[test]
fn version_negotiation() {
    for v in PROTOCOL_VERSIONS {
        let mut s = Session::new(1 << 20);
        let r = s.request(
            "initialize",
            &format!(
                r#"{{"protocolVersion": "{v}", "capabilities": {{}}, "clientInfo": {{"name": "t", "version": "1"}}}}"#
            ),
        );
        let result = r.get("result").unwrap();
        assert_eq!(result.get("protocolVersion").and_then(Value::as_str), Some(v));
        assert_eq!(result.get("serverInfo").and_then(|i| i.get("name")).and_then(Value::as_str), Some("nexus-attest"));
        assert!(result.get("capabilities").and_then(|c| c.get("tools")).is_some());
    }
    for v in ["1999-01-01", "2026-07-28"] {
        let mut s = Session::new(1 << 20);
        let r = s.request(
            "initialize",
            &format!(
                r#"{{"protocolVersion": "{v}", "capabilities": {{}}, "clientInfo": {{"name": "t", "version": "1"}}}}"#
            ),
        );
        let got = r.get("result").and_then(|x| x.get("protocolVersion")).and_then(Value::as_str);
        assert_eq!(got, Some(LATEST_PROTOCOL_VERSION));
    }
}

#[test]
fn lifecycle_is_enforced() {
    let mut s = Session::new(1 << 20);
    assert!(s.request("ping", "{}").get("result").is_some());
    assert_eq!(error_code(&s.request("tools/list", "{}")), -32600);
    assert_eq!(error_code(&s.request("server/discover", "{}")), -32601);
    assert_eq!(error_code(&s.request("initialize", r#"{"capabilities": {}}"#)), -32602);
    let init = r#"{"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}"#;
    assert!(s.request("initialize", init).get("result").is_some());
    assert_eq!(error_code(&s.request("initialize", init)), -32600);
    assert_eq!(error_code(&s.request("resources/list", "{}")), -32601);
    assert!(s.request("tools/list", "{}").get("result").is_some());
    assert_eq!(error_code(&s.request("tools/list", r#"{"cursor": "x"}"#)), -32602);
}

#[test]
fn malformed_messages_get_json_rpc_errors() {
    let mut s = Session::initialized("2025-06-18");
    let cases: [(&str, i64, Value); 11] = [
        ("{not json", -32700, Value::Null),
        (r#"{"jsonrpc": "2.0", "id": 1, "method": "ping""#, -32700, Value::Null),
        ("42", -32600, Value::Null),
        (r#"{"id": 7, "method": "ping"}"#, -32600, Value::int(7)),
        (r#"{"jsonrpc": "1.0", "id": "a", "method": "ping"}"#, -32600, Value::str("a")),
        (r#"{"jsonrpc": "2.0", "id": 1.5, "method": "ping"}"#, -32600, Value::Null),
        (r#"{"jsonrpc": "2.0", "id": null, "method": "ping"}"#, -32600, Value::Null),
        (r#"{"jsonrpc": "2.0", "id": 8, "method": 3}"#, -32600, Value::int(8)),
        (r#"{"jsonrpc": "2.0", "id": 9, "method": "ping", "params": 5}"#, -32600, Value::int(9)),
        (r#"{"jsonrpc": "2.0", "id": 10, "method": "ping", "params": []}"#, -32602, Value::int(10)),
        (r#"[{"jsonrpc": "2.0", "id": 11, "method": "ping"}]"#, -32600, Value::Null),
    ];
    for (line, code, id) in cases {
        let r = s.raw(line).unwrap_or_else(|| panic!("no reply to {line}"));
        assert_eq!(error_code(&r), code, "{line}");
        assert_eq!(r.get("id"), Some(&id), "{line}");
        assert_eq!(r.get("jsonrpc").and_then(Value::as_str), Some("2.0"));
    }
    // Notifications and responses are never answered, even when unknown or odd.
    for line in [
        r#"{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}"#,
        r#"{"jsonrpc": "2.0", "method": "no/such/notification"}"#,
        r#"{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "nexus-attest.request"}}"#,
        r#"{"jsonrpc": "2.0", "id": 99, "result": {}}"#,
        r#"{"method": "notifications/initialized"}"#,
        r#"{"jsonrpc": "2.0", "method": "notifications/progress", "params": 5}"#,
        "",
        "   ",
    ] {
        assert_eq!(s.raw(line), None, "{line}");
    }
    assert_eq!(s.decision_count(), 0);
}

#[test]
fn batches_only_in_2025_03_26() {
    let mut s = Session::initialized("2025-03-26");
    let r = s
        .raw(r#"[{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "method": "notifications/initialized"}, {"jsonrpc": "2.0", "id": 2, "method": "nope"}]"#)
        .unwrap();
    let replies = r.as_array().unwrap();
    assert_eq!(replies.len(), 2);
    assert!(replies[0].get("result").is_some());
    assert_eq!(error_code(&replies[1]), -32601);
    assert_eq!(error_code(&s.raw("[]").unwrap()), -32600);
    assert_eq!(s.raw(r#"[{"jsonrpc": "2.0", "method": "notifications/initialized"}]"#), None);
}

#[test]
fn oversized_lines_are_refused_and_skipped() {
    let mut s = Session::new(256);
    let big =
        format!(r#"{{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {{"pad": "{}"}}}}"#, "x".repeat(1000));
    let r = s.raw(&big).unwrap();
    assert_eq!(error_code(&r), -32600);
    assert_eq!(r.get("id"), Some(&Value::Null));
    assert!(s.request("ping", "{}").get("result").is_some());
}

#[test]
fn tools_list_by_version() {
    let mut s = Session::initialized("2025-06-18");
    let r = s.request("tools/list", "{}");
    let tools = r.get("result").and_then(|x| x.get("tools")).and_then(Value::as_array).unwrap().to_vec();
    assert_eq!(tools.len(), 18);
    for t in &tools {
        let input = t.get("inputSchema").unwrap();
        assert_eq!(input.get("type").and_then(Value::as_str), Some("object"));
        assert_eq!(input.get("additionalProperties"), Some(&Value::Bool(false)));
        assert_eq!(t.get("outputSchema").and_then(|o| o.get("type")).and_then(Value::as_str), Some("object"));
        assert!(t.get("title").is_some() && t.get("annotations").is_some());
    }
    let mut old = Session::initialized("2024-11-05");
    let r = old.request("tools/list", "{}");
    let tools = r.get("result").and_then(|x| x.get("tools")).and_then(Value::as_array).unwrap().to_vec();
    for t in &tools {
        assert!(t.get("outputSchema").is_none() && t.get("title").is_none() && t.get("annotations").is_none());
    }
    let mut old_call = Session::initialized("2024-11-05");
    let r = old_call.call("nexus-attest.list_requests", "{}");
    assert!(r.get("structuredContent").is_none());
    assert!(r.get("content").is_some());
}

#[test]
fn refused_calls_are_tool_errors_and_write_nothing() {
    let mut s = Session::initialized("2025-11-25");
    let bad_args: Vec<(&str, String, &str)> = vec![
        ("nexus-attest.request", r#"{"goal": "x"}"#.to_owned(), "`actor` is required"),
        ("nexus-attest.request", format!(r#"{{"goal": 5, "actor": {ALICE}}}"#), "`goal` must be a non-empty string"),
        (
            "nexus-attest.request",
            format!(r#"{{"goal": "x", "actor": {ALICE}, "min_approvals": "2"}}"#),
            "`min_approvals` must be an integer >= 1",
        ),
        (
            "nexus-attest.request",
            format!(r#"{{"goal": "x", "actor": {ALICE}, "min_approvals": 0}}"#),
            "`min_approvals` must be an integer >= 1",
        ),
        (
            "nexus-attest.request",
            format!(r#"{{"goal": "x", "actor": {ALICE}, "mode": "yolo"}}"#),
            "`mode` must be one of",
        ),
        (
            "nexus-attest.request",
            format!(r#"{{"goal": "x", "actor": {ALICE}, "extra": 1}}"#),
            "unknown argument `extra`",
        ),
        (
            "nexus-attest.request",
            r#"{"goal": "x", "actor": {"type": "robot", "id": "r"}}"#.to_owned(),
            "`actor.type` must be one of",
        ),
        ("nexus-attest.template.create", format!(r#"{{"name": "bad name", "actor": {ALICE}}}"#), "`name` must match"),
        (
            "nexus-attest.template.create",
            format!(r#"{{"name": "t", "actor": {ALICE}, "allowed_modes": ["apply", "apply"]}}"#),
            "must not repeat",
        ),
        (
            "nexus-attest.approve",
            format!(r#"{{"request_id": "not-a-uuid", "actor": {ALICE}}}"#),
            "`request_id` must be a UUID",
        ),
        ("nexus-attest.template.list", r#"{"limit": 0}"#.to_owned(), "`limit` must be an integer from 1 to 1000"),
        ("nexus-attest.import_bundle", r#"{"bundle": "nope"}"#.to_owned(), "`bundle` must be a JSON object"),
    ];
    for (tool, args, want) in bad_args {
        let e = s.refused(tool, &args);
        assert!(e.starts_with("INVALID_ARGUMENT: "), "{e}");
        assert!(e.contains(want), "{tool} {args}: {e}");
    }
    // Refused by the engine, with the original's message and the code in `_meta`.
    let r = s.call(
        "nexus-attest.approve",
        &format!(r#"{{"request_id": "00000000-0000-4000-8000-000000000000", "actor": {ALICE}}}"#),
    );
    assert_eq!(r.get("isError"), Some(&Value::Bool(true)));
    assert_eq!(
        r.get("structuredContent").and_then(|c| c.get("error")).and_then(Value::as_str),
        Some("Decision not found: 00000000-0000-4000-8000-000000000000")
    );
    assert_eq!(
        r.get("_meta").and_then(|m| m.get("nexus-attest/code")).and_then(Value::as_str),
        Some("DECISION_NOT_FOUND")
    );
    let e = s.refused("nexus-attest.template.get", r#"{"name": "nope"}"#);
    assert_eq!(e, "TEMPLATE_NOT_FOUND: Template 'nope' does not exist");
    // Unknown tools and non-object arguments are protocol errors.
    let r = s.request("tools/call", r#"{"name": "nexus-attest.nope", "arguments": {}}"#);
    assert_eq!(error_code(&r), -32602);
    let r = s.request("tools/call", r#"{"name": "nexus-attest.request", "arguments": [1]}"#);
    assert_eq!(error_code(&r), -32602);
    let r = s.request("tools/call", r#"{"arguments": {}}"#);
    assert_eq!(error_code(&r), -32602);
    assert_eq!(s.decision_count(), 0);
    assert_eq!(s.ok("nexus-attest.template.list", "{}").get("count"), Some(&Value::int(0)));
}

#[test]
fn whole_flow_in_process() {
    let mut s = Session::initialized("2025-06-18");
    let r = s.ok(
        "nexus-attest.request",
        &format!(r#"{{"goal": "Rotate keys", "actor": {ALICE}, "mode": "dry_run", "min_approvals": 2}}"#),
    );
    let id = r.get("request_id").and_then(Value::as_str).unwrap().to_owned();
    for who in [ALICE, BOB] {
        s.ok("nexus_attest_approve", &format!(r#"{{"request_id": "{id}", "actor": {who}, "comment": "ok"}}"#));
    }
    let e = s.ok(
        "nexus-control.execute",
        &format!(r#"{{"request_id": "{id}", "adapter_id": "subprocess:mcpt:rotate", "actor": {{"type": "system", "id": "scheduler"}}}}"#),
    );
    assert_eq!(e.get("mode").and_then(Value::as_str), Some("dry_run"));
    let e2 = s.refused(
        "nexus-attest.execute",
        &format!(r#"{{"request_id": "{id}", "adapter_id": "subprocess:mcpt:rotate", "actor": {{"type": "system", "id": "scheduler"}}}}"#),
    );
    assert!(e2.starts_with("ALREADY_EXECUTED: "), "{e2}");
    let call = s.call(
        "nexus-attest.export_audit_package",
        &format!(r#"{{"decision_id": "{id}", "embed_router_bundle": true}}"#),
    );
    let content = call.get("content").and_then(Value::as_array).unwrap();
    assert_eq!(content.len(), 2, "rendered text, then the JSON");
    let p = call.get("structuredContent").unwrap();
    let package = p.get("package").unwrap();
    assert_eq!(package.get("router").and_then(|r| r.get("mode")).and_then(Value::as_str), Some("embedded"));
    let digest = p.get("digest").and_then(Value::as_str).unwrap().to_owned();
    let v = s.ok(
        "nexus-attest.verify_audit_package",
        &format!(r#"{{"package": {}, "expect_binding": "{digest}"}}"#, text(package)),
    );
    assert_eq!(v.get("ok"), Some(&Value::Bool(true)), "{}", text(&v));
    assert_eq!(v.get("reference_ok"), Some(&Value::Bool(true)));
    // A tampered package is verified (ok: false), not refused; a non-package is refused.
    let tampered = text(package).replacen("Rotate keys", "Rotate all keys", 1);
    let v = s.ok("nexus-attest.verify_audit_package", &format!(r#"{{"package": {tampered}}}"#));
    assert_eq!(v.get("ok"), Some(&Value::Bool(false)));
    let e = s.refused("nexus-attest.verify_audit_package", r#"{"package": {}}"#);
    assert!(e.starts_with("SHAPE_MISSING_KEY: "), "{e}");

    // attest_sign: refused without a key; with one, its attestation makes the package
    // pass verification with trust, and only for that key.
    let pkg = text(package);
    let no_key = s.refused("nexus-attest.attest_sign", &format!(r#"{{"package": {pkg}}}"#));
    assert!(no_key.starts_with("ATTEST_KEY_NOT_CONFIGURED: "), "{no_key}");
    let key = nexus_attest::witness::SigningKey::from_seed(&[7; 32]);
    let public = key.public_key_hex();
    s.server.runtime.attest = Some(super::AttestSetup { key, attestor: "ci".to_owned() });
    let a = s.ok("nexus-attest.attest_sign", &format!(r#"{{"package": {pkg}, "claims": ["reviewed"]}}"#));
    assert_eq!(a.get("binding_digest").and_then(Value::as_str), Some(digest.as_str()));
    assert_eq!(a.get("public_key").and_then(Value::as_str), Some(public.as_str()));
    let att = text(a.get("attestation").unwrap());
    let trusted = s.ok(
        "nexus-attest.verify_audit_package",
        &format!(r#"{{"package": {pkg}, "attestations": [{att}], "trusted_keys": ["{public}"]}}"#),
    );
    assert_eq!(trusted.get("ok"), Some(&Value::Bool(true)), "{}", text(&trusted));
    let other = nexus_attest::witness::SigningKey::from_seed(&[8; 32]).public_key_hex();
    let untrusted = s.ok(
        "nexus-attest.verify_audit_package",
        &format!(r#"{{"package": {pkg}, "attestations": [{att}], "trusted_keys": ["{other}"]}}"#),
    );
    assert_eq!(untrusted.get("ok"), Some(&Value::Bool(false)));
    let not_verified = s.refused("nexus-attest.attest_sign", &format!(r#"{{"package": {tampered}}}"#));
    assert!(not_verified.starts_with("PACKAGE_NOT_VERIFIED: "), "{not_verified}");
    let st = s.ok("nexus-attest.status", &format!(r#"{{"request_id": "{id}", "include_events": true}}"#));
    assert_eq!(st.get("state").and_then(Value::as_str), Some("completed"));
    let i = s.ok("nexus-attest.inspect", &format!(r#"{{"decision_id": "{id}", "include_events": true}}"#));
    assert!(i.get("rendered").is_some());
    let b = s.ok("nexus-attest.export_bundle", &format!(r#"{{"decision_id": "{id}"}}"#));
    let bundle = text(b.get("bundle").unwrap());
    let imported =
        s.ok("nexus-attest.import_bundle", &format!(r#"{{"bundle": {bundle}, "conflict_mode": "new_decision_id"}}"#));
    assert_eq!(imported.get("ok"), Some(&Value::Bool(true)));
    let e = s.refused("nexus-attest.import_bundle", &format!(r#"{{"bundle": {bundle}, "conflict_mode": "merge"}}"#));
    assert!(e.starts_with("CONFLICT_MODE_INVALID: "), "{e}");
    assert_eq!(s.decision_count(), 2);
}

#[test]
fn templates_and_revocation() {
    let mut s = Session::initialized("2025-11-25");
    let t = s.ok(
        "nexus-attest.template.create",
        &format!(
            r#"{{"name": "prod-deploy", "actor": {ALICE}, "description": "Production", "min_approvals": 2, "allowed_modes": ["dry_run", "apply"], "labels": ["prod"]}}"#
        ),
    );
    assert_eq!(t.get("template_name").and_then(Value::as_str), Some("prod-deploy"));
    s.ok("nexus-control.template.get", r#"{"name": "prod-deploy", "include_events": true}"#);
    let l = s.ok("nexus_attest_template_list", r#"{"label_filter": "prod"}"#);
    assert_eq!(l.get("count"), Some(&Value::int(1)));
    // A policy argument not passed stays the template's; one passed is an override.
    let r = s.ok(
        "nexus-attest.request",
        &format!(r#"{{"goal": "Deploy", "actor": {ALICE}, "template_name": "prod-deploy"}}"#),
    );
    assert_eq!(r.get("min_approvals"), Some(&Value::int(2)));
    assert!(r.get("overrides_applied").is_none(), "{}", text(&r));
    let r = s.ok(
        "nexus-attest.request",
        &format!(r#"{{"goal": "Deploy", "actor": {ALICE}, "template_name": "prod-deploy", "min_approvals": 3.0}}"#),
    );
    assert_eq!(r.get("min_approvals"), Some(&Value::int(3)));
    let id = r.get("request_id").and_then(Value::as_str).unwrap().to_owned();
    s.ok(
        "nexus-attest.approve",
        &format!(r#"{{"request_id": "{id}", "actor": {BOB}, "expires_at": "2999-01-01T00:00:00Z"}}"#),
    );
    let v = s.ok(
        "nexus-attest.revoke_approval",
        &format!(r#"{{"request_id": "{id}", "actor": {BOB}, "reason": "changed my mind"}}"#),
    );
    assert_eq!(v.get("current_approvals"), Some(&Value::int(0)));
    let e = s.refused("nexus-attest.revoke_approval", &format!(r#"{{"request_id": "{id}", "actor": {BOB}}}"#));
    assert!(e.contains("already revoked"), "{e}");
    let e = s.refused("nexus-attest.template.create", &format!(r#"{{"name": "prod-deploy", "actor": {ALICE}}}"#));
    assert!(e.starts_with("TEMPLATE_ALREADY_EXISTS: "), "{e}");
}

#[test]
fn witness_queue_tools() {
    let mut s = Session::initialized("2025-11-25");
    let intent = r#"{"intent_version": "0.1", "subject_type": "nexus.audit_package", "binding_digest": "sha256:e58bb2d469adf646425aac4268f5ceb6e5fd014c85430e8c06081b13362147e3", "env": "prod"}"#;
    let added = s.ok(
        "nexus-attest.queue_intent",
        &format!(r#"{{"intent": {intent}, "created_at": "2025-01-15T12:00:00+00:00"}}"#),
    );
    let id = added.get("queue_id").and_then(Value::as_str).unwrap().to_owned();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    assert_eq!(added.get("entry").and_then(|e| e.get("status")).and_then(Value::as_str), Some("PENDING"));
    // idempotent: the first entry is kept
    let again = s.ok("nexus-attest.queue_intent", &format!(r#"{{"intent": {intent}}}"#));
    assert_eq!(
        again.get("entry").and_then(|e| e.get("created_at")).and_then(Value::as_str),
        Some("2025-01-15T12:00:00+00:00")
    );

    let all = s.ok("nexus-attest.queue_status", "{}");
    assert_eq!(all.get("entries").and_then(Value::as_array).map(<[Value]>::len), Some(1));
    let confirmed = s.ok("nexus-attest.queue_status", r#"{"status": "CONFIRMED"}"#);
    assert_eq!(confirmed.get("entries").and_then(Value::as_array).map(<[Value]>::len), Some(0));
    let one = s.ok("nexus-attest.queue_status", &format!(r#"{{"queue_id": "{}"}}"#, &id[7..]));
    assert_eq!(one.get("entries").and_then(Value::as_array).map(<[Value]>::len), Some(1));
    let missing = s.refused("nexus-attest.queue_status", r#"{"queue_id": "sha256:00"}"#);
    assert!(missing.starts_with("QUEUE_NOT_FOUND: "), "{missing}");

    let n = s.ok("nexus-attest.narrative", &format!(r#"{{"intent_digest": "{id}"}}"#));
    assert_eq!(n.get("ok"), Some(&Value::Bool(true)));
    let report = n.get("report").unwrap();
    assert_eq!(report.get("current_status").and_then(Value::as_str), Some("PENDING"));
    assert_eq!(nexus_attest::witness::verify_narrative_value(report).status.as_str(), "PASS");
    let unknown = s.ok("nexus-attest.narrative", r#"{"intent_digest": "sha256:00"}"#);
    assert_eq!(unknown.get("ok"), Some(&Value::Bool(false)));

    // A bad intent is refused with the intent's own code, and nothing is queued.
    let bad = s.refused("nexus-attest.queue_intent", r#"{"intent": {"intent_version": "0.1"}}"#);
    assert!(!bad.is_empty());
    let all = s.ok("nexus-attest.queue_status", "{}");
    assert_eq!(all.get("entries").and_then(Value::as_array).map(<[Value]>::len), Some(1));
}
