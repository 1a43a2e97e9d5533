//! Ed25519 attestations over a binding digest: the signed payload, creation, the two
//! parses of a document, and verification (the original's four checks plus the strict
//! checks, spec `attestation.md` §2).

use attest_verify::json::{Map, Value};
use attest_verify::verify::{Check, Checks, Verification};

use crate::error::AttestationError;
use crate::hex;
use crate::keys::{SigningKey, VerifyingKey};
use crate::pattern::{is_sha256_digest, Validation};

/// The attestation version, signed into every payload (the verifier uses this constant,
/// not the document's field, when rebuilding the signed bytes).
pub const ATTESTATION_VERSION: &str = "0.7";

/// Name of check 1: the signature verifies over the rebuilt payload.
pub const CHECK_SIGNATURE_VALID: &str = "signature_valid";
/// Name of check 2: `payload.attestation_version` is `"0.7"`.
pub const CHECK_ATTESTATION_VERSION: &str = "attestation_version";
/// Name of check 3: at least one claim.
pub const CHECK_CLAIMS_NON_EMPTY: &str = "claims_non_empty";
/// Name of check 4: the binding digest starts with `sha256:`.
pub const CHECK_BINDING_DIGEST_FORMAT: &str = "binding_digest_format";
/// Strict check: the public key is not a small-order point and is canonically encoded.
pub const CHECK_PUBLIC_KEY_STRONG: &str = "public_key_strong";
/// Strict check: the signature verifies under strict rules (small-order R and weak keys
/// refused, S < L).
pub const CHECK_SIGNATURE_STRICT: &str = "signature_strict";
/// Strict check: the binding digest is `sha256:` + 64 lower-case hex.
pub const CHECK_BINDING_DIGEST_HEX: &str = "binding_digest_hex";
/// Strict check: `attestation_id` is derived from the signature.
pub const CHECK_ATTESTATION_ID_VALID: &str = "attestation_id_valid";

/// Code of check 1 (exported by the original; never written into a result).
pub const SIGNATURE_INVALID: &str = "SIGNATURE_INVALID";
/// Code of check 2.
pub const VERSION_UNKNOWN: &str = "VERSION_UNKNOWN";
/// Code of check 3.
pub const CLAIMS_EMPTY: &str = "CLAIMS_EMPTY";
/// Code of check 4.
pub const DIGEST_FORMAT_INVALID: &str = "DIGEST_FORMAT_INVALID";
/// Code of the strict check `public_key_strong`.
pub const WEAK_PUBLIC_KEY: &str = "WEAK_PUBLIC_KEY";
/// Code of the strict check `signature_strict`.
pub const SIGNATURE_NOT_STRICT: &str = "SIGNATURE_NOT_STRICT";
/// Code of the strict check `binding_digest_hex`.
pub const DIGEST_NOT_HEX: &str = "DIGEST_NOT_HEX";
/// Code of the strict check `attestation_id_valid`.
pub const ATTESTATION_ID_MISMATCH: &str = "ATTESTATION_ID_MISMATCH";

/// The stable code of an attestation check, by check name.
pub fn check_code(name: &str) -> Option<&'static str> {
    Some(match name {
        CHECK_SIGNATURE_VALID => SIGNATURE_INVALID,
        CHECK_ATTESTATION_VERSION => VERSION_UNKNOWN,
        CHECK_CLAIMS_NON_EMPTY => CLAIMS_EMPTY,
        CHECK_BINDING_DIGEST_FORMAT => DIGEST_FORMAT_INVALID,
        CHECK_PUBLIC_KEY_STRONG => WEAK_PUBLIC_KEY,
        CHECK_SIGNATURE_STRICT => SIGNATURE_NOT_STRICT,
        CHECK_BINDING_DIGEST_HEX => DIGEST_NOT_HEX,
        CHECK_ATTESTATION_ID_VALID => ATTESTATION_ID_MISMATCH,
        _ => return None,
    })
}

/// Who attests. Only `id` and `key_id` are signed; `role` travels in `meta` and is never
/// read from or written into a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestor {
    /// The attesting party.
    pub id: String,
    /// Which of its keys signed.
    pub key_id: String,
    /// Display role (unsigned).
    pub role: Option<String>,
}

