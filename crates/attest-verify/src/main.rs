//! The `attest-verify` command: canonical JSON, digests, and verification of audit
//! packages and decision bundles, with std only.
//!
//! Exit codes: 0 verified (or the command succeeded); 1 the input was read but a check
//! failed; 2 the input is not JSON, not shaped like the thing asked for, or bad usage.

#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::process::ExitCode;

use attest_verify::json::{Map, Value};
use attest_verify::verify::{Check, Verification, VerifyOptions};
use attest_verify::{canonical, json, Timestamp};

const USAGE: &str = "\
usage:
  attest-verify canonical [FILE|-]        write the canonical JSON of the input (no newline)
  attest-verify digest [FILE|-]           print the SHA-256 (raw hex) of the canonical JSON
  attest-verify package FILE [--json] [--expect-binding DIGEST] [--now TIME]
                [--attestation ATT]... [--trusted-key KEY]... [--threshold K]
                                          verify an audit package; with --trusted-key it
                                          passes only when K (default 1) distinct trusted
                                          keys attest its binding digest
  attest-verify bundle FILE [--json] [--now TIME]
                                          verify a decision bundle
  attest-verify --version | --help

FILE may be - for standard input. TIME is an ISO-8601 date-time with offset used as
\"now\" for approval expiry (default: the system clock). ATT is an attestation document
(JSON); KEY is an Ed25519 public key as 64 hex characters, or a file holding them or
{\"public_key\": HEX}. The attestation options need the `signatures` feature.
exit codes: 0 verified, 1 a check failed, 2 unreadable input or bad usage";

/// A failure before any verdict: exit code 2.
struct Fatal {
    code: &'static str,
    message: String,
}

impl Fatal {
    fn usage(message: impl Into<String>) -> Fatal {
        Fatal { code: "USAGE", message: message.into() }
    }
}

struct Args {
    command: String,
    file: Option<String>,
    json: bool,
    expect_binding: Option<String>,
    now: Option<String>,
    attestations: Vec<String>,
    trusted_keys: Vec<String>,
    threshold: Option<String>,
}

impl Args {
    fn wants_trust(&self) -> bool {
        !self.attestations.is_empty() || !self.trusted_keys.is_empty() || self.threshold.is_some()
    }
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, Fatal> {
    let command = it.next().ok_or_else(|| Fatal::usage("missing command"))?;
    let mut args = Args {
        command,
        file: None,
        json: false,
        expect_binding: None,
        now: None,
        attestations: Vec::new(),
        trusted_keys: Vec::new(),
        threshold: None,
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => args.json = true,
            "--expect-binding" => {
                args.expect_binding = Some(it.next().ok_or_else(|| Fatal::usage("--expect-binding needs a digest"))?)
            }
            "--now" => args.now = Some(it.next().ok_or_else(|| Fatal::usage("--now needs a date-time"))?),
            "--attestation" => {
                args.attestations.push(it.next().ok_or_else(|| Fatal::usage("--attestation needs a FILE"))?)
            }
            "--trusted-key" => args
                .trusted_keys
                .push(it.next().ok_or_else(|| Fatal::usage("--trusted-key needs a hex key or a FILE"))?),
            "--threshold" => {
                args.threshold = Some(it.next().ok_or_else(|| Fatal::usage("--threshold needs a number"))?)
            }
            "-" => set_file(&mut args, a)?,
            s if s.starts_with("--") => return Err(Fatal::usage(format!("unknown option `{s}`"))),
            _ => set_file(&mut args, a)?,
        }
    }
    Ok(args)
}

fn set_file(args: &mut Args, f: String) -> Result<(), Fatal> {
    if args.file.is_some() {
        return Err(Fatal::usage(format!("unexpected argument `{f}`")));
    }
    args.file = Some(f);
    Ok(())
}

fn read_input(file: Option<&str>) -> Result<Value, Fatal> {
    let mut bytes = Vec::new();
    let res = match file {
        None | Some("-") => std::io::stdin().read_to_end(&mut bytes),
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)),
    };
    if let Err(e) = res {
        return Err(Fatal { code: "READ_FAILED", message: format!("cannot read `{}`: {e}", file.unwrap_or("-")) });
    }
    json::parse_bytes(&bytes).map_err(|e| Fatal { code: e.code(), message: format!("not readable as json: {e}") })
}

fn out(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}

fn print_json(v: &Value) {
    let mut buf = Vec::new();
    canonical::write_display(v, Some(2), false, &mut buf);
    buf.push(b'\n');
    out(&buf);
}

