//! The golden vector runner: every case of every vector file, run generically from the
//! file's content (never by case name), counted per kind as passed, failed or skipped.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use attest_verify::canonical;
use attest_verify::derive;
use attest_verify::digest::{strip_prefix, Digest};
use attest_verify::json::{self, Map, Value};
use attest_verify::package::{ParsedBundle, ParsedPackage};
use attest_verify::replay::{parse_ts, py_str, Decision, ReplayEvent};
use attest_verify::verify;

/// What happened to one case.
pub(crate) enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

#[derive(Default)]
pub(crate) struct KindReport {
    pub(crate) passed: usize,
    pub(crate) failed: usize,
    pub(crate) skipped: usize,
    pub(crate) failures: Vec<(String, String)>,
    pub(crate) skip_reasons: BTreeMap<String, usize>,
}

pub(crate) fn main(dir: &Path, as_json: bool) -> ExitCode {
    let report = match run_dir(dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vectors: {e}");
            return ExitCode::from(2);
        }
    };
    let (passed, failed, skipped) =
        report.values().fold((0, 0, 0), |(p, f, s), k| (p + k.passed, f + k.failed, s + k.skipped));
    if as_json {
        let mut kinds = Map::new();
        for (kind, k) in &report {
            let mut m = Map::new();
            m.insert("passed", Value::int(k.passed as i64));
            m.insert("failed", Value::int(k.failed as i64));
            m.insert("skipped", Value::int(k.skipped as i64));
            m.insert("failures", Value::Array(k.failures.iter().map(|(n, _)| Value::str(n.as_str())).collect()));
            kinds.insert(kind.as_str(), Value::Object(m));
        }
        let mut top = Map::new();
        top.insert("kinds", Value::Object(kinds));
        top.insert("passed", Value::int(passed as i64));
        top.insert("failed", Value::int(failed as i64));
        top.insert("skipped", Value::int(skipped as i64));
        println!("{}", canonical::to_display_string(&Value::Object(top), Some(2)));
    } else {
        for (kind, k) in &report {
            println!("{kind:<22} passed {:>4}  failed {:>4}  skipped {:>4}", k.passed, k.failed, k.skipped);
            for (name, why) in &k.failures {
                println!("    FAIL {name}: {why}");
            }
            for (why, n) in &k.skip_reasons {
                println!("    skip {n} case(s): {why}");
            }
        }
        println!("vectors: {passed} passed; {failed} failed; {skipped} skipped");
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

pub(crate) fn run_dir(dir: &Path) -> Result<BTreeMap<String, KindReport>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut report: BTreeMap<String, KindReport> = BTreeMap::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let doc = json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let (Some(kind), Some(cases)) =
            (doc.get("kind").and_then(Value::as_str), doc.get("cases").and_then(Value::as_array))
        else {
            continue; // manifest.json and other non-vector files
        };
        let k = report.entry(kind.to_owned()).or_default();
        for case in cases {
            let name = case.get("name").and_then(Value::as_str).unwrap_or("<unnamed>").to_owned();
            match run_case(kind, &doc, case) {
                Outcome::Pass => k.passed += 1,
                Outcome::Fail(why) => {
                    k.failed += 1;
                    k.failures.push((name, why));
                }
                Outcome::Skip(why) => {
                    k.skipped += 1;
                    *k.skip_reasons.entry(why).or_default() += 1;
                }
            }
        }
    }
    Ok(report)
}

fn run_case(kind: &str, _doc: &Value, case: &Value) -> Outcome {
    if let Some(result) = crate::witness::check(kind, _doc, case) {
        return match result {
            Ok(None) => Outcome::Pass,
            Ok(Some(skip)) => Outcome::Skip(skip),
            Err(why) => Outcome::Fail(why),
        };
    }
    let result = match kind {
        "canonical_json" => check_canonical_json(case),
        "audit_packages" => check_audit_package(case),
        "audit_tampered" => check_audit_tampered(case),
        "decision_flows" => check_decision_flow(case),
        "lifecycle_inspect" => check_lifecycle_inspect(case),
        "import" => check_import(_doc, case),
        _ => return Outcome::Skip(format!("kind `{kind}` is not implemented yet")),
    };
    match result {
        Ok(None) => Outcome::Pass,
        Ok(Some(skip)) => Outcome::Skip(skip),
        Err(why) => Outcome::Fail(why),
    }
}

