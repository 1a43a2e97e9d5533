//! The MCP tool catalogue: names (the original README's `nexus-attest.*`, with the schema
//! titles `nexus-control.*` and underscore spellings as aliases), the method each calls,
//! input schemas (`spec/core.md` §8.5), output schemas and annotations.

use nexus_attest::verify::json::{Map, Value};

use super::schema::{
    defaulted, distinct_of, formatted, integer, non_empty, nullable, object_schema, one_of, optional, patterned,
    required, string, strings, Format, Pattern, Prop, Schema, DIALECT,
};

/// What a tool call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// A method of the tool API (`NexusAttest::call` / `call_with_router`).
    Method(&'static str),
    /// `attest_verify::verify_package` over the `package` argument.
    VerifyPackage,
    /// Enqueue an attestation intent in the witness queue.
    QueueIntent,
    /// Read witness queue entries.
    QueueStatus,
    /// The narrative report of a queued intent.
    Narrative,
    /// Sign an attestation with the server's key.
    AttestSign,
}

/// Behaviour hints published as MCP tool annotations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hints {
    read_only: bool,
    destructive: bool,
    idempotent: bool,
    open_world: bool,
}

const READ: Hints = Hints { read_only: true, destructive: false, idempotent: true, open_world: false };
const WRITE: Hints = Hints { read_only: false, destructive: false, idempotent: false, open_world: false };
const UNDO: Hints = Hints { read_only: false, destructive: true, idempotent: false, open_world: false };
const RUN: Hints = Hints { read_only: false, destructive: true, idempotent: false, open_world: true };

/// One tool.
#[derive(Debug, Clone)]
pub(crate) struct Tool {
    /// The registered name (`nexus-attest.<tool>`).
    pub(crate) name: &'static str,
    /// The original schema's title (`nexus-control.<tool>`), accepted as an alias.
    pub(crate) schema_title: Option<&'static str>,
    /// What a call does.
    pub(crate) action: Action,
    title: &'static str,
    description: &'static str,
    /// The input properties, in order.
    pub(crate) props: Vec<Prop>,
    /// Data keys of a successful result with their schemas.
    output: Vec<(&'static str, Value)>,
    /// Data keys every successful result has.
    always: &'static [&'static str],
    hints: Hints,
}

impl Tool {
    /// Whether `name` calls this tool: the registered name, the schema title, or the
    /// registered name with `.` and `-` spelled `_` (`nexus_attest_template_create`).
    pub(crate) fn answers_to(&self, name: &str) -> bool {
        name == self.name || Some(name) == self.schema_title || name == self.underscore_name()
    }

    /// The registered name with `.` and `-` replaced by `_`.
    pub(crate) fn underscore_name(&self) -> String {
        self.name.replace(['.', '-'], "_")
    }

    /// The JSON Schema of the arguments.
    pub(crate) fn input_schema(&self) -> Value {
        object_schema(&self.props)
    }

    /// The JSON Schema of the result object: `success` always; on success the data keys
    /// (those in `always` required), on failure `error`.
    pub(crate) fn output_schema(&self) -> Value {
        let mut props = Map::new();
        props.insert("success", ty("boolean", "true for a successful call, false for a refused one"));
        props.insert("error", ty("string", "why the call was refused: `CODE: message` or the original's message"));
        for (k, v) in &self.output {
            props.insert(*k, v.clone());
        }
        let mut on_success = Map::new();
        on_success.insert("required", strs(self.always));
        let mut on_failure = Map::new();
        on_failure.insert("required", strs(&["error"]));
        let mut cond = Map::new();
        cond.insert("properties", obj(vec![("success", obj(vec![("const", Value::Bool(true))]))]));
        let mut m = Map::new();
        m.insert("$schema", Value::str(DIALECT));
        m.insert("type", Value::str("object"));
        m.insert("properties", Value::Object(props));
        m.insert("required", strs(&["success"]));
        m.insert("if", Value::Object(cond));
        m.insert("then", Value::Object(on_success));
        m.insert("else", Value::Object(on_failure));
        m.insert("additionalProperties", Value::Bool(true));
        Value::Object(m)
    }

