//! The XRPL binary codec for the fields a witness transaction uses (spec
//! `attestation.md` §8.8 "Binary codec"): field headers, canonical order, UInt16/32,
//! Hash256, XRP Amount, Blob, AccountID (VL-encoded), STObject and STArray, plus the
//! decoder the tests' fake rippled uses and the JSON form of a decoded transaction.

use std::collections::BTreeMap;

use attest_verify::json::{Map, Value};

use crate::error::Error;
use crate::hash::{hex_decode, hex_upper};
use crate::keys::AccountId;

/// Most drops an XRP amount can hold (100 billion XRP).
pub const MAX_DROPS: u64 = 100_000_000_000_000_000;
const MAX_DEPTH: usize = 4;
/// Longest blob a length prefix can describe.
const MAX_VL: usize = 918_744;

const UINT16: u8 = 1;
const UINT32: u8 = 2;
const HASH256: u8 = 5;
const AMOUNT: u8 = 6;
const BLOB: u8 = 7;
const ACCOUNT: u8 = 8;
const OBJECT: u8 = 14;
const ARRAY: u8 = 15;

macro_rules! fields {
    ($($(#[$doc:meta])* $name:ident = ($ty:expr, $code:expr)),* $(,)?) => {
        /// The fields this codec knows. `Ord` is the canonical order: (type code, field code).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Field { $($(#[$doc])* $name),* }

        impl Field {
            /// All known fields.
            pub const ALL: &'static [Field] = &[$(Field::$name),*];

            /// `(type code, field code)`.
            pub fn codes(self) -> (u8, u8) {
                match self { $(Field::$name => ($ty, $code)),* }
            }

            /// The JSON name.
            pub fn name(self) -> &'static str {
                match self { $(Field::$name => stringify!($name)),* }
            }
        }
    };
}

fields! {
    /// UInt16: the transaction type code.
    TransactionType = (UINT16, 2),
    /// UInt32: the network id (only on networks above 1024).
    NetworkID = (UINT32, 1),
    /// UInt32: transaction flags.
    Flags = (UINT32, 2),
    /// UInt32: source tag.
    SourceTag = (UINT32, 3),
    /// UInt32: account sequence.
    Sequence = (UINT32, 4),
    /// UInt32: destination tag.
    DestinationTag = (UINT32, 14),
    /// UInt32: the last ledger the transaction may be in.
    LastLedgerSequence = (UINT32, 27),
    /// Hash256: the account's previous transaction id.
    AccountTxnID = (HASH256, 9),
    /// Amount: the amount a Payment delivers.
    Amount = (AMOUNT, 1),
    /// Amount: the fee.
    Fee = (AMOUNT, 8),
    /// Blob: the signing public key.
    SigningPubKey = (BLOB, 3),
    /// Blob: the signature (not a signing field).
    TxnSignature = (BLOB, 4),
    /// Blob: memo type.
    MemoType = (BLOB, 12),
    /// Blob: memo data.
    MemoData = (BLOB, 13),
    /// Blob: memo format.
    MemoFormat = (BLOB, 14),
    /// AccountID: the sending account.
    Account = (ACCOUNT, 1),
    /// AccountID: the destination.
    Destination = (ACCOUNT, 3),
    /// STObject: one memo (an element of `Memos`).
    Memo = (OBJECT, 10),
    /// STArray: the memos.
    Memos = (ARRAY, 9),
}

impl Field {
    /// The field with these codes.
    pub fn from_codes(type_code: u8, field_code: u8) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.codes() == (type_code, field_code))
    }

    /// The field with this JSON name.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Whether the field is covered by a single signature (everything but `TxnSignature`).
    pub fn is_signing(self) -> bool {
        self != Field::TxnSignature
    }
}

