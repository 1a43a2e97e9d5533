//! Keys derived from a family seed, account ids, classic addresses, signing and
//! signature verification (spec `attestation.md` §8.8 "Keys and accounts").

use std::fmt;

use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::elliptic_curve::PrimeField;
use k256::{ProjectivePoint, Scalar};

use crate::base58;
use crate::error::Error;
use crate::hash::{account_id_of, hex_upper, sha512_half};
use crate::seed::{KeyType, Seed};

/// Bound on the derivation loops (each step succeeds with probability ≈ 1 − 2⁻¹²⁸).
const MAX_DERIVATION_TRIES: u32 = 1 << 16;

/// A 20-byte account id; its text form is the classic address (`r…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub [u8; 20]);

impl AccountId {
    /// Decode a classic address (`00` ‖ account id, base58check).
    pub fn from_address(address: &str) -> Result<AccountId, Error> {
        let bad = || Error::Address(address.chars().take(64).collect());
        let payload = base58::decode_check(address).map_err(|_| bad())?;
        match payload.split_first() {
            Some((0, rest)) => Ok(AccountId(rest.try_into().map_err(|_| bad())?)),
            _ => Err(bad()),
        }
    }

    /// The classic address.
    pub fn to_address(&self) -> String {
        let mut payload = Vec::with_capacity(21);
        payload.push(0);
        payload.extend_from_slice(&self.0);
        base58::encode_check(&payload)
    }

    /// RIPEMD-160(SHA-256(`public_key`)).
    pub fn of_public_key(public_key: &[u8]) -> AccountId {
        AccountId(account_id_of(public_key))
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_address())
    }
}

enum Secret {
    Ed25519(ed25519_dalek::SigningKey),
    Secp256k1(k256::ecdsa::SigningKey),
}

/// A key pair derived from a [`Seed`]. `Debug` shows only the public key.
pub struct Keypair {
    secret: Secret,
    // INVARIANT (public matches secret): the 33-byte `SigningPubKey` of `secret`
    // (`ED` ‖ 32 bytes, or a compressed secp256k1 point); set only by `from_seed`.
    public: [u8; 33],
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keypair").field("public_key", &self.public_key_hex()).finish_non_exhaustive()
    }
}

impl Keypair {
    /// Derive the key of `seed` as xrpl-py and rippled do: Ed25519 private key =
    /// SHA-512Half(entropy); secp256k1 = root key + intermediate key (family generator,
    /// account 0).
    pub fn from_seed(seed: &Seed) -> Result<Keypair, Error> {
        match seed.key_type() {
            KeyType::Ed25519 => {
                let key = ed25519_dalek::SigningKey::from_bytes(&sha512_half(&[seed.entropy()]));
                let mut public = [0u8; 33];
                public[0] = 0xED;
                public[1..].copy_from_slice(key.verifying_key().as_bytes());
                // Upholds INVARIANT (public matches secret).
                Ok(Keypair { secret: Secret::Ed25519(key), public })
            }
            KeyType::Secp256k1 => {
                let root = first_scalar(|i| sha512_half(&[seed.entropy(), &i.to_be_bytes()]))?;
                let root_public = compressed(&root);
                let intermediate =
                    first_scalar(|i| sha512_half(&[&root_public, &0u32.to_be_bytes(), &i.to_be_bytes()]))?;
                let account = root + intermediate;
                let key = k256::ecdsa::SigningKey::from_bytes(&account.to_repr()).map_err(|_| Error::KeyDerivation)?;
                let public = compressed(&account);
                // Upholds INVARIANT (public matches secret).
                Ok(Keypair { secret: Secret::Secp256k1(key), public })
            }
        }
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        match self.secret {
            Secret::Ed25519(_) => KeyType::Ed25519,
            Secret::Secp256k1(_) => KeyType::Secp256k1,
        }
    }

    /// The 33-byte `SigningPubKey`.
    pub fn public_key(&self) -> &[u8; 33] {
        &self.public
    }

    /// The `SigningPubKey` as upper-case hex (also the receipts' `key_id`).
    pub fn public_key_hex(&self) -> String {
        hex_upper(&self.public)
    }

    /// The account id of the public key.
    pub fn account_id(&self) -> AccountId {
        AccountId::of_public_key(&self.public)
    }

    /// Sign XRPL signing data: Ed25519 signs the bytes themselves; secp256k1 signs
    /// SHA-512Half of them (RFC 6979 nonce with HMAC-SHA-256, low S, DER).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        match &self.secret {
            Secret::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                Ok(key.sign(message).to_bytes().to_vec())
            }
            Secret::Secp256k1(key) => {
                let sig: k256::ecdsa::Signature =
                    key.sign_prehash(&sha512_half(&[message])).map_err(|_| Error::Signature)?;
                let sig = sig.normalize_s().unwrap_or(sig);
                Ok(sig.to_der().as_bytes().to_vec())
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn private_key_hex(&self) -> String {
        match &self.secret {
            Secret::Ed25519(k) => hex_upper(k.as_bytes()),
            Secret::Secp256k1(k) => hex_upper(&k.to_bytes()),
        }
    }
}

