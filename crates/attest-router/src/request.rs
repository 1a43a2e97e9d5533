//! Requests: the arguments of [`crate::Router::run`], the compiled router request
//! nexus-attest hashes (router.md 2.3), and the nexus-router run request (schema v0.7,
//! router.md 3.2) with the bridge's deterministic translation between them (4.6).

use std::collections::BTreeSet;

use attest_verify::json::{self, Map, Value};
use attest_verify::Digest;

use crate::error::RequestError;
use crate::hash::{attest_digest, into_sorted, is_sorted, uint};

/// The arguments of one `run` call, exactly as nexus-attest passes them (router.md 2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunArgs<'a> {
    /// The decision's goal, or `""` if it has none.
    pub goal: &'a str,
    /// The caller's adapter id, verbatim.
    pub adapter_id: &'a str,
    /// Whether the effective mode is `dry_run`.
    pub dry_run: bool,
    /// The decision's plan text (free text in nexus-attest; a JSON step list for the
    /// Rust routers), `None` when the decision has no plan.
    pub plan: Option<&'a str>,
    /// The policy's `max_steps` (`None` when unlimited).
    pub max_steps: Option<u64>,
    /// The policy's `require_adapter_capabilities` when non-empty (never `Some(&[])` from
    /// nexus-attest; an empty list is treated as `None`).
    pub require_capabilities: Option<&'a [String]>,
}

/// The compiled router request of nexus-attest (router.md 2.3): the document whose
/// `H_a` is `router_request_digest`.
///
/// Keys: `goal`, `adapter_id`, `dry_run` always; `plan` when not `None` (an empty
/// string is kept); `max_steps` when not `None`; `require_capabilities` when non-empty,
/// in policy order with duplicates kept. Nothing else (no mode, labels or allow_apply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledRequest {
    /// The goal (`""` when the decision has none).
    pub goal: String,
    /// The adapter id given to `execute`.
    pub adapter_id: String,
    /// Whether the effective mode is `dry_run`.
    pub dry_run: bool,
    /// The decision's plan text.
    pub plan: Option<String>,
    /// The policy's step limit.
    pub max_steps: Option<u64>,
    /// The policy's required capabilities; `None` when the list is empty.
    pub require_capabilities: Option<Vec<String>>,
}

impl CompiledRequest {
    /// Compile the arguments of a run call.
    pub fn compile(args: &RunArgs<'_>) -> CompiledRequest {
        CompiledRequest {
            goal: args.goal.to_owned(),
            adapter_id: args.adapter_id.to_owned(),
            dry_run: args.dry_run,
            plan: args.plan.map(str::to_owned),
            max_steps: args.max_steps,
            require_capabilities: args.require_capabilities.filter(|c| !c.is_empty()).map(<[String]>::to_vec),
        }
    }

    /// The arguments this request was compiled from.
    pub fn args(&self) -> RunArgs<'_> {
        RunArgs {
            goal: &self.goal,
            adapter_id: &self.adapter_id,
            dry_run: self.dry_run,
            plan: self.plan.as_deref(),
            max_steps: self.max_steps,
            require_capabilities: self.require_capabilities.as_deref(),
        }
    }

    /// The request as a JSON object (keys in the reference's insertion order).
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(6);
        m.insert("goal", Value::str(&self.goal));
        m.insert("adapter_id", Value::str(&self.adapter_id));
        m.insert("dry_run", Value::Bool(self.dry_run));
        if let Some(p) = &self.plan {
            m.insert("plan", Value::str(p));
        }
        if let Some(n) = self.max_steps {
            m.insert("max_steps", uint(n));
        }
        if let Some(caps) = self.require_capabilities.as_ref().filter(|c| !c.is_empty()) {
            m.insert("require_capabilities", Value::Array(caps.iter().map(Value::str).collect()));
        }
        Value::Object(m)
    }

    /// `router_request_digest` = `H_a(compiled request)`. Record it raw
    /// ([`Digest::to_hex`]) in `EXECUTION_STARTED` and prefixed ([`Digest::to_prefixed`])
    /// in the bundle's `router_link`. Never fails: the request holds no floats.
    pub fn digest(&self) -> Digest {
        attest_digest(&self.to_value()).unwrap_or_else(|_| Digest::of(b""))
    }

    /// The `inspect` preview: `sha256:` + the first 12 hex digits + `...`.
    pub fn digest_preview(&self) -> String {
        let hex = self.digest().to_hex();
        format!("sha256:{}...", hex.get(..12).unwrap_or(&hex))
    }

    /// The bridge's translation into a nexus-router run request (router.md 4.6):
    ///
    /// ```text
    /// {"goal", "mode": "dry_run" | "apply",
    ///  "dispatch": {"adapter_id" [, "require_capabilities"]},
    ///  "policy": {"allow_apply": !dry_run [, "max_steps"]},
    ///  ["plan_override": the steps parsed from `plan`]}
    /// ```
    ///
    /// Errors: [`RequestError::PlanNotStructured`] when `plan` is not the JSON text of a
    /// valid step list; [`RequestError::Invalid`] when the result breaks schema v0.7
    /// (empty goal or adapter id, duplicate required capability, `max_steps` 0).
    pub fn to_run_request(&self) -> Result<RunRequest, RequestError> {
        RunRequest::translate(&self.args())
    }
}

