//! Hex text: lower-case encoding and strict decoding (either case, no whitespace, even
//! length), shared with attest-verify (one implementation), plus fixed-size decoding.

pub(crate) use attest_verify::attestation::{hex_decode as decode, hex_encode as encode};

/// Exactly `N` bytes of hex text (`2 * N` characters).
pub(crate) fn decode_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    decode(text)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        assert_eq!(encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(decode("00ABff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(decode("0"), None);
        assert_eq!(decode("0g"), None);
        assert_eq!(decode("00 ab"), None);
        assert_eq!(decode_array::<2>("abcd"), Some([0xab, 0xcd]));
        assert_eq!(decode_array::<2>("abcdef"), None);
    }
}
