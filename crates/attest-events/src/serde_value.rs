//! Serde support for the exact JSON model of `attest-verify` (key order kept, integers
//! and floats distinct), for fields that are kept whole (payloads, snapshots).
//!
//! Use with `#[serde(with = "crate::serde_value")]` (or `serde_value::map` for objects).

use std::fmt;

use attest_verify::json::{Map, Number, Value};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserializer, Serializer};

/// Serialize a [`Value`]. Integers beyond the `i128` range are written as their decimal
/// text (a string), the only lossy case.
pub fn serialize<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Value::Null => s.serialize_unit(),
        Value::Bool(b) => s.serialize_bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                s.serialize_i64(i)
            } else if let Some(f) = n.as_f64() {
                s.serialize_f64(f)
            } else {
                let text = n.to_string();
                match text.parse::<i128>() {
                    Ok(i) => s.serialize_i128(i),
                    Err(_) => s.serialize_str(&text),
                }
            }
        }
        Value::String(x) => s.serialize_str(x),
        Value::Array(items) => {
            let mut seq = s.serialize_seq(Some(items.len()))?;
            for i in items {
                seq.serialize_element(&Ser(i))?;
            }
            seq.end()
        }
        Value::Object(m) => serialize_map(m, s),
    }
}

fn serialize_map<S: Serializer>(m: &Map, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(m.len()))?;
    for (k, v) in m.iter() {
        map.serialize_entry(k, &Ser(v))?;
    }
    map.end()
}

struct Ser<'a>(&'a Value);

impl serde::Serialize for Ser<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(self.0, s)
    }
}

/// Deserialize a [`Value`] (key order as read, last duplicate wins).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    d.deserialize_any(ValueVisitor)
}

/// The key under which serde_json's `arbitrary_precision` feature passes number text.
const ARBITRARY_PRECISION_KEY: &str = "$serde_json::private::Number";

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::int(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Number(Number::from_integer_text(&u.to_string()).unwrap_or_else(|| Number::from_i64(0))))
    }
    fn visit_i128<E: de::Error>(self, i: i128) -> Result<Value, E> {
        Ok(Value::Number(Number::from_integer_text(&i.to_string()).unwrap_or_else(|| Number::from_i64(0))))
    }
    fn visit_u128<E: de::Error>(self, u: u128) -> Result<Value, E> {
        Ok(Value::Number(Number::from_integer_text(&u.to_string()).unwrap_or_else(|| Number::from_i64(0))))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        if f.is_finite() {
            Ok(Value::Number(Number::from_f64(f)))
        } else {
            Err(E::custom("out of range float values are not json compliant"))
        }
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::str(s))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Seed)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if k == ARBITRARY_PRECISION_KEY && out.is_empty() {
                // serde_json with `arbitrary_precision` hands numbers over as their text.
                let text: String = map.next_value()?;
                return match attest_verify::json::parse(&text) {
                    Ok(v @ Value::Number(_)) => Ok(v),
                    _ => Err(de::Error::custom(format!("invalid number `{text}`"))),
                };
            }
            let v = map.next_value_seed(Seed)?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

struct Seed;

impl<'de> de::DeserializeSeed<'de> for Seed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        deserialize(d)
    }
}

/// The same for fields of type [`Map`].
pub mod map {
    use super::*;

    /// Serialize a [`Map`].
    pub fn serialize<S: Serializer>(m: &Map, s: S) -> Result<S::Ok, S::Error> {
        serialize_map(m, s)
    }

    /// Deserialize a [`Map`]; anything but an object is an error.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        match super::deserialize(d)? {
            Value::Object(m) => Ok(m),
            other => Err(de::Error::custom(format!("expected an object, found {}", other.type_name()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use attest_verify::json::{parse, Value};

    #[derive(serde::Serialize, serde::Deserialize)]
    struct W(#[serde(with = "crate::serde_value")] Value);

    #[test]
    fn round_trip_through_serde_json() {
        let v = parse(r#"{"b":1,"a":[1.0,null,true,"é",{"z":18446744073709551615}]}"#).unwrap();
        let text = serde_json::to_string(&W(v.clone())).unwrap();
        assert_eq!(text, r#"{"b":1,"a":[1.0,null,true,"é",{"z":18446744073709551615}]}"#);
        let back: W = serde_json::from_str(&text).unwrap();
        assert_eq!(back.0, v);
    }
}