impl RunRequest {
    /// [`CompiledRequest::to_run_request`] straight from the arguments of a run call,
    /// without building the compiled request first.
    pub fn translate(args: &RunArgs<'_>) -> Result<RunRequest, RequestError> {
        let mut m = Map::with_capacity(5);
        m.insert("goal", Value::str(args.goal));
        m.insert("mode", Value::str(if args.dry_run { "dry_run" } else { "apply" }));
        let mut dispatch = Map::with_capacity(2);
        dispatch.insert("adapter_id", Value::str(args.adapter_id));
        if let Some(caps) = args.require_capabilities.filter(|c| !c.is_empty()) {
            dispatch.insert("require_capabilities", Value::Array(caps.iter().map(Value::str).collect()));
        }
        m.insert("dispatch", Value::Object(dispatch));
        let mut policy = Map::with_capacity(2);
        policy.insert("allow_apply", Value::Bool(!args.dry_run));
        if let Some(n) = args.max_steps {
            policy.insert("max_steps", uint(n));
        }
        m.insert("policy", Value::Object(policy));
        if let Some(text) = args.plan {
            let plan =
                json::parse(text).map_err(|e| RequestError::PlanNotStructured(format!("`plan` is not json: {e}")))?;
            if plan.as_array().is_none() {
                return Err(RequestError::PlanNotStructured(format!(
                    "`plan` must be a json array of steps, got {}",
                    plan.type_name()
                )));
            }
            m.insert("plan_override", plan);
        }
        RunRequest::build(Value::Object(m), "plan", RequestError::PlanNotStructured)
    }
}

/// Run mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Simulate: adapters are never called.
    DryRun,
    /// Execute through the adapter.
    Apply,
}

impl Mode {
    /// `"dry_run"` or `"apply"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::DryRun => "dry_run",
            Mode::Apply => "apply",
        }
    }
}

/// One plan step (router.md 3.2): its id and its `call` object.
///
/// INVARIANT (valid call): `call` is an object with non-empty string `tool` and
/// `method` and an object `args`, keys sorted at every depth (as nexus-router stores
/// it in `TOOL_CALL_REQUESTED`); validation (`Step::parse`) upholds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    step_id: String,
    call: Value,
}

impl Step {
    /// `step_id` (non-empty).
    pub fn step_id(&self) -> &str {
        &self.step_id
    }

    /// `call.tool` (non-empty, see INVARIANT (valid call)).
    pub fn tool(&self) -> &str {
        self.call.get("tool").and_then(Value::as_str).unwrap_or("")
    }

    /// `call.method` (non-empty, see INVARIANT (valid call)).
    pub fn method(&self) -> &str {
        self.call.get("method").and_then(Value::as_str).unwrap_or("")
    }

