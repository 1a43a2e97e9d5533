//! The `nexus-attest` command: the tool API from the shell, over an SQLite (default) or
//! redb database file, plus `verify` (attest-verify), `demo` (the whole flow), `mcp`
//! (the tools as an MCP server over stdio), and `keygen` / `attest sign` / `attest verify`
//! (Ed25519 attestations over a package's binding digest).
//!
//! Exit codes: 0 success; 1 the tool refused (its error code is printed); 2 bad usage or
//! unreadable input.

#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr, reason = "a command-line tool")]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use nexus_attest::verify::json::{self, Map, Value};
use nexus_attest::verify::{canonical, VerifyOptions};
use nexus_attest::{NexusAttest, Store, ToolResult};

#[derive(Parser, Debug)]
#[command(
    name = "nexus-attest",
    version,
    about = "Governance and attestation for AI agents: request, approve, execute, export, verify"
)]
struct Cli {
    /// Database file.
    #[arg(long, global = true, default_value = "nexus-attest.db")]
    db: PathBuf,
    /// Storage backend of the database file.
    #[arg(long, global = true, value_enum, default_value_t = StoreKind::Sqlite)]
    store: StoreKind,
    /// Print the tool's result object as JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    Sqlite,
    Redb,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Ask to run a tool action (creates a decision with its policy).
    Request(RequestCmd),
    /// Approve a request.
    Approve {
        /// The request id.
        request_id: String,
        /// Who approves, `human:ID` or `system:ID`.
        #[arg(long)]
        actor: String,
        /// A comment.
        #[arg(long)]
        comment: Option<String>,
        /// Expiry (ISO-8601 with offset).
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// Revoke an approval.
    Revoke {
        /// The request id.
        request_id: String,
        /// Whose approval, `human:ID` or `system:ID`.
        #[arg(long)]
        actor: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Execute an approved request through a router.
    Execute(ExecuteCmd),
    /// Show a decision's state.
    Status {
        /// The request id.
        request_id: String,
        /// Include the event log.
        #[arg(long)]
        events: bool,
    },
    /// Inspect a decision (lifecycle, approvals, policy, execution, timeline).
    Inspect {
        /// The decision id.
        decision_id: String,
        /// Include the event log.
        #[arg(long)]
        events: bool,
    },
    /// List decisions, newest first.
    List {
        /// How many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    /// Named, immutable policy templates.
    Template {
        #[command(subcommand)]
        command: TemplateCmd,
    },
    /// Export a decision as a portable bundle.
    ExportBundle {
        /// The decision id.
        decision_id: String,
        /// Write to FILE (atomically) instead of stdout.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Leave the template snapshot out.
        #[arg(long)]
        no_template_snapshot: bool,
        /// Leave the router link out.
        #[arg(long)]
        no_router_link: bool,
    },
    /// Import a decision bundle.
    ImportBundle {
        /// The bundle file (`-` for stdin).
        file: PathBuf,
        /// `reject_on_conflict`, `new_decision_id` or `overwrite`.
        #[arg(long, default_value = "reject_on_conflict")]
        conflict_mode: String,
        /// Do not check the bundle digest.
        #[arg(long)]
        no_verify: bool,
        /// Do not replay before accepting.
        #[arg(long)]
        no_replay: bool,
        /// Refuse bundles that fail a deep check.
        #[arg(long)]
        strict: bool,
    },
    /// Export an executed decision as an audit package.
    ExportAuditPackage {
        /// The decision id.
        decision_id: String,
        /// Write to FILE (atomically) instead of stdout.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Embed the router's run bundle (from --router-bundle) instead of referencing it.
        #[arg(long)]
        embed_router: bool,
        /// The router run bundle to embed (saved by `execute --save-run-bundle`).
        #[arg(long)]
        router_bundle: Option<PathBuf>,
        /// Reference mode: bind this router digest instead of the result digest.
        #[arg(long)]
        router_bundle_digest: Option<String>,
        /// Do not compare the embedded bundle's digest with the recorded result digest.
        #[arg(long)]
        no_verify_router_digest: bool,
    },
    /// Verify an audit package (or, with --bundle, a decision bundle) with attest-verify.
    Verify {
        /// The file (`-` for stdin).
        file: PathBuf,
        /// The file is a decision bundle.
        #[arg(long)]
        bundle: bool,
        /// Require this binding digest.
        #[arg(long)]
        expect_binding: Option<String>,
    },
    /// Ed25519 attestations over an audit package's binding digest: sign, or verify with
    /// trusted keys.
    Attest {
        #[command(subcommand)]
        command: attest::AttestCmd,
    },
    /// Generate an Ed25519 key: the private key goes to a new 0600 file, the public key
    /// (64 hex) is printed.
    Keygen(attest::KeygenCmd),
    /// Serve the tools over stdio as a Model Context Protocol server (see docs/MCP.md).
    Mcp(McpCmd),
    /// The witness queue of attestation intents in the database (`add`, `list`, `status`,
    /// and `run`, the worker that anchors them).
    Queue {
        #[command(subcommand)]
        command: queue::QueueCmd,
    },
    /// The narrative report of a queued intent: its receipts, witness and integrity
    /// checks (text, or the report JSON with `--json`).
    Narrative {
        /// The intent digest (`sha256:` + 64 hex, or the bare hex).
        intent_digest: String,
    },
    /// Anchor attestation intents on the XRP Ledger.
    Witness {
        #[command(subcommand)]
        command: witness::WitnessCmd,
    },
    /// Run the whole flow in a fresh database and verify the audit package it exports.
    Demo {
        /// Where to keep the demo's database and package (a fresh temporary directory by
        /// default).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct RequestCmd {
    /// What the action should achieve.
    #[arg(long)]
    goal: String,
    /// Who asks, `human:ID` or `system:ID`.
    #[arg(long)]
    actor: String,
    /// `dry_run` or `apply`.
    #[arg(long, default_value = "dry_run")]
    mode: String,
    /// A plan (free text).
    #[arg(long)]
    plan: Option<String>,
    /// Start from this template.
    #[arg(long)]
    template: Option<String>,
    /// Distinct approvals needed.
    #[arg(long)]
    min_approvals: Option<i64>,
    /// An allowed mode (repeat for several).
    #[arg(long = "allowed-mode")]
    allowed_modes: Vec<String>,
    /// A capability the adapter must have (repeat for several).
    #[arg(long = "require-capability")]
    capabilities: Vec<String>,
    /// Step limit for the router.
    #[arg(long)]
    max_steps: Option<i64>,
    /// A label (repeat for several).
    #[arg(long = "label")]
    labels: Vec<String>,
    /// The requester may not approve.
    #[arg(long)]
    forbid_self_approval: bool,
}

#[derive(Args, Debug)]
struct ExecuteCmd {
    /// The request id.
    request_id: String,
    /// The adapter to run with (e.g. `subprocess:mcpt:NAME`).
    #[arg(long)]
    adapter: String,
    /// Who executes, `human:ID` or `system:ID`.
    #[arg(long)]
    actor: String,
    /// Force dry-run mode (default: the requested mode).
    #[arg(long, conflicts_with = "apply")]
    dry_run: bool,
    /// Force apply mode.
    #[arg(long)]
    apply: bool,
    /// Adapter configuration (nexus-router's JSON format) for a real run through the
    /// nexus-router bridge; without it, the dry-run router simulates the run.
    #[arg(long)]
    router_config: Option<PathBuf>,
    /// Capabilities the dry-run router declares for the adapter (repeat; default
    /// `dry_run`).
    #[arg(long = "adapter-capability")]
    adapter_capabilities: Vec<String>,
    /// Save the router's run bundle to FILE (for `export-audit-package --embed-router`).
    #[arg(long)]
    save_run_bundle: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct McpCmd {
    /// Adapter configuration (nexus-router's JSON format): execute through the
    /// nexus-router bridge (real runs, subprocess adapters). Without it, the dry-run
    /// router simulates each run.
    #[arg(long)]
    router_config: Option<PathBuf>,
    /// Capabilities the dry-run router declares for the requested adapter (repeat;
    /// default `dry_run`).
    #[arg(long = "adapter-capability", conflicts_with = "router_config")]
    adapter_capabilities: Vec<String>,
    /// The longest JSON-RPC message accepted, in bytes; longer lines are refused
    /// (`-32600`) and skipped.
    #[arg(long, default_value_t = mcp::DEFAULT_MAX_REQUEST_BYTES, value_parser = clap::value_parser!(u64).range(1..))]
    max_request_bytes: u64,
    /// A private key file (from `keygen`): enables the `attest_sign` tool, which signs
    /// attestations of verified packages with it.
    #[arg(long)]
    attest_key: Option<PathBuf>,
    /// Who attests, signed into every attestation `attest_sign` makes.
    #[arg(long, default_value = "nexus-attest")]
    attestor: String,
}

#[derive(Subcommand, Debug)]
enum TemplateCmd {
    /// Create a template.
    Create {
        /// The name (`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`).
        name: String,
        /// The creator, `human:ID` or `system:ID`.
        #[arg(long)]
        actor: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Distinct approvals needed.
        #[arg(long)]
        min_approvals: Option<i64>,
        /// An allowed mode (repeat).
        #[arg(long = "allowed-mode")]
        allowed_modes: Vec<String>,
        /// A required capability (repeat).
        #[arg(long = "require-capability")]
        capabilities: Vec<String>,
        /// Step limit.
        #[arg(long)]
        max_steps: Option<i64>,
        /// A label (repeat).
        #[arg(long = "label")]
        labels: Vec<String>,
    },
    /// Show a template.
    Get {
        /// The name.
        name: String,
        /// Include its log.
        #[arg(long)]
        events: bool,
    },
    /// List templates, newest first.
    List {
        /// Only templates with this exact label.
        #[arg(long)]
        label: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
}

/// A failure that ends the command.
enum Fail {
    /// The tool refused: exit 1.
    Refused(ToolResult),
    /// Bad usage or unreadable input: exit 2.
    Usage(String),
}

fn usage(m: impl Into<String>) -> Fail {
    Fail::Usage(m.into())
}

fn actor(spec: &str) -> Result<Value, Fail> {
    let (kind, id) =
        spec.split_once(':').ok_or_else(|| usage(format!("--actor `{spec}` must be TYPE:ID, e.g. human:alice")))?;
    let mut m = Map::new();
    m.insert("type", Value::str(kind));
    m.insert("id", Value::str(id));
    Ok(Value::Object(m))
}

fn strs(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| Value::str(s.as_str())).collect())
}

fn read_json(path: &Path) -> Result<Value, Fail> {
    let mut bytes = Vec::new();
    let res = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    res.map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    json::parse_bytes(&bytes).map_err(|e| usage(format!("{} is not JSON: {e}", path.display())))
}

/// Write a file atomically: a temporary file in the same directory, then a rename.
fn write_atomic(path: &Path, text: &str) -> Result<(), Fail> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".to_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        usage(format!("cannot write {}: {e}", path.display()))
    })
}

fn pretty(v: &Value) -> String {
    canonical::to_display_string(v, Some(2))
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => canonical::to_display_string(other, None),
    }
}

