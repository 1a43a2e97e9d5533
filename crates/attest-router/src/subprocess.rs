//! The subprocess adapter: nexus-router's process contract (router.md 3.8, 4.5).
//!
//! For each call the adapter writes router JSON of `{"args", "method", "tool"}` to a
//! fresh file `nexus-router-args-*.json` (created exclusively, mode 0600 on Unix), runs
//! `base_cmd + ["call", tool, method, "--json-args-file", path]` without a shell, with an
//! empty stdin and its own process group, and expects exit status 0 and one JSON object
//! on stdout. The file is removed afterwards (one retry). Every failure is an
//! operational [`AdapterError`] with nexus-router's code and message; details always
//! carry `args_digest` (first 12 hex of `H_r(args)`) and redacted excerpts.
//!
//! Differences from nexus-router, invisible to a well-behaved tool: stdin is empty
//! instead of inherited; on timeout or oversized output the whole process group is
//! killed and reaped; stdout that is not UTF-8, or that holds `NaN`/`Infinity`, is
//! `INVALID_JSON_OUTPUT`; stdout beyond `max_output_bytes` is `OUTPUT_TOO_LARGE` (a Rust
//! code: nexus-router reads without limit).

mod child;
mod redact;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use attest_verify::canonical::python_float_repr;
use attest_verify::json::{self, Map, Number, Value};
use attest_verify::Digest;

pub use redact::{redact_args, redact_text};

use crate::adapter::{Adapter, AdapterError, CAP_APPLY, CAP_EXTERNAL, CAP_TIMEOUT};
use crate::error::ConfigError;
use crate::hash::{count, obj, router_digest, router_json};
use child::Ending;

/// Default time limit of one call, in seconds.
pub const DEFAULT_TIMEOUT_S: f64 = 30.0;
/// Default limit of stdout excerpts in error details, in characters.
pub const DEFAULT_MAX_STDOUT_CHARS: usize = 200_000;
/// Default limit of stderr excerpts in error details, in characters.
pub const DEFAULT_MAX_STDERR_CHARS: usize = 50_000;
/// Default hard limit of stdout, in bytes (16 MiB).
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;

/// Configuration of one subprocess adapter. It comes from the adapter registry
/// configuration, never from a request.
#[derive(Debug, Clone, PartialEq)]
pub struct SubprocessConfig {
    /// The command and its fixed arguments (non-empty).
    pub base_cmd: Vec<String>,
    /// The adapter id; derived from `base_cmd` when `None`
    /// ([`SubprocessConfig::derived_adapter_id`]).
    pub adapter_id: Option<String>,
    /// Time limit of one call in seconds (finite, > 0); printed like Python's float in
    /// the `TIMEOUT` message.
    pub timeout_s: f64,
    /// Working directory, checked at every call.
    pub cwd: Option<PathBuf>,
    /// Variables set over the parent environment.
    pub env: Vec<(String, String)>,
    /// Limit of stdout excerpts in error details (characters).
    pub max_stdout_chars: usize,
    /// Limit of stderr excerpts in error details (characters).
    pub max_stderr_chars: usize,
    /// Hard limit of stdout (bytes); beyond it the child is killed (`OUTPUT_TOO_LARGE`).
    pub max_output_bytes: usize,
    /// Fail a successful call whose stderr is not blank (`STDERR_ON_SUCCESS`).
    pub strict_stderr: bool,
    /// Apply nexus-router's default redaction to excerpts and (when the engine redacts
    /// event arguments) to `TOOL_CALL_REQUESTED` args. On by default.
    pub redact: bool,
    /// Where args files are created (the system temporary directory by default).
    pub temp_dir: Option<PathBuf>,
}

impl SubprocessConfig {
    /// A configuration with nexus-router's defaults.
    pub fn new<S: Into<String>>(base_cmd: impl IntoIterator<Item = S>) -> SubprocessConfig {
        SubprocessConfig {
            base_cmd: base_cmd.into_iter().map(Into::into).collect(),
            adapter_id: None,
            timeout_s: DEFAULT_TIMEOUT_S,
            cwd: None,
            env: Vec::new(),
            max_stdout_chars: DEFAULT_MAX_STDOUT_CHARS,
            max_stderr_chars: DEFAULT_MAX_STDERR_CHARS,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            strict_stderr: false,
            redact: true,
            temp_dir: None,
        }
    }