    /// `call.args` (see INVARIANT (valid call)).
    pub fn args(&self) -> &Map {
        static EMPTY: std::sync::OnceLock<Map> = std::sync::OnceLock::new();
        self.call.get("args").and_then(Value::as_object).unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    /// The `call` object, keys sorted.
    pub fn call(&self) -> &Value {
        &self.call
    }

    /// Validate one step against schema v0.7 (`step_id`, `intent`, `call {tool, method,
    /// args}` required; optional `expected_output_pointer`; no other keys). `at` names
    /// the step in messages; paths are only formatted on error.
    fn parse(v: &Value, at: &dyn Fn(&str) -> String) -> Result<Step, String> {
        let m = v.as_object().ok_or_else(|| format!("`{}` must be an object", at("")))?;
        only_keys(m, &["step_id", "intent", "call", "expected_output_pointer"], &|| at(""))?;
        let step_id = non_empty_str(m.get("step_id"), &|| at(".step_id"))?;
        if m.get("intent").and_then(Value::as_str).is_none() {
            return Err(format!("`{}` must be a string", at(".intent")));
        }
        if m.get("expected_output_pointer").is_some_and(|p| p.as_str().is_none()) {
            return Err(format!("`{}` must be a string", at(".expected_output_pointer")));
        }
        let call = m.get("call").ok_or_else(|| format!("`{}` is required", at(".call")))?;
        let c = call.as_object().ok_or_else(|| format!("`{}` must be an object", at(".call")))?;
        only_keys(c, &["tool", "method", "args"], &|| at(".call"))?;
        non_empty_str(c.get("tool"), &|| at(".call.tool"))?;
        non_empty_str(c.get("method"), &|| at(".call.method"))?;
        if c.get("args").and_then(Value::as_object).is_none() {
            return Err(format!("`{}` must be an object", at(".call.args")));
        }
        Ok(Step { step_id, call: into_sorted(call.clone()) })
    }
}

/// A nexus-router run request that passed schema v0.7 (router.md 3.2).
///
/// INVARIANT (view matches value): every typed field is read from `value`, which is
/// kept exactly as given because the run's provenance digest covers it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    value: Value,
    goal: String,
    mode: Mode,
    adapter_id: Option<String>,
    require_capabilities: Vec<String>,
    allow_apply: bool,
    max_steps: Option<u64>,
    /// The plan with keys sorted, for `PLAN_CREATED`; `None` when `plan_override` is
    /// absent or already sorted (computed once per request).
    plan_sorted: Option<Value>,
    steps: Vec<Step>,
}

impl RunRequest {
    /// Validate a request against nexus-router's run request schema v0.7: no unknown keys
    /// at any level, non-empty `goal`, `mode` `dry_run`/`apply`, unique non-empty required
    /// capabilities, integer `max_steps` ≥ 1, well-formed steps and artifacts.
    /// Upholds INVARIANT (view matches value).
    pub fn from_value(value: Value) -> Result<RunRequest, RequestError> {
        RunRequest::build(value, "plan_override", RequestError::Invalid)
    }

