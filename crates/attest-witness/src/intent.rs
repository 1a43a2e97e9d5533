//! Attestation intents: what should be witnessed, its validation, canonical form, intent
//! digest and queue id (spec `attestation.md` §3).

use attest_verify::canonical;
use attest_verify::digest::Digest;
use attest_verify::json::{Map, Value};

use crate::error::IntentError;
use crate::pattern::{is_label_key, is_sha256_digest, Validation};

/// The intent version, always in the canonical form.
pub const INTENT_VERSION: &str = "0.1";

/// At most this many labels.
pub const MAX_LABELS: usize = 32;

/// A label value has at most this many code points.
pub const MAX_LABEL_VALUE_CHARS: usize = 256;

/// The fields of an intent before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntentFields {
    /// Kind of artifact, e.g. `nexus.audit_package` (not validated; empty allowed).
    pub subject_type: String,
    /// `sha256:` + 64 lower-case hex.
    pub binding_digest: String,
    /// Version of the artifact schema.
    pub package_version: Option<String>,
    /// Execution run identifier.
    pub run_id: Option<String>,
    /// Environment, e.g. `prod`.
    pub env: Option<String>,
    /// Tenant or organisation.
    pub tenant: Option<String>,
    /// Labels in input order (keys unique).
    pub labels: Vec<(String, String)>,
}

/// A validated attestation intent.
///
/// INVARIANT (validated): the fields passed [`Intent::new`]'s checks in the mode it was
/// built with; labels have unique keys. The fields are private so that the digest always
/// covers validated content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    fields: IntentFields,
}

impl Intent {
    /// Validate `fields` (the original's order; the first failure is reported):
    /// binding digest, label count, then per label in input order its key, value length
    /// (code points) and control characters. In [`Validation::Compat`] a value with one
    /// trailing `\n` passes the digest and label-key patterns, as in the original.
    pub fn new(fields: IntentFields, mode: Validation) -> Result<Intent, IntentError> {
        if !is_sha256_digest(&fields.binding_digest, mode) {
            return Err(IntentError::BindingDigest(fields.binding_digest));
        }
        if fields.labels.len() > MAX_LABELS {
            return Err(IntentError::TooManyLabels(fields.labels.len()));
        }
        for (key, value) in &fields.labels {
            if !is_label_key(key, mode) {
                return Err(IntentError::LabelKey(key.clone()));
            }
            if value.chars().count() > MAX_LABEL_VALUE_CHARS {
                return Err(IntentError::LabelValueTooLong(key.clone()));
            }
            if value.chars().any(|c| c < '\u{20}') {
                return Err(IntentError::LabelValueControl(key.clone()));
            }
        }
        // Upholds INVARIANT (validated).
        Ok(Intent { fields })
    }

