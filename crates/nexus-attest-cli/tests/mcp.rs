//! `nexus-attest mcp` as a separate process, driven by a small newline-delimited
//! JSON-RPC client: the handshake, `tools/list`, the whole flow on SQLite and redb, the
//! nexus-router bridge with a real subprocess adapter, protocol and tool errors that
//! leave the store untouched, and a clean exit at end of input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use nexus_attest::verify::canonical::to_display_string;
use nexus_attest::verify::json::{self, Value};

const TOOLS: [&str; 18] = [
    "nexus-attest.request",
    "nexus-attest.approve",
    "nexus-attest.revoke_approval",
    "nexus-attest.execute",
    "nexus-attest.status",
    "nexus-attest.inspect",
    "nexus-attest.list_requests",
    "nexus-attest.template.create",
    "nexus-attest.template.get",
    "nexus-attest.template.list",
    "nexus-attest.export_bundle",
    "nexus-attest.import_bundle",
    "nexus-attest.export_audit_package",
    "nexus-attest.verify_audit_package",
    "nexus-attest.queue_intent",
    "nexus-attest.queue_status",
    "nexus-attest.narrative",
    "nexus-attest.attest_sign",
];

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let p = std::env::temp_dir().join(format!("nexus-attest-mcp-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server process and our end of its stdio.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: i64,
    stderr_path: PathBuf,
}

fn text(v: &Value) -> String {
    to_display_string(v, None)
}

fn parse(s: &str) -> Value {
    json::parse(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

impl Client {
    fn spawn(dir: &Path, args: &[&str]) -> Client {
        let stderr_path = dir.join(format!("server-{}.log", args.join("_").replace(['/', '.'], "")));
        let mut child = Command::new(env!("CARGO_BIN_EXE_nexus-attest"))
            .arg("mcp")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Client { child, stdin, stdout, next_id: 0, stderr_path }
    }

    fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// One line of stdout, which must be one JSON-RPC message.
    fn read(&mut self) -> Value {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).unwrap();
        assert!(n > 0, "the server closed stdout; its log:\n{}", std::fs::read_to_string(&self.stderr_path).unwrap());
        assert!(line.ends_with('\n'));
        let v = parse(line.trim_end_matches('\n'));
        assert_eq!(v.get("jsonrpc").and_then(Value::as_str), Some("2.0"), "{line}");
        v
    }

    fn request(&mut self, method: &str, params: &str) -> Value {
        self.next_id += 1;
        self.send_line(&format!(
            r#"{{"jsonrpc": "2.0", "id": {}, "method": "{method}", "params": {params}}}"#,
            self.next_id
        ));
        let r = self.read();
        assert_eq!(r.get("id"), Some(&Value::int(self.next_id)), "{}", text(&r));
        r
    }

    fn initialize(&mut self) {
        let r = self.request(
            "initialize",
            r#"{"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "it", "version": "0"}}"#,
        );
        let result = r.get("result").unwrap_or_else(|| panic!("{}", text(&r)));
        assert_eq!(result.get("protocolVersion").and_then(Value::as_str), Some("2025-06-18"));
        self.send_line(r#"{"jsonrpc": "2.0", "method": "notifications/initialized"}"#);
    }

    fn call(&mut self, tool: &str, args: &str) -> Value {
        let r = self.request("tools/call", &format!(r#"{{"name": "{tool}", "arguments": {args}}}"#));
        r.get("result").cloned().unwrap_or_else(|| panic!("{}", text(&r)))
    }

    fn ok(&mut self, tool: &str, args: &str) -> Value {
        let r = self.call(tool, args);
        assert_eq!(r.get("isError"), Some(&Value::Bool(false)), "{tool}: {}", text(&r));
        let s = r.get("structuredContent").cloned().unwrap();
        // The text content carries the same object.
        let content = r.get("content").and_then(Value::as_array).unwrap();
        let last = content.last().and_then(|c| c.get("text")).and_then(Value::as_str).unwrap();
        assert_eq!(parse(last), s);
        s
    }

    fn refused(&mut self, tool: &str, args: &str) -> String {
        let r = self.call(tool, args);
        assert_eq!(r.get("isError"), Some(&Value::Bool(true)), "{tool}: {}", text(&r));
        r.get("structuredContent").and_then(|s| s.get("error")).and_then(Value::as_str).unwrap().to_owned()
    }

    /// Close stdin and wait: the server must exit 0 without writing anything more.
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stdout, &mut rest).unwrap();
        assert_eq!(rest, "", "nothing after the last reply");
        let status = self.child.wait().unwrap();
        let log = std::fs::read_to_string(&self.stderr_path).unwrap();
        assert_eq!(status.code(), Some(0), "{log}");
        log
    }
}

fn error_code(r: &Value) -> i64 {
    r.get("error").and_then(|e| e.get("code")).and_then(Value::as_i64).unwrap_or_else(|| panic!("{}", text(r)))
}

fn field(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_else(|| panic!("no `{k}` in {}", text(v))).to_owned()
}

const ALICE: &str = r#"{"type": "human", "id": "alice"}"#;
const BOB: &str = r#"{"type": "human", "id": "bob"}"#;
const SCHEDULER: &str = r#"{"type": "system", "id": "scheduler"}"#;

/// request → approve ×2 → execute → export_audit_package (embedded) → verify; returns
/// the package.
fn flow(c: &mut Client, mode: &str, adapter: &str, plan: Option<&str>) -> Value {
    let plan = plan.map(|p| format!(r#", "plan": {}"#, text(&Value::str(p)))).unwrap_or_default();
    let r = c.ok(
        "nexus-attest.request",
        &format!(
            r#"{{"goal": "Rotate keys", "actor": {ALICE}, "mode": "{mode}", "allowed_modes": ["{mode}"], "min_approvals": 2{plan}}}"#
        ),
    );
    let id = field(&r, "request_id");
    assert_eq!(field(&r, "state"), "pending_approval");
    for who in [ALICE, BOB] {
        c.ok("nexus-attest.approve", &format!(r#"{{"request_id": "{id}", "actor": {who}}}"#));
    }
    let e = c.ok(
        "nexus-attest.execute",
        &format!(r#"{{"request_id": "{id}", "adapter_id": "{adapter}", "actor": {SCHEDULER}}}"#),
    );
    assert_eq!(field(&e, "mode"), mode);
    let p = c
        .ok("nexus-attest.export_audit_package", &format!(r#"{{"decision_id": "{id}", "embed_router_bundle": true}}"#));
    let package = p.get("package").cloned().unwrap();
    assert_eq!(package.get("router").and_then(|r| r.get("mode")).and_then(Value::as_str), Some("embedded"));
    let v = c.ok(
        "nexus-attest.verify_audit_package",
        &format!(r#"{{"package": {}, "expect_binding": "{}"}}"#, text(&package), field(&p, "digest")),
    );
    assert_eq!(v.get("ok"), Some(&Value::Bool(true)), "{}", text(&v));
    package
}

#[test]
fn handshake_tools_and_whole_flow_on_both_stores() {
    for store in ["sqlite", "redb"] {
        let dir = Dir::new(store);
        let db = dir.0.join("x.db");
        let mut c = Client::spawn(&dir.0, &["--db", db.to_str().unwrap(), "--store", store]);
        c.initialize();
        let r = c.request("tools/list", "{}");
        let tools = r.get("result").and_then(|x| x.get("tools")).and_then(Value::as_array).unwrap().to_vec();
        let names: Vec<&str> = tools.iter().filter_map(|t| t.get("name").and_then(Value::as_str)).collect();
        assert_eq!(names, TOOLS);
        for t in &tools {
            let s = t.get("inputSchema").unwrap();
            assert_eq!(s.get("type").and_then(Value::as_str), Some("object"));
            assert!(s.get("properties").and_then(Value::as_object).is_some());
            assert_eq!(s.get("additionalProperties"), Some(&Value::Bool(false)));
            let o = t.get("outputSchema").unwrap();
            assert_eq!(o.get("type").and_then(Value::as_str), Some("object"));
        }
        let package = flow(&mut c, "dry_run", "subprocess:mcpt:rotate", None);
        let log = c.finish();
        assert!(log.contains("end of input"), "{log}");
        // The exported package also verifies with the command-line verifier.
        let file = dir.0.join("package.json");
        std::fs::write(&file, text(&package)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_nexus-attest")).arg("verify").arg(&file).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn errors_leave_the_store_untouched() {
    let dir = Dir::new("errors");
    let db = dir.0.join("x.db");
    let mut c = Client::spawn(&dir.0, &["--db", db.to_str().unwrap(), "--max-request-bytes", "4096"]);
    // Before initialize: only ping and initialize.
    assert!(c.request("ping", "{}").get("result").is_some());
    assert_eq!(error_code(&c.request("tools/call", r#"{"name": "nexus-attest.status"}"#)), -32600);
    c.initialize();
    c.send_line("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ");
    let r = c.read();
    assert_eq!((error_code(&r), r.get("id")), (-32700, Some(&Value::Null)));
    c.send_line(&format!(
        r#"{{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {{"name": "nexus-attest.request", "arguments": {{"goal": "{}", "actor": {ALICE}}}}}}}"#,
        "x".repeat(10_000)
    ));
    let r = c.read();
    assert_eq!((error_code(&r), r.get("id")), (-32600, Some(&Value::Null)));
    assert_eq!(error_code(&c.request("no/such/method", "{}")), -32601);
    assert_eq!(error_code(&c.request("tools/call", r#"{"name": "nexus-attest.nope", "arguments": {}}"#)), -32602);
    assert_eq!(error_code(&c.request("tools/call", r#"{"name": "nexus-attest.request", "arguments": "x"}"#)), -32602);
    let e = c.refused("nexus-attest.request", &format!(r#"{{"goal": "x", "actor": {ALICE}, "min_approvals": "two"}}"#));
    assert!(e.starts_with("INVALID_ARGUMENT: nexus-attest.request: `min_approvals` must be an integer"), "{e}");
    let e = c.refused("nexus-attest.template.create", r#"{"name": "t", "actor": {"type": "human"}}"#);
    assert!(e.contains("`actor.id` is required"), "{e}");
    let e = c.refused("nexus-attest.execute", &format!(r#"{{"request_id": 5, "adapter_id": "a", "actor": {ALICE}}}"#));
    assert!(e.starts_with("INVALID_ARGUMENT: "), "{e}");
    let e = c.refused("nexus-attest.import_bundle", r#"{"bundle": {"bundle_version": "0.5"}}"#);
    assert!(e.starts_with("BUNDLE_INVALID_SCHEMA: "), "{e}");
    let e = c.refused("nexus-attest.export_audit_package", r#"{"decision_id": "nope"}"#);
    assert!(e.starts_with("DECISION_NOT_FOUND: "), "{e}");
    let listed = c.ok("nexus-attest.list_requests", "{}");
    assert_eq!(listed.get("count"), Some(&Value::int(0)));
    assert_eq!(c.ok("nexus-attest.template.list", "{}").get("count"), Some(&Value::int(0)));
    c.finish();
    // And from another process: nothing was written.
    let out = Command::new(env!("CARGO_BIN_EXE_nexus-attest"))
        .args(["--db", db.to_str().unwrap(), "--json", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(parse(std::str::from_utf8(&out.stdout).unwrap()).get("count"), Some(&Value::int(0)));
}

#[cfg(unix)]
#[test]
fn bridge_runs_a_subprocess_adapter_without_touching_stdout() {
    let dir = Dir::new("bridge");
    let db = dir.0.join("x.db");
    // The adapter prints to stdout (captured by the router) and stderr.
    let config = dir.0.join("adapters.json");
    let script = r#"echo "adapter says hello" >&2; echo '{"rotated": true}'"#;
    let adapters = format!(
        r#"{{"adapters": [{{"factory": "subprocess", "adapter_id": "subprocess:mcpt:rotate", "base_cmd": ["sh", "-c", {}, "sh"], "timeout_s": 10.0}}]}}"#,
        text(&Value::str(script))
    );
    std::fs::write(&config, adapters).unwrap();
    let mut c = Client::spawn(&dir.0, &["--db", db.to_str().unwrap(), "--router-config", config.to_str().unwrap()]);
    c.initialize();
    let plan = r#"[{"step_id": "s1", "intent": "rotate", "call": {"tool": "keys", "method": "rotate", "args": {"scope": "api"}}}]"#;
    let package = flow(&mut c, "apply", "subprocess:mcpt:rotate", Some(plan));
    let run = package.get("router").and_then(|r| r.get("bundle")).and_then(|b| b.get("run")).unwrap();
    assert_eq!(run.get("mode").and_then(Value::as_str), Some("apply"), "{}", text(run));
    c.finish();
}

#[test]
fn end_of_input_without_initialize_exits_zero() {
    let dir = Dir::new("eof");
    let db = dir.0.join("x.db");
    let c = Client::spawn(&dir.0, &["--db", db.to_str().unwrap()]);
    c.finish();
}

/// `verify_audit_package` with attestations: a package passes only when enough trusted
/// keys attest its binding digest.
#[test]
fn verify_with_trusted_attestations() {
    let dir = Dir::new("trust");
    let bin = env!("CARGO_BIN_EXE_nexus-attest");
    let demo = Command::new(bin).args(["demo", "--dir"]).arg(&dir.0).output().unwrap();
    assert_eq!(demo.status.code(), Some(0), "{}", String::from_utf8_lossy(&demo.stdout));
    let package_path = dir.0.join("audit-package.json");
    let keygen = |name: &str| {
        let out = Command::new(bin).args(["keygen", "--json", "-o"]).arg(dir.0.join(name)).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        parse(std::str::from_utf8(&out.stdout).unwrap()).get("public_key").and_then(Value::as_str).unwrap().to_owned()
    };
    let signer = keygen("signer.key");
    let stranger = keygen("stranger.key");
    let att_path = dir.0.join("att.json");
    let out = Command::new(bin)
        .args(["attest", "sign"])
        .arg(&package_path)
        .arg("--key")
        .arg(dir.0.join("signer.key"))
        .arg("-o")
        .arg(&att_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // one line each: messages are newline-delimited
    let package = text(&parse(&std::fs::read_to_string(&package_path).unwrap()));
    let att = text(&parse(&std::fs::read_to_string(&att_path).unwrap()));

    let mut c = Client::spawn(&dir.0, &["--db", dir.0.join("mcp.db").to_str().unwrap()]);
    c.initialize();
    let args = |key: &str, threshold: i64| {
        format!(
            r#"{{"package": {package}, "attestations": [{att}], "trusted_keys": ["{key}"], "threshold": {threshold}}}"#
        )
    };
    let trusted = c.ok("nexus-attest.verify_audit_package", &args(&signer, 1));
    assert_eq!(trusted.get("ok"), Some(&Value::Bool(true)), "{}", text(&trusted));
    assert_eq!(trusted.get("attestations").and_then(Value::as_array).map(<[Value]>::len), Some(1));
    for (key, threshold) in [(stranger.as_str(), 1), (signer.as_str(), 2)] {
        let r = c.ok("nexus-attest.verify_audit_package", &args(key, threshold));
        assert_eq!(r.get("ok"), Some(&Value::Bool(false)), "{}", text(&r));
        let checks = r.get("checks").and_then(Value::as_array).unwrap();
        let trust = checks.iter().find(|x| x.get("name") == Some(&Value::str("attestation_trust"))).unwrap();
        assert_eq!(trust.get("ok"), Some(&Value::Bool(false)));
    }
    let bad = c.refused("nexus-attest.verify_audit_package", &args("not-a-key", 1));
    assert!(bad.starts_with("INVALID_ARGUMENT: "), "{bad}");
    c.finish();
}
