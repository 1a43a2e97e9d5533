//! The JSON value model and the RFC 8259 reader: exact integers, the integer/float
//! distinction, object key order as read, last duplicate key wins, a depth limit.

use std::collections::BTreeMap;
use std::fmt;

/// Default maximum nesting depth of arrays and objects accepted by [`parse`].
pub const DEFAULT_MAX_DEPTH: usize = 512;

/// A JSON value as the digests need it.
///
/// Objects keep their keys in the order they were first read (Python `dict` semantics),
/// numbers keep the integer/float distinction and integers keep every digit.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer of any size or a binary64 float.
    Number(Number),
    /// A string of Unicode scalar values (never a lone surrogate).
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object with unique keys in insertion order.
    Object(Map),
}

/// A JSON number: an integer with all its digits, or a binary64 float.
#[derive(Debug, Clone, PartialEq)]
pub struct Number(N);

#[derive(Debug, Clone, PartialEq)]
enum N {
    Int(i64),
    // INVARIANT (big int canonical): an optional `-` then ASCII digits without a leading
    // zero, never `-0`, and the value does not fit in an i64.
    Big(Box<str>),
    Float(f64),
}

impl Number {
    /// An integer number.
    pub fn from_i64(i: i64) -> Number {
        Number(N::Int(i))
    }

    /// A float number. Non-finite values can be held but are refused by the attest
    /// canonical writer (the router dialect writes them as `NaN`/`Infinity`).
    pub fn from_f64(f: f64) -> Number {
        Number(N::Float(f))
    }

    /// An integer from its decimal text (`-?[0-9]+`); `None` when the text is not an
    /// integer literal. Leading zeros are accepted and dropped; `-0` becomes `0`.
    pub fn from_integer_text(text: &str) -> Option<Number> {
        let (neg, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = digits.trim_start_matches('0');
        if trimmed.is_empty() {
            return Some(Number(N::Int(0)));
        }
        if trimmed.len() <= 18 {
            let mut v: i64 = 0;
            for b in trimmed.bytes() {
                v = v * 10 + i64::from(b - b'0');
            }
            return Some(Number(N::Int(if neg { -v } else { v })));
        }
        let mut s = String::with_capacity(trimmed.len() + 1);
        if neg {
            s.push('-');
        }
        s.push_str(trimmed);
        match s.parse::<i64>() {
            Ok(v) => Some(Number(N::Int(v))),
            Err(_) => Some(Number(N::Big(s.into_boxed_str()))),
        }
    }

    /// Whether this number was written without fraction and exponent.
    pub fn is_integer(&self) -> bool {
        !matches!(self.0, N::Float(_))
    }

    /// Whether this number is a float.
    pub fn is_float(&self) -> bool {
        matches!(self.0, N::Float(_))
    }

    /// The integer value when it is an integer that fits in an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            N::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The float value when it is a float.
    pub fn as_f64(&self) -> Option<f64> {
        match self.0 {
            N::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The value as a float, converting integers (big ones approximately).
    pub fn to_f64_lossy(&self) -> f64 {
        match &self.0 {
            N::Int(i) => *i as f64,
            N::Big(s) => s.parse::<f64>().unwrap_or(f64::NAN),
            N::Float(f) => *f,
        }
    }

    /// Whether the number is zero (integer `0`, `0.0` or `-0.0`): Python falsiness.
    pub fn is_zero(&self) -> bool {
        match self.0 {
            N::Int(i) => i == 0,
            N::Big(_) => false,
            N::Float(f) => f == 0.0,
        }
    }

    pub(crate) fn write_to(
        &self,
        out: &mut dyn crate::canonical::Sink,
        router: bool,
    ) -> Result<(), crate::canonical::CanonicalError> {
        match &self.0 {
            N::Int(i) => {
                let mut buf = [0u8; 20];
                out.put(format_i64(*i, &mut buf));
                Ok(())
            }
            N::Big(s) => {
                out.put(s.as_bytes());
                Ok(())
            }
            N::Float(f) => crate::canonical::write_float(*f, out, router),
        }
    }

    /// Python equality of two numbers (`1 == 1.0`); used where the original compares
    /// values with `==`.
    pub fn py_eq(&self, other: &Number) -> bool {
        match (&self.0, &other.0) {
            (N::Int(a), N::Int(b)) => a == b,
            (N::Big(a), N::Big(b)) => a == b,
            (N::Float(a), N::Float(b)) => a == b,
            (N::Int(a), N::Float(b)) | (N::Float(b), N::Int(a)) => {
                b.fract() == 0.0 && b.abs() < 9.3e18 && (*b as i64) == *a && (*a as f64) == *b
            }
            _ => false,
        }
    }
}

fn format_i64(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let neg = v < 0;
    let mut n = v.unsigned_abs();
    let mut pos = buf.len();
    loop {
        pos -= 1;
        if let Some(slot) = buf.get_mut(pos) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || pos == 0 {
            break;
        }
    }
    if neg && pos > 0 {
        pos -= 1;
        if let Some(slot) = buf.get_mut(pos) {
            *slot = b'-';
        }
    }
    buf.get(pos..).unwrap_or(&[])
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        match self.write_to(&mut out, false) {
            Ok(()) => f.write_str(&String::from_utf8_lossy(&out)),
            Err(_) => {
                let v = self.to_f64_lossy();
                if v.is_nan() {
                    f.write_str("NaN")
                } else if v > 0.0 {
                    f.write_str("Infinity")
                } else {
                    f.write_str("-Infinity")
                }
            }
        }
    }
}

/// A JSON object: unique keys in insertion order.
///
/// INVARIANT (unique keys): no two entries share a key. [`Map::insert`] replaces the value
/// of an existing key in place, which is what a Python `dict` does with a repeated key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map { entries: Vec::new() }
    }

