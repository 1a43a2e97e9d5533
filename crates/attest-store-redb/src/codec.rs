//! The bytes of every key and value: order-preserving keys, length-prefixed values, and a
//! reader that turns any malformed byte string into [`StoreError::Corrupt`] (never a panic).
//!
//! All tables are `&[u8] -> &[u8]`, so redb itself never decodes our data: its own typed
//! decoders (`&str`, integers) assume well-formed bytes, ours check them.

use attest_events::{Actor, Event, Value};
use attest_store::{StoreError, TemplateRecord};
use attest_verify::json::DEFAULT_MAX_DEPTH;

/// Descending by order key, then ascending by insertion counter: the 16-byte suffix of the
/// order and label index keys. An ascending scan lists newest first, ties oldest first.
pub(crate) fn order_suffix(order: i64, inserted: u64) -> [u8; 16] {
    // Flipping the sign bit maps i64 onto u64 monotonically; `!` then reverses the order.
    let desc = !((order as u64) ^ (1 << 63));
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&desc.to_be_bytes());
    out[8..].copy_from_slice(&inserted.to_be_bytes());
    out
}

/// A length-prefixed string: no encoded string is a prefix of another, so
/// `prefixed(a) ++ x` and `prefixed(b) ++ y` share a prefix only when `a == b`.
pub(crate) fn prefixed(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 5 + 16);
    put_varint(&mut out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
    out
}

/// The key of event `seq` of log `owner` (a decision id or a template name).
pub(crate) fn event_key(owner: &str, seq: u64) -> Vec<u8> {
    let mut k = prefixed(owner);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The first and last possible event keys of log `owner`.
pub(crate) fn event_range(owner: &str) -> (Vec<u8>, Vec<u8>) {
    (event_key(owner, 0), event_key(owner, u64::MAX))
}

/// The seq of an event key (its last 8 bytes, big-endian).
pub(crate) fn event_key_seq(key: &[u8]) -> Result<u64, StoreError> {
    key.len()
        .checked_sub(8)
        .and_then(|start| key.get(start..))
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| corrupt("event key shorter than 8 bytes"))
}

/// The key of record `key` in `namespace`: keys of one namespace share the prefix and
/// sort by the bytes of `key`.
pub(crate) fn record_key(namespace: &str, key: &str) -> Vec<u8> {
    let mut k = prefixed(namespace);
    k.extend_from_slice(key.as_bytes());
    k
}

/// The key of log entry `seq` of record `namespace`/`key`.
pub(crate) fn record_log_key(namespace: &str, key: &str, seq: u64) -> Vec<u8> {
    let mut k = prefixed(namespace);
    k.extend_from_slice(&prefixed(key));
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// A record value: the version (8 bytes, little-endian), then the JSON text.
pub(crate) fn encode_record(version: u64, text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + text.len());
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out
}

/// The version and value of a stored record.
pub(crate) fn decode_record(bytes: &[u8]) -> Result<(u64, Value), StoreError> {
    let version = bytes
        .get(..8)
        .map(|b| meta_u64(b, "record version"))
        .ok_or_else(|| corrupt("record shorter than 8 bytes"))??;
    let text = bytes.get(8..).and_then(|b| std::str::from_utf8(b).ok()).ok_or_else(|| corrupt("record is not text"))?;
    Ok((version, parse_record_json(text)?))
}

/// A stored JSON text of a record or log entry.
pub(crate) fn parse_record_json(text: &str) -> Result<Value, StoreError> {
    attest_verify::json::parse(text).map_err(|e| StoreError::Corrupt(format!("stored record is not json: {e}")))
}

/// The JSON text a record value is stored as (display form, ASCII).
pub(crate) fn record_text(value: &Value) -> Result<String, StoreError> {
    let mut buf = Vec::with_capacity(128);
    attest_verify::canonical::write_display(value, None, true, &mut buf);
    String::from_utf8(buf).map_err(|_| StoreError::InvalidInput("record value is not text".to_owned()))
}

/// The key of a label index entry.
pub(crate) fn label_key(label: &str, order: i64, inserted: u64) -> Vec<u8> {
    let mut k = prefixed(label);
    k.extend_from_slice(&order_suffix(order, inserted));
    k
}