impl PartialOrd for Field {
    fn partial_cmp(&self, other: &Field) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Field {
    fn cmp(&self, other: &Field) -> std::cmp::Ordering {
        self.codes().cmp(&other.codes())
    }
}

/// A field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// UInt16 (big-endian).
    UInt16(u16),
    /// UInt32 (big-endian).
    UInt32(u32),
    /// 32 bytes.
    Hash256([u8; 32]),
    /// An XRP amount in drops (at most [`MAX_DROPS`]).
    Drops(u64),
    /// Length-prefixed bytes.
    Blob(Vec<u8>),
    /// A VL-encoded 20-byte account id.
    Account(AccountId),
    /// An inner object, ended by `E1`.
    Object(StObject),
    /// Elements, each a wrapper field (e.g. `Memo`) and its object; ended by `F1`.
    Array(Vec<(Field, StObject)>),
}

/// An object: fields kept in canonical order, at most one value per field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StObject {
    fields: BTreeMap<Field, FieldValue>,
}

/// Transaction type codes this crate names.
const TX_TYPES: &[(u16, &str)] = &[(0, "Payment"), (3, "AccountSet")];

impl StObject {
    /// An empty object.
    pub fn new() -> StObject {
        StObject::default()
    }

    /// Set `field` (replacing any value). The value's kind must match the field's type,
    /// amounts must be at most [`MAX_DROPS`].
    pub fn set(&mut self, field: Field, value: FieldValue) -> Result<(), Error> {
        let ok = matches!(
            (field.codes().0, &value),
            (UINT16, FieldValue::UInt16(_))
                | (UINT32, FieldValue::UInt32(_))
                | (HASH256, FieldValue::Hash256(_))
                | (BLOB, FieldValue::Blob(_))
                | (ACCOUNT, FieldValue::Account(_))
                | (OBJECT, FieldValue::Object(_))
                | (ARRAY, FieldValue::Array(_))
        ) || matches!((field.codes().0, &value), (AMOUNT, FieldValue::Drops(d)) if *d <= MAX_DROPS);
        let fits = !matches!(&value, FieldValue::Blob(b) if b.len() > MAX_VL);
        if !ok || !fits {
            return Err(Error::Tx(format!("wrong value for `{}`", field.name())));
        }
        self.fields.insert(field, value);
        Ok(())
    }

    /// The value of `field`.
    pub fn get(&self, field: Field) -> Option<&FieldValue> {
        self.fields.get(&field)
    }

    /// Remove `field`.
    pub fn remove(&mut self, field: Field) -> Option<FieldValue> {
        self.fields.remove(&field)
    }

