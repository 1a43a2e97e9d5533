//! The golden vector runner for `attestations`, `attestation_intents`,
//! `attestation_receipts`, `narratives` and `xrpl` (not a stable API). Every case is run from
//! its content, never by its name. `xtask` and this crate's tests call it.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use attest_verify::canonical;
use attest_verify::json::Value;

use crate::attestation::{create_attestation, signed_bytes, verify_attestation, verify_attestation_reference};
use crate::attestation::{Attestation, Attestor};
use crate::exchange::{ExchangeRecord, MemoryExchangeStore};
use crate::hex;
use crate::intent::Intent;
use crate::keys::{SigningKey, VerifyingKey};
use crate::narrative::{diff_attempts, show_intent, verify_narrative_value, CheckStatus, NarrativeOptions};
use crate::pattern::Validation;
use crate::queue::{MemoryQueue, QueueRead, ReceiptRow};
use crate::receipt::Receipt;
use crate::xrpl::{self, SignedTx, SubmitResult, TransportError, TxStatus, XrplClient, XrplSigner};

/// `Ok(None)` = pass, `Ok(Some(reason))` = skipped, `Err(why)` = failed.
pub type Outcome = Result<Option<String>, String>;

/// The kinds this runner handles.
pub const KINDS: [&str; 5] = ["attestations", "attestation_intents", "attestation_receipts", "narratives", "xrpl"];

/// Run one case of a vector file of `kind` (`doc` is the whole file). `intents` is the
/// parsed `attestation_intents.json`, which the XRPL adapter receipt cases refer to by
/// intent case name; without it those cases are skipped (the `xrpl` memo cases carry
/// their intent and only cross-check it against that file when given). `None` when the
/// kind is not one of [`KINDS`].
pub fn check(kind: &str, doc: &Value, case: &Value, intents: Option<&Value>) -> Option<Outcome> {
    Some(match kind {
        "attestations" => check_attestation(doc, case),
        "attestation_intents" => check_intent(case),
        "attestation_receipts" => check_receipt(case, intents),
        "narratives" => check_narrative(case),
        "xrpl" => check_xrpl(doc, case, intents),
        _ => return None,
    })
}

/// The outcome of every case of one vector file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    /// Number of cases that passed.
    pub passed: usize,
    /// Skipped cases with the reason, by case name.
    pub skipped: Vec<(String, String)>,
    /// Failed cases with the reason, by case name.
    pub failed: Vec<(String, String)>,
}

/// Run every case of a parsed vector file; `None` when the kind is not handled.
pub fn run_file(doc: &Value, intents: Option<&Value>) -> Option<FileReport> {
    let kind = doc.get("kind")?.as_str()?;
    let cases = doc.get("cases")?.as_array()?;
    let mut report = FileReport::default();
    for case in cases {
        let name = case.get("name").and_then(Value::as_str).unwrap_or("<unnamed>").to_owned();
        match check(kind, doc, case, intents)? {
            Ok(None) => report.passed += 1,
            Ok(Some(why)) => report.skipped.push((name, why)),
            Err(why) => report.failed.push((name, why)),
        }
    }
    Some(report)
}

// ----------------------------------------------------------------------------- helpers

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

fn flag(v: &Value, path: &str) -> bool {
    field(v, path).ok().and_then(Value::as_bool).unwrap_or(false)
}

fn show(v: &Value) -> String {
    canonical::to_display_string(v, None)
}

fn eq(what: &str, got: &Value, want: &Value) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: expected {} got {}", show(want), show(got)))
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

// ------------------------------------------------------------------------ attestations

fn key_entry<'a>(doc: &'a Value, name: &str) -> Result<&'a Value, String> {
    field(doc, "keys")?.get(name).ok_or_else(|| format!("no key `{name}` in the file's `keys`"))
}

fn signing_key(doc: &Value, name: &str) -> Result<SigningKey, String> {
    let entry = key_entry(doc, name)?;
    let key = SigningKey::from_seed_hex(text(entry, "seed_hex")?).map_err(|e| e.to_string())?;
    eq_str(&format!("public key of `{name}`"), &key.public_key_hex(), text(entry, "public_key_hex")?)?;
    Ok(key)
}