    /// An empty object with room for `n` entries.
    pub fn with_capacity(n: usize) -> Map {
        Map { entries: Vec::with_capacity(n) }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the object has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// Insert `value` under `key`: an existing key keeps its position and gets the new
    /// value; a new key is appended. Returns the previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        if let Some(slot) = self.get_mut(&key) {
            return Some(std::mem::replace(slot, value));
        }
        self.entries.push((key, value));
        None
    }

    /// Remove `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let pos = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(pos).1)
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Entries sorted by key (code point order, which is UTF-8 byte order).
    pub fn sorted(&self) -> Vec<(&str, &Value)> {
        let mut v: Vec<(&str, &Value)> = self.iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// The entries in insertion order, as a slice.
    pub fn entries(&self) -> &[(String, Value)] {
        &self.entries
    }

    // Appends without the uniqueness check; the caller upholds INVARIANT (unique keys).
    fn push_unchecked(&mut self, key: String, value: Value) {
        self.entries.push((key, value));
    }

    fn entries_mut(&mut self) -> &mut Vec<(String, Value)> {
        &mut self.entries
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Map {
        let mut m = Map::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An integer value.
    pub fn int(i: i64) -> Value {
        Value::Number(Number::from_i64(i))
    }

    /// The string, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object, when this is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The array, when this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The boolean, when this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, when this is a number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The integer, when this is an integer (not a boolean, not a float) fitting an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The member `key` when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(key))
    }

    /// Python truthiness: `null`, `false`, zero, `""`, `[]` and `{}` are falsy.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => !n.is_zero(),
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Object(m) => !m.is_empty(),
        }
    }

    /// The JSON type name (`null`, `boolean`, `integer`, `float`, `string`, `array`,
    /// `object`), for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_integer() => "integer",
            Value::Number(_) => "float",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::int(i)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}
impl From<Vec<Value>> for Value {
    fn from(a: Vec<Value>) -> Value {
        Value::Array(a)
    }
}

/// Why JSON text could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The text is not valid UTF-8.
    InvalidUtf8,
    /// The text ended inside a value.
    UnexpectedEnd,
    /// A character that cannot start or continue a value here.
    UnexpectedChar(char),
    /// A string escape other than the nine JSON escapes.
    InvalidEscape,
    /// A raw control character (below U+0020) inside a string.
    ControlInString,
    /// A `\u` escape for a surrogate that is not part of a valid pair.
    LoneSurrogate,
    /// A number literal that is not valid JSON (leading zero, missing digits).
    InvalidNumber,
    /// A float literal outside the binary64 range (e.g. `1e400`).
    NumberOutOfRange,
    /// `NaN`, `Infinity` or `-Infinity`: not JSON, and refused by every digest.
    NonFiniteLiteral,
    /// Arrays and objects nested deeper than the limit.
    DepthLimit(usize),
    /// Something other than whitespace after the value.
    TrailingCharacters,
    /// A byte-order mark at the start of the text.
    ByteOrderMark,
}