    /// Fields in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = (Field, &FieldValue)> {
        self.fields.iter().map(|(f, v)| (*f, v))
    }

    /// The serialization of every field, in canonical order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out, false);
        out
    }

    /// The serialization of the signing fields (everything but `TxnSignature`).
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out, true);
        out
    }

    /// Decode a whole serialized object (a transaction blob). Fields must be known,
    /// unique and in canonical order; nothing may follow. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<StObject, Error> {
        let mut r = Reader { bytes, pos: 0 };
        let obj = read_object(&mut r, false, 0)?;
        if r.pos != bytes.len() {
            return Err(Error::Decode("trailing bytes".into()));
        }
        Ok(obj)
    }

    /// The JSON form, as xrpl-py's `decode` writes it: keys in canonical order,
    /// `TransactionType` by name, amounts as decimal drops strings, blobs and hashes as
    /// upper-case hex, accounts as classic addresses, arrays as `[{"Memo": {...}}]`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::with_capacity(self.fields.len());
        for (field, value) in self.iter() {
            let v = match value {
                FieldValue::UInt16(n) if field == Field::TransactionType => {
                    match TX_TYPES.iter().find(|(c, _)| c == n) {
                        Some((_, name)) => Value::str(*name),
                        None => Value::int(i64::from(*n)),
                    }
                }
                FieldValue::UInt16(n) => Value::int(i64::from(*n)),
                FieldValue::UInt32(n) => Value::int(i64::from(*n)),
                FieldValue::Hash256(h) => Value::String(hex_upper(h)),
                FieldValue::Drops(d) => Value::String(d.to_string()),
                FieldValue::Blob(b) => Value::String(hex_upper(b)),
                FieldValue::Account(a) => Value::String(a.to_address()),
                FieldValue::Object(o) => o.to_json(),
                FieldValue::Array(items) => Value::Array(
                    items
                        .iter()
                        .map(|(f, o)| {
                            let mut w = Map::with_capacity(1);
                            w.insert(f.name(), o.to_json());
                            Value::Object(w)
                        })
                        .collect(),
                ),
            };
            m.insert(field.name(), v);
        }
        Value::Object(m)
    }

    /// Read the JSON form (the inverse of [`StObject::to_json`]; hex of either case,
    /// UInt fields as integers, `TransactionType` by name or code). Unknown fields are
    /// refused.
    pub fn from_json(value: &Value) -> Result<StObject, Error> {
        from_json(value, 0)
    }

    fn write(&self, out: &mut Vec<u8>, signing: bool) {
        for (field, value) in self.iter() {
            if signing && !field.is_signing() {
                continue;
            }
            write_header(out, field);
            match value {
                FieldValue::UInt16(n) => out.extend_from_slice(&n.to_be_bytes()),
                FieldValue::UInt32(n) => out.extend_from_slice(&n.to_be_bytes()),
                FieldValue::Hash256(h) => out.extend_from_slice(h),
                FieldValue::Drops(d) => out.extend_from_slice(&(d | 0x4000_0000_0000_0000).to_be_bytes()),
                FieldValue::Blob(b) => write_vl(out, b),
                FieldValue::Account(a) => write_vl(out, &a.0),
                FieldValue::Object(o) => {
                    o.write(out, signing);
                    out.push(0xE1);
                }
                FieldValue::Array(items) => {
                    for (f, o) in items {
                        write_header(out, *f);
                        o.write(out, signing);
                        out.push(0xE1);
                    }
                    out.push(0xF1);
                }
            }
        }
    }
}

/// Write a field header (spec §8.8: one to three bytes by the size of the codes).
fn write_header(out: &mut Vec<u8>, field: Field) {
    let (t, f) = field.codes();
    match (t < 16, f < 16) {
        (true, true) => out.push(t << 4 | f),
        (true, false) => out.extend_from_slice(&[t << 4, f]),
        (false, true) => out.extend_from_slice(&[f, t]),
        (false, false) => out.extend_from_slice(&[0, t, f]),
    }
}