/// The signed part of an attestation document, as read from or written into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationPayload {
    /// The document's version field (checked by check 2; the signature always covers
    /// [`ATTESTATION_VERSION`]).
    pub attestation_version: String,
    /// The audit package binding digest (not validated at creation).
    pub binding_digest: String,
    /// The claims in document order (they are sorted wherever they are signed or
    /// written).
    pub claims: Vec<String>,
    /// The attestor (its `role` is always `None` here).
    pub attestor: Attestor,
    /// Free text; the original writes `datetime.isoformat()` of UTC now.
    pub signed_at: String,
}

/// An attestation document: `{attestation_id, payload, signature, meta}`.
///
/// Fields are public because a document read for verification may say anything; the
/// verifier decides what holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Attestation {
    /// `att_` + the first 16 hex characters of SHA-256 of the raw signature bytes.
    pub attestation_id: String,
    /// The signed fields.
    pub payload: AttestationPayload,
    /// The signature, hex (written as 128 lower-case characters).
    pub signature: String,
    /// Unauthenticated display data (`public_key_hex`, `role`); written only when
    /// non-empty.
    pub meta: Map,
}

/// The bytes that are signed: the canonical JSON of
/// `{"attestation_version": "0.7", "attestor": {"id", "key_id"}, "binding_digest",
/// "claims": <sorted by code point, duplicates kept>, "signed_at"}` (the one
/// implementation, [`attest_verify::attestation::signed_bytes`]).
pub fn signed_bytes(
    binding_digest: &str,
    claims: &[String],
    attestor_id: &str,
    key_id: &str,
    signed_at: &str,
) -> Vec<u8> {
    attest_verify::attestation::signed_bytes(binding_digest, claims, attestor_id, key_id, signed_at)
}

/// `att_` + the first 16 hex characters of SHA-256 over the raw signature bytes
/// ([`attest_verify::attestation::attestation_id`]).
pub fn attestation_id(signature: &[u8; 64]) -> String {
    attest_verify::attestation::attestation_id(signature)
}

/// Sign `claims` about `binding_digest` as `attestor`, exactly as the original does.
///
/// Nothing is validated: empty claims, a digest without `sha256:` and free-text
/// `signed_at` are all signed, and verification reports them. `signed_at` is the
/// caller's clock reading (the original uses `datetime.now(UTC).isoformat()`, i.e.
/// [`attest_verify::Timestamp::isoformat`] of the current UTC time).
pub fn create_attestation(
    binding_digest: &str,
    claims: &[String],
    attestor: &Attestor,
    key: &SigningKey,
    signed_at: &str,
) -> Attestation {
    let message = signed_bytes(binding_digest, claims, &attestor.id, &attestor.key_id, signed_at);
    let signature = key.sign(&message);
    let mut sorted = claims.to_vec();
    sorted.sort_unstable();
    let mut meta = Map::with_capacity(2);
    meta.insert("public_key_hex", Value::String(key.public_key_hex()));
    if let Some(role) = &attestor.role {
        meta.insert("role", Value::str(role.as_str()));
    }
    Attestation {
        attestation_id: attestation_id(&signature),
        payload: AttestationPayload {
            attestation_version: ATTESTATION_VERSION.to_owned(),
            binding_digest: binding_digest.to_owned(),
            claims: sorted,
            attestor: Attestor { id: attestor.id.clone(), key_id: attestor.key_id.clone(), role: None },
            signed_at: signed_at.to_owned(),
        },
        signature: hex::encode(&signature),
        meta,
    }
}

impl Attestation {
    /// Read a document as the original does: the required keys must be present (with
    /// the right JSON types), `meta` is optional and kept whole (`null` reads as empty),
    /// every other key is ignored. Never panics.
    pub fn from_value(value: &Value) -> Result<Attestation, AttestationError> {
        parse(value, false)
    }

    /// Read a document strictly: as [`Attestation::from_value`], and additionally refuse
    /// unknown keys at every level (a `role` inside `payload.attestor` included) and an
    /// `attestation_id` that is not derived from the signature.
    pub fn from_value_strict(value: &Value) -> Result<Attestation, AttestationError> {
        let attestation = parse(value, true)?;
        let signature = hex::decode_array::<64>(&attestation.signature).ok_or(AttestationError::SignatureEncoding)?;
        let expected = attestation_id(&signature);
        if expected != attestation.attestation_id {
            return Err(AttestationError::IdMismatch { expected, actual: attestation.attestation_id });
        }
        Ok(attestation)
    }

