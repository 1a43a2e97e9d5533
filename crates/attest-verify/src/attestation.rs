//! Ed25519 attestations over an audit package's binding digest, and verification with
//! trust (feature `signatures`, spec `attestation.md` §2).
//!
//! An attestation says "the holder of this key vouches for binding digest D". Digests
//! alone prove that a package is consistent, not who produced it: whoever can edit a
//! package can re-seal it (recompute every digest). A package verified here with
//! [`verify_package_with_trust`] passes only when at least K distinct *trusted* keys
//! signed attestations over the binding digest recomputed from this package, so a
//! re-sealed package fails the strict check `attestation_trust`.
//!
//! The signed bytes are rebuilt with the one canonical writer ([`crate::canonical`]);
//! verification is strict: weak (small-order) and non-canonically encoded keys are
//! refused, and signatures are checked with `verify_strict` (canonical S, small-order R
//! refused). `meta.public_key_hex` is never trusted: a signature counts only under a key
//! the caller supplied.

use std::fmt;

use crate::canonical;
use crate::digest::Digest;
use crate::json::{Map, Value};
use crate::package::{ParsedPackage, ShapeError};
use crate::verify::{verify_package, Check, Verification, VerifyOptions};

/// The attestation version, signed into every payload (the verifier uses this constant,
/// not the document's field, when rebuilding the signed bytes).
pub const ATTESTATION_VERSION: &str = "0.7";

/// Name of the strict check added by [`verify_package_with_trust`].
pub const CHECK_ATTESTATION_TRUST: &str = "attestation_trust";

/// Name of the per-attestation advisories of [`verify_package_with_trust`].
pub const ADVISORY_ATTESTATION: &str = "attestation";

/// The bytes that are signed: the canonical JSON of
/// `{"attestation_version": "0.7", "attestor": {"id", "key_id"}, "binding_digest",
/// "claims": <sorted by code point, duplicates kept>, "signed_at"}`.
pub fn signed_bytes(
    binding_digest: &str,
    claims: &[String],
    attestor_id: &str,
    key_id: &str,
    signed_at: &str,
) -> Vec<u8> {
    let mut sorted: Vec<&str> = claims.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut attestor = Map::with_capacity(2);
    attestor.insert("id", Value::str(attestor_id));
    attestor.insert("key_id", Value::str(key_id));
    let mut m = Map::with_capacity(5);
    m.insert("attestation_version", Value::str(ATTESTATION_VERSION));
    m.insert("binding_digest", Value::str(binding_digest));
    m.insert("claims", Value::Array(sorted.into_iter().map(Value::str).collect()));
    m.insert("attestor", Value::Object(attestor));
    m.insert("signed_at", Value::str(signed_at));
    // Only strings: the canonical writer cannot fail.
    canonical::to_bytes(&Value::Object(m)).unwrap_or_default()
}

/// `att_` + the first 16 hex characters of SHA-256 over the raw 64 signature bytes.
pub fn attestation_id(signature: &[u8; 64]) -> String {
    let hex = Digest::of(signature).to_hex();
    format!("att_{}", hex.get(..16).unwrap_or_default())
}

/// Lower-case hex of `bytes`.
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The bytes of hex text in either case; `None` on an odd length or any other character
/// (whitespace included).
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes.chunks_exact(2).map(|pair| Some(nibble(*pair.first()?)? << 4 | nibble(*pair.get(1)?)?)).collect()
}

fn hex_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    hex_decode(text)?.try_into().ok()
}

/// Why text is not a usable (strong) Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Not hex (odd length, whitespace or another character).
    NotHex,
    /// Hex, but not 32 bytes.
    Length,
    /// 32 bytes that do not decode to a curve point.
    NotOnCurve,
    /// A small-order point: one forged signature would verify many payloads.
    Weak,
    /// A non-canonical encoding of a point.
    NonCanonical,
    /// JSON key text that is not an object with a string `public_key`.
    NoPublicKey,
}

impl KeyError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::NotHex => "KEY_NOT_HEX",
            KeyError::Length => "KEY_LENGTH",
            KeyError::NotOnCurve => "KEY_NOT_ON_CURVE",
            KeyError::Weak => "WEAK_PUBLIC_KEY",
            KeyError::NonCanonical => "KEY_NOT_CANONICAL",
            KeyError::NoPublicKey => "KEY_NO_PUBLIC_KEY",
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyError::NotHex => "an Ed25519 public key is written as 64 hex characters",
            KeyError::Length => "An Ed25519 public key is 32 bytes long",
            KeyError::NotOnCurve => "the public key is not a point on the Ed25519 curve",
            KeyError::Weak => "the public key is a small-order point (a weak key)",
            KeyError::NonCanonical => "the public key encoding is not canonical",
            KeyError::NoPublicKey => "a JSON key must be an object with a string `public_key`",
        })
    }
}

