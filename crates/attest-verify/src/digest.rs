//! SHA-256 digest values and their two spellings: raw lower-case hex and `sha256:<hex>`.

use std::fmt;

use crate::sha256::sha256;

/// The prefix of the prefixed digest form.
pub const PREFIX: &str = "sha256:";

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

/// Why a digest string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestError {
    /// Not 64 characters of hex after the optional prefix.
    Length(usize),
    /// A character that is not lower-case hex (upper case is refused).
    NotLowerHex,
    /// The `sha256:` prefix was required and is missing.
    MissingPrefix,
}

impl DigestError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            DigestError::Length(_) => "DIGEST_LENGTH",
            DigestError::NotLowerHex => "DIGEST_NOT_LOWER_HEX",
            DigestError::MissingPrefix => "DIGEST_MISSING_PREFIX",
        }
    }
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestError::Length(n) => write!(f, "digest must be 64 hex characters, got {n}"),
            DigestError::NotLowerHex => f.write_str("digest must be lower-case hex"),
            DigestError::MissingPrefix => f.write_str("digest must start with `sha256:`"),
        }
    }
}

impl std::error::Error for DigestError {}

impl Digest {
    /// Wrap 32 raw bytes.
    pub const fn from_bytes(b: [u8; 32]) -> Digest {
        Digest(b)
    }

    /// SHA-256 of `data`.
    pub fn of(data: &[u8]) -> Digest {
        Digest(sha256(data))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lower-case hex characters.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xF)]));
        }
        s
    }

    /// `sha256:` followed by the hex.
    pub fn to_prefixed(&self) -> String {
        let mut s = String::with_capacity(71);
        s.push_str(PREFIX);
        s.push_str(&self.to_hex());
        s
    }

    /// Parse exactly 64 lower-case hex characters (no prefix).
    pub fn parse_hex(s: &str) -> Result<Digest, DigestError> {
        if s.len() != 64 {
            return Err(DigestError::Length(s.chars().count()));
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
            let (hi, lo) = match pair {
                [h, l] => (nibble(*h)?, nibble(*l)?),
                _ => return Err(DigestError::Length(s.len())),
            };
            *slot = (hi << 4) | lo;
        }
        Ok(Digest(out))
    }

    /// Parse `sha256:` + 64 lower-case hex.
    pub fn parse_prefixed(s: &str) -> Result<Digest, DigestError> {
        match s.strip_prefix(PREFIX) {
            Some(hex) => Digest::parse_hex(hex),
            None => Err(DigestError::MissingPrefix),
        }
    }

    /// Parse either form.
    pub fn parse_any(s: &str) -> Result<Digest, DigestError> {
        Digest::parse_hex(s.strip_prefix(PREFIX).unwrap_or(s))
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn nibble(c: u8) -> Result<u8, DigestError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(DigestError::NotLowerHex),
    }
}

/// Remove one leading `sha256:` (exact, lower case) when present, as the reference's
/// comparisons do.
pub fn strip_prefix(s: &str) -> &str {
    s.strip_prefix(PREFIX).unwrap_or(s)
}

/// Whether `s` is `sha256:` + 64 lower-case hex.
pub fn is_prefixed_digest(s: &str) -> bool {
    Digest::parse_prefixed(s).is_ok()
}

/// Whether `s` is exactly 64 lower-case hex.
pub fn is_hex_digest(s: &str) -> bool {
    Digest::parse_hex(s).is_ok()
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl std::str::FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Digest, DigestError> {
        Digest::parse_any(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let d = Digest::of(b"abc");
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(d.to_hex(), hex);
        assert_eq!(d.to_prefixed(), format!("sha256:{hex}"));
        assert_eq!(Digest::parse_hex(hex).unwrap(), d);
        assert_eq!(Digest::parse_prefixed(&d.to_prefixed()).unwrap(), d);
        assert_eq!(Digest::parse_any(hex).unwrap(), d);
        assert_eq!(Digest::parse_hex(&hex.to_uppercase()), Err(DigestError::NotLowerHex));
        assert_eq!(Digest::parse_prefixed(hex), Err(DigestError::MissingPrefix));
        assert_eq!(Digest::parse_hex("ab"), Err(DigestError::Length(2)));
        assert!(Digest::parse_hex("é".repeat(32).as_str()).is_err());
        assert_eq!(strip_prefix("sha256:x"), "x");
        assert_eq!(strip_prefix("SHA256:x"), "SHA256:x");
    }
}
