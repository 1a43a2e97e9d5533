//! The hashes XRPL uses: SHA-512Half, SHA-256, and the account id
//! RIPEMD-160(SHA-256(public key)); plus the hex helpers.

use ripemd::Ripemd160;
use sha2::{Digest as _, Sha256, Sha512};

use crate::error::Error;

/// The first 32 bytes of SHA-512 over the concatenation of `parts`.
pub fn sha512_half(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    let full = h.finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&full[..32]);
    out
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// RIPEMD-160(SHA-256(`public_key`)): the account id of a signing public key.
pub(crate) fn account_id_of(public_key: &[u8]) -> [u8; 20] {
    Ripemd160::digest(sha256(public_key)).into()
}

/// Upper-case hex, as XRPL writes blobs and hashes.
pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Decode hex of either case; `what` names the field in the error.
pub(crate) fn hex_decode(text: &str, what: &str) -> Result<Vec<u8>, Error> {
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
        return Err(Error::Hex(what.to_owned()));
    }
    bytes
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => match (nibble(*hi), nibble(*lo)) {
                (Some(h), Some(l)) => Ok(h << 4 | l),
                _ => Err(Error::Hex(what.to_owned())),
            },
            _ => Err(Error::Hex(what.to_owned())),
        })
        .collect()
}