    /// nexus-router's derived id: `subprocess:<basename of base_cmd[0]>:<first 6 hex of
    /// SHA-256 of base_cmd joined with single spaces>` (e.g. `subprocess:python:a16f22`).
    pub fn derived_adapter_id(&self) -> String {
        let first = self.base_cmd.first().map(String::as_str).unwrap_or("");
        let hex = Digest::of(self.base_cmd.join(" ").as_bytes()).to_hex();
        format!("subprocess:{}:{}", basename(first), hex.get(..6).unwrap_or(""))
    }

    /// Read a configuration entry: `base_cmd` (required), `adapter_id`, `timeout_s`,
    /// `cwd`, `env` (object of strings), `max_stdout_chars`, `max_stderr_chars`,
    /// `max_output_bytes`, `strict_stderr`, `redact`, `temp_dir`; nothing else.
    ///
    /// Errors: [`ConfigError::LoadFailed`], or [`ConfigError::EnvInvalid`] for an `env`
    /// value that is not a string.
    pub fn from_value(v: &Value) -> Result<SubprocessConfig, ConfigError> {
        let load = |m: String| ConfigError::LoadFailed(m);
        let m = v.as_object().ok_or_else(|| load("the subprocess configuration must be an object".into()))?;
        const KEYS: [&str; 11] = [
            "base_cmd",
            "adapter_id",
            "timeout_s",
            "cwd",
            "env",
            "max_stdout_chars",
            "max_stderr_chars",
            "max_output_bytes",
            "strict_stderr",
            "redact",
            "temp_dir",
        ];
        if let Some(k) = m.keys().find(|k| !KEYS.contains(k)) {
            return Err(load(format!("unknown subprocess configuration key `{k}`")));
        }
        let base =
            m.get("base_cmd").and_then(Value::as_array).ok_or_else(|| load("`base_cmd` must be an array".into()))?;
        let base_cmd = base
            .iter()
            .map(|a| a.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| load("`base_cmd` must hold strings only".into()))?;
        let mut c = SubprocessConfig::new(base_cmd);
        let text = |k: &str| -> Result<Option<String>, ConfigError> {
            match m.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(load(format!("`{k}` must be a string"))),
            }
        };
        let size = |k: &str, default: usize| -> Result<usize, ConfigError> {
            match m.get(k) {
                None => Ok(default),
                Some(v) => v
                    .as_i64()
                    .and_then(|i| usize::try_from(i).ok())
                    .ok_or_else(|| load(format!("`{k}` must be a non-negative integer"))),
            }
        };
        let flag = |k: &str, default: bool| -> Result<bool, ConfigError> {
            match m.get(k) {
                None => Ok(default),
                Some(v) => v.as_bool().ok_or_else(|| load(format!("`{k}` must be a boolean"))),
            }
        };
        c.adapter_id = text("adapter_id")?;
        c.cwd = text("cwd")?.map(PathBuf::from);
        c.temp_dir = text("temp_dir")?.map(PathBuf::from);
        if let Some(t) = m.get("timeout_s") {
            c.timeout_s =
                t.as_number().map(Number::to_f64_lossy).ok_or_else(|| load("`timeout_s` must be a number".into()))?;
        }
        c.max_stdout_chars = size("max_stdout_chars", c.max_stdout_chars)?;
        c.max_stderr_chars = size("max_stderr_chars", c.max_stderr_chars)?;
        c.max_output_bytes = size("max_output_bytes", c.max_output_bytes)?;
        c.strict_stderr = flag("strict_stderr", false)?;
        c.redact = flag("redact", true)?;
        if let Some(env) = m.get("env") {
            let env = env.as_object().ok_or_else(|| load("`env` must be an object".into()))?;
            for (k, v) in env.iter() {
                let v = v.as_str().ok_or_else(|| ConfigError::EnvInvalid { key: k.to_owned() })?;
                c.env.push((k.to_owned(), v.to_owned()));
            }
        }
        SubprocessAdapter::check(&c)?;
        Ok(c)
    }
}