    /// The document: `attestation_id`, `payload` (`attestation_version`,
    /// `binding_digest`, sorted `claims`, `attestor` `{id, key_id}`, `signed_at`),
    /// `signature`, and `meta` when non-empty — the original's key order.
    pub fn to_value(&self) -> Value {
        let p = &self.payload;
        let mut claims = p.claims.clone();
        claims.sort_unstable();
        let mut attestor = Map::with_capacity(2);
        attestor.insert("id", Value::str(p.attestor.id.as_str()));
        attestor.insert("key_id", Value::str(p.attestor.key_id.as_str()));
        let mut payload = Map::with_capacity(5);
        payload.insert("attestation_version", Value::str(p.attestation_version.as_str()));
        payload.insert("binding_digest", Value::str(p.binding_digest.as_str()));
        payload.insert("claims", Value::Array(claims.into_iter().map(Value::String).collect()));
        payload.insert("attestor", Value::Object(attestor));
        payload.insert("signed_at", Value::str(p.signed_at.as_str()));
        let mut m = Map::with_capacity(4);
        m.insert("attestation_id", Value::str(self.attestation_id.as_str()));
        m.insert("payload", Value::Object(payload));
        m.insert("signature", Value::str(self.signature.as_str()));
        if !self.meta.is_empty() {
            m.insert("meta", Value::Object(self.meta.clone()));
        }
        Value::Object(m)
    }

    /// The bytes the signature must cover, rebuilt from this document's fields with the
    /// constant version (what the verifier checks).
    pub fn signed_bytes(&self) -> Vec<u8> {
        let p = &self.payload;
        signed_bytes(&p.binding_digest, &p.claims, &p.attestor.id, &p.attestor.key_id, &p.signed_at)
    }
}

/// The original's four checks, in order, byte-identical to its verification result
/// (`Checks::to_reference_value`). The key is the caller's; `meta.public_key_hex` is
/// never consulted. Signature hex is decoded in either case; anything that does not
/// decode to 64 bytes fails check 1. Verification is cofactorless like the original's,
/// so a weak key verifies forged signatures here — [`verify_attestation`] reports that.
pub fn verify_attestation_reference(attestation: &Attestation, key: &VerifyingKey) -> Checks {
    let p = &attestation.payload;
    let message = attestation.signed_bytes();
    let signature = hex::decode_array::<64>(&attestation.signature);
    let sig_ok = signature.is_some_and(|s| key.verify_reference(&message, &s));
    let mut checks = Vec::with_capacity(4);
    checks.push(check(
        CHECK_SIGNATURE_VALID,
        sig_ok,
        None,
        None,
        if sig_ok { "Ed25519 signature verification" } else { "Signature verification failed" },
    ));
    checks.push(check(
        CHECK_ATTESTATION_VERSION,
        p.attestation_version == ATTESTATION_VERSION,
        Some(Value::str(ATTESTATION_VERSION)),
        Some(Value::str(p.attestation_version.as_str())),
        "Attestation version must be recognized",
    ));
    checks.push(check(CHECK_CLAIMS_NON_EMPTY, !p.claims.is_empty(), None, None, "At least one claim must be present"));
    let shown: String = if p.binding_digest.chars().count() > 12 {
        format!("{}...", p.binding_digest.chars().take(12).collect::<String>())
    } else {
        p.binding_digest.clone()
    };
    checks.push(check(
        CHECK_BINDING_DIGEST_FORMAT,
        p.binding_digest.starts_with("sha256:"),
        None,
        Some(Value::String(shown)),
        "binding_digest must start with 'sha256:'",
    ));
    Checks { checks }
}