impl std::error::Error for KeyError {}

/// Check that 32 bytes are a strong public key: a point on the curve, canonically
/// encoded, not of small order.
pub fn check_public_key(key: &[u8; 32]) -> Result<(), KeyError> {
    let vk = ed25519_dalek::VerifyingKey::from_bytes(key).map_err(|_| KeyError::NotOnCurve)?;
    if vk.is_weak() {
        return Err(KeyError::Weak);
    }
    if vk.to_edwards().compress().to_bytes() != *key {
        return Err(KeyError::NonCanonical);
    }
    Ok(())
}

/// A strong public key from 64 hex characters (either case, nothing else).
pub fn parse_public_key(text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = hex_decode(text).ok_or(KeyError::NotHex)?;
    let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Length)?;
    check_public_key(&key)?;
    Ok(key)
}

/// A strong public key from key text (a key file's content): surrounding whitespace
/// ignored, then either 64 hex characters or a JSON object whose string `public_key`
/// holds them (what `nexus-attest keygen --json` prints).
pub fn public_key_from_text(text: &str) -> Result<[u8; 32], KeyError> {
    let text = text.trim();
    if text.starts_with('{') {
        let v = crate::json::parse(text).map_err(|_| KeyError::NoPublicKey)?;
        let hex = v.get("public_key").and_then(Value::as_str).ok_or(KeyError::NoPublicKey)?;
        return parse_public_key(hex);
    }
    parse_public_key(text)
}

/// Strict Ed25519 verification (RFC 8032 pure Ed25519): the key must decode and not be
/// of small order, S must be canonical and R not of small order. The key's encoding is
/// hashed as given ([`check_public_key`] additionally refuses non-canonical encodings).
pub fn verify_strict(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(key) else {
        return false;
    };
    if vk.is_weak() {
        return false;
    }
    vk.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature)).is_ok()
}

/// Why a JSON value is not an attestation document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Dotted path of the offending key (`payload.claims`).
    pub path: String,
    /// `true` when the key is missing, `false` when it has the wrong JSON type.
    pub missing: bool,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.missing {
            write!(f, "missing key `{}`", self.path)
        } else {
            write!(f, "`{}` has the wrong type", self.path)
        }
    }
}

impl std::error::Error for ParseError {}

/// An attestation document read for verification (the shape attest-witness writes:
/// `{attestation_id, payload: {attestation_version, attestor {id, key_id},
/// binding_digest, claims, signed_at}, signature, meta {public_key_hex, role?}}`).
/// Unknown keys are ignored, as the original's parser does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationDoc {
    /// `attestation_id` as written.
    pub attestation_id: String,
    /// `payload.attestation_version` as written.
    pub attestation_version: String,
    /// `payload.binding_digest`.
    pub binding_digest: String,
    /// `payload.claims` in document order.
    pub claims: Vec<String>,
    /// `payload.attestor.id`.
    pub attestor_id: String,
    /// `payload.attestor.key_id`.
    pub key_id: String,
    /// `payload.signed_at`.
    pub signed_at: String,
    /// `signature` (hex) as written.
    pub signature: String,
    /// `meta.public_key_hex` when present as a string (unauthenticated).
    pub public_key_hex: Option<String>,
}

impl AttestationDoc {
    /// Read a document: the required keys must be present with the right JSON types;
    /// `meta` is optional. Never panics.
    pub fn parse(value: &Value) -> Result<AttestationDoc, ParseError> {
        let top = object(value, "attestation")?;
        let attestation_id = string(top, "attestation_id", "")?;
        let payload = object(required(top, "payload", "")?, "payload")?;
        let signature = string(top, "signature", "")?;
        let attestation_version = string(payload, "attestation_version", "payload.")?;
        let binding_digest = string(payload, "binding_digest", "payload.")?;
        let claims = required(payload, "claims", "payload.")?
            .as_array()
            .ok_or_else(|| wrong("payload.claims"))?
            .iter()
            .map(|c| c.as_str().map(str::to_owned).ok_or_else(|| wrong("payload.claims[]")))
            .collect::<Result<Vec<_>, _>>()?;
        let attestor = object(required(payload, "attestor", "payload.")?, "payload.attestor")?;
        let attestor_id = string(attestor, "id", "payload.attestor.")?;
        let key_id = string(attestor, "key_id", "payload.attestor.")?;
        let signed_at = string(payload, "signed_at", "payload.")?;
        let public_key_hex =
            top.get("meta").and_then(|m| m.get("public_key_hex")).and_then(Value::as_str).map(str::to_owned);
        Ok(AttestationDoc {
            attestation_id,
            attestation_version,
            binding_digest,
            claims,
            attestor_id,
            key_id,
            signed_at,
            signature,
            public_key_hex,
        })
    }