/// A JSON reading error with the byte offset, line and column where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    kind: JsonErrorKind,
    offset: usize,
    line: usize,
    column: usize,
}

impl JsonError {
    /// What went wrong.
    pub fn kind(&self) -> &JsonErrorKind {
        &self.kind
    }

    /// Byte offset into the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// 1-based line.
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column (in bytes).
    pub fn column(&self) -> usize {
        self.column
    }

    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self.kind {
            JsonErrorKind::InvalidUtf8 => "JSON_INVALID_UTF8",
            JsonErrorKind::LoneSurrogate => "JSON_LONE_SURROGATE",
            JsonErrorKind::NumberOutOfRange => "JSON_NUMBER_OUT_OF_RANGE",
            JsonErrorKind::NonFiniteLiteral => "JSON_NON_FINITE",
            JsonErrorKind::DepthLimit(_) => "JSON_DEPTH_LIMIT",
            _ => "JSON_SYNTAX",
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            JsonErrorKind::InvalidUtf8 => f.write_str("input is not valid utf-8")?,
            JsonErrorKind::UnexpectedEnd => f.write_str("unexpected end of input")?,
            JsonErrorKind::UnexpectedChar(c) => write!(f, "unexpected character `{}`", c.escape_debug())?,
            JsonErrorKind::InvalidEscape => f.write_str("invalid string escape")?,
            JsonErrorKind::ControlInString => f.write_str("raw control character in string")?,
            JsonErrorKind::LoneSurrogate => {
                f.write_str("lone surrogate in string escape (not a unicode scalar value)")?
            }
            JsonErrorKind::InvalidNumber => f.write_str("invalid number literal")?,
            JsonErrorKind::NumberOutOfRange => {
                f.write_str("float literal out of range (out of range float values are not json compliant)")?
            }
            JsonErrorKind::NonFiniteLiteral => {
                f.write_str("nan and infinity are not json (out of range float values are not json compliant)")?
            }
            JsonErrorKind::DepthLimit(d) => write!(f, "nesting deeper than {d} levels")?,
            JsonErrorKind::TrailingCharacters => f.write_str("trailing characters after the json value")?,
            JsonErrorKind::ByteOrderMark => f.write_str("unexpected utf-8 byte-order mark")?,
        }
        write!(f, " at line {} column {}", self.line, self.column)
    }
}

impl std::error::Error for JsonError {}

/// Parse JSON text with the default depth limit.
///
/// Never panics. See [`parse_with_depth`].
pub fn parse(text: &str) -> Result<Value, JsonError> {
    parse_with_depth(text, DEFAULT_MAX_DEPTH)
}

/// Parse JSON bytes (UTF-8) with the default depth limit.
pub fn parse_bytes(bytes: &[u8]) -> Result<Value, JsonError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            let offset = e.valid_up_to();
            let (line, column) = line_col(bytes, offset);
            Err(JsonError { kind: JsonErrorKind::InvalidUtf8, offset, line, column })
        }
    }
}

/// Parse one JSON value (RFC 8259) surrounded by optional whitespace.
///
/// Integers keep all their digits, floats are correctly rounded binary64 values, objects
/// keep first-seen key order and the last value of a repeated key (as Python's `json`
/// does). Lone surrogate escapes, `NaN`/`Infinity`, float overflow and nesting deeper
/// than `max_depth` are errors. Never panics.
pub fn parse_with_depth(text: &str, max_depth: usize) -> Result<Value, JsonError> {
    let mut p = Parser { src: text, bytes: text.as_bytes(), pos: 0, max_depth, depth: 0 };
    if p.bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(p.err(JsonErrorKind::ByteOrderMark));
    }
    p.skip_ws();
    let v = p.value()?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.err(JsonErrorKind::TrailingCharacters));
    }
    Ok(v)
}

fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let upto = bytes.get(..offset).unwrap_or(bytes);
    let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = match upto.iter().rposition(|&b| b == b'\n') {
        Some(p) => offset - p,
        None => offset + 1,
    };
    (line, col)
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, kind: JsonErrorKind) -> JsonError {
        let (line, column) = line_col(self.bytes, self.pos);
        JsonError { kind, offset: self.pos, line, column }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn unexpected(&self) -> JsonError {
        match self.src.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => self.err(JsonErrorKind::UnexpectedChar(c)),
            None => self.err(JsonErrorKind::UnexpectedEnd),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_lit(&mut self, lit: &[u8], v: Value) -> Result<Value, JsonError> {
        if self.bytes.get(self.pos..self.pos + lit.len()) == Some(lit) {
            self.pos += lit.len();
            Ok(v)
        } else {
            Err(self.unexpected())
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        match self.peek() {
            None => Err(self.err(JsonErrorKind::UnexpectedEnd)),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.expect_lit(b"true", Value::Bool(true)),
            Some(b'f') => self.expect_lit(b"false", Value::Bool(false)),
            Some(b'n') => self.expect_lit(b"null", Value::Null),
            Some(b'N') if self.bytes.get(self.pos..self.pos + 3) == Some(b"NaN") => {
                Err(self.err(JsonErrorKind::NonFiniteLiteral))
            }
            Some(b'I') if self.bytes.get(self.pos..self.pos + 8) == Some(b"Infinity") => {
                Err(self.err(JsonErrorKind::NonFiniteLiteral))
            }
            Some(b'-') if self.bytes.get(self.pos..self.pos + 9) == Some(b"-Infinity") => {
                Err(self.err(JsonErrorKind::NonFiniteLiteral))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.unexpected()),
        }
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(self.err(JsonErrorKind::DepthLimit(self.max_depth)));
        }
        Ok(())
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.unexpected()),
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        self.pos += 1;
        let mut map = Map::new();
        // Index of keys, built only for large objects, so that repeated keys stay O(log n).
        let mut index: Option<BTreeMap<String, usize>> = None;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected());
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected());
            }
            self.pos += 1;
            self.skip_ws();
            let v = self.value()?;
            insert_parsed(&mut map, &mut index, key, v);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.unexpected()),
            }
        }
        self.depth -= 1;
        Ok(Value::Object(map))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => u32::from(b - b'0'),
                Some(b @ b'a'..=b'f') => u32::from(b - b'a' + 10),
                Some(b @ b'A'..=b'F') => u32::from(b - b'A' + 10),
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(_) => return Err(self.err(JsonErrorKind::InvalidEscape)),
            };
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        // at the opening quote
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes.
        loop {
            match self.peek() {
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(b'"') => {
                    let s = self.src.get(start..self.pos).unwrap_or("").to_owned();
                    self.pos += 1;
                    return Ok(s);
                }
                Some(b'\\') => break,
                Some(b) if b < 0x20 => return Err(self.err(JsonErrorKind::ControlInString)),
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(self.src.get(start..self.pos).unwrap_or(""));
        loop {
            let run_start = self.pos;
            loop {
                match self.peek() {
                    None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                    Some(b'"' | b'\\') => break,
                    Some(b) if b < 0x20 => return Err(self.err(JsonErrorKind::ControlInString)),
                    Some(_) => self.pos += 1,
                }
            }
            out.push_str(self.src.get(run_start..self.pos).unwrap_or(""));
            if self.peek() == Some(b'"') {
                self.pos += 1;
                return Ok(out);
            }
            // backslash
            self.pos += 1;
            let esc = match self.peek() {
                None => return Err(self.err(JsonErrorKind::UnexpectedEnd)),
                Some(e) => e,
            };
            self.pos += 1;
            match esc {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let esc_start = self.pos - 2;
                    let hi = self.hex4()?;
                    let cp = if (0xD800..0xDC00).contains(&hi) {
                        if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            self.pos = esc_start;
                            return Err(self.err(JsonErrorKind::LoneSurrogate));
                        }
                        self.pos += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&lo) {
                            self.pos = esc_start;
                            return Err(self.err(JsonErrorKind::LoneSurrogate));
                        }
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    } else if (0xDC00..0xE000).contains(&hi) {
                        self.pos = esc_start;
                        return Err(self.err(JsonErrorKind::LoneSurrogate));
                    } else {
                        hi
                    };
                    match char::from_u32(cp) {
                        Some(c) => out.push(c),
                        None => return Err(self.err(JsonErrorKind::LoneSurrogate)),
                    }
                }
                _ => {
                    self.pos -= 1;
                    return Err(self.err(JsonErrorKind::InvalidEscape));
                }
            }
        }
    }

    fn digits(&mut self) -> usize {
        let s = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - s
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.err(JsonErrorKind::InvalidNumber));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err(JsonErrorKind::InvalidNumber)),
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err(JsonErrorKind::InvalidNumber));
            }
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err(JsonErrorKind::InvalidNumber));
            }
            is_float = true;
        }
        let text = self.src.get(start..self.pos).unwrap_or("");
        if is_float {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Value::Number(Number::from_f64(f))),
                _ => {
                    self.pos = start;
                    Err(self.err(JsonErrorKind::NumberOutOfRange))
                }
            }
        } else {
            match Number::from_integer_text(text) {
                Some(n) => Ok(Value::Number(n)),
                None => Err(self.err(JsonErrorKind::InvalidNumber)),
            }
        }
    }
}