fn verifying_key(doc: &Value, name: &str) -> Result<VerifyingKey, String> {
    VerifyingKey::from_hex_reference(text(key_entry(doc, name)?, "public_key_hex")?).map_err(|e| e.to_string())
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, String> {
    v.as_array()
        .ok_or_else(|| format!("`{what}` is not an array"))?
        .iter()
        .map(|s| s.as_str().map(str::to_owned).ok_or_else(|| format!("`{what}` holds a non-string")))
        .collect()
}

fn check_attestation(doc: &Value, case: &Value) -> Outcome {
    let inputs = field(case, "inputs")?;
    let expected = field(case, "expected")?;
    if inputs.get("attestation").is_some() {
        let key = verifying_key(doc, text(inputs, "public_key")?)?;
        let gap = flag(case, "reference_gap");
        return check_verification(field(inputs, "attestation")?, &key, expected, gap).map(|()| None);
    }
    let name = text(inputs, "key")?;
    let key = signing_key(doc, name)?;
    let claims = strings(field(inputs, "claims")?, "inputs.claims")?;
    let a = field(inputs, "attestor")?;
    let attestor = Attestor {
        id: text(a, "id")?.to_owned(),
        key_id: text(a, "key_id")?.to_owned(),
        role: a.get("role").and_then(Value::as_str).map(str::to_owned),
    };
    let digest = text(inputs, "binding_digest")?;
    let signed_at = text(inputs, "signed_at")?;
    let bytes = signed_bytes(digest, &claims, &attestor.id, &attestor.key_id, signed_at);
    eq_str("signed_payload", &String::from_utf8_lossy(&bytes), text(expected, "signed_payload")?)?;
    eq_str("signed_payload_utf8_hex", &hex::encode(&bytes), text(expected, "signed_payload_utf8_hex")?)?;
    let created = create_attestation(digest, &claims, &attestor, &key, signed_at);
    eq_str("signature_hex", &created.signature, text(expected, "signature_hex")?)?;
    eq_str("attestation_id", &created.attestation_id, text(expected, "attestation_id")?)?;
    eq("attestation", &created.to_value(), field(expected, "attestation")?)?;
    check_verification(&created.to_value(), &key.verifying_key(), field(expected, "verification")?, false)?;
    Ok(None)
}

/// Parse `document` as the original does and compare the four-check result; then the
/// strict path: it never accepts what the original refuses, and on cases that are not
/// reference gaps its verdict equals the original's.
fn check_verification(document: &Value, key: &VerifyingKey, expected: &Value, gap: bool) -> Result<(), String> {
    let parsed = Attestation::from_value(document);
    if field(expected, "parse_ok")?.as_bool() == Some(false) {
        return match parsed {
            Ok(_) => Err("the original refuses to parse this document; it was accepted".into()),
            Err(_) if Attestation::from_value_strict(document).is_ok() => Err("the strict parse accepted it".into()),
            Err(_) => Ok(()),
        };
    }
    let attestation = parsed.map_err(|e| format!("parse failed: {e}"))?;
    let checks = verify_attestation_reference(&attestation, key);
    eq("verification", &checks.to_reference_value(), field(expected, "verification")?)?;
    eq("ok", &Value::Bool(checks.ok()), field(expected, "ok")?)?;
    let failed: Vec<Value> = checks.failed_names().into_iter().map(Value::str).collect();
    eq("failed_checks", &Value::Array(failed), field(expected, "failed_checks")?)?;
    let strict_ok = Attestation::from_value_strict(document).is_ok_and(|strict| verify_attestation(&strict, key).ok());
    if strict_ok && !checks.ok() {
        return Err("strict verification accepted what the original refuses".into());
    }
    if !gap && strict_ok != checks.ok() {
        return Err(format!("strict verdict {strict_ok} differs from the original's {}", checks.ok()));
    }
    Ok(())
}

// --------------------------------------------------------------------- intents/receipts

/// A parser under test: the compat and strict results of one input.
fn compare_validated<T>(
    case: &Value,
    parse: impl Fn(Validation) -> Result<T, String>,
    outputs: impl Fn(&T) -> Result<Vec<(&'static str, Value)>, String>,
) -> Outcome {
    let expected = field(case, "expected")?;
    let gap = flag(case, "reference_gap");
    let compat = parse(Validation::Compat);
    let strict = parse(Validation::Strict);
    if let Some(err) = expected.get("error") {
        let want = text(err, "message")?;
        let got = compat.err().ok_or_else(|| format!("accepted; the original refuses: {want}"))?;
        eq_str("error message", &got, want)?;
        let got = strict.err().ok_or("the strict validator accepted what the original refuses")?;
        return eq_str("strict error message", &got, want).map(|()| None);
    }
    let value = compat.map_err(|e| format!("refused: {e}"))?;
    for (name, got) in outputs(&value)? {
        eq(name, &got, field(expected, name)?)?;
    }
    match (gap, strict) {
        (true, Ok(_)) => Err("reference gap: the strict validator must refuse this input".into()),
        (true, Err(_)) => Ok(None),
        (false, Err(e)) => Err(format!("the strict validator refused: {e}")),
        (false, Ok(s)) => {
            if outputs(&s)? != outputs(&value)? {
                return Err("strict and compat outputs differ".into());
            }
            Ok(None)
        }
    }
}

fn intent_outputs(i: &Intent) -> Result<Vec<(&'static str, Value)>, String> {
    Ok(vec![
        ("to_dict", i.to_value()),
        ("canonical_dict", i.canonical_value()),
        ("canonical_json", Value::String(i.canonical_json())),
        ("intent_digest", Value::String(i.digest().to_hex())),
        ("queue_id", Value::String(i.queue_id())),
    ])
}

fn receipt_outputs(r: &Receipt) -> Result<Vec<(&'static str, Value)>, String> {
    Ok(vec![
        ("to_dict", r.to_value()),
        ("canonical_dict", r.canonical_value()),
        ("canonical_json", Value::String(r.canonical_json().map_err(|e| e.to_string())?)),
        ("receipt_digest", Value::String(r.digest().map_err(|e| e.to_string())?.to_hex())),
    ])
}

fn check_intent(case: &Value) -> Outcome {
    let input = field(case, "inputs.intent")?;
    compare_validated(case, |mode| Intent::from_value(input, mode).map_err(|e| e.to_string()), intent_outputs)
}

fn check_receipt(case: &Value, intents: Option<&Value>) -> Outcome {
    let inputs = field(case, "inputs")?;
    if let Some(input) = inputs.get("receipt") {
        return compare_validated(
            case,
            |mode| Receipt::from_value(input, mode).map_err(|e| e.to_string()),
            receipt_outputs,
        );
    }
    let Some(intents) = intents else {
        return Ok(Some("XRPL adapter case: needs attestation_intents.json for its intent".into()));
    };
    let intent_case = text(inputs, "intent_case")?;
    let intent_value = intents
        .get("cases")
        .and_then(Value::as_array)
        .and_then(|cases| cases.iter().find(|c| c.get("name").and_then(Value::as_str) == Some(intent_case)))
        .ok_or_else(|| format!("no intent case `{intent_case}` in attestation_intents.json"))?;
    let intent =
        Intent::from_value(field(intent_value, "inputs.intent")?, Validation::Strict).map_err(|e| e.to_string())?;
    let receipt = run_adapter(inputs, &intent)?;
    let expected = field(case, "expected")?;
    for (name, got) in receipt_outputs(&receipt)? {
        eq(name, &got, field(expected, name)?)?;
    }
    Ok(None)
}

/// One scripted call: the value to return, or the message of the error to raise.
type Scripted = Result<Value, String>;

struct ScriptedClient {
    submit: VecDeque<Scripted>,
    get_tx: VecDeque<Scripted>,
}

fn opt_string(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn next(queue: &mut VecDeque<Scripted>, call: &str) -> Result<Value, TransportError> {
    match queue.pop_front() {
        Some(Ok(v)) => Ok(v),
        Some(Err(message)) => Err(TransportError { timeout: message.contains("timed out"), message }),
        None => Err(TransportError { timeout: false, message: format!("unscripted {call} call") }),
    }
}

impl XrplClient for ScriptedClient {
    fn submit(&mut self, _blob: &str) -> Result<SubmitResult, TransportError> {
        let v = next(&mut self.submit, "submit")?;
        Ok(SubmitResult {
            accepted: v.get("accepted").and_then(Value::as_bool).unwrap_or(false),
            tx_hash: opt_string(&v, "tx_hash"),
            engine_result: opt_string(&v, "engine_result"),
            error_code: opt_string(&v, "error_code"),
            detail: opt_string(&v, "detail"),
            exchange_digest: opt_string(&v, "exchange_digest"),
        })
    }

    fn get_tx(&mut self, _tx_hash: &str) -> Result<TxStatus, TransportError> {
        let v = next(&mut self.get_tx, "get_tx")?;
        Ok(TxStatus {
            found: v.get("found").and_then(Value::as_bool).unwrap_or(false),
            validated: v.get("validated").and_then(Value::as_bool).unwrap_or(false),
            ledger_index: v.get("ledger_index").and_then(Value::as_i64),
            engine_result: opt_string(&v, "engine_result"),
            ledger_close_time: opt_string(&v, "ledger_close_time"),
            error_code: opt_string(&v, "error_code"),
            detail: opt_string(&v, "detail"),
            exchange_digest: opt_string(&v, "exchange_digest"),
        })
    }
}

struct ScriptedSigner {
    account: String,
    key_id: String,
    result: Result<SignedTx, String>,
    calls: RefCell<usize>,
}

impl XrplSigner for ScriptedSigner {
    fn account(&self) -> &str {
        &self.account
    }

    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn sign(&self, _tx: &Value) -> Result<SignedTx, String> {
        *self.calls.borrow_mut() += 1;
        self.result.clone()
    }
}

fn script(inputs: &Value, call: &str) -> Result<VecDeque<Scripted>, String> {
    field(inputs, &format!("client_script.{call}"))?
        .as_array()
        .ok_or_else(|| format!("client_script.{call} is not an array"))?
        .iter()
        .map(|step| match (step.get("return"), step.get("raise")) {
            (Some(v), _) => Ok(Ok(v.clone())),
            (None, Some(_)) => Ok(Err(text(step, "message")?.to_owned())),
            (None, None) => Err(format!("client_script.{call}: a step without `return` or `raise`")),
        })
        .collect()
}

/// Run the XRPL step the script exercises: confirm when the script has `get_tx`
/// answers, submit otherwise.
fn run_adapter(inputs: &Value, intent: &Intent) -> Result<Receipt, String> {
    let s = field(inputs, "signer")?;
    let signer = ScriptedSigner {
        account: text(s, "account")?.to_owned(),
        key_id: text(s, "key_id")?.to_owned(),
        result: match s.get("raise_message").and_then(Value::as_str) {
            Some(message) => Err(message.to_owned()),
            None => Ok(SignedTx {
                signed_tx_blob_hex: text(s, "signed_tx_blob_hex")?.to_owned(),
                tx_hash: text(s, "tx_hash")?.to_owned(),
                key_id: text(s, "key_id")?.to_owned(),
            }),
        },
        calls: RefCell::new(0),
    };
    let mut client = ScriptedClient { submit: script(inputs, "submit")?, get_tx: script(inputs, "get_tx")? };
    let account = text(inputs, "account")?;
    let attempt = field(inputs, "attempt")?.as_i64().ok_or("inputs.attempt is not an integer")?;
    let created_at = text(inputs, "created_at")?;
    let plan = xrpl::plan(intent, account, "1").map_err(|e| e.to_string())?;
    let receipt = if client.get_tx.is_empty() {
        xrpl::submit(&plan, &mut client, &signer, attempt, created_at)
    } else {
        let intent_digest = format!("sha256:{}", plan.intent_digest);
        xrpl::confirm(&intent_digest, text(inputs, "tx_hash")?, &mut client, attempt, &plan.memo_digest, created_at)
    }
    .map_err(|e| e.to_string())?;
    if !client.submit.is_empty() || !client.get_tx.is_empty() {
        return Err("not every scripted client call was made".into());
    }
    Ok(receipt)
}

// --------------------------------------------------------------------------------- xrpl

/// The case kind follows from its inputs: an intent (memo and plans), memo data (the
/// transaction builder) or an engine result (classification).
fn check_xrpl(doc: &Value, case: &Value, intents: Option<&Value>) -> Outcome {
    eq_str("file memo_type_hex", xrpl::MEMO_TYPE_HEX, text(doc, "memo_type_hex")?)?;
    let max = field(doc, "max_memo_bytes")?.as_i64().ok_or("file max_memo_bytes is not an integer")?;
    if usize::try_from(max).ok() != Some(xrpl::MAX_MEMO_BYTES) {
        return Err(format!("file max_memo_bytes: expected {max} got {}", xrpl::MAX_MEMO_BYTES));
    }
    let inputs = field(case, "inputs")?;
    let expected = field(case, "expected")?;
    if inputs.get("intent").is_some() {
        check_xrpl_memo(inputs, expected, intents)
    } else if inputs.get("memo_data_hex").is_some() {
        check_xrpl_tx(inputs, expected)
    } else if let Some(er) = inputs.get("engine_result") {
        let er = match er {
            Value::Null => None,
            v => Some(v.as_str().ok_or("inputs.engine_result is neither a string nor null")?),
        };
        eq_str("code", xrpl::classify_engine_result(er).as_str(), text(expected, "code")?).map(|()| None)
    } else {
        Err("xrpl case with neither `intent`, `memo_data_hex` nor `engine_result` in its inputs".into())
    }
}

/// The original's message of an expected `{"type", "message"}` error and the error we got.
fn eq_error(what: &str, got: Result<Value, crate::error::XrplError>, want: &Value) -> Result<(), String> {
    let want = text(want, "message")?;
    match got {
        Ok(v) => Err(format!("{what}: accepted ({}); the original refuses: {want}", show(&v))),
        Err(e) => eq_str(what, &e.to_string(), want),
    }
}

fn check_xrpl_memo(inputs: &Value, expected: &Value, intents: Option<&Value>) -> Outcome {
    let input = field(inputs, "intent")?;
    // The intent the original builds: its validation (compat) lets the `gap_*` values
    // with a trailing newline through, as the original did when it produced the memo.
    let intent = Intent::from_value(input, Validation::Compat).map_err(|e| format!("intent refused: {e}"))?;
    if let (Some(intents), Some(name)) = (intents, inputs.get("intent_case").and_then(Value::as_str)) {
        let same = intents
            .get("cases")
            .and_then(Value::as_array)
            .and_then(|cases| cases.iter().find(|c| c.get("name").and_then(Value::as_str) == Some(name)))
            .ok_or_else(|| format!("no intent case `{name}` in attestation_intents.json"))?;
        // That case gives the input dict, this one the original's `to_dict` of it.
        let named = Intent::from_value(field(same, "inputs.intent")?, Validation::Compat)
            .map_err(|e| format!("intent case `{name}` refused: {e}"))?;
        eq("intent of the named intent case", &intent.to_value(), &named.to_value())?;
    }
    let account = text(inputs, "account")?;
    let payload = xrpl::memo_payload(&intent);
    let memo_json = canon(&payload)?;
    let bytes = memo_json.as_bytes();
    if let Some(want) = expected.get("memo_payload") {
        eq("memo_payload", &payload, want)?;
    }
    if let Some(want) = expected.get("memo_json") {
        eq("memo_json", &Value::String(memo_json.clone()), want)?;
    }
    if let Some(want) = expected.get("memo_hex") {
        eq("memo_hex", &Value::String(hex::encode(bytes)), want)?;
    }
    if let Some(want) = expected.get("memo_digest") {
        eq("memo_digest", &Value::String(attest_verify::digest::Digest::of(bytes).to_prefixed()), want)?;
    }
    let size = i64::try_from(bytes.len()).map_err(|e| e.to_string())?;
    eq("memo_size_bytes", &Value::int(size), field(expected, "memo_size_bytes")?)?;
    eq("memo_size_ok", &Value::Bool(bytes.len() <= xrpl::MAX_MEMO_BYTES), field(expected, "memo_size_ok")?)?;
    let plans = expected.get("plans").map(|p| p.as_array().ok_or("expected.plans is not an array")).transpose()?;
    if plans.is_none() && expected.get("plan_error").is_none() {
        return Err("memo case with neither `plans` nor `plan_error`".into());
    }
    for p in plans.unwrap_or_default() {
        let amount = text(p, "amount_drops")?;
        let got = xrpl::plan(&intent, account, amount).map(|plan| plan.to_value());
        let what = format!("plan for amount {amount:?}");
        match (p.get("anchor_plan"), p.get("error").or_else(|| p.get("plan_error"))) {
            (Some(want), _) => eq(&what, &got.map_err(|e| format!("{what}: refused: {e}"))?, want)?,
            (None, Some(err)) => eq_error(&what, got, err)?,
            (None, None) => return Err(format!("{what}: neither `anchor_plan` nor an error")),
        }
    }
    if let Some(err) = expected.get("plan_error") {
        // The original's default amount.
        eq_error("plan_error", xrpl::plan(&intent, account, "1").map(|plan| plan.to_value()), err)?;
    }
    Ok(None)
}

fn check_xrpl_tx(inputs: &Value, expected: &Value) -> Outcome {
    let got =
        xrpl::payment_to_self(text(inputs, "account")?, text(inputs, "memo_data_hex")?, text(inputs, "amount_drops")?);
    match (expected.get("tx"), expected.get("error")) {
        (Some(want), _) => eq("tx", &got.map_err(|e| format!("refused: {e}"))?, want)?,
        (None, Some(err)) => eq_error("error", got, err)?,
        (None, None) => return Err("tx case with neither `tx` nor `error`".into()),
    }
    Ok(None)
}

// --------------------------------------------------------------------------- narratives

/// The display sources of `rendered_with_sources` (the vector README's values).
fn vector_sources() -> BTreeMap<String, String> {
    [("attest_db", "attest.db"), ("exchange_db", "exchange.db"), ("body_path", "exchange-bodies")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn build_fixture(fixture: &Value, mode: Validation) -> Result<(MemoryQueue, MemoryExchangeStore), String> {
    let mut queue = match mode {
        Validation::Compat => MemoryQueue::reference(),
        Validation::Strict => MemoryQueue::new(),
    };
    let list = |key: &str| -> Result<Vec<Value>, String> {
        Ok(fixture.get(key).and_then(Value::as_array).map(<[Value]>::to_vec).unwrap_or_default())
    };
    for entry in list("intents")? {
        let intent = Intent::from_value(field(&entry, "intent")?, mode).map_err(|e| format!("fixture intent: {e}"))?;
        queue.enqueue(&intent, text(&entry, "created_at")?);
    }
    let mut store = MemoryExchangeStore::new();
    for entry in list("exchange_records")? {
        let r = field(&entry, "record")?;
        let record =
            ExchangeRecord::new(text(r, "request_digest")?, text(r, "response_digest")?, text(r, "timestamp")?);
        let digest = store.put(record.clone());
        eq_str("exchange content_digest", &digest, text(&entry, "content_digest")?)?;
        for (body, digest) in [("request_body", &record.request_digest), ("response_body", &record.response_digest)] {
            if let Some(b) = entry.get(body).and_then(Value::as_str) {
                store.put_body(digest, b.as_bytes()).map_err(|e| format!("fixture {body}: {e}"))?;
            }
        }
    }
    for r in list("receipts")? {
        let receipt = Receipt::from_value(&r, mode).map_err(|e| format!("fixture receipt: {e}"))?;
        queue.record_receipt(&receipt).map_err(|e| format!("fixture receipt: {e}"))?;
    }
    for raw in list("raw_receipt_rows")? {
        let r = field(&raw, "receipt")?;
        let receipt = Receipt::from_value(r, Validation::Compat).map_err(|e| format!("raw receipt row: {e}"))?;
        queue.insert_receipt_row(ReceiptRow {
            receipt_digest: text(&raw, "stored_receipt_digest")?.to_owned(),
            intent_digest: receipt.intent_digest().to_owned(),
            attempt: receipt.attempt(),
            created_at: receipt.created_at().to_owned(),
            backend: receipt.backend().to_owned(),
            status: receipt.status().as_str().to_owned(),
            receipt_json: canon(&receipt.to_value())?,
        });
        queue.set_status(
            receipt.intent_digest(),
            receipt.status().as_str(),
            receipt.attempt(),
            receipt.created_at(),
            receipt.error().map(|e| e.code.as_str()),
        );
    }
    Ok((queue, store))
}

fn check_narrative(case: &Value) -> Outcome {
    let inputs = field(case, "inputs")?;
    let expected = field(case, "expected")?;
    let digest = text(inputs, "intent_digest")?;
    let use_store = flag(inputs, "use_exchange_store");
    let include_bodies = flag(inputs, "include_bodies");

    let build = |mode: Validation| -> Result<_, String> {
        let (queue, store) = build_fixture(field(inputs, "fixture")?, mode)?;
        let exchange: Option<&dyn crate::exchange::ExchangeStore> = if use_store { Some(&store) } else { None };
        let report = show_intent(&queue, digest, exchange, &NarrativeOptions { include_bodies, mode })
            .map_err(|e| format!("show_intent ({mode:?}): {e}"))?;
        Ok((report, queue.status(digest)))
    };

    let (report, status) = build(Validation::Compat)?;
    eq("report", &report.to_value(), field(expected, "report")?)?;
    eq_str("narrative_digest", report.narrative_digest.as_deref().unwrap_or(""), text(expected, "narrative_digest")?)?;
    eq_str(
        "narrative_digest_preimage",
        &canon(&report.content_value())?,
        text(expected, "narrative_digest_preimage")?,
    )?;
    eq("self_check", &report.verify_digest().to_value(), field(expected, "self_check")?)?;
    eq(
        "self_check of the expected report",
        &verify_narrative_value(field(expected, "report")?).to_value(),
        field(expected, "self_check")?,
    )?;
    eq_str("rendered", &report.render(None), text(expected, "rendered")?)?;
    eq("queue_status", &status.map_or(Value::Null, |s| s.to_value()), field(expected, "queue_status")?)?;
    if let Some(want) = expected.get("rendered_with_sources") {
        eq("rendered_with_sources", &Value::String(report.render(Some(&vector_sources()))), want)?;
    }
    if let Some(want) = expected.get("to_json_indent2") {
        eq("to_json_indent2", &Value::String(report.to_json_pretty()), want)?;
    }
    if let Some(d) = expected.get("diff_attempts") {
        let (from, to) = (field(d, "from")?.as_i64(), field(d, "to")?.as_i64());
        let (Some(from), Some(to)) = (from, to) else { return Err("diff_attempts: from/to are not integers".into()) };
        let got = diff_attempts(&report, from, to).map_or(Value::Null, |diff| diff.to_value());
        eq("diff_attempts", &got, field(d, "result")?)?;
    }

    // The strict build (monotone queue, stored-key receipt digests, hashed bodies) gives
    // the same report on consistent stores and flags the reference gaps.
    let (strict, _) = build(Validation::Strict)?;
    let fails =
        |r: &crate::narrative::NarrativeReport| r.checks.iter().filter(|c| c.status == CheckStatus::Fail).count();
    if flag(case, "reference_gap") {
        if fails(&strict) <= fails(&report) {
            return Err("reference gap: the strict report must flag it with a FAIL check".into());
        }
    } else if strict.to_value() != report.to_value() {
        return Err(format!("strict report differs: {}", show(&strict.to_value())));
    }
    Ok(None)
}
