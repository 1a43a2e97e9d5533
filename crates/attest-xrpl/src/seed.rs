//! Family seeds: 16 bytes of entropy, written `s…` (secp256k1 family seed, prefix `21`)
//! or `sEd…` (Ed25519 seed, prefix `01 E1 4B`).

use std::fmt;

use crate::base58;
use crate::error::Error;

const SECP256K1_PREFIX: &[u8] = &[0x21];
const ED25519_PREFIX: &[u8] = &[0x01, 0xE1, 0x4B];

/// The signature algorithm of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// Ed25519 (RFC 8032); `SigningPubKey` is `ED` + 32 bytes.
    Ed25519,
    /// ECDSA over secp256k1 with deterministic (RFC 6979), low-S, DER signatures.
    Secp256k1,
}

impl KeyType {
    /// `ed25519` or `secp256k1`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Ed25519 => "ed25519",
            KeyType::Secp256k1 => "secp256k1",
        }
    }

    /// Parse `ed25519` / `secp256k1`.
    pub fn parse(text: &str) -> Option<KeyType> {
        match text {
            "ed25519" => Some(KeyType::Ed25519),
            "secp256k1" => Some(KeyType::Secp256k1),
            _ => None,
        }
    }
}

/// A family seed: secret entropy plus the key type it derives.
///
/// `Debug` prints `Seed(<redacted>)`; there is no `Display`. The only way to get the
/// secret back as text is [`Seed::to_base58`].
#[derive(Clone, PartialEq, Eq)]
pub struct Seed {
    entropy: [u8; 16],
    key_type: KeyType,
    // Whether the text form fixed the key type (`sEd…`); a plain `s…` family seed may
    // derive either key type, as rippled allows.
    typed: bool,
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<redacted>)")
    }
}

impl Seed {
    /// A seed from raw entropy.
    pub fn from_entropy(entropy: [u8; 16], key_type: KeyType) -> Seed {
        Seed { entropy, key_type, typed: key_type == KeyType::Ed25519 }
    }

    /// Parse a family seed (`s…` → secp256k1, `sEd…` → Ed25519). Surrounding
    /// whitespace (a trailing newline in a seed file) is ignored. Errors never echo the
    /// text.
    pub fn parse(text: &str) -> Result<Seed, Error> {
        let payload = base58::decode_check(text.trim()).map_err(|e| match e {
            Error::Checksum => Error::Seed("checksum mismatch"),
            _ => Error::Seed("not base58"),
        })?;
        let (key_type, entropy) = if let Some(rest) = payload.strip_prefix(ED25519_PREFIX) {
            (KeyType::Ed25519, rest)
        } else if let Some(rest) = payload.strip_prefix(SECP256K1_PREFIX) {
            (KeyType::Secp256k1, rest)
        } else {
            return Err(Error::Seed("unknown prefix"));
        };
        let entropy: [u8; 16] = entropy.try_into().map_err(|_| Error::Seed("entropy is not 16 bytes"))?;
        Ok(Seed { entropy, key_type, typed: key_type == KeyType::Ed25519 })
    }

    /// The same entropy deriving `key_type`. A plain `s…` family seed may derive either
    /// type (rippled's `key_type` parameter); an `sEd…` seed only Ed25519.
    pub fn with_key_type(self, key_type: KeyType) -> Result<Seed, Error> {
        if self.typed && key_type != self.key_type {
            return Err(Error::Seed("an sEd seed derives only ed25519 keys"));
        }
        Ok(Seed { key_type, ..self })
    }

    /// The key type this seed derives.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The secret seed text (`sEd…` for Ed25519, `s…` for secp256k1). Secret: never log it.
    pub fn to_base58(&self) -> String {
        let prefix = match self.key_type {
            KeyType::Ed25519 => ED25519_PREFIX,
            KeyType::Secp256k1 => SECP256K1_PREFIX,
        };
        let mut payload = prefix.to_vec();
        payload.extend_from_slice(&self.entropy);
        base58::encode_check(&payload)
    }

    pub(crate) fn entropy(&self) -> &[u8; 16] {
        &self.entropy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ka2_seed_texts_and_redaction() {
        let e: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
        let ed = Seed::from_entropy(e, KeyType::Ed25519);
        assert_eq!(ed.to_base58(), "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r");
        let k = Seed::from_entropy(e, KeyType::Secp256k1);
        assert_eq!(k.to_base58(), "sp5fghtJtpUorTwvof1NpDXAzNwf5");
        assert_eq!(Seed::parse("sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r\n").unwrap(), ed);
        assert_eq!(Seed::parse("sp5fghtJtpUorTwvof1NpDXAzNwf5").unwrap().key_type(), KeyType::Secp256k1);
        assert_eq!(format!("{ed:?}"), "Seed(<redacted>)");
        assert!(ed.clone().with_key_type(KeyType::Secp256k1).is_err());
        assert!(k.with_key_type(KeyType::Ed25519).is_ok());
        let err = Seed::parse("sp5fghtJtpUorTwvof1NpDXAzNwf6").unwrap_err();
        assert!(!err.to_string().contains("sp5f"));
        assert!(Seed::parse("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh").is_err());
    }
}