/// The readable form of a successful result.
fn readable(tool: &str, data: &Map) -> String {
    if let Some(Value::String(r)) = data.get("rendered") {
        if tool == "inspect" {
            return r.clone();
        }
    }
    let mut out = String::new();
    for (k, v) in data.iter() {
        match k {
            "bundle" | "package" | "events" | "rendered" => continue,
            _ => {}
        }
        let shown = match v {
            Value::Array(_) | Value::Object(_) => pretty(v).replace('\n', "\n  "),
            other => text_of(Some(other)),
        };
        out.push_str(&format!("{k}: {shown}\n"));
    }
    if let Some(Value::String(r)) = data.get("rendered") {
        out.push('\n');
        out.push_str(r);
        out.push('\n');
    }
    out.trim_end().to_owned()
}

fn report(tool: &str, result: &ToolResult, json_out: bool) -> Result<(), Fail> {
    if !result.is_success() {
        return Err(Fail::Refused(result.clone()));
    }
    if json_out {
        println!("{}", pretty(&result.to_value()));
    } else if let Some(data) = result.data() {
        println!("{}", readable(tool, data));
    }
    Ok(())
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Object(m)
}

fn execute<S: Store>(tools: &NexusAttest<S>, cmd: &ExecuteCmd, json_out: bool) -> Result<(), Fail> {
    let mut args = Map::new();
    args.insert("request_id", Value::str(cmd.request_id.as_str()));
    args.insert("adapter_id", Value::str(cmd.adapter.as_str()));
    args.insert("actor", actor(&cmd.actor)?);
    if cmd.dry_run || cmd.apply {
        args.insert("dry_run", Value::Bool(cmd.dry_run));
    }
    let args = Value::Object(args);
    let (result, bundle) = match &cmd.router_config {
        Some(path) => {
            let config = read_json(path)?;
            let router = router::bridge(&config, path).map_err(usage)?;
            let result = tools.call_with_router("execute", &args, &router);
            (result, router.last_run_id().and_then(|id| router.export_bundle(&id).ok()))
        }
        None => {
            let router = router::dry_run_router(&cmd.adapter, &cmd.adapter_capabilities).map_err(usage)?;
            let result = tools.call_with_router("execute", &args, &router);
            (result, router.last_run_id().and_then(|id| router.export_bundle(&id).ok()))
        }
    };
    if let (Some(path), Some(bundle), true) = (&cmd.save_run_bundle, &bundle, result.is_success()) {
        write_atomic(path, &pretty(bundle))?;
        if !json_out {
            eprintln!("run bundle written to {}", path.display());
        }
    }
    report("execute", &result, json_out)
}