/// Length prefix: 1 byte up to 192, 2 bytes up to 12480, 3 bytes up to 918744 (the
/// most [`StObject::set`] accepts).
fn write_vl(out: &mut Vec<u8>, data: &[u8]) {
    let n = data.len();
    if n <= 192 {
        out.push(n as u8);
    } else if n <= 12_480 {
        let m = n - 193;
        out.extend_from_slice(&[193 + (m >> 8) as u8, (m & 0xFF) as u8]);
    } else {
        let m = n.saturating_sub(12_481);
        out.extend_from_slice(&[241 + (m >> 16) as u8, ((m >> 8) & 0xFF) as u8, (m & 0xFF) as u8]);
    }
    out.extend_from_slice(data);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, Error> {
        let b = self.bytes.get(self.pos).copied().ok_or_else(|| Error::Decode("unexpected end".into()))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Error> {
        let end = self.pos.checked_add(n).ok_or_else(|| Error::Decode("length overflow".into()))?;
        let s = self.bytes.get(self.pos..end).ok_or_else(|| Error::Decode("unexpected end".into()))?;
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        self.take(N)?.try_into().map_err(|_| Error::Decode("unexpected end".into()))
    }

    fn header(&mut self) -> Result<(u8, u8), Error> {
        let b = self.byte()?;
        let (mut t, mut f) = (b >> 4, b & 15);
        if t == 0 {
            t = self.byte()?;
        }
        if f == 0 {
            f = self.byte()?;
        }
        Ok((t, f))
    }

    fn vl(&mut self) -> Result<usize, Error> {
        let b1 = usize::from(self.byte()?);
        let n = match b1 {
            0..=192 => b1,
            193..=240 => 193 + (b1 - 193) * 256 + usize::from(self.byte()?),
            241..=254 => {
                let b2 = usize::from(self.byte()?);
                let b3 = usize::from(self.byte()?);
                12_481 + (b1 - 241) * 65_536 + b2 * 256 + b3
            }
            _ => return Err(Error::Decode("invalid length prefix".into())),
        };
        Ok(n)
    }
}

fn read_object(r: &mut Reader<'_>, inner: bool, depth: usize) -> Result<StObject, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::Decode("nested too deeply".into()));
    }
    let mut obj = StObject::new();
    let mut last: Option<Field> = None;
    loop {
        if !inner && r.pos == r.bytes.len() {
            return Ok(obj);
        }
        let (t, f) = r.header()?;
        if inner && (t, f) == (OBJECT, 1) {
            return Ok(obj);
        }
        let field = Field::from_codes(t, f).ok_or_else(|| Error::Decode(format!("unknown field ({t}, {f})")))?;
        if last.is_some_and(|l| l >= field) {
            return Err(Error::Decode(format!("`{}` out of canonical order or repeated", field.name())));
        }
        last = Some(field);
        let value = match t {
            UINT16 => FieldValue::UInt16(u16::from_be_bytes(r.array()?)),
            UINT32 => FieldValue::UInt32(u32::from_be_bytes(r.array()?)),
            HASH256 => FieldValue::Hash256(r.array()?),
            AMOUNT => {
                let raw = u64::from_be_bytes(r.array()?);
                if raw & 0x8000_0000_0000_0000 != 0 {
                    return Err(Error::Decode("only XRP amounts are supported".into()));
                }
                if raw & 0x4000_0000_0000_0000 == 0 {
                    return Err(Error::Decode("negative XRP amount".into()));
                }
                let drops = raw & 0x3FFF_FFFF_FFFF_FFFF;
                if drops > MAX_DROPS {
                    return Err(Error::Decode("XRP amount too large".into()));
                }
                FieldValue::Drops(drops)
            }
            BLOB => {
                let n = r.vl()?;
                FieldValue::Blob(r.take(n)?.to_vec())
            }
            ACCOUNT => {
                if r.vl()? != 20 {
                    return Err(Error::Decode("account id is not 20 bytes".into()));
                }
                FieldValue::Account(AccountId(r.array()?))
            }
            OBJECT => FieldValue::Object(read_object(r, true, depth + 1)?),
            _ => {
                let mut items = Vec::new();
                loop {
                    let (et, ef) = r.header()?;
                    if (et, ef) == (ARRAY, 1) {
                        break;
                    }
                    let wrapper = Field::from_codes(et, ef)
                        .filter(|w| w.codes().0 == OBJECT)
                        .ok_or_else(|| Error::Decode(format!("array element ({et}, {ef}) is not an object")))?;
                    items.push((wrapper, read_object(r, true, depth + 1)?));
                }
                FieldValue::Array(items)
            }
        };
        obj.set(field, value)?;
    }
}