/// A failure of one subprocess call; converted into an operational [`AdapterError`]
/// with the same code and message (plus details).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SubprocessError {
    /// The time limit elapsed; the process group was killed.
    #[error("Command timed out after {}s", python_float_repr(*timeout_s))]
    Timeout {
        /// The limit in seconds.
        timeout_s: f64,
    },
    /// The executable does not exist.
    #[error("Command not found: {0}")]
    CommandNotFound(String),
    /// The executable may not be executed.
    #[error("Permission denied executing command: {0}")]
    PermissionDenied(String),
    /// Another error starting the process.
    #[error("OS error executing command: {0}")]
    Os(String),
    /// Exit status not 0 (negative: killed by that signal).
    #[error("Command exited with code {0}")]
    NonzeroExit(i32),
    /// Stdout is not JSON (or not UTF-8, or holds NaN/Infinity).
    #[error("Invalid JSON output: {0}")]
    InvalidJson(String),
    /// Stdout is JSON but not an object (Python type name: list, str, int, ...).
    #[error("Output is not a JSON object: {0}")]
    NotAnObject(&'static str),
    /// Stdout exceeded `max_output_bytes`; the process group was killed.
    #[error("Output exceeded {0} bytes")]
    OutputTooLarge(usize),
    /// `strict_stderr` and stderr was not blank.
    #[error("Command produced stderr output (strict_stderr mode)")]
    StderrOnSuccess,
    /// The working directory does not exist.
    #[error("Working directory not found: {0}")]
    CwdNotFound(String),
    /// The working directory is not a directory.
    #[error("Working directory is not a directory: {0}")]
    CwdNotDirectory(String),
    /// An environment entry cannot be passed to a process (empty key, `=` or NUL).
    #[error("Invalid env variable: key and value must be strings")]
    EnvInvalid(String),
    /// The args file could not be written.
    #[error("Cannot write the args file: {0}")]
    ArgsFile(String),
}

impl SubprocessError {
    /// Stable error code (nexus-router's, except `OUTPUT_TOO_LARGE` and
    /// `ARGS_FILE_FAILED`).
    pub fn code(&self) -> &'static str {
        match self {
            SubprocessError::Timeout { .. } => "TIMEOUT",
            SubprocessError::CommandNotFound(_) => "COMMAND_NOT_FOUND",
            SubprocessError::PermissionDenied(_) => "PERMISSION_DENIED",
            SubprocessError::Os(_) => "OS_ERROR",
            SubprocessError::NonzeroExit(_) => "NONZERO_EXIT",
            SubprocessError::InvalidJson(_) | SubprocessError::NotAnObject(_) => "INVALID_JSON_OUTPUT",
            SubprocessError::OutputTooLarge(_) => "OUTPUT_TOO_LARGE",
            SubprocessError::StderrOnSuccess => "STDERR_ON_SUCCESS",
            SubprocessError::CwdNotFound(_) => "CWD_NOT_FOUND",
            SubprocessError::CwdNotDirectory(_) => "CWD_NOT_DIRECTORY",
            SubprocessError::EnvInvalid(_) => "ENV_INVALID",
            SubprocessError::ArgsFile(_) => "ARGS_FILE_FAILED",
        }
    }
}

/// nexus-router's subprocess adapter: kind `subprocess`, capabilities `apply`,
/// `timeout`, `external`.
#[derive(Debug)]
pub struct SubprocessAdapter {
    config: SubprocessConfig,
    id: String,
    caps: BTreeSet<String>,
    last_cleanup_failed: AtomicBool,
}

impl SubprocessAdapter {
    /// An adapter for `config`. Errors: [`ConfigError::LoadFailed`] for an empty
    /// `base_cmd`, an empty adapter id or a timeout that is not a positive finite
    /// number.
    pub fn new(config: SubprocessConfig) -> Result<SubprocessAdapter, ConfigError> {
        SubprocessAdapter::check(&config)?;
        let id = config.adapter_id.clone().unwrap_or_else(|| config.derived_adapter_id());
        let caps = [CAP_APPLY, CAP_TIMEOUT, CAP_EXTERNAL].iter().map(|c| (*c).to_owned()).collect();
        Ok(SubprocessAdapter { config, id, caps, last_cleanup_failed: AtomicBool::new(false) })
    }