fn write_document(result: ToolResult, key: &str, output: Option<&Path>, json_out: bool) -> Result<(), Fail> {
    let Some(data) = result.data() else { return Err(Fail::Refused(result)) };
    let doc = data.get(key).cloned().unwrap_or(Value::Null);
    match output {
        Some(path) => {
            write_atomic(path, &(pretty(&doc) + "\n"))?;
            if json_out {
                let mut m = data.clone();
                m.remove(key);
                m.insert("written_to", Value::String(path.display().to_string()));
                println!("{}", pretty(&ToolResult::ok(m).to_value()));
            } else {
                println!("{}\nwritten to {}", text_of(data.get("rendered")), path.display());
            }
        }
        None if json_out => println!("{}", pretty(&result.to_value())),
        None => println!("{}", pretty(&doc)),
    }
    Ok(())
}

fn run<S: Store>(tools: &NexusAttest<S>, command: &Command, json_out: bool) -> Result<(), Fail> {
    match command {
        Command::Request(r) => {
            let mut a = Map::new();
            a.insert("goal", Value::str(r.goal.as_str()));
            a.insert("actor", actor(&r.actor)?);
            a.insert("mode", Value::str(r.mode.as_str()));
            if let Some(p) = &r.plan {
                a.insert("plan", Value::str(p.as_str()));
            }
            if let Some(t) = &r.template {
                a.insert("template_name", Value::str(t.as_str()));
            }
            if let Some(n) = r.min_approvals {
                a.insert("min_approvals", Value::int(n));
            }
            if !r.allowed_modes.is_empty() {
                a.insert("allowed_modes", strs(&r.allowed_modes));
            }
            if !r.capabilities.is_empty() {
                a.insert("require_adapter_capabilities", strs(&r.capabilities));
            }
            if let Some(n) = r.max_steps {
                a.insert("max_steps", Value::int(n));
            }
            if !r.labels.is_empty() {
                a.insert("labels", strs(&r.labels));
            }
            if r.forbid_self_approval {
                a.insert("forbid_self_approval", Value::Bool(true));
            }
            report("request", &tools.call("request", &Value::Object(a)), json_out)
        }
        Command::Approve { request_id, actor: who, comment, expires_at } => {
            let mut a = Map::new();
            a.insert("request_id", Value::str(request_id.as_str()));
            a.insert("actor", actor(who)?);
            if let Some(c) = comment {
                a.insert("comment", Value::str(c.as_str()));
            }
            if let Some(x) = expires_at {
                a.insert("expires_at", Value::str(x.as_str()));
            }
            report("approve", &tools.call("approve", &Value::Object(a)), json_out)
        }
        Command::Revoke { request_id, actor: who, reason } => {
            let a = obj(vec![
                ("request_id", Value::str(request_id.as_str())),
                ("actor", actor(who)?),
                ("reason", Value::str(reason.as_str())),
            ]);
            report("revoke_approval", &tools.call("revoke_approval", &a), json_out)
        }
        Command::Execute(cmd) => execute(tools, cmd, json_out),
        Command::Status { request_id, events } => {
            let a =
                obj(vec![("request_id", Value::str(request_id.as_str())), ("include_events", Value::Bool(*events))]);
            report("status", &tools.call("status", &a), json_out)
        }
        Command::Inspect { decision_id, events } => {
            let a =
                obj(vec![("decision_id", Value::str(decision_id.as_str())), ("include_events", Value::Bool(*events))]);
            report("inspect", &tools.call("inspect", &a), json_out)
        }
        Command::List { limit, offset } => {
            let a = obj(vec![("limit", Value::int(*limit)), ("offset", Value::int(*offset))]);
            report("list_requests", &tools.call("list_requests", &a), json_out)
        }
        Command::Template { command } => match command {
            TemplateCmd::Create {
                name,
                actor: who,
                description,
                min_approvals,
                allowed_modes,
                capabilities,
                max_steps,
                labels,
            } => {
                let mut a = Map::new();
                a.insert("name", Value::str(name.as_str()));
                a.insert("actor", actor(who)?);
                a.insert("description", Value::str(description.as_str()));
                if let Some(n) = min_approvals {
                    a.insert("min_approvals", Value::int(*n));
                }
                if !allowed_modes.is_empty() {
                    a.insert("allowed_modes", strs(allowed_modes));
                }
                if !capabilities.is_empty() {
                    a.insert("require_adapter_capabilities", strs(capabilities));
                }
                if let Some(n) = max_steps {
                    a.insert("max_steps", Value::int(*n));
                }
                if !labels.is_empty() {
                    a.insert("labels", strs(labels));
                }
                report("template_create", &tools.call("template_create", &Value::Object(a)), json_out)
            }
            TemplateCmd::Get { name, events } => {
                let a = obj(vec![("name", Value::str(name.as_str())), ("include_events", Value::Bool(*events))]);
                report("template_get", &tools.call("template_get", &a), json_out)
            }
            TemplateCmd::List { label, limit, offset } => {
                let mut a = Map::new();
                a.insert("limit", Value::int(*limit));
                a.insert("offset", Value::int(*offset));
                if let Some(l) = label {
                    a.insert("label_filter", Value::str(l.as_str()));
                }
                report("template_list", &tools.call("template_list", &Value::Object(a)), json_out)
            }
        },
        Command::ExportBundle { decision_id, output, no_template_snapshot, no_router_link } => {
            let a = obj(vec![
                ("decision_id", Value::str(decision_id.as_str())),
                ("include_template_snapshot", Value::Bool(!no_template_snapshot)),
                ("include_router_link", Value::Bool(!no_router_link)),
            ]);
            write_document(tools.call("export_bundle", &a), "bundle", output.as_deref(), json_out)
        }
        Command::ImportBundle { file, conflict_mode, no_verify, no_replay, strict } => {
            let bundle = read_json(file)?;
            let a = obj(vec![
                ("bundle", bundle),
                ("verify_digest", Value::Bool(!no_verify)),
                ("conflict_mode", Value::str(conflict_mode.as_str())),
                ("replay_after_import", Value::Bool(!no_replay)),
                ("strict", Value::Bool(*strict)),
            ]);
            report("import_bundle", &tools.call("import_bundle", &a), json_out)
        }
        Command::ExportAuditPackage {
            decision_id,
            output,
            embed_router,
            router_bundle,
            router_bundle_digest,
            no_verify_router_digest,
        } => {
            let mut a = Map::new();
            a.insert("decision_id", Value::str(decision_id.as_str()));
            a.insert("embed_router_bundle", Value::Bool(*embed_router));
            if let Some(path) = router_bundle {
                a.insert("router_bundle", read_json(path)?);
            }
            if let Some(d) = router_bundle_digest {
                a.insert("router_bundle_digest", Value::str(d.as_str()));
            }
            a.insert("verify_router_bundle_digest", Value::Bool(!no_verify_router_digest));
            let result = tools.call("export_audit_package", &Value::Object(a));
            write_document(result, "package", output.as_deref(), json_out)
        }
        Command::Verify { .. }
        | Command::Demo { .. }
        | Command::Mcp(_)
        | Command::Attest { .. }
        | Command::Witness { .. }
        | Command::Queue { .. }
        | Command::Narrative { .. }
        | Command::Keygen(_) => Err(usage("internal: handled before opening the database")),
    }
}

