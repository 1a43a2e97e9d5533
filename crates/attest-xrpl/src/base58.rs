//! XRPL base58check: the alphabet `rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz`
//! (leading zero bytes become `r`), checksum = first 4 bytes of SHA-256(SHA-256(payload)).

use crate::error::Error;
use crate::hash::sha256;

/// The XRPL base58 alphabet.
pub const ALPHABET: &[u8; 58] = b"rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz";

/// Longest text [`decode_check`] accepts (addresses are ≤ 35, seeds ≤ 31 characters).
const MAX_TEXT: usize = 128;

/// Base58 of `payload` followed by its 4-byte checksum.
pub fn encode_check(payload: &[u8]) -> String {
    let check = sha256(&sha256(payload));
    let mut data = payload.to_vec();
    data.extend_from_slice(&check[..4]);
    encode(&data)
}

/// Decode base58check text and return the payload (checksum removed and verified).
/// Never panics; refuses text longer than 128 characters.
pub fn decode_check(text: &str) -> Result<Vec<u8>, Error> {
    let mut data = decode(text)?;
    if data.len() < 4 {
        return Err(Error::Base58("too short".into()));
    }
    let split = data.len() - 4;
    let check = data.split_off(split);
    if sha256(&sha256(&data))[..4] != check[..] {
        return Err(Error::Checksum);
    }
    Ok(data)
}

fn encode(data: &[u8]) -> String {
    let zeros = data.iter().take_while(|b| **b == 0).count();
    // Base-58 digits, least significant first.
    let mut digits: Vec<u8> = Vec::with_capacity(data.len() * 138 / 100 + 1);
    for &byte in data.iter().skip(zeros) {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut s = String::with_capacity(zeros + digits.len());
    for _ in 0..zeros {
        s.push(char::from(ALPHABET[0]));
    }
    for d in digits.iter().rev() {
        s.push(char::from(ALPHABET[usize::from(*d)]));
    }
    s
}

fn decode(text: &str) -> Result<Vec<u8>, Error> {
    if text.len() > MAX_TEXT {
        return Err(Error::Base58("too long".into()));
    }
    let zeros = text.bytes().take_while(|c| *c == ALPHABET[0]).count();
    // Bytes, least significant first.
    let mut bytes: Vec<u8> = Vec::with_capacity(text.len());
    for c in text.bytes().skip(zeros) {
        let Some(value) = ALPHABET.iter().position(|a| *a == c) else {
            return Err(Error::Base58("character outside the XRPL alphabet".into()));
        };
        let mut carry = value as u32;
        for b in bytes.iter_mut() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xFF) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.push((carry & 0xFF) as u8);
            carry >>= 8;
        }
    }
    let mut out = vec![0u8; zeros];
    out.extend(bytes.iter().rev());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses() {
        for payload in [&[][..], &[0], &[0, 0, 1], &[255; 25]] {
            assert_eq!(decode_check(&encode_check(payload)).unwrap(), payload);
        }
        assert_eq!(decode_check("0OIl").unwrap_err().code(), "XRPL_BASE58");
        let mut t = encode_check(b"abc");
        t.push('r');
        assert!(decode_check(&t).is_err());
        assert!(decode_check(&"r".repeat(200)).is_err());
        assert!(decode_check("").is_err());
    }
}