/// Whether `signature` by the XRPL `public_key` (33 bytes, `ED…` or compressed
/// secp256k1) verifies over `message` (the signing data). Ed25519 uses strict
/// verification; secp256k1 requires a DER signature with low S (as the network does).
/// Never panics.
pub fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    match public_key {
        [0xED, rest @ ..] => {
            let Ok(bytes) = <[u8; 32]>::try_from(rest) else { return false };
            let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&bytes) else { return false };
            let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else { return false };
            key.verify_strict(message, &sig).is_ok()
        }
        _ => {
            let Ok(key) = k256::ecdsa::VerifyingKey::from_sec1_bytes(public_key) else { return false };
            let Ok(sig) = k256::ecdsa::Signature::from_der(signature) else { return false };
            if sig.normalize_s().is_some() {
                return false; // high S: not canonical
            }
            key.verify_prehash(&sha512_half(&[message]), &sig).is_ok()
        }
    }
}

fn first_scalar(candidate: impl Fn(u32) -> [u8; 32]) -> Result<Scalar, Error> {
    for i in 0..MAX_DERIVATION_TRIES {
        let s: Option<Scalar> = Scalar::from_repr(candidate(i).into()).into();
        if let Some(s) = s.filter(|s| !bool::from(s.is_zero())) {
            return Ok(s);
        }
    }
    Err(Error::KeyDerivation)
}

fn compressed(scalar: &Scalar) -> [u8; 33] {
    let point = (ProjectivePoint::GENERATOR * scalar).to_affine().to_encoded_point(true);
    let mut out = [0u8; 33];
    if let Ok(b) = <[u8; 33]>::try_from(point.as_bytes()) {
        out = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ka1_genesis_secp256k1() {
        let k = Keypair::from_seed(&Seed::parse("snoPBrXtMeMyMHUVTgbuqAfg1SUTb").unwrap()).unwrap();
        assert_eq!(k.public_key_hex(), "0330E7FC9D56BB25D6893BA3F317AE5BCF33B3291BD63DB32654A313222F7FD020");
        assert_eq!(k.private_key_hex(), "1ACAAEDECE405B2A958212629E16F2EB46B153EEE94CDD350FDEFF52795525B7");
        assert_eq!(hex_upper(&k.account_id().0), "B5F762798A53D543A014CAF8B297CFF8F2F937E8");
        assert_eq!(k.account_id().to_address(), "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh");
        assert!(format!("{k:?}").contains("0330E7FC"));
        assert!(!format!("{k:?}").contains("1ACAAEDE"));
    }

    #[test]
    fn ka2_ed25519_and_secp256k1_from_fixed_entropy() {
        let e: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
        let k = Keypair::from_seed(&Seed::from_entropy(e, KeyType::Ed25519)).unwrap();
        assert_eq!(k.private_key_hex(), "B4C4E046826BD26190D09715FC31F4E6A728204EADD112905B08B14B7F15C4F3");
        assert_eq!(k.public_key_hex(), "ED01FA53FA5A7E77798F882ECE20B1ABC00BB358A9E55A202D0D0676BD0CE37A63");
        assert_eq!(hex_upper(&k.account_id().0), "D28B177E48D9A8D057E70F7E464B498367281B98");
        assert_eq!(k.account_id().to_address(), "rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD");
        let s = Keypair::from_seed(&Seed::parse("sp5fghtJtpUorTwvof1NpDXAzNwf5").unwrap()).unwrap();
        assert_eq!(s.public_key_hex(), "030D58EB48B4420B1F7B9DF55087E0E29FEF0E8468F9A6825B01CA2C361042D435");
        assert_eq!(s.account_id().to_address(), "rU6K7V3Po4snVhBBaU29sesqs2qTQJWDw1");
    }

    #[test]
    fn ka5_address_check_values() {
        assert_eq!(AccountId([0; 20]).to_address(), "rrrrrrrrrrrrrrrrrrrrrhoLvTp");
        let mut one = [0u8; 20];
        one[19] = 1;
        assert_eq!(AccountId(one).to_address(), "rrrrrrrrrrrrrrrrrrrrBZbvji");
        assert_eq!(AccountId::from_address("rrrrrrrrrrrrrrrrrrrrBZbvji").unwrap(), AccountId(one));
        assert!(AccountId::from_address("sp5fghtJtpUorTwvof1NpDXAzNwf5").is_err());
    }

    #[test]
    fn signatures_verify_and_tampering_fails() {
        for seed in ["snoPBrXtMeMyMHUVTgbuqAfg1SUTb", "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r"] {
            let k = Keypair::from_seed(&Seed::parse(seed).unwrap()).unwrap();
            let sig = k.sign(b"STX\0hello").unwrap();
            assert!(verify(k.public_key(), b"STX\0hello", &sig));
            assert!(!verify(k.public_key(), b"STX\0hellp", &sig));
            assert!(!verify(&[0xED; 3], b"x", &sig));
        }
    }
}
