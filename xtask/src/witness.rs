//! Golden vectors of the witness kinds (`attestations`, `attestation_intents`, `xrpl`,
//! `attestation_receipts`, `narratives`): a thin bridge to the runner in
//! `attest_witness::__vectors`, which runs every case from its content.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use attest_verify::json::{self, Value};

/// The default vector directory (`../shared/vectors` next to the workspace).
fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors")
}

/// `attestation_intents.json`, which the XRPL adapter receipt cases name their intent
/// from; `None` when it cannot be read (those cases are then skipped with a reason).
fn intents() -> Option<&'static Value> {
    static INTENTS: OnceLock<Option<Value>> = OnceLock::new();
    INTENTS
        .get_or_init(|| {
            let text = std::fs::read_to_string(vectors_dir().join("attestation_intents.json")).ok()?;
            json::parse(&text).ok()
        })
        .as_ref()
}

/// Run one case of a witness kind: `None` when `kind` is not one of them,
/// `Some(Ok(None))` pass, `Some(Ok(Some(reason)))` skipped, `Some(Err(why))` failed.
pub(crate) fn check(kind: &str, doc: &Value, case: &Value) -> Option<Result<Option<String>, String>> {
    attest_witness::__vectors::check(kind, doc, case, intents())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn witness_vectors_pass_or_skip_with_a_reason() {
        for kind in attest_witness::__vectors::KINDS {
            let path = vectors_dir().join(format!("{kind}.json"));
            let Ok(text) = std::fs::read_to_string(&path) else {
                eprintln!("skipping {kind}: {} is missing", path.display());
                continue;
            };
            let doc = json::parse(&text).unwrap();
            let cases = doc.get("cases").and_then(Value::as_array).unwrap();
            assert!(!cases.is_empty(), "{kind}: no cases");
            for case in cases {
                let name = case.get("name").and_then(Value::as_str).unwrap_or("<unnamed>");
                match check(kind, &doc, case) {
                    None => panic!("{kind} is not handled"),
                    Some(Ok(None)) => {}
                    Some(Ok(Some(reason))) => assert!(!reason.is_empty(), "{kind}/{name}: skipped without a reason"),
                    Some(Err(why)) => panic!("{kind}/{name}: {why}"),
                }
            }
        }
        assert!(check("canonical_json", &Value::Null, &Value::Null).is_none());
    }
}