/// `verify`: attest-verify's checks; exit 0 verified, 1 a check failed, 2 unreadable.
fn verify(file: &Path, bundle: bool, expect_binding: Option<&str>, json_out: bool) -> ExitCode {
    let doc = match read_json(file) {
        Ok(d) => d,
        Err(Fail::Usage(m)) => {
            eprintln!("nexus-attest: error: {m}");
            return ExitCode::from(2);
        }
        Err(Fail::Refused(_)) => return ExitCode::from(2),
    };
    let opts = VerifyOptions { now_micros: None, expect_binding: expect_binding.map(str::to_owned) };
    let result = if bundle {
        nexus_attest::verify::verify_bundle(&doc, &opts)
    } else {
        nexus_attest::verify::verify_package(&doc, &opts)
    };
    match result {
        Err(e) => {
            eprintln!(
                "nexus-attest: error [{}]: not shaped like {}: {e}",
                e.code(),
                if bundle { "a decision bundle" } else { "an audit package" }
            );
            ExitCode::from(2)
        }
        Ok(v) => {
            if json_out {
                println!("{}", pretty(&v.to_flat_value()));
            } else {
                print_verification(&v);
            }
            if v.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn print_verification(v: &nexus_attest::verify::Verification) {
    println!("{}", verification_text(v));
}

/// The readable form of a verification: each check, the notes, the verdict.
pub(crate) fn verification_text(v: &nexus_attest::verify::Verification) -> String {
    let mark = |ok: bool| if ok { "ok  " } else { "FAIL" };
    let mut lines = vec![format!(
        "reference checks: {} ({}/{} passed)",
        if v.reference_ok() { "PASS" } else { "FAIL" },
        v.reference.passed(),
        v.reference.checks.len()
    )];
    for c in &v.reference.checks {
        lines.push(format!("  {} {}", mark(c.ok), c.name));
    }
    lines.push(format!(
        "deep checks: {} ({}/{} passed)",
        if v.deep.ok() { "PASS" } else { "FAIL" },
        v.deep.passed(),
        v.deep.checks.len()
    ));
    for c in &v.deep.checks {
        if c.ok {
            lines.push(format!("  {} {}", mark(true), c.name));
        } else {
            lines.push(format!("  {} {}: {}", mark(false), c.name, c.detail.as_deref().unwrap_or("")));
        }
    }
    for a in v.advisories.iter().filter(|a| !a.ok) {
        lines.push(format!("  note {}: {}", a.name, a.detail.as_deref().unwrap_or("")));
    }
    lines.push(format!("verdict: {}", if v.ok() { "VERIFIED" } else { "NOT VERIFIED" }));
    lines.join("\n")
}

fn open_and_run(cli: &Cli) -> Result<(), Fail> {
    let open_err =
        |e: nexus_attest::CoreError| usage(format!("cannot open {}: {}", cli.db.display(), e.wire_message()));
    match cli.store {
        StoreKind::Sqlite => run(&NexusAttest::open(&cli.db).map_err(open_err)?, &cli.command, cli.json),
        StoreKind::Redb => run(&NexusAttest::open_redb(&cli.db).map_err(open_err)?, &cli.command, cli.json),
    }
}

/// `mcp`: open the store and the router, then serve until end of input.
fn serve_mcp(cli: &Cli, cmd: &McpCmd) -> ExitCode {
    let fail = |m: String| {
        eprintln!("nexus-attest: error: {m}");
        ExitCode::from(2)
    };
    let router = match &cmd.router_config {
        Some(path) => match router::read_config(path).and_then(|c| router::bridge(&c, path)) {
            Ok(bridge) => mcp::RouterSetup::Bridge(bridge),
            Err(e) => return fail(e),
        },
        None => mcp::RouterSetup::DryRun { capabilities: cmd.adapter_capabilities.clone() },
    };
    let attest = match &cmd.attest_key {
        None => None,
        Some(path) => match attest::read_signing_key(path) {
            Ok(key) => Some(mcp::AttestSetup { key, attestor: cmd.attestor.clone() }),
            Err(Fail::Usage(m)) => return fail(m),
            Err(Fail::Refused(_)) => return fail(format!("cannot read {}", path.display())),
        },
    };
    let config =
        mcp::Config { router, attest, max_request_bytes: usize::try_from(cmd.max_request_bytes).unwrap_or(usize::MAX) };
    let origin = format!("{} ({})", cli.db.display(), if cli.store == StoreKind::Redb { "redb" } else { "sqlite" });
    let open_err = |e: nexus_attest::CoreError| format!("cannot open {}: {}", cli.db.display(), e.wire_message());
    match cli.store {
        StoreKind::Sqlite => match NexusAttest::open(&cli.db) {
            Ok(tools) => mcp::run(tools, config, &origin),
            Err(e) => fail(open_err(e)),
        },
        StoreKind::Redb => match NexusAttest::open_redb(&cli.db) {
            Ok(tools) => mcp::run(tools, config, &origin),
            Err(e) => fail(open_err(e)),
        },
    }
}

mod attest;
mod demo;
mod mcp;
mod queue;
mod router;
mod witness;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match &cli.command {
        Command::Verify { file, bundle, expect_binding } => {
            return verify(file, *bundle, expect_binding.as_deref(), cli.json)
        }
        Command::Demo { dir } => return demo::run(dir.as_deref(), cli.store == StoreKind::Redb),
        Command::Witness { command } => return witness::run(command, cli.json),
        Command::Queue { command } => return queue::run(command, &cli.db, cli.store == StoreKind::Redb, cli.json),
        Command::Narrative { intent_digest } => {
            return queue::narrative(intent_digest, &cli.db, cli.store == StoreKind::Redb, cli.json)
        }
        Command::Mcp(cmd) => return serve_mcp(&cli, cmd),
        Command::Attest { command } => return attest::run(command, cli.json),
        Command::Keygen(cmd) => return attest::keygen(cmd, cli.json),
        _ => {}
    }
    match open_and_run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail::Refused(result)) => {
            if cli.json {
                println!("{}", pretty(&result.to_value()));
            } else {
                eprintln!(
                    "nexus-attest: refused [{}]: {}",
                    result.code().unwrap_or("ERROR"),
                    result.error().map(ToString::to_string).unwrap_or_default()
                );
            }
            ExitCode::from(1)
        }
        Err(Fail::Usage(m)) => {
            eprintln!("nexus-attest: error: {m}");
            ExitCode::from(2)
        }
    }
}