    fn check(c: &SubprocessConfig) -> Result<(), ConfigError> {
        if c.base_cmd.is_empty() {
            return Err(ConfigError::LoadFailed("base_cmd must not be empty".into()));
        }
        if c.adapter_id.as_deref() == Some("") {
            return Err(ConfigError::LoadFailed("`adapter_id` must not be empty".into()));
        }
        if !(c.timeout_s.is_finite() && c.timeout_s > 0.0) {
            return Err(ConfigError::LoadFailed("`timeout_s` must be a positive number".into()));
        }
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &SubprocessConfig {
        &self.config
    }

    /// Whether the last call failed to remove its args file (diagnostic).
    pub fn last_cleanup_failed(&self) -> bool {
        self.last_cleanup_failed.load(Ordering::Relaxed)
    }

    fn text(&self, s: &str) -> String {
        if self.config.redact {
            redact_text(s)
        } else {
            s.to_owned()
        }
    }

    fn fail(&self, e: &SubprocessError, details: Map) -> AdapterError {
        AdapterError::operational(e.code(), e.to_string()).with_details(details)
    }

    fn run_call(&self, tool: &str, method: &str, args: &Map) -> Result<Map, AdapterError> {
        self.last_cleanup_failed.store(false, Ordering::Relaxed);
        let args_v = Value::Object(args.clone());
        let digest = router_digest(&args_v).to_hex();
        let mut details = obj([("args_digest", Value::str(digest.get(..12).unwrap_or("")))]);
        let payload =
            Value::Object(obj([("tool", Value::str(tool)), ("method", Value::str(method)), ("args", args_v)]));
        let dir = self.config.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
        let file = ArgsFile::create(&dir, router_json(&payload).as_bytes(), &self.last_cleanup_failed)
            .map_err(|e| self.fail(&SubprocessError::ArgsFile(e.to_string()), details.clone()))?;
        if let Some(cwd) = &self.config.cwd {
            let shown = cwd.display().to_string();
            if !cwd.exists() {
                return Err(self.fail(&SubprocessError::CwdNotFound(shown), details));
            }
            if !cwd.is_dir() {
                return Err(self.fail(&SubprocessError::CwdNotDirectory(shown), details));
            }
        }
        for (k, v) in &self.config.env {
            if k.is_empty() || k.contains('=') || k.contains('\0') || v.contains('\0') {
                details.insert("key", Value::str(k));
                return Err(self.fail(&SubprocessError::EnvInvalid(k.clone()), details));
            }
        }
        let first = self.config.base_cmd.first().cloned().unwrap_or_default();
        let mut cmd = Command::new(&first);
        cmd.args(self.config.base_cmd.iter().skip(1));
        cmd.args(["call", tool, method, "--json-args-file"]).arg(file.path());
        if let Some(cwd) = &self.config.cwd {
            cmd.current_dir(cwd);
        }
        cmd.envs(self.config.env.iter().map(|(k, v)| (k, v)));
        let timeout = Duration::from_secs_f64(self.config.timeout_s.min(1e9));
        let stderr_keep = self.config.max_stderr_chars.saturating_mul(4).saturating_add(4);
        let captured = match child::run(cmd, timeout, self.config.max_output_bytes, stderr_keep) {
            Ok(c) => c,
            Err(e) => {
                let err = match e.kind() {
                    std::io::ErrorKind::NotFound => SubprocessError::CommandNotFound(first),
                    std::io::ErrorKind::PermissionDenied => SubprocessError::PermissionDenied(first),
                    _ => SubprocessError::Os(e.to_string()),
                };
                return Err(self.fail(&err, details));
            }
        };
        drop(file);
        let stdout = String::from_utf8_lossy(&captured.stdout);
        let stderr = String::from_utf8_lossy(&captured.stderr);
        match captured.ending {
            Ending::TimedOut => {
                details.insert("timeout_s", Value::Number(Number::from_f64(self.config.timeout_s)));
                details.insert("cmd_first_token", Value::str(basename(&first)));
                if let Some(cwd) = &self.config.cwd {
                    details.insert("cwd", Value::str(cwd.display().to_string()));
                }
                if !stdout.is_empty() {
                    details.insert(
                        "stdout_excerpt",
                        Value::str(self.text(&truncate(&stdout, self.config.max_stdout_chars))),
                    );
                }
                if !stderr.is_empty() {
                    details.insert(
                        "stderr_excerpt",
                        Value::str(self.text(&truncate(&stderr, self.config.max_stderr_chars))),
                    );
                }
                Err(self.fail(&SubprocessError::Timeout { timeout_s: self.config.timeout_s }, details))
            }
            Ending::TooLarge => {
                details.insert("max_output_bytes", count(self.config.max_output_bytes));
                details.insert("stdout_head", Value::str(self.text(&head_tail(&stdout).0)));
                Err(self.fail(&SubprocessError::OutputTooLarge(self.config.max_output_bytes), details))
            }
            Ending::Exited(status) => {
                let code = exit_code(status);
                if code != 0 {
                    details.insert("returncode", Value::int(i64::from(code)));
                    details.insert(
                        "stderr_excerpt",
                        Value::str(self.text(&truncate(&stderr, self.config.max_stderr_chars))),
                    );
                    return Err(self.fail(&SubprocessError::NonzeroExit(code), details));
                }
                let parsed = match std::str::from_utf8(&captured.stdout) {
                    Ok(text) => json::parse(text).map_err(|e| e.to_string()),
                    Err(e) => Err(format!("stdout is not valid utf-8 (invalid byte at offset {})", e.valid_up_to())),
                };
                let output = match parsed {
                    Ok(Value::Object(m)) => m,
                    Ok(other) => return Err(self.fail(&SubprocessError::NotAnObject(python_type(&other)), details)),
                    Err(msg) => {
                        details.insert("stdout_len", count(stdout.chars().count()));
                        details.insert("json_error", Value::str(&msg));
                        let (head, tail) = head_tail(&stdout);
                        details.insert("stdout_head", Value::str(self.text(&head)));
                        if let Some(tail) = tail {
                            details.insert("stdout_tail", Value::str(self.text(&tail)));
                        }
                        return Err(self.fail(&SubprocessError::InvalidJson(msg), details));
                    }
                };
                if self.config.strict_stderr && !stderr.trim().is_empty() {
                    details.insert(
                        "stderr_excerpt",
                        Value::str(self.text(&truncate(&stderr, self.config.max_stderr_chars))),
                    );
                    return Err(self.fail(&SubprocessError::StderrOnSuccess, details));
                }
                Ok(output)
            }
        }
    }
}

impl Adapter for SubprocessAdapter {
    fn adapter_id(&self) -> &str {
        &self.id
    }
    fn adapter_kind(&self) -> &str {
        "subprocess"
    }
    fn capabilities(&self) -> &BTreeSet<String> {
        &self.caps
    }
    fn call(&self, tool: &str, method: &str, args: &Map) -> Result<Map, AdapterError> {
        self.run_call(tool, method, args)
    }
    fn redact_args(&self, args: &Map) -> Option<Map> {
        self.config.redact.then(|| redact_args(args))
    }
}

/// The args file: created exclusively (mode 0600 on Unix), removed on drop with one
/// retry after 100 ms; a failed removal only sets the adapter's diagnostic flag.
struct ArgsFile<'a> {
    path: PathBuf,
    cleanup_failed: &'a AtomicBool,
}