    /// The `tools/list` entry; `title` and `outputSchema` from 2025-06-18 on,
    /// annotations from 2025-03-26 on.
    pub(crate) fn listing(&self, structured: bool, annotations: bool) -> Value {
        let mut m = Map::new();
        m.insert("name", Value::str(self.name));
        if structured {
            m.insert("title", Value::str(self.title));
        }
        m.insert("description", Value::str(self.description));
        m.insert("inputSchema", self.input_schema());
        if structured {
            m.insert("outputSchema", self.output_schema());
        }
        if annotations {
            let h = self.hints;
            m.insert(
                "annotations",
                obj(vec![
                    ("title", Value::str(self.title)),
                    ("readOnlyHint", Value::Bool(h.read_only)),
                    ("destructiveHint", Value::Bool(h.destructive)),
                    ("idempotentHint", Value::Bool(h.idempotent)),
                    ("openWorldHint", Value::Bool(h.open_world)),
                ]),
            );
        }
        Value::Object(m)
    }
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::with_capacity(pairs.len());
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Object(m)
}

fn strs(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| Value::str(*s)).collect())
}

/// `{"type": t, "description": d}`; `t` may be `a|b` for several types.
fn ty(t: &str, description: &str) -> Value {
    let types: Vec<&str> = t.split('|').collect();
    let t = match types.as_slice() {
        [one] => Value::str(*one),
        many => strs(many),
    };
    obj(vec![("type", t), ("description", Value::str(description))])
}

/// A value of any type.
fn any(description: &str) -> Value {
    obj(vec![("description", Value::str(description))])
}

const MODES: &[&str] = &["dry_run", "apply"];