    /// The bytes the signature must cover, rebuilt from this document's fields with the
    /// constant version.
    pub fn signed_bytes(&self) -> Vec<u8> {
        signed_bytes(&self.binding_digest, &self.claims, &self.attestor_id, &self.key_id, &self.signed_at)
    }

    /// The 64 signature bytes, when the signature is 128 hex characters.
    pub fn signature_bytes(&self) -> Option<[u8; 64]> {
        hex_array::<64>(&self.signature)
    }

    /// Whether the signature verifies strictly under `key`.
    pub fn verifies_under(&self, key: &[u8; 32]) -> bool {
        self.signature_bytes().is_some_and(|s| verify_strict(key, &self.signed_bytes(), &s))
    }

    /// Whether `attestation_id` is derived from the signature.
    pub fn id_is_derived(&self) -> bool {
        self.signature_bytes().is_some_and(|s| attestation_id(&s) == self.attestation_id)
    }
}

fn wrong(path: &str) -> ParseError {
    ParseError { path: path.to_owned(), missing: false }
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map, ParseError> {
    value.as_object().ok_or_else(|| wrong(path))
}

fn required<'a>(m: &'a Map, key: &str, prefix: &str) -> Result<&'a Value, ParseError> {
    m.get(key).ok_or_else(|| ParseError { path: format!("{prefix}{key}"), missing: true })
}

fn string(m: &Map, key: &str, prefix: &str) -> Result<String, ParseError> {
    required(m, key, prefix)?.as_str().map(str::to_owned).ok_or_else(|| wrong(&format!("{prefix}{key}")))
}

/// The verdict on one attestation given to [`verify_package_with_trust`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationVerdict {
    /// `attestation_id` as written (`None` when the document could not be read).
    pub attestation_id: Option<String>,
    /// The key the signature verified under (a trusted key, else the unauthenticated
    /// `meta.public_key_hex`), lower-case hex; `None` when there is none.
    pub key: Option<String>,
    /// Whether the signature verified under one of the trusted keys.
    pub trusted: bool,
    /// Whether the signature verified strictly under [`AttestationVerdict::key`].
    pub signature_valid: bool,
    /// Whether the attested binding digest equals this package's recomputed one.
    pub binding_matches: bool,
    /// Whether the attestation counts towards the threshold: trusted, valid, over this
    /// package, version `0.7`, at least one claim, and an `attestation_id` derived from
    /// the signature.
    pub ok: bool,
    /// One line saying why.
    pub detail: String,
    /// The trusted key that verified (raw bytes), for counting distinct keys.
    trusted_key: Option<[u8; 32]>,
    /// The binding digest attested (for the re-seal explanation).
    attested_digest: Option<String>,
}

impl AttestationVerdict {
    /// `{attestation_id, key, trusted, signature_valid, binding_matches, ok, detail}`
    /// (`attestation_id` and `key` are `null` when absent).
    pub fn to_value(&self) -> Value {
        let opt = |s: &Option<String>| s.as_deref().map_or(Value::Null, Value::str);
        let mut m = Map::with_capacity(7);
        m.insert("attestation_id", opt(&self.attestation_id));
        m.insert("key", opt(&self.key));
        m.insert("trusted", Value::Bool(self.trusted));
        m.insert("signature_valid", Value::Bool(self.signature_valid));
        m.insert("binding_matches", Value::Bool(self.binding_matches));
        m.insert("ok", Value::Bool(self.ok));
        m.insert("detail", Value::str(self.detail.as_str()));
        Value::Object(m)
    }
}

