//! Views of a narrative report that are never hashed: the text rendering, the pretty
//! JSON, and the attempt diff.

use std::collections::BTreeMap;

use attest_verify::canonical;
use attest_verify::json::{Map, Value};
use attest_verify::replay::py_str;

use super::{CheckStatus, IntegrityCheck, NarrativeReport, ReceiptEntry, NARRATIVE_SCHEMA, NARRATIVE_VERSION};

const RULE: &str = "========================================================================";
const SUBRULE: &str = "----------------------------------------";

impl NarrativeReport {
    /// The human-readable report, byte-identical to the original's rendering: lines
    /// joined with `\n`, no trailing newline. `sources` (display only, never hashed;
    /// the original uses the keys `attest_db`, `exchange_db`, `body_path`) are listed
    /// sorted by key when non-empty.
    pub fn render(&self, sources: Option<&BTreeMap<String, String>>) -> String {
        let mut lines: Vec<String> = Vec::new();
        lines.push(RULE.into());
        lines.push(format!("ATTESTATION NARRATIVE v{NARRATIVE_VERSION}"));
        lines.push(format!("Schema: {NARRATIVE_SCHEMA}"));
        lines.push(RULE.into());
        if let Some(d) = self.narrative_digest.as_deref().filter(|d| !d.is_empty()) {
            lines.push(format!("Report Digest: {d}"));
        }
        if let Some(sources) = sources.filter(|s| !s.is_empty()) {
            lines.push(String::new());
            lines.push("Sources:".into());
            for (k, v) in sources {
                lines.push(format!("  {k}: {v}"));
            }
        }
        lines.push(String::new());

        lines.push("INTENT".into());
        lines.push(SUBRULE.into());
        lines.push(format!("  Digest:       {}", self.intent_digest));
        if !self.intent_found {
            lines.push("  Status:       NOT FOUND".into());
            lines.push(String::new());
            render_checks(&mut lines, &self.checks);
            lines.push(RULE.into());
            return lines.join("\n");
        }
        for (label, value) in [
            ("Subject Type: ", &self.subject_type),
            ("Binding:      ", &self.binding_digest),
            ("Environment:  ", &self.env),
        ] {
            if let Some(v) = value.as_ref().filter(|v| v.is_truthy()) {
                lines.push(format!("  {label}{}", py_str(v)));
            }
        }
        if let Some(c) = truthy(&self.created_at) {
            lines.push(format!("  Created:      {c}"));
        }
        lines.push(String::new());

        lines.push("STATUS".into());
        lines.push(SUBRULE.into());
        lines.push(format!("  Current:      {}", self.current_status.as_deref().unwrap_or("None")));
        lines.push(format!("  Attempts:     {}", self.total_attempts));
        if let Some(e) = truthy(&self.last_error_code) {
            lines.push(format!("  Last Error:   {e}"));
        }
        lines.push(String::new());

        if let Some(w) = &self.witness {
            lines.push("XRPL WITNESS".into());
            lines.push(SUBRULE.into());
            lines.push(format!("  TX Hash:      {}", w.tx_hash));
            lines.push(format!("  Ledger:       {}", w.ledger_index));
            for (label, value) in [
                ("Close Time:   ", &w.ledger_close_time),
                ("Result:       ", &w.engine_result),
                ("Account:      ", &w.account),
                ("Key ID:       ", &w.key_id),
            ] {
                if let Some(v) = truthy(value) {
                    lines.push(format!("  {label}{v}"));
                }
            }
            lines.push(String::new());
            lines.push("  To verify externally:".into());
            lines.push("    - Look up tx_hash on XRPL explorer".into());
            lines.push(format!("    - Confirm ledger_index >= {}", w.ledger_index));
            lines.push("    - Verify memo contains intent binding".into());
            lines.push(String::new());
        }

        if !self.receipts.is_empty() {
            lines.push("TIMELINE".into());
            lines.push(SUBRULE.into());
            for r in &self.receipts {
                render_entry(&mut lines, r);
            }
        }

        render_checks(&mut lines, &self.checks);
        lines.push(RULE.into());
        lines.join("\n")
    }