/// Verify an attestation: the original's four checks ([`Verification::reference`],
/// unchanged) and the strict checks ([`Verification::deep`]): `public_key_strong`,
/// `signature_strict`, `binding_digest_hex`, `attestation_id_valid`.
/// [`Verification::ok`] holds only when both pass, so a forged signature under a weak
/// key, a malleable signature, a malformed digest or a wrong id is refused even where
/// the original accepts it.
pub fn verify_attestation(attestation: &Attestation, key: &VerifyingKey) -> Verification {
    let reference = verify_attestation_reference(attestation, key);
    let p = &attestation.payload;
    let signature = hex::decode_array::<64>(&attestation.signature);
    let mut deep = Vec::with_capacity(4);

    let strong = !key.is_weak() && key.is_canonical();
    let key_detail = if key.is_weak() {
        "public key is a small-order point: one forged signature verifies many payloads"
    } else if !key.is_canonical() {
        "public key encoding is not canonical"
    } else {
        "public key is a canonically encoded point of large order"
    };
    deep.push(check(CHECK_PUBLIC_KEY_STRONG, strong, None, Some(Value::String(key.to_hex())), key_detail));

    let strict_ok = signature.is_some_and(|s| key.verify_strict(&attestation.signed_bytes(), &s));
    deep.push(check(
        CHECK_SIGNATURE_STRICT,
        strict_ok,
        None,
        None,
        if strict_ok {
            "Ed25519 strict verification (canonical S, small-order R and weak keys refused)"
        } else {
            "strict Ed25519 verification failed"
        },
    ));

    let hex_ok = is_sha256_digest(&p.binding_digest, Validation::Strict);
    deep.push(check(
        CHECK_BINDING_DIGEST_HEX,
        hex_ok,
        None,
        Some(Value::str(p.binding_digest.as_str())),
        "binding_digest must be 'sha256:' + 64 lower-case hex",
    ));

    match signature {
        Some(s) => {
            let expected = attestation_id(&s);
            let ok = expected == attestation.attestation_id;
            deep.push(check(
                CHECK_ATTESTATION_ID_VALID,
                ok,
                Some(Value::String(expected)),
                Some(Value::str(attestation.attestation_id.as_str())),
                "attestation_id must be att_ + 16 hex of SHA-256 of the signature",
            ));
        }
        None => deep.push(check(
            CHECK_ATTESTATION_ID_VALID,
            false,
            None,
            Some(Value::str(attestation.attestation_id.as_str())),
            "signature is not 128 hex characters, so attestation_id cannot be recomputed",
        )),
    }
    Verification { reference, deep: Checks { checks: deep }, advisories: Vec::new() }
}

fn check(name: &'static str, ok: bool, expected: Option<Value>, actual: Option<Value>, detail: &str) -> Check {
    Check { name, ok, expected, actual, detail: Some(detail.to_owned()) }
}

// ------------------------------------------------------------------------------ parsing

const TOP_KEYS: [&str; 4] = ["attestation_id", "payload", "signature", "meta"];
const PAYLOAD_KEYS: [&str; 5] = ["attestation_version", "binding_digest", "claims", "attestor", "signed_at"];
const ATTESTOR_KEYS: [&str; 2] = ["id", "key_id"];