/// Judge one attestation document against a binding digest (`sha256:<hex>`) and a set
/// of trusted keys. Never panics; a document that cannot be read gets a failing verdict.
pub fn judge_attestation(document: &Value, binding_digest: &str, trusted_keys: &[[u8; 32]]) -> AttestationVerdict {
    let doc = match AttestationDoc::parse(document) {
        Ok(doc) => doc,
        Err(e) => {
            return AttestationVerdict {
                attestation_id: document.get("attestation_id").and_then(Value::as_str).map(str::to_owned),
                key: None,
                trusted: false,
                signature_valid: false,
                binding_matches: false,
                ok: false,
                detail: format!("not an attestation: {e}"),
                trusted_key: None,
                attested_digest: None,
            }
        }
    };
    let strong: Vec<[u8; 32]> = trusted_keys.iter().filter(|k| check_public_key(k).is_ok()).copied().collect();
    let trusted_key = strong.iter().find(|k| doc.verifies_under(k)).copied();
    let meta_key = doc.public_key_hex.as_deref().and_then(hex_array::<32>);
    let (key, signature_valid) = match (trusted_key, meta_key) {
        (Some(k), _) => (Some(hex_encode(&k)), true),
        (None, Some(k)) => (Some(hex_encode(&k)), check_public_key(&k).is_ok() && doc.verifies_under(&k)),
        (None, None) => (None, false),
    };
    let trusted = trusted_key.is_some();
    let binding_matches = doc.binding_digest == binding_digest;
    let mut problems = Vec::new();
    if !trusted {
        problems.push(match (&key, signature_valid) {
            (Some(k), true) => {
                format!(
                    "the signature verifies only under the untrusted key {k} (meta.public_key_hex); it does not count"
                )
            }
            _ => "the signature does not verify under any trusted key".to_owned(),
        });
    }
    if !binding_matches {
        problems.push(format!(
            "it attests binding digest {}, not this package's {binding_digest} (the package may have been re-sealed)",
            doc.binding_digest
        ));
    }
    if doc.attestation_version != ATTESTATION_VERSION {
        problems.push(format!("attestation_version is `{}`, not `{ATTESTATION_VERSION}`", doc.attestation_version));
    }
    if doc.claims.is_empty() {
        problems.push("it carries no claim".to_owned());
    }
    if !doc.id_is_derived() {
        problems.push("attestation_id is not att_ + 16 hex of SHA-256 of the signature".to_owned());
    }
    let ok = problems.is_empty();
    let detail = if ok {
        format!(
            "signed by trusted key {} over this package's binding digest (claims: {})",
            key.as_deref().unwrap_or(""),
            doc.claims.join(", ")
        )
    } else {
        problems.join("; ")
    };
    AttestationVerdict {
        attestation_id: Some(doc.attestation_id),
        key,
        trusted,
        signature_valid,
        binding_matches,
        ok,
        detail,
        trusted_key,
        attested_digest: Some(doc.binding_digest),
    }
}

/// The result of [`verify_package_with_trust`]: the package verification (with the
/// strict check `attestation_trust` among its deep checks and one `attestation`
/// advisory per attestation) and the per-attestation verdicts.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustedVerification {
    /// The package verification, `attestation_trust` included.
    pub verification: Verification,
    /// One verdict per attestation, in the order given.
    pub attestations: Vec<AttestationVerdict>,
}

impl TrustedVerification {
    /// Verdict of all checks, `attestation_trust` included.
    pub fn ok(&self) -> bool {
        self.verification.ok()
    }

    /// The CLI's `--json` shape: [`Verification::to_flat_value`] plus
    /// `"attestations": [{attestation_id, key, trusted, signature_valid,
    /// binding_matches, ok, detail}, ...]`.
    pub fn to_flat_value(&self) -> Value {
        let mut m = match self.verification.to_flat_value() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        m.insert("attestations", Value::Array(self.attestations.iter().map(AttestationVerdict::to_value).collect()));
        Value::Object(m)
    }
}

