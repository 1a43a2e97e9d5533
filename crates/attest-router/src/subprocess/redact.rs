//! nexus-router's default redaction (router.md 3.8): sensitive keys in argument objects
//! and secret-looking fragments in text (error excerpts), without a regex engine.
//!
//! The four text rules are applied in order, each over the whole text, exactly like
//! nexus-router's four `re.sub` calls (the patterns are deterministic, so a left-to-right
//! scan that tries each position finds the same matches):
//!
//! 1. `Bearer\s+[A-Za-z0-9_\-.]+` → `Bearer [REDACTED]`
//! 2. `(?i)(api[_-]?key[=:]\s*)['"]?[A-Za-z0-9_\-]+['"]?` → `\1[REDACTED]`
//! 3. `(?i)(token|secret|password|cookie)[=:]\s*['"]?[^\s'"]+['"]?` → `\1=[REDACTED]`
//! 4. `(?i)authorization[=:]\s*(?!Bearer\s)['"]?[^\s'"]+['"]?` → `authorization=[REDACTED]`

use attest_verify::json::{Map, Value};

/// Key fragments whose values are redacted (case-insensitive substring match).
const SENSITIVE_KEYS: [&str; 12] = [
    "token",
    "secret",
    "password",
    "apikey",
    "api_key",
    "api-key",
    "authorization",
    "cookie",
    "credential",
    "privatekey",
    "private_key",
    "private-key",
];

/// Whether a key names a secret.
pub(crate) fn is_sensitive_key(key: &str) -> bool {
    let k = key.to_lowercase();
    SENSITIVE_KEYS.iter().any(|s| k.contains(s))
}

/// `args` with the value of every sensitive key (at any depth, through lists) replaced
/// by `"[REDACTED]"`.
pub fn redact_args(args: &Map) -> Map {
    args.iter()
        .map(|(k, v)| {
            let v = if is_sensitive_key(k) { Value::str("[REDACTED]") } else { redact_value(v) };
            (k.to_owned(), v)
        })
        .collect()
}

fn redact_value(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(redact_args(m)),
        Value::Array(a) => Value::Array(a.iter().map(redact_value).collect()),
        other => other.clone(),
    }
}

/// `text` with bearer tokens, API keys and `token=`/`secret:`/`password=`/`cookie=`/
/// `authorization=` values replaced by `[REDACTED]` forms.
pub fn redact_text(text: &str) -> String {
    let t = substitute(text, bearer);
    let t = substitute(&t, api_key);
    let t = substitute(&t, sensitive_pair);
    substitute(&t, authorization)
}

/// A rule: at byte `i` of `s`, the end of the match and its replacement.
type Rule = fn(&str, usize) -> Option<(usize, String)>;

