//! The tool API: the original's tool methods over any [`Store`], each returning the same
//! result object (`{"success": true, ...}` or `{"success": false, "error": "..."}`).

use attest_core::export::{render_bundle, render_package};
use attest_core::{BundleOptions, CoreError, Engine, ImportOptions, InspectOptions, PackageOptions, RequestArgs};
use attest_events::{Map, Value};
use attest_policy::TemplateSpec;
use attest_router::Router;
use attest_store::{MemoryStore, Store};

/// A router placeholder for calls without one (never called).
struct NoRouter;

impl Router for NoRouter {
    fn adapter_capabilities(
        &self,
        _adapter_id: &str,
    ) -> Result<Option<std::collections::BTreeSet<String>>, attest_router::RouterError> {
        Ok(None)
    }

    fn run(&self, _args: &attest_router::RunArgs<'_>) -> Result<Map, attest_router::RouterError> {
        Ok(Map::new())
    }
}

use crate::args::Args;

/// The result of a tool call: data on success, a typed error otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult(Result<Map, CoreError>);

impl ToolResult {
    /// A successful result.
    pub fn ok(data: Map) -> ToolResult {
        ToolResult(Ok(data))
    }

    /// A failed result.
    pub fn err(e: CoreError) -> ToolResult {
        ToolResult(Err(e))
    }

    /// Whether the call succeeded.
    pub fn is_success(&self) -> bool {
        self.0.is_ok()
    }

    /// The data of a successful call.
    pub fn data(&self) -> Option<&Map> {
        self.0.as_ref().ok()
    }

    /// The error of a failed call.
    pub fn error(&self) -> Option<&CoreError> {
        self.0.as_ref().err()
    }

    /// The stable code of a failed call.
    pub fn code(&self) -> Option<&'static str> {
        self.error().map(CoreError::code)
    }

    /// The wire form: `{"success": true, <data...>}` or `{"success": false, "error"}`.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        match &self.0 {
            Ok(data) => {
                m.insert("success", Value::Bool(true));
                for (k, v) in data.iter() {
                    m.insert(k, v.clone());
                }
            }
            Err(e) => {
                m.insert("success", Value::Bool(false));
                m.insert("error", Value::String(e.wire_message()));
            }
        }
        Value::Object(m)
    }

    /// The wire form as JSON text (insertion order, Python-style separators).
    pub fn to_json(&self) -> String {
        attest_verify::canonical::to_display_string(&self.to_value(), None)
    }

    /// The underlying result.
    pub fn into_result(self) -> Result<Map, CoreError> {
        self.0
    }
}

impl From<Result<Map, CoreError>> for ToolResult {
    fn from(r: Result<Map, CoreError>) -> ToolResult {
        ToolResult(r)
    }
}

/// Tool names accepted by [`NexusAttest::call`] (method names; the MCP server maps its
/// `nexus-attest.*` names onto these).
pub const TOOL_NAMES: [&str; 14] = [
    "execute",
    "import_bundle",
    "export_bundle",
    "export_audit_package",
    "request",
    "approve",
    "revoke_approval",
    "status",
    "inspect",
    "list_requests",
    "template_create",
    "template_get",
    "template_list",
    "lifecycle",
];

/// Nexus Attest: the tool API over an engine.
#[derive(Debug)]
pub struct NexusAttest<S: Store> {
    engine: Engine<S>,
}

impl NexusAttest<attest_store_sqlite::SqliteStore> {
    /// Open (or create) an SQLite database file: the default, durable store.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<NexusAttest<attest_store_sqlite::SqliteStore>, CoreError> {
        let store = attest_store_sqlite::SqliteStore::open_default(path)?;
        Ok(NexusAttest::new(Engine::new(store)))
    }
}

impl NexusAttest<attest_store_redb::RedbStore> {
    /// Open (or create) a redb database file (single process).
    pub fn open_redb(
        path: impl AsRef<std::path::Path>,
    ) -> Result<NexusAttest<attest_store_redb::RedbStore>, CoreError> {
        let store = attest_store_redb::RedbStore::open_default(path)?;
        Ok(NexusAttest::new(Engine::new(store)))
    }
}

impl NexusAttest<MemoryStore> {
    /// An in-memory instance (nothing is persisted).
    pub fn in_memory() -> NexusAttest<MemoryStore> {
        NexusAttest::new(Engine::new(MemoryStore::new()))
    }
}

