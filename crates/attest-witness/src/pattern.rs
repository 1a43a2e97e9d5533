//! The text rules of intents and receipts (digest, label key, backend, `created_at`) and
//! the [`Validation`] mode that says whether to reproduce the original's weak anchoring.

/// How strictly intents and receipts are validated.
///
/// The original checks its patterns with Python's `re` and a `$` anchor, which also
/// matches just before one final `\n`, and its `created_at` pattern uses the
/// Unicode-aware `\d`. [`Validation::Compat`] reproduces those verdicts (the `gap_*`
/// golden vectors); [`Validation::Strict`], the default, anchors at the true end of the
/// string, accepts ASCII digits only, checks that `created_at` names a real date and
/// time, and accepts an integer `attempt` only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Validation {
    /// True end-of-string anchoring, ASCII digits, calendar check, integer attempts.
    #[default]
    Strict,
    /// The original's verdicts: one trailing `\n` accepted by every pattern, Unicode
    /// decimal digits in `created_at`, Python's lenient `int()` for `attempt`.
    Compat,
}

/// The part of `s` the anchored pattern must match: in compat mode Python's `$` also
/// matches before one final newline, so that newline is not examined.
fn anchored(s: &str, mode: Validation) -> &str {
    match mode {
        Validation::Strict => s,
        Validation::Compat => s.strip_suffix('\n').unwrap_or(s),
    }
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// `sha256:` followed by exactly 64 characters of `[0-9a-f]`.
pub(crate) fn is_sha256_digest(s: &str, mode: Validation) -> bool {
    anchored(s, mode).strip_prefix("sha256:").is_some_and(|hex| hex.len() == 64 && hex.bytes().all(is_lower_hex))
}

/// 1–64 characters of `[a-zA-Z0-9._-]`.
pub(crate) fn is_label_key(s: &str, mode: Validation) -> bool {
    let s = anchored(s, mode);
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// 1–64 characters of `[a-z0-9._-]`.
pub(crate) fn is_backend(s: &str, mode: Validation) -> bool {
    let s = anchored(s, mode);
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
}

/// The original's `created_at` shape:
/// `\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)`. Returns the six date and
/// time fields (decimal values of the digits) when the shape matches.
pub(crate) fn created_at_fields(s: &str, mode: Validation) -> Option<[u32; 6]> {
    let chars: Vec<char> = anchored(s, mode).chars().collect();
    let digit = |c: char| decimal_value(c, mode);
    let mut pos = 0usize;
    let number = |width: usize, pos: &mut usize| -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..width {
            v = v * 10 + digit(*chars.get(*pos)?)?;
            *pos += 1;
        }
        Some(v)
    };
    let mut fields = [0u32; 6];
    let seps = ['-', '-', 'T', ':', ':'];
    for (i, width) in [4usize, 2, 2, 2, 2, 2].into_iter().enumerate() {
        let slot = fields.get_mut(i)?;
        *slot = number(width, &mut pos)?;
        if let Some(sep) = seps.get(i) {
            if chars.get(pos) != Some(sep) {
                return None;
            }
            pos += 1;
        }
    }
    if chars.get(pos) == Some(&'.') {
        pos += 1;
        let start = pos;
        while chars.get(pos).is_some_and(|c| digit(*c).is_some()) {
            pos += 1;
        }
        if pos == start {
            return None;
        }
    }
    let rest: String = chars.get(pos..)?.iter().collect();
    (rest == "Z" || rest == "+00:00").then_some(fields)
}

/// Whether the fields name a real date and time (a leap second `:60` is allowed).
pub(crate) fn is_real_date_time([year, month, day, hour, minute, second]: [u32; 6]) -> bool {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && hour <= 23 && minute <= 59 && second <= 60
}

/// The value of a decimal digit: ASCII only in strict mode; any Unicode `Nd` character
/// (what Python's `\d` matches) in compat mode.
pub(crate) fn decimal_value(c: char, mode: Validation) -> Option<u32> {
    if c.is_ascii_digit() {
        return Some(u32::from(c) - u32::from('0'));
    }
    if mode == Validation::Strict {
        return None;
    }
    let cp = u32::from(c);
    ND_ZEROS.iter().find(|&&zero| (zero..zero + 10).contains(&cp)).map(|zero| cp - zero)
}

/// The zero of every run of ten Unicode decimal digits (category `Nd`, Unicode 14.0 as
/// in Python 3.11; every `Nd` character is in exactly one such run).
const ND_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0,
    0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0,
    0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60,
    0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:70ce9320dea767ffd06f3717836cd9f14a2ee09f8f81e424aeb18b930eaeaca1";

    #[test]
    fn digest_anchoring() {
        assert!(is_sha256_digest(D, Validation::Strict));
        let nl = format!("{D}\n");
        assert!(!is_sha256_digest(&nl, Validation::Strict));
        assert!(is_sha256_digest(&nl, Validation::Compat));
        assert!(!is_sha256_digest(&format!("{D}\n\n"), Validation::Compat));
        assert!(!is_sha256_digest(&D.to_uppercase(), Validation::Compat));
    }

    #[test]
    fn created_at_shapes() {
        let s = Validation::Strict;
        assert!(created_at_fields("2025-01-15T12:00:00Z", s).is_some());
        assert!(created_at_fields("2025-01-15T12:00:00.5+00:00", s).is_some());
        assert!(created_at_fields("2025-01-15T12:00:00.+00:00", s).is_none());
        assert!(created_at_fields("2025-01-15T12:00:00-00:00", s).is_none());
        assert!(created_at_fields("2025-01-15t12:00:00Z", s).is_none());
        assert!(created_at_fields("2025-01-15T12:00:00", s).is_none());
        let arabic = "\u{662}\u{660}\u{662}\u{665}-01-15T12:00:00Z";
        assert!(created_at_fields(arabic, s).is_none());
        assert_eq!(created_at_fields(arabic, Validation::Compat), Some([2025, 1, 15, 12, 0, 0]));
        assert!(created_at_fields("2025-01-15T12:00:00Z\n", Validation::Compat).is_some());
        assert!(!is_real_date_time([2025, 13, 45, 99, 99, 99]));
        assert!(!is_real_date_time([2025, 2, 29, 0, 0, 0]));
        assert!(is_real_date_time([2024, 2, 29, 23, 59, 60]));
    }

    #[test]
    fn keys_and_backends() {
        assert!(is_label_key("a.b-c_D9", Validation::Strict));
        assert!(!is_label_key("", Validation::Strict));
        assert!(!is_label_key(&"k".repeat(65), Validation::Strict));
        assert!(is_label_key("team\n", Validation::Compat));
        assert!(!is_label_key("team\n", Validation::Strict));
        assert!(is_backend("local.file-1", Validation::Strict));
        assert!(!is_backend("XRPL", Validation::Strict));
    }
}