impl<'a> ArgsFile<'a> {
    fn create(dir: &Path, content: &[u8], cleanup_failed: &'a AtomicBool) -> std::io::Result<ArgsFile<'a>> {
        use std::io::Write;
        let mut last = None;
        for _ in 0..16 {
            let path = dir.join(format!("nexus-router-args-{}.json", unique_suffix()));
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            match opts.open(&path) {
                Ok(mut f) => {
                    let guard = ArgsFile { path, cleanup_failed };
                    f.write_all(content)?;
                    f.flush()?;
                    return Ok(guard);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free args file name")))
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ArgsFile<'_> {
    fn drop(&mut self) {
        if std::fs::remove_file(&self.path).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
        if std::fs::remove_file(&self.path).is_err() && self.path.exists() {
            self.cleanup_failed.store(true, Ordering::Relaxed);
        }
    }
}

fn unique_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.write_i64(attest_verify::verify::system_now_micros());
    format!("{:016x}", h.finish())
}

fn basename(cmd: &str) -> &str {
    cmd.rsplit('/').next().unwrap_or(cmd)
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    if let Some(c) = status.code() {
        return c;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return -sig;
        }
    }
    -1
}

fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_integer() => "int",
        Value::Number(_) => "float",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `text` cut to `limit` characters with `... [truncated at <limit>]` appended.
fn truncate(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        None => text.to_owned(),
        Some((i, _)) => format!("{}... [truncated at {limit}]", text.get(..i).unwrap_or("")),
    }
}

/// All of `text` up to 700 characters; else the first 500 and the last 200.
fn head_tail(text: &str) -> (String, Option<String>) {
    let n = text.chars().count();
    if n <= 700 {
        return (text.to_owned(), None);
    }
    (text.chars().take(500).collect(), Some(text.chars().skip(n - 200).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_id_matches_nexus_router() {
        let c = SubprocessConfig::new(["python", "-m", "mcpt.cli"]);
        let hex = Digest::of(b"python -m mcpt.cli").to_hex();
        assert_eq!(c.derived_adapter_id(), format!("subprocess:python:{}", &hex[..6]));
        let c = SubprocessConfig::new(["/usr/bin/python3"]);
        assert!(c.derived_adapter_id().starts_with("subprocess:python3:"));
    }

    #[test]
    fn messages_match_nexus_router() {
        assert_eq!(SubprocessError::Timeout { timeout_s: 30.0 }.to_string(), "Command timed out after 30.0s");
        assert_eq!(SubprocessError::Timeout { timeout_s: 0.25 }.to_string(), "Command timed out after 0.25s");
        assert_eq!(SubprocessError::NonzeroExit(-9).to_string(), "Command exited with code -9");
        assert_eq!(SubprocessError::NotAnObject("list").to_string(), "Output is not a JSON object: list");
    }

    #[test]
    fn codes_are_unique_except_the_two_invalid_json_forms() {
        let all = [
            SubprocessError::Timeout { timeout_s: 1.0 },
            SubprocessError::CommandNotFound(String::new()),
            SubprocessError::PermissionDenied(String::new()),
            SubprocessError::Os(String::new()),
            SubprocessError::NonzeroExit(1),
            SubprocessError::InvalidJson(String::new()),
            SubprocessError::OutputTooLarge(1),
            SubprocessError::StderrOnSuccess,
            SubprocessError::CwdNotFound(String::new()),
            SubprocessError::CwdNotDirectory(String::new()),
            SubprocessError::EnvInvalid(String::new()),
            SubprocessError::ArgsFile(String::new()),
        ];
        let codes: BTreeSet<&str> = all.iter().map(SubprocessError::code).collect();
        assert_eq!(codes.len(), all.len());
        assert_eq!(SubprocessError::NotAnObject("list").code(), "INVALID_JSON_OUTPUT");
    }

    #[test]
    fn excerpts_follow_the_limits() {
        assert_eq!(truncate("abcdef", 3), "abc... [truncated at 3]");
        assert_eq!(truncate("abc", 3), "abc");
        let long = "x".repeat(701);
        let (h, t) = head_tail(&long);
        assert_eq!((h.len(), t.map(|t| t.len())), (500, Some(200)));
        assert_eq!(head_tail("short").1, None);
    }

    #[test]
    fn configuration_is_validated() {
        let bad = |t: &str| SubprocessConfig::from_value(&json::parse(t).unwrap()).unwrap_err().code();
        assert_eq!(bad(r#"{"base_cmd": []}"#), "ADAPTER_LOAD_FAILED");
        assert_eq!(bad(r#"{"base_cmd": ["x"], "timeout_s": 0}"#), "ADAPTER_LOAD_FAILED");
        assert_eq!(bad(r#"{"base_cmd": ["x"], "shell": true}"#), "ADAPTER_LOAD_FAILED");
        assert_eq!(bad(r#"{"base_cmd": ["x"], "env": {"A": 1}}"#), "ENV_INVALID");
        let ok = SubprocessConfig::from_value(
            &json::parse(r#"{"base_cmd": ["x"], "timeout_s": 2, "env": {"A": "b"}, "strict_stderr": true}"#).unwrap(),
        )
        .unwrap();
        assert_eq!(ok.timeout_s, 2.0);
        assert_eq!(ok.env, [("A".to_owned(), "b".to_owned())]);
    }
}
