//! The subprocess adapter with real child processes (tests/adapters/mock_adapter.sh):
//! success, every error code, timeouts that kill the process group, oversized output.

use std::time::{Duration, Instant};

use attest_router::{Adapter, AdapterError, ErrorKind, Map, SubprocessAdapter, SubprocessConfig, Value};

use crate::common::{json, mock};

fn adapter(f: impl FnOnce(&mut SubprocessConfig)) -> SubprocessAdapter {
    let mut c = mock("subprocess:mock:test");
    f(&mut c);
    SubprocessAdapter::new(c).unwrap()
}

fn args(text: &str) -> Map {
    json(text).as_object().unwrap().clone()
}

fn fail(a: &SubprocessAdapter, method: &str) -> AdapterError {
    let e = a.call("tool", method, &Map::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Operational, "{e}");
    assert_eq!(e.details().get("args_digest").and_then(Value::as_str).map(str::len), Some(12), "{e}");
    e
}

fn detail<'a>(e: &'a AdapterError, key: &str) -> &'a Value {
    e.details().get(key).unwrap_or_else(|| panic!("no {key} in {:?}", e.details()))
}

#[test]
fn success_passes_the_args_file_and_parses_stdout() {
    let a = adapter(|_| {});
    let out = a.call("db", "echo", &args(r#"{"name": "prod", "note": "café", "n": 1.0}"#)).unwrap();
    assert_eq!(out.get("tool"), Some(&Value::str("db")));
    // The args file is router JSON (keys sorted, non-ASCII escaped), mode 0600.
    assert_eq!(out.get("file_mode"), Some(&Value::str("600")));
    let payload = out.get("payload").unwrap();
    assert_eq!(
        attest_router::router_json(payload),
        r#"{"args":{"n":1.0,"name":"prod","note":"caf\u00e9"},"method":"echo","tool":"db"}"#
    );
    assert!(!a.last_cleanup_failed());
}

#[test]
fn the_args_file_is_removed_after_the_call() {
    let a = adapter(|_| {});
    let out = a.call("t", "file", &Map::new()).unwrap();
    let path = out.get("args_file").and_then(Value::as_str).unwrap();
    assert!(path.contains("nexus-router-args-") && path.ends_with(".json"), "{path}");
    assert!(!std::path::Path::new(path).exists());
}

#[test]
fn stdin_is_empty_env_and_cwd_apply() {
    let dir = std::env::temp_dir();
    let a = adapter(|c| {
        c.env.push(("MOCK_VAR".into(), "from-config".into()));
        c.cwd = Some(dir.clone());
    });
    assert_eq!(a.call("t", "stdin", &Map::new()).unwrap().get("stdin"), Some(&Value::str("eof")));
    assert_eq!(a.call("t", "env", &Map::new()).unwrap().get("value"), Some(&Value::str("from-config")));
    let cwd = a.call("t", "cwd", &Map::new()).unwrap();
    assert_eq!(
        std::fs::canonicalize(cwd.get("cwd").and_then(Value::as_str).unwrap()).unwrap(),
        std::fs::canonicalize(&dir).unwrap()
    );
}

#[test]
fn timeout_kills_the_child_and_reports_partial_output() {
    let a = adapter(|c| c.timeout_s = 0.5);
    let start = Instant::now();
    let e = fail(&a, "partial");
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    assert_eq!(e.code(), "TIMEOUT");
    assert_eq!(e.message(), "Command timed out after 0.5s");
    assert_eq!(detail(&e, "cmd_first_token"), &Value::str("sh"));
    assert_eq!(detail(&e, "timeout_s").as_number().unwrap().to_f64_lossy(), 0.5);
    // Partial output, redacted.
    assert_eq!(detail(&e, "stdout_excerpt"), &Value::str("progress password=[REDACTED]\n"));
    assert_eq!(detail(&e, "stderr_excerpt"), &Value::str("still going\n"));
}

#[test]
fn timeout_kills_the_whole_process_group() {
    // The grandchild inherits stdout; unless the group is killed it outlives the call.
    let pidfile = std::env::temp_dir().join(format!("attest-router-grandchild-{}", std::process::id()));
    let a = adapter(|c| {
        c.timeout_s = 0.3;
        c.env.push(("MOCK_PIDFILE".into(), pidfile.display().to_string()));
    });
    let start = Instant::now();
    assert_eq!(fail(&a, "grandchild").code(), "TIMEOUT");
    assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_owned();
    let _ = std::fs::remove_file(&pidfile);
    let gone = || match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A zombie waiting for its new parent to reap it is dead too.
        Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    while !gone() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(gone(), "grandchild {pid} survived the timeout");
}

#[test]
fn crash_is_nonzero_exit_with_redacted_stderr() {
    let e = fail(&adapter(|_| {}), "crash");
    assert_eq!(e.code(), "NONZERO_EXIT");
    assert_eq!(e.message(), "Command exited with code 3");
    assert_eq!(detail(&e, "returncode"), &Value::int(3));
    assert_eq!(detail(&e, "stderr_excerpt"), &Value::str("fatal: api_key=[REDACTED] boom\n"));
}

#[test]
fn death_by_signal_is_a_negative_exit_code() {
    let e = fail(&adapter(|_| {}), "signal");
    assert_eq!(e.code(), "NONZERO_EXIT");
    assert_eq!(e.message(), "Command exited with code -9");
}

#[test]
fn garbage_and_non_objects_are_invalid_json_output() {
    let a = adapter(|_| {});
    let e = fail(&a, "garbage");
    assert_eq!(e.code(), "INVALID_JSON_OUTPUT");
    assert!(e.message().starts_with("Invalid JSON output: "), "{}", e.message());
    assert_eq!(detail(&e, "stdout_head"), &Value::str("this is not json\n"));
    assert_eq!(detail(&e, "stdout_len"), &Value::int(17));
    assert!(e.details().get("stdout_tail").is_none());
    assert_eq!(fail(&a, "empty").code(), "INVALID_JSON_OUTPUT");
    for (method, ty) in [("list", "list"), ("number", "int")] {
        let e = fail(&a, method);
        assert_eq!(e.code(), "INVALID_JSON_OUTPUT");
        assert_eq!(e.message(), format!("Output is not a JSON object: {ty}"));
    }
    // nexus-router would store bare NaN tokens; here they are refused.
    assert_eq!(fail(&a, "nan").code(), "INVALID_JSON_OUTPUT");
    let e = fail(&a, "nonutf8");
    assert_eq!(e.code(), "INVALID_JSON_OUTPUT");
    assert!(e.message().contains("utf-8"), "{}", e.message());
}

#[test]
fn oversized_output_is_refused_and_the_child_killed() {
    let a = adapter(|c| c.max_output_bytes = 64 * 1024);
    let start = Instant::now();
    let e = fail(&a, "flood");
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    assert_eq!(e.code(), "OUTPUT_TOO_LARGE");
    assert_eq!(e.message(), "Output exceeded 65536 bytes");
    assert_eq!(detail(&e, "stdout_head").as_str().map(|s| s.chars().count()), Some(500));
    // Within the limit, large output is fine.
    let big = adapter(|c| c.max_output_bytes = 1024 * 1024).call("t", "big", &Map::new()).unwrap();
    assert_eq!(big.get("blob").and_then(Value::as_str).map(str::len), Some(300_000));
    // Invalid output longer than 700 characters gets a head and a tail.
    let e = fail(&adapter(|c| c.max_output_bytes = 1024 * 1024), "big_broken");
    assert_eq!(e.code(), "INVALID_JSON_OUTPUT");
    assert_eq!(detail(&e, "stdout_len"), &Value::int(2001));
    assert_eq!(detail(&e, "stdout_head").as_str().map(str::len), Some(500));
    assert_eq!(detail(&e, "stdout_tail").as_str().map(str::len), Some(200));
}

#[test]
fn strict_stderr_fails_a_noisy_success() {
    let lax = adapter(|_| {});
    assert_eq!(lax.call("t", "stderr", &Map::new()).unwrap().get("ok"), Some(&Value::Bool(true)));
    let strict = adapter(|c| c.strict_stderr = true);
    let e = fail(&strict, "stderr");
    assert_eq!(e.code(), "STDERR_ON_SUCCESS");
    assert_eq!(e.message(), "Command produced stderr output (strict_stderr mode)");
    assert_eq!(detail(&e, "stderr_excerpt"), &Value::str("warning: token=[REDACTED] leaked\n"));
    let unredacted = adapter(|c| {
        c.strict_stderr = true;
        c.redact = false;
    });
    assert_eq!(detail(&fail(&unredacted, "stderr"), "stderr_excerpt"), &Value::str("warning: token=abc123 leaked\n"));
}

#[test]
fn spawn_failures_have_their_codes() {
    let missing = SubprocessAdapter::new(SubprocessConfig::new(["/nonexistent/tool-xyz"])).unwrap();
    let e = fail(&missing, "x");
    assert_eq!(e.code(), "COMMAND_NOT_FOUND");
    assert_eq!(e.message(), "Command not found: /nonexistent/tool-xyz");

    let dir = std::env::temp_dir().join(format!("attest-router-perm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_exec = dir.join("not-executable");
    std::fs::write(&not_exec, "#!/bin/sh\necho '{}'\n").unwrap();
    let denied = SubprocessAdapter::new(SubprocessConfig::new([not_exec.display().to_string()])).unwrap();
    let e = fail(&denied, "x");
    assert_eq!(e.code(), "PERMISSION_DENIED");
    assert_eq!(e.message(), format!("Permission denied executing command: {}", not_exec.display()));

    let mut c = mock("m");
    c.cwd = Some(dir.join("missing"));
    let e = fail(&SubprocessAdapter::new(c).unwrap(), "x");
    assert_eq!(e.code(), "CWD_NOT_FOUND");
    assert_eq!(e.message(), format!("Working directory not found: {}", dir.join("missing").display()));
    let mut c = mock("m");
    c.cwd = Some(not_exec.clone());
    assert_eq!(fail(&SubprocessAdapter::new(c).unwrap(), "x").code(), "CWD_NOT_DIRECTORY");
    let mut c = mock("m");
    c.env.push(("BAD=KEY".into(), "v".into()));
    let e = fail(&SubprocessAdapter::new(c).unwrap(), "x");
    assert_eq!(e.code(), "ENV_INVALID");
    assert_eq!(e.message(), "Invalid env variable: key and value must be strings");

    let mut c = mock("m");
    c.temp_dir = Some(dir.join("no-such-dir"));
    assert_eq!(fail(&SubprocessAdapter::new(c).unwrap(), "x").code(), "ARGS_FILE_FAILED");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_adapter_declares_nexus_router_capabilities_and_redaction() {
    let a = adapter(|_| {});
    assert_eq!(a.adapter_kind(), "subprocess");
    assert_eq!(a.capabilities().iter().collect::<Vec<_>>(), ["apply", "external", "timeout"]);
    let red = a.redact_args(&args(r#"{"api_key": "s3cret", "user": "bob"}"#)).unwrap();
    assert_eq!(red.get("api_key"), Some(&Value::str("[REDACTED]")));
    let derived = SubprocessAdapter::new(SubprocessConfig::new(["python", "-m", "mcpt.cli"])).unwrap();
    assert!(derived.adapter_id().starts_with("subprocess:python:"));
}