fn parse(value: &Value, strict: bool) -> Result<Attestation, AttestationError> {
    let top = object(value, "")?;
    if strict {
        refuse_unknown(top, &TOP_KEYS, "")?;
    }
    let attestation_id = string(top, "attestation_id", "")?;
    let payload = object(required(top, "payload", "")?, "payload")?;
    if strict {
        refuse_unknown(payload, &PAYLOAD_KEYS, "payload.")?;
    }
    let attestation_version = string(payload, "attestation_version", "payload.")?;
    let binding_digest = string(payload, "binding_digest", "payload.")?;
    let claims = match required(payload, "claims", "payload.")? {
        Value::Array(items) => items
            .iter()
            .map(|c| {
                c.as_str().map(str::to_owned).ok_or_else(|| AttestationError::WrongType {
                    path: "payload.claims".into(),
                    expected: "an array of strings",
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => {
            return Err(AttestationError::WrongType { path: "payload.claims".into(), expected: "an array of strings" })
        }
    };
    let attestor = object(required(payload, "attestor", "payload.")?, "payload.attestor")?;
    if strict {
        refuse_unknown(attestor, &ATTESTOR_KEYS, "payload.attestor.")?;
    }
    let id = string(attestor, "id", "payload.attestor.")?;
    let key_id = string(attestor, "key_id", "payload.attestor.")?;
    let signed_at = string(payload, "signed_at", "payload.")?;
    let signature = string(top, "signature", "")?;
    let meta = match top.get("meta") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(AttestationError::WrongType { path: "meta".into(), expected: "an object" }),
    };
    Ok(Attestation {
        attestation_id,
        payload: AttestationPayload {
            attestation_version,
            binding_digest,
            claims,
            attestor: Attestor { id, key_id, role: None },
            signed_at,
        },
        signature,
        meta,
    })
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map, AttestationError> {
    value.as_object().ok_or_else(|| AttestationError::WrongType {
        path: if path.is_empty() { "attestation".into() } else { path.into() },
        expected: "an object",
    })
}

fn required<'a>(m: &'a Map, key: &str, prefix: &str) -> Result<&'a Value, AttestationError> {
    m.get(key).ok_or_else(|| AttestationError::MissingKey(format!("{prefix}{key}")))
}

fn string(m: &Map, key: &str, prefix: &str) -> Result<String, AttestationError> {
    required(m, key, prefix)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| AttestationError::WrongType { path: format!("{prefix}{key}"), expected: "a string" })
}

fn refuse_unknown(m: &Map, known: &[&str], prefix: &str) -> Result<(), AttestationError> {
    match m.keys().find(|k| !known.contains(k)) {
        Some(k) => Err(AttestationError::UnknownKey(format!("{prefix}{k}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_seed_hex("05ddab7759264844c946d1ac76b6f0cf748d6e1908432c5494a5b0895fe6e0f5").unwrap()
    }

    fn attestor() -> Attestor {
        Attestor {
            id: "auditor@example.com".into(),
            key_id: "key-2025-01".into(),
            role: Some("external-auditor".into()),
        }
    }

    const DIGEST: &str = "sha256:06ac603df9c1d076b14911681f7f5968a16480e866e19f07f4f7a01612902493";

    #[test]
    fn single_claim_matches_the_vector() {
        let a =
            create_attestation(DIGEST, &["controls-reviewed".into()], &attestor(), &key(), "2025-01-15T12:00:00+00:00");
        assert_eq!(a.attestation_id, "att_60e4a4aa511adf21");
        assert!(a.signature.starts_with("e8bb63a994e044c6197f48a15481e86b"));
        let v = verify_attestation(&a, &key().verifying_key());
        assert!(v.ok(), "{v:?}");
        let back = Attestation::from_value_strict(&a.to_value()).unwrap();
        assert_eq!(back.to_value(), a.to_value());
    }

    #[test]
    fn strict_parse_refuses_what_the_reference_ignores() {
        let a = create_attestation(DIGEST, &["x".into()], &attestor(), &key(), "t");
        let mut v = a.to_value();
        if let Value::Object(m) = &mut v {
            m.insert("extra", Value::Null);
        }
        assert!(Attestation::from_value(&v).is_ok());
        assert_eq!(Attestation::from_value_strict(&v).unwrap_err().code(), "ATTESTATION_UNKNOWN_FIELD");
        let mut wrong_id = a.clone();
        wrong_id.attestation_id = "att_0000000000000000".into();
        let err = Attestation::from_value_strict(&wrong_id.to_value()).unwrap_err();
        assert_eq!(err.code(), "ATTESTATION_ID_MISMATCH");
    }

    #[test]
    fn a_weak_key_forgery_passes_the_reference_checks_and_fails_the_strict_ones() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = VerifyingKey::from_bytes_reference(&identity).unwrap();
        let mut forged = a_forgery();
        let mut sig = [0u8; 64];
        sig[0] = 1;
        forged.signature = hex::encode(&sig);
        forged.attestation_id = attestation_id(&sig);
        let reference = verify_attestation_reference(&forged, &weak);
        assert!(reference.ok(), "the original accepts the forgery");
        let v = verify_attestation(&forged, &weak);
        assert!(!v.ok());
        assert_eq!(v.deep.failed_names(), [CHECK_PUBLIC_KEY_STRONG, CHECK_SIGNATURE_STRICT]);
        assert_eq!(check_code(CHECK_PUBLIC_KEY_STRONG), Some(WEAK_PUBLIC_KEY));
    }

    #[test]
    fn the_standalone_verifier_reads_and_verifies_what_is_written_here() {
        let a = create_attestation(DIGEST, &["b".into(), "a".into()], &attestor(), &key(), "2025-01-15T12:00:00+00:00");
        let doc = attest_verify::attestation::AttestationDoc::parse(&a.to_value()).unwrap();
        assert_eq!(doc.signed_bytes(), a.signed_bytes());
        assert!(doc.id_is_derived());
        assert!(doc.verifies_under(&key().verifying_key().to_bytes()));
        let other = SigningKey::from_seed(&[7u8; 32]).verifying_key().to_bytes();
        assert!(!doc.verifies_under(&other));
        let trusted = [key().verifying_key().to_bytes()];
        let verdict = attest_verify::attestation::judge_attestation(&a.to_value(), DIGEST, &trusted);
        assert!(verdict.ok, "{verdict:?}");
        assert_eq!(verify_attestation(&a, &key().verifying_key()).ok(), verdict.signature_valid);
    }

    fn a_forgery() -> Attestation {
        create_attestation(DIGEST, &["anything".into()], &attestor(), &key(), "2030-01-01T00:00:00+00:00")
    }
}