/// The first and last possible label index keys of `label`.
pub(crate) fn label_range(label: &str) -> (Vec<u8>, Vec<u8>) {
    let mut lo = prefixed(label);
    let mut hi = lo.clone();
    lo.extend_from_slice(&[0u8; 16]);
    hi.extend_from_slice(&[0xFFu8; 16]);
    (lo, hi)
}

/// A `u64` as stored in the metadata table (8 bytes, little-endian).
pub(crate) fn meta_u64(bytes: &[u8], what: &str) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_le_bytes)
        .map_err(|_| corrupt(&format!("metadata `{what}` is not 8 bytes")))
}

/// A decision header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecisionRow {
    pub(crate) created_at: String,
    pub(crate) order: i64,
    pub(crate) inserted: u64,
    /// Whether the log holds a `DECISION_CREATED` event (its labels are then fixed).
    pub(crate) has_created: bool,
    pub(crate) labels: Vec<String>,
}

impl DecisionRow {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(self.created_at.len() + 32);
        w.str(&self.created_at).i64(self.order).u64(self.inserted).bool(self.has_created).strs(&self.labels);
        w.0
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<DecisionRow, StoreError> {
        let mut r = Reader::new(bytes, "decision header");
        let row = DecisionRow {
            created_at: r.string()?,
            order: r.i64()?,
            inserted: r.u64()?,
            has_created: r.bool()?,
            labels: r.strings()?,
        };
        r.finish()?;
        Ok(row)
    }
}

/// The value of a decision order or label index entry: the id and `created_at`, so a
/// listing never visits the header table.
pub(crate) fn encode_listing(decision_id: &str, created_at: &str) -> Vec<u8> {
    let mut w = Writer::with_capacity(decision_id.len() + created_at.len() + 4);
    w.str(decision_id).str(created_at);
    w.0
}

/// See [`encode_listing`].
pub(crate) fn decode_listing(bytes: &[u8]) -> Result<(String, String), StoreError> {
    let mut r = Reader::new(bytes, "decision index entry");
    let out = (r.string()?, r.string()?);
    r.finish()?;
    Ok(out)
}

/// The value of a template index entry: the name.
pub(crate) fn decode_name(bytes: &[u8]) -> Result<String, StoreError> {
    std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| corrupt("template index entry is not UTF-8"))
}

/// An event row. `payload` is the JSON text made by [`payload_text`].
pub(crate) fn encode_event(e: &Event, payload: &str) -> Vec<u8> {
    let mut w = Writer::with_capacity(
        e.event_type.len() + e.ts.len() + e.actor.kind.len() + e.actor.id.len() + payload.len() + e.digest.len() + 12,
    );
    w.str(&e.event_type).str(&e.ts).str(&e.actor.kind).str(&e.actor.id).str(payload).str(&e.digest);
    w.0
}

/// An event row back into an event of log `owner` at `seq`.
pub(crate) fn decode_event(owner: &str, seq: u64, bytes: &[u8]) -> Result<Event, StoreError> {
    let mut r = Reader::new(bytes, "event");
    let event_type = r.string()?;
    let ts = r.string()?;
    let kind = r.string()?;
    let id = r.string()?;
    let payload = r.str()?;
    let payload = attest_verify::json::parse(payload)
        .map_err(|e| corrupt(&format!("payload of event {seq} of `{owner}` is not JSON: {e}")))?;
    let digest = r.string()?;
    r.finish()?;
    Ok(Event {
        decision_id: owner.to_owned(),
        seq,
        event_type,
        ts,
        actor: Actor::from_stored(kind, id),
        payload,
        digest,
    })
}

/// A template row: the record plus its order key and insertion counter.
pub(crate) fn encode_template(t: &TemplateRecord, order: i64, inserted: u64) -> Vec<u8> {
    let mut w = Writer::with_capacity(t.description.len() + t.created_at.len() + t.digest.len() + 128);
    w.str(&t.description)
        .i64(t.min_approvals)
        .strs(&t.allowed_modes)
        .strs(&t.require_adapter_capabilities)
        .opt_i64(t.max_steps)
        .strs(&t.labels)
        .str(&t.created_at)
        .str(&t.created_by.kind)
        .str(&t.created_by.id)
        .str(&t.digest)
        .i64(order)
        .u64(inserted);
    w.0
}