fn from_json(value: &Value, depth: usize) -> Result<StObject, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::Tx("nested too deeply".into()));
    }
    let m = value.as_object().ok_or_else(|| Error::Tx("not an object".into()))?;
    let mut obj = StObject::new();
    for (name, v) in m.iter() {
        let field = Field::from_name(name).ok_or_else(|| Error::Tx(format!("unsupported field `{name}`")))?;
        let bad = || Error::Tx(format!("invalid value for `{name}`"));
        let uint = |v: &Value| v.as_i64().ok_or_else(bad);
        let fv = match field.codes().0 {
            UINT16 => match (field, v) {
                (Field::TransactionType, Value::String(s)) => {
                    FieldValue::UInt16(TX_TYPES.iter().find(|(_, n)| n == s).map(|(c, _)| *c).ok_or_else(bad)?)
                }
                _ => FieldValue::UInt16(u16::try_from(uint(v)?).map_err(|_| bad())?),
            },
            UINT32 => FieldValue::UInt32(u32::try_from(uint(v)?).map_err(|_| bad())?),
            HASH256 => {
                let b = hex_decode(v.as_str().ok_or_else(bad)?, name)?;
                FieldValue::Hash256(b.try_into().map_err(|_| bad())?)
            }
            AMOUNT => FieldValue::Drops(parse_drops(v.as_str().ok_or_else(bad)?).ok_or_else(bad)?),
            BLOB => FieldValue::Blob(hex_decode(v.as_str().ok_or_else(bad)?, name)?),
            ACCOUNT => FieldValue::Account(AccountId::from_address(v.as_str().ok_or_else(bad)?)?),
            OBJECT => FieldValue::Object(from_json(v, depth + 1)?),
            _ => {
                let mut items = Vec::new();
                for item in v.as_array().ok_or_else(bad)? {
                    let w = item.as_object().filter(|w| w.len() == 1).ok_or_else(bad)?;
                    let Some((wname, inner)) = w.iter().next() else { return Err(bad()) };
                    let wrapper = Field::from_name(wname).filter(|f| f.codes().0 == OBJECT).ok_or_else(bad)?;
                    items.push((wrapper, from_json(inner, depth + 1)?));
                }
                FieldValue::Array(items)
            }
        };
        obj.set(field, fv)?;
    }
    Ok(obj)
}

/// A drops string: ASCII digits only, no sign, no leading zero (except `"0"`), at most
/// [`MAX_DROPS`].
pub fn parse_drops(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse::<u64>().ok().filter(|d| *d <= MAX_DROPS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let mut out = Vec::new();
        for f in [Field::TransactionType, Field::LastLedgerSequence, Field::Memos, Field::Memo, Field::MemoData] {
            write_header(&mut out, f);
        }
        assert_eq!(out, [0x12, 0x20, 0x1B, 0xF9, 0xEA, 0x7D]);
        let mut r = Reader { bytes: &[0x20, 0x1B], pos: 0 };
        assert_eq!(r.header().unwrap(), (2, 27));
    }

    #[test]
    fn vl_lengths_round_trip() {
        for n in [0usize, 192, 193, 215, 12_480, 12_481, 20_000] {
            let mut out = Vec::new();
            write_vl(&mut out, &vec![7u8; n]);
            let mut r = Reader { bytes: &out, pos: 0 };
            assert_eq!(r.vl().unwrap(), n, "{n}");
        }
        let mut out = Vec::new();
        write_vl(&mut out, &[0u8; 215]);
        assert_eq!(&out[..2], &[0xC1, 0x16]);
    }

    #[test]
    fn drops() {
        assert_eq!(parse_drops("12"), Some(12));
        assert_eq!(parse_drops("0"), Some(0));
        for bad in ["", "01", "-1", "+1", "1.0", "100000000000000001"] {
            assert_eq!(parse_drops(bad), None, "{bad}");
        }
    }

    #[test]
    fn refuses_bad_blobs() {
        for blob in [
            &[0x12][..],
            &[0x12, 0, 3, 0x12, 0, 3],
            &[0x22, 0, 0, 0, 0, 0x12, 0, 0],
            &[0x61, 0x80, 0, 0, 0, 0, 0, 0, 1],
        ] {
            assert!(StObject::from_bytes(blob).is_err(), "{blob:?}");
        }
    }
}