type Res = Result<Option<String>, String>;

fn field<'a>(v: &'a Value, path: &str) -> Result<&'a Value, String> {
    let mut cur = v;
    for part in path.split('.') {
        cur = cur.get(part).ok_or_else(|| format!("vector has no `{path}`"))?;
    }
    Ok(cur)
}

fn text<'a>(v: &'a Value, path: &str) -> Result<&'a str, String> {
    field(v, path)?.as_str().ok_or_else(|| format!("vector field `{path}` is not a string"))
}

fn eq(what: &str, got: &Value, want: &Value) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected {} got {}",
            canonical::to_display_string(want, None),
            canonical::to_display_string(got, None)
        ))
    }
}

fn eq_str(what: &str, got: &str, want: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: expected {want:?} got {got:?}"))
    }
}

fn canon(v: &Value) -> Result<String, String> {
    canonical::to_string(v).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------- canonical_json

fn check_canonical_json(case: &Value) -> Res {
    let input = text(case, "input_json")?;
    let expected = field(case, "expected")?;
    let parsed = json::parse(input);
    if expected.get("error").is_some() {
        return match parsed.map_err(|e| e.to_string()).and_then(|v| canonical::to_bytes(&v).map_err(|e| e.to_string()))
        {
            Err(_) => Ok(None),
            Ok(bytes) => Err(format!("expected an error, got {:?}", String::from_utf8_lossy(&bytes))),
        };
    }
    let v = parsed.map_err(|e| format!("parse failed: {e}"))?;
    let out = canon(&v)?;
    eq_str("canonical_json", &out, text(expected, "canonical_json")?)?;
    if let Some(n) = expected.get("utf8_length").and_then(Value::as_i64) {
        if out.len() as i64 != n {
            return Err(format!("utf8_length: expected {n} got {}", out.len()));
        }
    }
    if let Some(hex) = expected.get("utf8_hex").and_then(Value::as_str) {
        let got: String = out.bytes().map(|b| format!("{b:02x}")).collect();
        eq_str("utf8_hex", &got, hex)?;
    }
    eq_str("sha256", &Digest::of(out.as_bytes()).to_hex(), text(expected, "sha256")?)?;
    Ok(None)
}

// ---------------------------------------------------------------------------- audit packages

fn check_audit_package(case: &Value) -> Res {
    let expected = field(case, "expected")?;
    if let Some(bundle) = case.get("inputs").and_then(|i| i.get("decision_bundle")).filter(|b| !b.is_null()) {
        check_bundle_digest("inputs.decision_bundle", bundle)?;
    }
    check_package_export(case)?;
    let Some(package) = expected.get("package") else {
        return Ok(None);
    };
    let p = ParsedPackage::parse(package).map_err(|e| format!("package does not parse: {e}"))?;
    let binding = p.recompute_binding_digest();
    eq_str("binding digest", &binding.to_prefixed(), text(expected, "digest")?)?;
    eq("integrity.binding_digest", &p.binding_digest, field(expected, "digest")?)?;
    let preimage = attest_verify::package::binding_digest_payload(
        p.package_version.clone(),
        p.control_digest.clone(),
        p.router_digest.clone(),
        p.control_router_link_digest.clone(),
    );
    eq_str("binding_digest_preimage", &canon(&preimage)?, text(expected, "binding_digest_preimage")?)?;
    let decision_id = py_str(&p.control_bundle.decision_id);
    eq_str(
        "provenance_prov_id_preimage",
        &format!("{decision_id}:{}", binding.to_hex()),
        text(expected, "provenance_prov_id_preimage")?,
    )?;
    eq(
        "provenance",
        package.get("provenance").unwrap_or(&Value::Null),
        &derive::package_provenance(&decision_id, &binding.to_hex()),
    )?;
    let got = verify::reference_checks(&p).to_reference_value();
    eq("verification", &got, field(expected, "verification")?)?;
    Ok(None)
}

/// Export the package from the case's event log through the tool API and compare with the
/// recorded package (apart from `meta`), digest and rendering, or the recorded error.
fn check_package_export(case: &Value) -> Result<(), String> {
    let inputs = field(case, "inputs")?;
    let expected = field(case, "expected")?;
    let store = match inputs.get("decision_bundle").filter(|b| !b.is_null()) {
        Some(b) => store_from_bundle(b)?.0,
        None => attest_store::MemoryStore::new(),
    };
    let tools = nexus_attest::NexusAttest::new(attest_core::Engine::new(store));
    let mut args = Map::new();
    args.insert("decision_id", field(inputs, "decision_id")?.clone());
    if let Some(Value::Object(opts)) = inputs.get("options") {
        for (k, v) in opts.iter() {
            args.insert(k, v.clone());
        }
    }
    let got = tools.call("export_audit_package", &Value::Object(args));
    if let Some(want) = expected.get("export_result") {
        let code = got.code().unwrap_or("(success)");
        eq_str("export error code", code, text(want, "error_code")?)?;
        let message = got.error().map(ToString::to_string).unwrap_or_default();
        eq_str("export error", &message, text(want, "error")?)?;
        if let Some(tool_error) = expected.get("tool_error") {
            eq("tool error", got.to_value().get("error").unwrap_or(&Value::Null), tool_error)?;
        }
        return Ok(());
    }
    let data = got.data().ok_or_else(|| format!("export failed: {}", got.to_json()))?;
    let package = data.get("package").ok_or("no package")?;
    eq("package", &crate::flows::without_meta(package), &crate::flows::without_meta(field(expected, "package")?))?;
    eq("package digest", data.get("digest").unwrap_or(&Value::Null), field(expected, "digest")?)?;
    if let Some(rendered) = expected.get("rendered") {
        eq("package rendering", data.get("rendered").unwrap_or(&Value::Null), rendered)?;
    }
    Ok(())
}

/// Run the import steps of a case against one fresh store.
fn check_import(doc: &Value, case: &Value) -> Res {
    let bundles = field(doc, "bundles")?;
    // A step whose new decision id is random (`random_fields`) gets the recorded id from
    // the id source, as recorded ids are injected everywhere else.
    let mut recorded_ids = Vec::new();
    for step in field(case, "steps")?.as_array().ok_or("steps is not a list")? {
        if step.get("random_fields").is_some() {
            if let Some(id) = step
                .get("expected")
                .and_then(|e| e.get("result"))
                .and_then(|r| r.get("imported"))
                .and_then(|i| i.get("new_decision_id"))
                .and_then(Value::as_str)
            {
                recorded_ids.push(id.to_owned());
            }
        }
    }
    let engine = attest_core::Engine::with_sources(
        attest_store::MemoryStore::new(),
        std::sync::Arc::new(attest_events::SystemClock),
        std::sync::Arc::new(attest_events::SystemClock),
        std::sync::Arc::new(attest_events::RecordedIds::new(recorded_ids)),
    );
    let tools = nexus_attest::NexusAttest::new(engine);
    for (i, step) in field(case, "steps")?.as_array().unwrap_or(&[]).iter().enumerate() {
        let name = text(step, "bundle")?;
        let bundle = bundles.get(name).ok_or_else(|| format!("no bundle `{name}`"))?;
        let expected = field(step, "expected")?;
        let mut args = Map::new();
        args.insert("bundle", bundle.clone());
        if let Some(Value::Object(opts)) = step.get("options") {
            for (k, v) in opts.iter() {
                args.insert(k, v.clone());
            }
        }
        let got = tools.call("import_bundle", &Value::Object(args));
        let ctx = |m: String| format!("step {i} ({name}): {m}");
        match (expected.get("result"), expected.get("raises")) {
            (Some(want), _) if want.get("ok") == Some(&Value::Bool(true)) => {
                let data = got.data().ok_or_else(|| ctx(format!("import failed: {}", got.to_json())))?;
                eq("import result", &Value::Object(data.clone()), want).map_err(ctx)?;
            }
            (Some(want), _) => {
                eq_str("error code", got.code().unwrap_or("(success)"), text(want, "error_code")?).map_err(ctx)?;
                let message = got.error().map(ToString::to_string).unwrap_or_default();
                eq_str("error", &message, text(want, "error")?).map_err(ctx)?;
            }
            (None, Some(_)) => {
                if got.is_success() {
                    return Err(ctx("the reference raises here; the import must fail".to_owned()));
                }
            }
            (None, None) => return Err(ctx("no expected result".to_owned())),
        }
        if let Some(want) = expected.get("original_decision_exists_after").and_then(Value::as_bool) {
            let id = bundle.get("decision").and_then(|d| d.get("decision_id")).and_then(Value::as_str).unwrap_or("");
            let exists = !id.is_empty()
                && attest_store::Store::header(tools.engine().store(), id).map_err(|e| e.to_string())?.is_some();
            if exists != want {
                return Err(ctx(format!("original decision exists after: {exists}, expected {want}")));
            }
        }
        if let Some(re) = expected.get("reexport") {
            let id = text(re, "decision_id")?;
            let mut args = Map::new();
            args.insert("decision_id", Value::str(id));
            let exported = tools.call("export_bundle", &Value::Object(args));
            if let Some(want) = re.get("export_result") {
                eq_str("re-export error code", exported.code().unwrap_or("(success)"), text(want, "error_code")?)
                    .map_err(ctx)?;
                let message = exported.error().map(ToString::to_string).unwrap_or_default();
                eq_str("re-export error", &message, text(want, "error")?).map_err(ctx)?;
                continue;
            }
            let data = exported.data().ok_or_else(|| ctx(format!("re-export failed: {}", exported.to_json())))?;
            eq("re-export digest", data.get("digest").unwrap_or(&Value::Null), field(re, "canonical_digest")?)
                .map_err(ctx)?;
            let same = data.get("digest")
                == bundle
                    .get("integrity")
                    .and_then(|i| i.get("canonical_digest"))
                    .map(|d| {
                        d.as_str().map(|s| Value::String(format!("sha256:{}", strip_prefix(s)))).unwrap_or(Value::Null)
                    })
                    .as_ref();
            eq("same_digest_as_imported", &Value::Bool(same), field(re, "same_digest_as_imported")?).map_err(ctx)?;
            eq(
                "re-exported bundle",
                &crate::flows::without_meta(data.get("bundle").unwrap_or(&Value::Null)),
                field(re, "bundle_without_meta")?,
            )
            .map_err(ctx)?;
        }
    }
    Ok(None)
}

fn check_audit_tampered(case: &Value) -> Res {
    let package = field(case, "package")?;
    let expected = field(case, "expected")?;
    let parse_ok = field(expected, "parse_ok")?.as_bool().ok_or("parse_ok is not a boolean")?;
    let parsed = ParsedPackage::parse(package);
    if !parse_ok {
        return match parsed {
            Err(_) => Ok(None),
            Ok(_) => Err("the reference cannot parse this package, but it parsed".to_owned()),
        };
    }
    let p = parsed.map_err(|e| format!("package does not parse: {e}"))?;
    let checks = verify::reference_checks(&p);
    if expected.get("verify_error").is_some() {
        // The reference crashes; we must return a result that is not ok.
        return if checks.ok() {
            Err("verification crashed in the reference but reports ok here".to_owned())
        } else {
            Ok(None)
        };
    }
    eq("verification", &checks.to_reference_value(), field(expected, "verification")?)?;
    let failed: Vec<Value> = checks.failed_names().into_iter().map(Value::str).collect();
    eq("failed_checks", &Value::Array(failed), field(expected, "failed_checks")?)?;
    eq("ok", &Value::Bool(checks.ok()), field(expected, "ok")?)?;
    Ok(None)
}

// ---------------------------------------------------------------------------- decision flows

fn check_bundle_digest(what: &str, bundle: &Value) -> Result<ParsedBundle, String> {
    let b = ParsedBundle::parse(bundle, "").map_err(|e| format!("{what} does not parse: {e}"))?;
    let d = b.recompute_digest();
    let stored = b.canonical_digest.as_str().ok_or_else(|| format!("{what}: canonical_digest is not a string"))?;
    eq_str(&format!("{what} digest"), strip_prefix(stored), &d.to_hex())?;
    Ok(b)
}

/// Replay a bundle's events the way the store would hand them to the state machine.
fn replay_bundle(b: &ParsedBundle, now: i64) -> Result<Decision, String> {
    let owned: Vec<(String, String, String)> = b
        .events
        .iter()
        .map(|e| {
            let actor = |k: &str| e.actor.get(k).map(py_str).unwrap_or_else(|| "unknown".to_owned());
            (py_str(&e.event_type), actor("type"), actor("id"))
        })
        .collect();
    let mut d = Decision::new(now);
    for (e, (t, at, ai)) in b.events.iter().zip(&owned) {
        let ts = parse_ts(&e.ts).map_err(|err| err.to_string())?;
        d.apply(&ReplayEvent { event_type: t, payload: &e.payload, ts, actor_type: at, actor_id: ai })
            .map_err(|err| format!("replay failed: {err}"))?;
    }
    Ok(d)
}

fn check_decision_flow(case: &Value) -> Res {
    let expected = field(case, "expected")?;
    let Some(bundle) = expected.get("bundle") else {
        // No bundle: the flow's tool results are all there is to check (the export error
        // needs bundle export, which is not implemented yet).
        let ops = field(case, "inputs.operations")?;
        let tools = crate::flows::run_operations(case, ops, None)?;
        crate::flows::check_export(&tools, case)?;
        return Ok(None);
    };
    let b = check_bundle_digest("bundle", bundle)?;
    let hex = b.recompute_digest().to_hex();
    eq_str("canonical_digest", &format!("sha256:{hex}"), text(expected, "canonical_digest")?)?;
    eq_str("canonical_payload_json", &canon(&b.digest_payload())?, text(expected, "canonical_payload_json")?)?;

    // Per-event digests and their preimages.
    let preimages =
        field(expected, "event_digest_preimages")?.as_array().ok_or("event_digest_preimages is not a list")?;
    if preimages.len() != b.events.len() {
        return Err(format!("{} preimages for {} events", preimages.len(), b.events.len()));
    }
    for (i, (e, pre)) in b.events.iter().zip(preimages).enumerate() {
        let mut m = Map::new();
        m.insert("event_type", e.event_type.clone());
        m.insert("payload", e.payload.clone());
        let text_got = canon(&Value::Object(m))?;
        eq_str(&format!("event {i} preimage"), &text_got, pre.as_str().unwrap_or(""))?;
        eq(&format!("event {i} digest"), &e.digest, &Value::String(Digest::of(text_got.as_bytes()).to_hex()))?;
    }

    // The same digests from typed events: payload -> typed -> payload -> sealed event.
    for (i, e) in b.events.iter().enumerate() {
        let kind =
            attest_events::EventType::parse(e.event_type.as_str().unwrap_or("")).map_err(|err| err.to_string())?;
        let typed =
            attest_events::EventPayload::from_value(kind, &e.payload).map_err(|err| format!("event {i}: {err}"))?;
        let actor = attest_events::Actor::from_stored(
            e.actor.get("type").and_then(Value::as_str).unwrap_or(""),
            e.actor.get("id").and_then(Value::as_str).unwrap_or(""),
        );
        let ts = parse_ts(&e.ts).map_err(|err| err.to_string())?;
        let seq = e.seq.as_i64().and_then(|s| u64::try_from(s).ok()).ok_or("seq is not a non-negative integer")?;
        let sealed = attest_events::NewEvent::new(actor, &typed)
            .seal(&py_str(&e.decision_id), seq, ts)
            .map_err(|err| err.to_string())?;
        eq(&format!("typed event {i} payload"), &sealed.payload, &e.payload)?;
        eq(&format!("typed event {i} digest"), &Value::String(sealed.digest.clone()), &e.digest)?;
        eq(&format!("typed event {i} bundle form"), &sealed.to_bundle_value(), &e.to_value())?;
    }

    // Control-router link digest.
    let decision_id = py_str(&b.decision_id);
    match expected.get("router_link_digest_preimage") {
        Some(Value::Null) | None => {
            if b.router_link.get("run_id").is_some() {
                return Err("router link has a run id but the vector has no link preimage".to_owned());
            }
        }
        Some(pre) => {
            let raw = |k: &str| b.router_link.get(k).and_then(Value::as_str).map(strip_prefix).map(Value::str);
            let mut m = Map::new();
            m.insert("decision_id", b.decision_id.clone());
            m.insert("run_id", b.router_link.get("run_id").cloned().unwrap_or(Value::Null));
            m.insert("router_request_digest", raw("router_request_digest").unwrap_or(Value::Null));
            m.insert("router_result_digest", raw("router_result_digest").unwrap_or(Value::Null));
            let t = canon(&Value::Object(m))?;
            eq_str("link preimage", &t, text(pre, "canonical_json")?)?;
            let d = Digest::of(t.as_bytes()).to_prefixed();
            eq_str("link digest", &d, text(pre, "digest")?)?;
            eq(
                "router_link.control_router_link_digest",
                b.router_link.get("control_router_link_digest").unwrap_or(&Value::Null),
                &Value::String(d),
            )?;
        }
    }
    eq_str(
        "provenance_prov_id_preimage",
        &format!("{decision_id}:{hex}"),
        text(expected, "provenance_prov_id_preimage")?,
    )?;

    // Everything the exporter derives, re-derived from the event log by replay.
    let now = verify::system_now_micros();
    let d = replay_bundle(&b, now)?;
    eq_str("final_state", d.state().as_str(), text(expected, "final_state")?)?;
    let first_ts = b.events.first().map(|e| e.ts.clone());
    let header = derive::header(&decision_id, &d, first_ts.as_ref().and_then(Value::as_str));
    eq("decision header", &header, field(bundle, "decision")?)?;
    eq("template_snapshot", &derive::template_snapshot(&d), field(bundle, "template_snapshot")?)?;
    eq("router_link", &Value::Object(derive::router_link(&decision_id, &d)), field(bundle, "router_link")?)?;
    eq("provenance", &derive::bundle_provenance(&decision_id, &hex), field(bundle, "provenance")?)?;

    // Drive the recorded tool calls through the engine and compare results and events.
    if let Some(ops) = case.get("inputs").and_then(|i| i.get("operations")) {
        let tools = crate::flows::run_operations(case, ops, Some(bundle))?;
        crate::flows::check_export(&tools, case)?;
    }

    // A genuine export passes every deep check.
    let v = verify::verify_bundle(bundle, &verify::VerifyOptions::default()).map_err(|e| e.to_string())?;
    if !v.ok() {
        let failed: Vec<String> = v
            .deep
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("{}: {}", c.name, c.detail.as_deref().unwrap_or("")))
            .collect();
        return Err(format!("deep verification of the exported bundle failed: {}", failed.join(" | ")));
    }

    // Executions: the compiled router request digests and what replay keeps.
    let execs = field(expected, "executions")?.as_array().ok_or("executions is not a list")?;
    let replayed = d.executions();
    for (i, x) in execs.iter().enumerate() {
        if let Some(req) = x.get("compiled_router_request").filter(|v| !v.is_null()) {
            let t = canon(req)?;
            eq_str(&format!("execution {i} request json"), &t, text(x, "compiled_router_request_canonical_json")?)?;
            eq_str(
                &format!("execution {i} request digest"),
                &Digest::of(t.as_bytes()).to_hex(),
                text(x, "router_request_digest")?,
            )?;
        }
    }
    // Attempts rejected by policy write no events; the recorded ones line up from the end.
    let written: Vec<&Value> = execs
        .iter()
        .filter(|x| x.get("run_id").is_some_and(|r| !r.is_null()) || x.get("error_code").is_some_and(|c| !c.is_null()))
        .collect();
    for (x, r) in written.iter().rev().zip(replayed.iter().rev()) {
        let run = x.get("run_id").cloned().unwrap_or(Value::Null);
        eq("execution run_id", &r.run_id.clone().map(Value::String).unwrap_or(Value::Null), &run)?;
        if let Some(steps) = x.get("steps_executed_after_replay") {
            eq("steps_executed_after_replay", &r.steps_executed.map(Value::int).unwrap_or(Value::Null), steps)?;
        }
    }

    // Export variants: the same decision exported with options off.
    if let Some(variants) = expected.get("export_variants").and_then(Value::as_array) {
        for v in variants {
            let vb = field(v, "bundle_without_meta")?;
            let pb = check_bundle_digest("export variant", vb)?;
            eq_str("variant digest", &pb.recompute_digest().to_prefixed(), text(v, "canonical_digest")?)?;
            let opts = field(v, "export_options")?;
            let with_template = opts.get("include_template_snapshot").and_then(Value::as_bool).unwrap_or(true);
            let with_link = opts.get("include_router_link").and_then(Value::as_bool).unwrap_or(true);
            let want_t =
                if with_template { derive::template_snapshot(&d) } else { attest_verify::package::present_false() };
            let want_l = if with_link {
                Value::Object(derive::router_link(&decision_id, &d))
            } else {
                Value::Object(Map::new())
            };
            eq("variant template_snapshot", field(vb, "template_snapshot")?, &want_t)?;
            eq("variant router_link", field(vb, "router_link")?, &want_l)?;
        }
    }
    if let Some(Value::Object(inter)) = expected.get("intermediate_bundles") {
        for (name, ib) in inter.iter() {
            check_bundle_digest(&format!("intermediate bundle {name}"), ib)?;
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------- lifecycle

/// Load a bundle's event log into a fresh in-memory store, as an import would.
pub(crate) fn store_from_bundle(bundle: &Value) -> Result<(attest_store::MemoryStore, String), String> {
    let b = ParsedBundle::parse(bundle, "").map_err(|e| format!("decision_bundle does not parse: {e}"))?;
    let decision_id = py_str(&b.decision_id);
    let mut events = Vec::with_capacity(b.events.len());
    for e in &b.events {
        let field = |k: &str| e.actor.get(k).map(py_str).unwrap_or_else(|| "unknown".to_owned());
        events.push(attest_events::Event {
            decision_id: decision_id.clone(),
            seq: e.seq.as_i64().and_then(|s| u64::try_from(s).ok()).ok_or("seq is not a non-negative integer")?,
            event_type: py_str(&e.event_type),
            ts: py_str(&e.ts),
            actor: attest_events::Actor::from_stored(field("type"), field("id")),
            payload: e.payload.clone(),
            digest: py_str(&e.digest),
        });
    }
    events.sort_by_key(|e| e.seq);
    let store = attest_store::MemoryStore::new();
    attest_store::Store::import(
        &store,
        attest_store::ImportBatch {
            decision_id: decision_id.clone(),
            created_at: py_str(&b.created_at),
            events,
            overwrite: false,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok((store, decision_id))
}

fn tool_ok(m: Map) -> Value {
    let mut out = Map::new();
    out.insert("success", Value::Bool(true));
    for (k, v) in m {
        out.insert(k, v);
    }
    Value::Object(out)
}

fn check_lifecycle_inspect(case: &Value) -> Res {
    let expected = field(case, "expected")?;
    let (store, id) = store_from_bundle(field(case, "inputs.decision_bundle")?)?;
    let engine = attest_core::Engine::new(store);
    let err = |e: attest_core::CoreError| e.wire_message();
    let l = engine.load(&id).map_err(err)?;
    eq_str("state", l.decision.state().as_str(), text(expected, "state")?)?;
    let reasons = attest_core::lifecycle::blocking_reasons(&l).map_err(err)?;
    let codes: Vec<Value> = reasons.iter().filter_map(|r| r.get("code").cloned()).collect();
    eq("blocking_codes", &Value::Array(codes), field(expected, "blocking_codes")?)?;
    eq("lifecycle", &engine.lifecycle(&id, Some(20)).map_err(err)?, field(expected, "lifecycle")?)?;
    eq("lifecycle_unlimited", &engine.lifecycle(&id, None).map_err(err)?, field(expected, "lifecycle_unlimited")?)?;
    let want_status = field(expected, "status")?;
    let status = engine.status(&id, want_status.get("events").is_some()).map_err(err)?;
    eq("status", &tool_ok(status), want_status)?;
    let want_inspect = field(expected, "inspect")?;
    let opts = attest_core::InspectOptions {
        render: want_inspect.get("rendered").is_some(),
        include_events: want_inspect.get("events").is_some(),
        include_compiled_router_request: true,
    };
    let inspect = engine.inspect(&id, opts).map_err(err)?;
    if let (Some(got), Some(want)) =
        (inspect.get("rendered").and_then(Value::as_str), expected.get("inspect_rendered").and_then(Value::as_str))
    {
        eq_str("inspect_rendered", got, want)?;
    }
    eq("inspect", &tool_ok(inspect), want_inspect)?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors beside the workspace must all pass (when they are there).
    #[test]
    fn golden_vectors_pass() {
        let dir = crate::workspace_root().join("..").join("shared").join("vectors");
        if !dir.exists() {
            eprintln!("skipping: {} not found", dir.display());
            return;
        }
        let report = run_dir(&dir).unwrap();
        for (kind, k) in &report {
            assert!(k.failures.is_empty(), "{kind}: {:?}", k.failures);
        }
        for kind in ["canonical_json", "audit_tampered"] {
            let k = &report[kind];
            assert!(k.passed > 0 && k.skipped == 0, "{kind} must run every case");
        }
    }
}