fn substitute(s: &str, rule: Rule) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(c) = s.get(i..).and_then(|r| r.chars().next()) {
        if let Some((end, rep)) = rule(s, i) {
            out.push_str(&rep);
            i = end;
        } else {
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn lit(s: &str, i: usize, word: &str, ci: bool) -> Option<usize> {
    let b = s.as_bytes().get(i..i + word.len())?;
    let ok = if ci { b.eq_ignore_ascii_case(word.as_bytes()) } else { b == word.as_bytes() };
    ok.then_some(i + word.len())
}

/// End of a whitespace run starting at `i` (possibly empty).
fn spaces(s: &str, i: usize) -> usize {
    let rest = s.get(i..).unwrap_or("");
    i + rest.len() - rest.trim_start_matches(char::is_whitespace).len()
}

/// End of a run of ASCII bytes accepted by `f` (possibly empty).
fn run_of(s: &str, i: usize, f: impl Fn(u8) -> bool) -> usize {
    let b = s.as_bytes();
    let mut j = i;
    while b.get(j).copied().is_some_and(&f) {
        j += 1;
    }
    j
}

/// End of a run of characters that are not whitespace or quotes (possibly empty).
fn value_run(s: &str, i: usize) -> usize {
    let rest = s.get(i..).unwrap_or("");
    i + rest.len() - rest.trim_start_matches(|c: char| !(c.is_whitespace() || c == '\'' || c == '"')).len()
}

fn quote(s: &str, i: usize) -> usize {
    if matches!(s.as_bytes().get(i), Some(b'\'' | b'"')) {
        i + 1
    } else {
        i
    }
}

fn bearer(s: &str, i: usize) -> Option<(usize, String)> {
    let j = lit(s, i, "Bearer", false)?;
    let k = spaces(s, j);
    if k == j {
        return None;
    }
    let end = run_of(s, k, |b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    (end > k).then(|| (end, "Bearer [REDACTED]".to_owned()))
}

fn api_key(s: &str, i: usize) -> Option<(usize, String)> {
    let mut j = lit(s, i, "api", true)?;
    if matches!(s.as_bytes().get(j), Some(b'_' | b'-')) && lit(s, j + 1, "key", true).is_some() {
        j += 1;
    }
    let j = lit(s, j, "key", true)?;
    if !matches!(s.as_bytes().get(j), Some(b'=' | b':')) {
        return None;
    }
    let prefix_end = spaces(s, j + 1);
    let k = quote(s, prefix_end);
    let end = run_of(s, k, |b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    if end == k {
        return None;
    }
    Some((quote(s, end), format!("{}[REDACTED]", s.get(i..prefix_end)?)))
}

fn sensitive_pair(s: &str, i: usize) -> Option<(usize, String)> {
    let (j, word) = ["token", "secret", "password", "cookie"]
        .iter()
        .find_map(|w| lit(s, i, w, true).map(|j| (j, s.get(i..j).unwrap_or(w))))?;
    if !matches!(s.as_bytes().get(j), Some(b'=' | b':')) {
        return None;
    }
    let k = quote(s, spaces(s, j + 1));
    let end = value_run(s, k);
    (end > k).then(|| (quote(s, end), format!("{word}=[REDACTED]")))
}

fn authorization(s: &str, i: usize) -> Option<(usize, String)> {
    let j = lit(s, i, "authorization", true)?;
    if !matches!(s.as_bytes().get(j), Some(b'=' | b':')) {
        return None;
    }
    let k = spaces(s, j + 1);
    if let Some(after) = lit(s, k, "bearer", true) {
        if s.get(after..).and_then(|r| r.chars().next()).is_some_and(char::is_whitespace) {
            return None;
        }
    }
    let k = quote(s, k);
    let end = value_run(s, k);
    (end > k).then(|| (quote(s, end), "authorization=[REDACTED]".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules_match_nexus_router() {
        // Expected values computed with nexus-router 1.1.1's default_redact_text.
        let cases = [
            ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [REDACTED]"),
            ("api_key=XYZ123 rest", "api_key=[REDACTED] rest"),
            ("API-KEY: 'abc' x", "API-KEY: [REDACTED] x"),
            ("apikey=\"q\"", "apikey=[REDACTED]"),
            ("password: hunter2", "password=[REDACTED]"),
            ("mytoken=abc&x=1", "mytoken=[REDACTED]"),
            ("Cookie='a b'", "Cookie=[REDACTED] b'"),
            ("authorization=Basic xyz", "authorization=[REDACTED] xyz"),
            ("authorization: Bearer tok", "authorization: Bearer [REDACTED]"),
            ("nothing secret here", "nothing secret here"),
            ("secret=", "secret="),
            ("Bearer   ", "Bearer   "),
            ("héllo token=é", "héllo token=[REDACTED]"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_text(input), want, "{input}");
        }
    }

    #[test]
    fn sensitive_keys_are_redacted_at_any_depth() {
        let args = attest_verify::json::parse(
            r#"{"api_key": "s3cret", "nested": [{"Password": 1, "ok": 2}], "x-auth-token": "t", "user": "bob"}"#,
        )
        .unwrap();
        let r = redact_args(args.as_object().unwrap());
        assert_eq!(
            attest_verify::canonical::to_string(&Value::Object(r)).unwrap(),
            r#"{"api_key":"[REDACTED]","nested":[{"Password":"[REDACTED]","ok":2}],"user":"bob","x-auth-token":"[REDACTED]"}"#
        );
    }
}
