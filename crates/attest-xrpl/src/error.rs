//! The crate's error type with stable codes.

/// Any error of this crate. Messages never contain seed or key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Text that is not XRPL base58 (bad character, too long, too short).
    #[error("invalid base58 text: {0}")]
    Base58(String),
    /// A base58 payload whose 4-byte checksum does not match.
    #[error("base58 checksum mismatch")]
    Checksum,
    /// Text that is not a family seed (`s…`, `sEd…`); the text itself is never echoed.
    #[error("not a family seed ({0})")]
    Seed(&'static str),
    /// Text that is not a classic address.
    #[error("not a classic address: `{0}`")]
    Address(String),
    /// Hex text that does not decode.
    #[error("invalid hex in `{0}`")]
    Hex(String),
    /// Key derivation found no valid scalar (practically impossible).
    #[error("key derivation failed")]
    KeyDerivation,
    /// A transaction that cannot be built or serialized.
    #[error("invalid transaction: {0}")]
    Tx(String),
    /// A transaction blob that does not decode.
    #[error("cannot decode transaction blob: {0}")]
    Decode(String),
    /// A signature that does not verify.
    #[error("signature does not verify")]
    Signature,
    /// A JSON-RPC exchange that failed or answered something unusable.
    #[error("json-rpc: {0}")]
    Rpc(String),
    /// An error from the witness model (planning, receipts).
    #[error(transparent)]
    Witness(#[from] attest_witness::XrplError),
}

impl Error {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Base58(_) => "XRPL_BASE58",
            Error::Checksum => "XRPL_CHECKSUM",
            Error::Seed(_) => "XRPL_SEED",
            Error::Address(_) => "XRPL_ADDRESS",
            Error::Hex(_) => "XRPL_HEX",
            Error::KeyDerivation => "XRPL_KEY_DERIVATION",
            Error::Tx(_) => "XRPL_TX",
            Error::Decode(_) => "XRPL_DECODE",
            Error::Signature => "XRPL_SIGNATURE",
            Error::Rpc(_) => "XRPL_RPC",
            Error::Witness(e) => e.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let all = [
            Error::Base58(String::new()),
            Error::Checksum,
            Error::Seed(""),
            Error::Address(String::new()),
            Error::Hex(String::new()),
            Error::KeyDerivation,
            Error::Tx(String::new()),
            Error::Decode(String::new()),
            Error::Signature,
            Error::Rpc(String::new()),
            Error::Witness(attest_witness::XrplError::AccountEmpty),
        ];
        let mut codes: Vec<&str> = all.iter().map(Error::code).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }
}