const INDEX_THRESHOLD: usize = 16;

fn insert_parsed(map: &mut Map, index: &mut Option<BTreeMap<String, usize>>, key: String, v: Value) {
    if let Some(idx) = index {
        if let Some(&i) = idx.get(&key) {
            if let Some(slot) = map.entries_mut().get_mut(i) {
                slot.1 = v;
            }
            return;
        }
        idx.insert(key.clone(), map.len());
        map.push_unchecked(key, v);
        return;
    }
    if let Some(slot) = map.get_mut(&key) {
        *slot = v;
        return;
    }
    map.push_unchecked(key, v);
    if map.len() >= INDEX_THRESHOLD {
        let idx: BTreeMap<String, usize> = map.keys().enumerate().map(|(i, k)| (k.to_owned(), i)).collect();
        *index = Some(idx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_keep_digits() {
        let v =
            parse("[0, -0, 12, -9223372036854775808, 9223372036854775808, -170141183460469231731687303715884105728]")
                .unwrap();
        let a = v.as_array().unwrap();
        assert_eq!(a[0].as_i64(), Some(0));
        assert_eq!(a[1].as_i64(), Some(0));
        assert_eq!(a[3].as_i64(), Some(i64::MIN));
        assert_eq!(a[4].as_i64(), None);
        assert!(a[4].as_number().unwrap().is_integer());
        assert_eq!(a[5].as_number().unwrap().to_string(), "-170141183460469231731687303715884105728");
    }

    #[test]
    fn duplicate_keys_last_wins_first_position() {
        let v = parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        let m = v.as_object().unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(m.get("a").unwrap().as_i64(), Some(3));
        // large object goes through the index
        let mut text = String::from("{");
        for i in 0..40 {
            text.push_str(&format!("\"k{i}\":{i},"));
        }
        text.push_str("\"k3\":\"x\"}");
        let v = parse(&text).unwrap();
        let m = v.as_object().unwrap();
        assert_eq!(m.len(), 40);
        assert_eq!(m.get("k3").unwrap().as_str(), Some("x"));
        assert_eq!(m.keys().nth(3), Some("k3"));
    }

    #[test]
    fn errors_are_classified() {
        assert_eq!(parse("[NaN]").unwrap_err().code(), "JSON_NON_FINITE");
        assert_eq!(parse("[-Infinity]").unwrap_err().code(), "JSON_NON_FINITE");
        assert_eq!(parse("[1e400]").unwrap_err().code(), "JSON_NUMBER_OUT_OF_RANGE");
        assert_eq!(parse(r#"{"s":"\ud800"}"#).unwrap_err().code(), "JSON_LONE_SURROGATE");
        assert_eq!(parse(r#""\udc00\ud800""#).unwrap_err().code(), "JSON_LONE_SURROGATE");
        assert_eq!(parse("01").unwrap_err().code(), "JSON_SYNTAX");
        assert_eq!(parse("1.").unwrap_err().code(), "JSON_SYNTAX");
        assert_eq!(parse("\"a\tb\"").unwrap_err().code(), "JSON_SYNTAX");
        assert_eq!(parse("[1] x").unwrap_err().code(), "JSON_SYNTAX");
        assert_eq!(parse("").unwrap_err().code(), "JSON_SYNTAX");
        assert_eq!(parse_bytes(b"[\"\xff\"]").unwrap_err().code(), "JSON_INVALID_UTF8");
        let deep = "[".repeat(600) + &"]".repeat(600);
        assert_eq!(parse(&deep).unwrap_err().code(), "JSON_DEPTH_LIMIT");
        assert!(parse_with_depth(&deep, 600).is_ok());
    }

    #[test]
    fn surrogate_pairs_decode() {
        let v = parse(r#""\ud83d\ude80 \u00e9""#).unwrap();
        assert_eq!(v.as_str(), Some("🚀 é"));
    }

    #[test]
    fn error_position() {
        let e = parse("{\n  \"a\": tru }").unwrap_err();
        assert_eq!(e.line(), 2);
        assert!(e.to_string().contains("line 2"));
    }
}