/// A template row back into the record named `name`.
pub(crate) fn decode_template(name: &str, bytes: &[u8]) -> Result<TemplateRecord, StoreError> {
    let mut r = Reader::new(bytes, "template");
    let t = TemplateRecord {
        name: name.to_owned(),
        description: r.string()?,
        min_approvals: r.i64()?,
        allowed_modes: r.strings()?,
        require_adapter_capabilities: r.strings()?,
        max_steps: r.opt_i64()?,
        labels: r.strings()?,
        created_at: r.string()?,
        created_by: {
            let kind = r.string()?;
            Actor::from_stored(kind, r.string()?)
        },
        digest: r.string()?,
    };
    let _order = r.i64()?;
    let _inserted = r.u64()?;
    r.finish()?;
    Ok(t)
}

/// The stored JSON text of a payload: key order as held, integers and floats as written,
/// non-ASCII escaped. Refuses what [`attest_verify::json::parse`] could not read back: a
/// non-finite float or nesting deeper than its limit.
pub(crate) fn payload_text(owner: &str, seq: u64, payload: &Value) -> Result<String, StoreError> {
    if let Some(problem) = unreadable(payload, 1) {
        return Err(StoreError::InvalidInput(format!(
            "payload of event {seq} of `{owner}` cannot be stored: {problem}"
        )));
    }
    let mut buf = Vec::with_capacity(128);
    attest_verify::canonical::write_display(payload, None, true, &mut buf);
    // The display writer with `ascii = true` emits ASCII only.
    String::from_utf8(buf)
        .map_err(|_| StoreError::InvalidInput(format!("payload of event {seq} of `{owner}` is not text")))
}

fn unreadable(v: &Value, depth: usize) -> Option<&'static str> {
    match v {
        Value::Array(_) | Value::Object(_) if depth > DEFAULT_MAX_DEPTH => Some("it nests too deeply"),
        Value::Array(items) => items.iter().find_map(|i| unreadable(i, depth + 1)),
        Value::Object(m) => m.iter().find_map(|(_, i)| unreadable(i, depth + 1)),
        Value::Number(n) if n.as_f64().is_some_and(|f| !f.is_finite()) => Some("it holds NaN or an infinity"),
        _ => None,
    }
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Writer(Vec<u8>);

impl Writer {
    fn with_capacity(n: usize) -> Writer {
        Writer(Vec::with_capacity(n))
    }

    fn str(&mut self, s: &str) -> &mut Writer {
        put_varint(&mut self.0, s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    fn strs(&mut self, v: &[String]) -> &mut Writer {
        put_varint(&mut self.0, v.len() as u64);
        for s in v {
            self.str(s);
        }
        self
    }

    fn u64(&mut self, v: u64) -> &mut Writer {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn i64(&mut self, v: i64) -> &mut Writer {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn opt_i64(&mut self, v: Option<i64>) -> &mut Writer {
        match v {
            Some(v) => {
                self.0.push(1);
                self.i64(v)
            }
            None => {
                self.0.push(0);
                self
            }
        }
    }

    fn bool(&mut self, v: bool) -> &mut Writer {
        self.0.push(u8::from(v));
        self
    }
}

struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { rest: bytes, what }
    }

    fn err(&self, problem: &str) -> StoreError {
        corrupt(&format!("{} record: {problem}", self.what))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if n > self.rest.len() {
            return Err(self.err("truncated"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn varint(&mut self) -> Result<u64, StoreError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let [b] = self.take(1)? else { return Err(self.err("truncated")) };
            v |= u64::from(b & 0x7F).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err("length too long"))
    }

    fn len(&mut self) -> Result<usize, StoreError> {
        let n = self.varint()?;
        usize::try_from(n).ok().filter(|&n| n <= self.rest.len()).ok_or_else(|| self.err("length past the end"))
    }

    fn str(&mut self) -> Result<&'a str, StoreError> {
        let n = self.len()?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes).map_err(|_| self.err("text is not UTF-8"))
    }

    fn string(&mut self) -> Result<String, StoreError> {
        self.str().map(str::to_owned)
    }

    fn strings(&mut self) -> Result<Vec<String>, StoreError> {
        // Each string takes at least one byte, which bounds the allocation.
        let n = self.len()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.string()?);
        }
        Ok(out)
    }

    fn fixed(&mut self) -> Result<[u8; 8], StoreError> {
        let b = self.take(8)?;
        <[u8; 8]>::try_from(b).map_err(|_| self.err("truncated"))
    }

    fn u64(&mut self) -> Result<u64, StoreError> {
        self.fixed().map(u64::from_le_bytes)
    }