impl<S: Store> NexusAttest<S> {
    /// The tool API over `engine`.
    pub fn new(engine: Engine<S>) -> NexusAttest<S> {
        NexusAttest { engine }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine<S> {
        &self.engine
    }

    /// `request`: create a decision with its policy.
    pub fn request(&self, args: &RequestArgs) -> ToolResult {
        self.engine.request(args).map(|o| o.to_map()).into()
    }

    /// `approve`.
    pub fn approve(
        &self,
        request_id: &str,
        actor: &attest_events::Actor,
        comment: Option<&str>,
        expires_at: Option<&str>,
    ) -> ToolResult {
        self.engine.approve(request_id, actor, comment, expires_at).into()
    }

    /// `revoke_approval`.
    pub fn revoke_approval(&self, request_id: &str, actor: &attest_events::Actor, reason: &str) -> ToolResult {
        self.engine.revoke_approval(request_id, actor, reason).into()
    }

    /// `status`.
    pub fn status(&self, request_id: &str, include_events: bool) -> ToolResult {
        self.engine.status(request_id, include_events).into()
    }

    /// `inspect`.
    pub fn inspect(&self, decision_id: &str, opts: InspectOptions) -> ToolResult {
        self.engine.inspect(decision_id, opts).into()
    }

    /// `list_requests`.
    pub fn list_requests(&self, limit: usize, offset: usize) -> ToolResult {
        self.engine.list_requests(limit, offset).into()
    }

    /// `template_create`.
    pub fn template_create(&self, spec: &TemplateSpec, actor: &attest_events::Actor) -> ToolResult {
        self.engine.template_create(spec, actor).into()
    }

    /// `template_get`.
    pub fn template_get(&self, name: &str, include_events: bool) -> ToolResult {
        self.engine.template_get(name, include_events).into()
    }

    /// `template_list`.
    pub fn template_list(&self, limit: usize, offset: usize, label_filter: Option<&str>) -> ToolResult {
        self.engine.template_list(limit, offset, label_filter).into()
    }

    /// `execute` through `router` (`dry_run`: `None` uses the requested mode).
    pub fn execute<R: Router + ?Sized>(
        &self,
        request_id: &str,
        adapter_id: &str,
        actor: &attest_events::Actor,
        router: &R,
        dry_run: Option<bool>,
    ) -> ToolResult {
        self.engine.execute(request_id, adapter_id, actor, router, dry_run).map(|o| o.data).into()
    }

    /// Call a tool by method name with JSON arguments (as the original's keyword
    /// arguments). Unknown tools, unknown arguments and wrongly typed arguments are
    /// `INVALID_ARGUMENT` results; nothing is written then. `execute` needs a router:
    /// use [`NexusAttest::call_with_router`].
    pub fn call(&self, tool: &str, args: &Value) -> ToolResult {
        self.dispatch(tool, args, None::<&NoRouter>).into()
    }

    /// [`NexusAttest::call`] with the router `execute` runs through.
    pub fn call_with_router<R: Router + ?Sized>(&self, tool: &str, args: &Value, router: &R) -> ToolResult {
        self.dispatch(tool, args, Some(router)).into()
    }

    fn dispatch<R: Router + ?Sized>(&self, tool: &str, v: &Value, router: Option<&R>) -> Result<Map, CoreError> {
        match tool {
            "execute" => {
                let a = Args::new(tool, v, &["request_id", "adapter_id", "actor", "dry_run"])?;
                let router =
                    router.ok_or_else(|| CoreError::InvalidArgument("execute: no router configured".to_owned()))?;
                let (id, adapter, actor, dry_run) =
                    (a.string("request_id")?, a.string("adapter_id")?, a.actor("actor")?, a.opt_bool("dry_run")?);
                self.engine.execute(&id, &adapter, &actor, router, dry_run).map(|o| o.data)
            }
            "request" => {
                let a = Args::new(
                    tool,
                    v,
                    &[
                        "goal",
                        "actor",
                        "mode",
                        "plan",
                        "template_name",
                        "min_approvals",
                        "allowed_modes",
                        "require_adapter_capabilities",
                        "max_steps",
                        "labels",
                        "forbid_self_approval",
                    ],
                )?;
                let args = RequestArgs {
                    goal: a.string("goal")?,
                    actor: a.actor("actor")?,
                    mode: a.opt_string("mode")?.unwrap_or_else(|| "dry_run".to_owned()),
                    plan: a.opt_string("plan")?,
                    template_name: a.opt_string("template_name")?,
                    policy: a.policy()?,
                };
                self.engine.request(&args).map(|o| o.to_map())
            }
            "approve" => {
                let a = Args::new(tool, v, &["request_id", "actor", "comment", "expires_at"])?;
                let comment = a.opt_string("comment")?;
                let expires = a.opt_string("expires_at")?;
                self.engine.approve(
                    &a.string("request_id")?,
                    &a.actor("actor")?,
                    comment.as_deref(),
                    expires.as_deref(),
                )
            }
            "revoke_approval" => {
                let a = Args::new(tool, v, &["request_id", "actor", "reason"])?;
                let reason = a.opt_string("reason")?.unwrap_or_default();
                self.engine.revoke_approval(&a.string("request_id")?, &a.actor("actor")?, &reason)
            }
            "export_bundle" => {
                let a =
                    Args::new(tool, v, &["decision_id", "include_template_snapshot", "include_router_link", "render"])?;
                let opts = BundleOptions {
                    include_template_snapshot: a.bool_or("include_template_snapshot", true)?,
                    include_router_link: a.bool_or("include_router_link", true)?,
                };
                let render = a.bool_or("render", true)?;
                let e = self.engine.export_bundle(&a.string("decision_id")?, opts)?;
                let mut m = Map::new();
                if render {
                    m.insert("rendered", Value::String(render_bundle(&e.document)));
                }
                let mut out = Map::new();
                out.insert("bundle", e.document);
                out.insert("digest", Value::String(e.digest));
                for (k, v) in m {
                    out.insert(k, v);
                }
                Ok(out)
            }
            "import_bundle" => {
                let a =
                    Args::new(tool, v, &["bundle", "verify_digest", "conflict_mode", "replay_after_import", "strict"])?;
                let bundle = a
                    .opt_value("bundle")
                    .ok_or_else(|| CoreError::InvalidArgument("import_bundle: `bundle` is required".to_owned()))?;
                let opts = ImportOptions {
                    verify_digest: a.bool_or("verify_digest", true)?,
                    conflict_mode: a.opt_string("conflict_mode")?.unwrap_or_else(|| "reject_on_conflict".to_owned()),
                    replay_after_import: a.bool_or("replay_after_import", true)?,
                    strict: a.bool_or("strict", false)?,
                    deep_checks: false,
                };
                self.engine.import_bundle(&bundle, &opts).map(|o| o.result)
            }
            "export_audit_package" => {
                let a = Args::new(
                    tool,
                    v,
                    &[
                        "decision_id",
                        "embed_router_bundle",
                        "router_bundle",
                        "router_bundle_digest",
                        "verify_router_bundle_digest",
                        "render",
                    ],
                )?;
                let opts = PackageOptions {
                    embed_router_bundle: a.bool_or("embed_router_bundle", false)?,
                    router_bundle: a.opt_value("router_bundle"),
                    router_bundle_digest: a.opt_string("router_bundle_digest")?,
                    verify_router_bundle_digest: a.bool_or("verify_router_bundle_digest", true)?,
                };
                let render = a.bool_or("render", true)?;
                let e = self.engine.export_audit_package(&a.string("decision_id")?, &opts)?;
                let rendered = render.then(|| render_package(&e.document));
                let mut out = Map::new();
                out.insert("package", e.document);
                out.insert("digest", Value::String(e.digest));
                if let Some(r) = rendered {
                    out.insert("rendered", Value::String(r));
                }
                if !e.warnings.is_empty() {
                    out.insert("warnings", Value::Array(e.warnings.into_iter().map(Value::String).collect()));
                }
                Ok(out)
            }
            "status" => {
                let a = Args::new(tool, v, &["request_id", "include_events"])?;
                self.engine.status(&a.string("request_id")?, a.bool_or("include_events", false)?)
            }
            "inspect" => {
                let a = Args::new(
                    tool,
                    v,
                    &["decision_id", "render", "include_events", "include_compiled_router_request"],
                )?;
                let opts = InspectOptions {
                    render: a.bool_or("render", true)?,
                    include_events: a.bool_or("include_events", false)?,
                    include_compiled_router_request: a.bool_or("include_compiled_router_request", true)?,
                };
                self.engine.inspect(&a.string("decision_id")?, opts)
            }
            "lifecycle" => {
                let a = Args::new(tool, v, &["decision_id", "timeline_limit"])?;
                let limit = match a.opt_int("timeline_limit")? {
                    None => Some(attest_core::DEFAULT_TIMELINE_LIMIT),
                    Some(n) => Some(
                        usize::try_from(n)
                            .map_err(|_| CoreError::InvalidArgument("timeline_limit must be at least 1".into()))?,
                    ),
                };
                let value = self.engine.lifecycle(&a.string("decision_id")?, limit)?;
                Ok(match value {
                    Value::Object(m) => m,
                    _ => Map::new(),
                })
            }
            "list_requests" => {
                let a = Args::new(tool, v, &["limit", "offset"])?;
                self.engine.list_requests(a.usize_or("limit", 100)?, a.usize_or("offset", 0)?)
            }
            "template_create" => {
                let a = Args::new(
                    tool,
                    v,
                    &[
                        "name",
                        "actor",
                        "description",
                        "min_approvals",
                        "allowed_modes",
                        "require_adapter_capabilities",
                        "max_steps",
                        "labels",
                    ],
                )?;
                let spec = TemplateSpec::new(
                    a.string("name")?,
                    a.opt_string("description")?.unwrap_or_default(),
                    &a.policy()?,
                );
                self.engine.template_create(&spec, &a.actor("actor")?)
            }
            "template_get" => {
                let a = Args::new(tool, v, &["name", "include_events"])?;
                self.engine.template_get(&a.string("name")?, a.bool_or("include_events", false)?)
            }
            "template_list" => {
                let a = Args::new(tool, v, &["limit", "offset", "label_filter"])?;
                let label = a.opt_string("label_filter")?;
                self.engine.template_list(a.usize_or("limit", 100)?, a.usize_or("offset", 0)?, label.as_deref())
            }
            other => Err(CoreError::InvalidArgument(format!("unknown tool `{other}`"))),
        }
    }
}