    /// [`RunRequest::from_value`], reporting step errors with `plan_error` and naming
    /// the plan `plan_label` in their messages.
    fn build(
        value: Value,
        plan_label: &str,
        plan_error: fn(String) -> RequestError,
    ) -> Result<RunRequest, RequestError> {
        let inv = RequestError::Invalid;
        let m = value.as_object().ok_or_else(|| inv("the request must be an object".to_owned()))?;
        only_keys(m, &["goal", "mode", "dispatch", "context", "policy", "plan_override"], &|| "request".into())
            .map_err(inv)?;
        let goal = non_empty_str(m.get("goal"), &|| "goal".into()).map_err(inv)?;
        let mode = match m.get("mode") {
            None => Mode::DryRun,
            Some(Value::String(s)) if s == "dry_run" => Mode::DryRun,
            Some(Value::String(s)) if s == "apply" => Mode::Apply,
            Some(_) => return Err(inv("`mode` must be `dry_run` or `apply`".to_owned())),
        };
        let mut adapter_id = None;
        let mut require_capabilities = Vec::new();
        if let Some(d) = m.get("dispatch") {
            let d = d.as_object().ok_or_else(|| inv("`dispatch` must be an object".to_owned()))?;
            only_keys(d, &["adapter_id", "require_capabilities"], &|| "dispatch".into()).map_err(inv)?;
            if let Some(a) = d.get("adapter_id") {
                adapter_id = Some(non_empty_str(Some(a), &|| "dispatch.adapter_id".into()).map_err(inv)?);
            }
            if let Some(caps) = d.get("require_capabilities") {
                let caps = caps
                    .as_array()
                    .ok_or_else(|| inv("`dispatch.require_capabilities` must be an array".to_owned()))?;
                let mut seen = BTreeSet::new();
                for (i, c) in caps.iter().enumerate() {
                    let c = non_empty_str(Some(c), &|| format!("dispatch.require_capabilities[{i}]")).map_err(inv)?;
                    if !seen.insert(c.clone()) {
                        return Err(inv(format!("`dispatch.require_capabilities` lists `{c}` twice")));
                    }
                    require_capabilities.push(c);
                }
            }
        }
        if let Some(c) = m.get("context") {
            check_context(c).map_err(inv)?;
        }
        let mut allow_apply = false;
        let mut max_steps = None;
        if let Some(p) = m.get("policy") {
            let p = p.as_object().ok_or_else(|| inv("`policy` must be an object".to_owned()))?;
            only_keys(p, &["allow_apply", "max_steps"], &|| "policy".into()).map_err(inv)?;
            if let Some(a) = p.get("allow_apply") {
                allow_apply = a.as_bool().ok_or_else(|| inv("`policy.allow_apply` must be a boolean".to_owned()))?;
            }
            if let Some(n) = p.get("max_steps") {
                max_steps = Some(positive_integer(n).ok_or_else(|| {
                    inv(format!("`policy.max_steps` must be an integer of at least 1, got {}", short(n)))
                })?);
            }
        }
        let empty = Value::Array(Vec::new());
        let plan = m.get("plan_override").unwrap_or(&empty);
        let items = plan.as_array().ok_or_else(|| plan_error(format!("`{plan_label}` must be an array")))?;
        let steps = items
            .iter()
            .enumerate()
            .map(|(i, s)| Step::parse(s, &|k| format!("{plan_label}[{i}]{k}")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(plan_error)?;
        let plan_sorted = (!is_sorted(plan)).then(|| into_sorted(plan.clone()));
        Ok(RunRequest {
            value,
            goal,
            mode,
            adapter_id,
            require_capabilities,
            allow_apply,
            max_steps,
            plan_sorted,
            steps,
        })
    }

    /// Parse and validate JSON text (see [`RunRequest::from_value`]).
    pub fn parse(text: &str) -> Result<RunRequest, RequestError> {
        let v = json::parse(text).map_err(|e| RequestError::Invalid(format!("the request is not json: {e}")))?;
        RunRequest::from_value(v)
    }

    /// The request exactly as given (what the provenance digest covers).
    pub fn as_value(&self) -> &Value {
        &self.value
    }

    /// `goal`.
    pub fn goal(&self) -> &str {
        &self.goal
    }

    /// `mode` (default `dry_run`).
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// `dispatch.adapter_id`, when the request selects an adapter.
    pub fn adapter_id(&self) -> Option<&str> {
        self.adapter_id.as_deref()
    }

    /// `dispatch.require_capabilities`, in request order.
    pub fn require_capabilities(&self) -> &[String] {
        &self.require_capabilities
    }

    /// `policy.allow_apply` (default false).
    pub fn allow_apply(&self) -> bool {
        self.allow_apply
    }

    /// `policy.max_steps`.
    pub fn max_steps(&self) -> Option<u64> {
        self.max_steps
    }

    /// The plan as given (`plan_override`, or `[]`), recorded in `PLAN_CREATED`.
    pub fn plan(&self) -> &Value {
        static EMPTY: Value = Value::Array(Vec::new());
        self.value.get("plan_override").unwrap_or(&EMPTY)
    }

    /// The plan with keys sorted at every depth (what `PLAN_CREATED` stores).
    pub(crate) fn plan_sorted(&self) -> &Value {
        self.plan_sorted.as_ref().unwrap_or_else(|| self.plan())
    }

    /// The validated steps of the plan.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}

fn check_context(c: &Value) -> Result<(), String> {
    let c = c.as_object().ok_or("`context` must be an object")?;
    only_keys(c, &["artifacts"], &|| "context".into())?;
    let Some(arts) = c.get("artifacts") else { return Ok(()) };
    let arts = arts.as_array().ok_or("`context.artifacts` must be an array")?;
    for (i, a) in arts.iter().enumerate() {
        let path = format!("context.artifacts[{i}]");
        let a = a.as_object().ok_or_else(|| format!("`{path}` must be an object"))?;
        only_keys(a, &["artifact_id", "media_type", "locator", "digest"], &|| path.clone())?;
        non_empty_str(a.get("artifact_id"), &|| format!("{path}.artifact_id"))?;
        non_empty_str(a.get("media_type"), &|| format!("{path}.media_type"))?;
        if a.get("locator").is_some_and(|l| l.as_str().is_none()) {
            return Err(format!("`{path}.locator` must be a string"));
        }
        if let Some(d) = a.get("digest") {
            let dp = format!("{path}.digest");
            let d = d.as_object().ok_or_else(|| format!("`{dp}` must be an object"))?;
            only_keys(d, &["alg", "value"], &|| dp.clone())?;
            if d.get("alg").and_then(Value::as_str) != Some("sha256") {
                return Err(format!("`{dp}.alg` must be `sha256`"));
            }
            non_empty_str(d.get("value"), &|| format!("{dp}.value"))?;
        }
    }
    Ok(())
}

fn only_keys(m: &Map, allowed: &[&str], path: &dyn Fn() -> String) -> Result<(), String> {
    match m.keys().find(|k| !allowed.contains(k)) {
        Some(k) => Err(format!("unknown key `{k}` in `{}`", path())),
        None => Ok(()),
    }
}

fn non_empty_str(v: Option<&Value>, path: &dyn Fn() -> String) -> Result<String, String> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(format!("`{}` must not be empty", path())),
        Some(other) => Err(format!("`{}` must be a string, got {}", path(), other.type_name())),
        None => Err(format!("`{}` is required", path())),
    }
}

fn positive_integer(v: &Value) -> Option<u64> {
    let n = v.as_number().filter(|n| n.is_integer())?;
    match n.as_i64() {
        Some(i) => u64::try_from(i).ok().filter(|&u| u >= 1),
        // A big integer: positive ones saturate (no plan is that long).
        None => (!n.to_string().starts_with('-')).then_some(u64::MAX),
    }
}

fn short(v: &Value) -> String {
    let s = attest_verify::canonical::to_display_string(v, None);
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("`{}...`", &s[..i]),
        None => format!("`{s}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args<'a>(caps: Option<&'a [String]>) -> RunArgs<'a> {
        RunArgs {
            goal: "Run the nightly reconciliation job",
            adapter_id: "subprocess:mcpt:key-rotation",
            dry_run: false,
            plan: Some("step 1: snapshot ledger\nstep 2: reconcile\nstep 3: publish report"),
            max_steps: Some(7),
            require_capabilities: caps,
        }
    }

    #[test]
    fn compiled_request_digest_matches_the_vector() {
        let caps = vec!["timeout".to_owned(), "external".to_owned()];
        let c = CompiledRequest::compile(&args(Some(&caps)));
        assert_eq!(
            attest_verify::canonical::to_string(&c.to_value()).unwrap(),
            r#"{"adapter_id":"subprocess:mcpt:key-rotation","dry_run":false,"goal":"Run the nightly reconciliation job","max_steps":7,"plan":"step 1: snapshot ledger\nstep 2: reconcile\nstep 3: publish report","require_capabilities":["timeout","external"]}"#
        );
        assert_eq!(c.digest().to_hex(), "ed1aba7b71c5c26e119382cd9b542370b624d72f6acb12b2d224c28875c8ef62");
        assert_eq!(c.digest_preview(), "sha256:ed1aba7b71c5...");
        assert_eq!(c.args(), args(Some(&caps)));
    }

    #[test]
    fn empty_capabilities_are_omitted_and_empty_plan_is_kept() {
        let none: Vec<String> = Vec::new();
        let mut a = args(Some(&none));
        a.plan = Some("");
        a.max_steps = None;
        let v = CompiledRequest::compile(&a).to_value();
        let m = v.as_object().unwrap();
        assert!(!m.contains_key("require_capabilities"));
        assert!(!m.contains_key("max_steps"));
        assert_eq!(m.get("plan"), Some(&Value::str("")));
    }

    #[test]
    fn free_text_plans_are_refused() {
        let c = CompiledRequest::compile(&args(None));
        let e = c.to_run_request().unwrap_err();
        assert_eq!(e.code(), "PLAN_NOT_STRUCTURED");
        let mut c2 = c.clone();
        c2.plan = Some(r#"{"steps": []}"#.into());
        assert_eq!(c2.to_run_request().unwrap_err().code(), "PLAN_NOT_STRUCTURED");
        c2.plan = Some(r#"[{"step_id": "s1", "intent": "", "call": {"tool": "t", "method": "m"}}]"#.into());
        assert_eq!(c2.to_run_request().unwrap_err().code(), "PLAN_NOT_STRUCTURED");
    }

    #[test]
    fn translation_follows_the_bridge_rule() {
        let caps = vec!["apply".to_owned()];
        let mut c = CompiledRequest::compile(&args(Some(&caps)));
        c.plan = Some(r#"[{"step_id":"s1","intent":"x","call":{"tool":"t","method":"m","args":{"k":1}}}]"#.into());
        let r = c.to_run_request().unwrap();
        assert_eq!(
            attest_verify::canonical::to_string(r.as_value()).unwrap(),
            r#"{"dispatch":{"adapter_id":"subprocess:mcpt:key-rotation","require_capabilities":["apply"]},"goal":"Run the nightly reconciliation job","mode":"apply","plan_override":[{"call":{"args":{"k":1},"method":"m","tool":"t"},"intent":"x","step_id":"s1"}],"policy":{"allow_apply":true,"max_steps":7}}"#
        );
        assert_eq!(r.mode(), Mode::Apply);
        assert!(r.allow_apply());
        assert_eq!(r.steps().len(), 1);
        assert_eq!(r.steps()[0].method(), "m");
        assert_eq!(r.steps()[0].args().get("k"), Some(&Value::int(1)));
    }

    #[test]
    fn schema_violations_are_invalid_requests() {
        for bad in [
            r#"{"goal": ""}"#,
            r#"{"goal": "g", "extra": 1}"#,
            r#"{"goal": "g", "mode": "live"}"#,
            r#"{"goal": "g", "dispatch": {"require_capabilities": ["a", "a"]}}"#,
            r#"{"goal": "g", "dispatch": {"adapter_id": ""}}"#,
            r#"{"goal": "g", "policy": {"max_steps": 0}}"#,
            r#"{"goal": "g", "policy": {"max_steps": true}}"#,
            r#"{"goal": "g", "policy": {"max_steps": 1.5}}"#,
            r#"{"goal": "g", "context": {"artifacts": [{"artifact_id": "a"}]}}"#,
            r#"{"goal": "g", "plan_override": [{"step_id": "s", "intent": "i", "call": {"tool": "t", "method": "m", "args": []}}]}"#,
            r#"[]"#,
        ] {
            let e = RunRequest::parse(bad).unwrap_err();
            assert_eq!(e.code(), "INVALID_REQUEST", "{bad}");
        }
        let ok = RunRequest::parse(
            r#"{"goal": "g", "context": {"artifacts": [{"artifact_id": "a", "media_type": "text/plain", "digest": {"alg": "sha256", "value": "x"}}]}}"#,
        )
        .unwrap();
        assert_eq!(ok.mode(), Mode::DryRun);
        assert_eq!(ok.plan(), &Value::Array(Vec::new()));
    }
}