    /// The full report (with `narrative_digest`) as Python's
    /// `json.dumps(indent=2, sort_keys=True)` writes it: keys sorted at every level,
    /// two-space indentation, `": "` and line-end `,` separators, non-ASCII escaped as
    /// `\uXXXX`. A display format; the digest uses canonical JSON.
    pub fn to_json_pretty(&self) -> String {
        let mut out = Vec::new();
        canonical::write_display(&sorted(&self.to_value()), Some(2), true, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// What changed between two attempts of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptDiff {
    /// Earlier attempt.
    pub from_attempt: i64,
    /// Later attempt.
    pub to_attempt: i64,
    /// Whether the statuses differ.
    pub status_changed: bool,
    /// Status of the earlier attempt.
    pub from_status: String,
    /// Status of the later attempt.
    pub to_status: String,
    /// Whether the transaction hashes differ (absent vs present counts).
    pub tx_hash_changed: bool,
    /// Hash of the earlier attempt.
    pub from_tx_hash: Option<String>,
    /// Hash of the later attempt.
    pub to_tx_hash: Option<String>,
    /// Exchange keys only in the later attempt (sorted).
    pub added_evidence: Vec<String>,
    /// Exchange keys only in the earlier attempt (sorted).
    pub removed_evidence: Vec<String>,
    /// Error code of the earlier attempt.
    pub from_error: Option<String>,
    /// Error code of the later attempt.
    pub to_error: Option<String>,
}

impl AttemptDiff {
    /// The original's JSON shape: the five fixed keys, then the hash change (with each
    /// hash only when present), evidence lists when non-empty, error codes when present.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(12);
        m.insert("from_attempt", Value::int(self.from_attempt));
        m.insert("to_attempt", Value::int(self.to_attempt));
        m.insert("status_changed", Value::Bool(self.status_changed));
        m.insert("from_status", Value::str(self.from_status.as_str()));
        m.insert("to_status", Value::str(self.to_status.as_str()));
        if self.tx_hash_changed {
            m.insert("tx_hash_changed", Value::Bool(true));
            for (k, v) in [("from_tx_hash", &self.from_tx_hash), ("to_tx_hash", &self.to_tx_hash)] {
                if let Some(h) = truthy(v) {
                    m.insert(k, Value::str(h));
                }
            }
        }
        for (k, v) in [("added_evidence", &self.added_evidence), ("removed_evidence", &self.removed_evidence)] {
            if !v.is_empty() {
                m.insert(k, Value::Array(v.iter().map(|s| Value::str(s.as_str())).collect()));
            }
        }
        for (k, v) in [("from_error", &self.from_error), ("to_error", &self.to_error)] {
            if let Some(e) = truthy(v) {
                m.insert(k, Value::str(e));
            }
        }
        Value::Object(m)
    }
}

/// Compare two attempts of `report`, using for each attempt number the last receipt
/// entry with that number; `None` when either attempt has no entry.
pub fn diff_attempts(report: &NarrativeReport, from_attempt: i64, to_attempt: i64) -> Option<AttemptDiff> {
    let last = |n: i64| report.receipts.iter().rev().find(|r| r.attempt == n);
    let (from, to) = (last(from_attempt)?, last(to_attempt)?);
    let keys = |r: &ReceiptEntry| r.exchanges.iter().map(|e| e.key.clone()).collect::<std::collections::BTreeSet<_>>();
    let (from_keys, to_keys) = (keys(from), keys(to));
    Some(AttemptDiff {
        from_attempt,
        to_attempt,
        status_changed: from.status != to.status,
        from_status: from.status.clone(),
        to_status: to.status.clone(),
        tx_hash_changed: from.tx_hash != to.tx_hash,
        from_tx_hash: from.tx_hash.clone(),
        to_tx_hash: to.tx_hash.clone(),
        added_evidence: to_keys.difference(&from_keys).cloned().collect(),
        removed_evidence: from_keys.difference(&to_keys).cloned().collect(),
        from_error: from.error_code.clone(),
        to_error: to.error_code.clone(),
    })
}

fn truthy(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

fn render_entry(lines: &mut Vec<String>, r: &ReceiptEntry) {
    lines.push(format!("  [{}] {} {}", r.attempt, status_icon(&r.status), r.status));
    lines.push(format!("      Time:     {}", r.created_at));
    lines.push(format!("      Backend:  {}", r.backend));
    lines.push(format!("      Digest:   {}", r.receipt_digest));
    if let Some(h) = truthy(&r.tx_hash) {
        lines.push(format!("      TX Hash:  {h}"));
    }
    if let Some(e) = truthy(&r.engine_result) {
        lines.push(format!("      Engine:   {e}"));
    }
    if let Some(l) = r.ledger_index.as_ref().filter(|n| !n.is_zero()) {
        lines.push(format!("      Ledger:   {l}"));
    }
    if let Some(code) = truthy(&r.error_code) {
        lines.push(format!("      Error:    {code}"));
        if let Some(d) = truthy(&r.error_detail) {
            lines.push(format!("      Detail:   {d}"));
        }
    }
    if !r.exchanges.is_empty() {
        lines.push("      Evidence:".into());
        for ex in &r.exchanges {
            let marker = if ex.record_found { "[stored]" } else { "[digest only]" };
            lines.push(format!("        - {}: {marker}", ex.key));
            lines.push(format!("          {}", ex.content_digest));
            if ex.record_found {
                if let Some(t) = truthy(&ex.timestamp) {
                    lines.push(format!("          recorded: {t}"));
                }
            }
            if ex.request_body_available {
                lines.push("          request body: available".into());
            }
            if ex.response_body_available {
                lines.push("          response body: available".into());
            }
        }
    }
    if let Some(m) = truthy(&r.memo_digest) {
        lines.push(format!("      Memo:     {m}"));
    }
    lines.push(String::new());
}

fn render_checks(lines: &mut Vec<String>, checks: &[IntegrityCheck]) {
    if checks.is_empty() {
        return;
    }
    lines.push("INTEGRITY CHECKS".into());
    lines.push(SUBRULE.into());
    let count = |s: CheckStatus| checks.iter().filter(|c| c.status == s).count();
    lines.push(format!(
        "  Summary: {} PASS, {} FAIL, {} SKIP",
        count(CheckStatus::Pass),
        count(CheckStatus::Fail),
        count(CheckStatus::Skip)
    ));
    lines.push(String::new());
    for c in checks {
        let icon = match c.status {
            CheckStatus::Pass => "[+]",
            CheckStatus::Fail => "[X]",
            CheckStatus::Skip => "[-]",
        };
        lines.push(format!("  {icon} {}: {}", c.name, c.status.as_str()));
        lines.push(format!("      {}", c.reason));
    }
    lines.push(String::new());
}

fn status_icon(status: &str) -> &'static str {
    match status {
        "PENDING" => "[ ]",
        "SUBMITTED" => "[>]",
        "CONFIRMED" => "[+]",
        "DEFERRED" => "[~]",
        "FAILED" => "[X]",
        _ => "[?]",
    }
}

/// A copy of `v` with object keys sorted by code point at every depth.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.sorted().into_iter().map(|(k, v)| (k.to_owned(), sorted(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}