/// Verify an audit package as [`verify_package`] does and, in addition, require that at
/// least `threshold` distinct trusted keys (a `threshold` of 0 counts as 1) signed valid
/// attestations over the binding digest recomputed from this package: the strict check
/// `attestation_trust`. The unsigned-package advisory is replaced by one `attestation`
/// advisory per document. Weak or non-canonical trusted keys never count. `Err` only when
/// the value cannot be read as a package at all. Never panics.
pub fn verify_package_with_trust(
    value: &Value,
    opts: &VerifyOptions,
    attestations: &[Value],
    trusted_keys: &[[u8; 32]],
    threshold: usize,
) -> Result<TrustedVerification, ShapeError> {
    let mut verification = verify_package(value, opts)?;
    let binding = ParsedPackage::parse(value)?.recompute_binding_digest().to_prefixed();
    let threshold = threshold.max(1);
    let verdicts: Vec<AttestationVerdict> =
        attestations.iter().map(|a| judge_attestation(a, &binding, trusted_keys)).collect();

    let mut counted: Vec<[u8; 32]> = Vec::new();
    for k in verdicts.iter().filter(|v| v.ok).filter_map(|v| v.trusted_key) {
        if !counted.contains(&k) {
            counted.push(k);
        }
    }
    let n = counted.len();
    let elsewhere: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.trusted && v.signature_valid && !v.binding_matches)
        .filter_map(|v| v.attested_digest.as_deref())
        .collect();
    let plural = |k: usize, one: &'static str, many: &'static str| if k == 1 { one } else { many };
    let detail = if n >= threshold {
        format!(
            "{n} of {threshold} required trusted attestation{} verif{} over binding digest {binding}",
            plural(threshold, "", "s"),
            plural(threshold, "ies", "y")
        )
    } else if n == 0 {
        let mut d = format!("no trusted attestation covers binding digest {binding}");
        if let Some(first) = elsewhere.first() {
            let k = elsewhere.len();
            d.push_str(&format!(
                " (the package may have been re-sealed: {k} trusted attestation{} cover{} {first} instead)",
                plural(k, "", "s"),
                plural(k, "s", "")
            ));
        } else if attestations.is_empty() {
            d.push_str(": no attestation was given");
        } else if trusted_keys.is_empty() {
            d.push_str(": no trusted key was given");
        } else {
            let k = attestations.len();
            d.push_str(&format!(
                ": none of the {k} attestation{} given is a valid signature by a trusted key over it",
                plural(k, "", "s")
            ));
        }
        d
    } else {
        format!("{n} of {threshold} required trusted attestations verify over binding digest {binding} (distinct trusted keys)")
    };
    let to_i64 = |x: usize| i64::try_from(x).unwrap_or(i64::MAX);
    verification.deep.checks.push(Check {
        name: CHECK_ATTESTATION_TRUST,
        ok: n >= threshold,
        expected: Some(Value::int(to_i64(threshold))),
        actual: Some(Value::int(to_i64(n))),
        detail: Some(detail),
    });
    verification.advisories.retain(|c| c.name != ADVISORY_ATTESTATION);
    if verdicts.is_empty() {
        verification.advisories.push(Check {
            name: ADVISORY_ATTESTATION,
            ok: false,
            expected: None,
            actual: None,
            detail: Some("no attestation was given".to_owned()),
        });
    }
    for v in &verdicts {
        verification.advisories.push(Check {
            name: ADVISORY_ATTESTATION,
            ok: v.ok,
            expected: None,
            actual: v.key.as_deref().map(Value::str),
            detail: Some(format!("{}: {}", v.attestation_id.as_deref().unwrap_or("(unreadable)"), v.detail)),
        });
    }
    Ok(TrustedVerification { verification, attestations: verdicts })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "a4945b44a174a07448b436fac9fcda1346a13dd0736dfc539bd25d5b0798c987";

    #[test]
    fn keys_parse_strictly() {
        assert!(parse_public_key(PUBLIC).is_ok());
        assert!(parse_public_key(&PUBLIC.to_uppercase()).is_ok());
        assert_eq!(parse_public_key("abcd"), Err(KeyError::Length));
        assert_eq!(parse_public_key("zz"), Err(KeyError::NotHex));
        assert!(public_key_from_text(&format!(" {PUBLIC}\n")).is_ok());
        assert!(public_key_from_text(&format!("{{\"public_key\": \"{PUBLIC}\"}}")).is_ok());
        assert_eq!(public_key_from_text("{\"key\": 1}"), Err(KeyError::NoPublicKey));
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(parse_public_key(&hex_encode(&identity)), Err(KeyError::Weak));
        let mut forged = [0u8; 64];
        forged[0] = 1;
        assert!(!verify_strict(&identity, b"anything", &forged));
    }

    #[test]
    fn unreadable_documents_get_a_failing_verdict() {
        let v = judge_attestation(&Value::Null, "sha256:00", &[]);
        assert!(!v.ok && !v.signature_valid);
        assert!(v.detail.starts_with("not an attestation"), "{}", v.detail);
    }
}