    fn i64(&mut self) -> Result<i64, StoreError> {
        self.fixed().map(i64::from_le_bytes)
    }

    fn opt_i64(&mut self) -> Result<Option<i64>, StoreError> {
        match self.take(1)? {
            [0] => Ok(None),
            [1] => self.i64().map(Some),
            _ => Err(self.err("bad option tag")),
        }
    }

    fn bool(&mut self) -> Result<bool, StoreError> {
        match self.take(1)? {
            [0] => Ok(false),
            [1] => Ok(true),
            _ => Err(self.err("bad boolean")),
        }
    }

    fn finish(&self) -> Result<(), StoreError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.err("trailing bytes"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_suffix_sorts_newest_first_then_oldest_insert() {
        let mut keys = [(5, 1), (i64::MIN, 0), (5, 0), (i64::MAX, 9), (-3, 2), (0, 0)]
            .map(|(o, i)| (order_suffix(o, i), (o, i)))
            .to_vec();
        keys.sort();
        let got: Vec<(i64, u64)> = keys.into_iter().map(|k| k.1).collect();
        assert_eq!(got, [(i64::MAX, 9), (5, 0), (5, 1), (0, 0), (-3, 2), (i64::MIN, 0)]);
    }

    #[test]
    fn prefixes_do_not_collide() {
        let (lo, hi) = event_range("ab");
        for other in ["a", "abc", "", "b"] {
            let k = event_key(other, 3);
            assert!(k < lo || k > hi, "{other}");
        }
        assert!(event_key("ab", 0) >= lo && event_key("ab", u64::MAX) <= hi);
        assert_eq!(event_key_seq(&event_key("x\0y", 42)).unwrap(), 42);
        let (lo, hi) = label_range("l");
        assert!(label_key("l", i64::MIN, u64::MAX) <= hi && label_key("l", i64::MAX, 0) >= lo);
        assert!(label_key("l2", 0, 0) > hi);
    }

    #[test]
    fn rows_round_trip() {
        let row = DecisionRow {
            created_at: "2026-01-01T00:00:00+00:00".into(),
            order: -7,
            inserted: 3,
            has_created: true,
            labels: vec!["a".into(), String::new(), "é".into()],
        };
        assert_eq!(DecisionRow::decode(&row.encode()).unwrap(), row);
        assert_eq!(decode_listing(&encode_listing("d", "t")).unwrap(), ("d".to_owned(), "t".to_owned()));
        let long = "x".repeat(300);
        assert_eq!(decode_listing(&encode_listing(&long, "")).unwrap().0, long);
    }

    #[test]
    fn malformed_bytes_are_corrupt_not_panics() {
        let row =
            DecisionRow { created_at: "t".into(), order: 1, inserted: 2, has_created: false, labels: vec!["l".into()] };
        let bytes = row.encode();
        for cut in 0..bytes.len() {
            assert_eq!(DecisionRow::decode(&bytes[..cut]).unwrap_err().code(), "STORE_CORRUPT");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(DecisionRow::decode(&extra).is_err());
        assert!(DecisionRow::decode(&[0xFF; 12]).is_err());
        assert!(decode_event("d", 0, &[0x05, b'a']).is_err());
        assert!(decode_event("d", 0, &[0x01, 0xFF, 0, 0, 0, 0, 0]).is_err());
        assert!(event_key_seq(&[1, 2]).is_err());
        assert!(meta_u64(&[1, 2], "x").is_err());
    }

    #[test]
    fn payload_text_keeps_order_and_refuses_unreadable() {
        let v =
            attest_verify::json::parse(r#"{"z": 1, "a": [1.0, 5, 123456789012345678901234567890], "é": "ü"}"#).unwrap();
        let text = payload_text("d", 0, &v).unwrap();
        assert!(text.is_ascii());
        assert_eq!(attest_verify::json::parse(&text).unwrap(), v);
        assert!(text.starts_with(r#"{"z""#));
        let nan = Value::Array(vec![Value::Number(attest_verify::json::Number::from_f64(f64::NAN))]);
        assert_eq!(payload_text("d", 0, &nan).unwrap_err().code(), "INVALID_INPUT");
        let mut deep = Value::Null;
        for _ in 0..=DEFAULT_MAX_DEPTH {
            deep = Value::Array(vec![deep]);
        }
        assert!(payload_text("d", 0, &deep).is_err());
    }
}