fn run(args: Args) -> Result<ExitCode, (Fatal, bool)> {
    let json_out = args.json;
    let fail = |f: Fatal| (f, json_out);
    match args.command.as_str() {
        "canonical" | "digest" => {
            if args.json || args.expect_binding.is_some() || args.now.is_some() || args.wants_trust() {
                return Err(fail(Fatal::usage(format!("`{}` takes only an input file", args.command))));
            }
            let v = read_input(args.file.as_deref()).map_err(fail)?;
            let bytes = canonical::to_bytes(&v).map_err(|e| fail(Fatal { code: e.code(), message: e.to_string() }))?;
            if args.command == "canonical" {
                out(&bytes);
            } else {
                out(format!("{}\n", attest_verify::Digest::of(&bytes).to_hex()).as_bytes());
            }
            Ok(ExitCode::SUCCESS)
        }
        "package" | "bundle" => {
            let Some(file) = args.file.as_deref() else {
                return Err(fail(Fatal::usage(format!("`{}` needs a FILE (or - for standard input)", args.command))));
            };
            if args.command == "bundle" && args.expect_binding.is_some() {
                return Err(fail(Fatal::usage("--expect-binding applies to packages only")));
            }
            if args.command == "bundle" && args.wants_trust() {
                return Err(fail(Fatal::usage("--attestation, --trusted-key and --threshold apply to packages only")));
            }
            let trust = trust::prepare(&args).map_err(fail)?;
            if let Some(pin) = &args.expect_binding {
                if attest_verify::Digest::parse_any(pin).is_err() {
                    return Err(fail(Fatal::usage(format!(
                        "--expect-binding `{pin}` is not a digest (sha256:<64 lower-case hex> or 64 lower-case hex)"
                    ))));
                }
            }
            let now_micros = match &args.now {
                None => None,
                Some(t) => match Timestamp::parse_isoformat(t).ok().and_then(|ts| ts.unix_micros()) {
                    Some(m) => Some(m),
                    None => return Err(fail(Fatal::usage(format!("--now `{t}` is not a date-time with offset")))),
                },
            };
            let v = read_input(Some(file)).map_err(fail)?;
            let opts = VerifyOptions { now_micros, expect_binding: args.expect_binding.clone() };
            let shape = |e: attest_verify::ShapeError| {
                fail(Fatal { code: e.code(), message: format!("not shaped like {}: {e}", article(&args.command)) })
            };
            let (verification, flat) = match &trust {
                Some(t) => trust::verify(&v, &opts, t).map_err(shape)?,
                None => {
                    let result = if args.command == "package" {
                        attest_verify::verify_package(&v, &opts)
                    } else {
                        attest_verify::verify_bundle(&v, &opts)
                    };
                    let verification = result.map_err(shape)?;
                    let flat = verification.to_flat_value();
                    (verification, flat)
                }
            };
            if args.json {
                print_json(&flat);
            } else {
                out(render(&args.command, &verification).as_bytes());
            }
            Ok(if verification.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        "--help" | "-h" | "help" => {
            out(format!("{USAGE}\n").as_bytes());
            Ok(ExitCode::SUCCESS)
        }
        "--version" | "-V" => {
            out(format!("attest-verify {}\n", env!("CARGO_PKG_VERSION")).as_bytes());
            Ok(ExitCode::SUCCESS)
        }
        other => Err(fail(Fatal::usage(format!("unknown command `{other}`")))),
    }
}

/// The attestation options (`--attestation`, `--trusted-key`, `--threshold`).
#[cfg(feature = "signatures")]
mod trust {
    use attest_verify::attestation::{parse_public_key, public_key_from_text, verify_package_with_trust, KeyError};
    use attest_verify::json::Value;
    use attest_verify::verify::{Verification, VerifyOptions};
    use attest_verify::ShapeError;

    use super::{read_input, Args, Fatal};

    /// What the attestation options ask for, read and checked.
    pub(crate) struct Trust {
        attestations: Vec<Value>,
        keys: Vec<[u8; 32]>,
        threshold: usize,
    }

    /// Read the attestation files and the trusted keys; `None` when no option was given.
    pub(crate) fn prepare(args: &Args) -> Result<Option<Trust>, Fatal> {
        if !args.wants_trust() {
            return Ok(None);
        }
        if args.trusted_keys.is_empty() {
            return Err(Fatal::usage(
                "--attestation and --threshold need at least one --trusted-key (an attestation by an unknown key proves nothing)",
            ));
        }
        let threshold = match &args.threshold {
            None => 1,
            Some(t) => match t.parse::<usize>() {
                Ok(k) if k >= 1 => k,
                _ => return Err(Fatal::usage(format!("--threshold `{t}` is not a whole number of at least 1"))),
            },
        };
        let mut keys = Vec::with_capacity(args.trusted_keys.len());
        for k in &args.trusted_keys {
            keys.push(read_key(k)?);
        }
        let mut attestations = Vec::with_capacity(args.attestations.len());
        for a in &args.attestations {
            attestations.push(read_input(Some(a))?);
        }
        Ok(Some(Trust { attestations, keys, threshold }))
    }

    /// A trusted key: 64 hex characters, or a file holding them or `{"public_key": HEX}`.
    fn read_key(arg: &str) -> Result<[u8; 32], Fatal> {
        let bad = |e: KeyError| Fatal { code: e.code(), message: format!("--trusted-key `{arg}`: {e}") };
        if arg.len() == 64 && arg.bytes().all(|b| b.is_ascii_hexdigit()) {
            return parse_public_key(arg).map_err(bad);
        }
        let text = std::fs::read_to_string(arg).map_err(|e| Fatal {
            code: "READ_FAILED",
            message: format!("--trusted-key `{arg}` is neither 64 hex characters nor a readable file: {e}"),
        })?;
        public_key_from_text(&text).map_err(bad)
    }

    /// Verify with trust: the verification and the `--json` value (with `attestations`).
    pub(crate) fn verify(v: &Value, opts: &VerifyOptions, t: &Trust) -> Result<(Verification, Value), ShapeError> {
        let result = verify_package_with_trust(v, opts, &t.attestations, &t.keys, t.threshold)?;
        let flat = result.to_flat_value();
        Ok((result.verification, flat))
    }
}

/// Without the `signatures` feature the attestation options are a usage error.
#[cfg(not(feature = "signatures"))]
mod trust {
    use attest_verify::json::Value;
    use attest_verify::verify::{Verification, VerifyOptions};
    use attest_verify::ShapeError;

    use super::{Args, Fatal};

    /// Never constructed in this build.
    pub(crate) enum Trust {}

    /// Refuse the attestation options: this build cannot verify signatures.
    pub(crate) fn prepare(args: &Args) -> Result<Option<Trust>, Fatal> {
        if args.wants_trust() {
            return Err(Fatal::usage(
                "--attestation, --trusted-key and --threshold need signature verification, which this build lacks: \
                 rebuild attest-verify with the `signatures` feature (cargo install attest-verify --features signatures)",
            ));
        }
        Ok(None)
    }

    /// Unreachable: there is no [`Trust`] value.
    pub(crate) fn verify(_: &Value, _: &VerifyOptions, t: &Trust) -> Result<(Verification, Value), ShapeError> {
        match *t {}
    }
}

fn article(command: &str) -> &'static str {
    if command == "package" {
        "an audit package"
    } else {
        "a decision bundle"
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => canonical::to_display_string(other, None),
    }
}

fn check_line(c: &Check, s: &mut String) {
    let mark = if c.ok { "ok  " } else { "FAIL" };
    s.push_str(&format!("  {mark}  {}", c.name));
    if !c.ok {
        if let Some(d) = &c.detail {
            s.push_str(&format!(": {d}"));
        }
        let scalar = |v: &Option<Value>| {
            v.as_ref().filter(|v| !matches!(v, Value::Array(_) | Value::Object(_) | Value::Null)).map(value_text)
        };
        if let (Some(e), Some(a)) = (scalar(&c.expected), scalar(&c.actual)) {
            s.push_str(&format!("\n          expected {e}\n          actual   {a}"));
        }
    }
    s.push('\n');
}

fn render(command: &str, v: &Verification) -> String {
    let mut s = String::new();
    let what = if command == "package" { "Audit package" } else { "Decision bundle" };
    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    s.push_str(&format!(
        "{what} verification: {} ({} of {} reference checks passed)\n",
        verdict(v.reference_ok()),
        v.reference.passed(),
        v.reference.checks.len()
    ));
    for c in &v.reference.checks {
        check_line(c, &mut s);
    }
    s.push_str(&format!(
        "Deep verification: {} ({} of {} checks passed)\n",
        verdict(v.deep.ok()),
        v.deep.passed(),
        v.deep.checks.len()
    ));
    for c in &v.deep.checks {
        check_line(c, &mut s);
    }
    s.push_str("Advisories (never fail verification):\n");
    for c in &v.advisories {
        let tag = if c.ok { "note" } else { "WARN" };
        s.push_str(&format!("  {tag}  {}: {}\n", c.name, c.detail.as_deref().unwrap_or("")));
    }
    s.push_str(&format!(
        "Verdict: {}{}\n",
        verdict(v.ok()),
        if v.ok() && v.deep.get("attestation_trust").is_some() {
            " (consistent, and attested by the required trusted keys)"
        } else if v.ok() {
            " (consistent; not proof of origin without an attestation or a pinned binding digest)"
        } else {
            ""
        }
    ));
    s
}

fn report_fatal(f: &Fatal, json_out: bool) {
    if json_out {
        let mut err = Map::new();
        err.insert("code", Value::str(f.code));
        err.insert("message", Value::str(f.message.as_str()));
        let mut m = Map::new();
        m.insert("ok", Value::Bool(false));
        m.insert("error", Value::Object(err));
        print_json(&Value::Object(m));
    } else {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "attest-verify: error [{}]: {}", f.code, f.message);
        if f.code == "USAGE" {
            let _ = writeln!(stderr, "{USAGE}");
        }
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let json_out = argv.iter().any(|a| a == "--json");
    let outcome = std::panic::catch_unwind(move || match parse_args(argv.into_iter()) {
        Ok(args) => run(args),
        Err(f) => Err((f, json_out)),
    });
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err((f, json_out))) => {
            report_fatal(&f, json_out);
            ExitCode::from(2)
        }
        Err(_) => {
            report_fatal(
                &Fatal { code: "INTERNAL", message: "internal error (a bug): please report it".to_owned() },
                json_out,
            );
            ExitCode::from(2)
        }
    }
}