    /// Read an intent from a JSON object as the original's `from_dict` does:
    /// `subject_type` and `binding_digest` required, the optional keys default to null /
    /// no labels, every other key (an `intent_version` included) ignored. Types are
    /// checked in both modes: strings, `null` for the four optional strings, an object of
    /// strings for `labels` (the original hashes a numeric `subject_type` as a number and
    /// crashes on a null `labels`; neither is reproduced). Never panics.
    pub fn from_value(value: &Value, mode: Validation) -> Result<Intent, IntentError> {
        let m = value.as_object().ok_or(IntentError::NotAnObject)?;
        let subject_type = required_string(m, "subject_type")?;
        let binding_digest = required_string(m, "binding_digest")?;
        let labels = match m.get("labels") {
            None => Vec::new(),
            Some(Value::Object(l)) => l
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.to_owned(), s.clone())),
                    _ => Err(IntentError::WrongType { key: format!("labels.{k}"), expected: "a string" }),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(IntentError::WrongType { key: "labels".into(), expected: "an object of strings" }),
        };
        let fields = IntentFields {
            subject_type,
            binding_digest,
            package_version: optional_string(m, "package_version")?,
            run_id: optional_string(m, "run_id")?,
            env: optional_string(m, "env")?,
            tenant: optional_string(m, "tenant")?,
            labels,
        };
        Intent::new(fields, mode)
    }

    /// The validated fields.
    pub fn fields(&self) -> &IntentFields {
        &self.fields
    }

    /// Kind of artifact.
    pub fn subject_type(&self) -> &str {
        &self.fields.subject_type
    }

    /// The artifact's digest (`sha256:` + 64 hex).
    pub fn binding_digest(&self) -> &str {
        &self.fields.binding_digest
    }

    /// Version of the artifact schema.
    pub fn package_version(&self) -> Option<&str> {
        self.fields.package_version.as_deref()
    }

    /// Execution run identifier.
    pub fn run_id(&self) -> Option<&str> {
        self.fields.run_id.as_deref()
    }

    /// Environment.
    pub fn env(&self) -> Option<&str> {
        self.fields.env.as_deref()
    }

    /// Tenant.
    pub fn tenant(&self) -> Option<&str> {
        self.fields.tenant.as_deref()
    }

    /// Labels in input order.
    pub fn labels(&self) -> &[(String, String)] {
        &self.fields.labels
    }

    /// The full serialization (`to_dict`): `intent_version`, `subject_type`,
    /// `binding_digest`, then each optional string that is not null (empty strings
    /// kept), then `labels` in input order when there are any.
    pub fn to_value(&self) -> Value {
        self.build(false)
    }

    /// The canonical dict: as [`Intent::to_value`] with labels sorted by key.
    pub fn canonical_value(&self) -> Value {
        self.build(true)
    }

    /// The canonical JSON text that is hashed.
    pub fn canonical_json(&self) -> String {
        // Only strings: the canonical writer cannot fail.
        canonical::to_string(&self.canonical_value()).unwrap_or_default()
    }

    /// The intent digest: SHA-256 of [`Intent::canonical_json`] (write it with
    /// `to_hex()` for the raw form the original returns).
    pub fn digest(&self) -> Digest {
        Digest::of(self.canonical_json().as_bytes())
    }

    /// The queue id: `sha256:` + the intent digest (also the prefixed intent digest used
    /// by receipts and narratives).
    pub fn queue_id(&self) -> String {
        self.digest().to_prefixed()
    }

    fn build(&self, sort_labels: bool) -> Value {
        let f = &self.fields;
        let mut m = Map::with_capacity(8);
        m.insert("intent_version", Value::str(INTENT_VERSION));
        m.insert("subject_type", Value::str(f.subject_type.as_str()));
        m.insert("binding_digest", Value::str(f.binding_digest.as_str()));
        for (key, value) in
            [("package_version", &f.package_version), ("run_id", &f.run_id), ("env", &f.env), ("tenant", &f.tenant)]
        {
            if let Some(v) = value {
                m.insert(key, Value::str(v.as_str()));
            }
        }
        if !f.labels.is_empty() {
            let mut labels: Vec<&(String, String)> = f.labels.iter().collect();
            if sort_labels {
                labels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            }
            m.insert(
                "labels",
                Value::Object(labels.into_iter().map(|(k, v)| (k.clone(), Value::str(v.as_str()))).collect()),
            );
        }
        Value::Object(m)
    }
}

fn required_string(m: &Map, key: &'static str) -> Result<String, IntentError> {
    match m.get(key) {
        None => Err(IntentError::MissingKey(key)),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(IntentError::WrongType { key: key.into(), expected: "a string" }),
    }
}

fn optional_string(m: &Map, key: &'static str) -> Result<Option<String>, IntentError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(IntentError::WrongType { key: key.into(), expected: "a string or null" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attest_verify::json::parse;

    #[test]
    fn full_intent_digest() {
        let v = parse(
            r#"{"subject_type":"nexus.audit_package","binding_digest":"sha256:fad24b3bf885a7ede67e115061c427648df776ebf36d7b2a3caaac552bca7901","package_version":"0.6","run_id":"run-0001-simple","env":"prod","tenant":"acme","labels":{"team":"payments","region":"eu-west-1","ticket":"CHG-1234"}}"#,
        )
        .unwrap();
        let intent = Intent::from_value(&v, Validation::Strict).unwrap();
        assert_eq!(intent.digest().to_hex(), "fd5f008a225e0bf233346761f5b996a9d2c5ce2765532b0ffdb304c2b2e35abb");
        assert_eq!(intent.queue_id(), "sha256:fd5f008a225e0bf233346761f5b996a9d2c5ce2765532b0ffdb304c2b2e35abb");
    }

    #[test]
    fn trailing_newline_only_in_compat() {
        let fields = IntentFields {
            subject_type: "s".into(),
            binding_digest: format!("sha256:{}\n", "a".repeat(64)),
            ..IntentFields::default()
        };
        assert!(Intent::new(fields.clone(), Validation::Compat).is_ok());
        assert_eq!(Intent::new(fields, Validation::Strict).unwrap_err().code(), "INTENT_BINDING_DIGEST");
    }

    #[test]
    fn types_are_checked() {
        let v = parse(r#"{"subject_type":5,"binding_digest":"x"}"#).unwrap();
        assert_eq!(Intent::from_value(&v, Validation::Compat).unwrap_err().code(), "INTENT_FIELD_TYPE");
        let v = parse(r#"{"binding_digest":"x"}"#).unwrap();
        assert_eq!(Intent::from_value(&v, Validation::Strict).unwrap_err(), IntentError::MissingKey("subject_type"));
    }
}
