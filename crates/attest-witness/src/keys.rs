//! Ed25519 keys: private seeds, public keys, their hex forms and the weak-key rules.

use std::fmt;

use ed25519_dalek::{Signer, Verifier};

use crate::error::KeyError;
use crate::hex;

/// An Ed25519 private key, held as its 32-byte seed (RFC 8032 secret key).
///
/// `Debug` never prints the seed.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// The key of a 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The key of a seed written as 64 hex characters (either case).
    pub fn from_seed_hex(text: &str) -> Result<SigningKey, KeyError> {
        if text.len() != 64 {
            return Err(if hex::decode(text).is_some() { KeyError::SeedLength } else { KeyError::NotHex });
        }
        hex::decode_array::<32>(text).map(|seed| SigningKey::from_seed(&seed)).ok_or(KeyError::NotHex)
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<SigningKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SigningKey::from_seed(&seed))
    }

    /// The 32-byte seed. Treat it as a secret.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// The public key as 64 lower-case hex characters (the `meta.public_key_hex` form).
    pub fn public_key_hex(&self) -> String {
        self.verifying_key().to_hex()
    }

    /// The deterministic RFC 8032 (pure Ed25519) signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("public_key", &self.public_key_hex()).finish_non_exhaustive()
    }
}

/// An Ed25519 public key.
///
/// [`VerifyingKey::from_bytes`] and [`VerifyingKey::from_hex`] accept only strong keys:
/// a canonical encoding of a point that is not of small order. The `*_reference`
/// constructors accept what the original accepts — any 32 bytes that decode to a point,
/// including the small-order points for which one forged signature verifies every
/// payload — so that its verdicts can be reproduced and reported.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// A strong public key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<VerifyingKey, KeyError> {
        let key = VerifyingKey::from_bytes_reference(bytes)?;
        if key.is_weak() {
            return Err(KeyError::Weak);
        }
        if !key.is_canonical() {
            return Err(KeyError::NonCanonical);
        }
        Ok(key)
    }

    /// A strong public key from 64 hex characters (either case; no whitespace).
    pub fn from_hex(text: &str) -> Result<VerifyingKey, KeyError> {
        VerifyingKey::from_bytes(&public_key_bytes(text)?)
    }

    /// Any public key the original accepts: 32 bytes that decode to a curve point, weak
    /// and non-canonical encodings included.
    pub fn from_bytes_reference(bytes: &[u8; 32]) -> Result<VerifyingKey, KeyError> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes).map(VerifyingKey).map_err(|_| KeyError::NotOnCurve)
    }

    /// [`VerifyingKey::from_bytes_reference`] of 64 hex characters.
    pub fn from_hex_reference(text: &str) -> Result<VerifyingKey, KeyError> {
        VerifyingKey::from_bytes_reference(&public_key_bytes(text)?)
    }

    /// The 32 bytes as given.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The 32 bytes as 64 lower-case hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// Whether the point has small order (the identity, the order-2, order-4 and
    /// order-8 points): such a key lets one forged signature verify many payloads.
    pub fn is_weak(&self) -> bool {
        self.0.is_weak()
    }

    /// Whether the bytes are the canonical encoding of the point.
    pub fn is_canonical(&self) -> bool {
        self.0.to_edwards().compress().to_bytes() == self.0.to_bytes()
    }

    /// Cofactorless verification as the original performs it (S < L required; weak keys
    /// and small-order R accepted).
    pub fn verify_reference(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        self.0.verify(message, &ed25519_dalek::Signature::from_bytes(signature)).is_ok()
    }

    /// Strict verification: additionally refuses weak keys and small-order R (the one
    /// implementation, [`attest_verify::attestation::verify_strict`], shared with the
    /// standalone verifier).
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        attest_verify::attestation::verify_strict(&self.to_bytes(), message, signature)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VerifyingKey").field(&self.to_hex()).finish()
    }
}

fn public_key_bytes(text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = hex::decode(text).ok_or(KeyError::NotHex)?;
    bytes.try_into().map_err(|_| KeyError::PublicKeyLength)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "05ddab7759264844c946d1ac76b6f0cf748d6e1908432c5494a5b0895fe6e0f5";
    const PUBLIC: &str = "a4945b44a174a07448b436fac9fcda1346a13dd0736dfc539bd25d5b0798c987";

    #[test]
    fn seed_to_public_key() {
        let key = SigningKey::from_seed_hex(SEED).unwrap();
        assert_eq!(key.public_key_hex(), PUBLIC);
        assert_eq!(hex::encode(&key.seed()), SEED);
        assert!(!format!("{key:?}").contains(SEED));
        assert_eq!(SigningKey::from_seed_hex("00").unwrap_err(), KeyError::SeedLength);
        assert_eq!(SigningKey::from_seed_hex(&"zz".repeat(32)).unwrap_err(), KeyError::NotHex);
    }

    #[test]
    fn public_key_parsing() {
        assert!(VerifyingKey::from_hex(&PUBLIC.to_uppercase()).is_ok());
        assert_eq!(VerifyingKey::from_hex("abcd").unwrap_err(), KeyError::PublicKeyLength);
        assert_eq!(KeyError::PublicKeyLength.to_string(), "An Ed25519 public key is 32 bytes long");
        assert_eq!(VerifyingKey::from_hex(&format!("{} ", &PUBLIC[..63])).unwrap_err(), KeyError::NotHex);
    }

    #[test]
    fn weak_keys_are_refused_strictly_and_forgeable_in_reference_mode() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(VerifyingKey::from_bytes(&identity).unwrap_err(), KeyError::Weak);
        let weak = VerifyingKey::from_bytes_reference(&identity).unwrap();
        assert!(weak.is_weak());
        // R = identity, S = 0 verifies every message under the identity key.
        let mut forged = [0u8; 64];
        forged[0] = 1;
        for msg in [&b"a"[..], b"any payload", b""] {
            assert!(weak.verify_reference(msg, &forged));
            assert!(!weak.verify_strict(msg, &forged));
        }
        // The order-2 point (0, -1).
        let mut order2 = [0xffu8; 32];
        order2[0] = 0xec;
        order2[31] = 0x7f;
        assert_eq!(VerifyingKey::from_bytes(&order2).unwrap_err(), KeyError::Weak);
        // y = p: a non-canonical encoding of a (small-order) point.
        let mut y_is_p = [0xffu8; 32];
        y_is_p[0] = 0xed;
        y_is_p[31] = 0x7f;
        if let Ok(k) = VerifyingKey::from_bytes_reference(&y_is_p) {
            assert!(!k.is_canonical() || k.is_weak());
            assert!(VerifyingKey::from_bytes(&y_is_p).is_err());
        }
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        let key = SigningKey::generate().unwrap();
        let sig = key.sign(b"message");
        let public = key.verifying_key();
        assert!(public.verify_strict(b"message", &sig));
        assert!(public.verify_reference(b"message", &sig));
        assert!(!public.verify_reference(b"messagf", &sig));
    }
}