/// `^[a-zA-Z0-9][a-zA-Z0-9_-]*$`
fn template_name_ok(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

const TEMPLATE_NAME: Pattern = Pattern { source: "^[a-zA-Z0-9][a-zA-Z0-9_-]*$", matches: template_name_ok };

fn actor(description: &'static str) -> Prop {
    required("actor", Schema::Actor, description)
}

fn request_id() -> Prop {
    required("request_id", formatted(Format::Uuid), "The decision (request) id returned by `request`.")
}

fn decision_id() -> Prop {
    required("decision_id", string(), "The decision (request) id.")
}

fn flag(name: &'static str, default: bool, description: &'static str) -> Prop {
    defaulted(name, Schema::Boolean, Value::Bool(default), description)
}

fn min_approvals() -> Prop {
    defaulted(
        "min_approvals",
        integer(Some(1), None),
        Value::int(1),
        "Distinct approvals needed before execution (passed to the method only when given).",
    )
}

fn allowed_modes(default: Option<Value>) -> Prop {
    let mut p = optional("allowed_modes", distinct_of(MODES), "Modes execution may use.");
    p.default = default;
    p
}

fn policy_tail() -> Vec<Prop> {
    vec![
        optional("require_adapter_capabilities", strings(), "Capabilities the executing adapter must declare."),
        optional("max_steps", nullable(integer(Some(1), None)), "Step limit for the router (null: none)."),
        optional("labels", strings(), "Labels (exact-match filters for listing)."),
    ]
}

fn limit_offset() -> Vec<Prop> {
    vec![
        defaulted("limit", integer(Some(1), Some(1000)), Value::int(100), "How many to return."),
        defaulted("offset", integer(Some(0), None), Value::int(0), "How many to skip."),
    ]
}

/// The fourteen tools, in listing order.
pub(crate) fn tools() -> Vec<Tool> {
    vec![
        request_tool(),
        Tool {
            name: "nexus-attest.approve",
            schema_title: Some("nexus-control.approve"),
            action: Action::Method("approve"),
            title: "Approve a request",
            description: "Approve a pending request. Each distinct actor counts once toward the policy's \
                          min_approvals; an approval may carry a comment and an expiry.",
            props: vec![
                request_id(),
                actor("Who approves."),
                optional("comment", nullable(string()), "A comment kept with the approval."),
                optional(
                    "expires_at",
                    nullable(formatted(Format::DateTime)),
                    "When the approval stops counting (RFC 3339 with offset).",
                ),
            ],
            output: vec![
                ("request_id", ty("string", "The decision id.")),
                ("state", ty("string", "The decision state after the approval.")),
                ("current_approvals", ty("integer", "Active approvals.")),
                ("required_approvals", ty("integer", "Approvals the policy needs.")),
                ("is_approved", ty("boolean", "Whether the policy's approval threshold is met.")),
            ],
            always: &["request_id", "state", "current_approvals", "required_approvals", "is_approved"],
            hints: WRITE,
        },
        Tool {
            name: "nexus-attest.revoke_approval",
            schema_title: None,
            action: Action::Method("revoke_approval"),
            title: "Revoke an approval",
            description: "Revoke an actor's approval of a request that has not been executed (an extension: \
                          the original has the method but no published tool name).",
            props: vec![
                request_id(),
                actor("Whose approval is revoked."),
                defaulted("reason", string(), Value::str(""), "Why."),
            ],
            output: vec![
                ("request_id", ty("string", "The decision id.")),
                ("state", ty("string", "The decision state after the revocation.")),
                ("current_approvals", ty("integer", "Active approvals.")),
                ("is_approved", ty("boolean", "Whether the policy's approval threshold is still met.")),
            ],
            always: &["request_id", "state", "current_approvals", "is_approved"],
            hints: UNDO,
        },
        Tool {
            name: "nexus-attest.execute",
            schema_title: Some("nexus-control.execute"),
            action: Action::Method("execute"),
            title: "Execute an approved request",
            description: "Execute an approved request through the router the server was started with (the \
                          dry-run router by default; the nexus-router bridge with --router-config). The policy \
                          is checked in the same atomic write that records the execution; a decision runs at \
                          most once.",
            props: vec![
                request_id(),
                required("adapter_id", string(), "The adapter to run with, e.g. `subprocess:mcpt:rotate`."),
                actor("Who executes."),
                optional(
                    "dry_run",
                    nullable(Schema::Boolean),
                    "Force dry-run (true) or apply (false); null or absent: the requested mode.",
                ),
            ],
            output: vec![
                ("request_id", ty("string", "The decision id.")),
                ("run_id", any("The router's run id.")),
                ("mode", ty("string", "`dry_run` or `apply`.")),
                ("steps_executed", any("Steps the router ran.")),
                ("request_digest", ty("string", "Digest of the compiled router request (hex).")),
                ("response_digest", ty("string", "Digest of the router's response (hex).")),
            ],
            always: &["request_id", "run_id", "mode", "steps_executed", "request_digest", "response_digest"],
            hints: RUN,
        },
        Tool {
            name: "nexus-attest.status",
            schema_title: Some("nexus-control.status"),
            action: Action::Method("status"),
            title: "Decision status",
            description: "The decision's state derived by replaying its event log: policy, approvals, executions.",
            props: vec![request_id(), flag("include_events", false, "Include the event log.")],
            output: vec![
                ("decision_id", ty("string", "The decision id.")),
                ("state", ty("string", "Lower-case state.")),
                ("goal", ty("string|null", "The goal.")),
                ("plan", ty("string|null", "The plan.")),
                ("requested_mode", ty("string|null", "The requested mode.")),
                ("labels", ty("array", "Labels.")),
                ("policy", ty("object|null", "The policy.")),
                ("active_approvals", ty("integer", "Active approvals.")),
                ("total_approvals", ty("integer", "Distinct approvers ever.")),
                ("is_approved", ty("boolean", "Whether the approval threshold is met.")),
                ("executions", ty("array", "Executions, oldest first.")),
                ("event_count", ty("integer", "Number of events.")),
                ("template", ty("object", "The template reference (templated decisions only).")),
                ("events", ty("array", "The event log (with include_events).")),
            ],
            always: &["decision_id", "state", "is_approved", "executions", "event_count"],
            hints: READ,
        },
        Tool {
            name: "nexus-attest.inspect",
            schema_title: Some("nexus-control.inspect"),
            action: Action::Method("inspect"),
            title: "Inspect a decision",
            description: "A decision's lifecycle, blocking reasons, approvals, policy, template, execution and \
                          timeline, with a rendered text view.",
            props: vec![
                decision_id(),
                flag("render", true, "Include the rendered text view."),
                flag("include_events", false, "Include the event log."),
                flag("include_compiled_router_request", true, "Include a preview of the compiled router request."),
            ],
            output: vec![
                ("ok", ty("boolean", "Always true on success.")),
                ("decision", ty("object", "Header: id, status, mode, goal, times.")),
                ("lifecycle", ty("object", "Blocking reasons, progress and timeline.")),
                ("approval", ty("object", "Approval summary.")),
                ("policy", ty("object|null", "The policy.")),
                ("template", ty("object|null", "The template reference.")),
                ("execution", ty("object", "The latest execution.")),
                ("timeline", ty("array", "The timeline.")),
                ("compiled_router_request", ty("object", "Preview of the compiled router request.")),
                ("events", ty("array", "The event log (with include_events).")),
                ("rendered", ty("string", "The text view (with render).")),
            ],
            always: &["ok", "decision", "lifecycle", "approval", "execution", "timeline"],
            hints: READ,
        },
        Tool {
            name: "nexus-attest.list_requests",
            schema_title: None,
            action: Action::Method("list_requests"),
            title: "List requests",
            description: "Decisions, newest first (an extension: the original has the method but no published \
                          tool name). A decision that cannot be replayed is listed with state `invalid`.",
            props: limit_offset(),
            output: vec![
                ("requests", ty("array", "Each {request_id, created_at, state, goal, is_approved}.")),
                ("count", ty("integer", "Number returned.")),
                ("offset", ty("integer", "As given.")),
                ("limit", ty("integer", "As given.")),
            ],
            always: &["requests", "count", "offset", "limit"],
            hints: READ,
        },
        Tool {
            name: "nexus-attest.template.create",
            schema_title: Some("nexus-control.template.create"),
            action: Action::Method("template_create"),
            title: "Create a policy template",
            description: "Create a named, immutable policy template that requests can start from.",
            props: {
                let mut p = vec![
                    required("name", patterned(TEMPLATE_NAME), "The template name."),
                    actor("Who creates the template."),
                    defaulted("description", string(), Value::str(""), "What the template is for."),
                    min_approvals(),
                    allowed_modes(Some(strs(&["dry_run"]))),
                ];
                p.extend(policy_tail());
                p
            },
            output: vec![
                ("template_name", ty("string", "The name.")),
                ("description", ty("string", "The description.")),
                ("digest", ty("string", "The template digest (hex).")),
                ("created_at", ty("string", "Creation time (ISO 8601).")),
            ],
            always: &["template_name", "description", "digest", "created_at"],
            hints: WRITE,
        },
        Tool {
            name: "nexus-attest.template.get",
            schema_title: Some("nexus-control.template.get"),
            action: Action::Method("template_get"),
            title: "Get a policy template",
            description: "A template with its digest and snapshot.",
            props: vec![
                required("name", non_empty(), "The template name."),
                flag("include_events", false, "Include the template's log."),
            ],
            output: vec![
                ("template", ty("object", "The template.")),
                ("digest", ty("string", "The template digest (hex).")),
                ("snapshot", ty("object", "The snapshot decisions carry.")),
                ("events", ty("array", "The template's log (with include_events).")),
            ],
            always: &["template", "digest", "snapshot"],
            hints: READ,
        },
        Tool {
            name: "nexus-attest.template.list",
            schema_title: Some("nexus-control.template.list"),
            action: Action::Method("template_list"),
            title: "List policy templates",
            description: "Templates, newest first, optionally only those with a label (exact match).",
            props: {
                let mut p = limit_offset();
                p.push(optional("label_filter", nullable(string()), "Only templates with this label."));
                p
            },
            output: vec![
                (
                    "templates",
                    ty("array", "Each {name, description, min_approvals, allowed_modes, labels, created_at}."),
                ),
                ("count", ty("integer", "Number returned.")),
                ("offset", ty("integer", "As given.")),
                ("limit", ty("integer", "As given.")),
            ],
            always: &["templates", "count", "offset", "limit"],
            hints: READ,
        },
        Tool {
            name: "nexus-attest.export_bundle",
            schema_title: None,
            action: Action::Method("export_bundle"),
            title: "Export a decision bundle",
            description: "A decision as a portable, digest-sealed bundle (byte-compatible with nexus-attest 1.0.1).",
            props: vec![
                decision_id(),
                flag("include_template_snapshot", true, "Include the template snapshot."),
                flag("include_router_link", true, "Include the router link."),
                flag("render", true, "Include a rendered text view."),
            ],
            output: vec![
                ("bundle", ty("object", "The decision bundle.")),
                ("digest", ty("string", "`sha256:` + the bundle digest.")),
                ("rendered", ty("string", "The text view (with render).")),
            ],
            always: &["bundle", "digest"],
            hints: READ,
        },
        Tool {
            name: "nexus-attest.import_bundle",
            schema_title: None,
            action: Action::Method("import_bundle"),
            title: "Import a decision bundle",
            description: "Import a decision bundle: digest checked, replayed in memory, then written in one atomic \
                          write. conflict_mode is `reject_on_conflict`, `new_decision_id` or `overwrite` (other \
                          values are refused with CONFLICT_MODE_INVALID).",
            props: vec![
                required("bundle", Schema::Document, "The decision bundle (as exported)."),
                flag("verify_digest", true, "Check the bundle digest."),
                defaulted(
                    "conflict_mode",
                    string(),
                    Value::str("reject_on_conflict"),
                    "What to do when the decision exists.",
                ),
                flag("replay_after_import", true, "Replay the decision before accepting it."),
                flag("strict", false, "Also refuse bundles that fail a deep check (an extension)."),
            ],
            output: vec![
                ("ok", ty("boolean", "Always true on success.")),
                ("imported", ty("object", "The decision id and event count (and the remapping).")),
                ("digest_verified", ty("boolean", "As asked.")),
                ("conflict_mode", ty("string", "As asked.")),
                ("replay_ran", ty("boolean", "As asked.")),
                ("replay", ty("object", "The replay result (when it ran).")),
            ],
            always: &["ok", "imported"],
            hints: UNDO,
        },
        Tool {
            name: "nexus-attest.export_audit_package",
            schema_title: None,
            action: Action::Method("export_audit_package"),
            title: "Export an audit package",
            description: "An executed decision as a verifiable audit package binding the control bundle to the \
                          router's evidence. With embed_router_bundle and no router_bundle, the server embeds the \
                          run it executed for this decision (kept in memory since the run); otherwise the package \
                          references the router result by digest.",
            props: vec![
                decision_id(),
                flag("embed_router_bundle", false, "Embed the router's run bundle instead of referencing it."),
                optional(
                    "router_bundle",
                    nullable(Schema::Document),
                    "The run bundle to embed (absent: the run this server executed, if kept).",
                ),
                optional("router_bundle_digest", nullable(string()), "Reference mode: the router digest to bind."),
                flag(
                    "verify_router_bundle_digest",
                    true,
                    "Require the embedded bundle's digest to match the recorded result.",
                ),
                flag("render", true, "Include a rendered text view."),
            ],
            output: vec![
                ("package", ty("object", "The audit package.")),
                ("digest", ty("string", "`sha256:` + the binding digest.")),
                ("rendered", ty("string", "The text view (with render).")),
                ("warnings", ty("array", "Findings that did not stop the export.")),
            ],
            always: &["package", "digest"],
            hints: READ,
        },
        Tool {
            name: "nexus-attest.verify_audit_package",
            schema_title: None,
            action: Action::VerifyPackage,
            title: "Verify an audit package",
            description: "Verify an audit package with attest-verify: the six reference checks of nexus-attest \
                          1.0.1 plus the deep checks. A package that fails a check is a successful call with \
                          ok: false; one that cannot be read as a package is refused (SHAPE_* codes).",
            props: vec![
                required("package", Schema::Document, "The audit package."),
                optional(
                    "expect_binding",
                    nullable(string()),
                    "Require this binding digest (`sha256:<hex>` or hex): pins the package's origin.",
                ),
                optional(
                    "attestations",
                    Schema::Array { items: Box::new(Schema::Document), min_items: 0, unique: false },
                    "Attestation documents over the package's binding digest.",
                ),
                optional(
                    "trusted_keys",
                    strings(),
                    "Trusted Ed25519 public keys (64 hex): with them, the package passes only when `threshold` \
                     distinct trusted keys attest its binding digest (check attestation_trust).",
                ),
                defaulted(
                    "threshold",
                    integer(Some(1), None),
                    Value::int(1),
                    "Distinct trusted attestations required.",
                ),
            ],
            output: vec![
                ("ok", ty("boolean", "Every check passed.")),
                ("reference_ok", ty("boolean", "The six reference checks passed.")),
                ("checks", ty("array", "Each {name, ok, expected, actual, detail}, reference checks first.")),
                ("advisories", ty("array", "Findings that never fail verification.")),
                (
                    "attestations",
                    ty("array", "Per attestation: id, key, trusted, signature_valid, binding_matches, ok, detail."),
                ),
            ],
            always: &["ok", "reference_ok", "checks", "advisories"],
            hints: READ,
        },
        Tool {
            name: "nexus-attest.queue_intent",
            schema_title: None,
            action: Action::QueueIntent,
            title: "Queue an attestation intent",
            description: "Enqueue an attestation intent (spec attestation.md: intent_version, subject_type, \
                          binding_digest, optional env, tenant, labels) in the witness queue of this database, \
                          for `nexus-attest queue run` to anchor on the XRP Ledger. The same intent again keeps \
                          its first entry.",
            props: vec![
                required("intent", Schema::Document, "The attestation intent."),
                optional("created_at", nullable(string()), "Enqueue time, `YYYY-MM-DDTHH:MM:SS+00:00` (default: now)."),
            ],
            output: vec![
                ("queue_id", ty("string", "`sha256:` + the intent digest.")),
                ("entry", ty("object", "queue_id, status, last_attempt, created_at, updated_at, last_error_code.")),
            ],
            always: &["queue_id", "entry"],
            hints: Hints { read_only: false, destructive: false, idempotent: true, open_world: false },
        },
        Tool {
            name: "nexus-attest.queue_status",
            schema_title: None,
            action: Action::QueueStatus,
            title: "Witness queue status",
            description: "Entries of the witness queue in queue order: one by queue_id (refused with \
                          QUEUE_NOT_FOUND when absent), or all, optionally with one status (PENDING, \
                          SUBMITTED, CONFIRMED, FAILED, DEFERRED).",
            props: vec![
                optional("queue_id", nullable(string()), "`sha256:` + intent digest, or the bare hex."),
                optional("status", nullable(string()), "Only entries with this status."),
            ],
            output: vec![("entries", ty("array", "Each {queue_id, status, last_attempt, created_at, ...}."))],
            always: &["entries"],
            hints: READ,
        },
        Tool {
            name: "nexus-attest.narrative",
            schema_title: None,
            action: Action::Narrative,
            title: "Attestation narrative",
            description: "The narrative report of a queued attestation intent: its receipts, the ledger witness \
                          and integrity checks, with a digest over the report that verifies it. ok is true when \
                          the intent is found and no check fails.",
            props: vec![required("intent_digest", non_empty(), "`sha256:` + intent digest, or the bare hex.")],
            output: vec![
                ("ok", ty("boolean", "Found, and no integrity check failed.")),
                ("report", ty("object", "The narrative report (schema nexus.attestation.narrative.v0.1).")),
            ],
            always: &["ok", "report"],
            hints: READ,
        },
        Tool {
            name: "nexus-attest.attest_sign",
            schema_title: None,
            action: Action::AttestSign,
            title: "Attest an audit package",
            description: "Sign an Ed25519 attestation over an audit package's binding digest with the server's \
                          key (`nexus-attest mcp --attest-key KEYFILE`; refused with ATTEST_KEY_NOT_CONFIGURED \
                          without one). The package must verify first (PACKAGE_NOT_VERIFIED otherwise). Pass the \
                          attestation to verify_audit_package with the public key as a trusted key.",
            props: vec![
                required("package", Schema::Document, "The audit package."),
                optional("claims", strings(), "Claims to sign (default: [\"package-verified\"])."),
                optional("role", nullable(string()), "A display role (unsigned, written into meta)."),
            ],
            output: vec![
                ("attestation", ty("object", "The attestation document.")),
                ("attestation_id", ty("string", "`att_` + 16 hex.")),
                ("binding_digest", ty("string", "`sha256:` + the package's binding digest.")),
                ("public_key", ty("string", "The signing key, 64 hex.")),
            ],
            always: &["attestation", "attestation_id", "binding_digest", "public_key"],
            hints: Hints { read_only: true, destructive: false, idempotent: false, open_world: false },
        },
    ]
}

fn request_tool() -> Tool {
    let mut props = vec![
        required("goal", non_empty(), "What the action should achieve."),
        actor("Who asks."),
        defaulted("mode", one_of(MODES), Value::str("dry_run"), "The requested mode."),
        optional("plan", nullable(string()), "A plan (free text)."),
        optional("template_name", nullable(string()), "Start from this template; policy arguments become overrides."),
        min_approvals(),
        allowed_modes(None),
    ];
    props.extend(policy_tail());
    props.push(optional(
        "forbid_self_approval",
        Schema::Boolean,
        "The requester may not approve (an extension of the original's policy).",
    ));
    Tool {
        name: "nexus-attest.request",
        schema_title: Some("nexus-control.request"),
        action: Action::Method("request"),
        title: "Request an action",
        description: "Ask to run a tool action: creates a decision with its policy (from the arguments or a \
                      template). It needs min_approvals distinct approvals before it can be executed.",
        props,
        output: vec![
            ("request_id", ty("string", "The new decision id.")),
            ("state", ty("string", "`pending_approval`.")),
            ("min_approvals", ty("integer", "Approvals needed.")),
            ("current_approvals", ty("integer", "Always 0.")),
            ("template_name", ty("string", "The template used.")),
            ("template_digest", ty("string", "The template digest.")),
            ("overrides_applied", ty("object", "Policy arguments that overrode the template.")),
        ],
        always: &["request_id", "state", "min_approvals", "current_approvals"],
        hints: WRITE,
    }
}

/// The tool `name` answers to, if any.
pub(crate) fn find<'a>(tools: &'a [Tool], name: &str) -> Option<&'a Tool> {
    tools.iter().find(|t| t.answers_to(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eighteen_distinct_tools_with_aliases() {
        let tools = tools();
        assert_eq!(tools.len(), 18);
        for t in &tools {
            assert_eq!(find(&tools, t.name).map(|x| x.name), Some(t.name));
            assert_eq!(find(&tools, &t.underscore_name()).map(|x| x.name), Some(t.name));
            if let Some(title) = t.schema_title {
                assert_eq!(find(&tools, title).map(|x| x.name), Some(t.name));
            }
            assert!(t.name.len() <= 64 && t.name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
        }
        assert!(find(&tools, "nexus_attest_template_create").is_some());
        assert!(find(&tools, "nexus-control.export_bundle").is_none());
        assert!(find(&tools, "request").is_none());
    }

    #[test]
    fn every_method_is_a_tool_api_method() {
        for t in tools() {
            if let Action::Method(m) = t.action {
                assert!(nexus_attest::TOOL_NAMES.contains(&m), "{m}");
            }
        }
    }

    #[test]
    fn template_name_pattern() {
        assert!(template_name_ok("prod-deploy_2"));
        assert!(!template_name_ok("-x"));
        assert!(!template_name_ok(""));
        assert!(!template_name_ok("a b"));
    }
}
