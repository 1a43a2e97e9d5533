//! Python 3.11 `repr()` of `str` values and of lists, tuples and sets of `str`, as the
//! reference prints them inside error messages.
//!
//! Escaping follows CPython's `unicode_repr`: the quote is `'` unless the text contains
//! `'` and no `"`; backslash and the chosen quote are escaped with a backslash; tab, line
//! feed and carriage return are written `\t`, `\n`, `\r`; every other character that
//! `str.isprintable()` rejects is written `\xhh` (below U+0100), `\uhhhh` (below
//! U+10000) or `\Uhhhhhhhh`, in lower-case hex; everything else is copied as is.
//!
//! **Approximation.** Python 3.11 (Unicode 14.0) treats every unassigned code point
//! (category `Cn`) as not printable. Carrying the whole table of unassigned code points
//! of the Basic Multilingual Plane and plane 1 is not worth it, so there unassigned code
//! points are treated as printable (copied unescaped), except the noncharacters
//! (U+FDD0–U+FDEF and U+xFFFE/U+xFFFF), which are escaped like Python does. From
//! U+2A6E0 upwards the table below is exact for Unicode 14.0 (eight ranges cover every
//! non-printable code point of planes 2 to 16). Every assigned code point is classified
//! exactly as Python 3.11 does.

use std::fmt::Write as _;

/// Code points that are not printable in Python 3.11, other than the ASCII and Latin-1
/// controls handled directly in [`is_printable`]: the format characters (`Cf`), the
/// separators (`Zs` except U+0020, `Zl`, `Zp`), the surrogates (`Cs`, unreachable from a
/// Rust `str`), the private-use areas (`Co`), the noncharacters of the Basic Multilingual
/// Plane and plane 1, and every non-printable code point from U+2A6E0 on. Sorted,
/// non-overlapping, inclusive.
const NON_PRINTABLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),     // SOFT HYPHEN (Cf)
    (0x0600, 0x0605),     // Arabic number signs (Cf)
    (0x061C, 0x061C),     // ARABIC LETTER MARK (Cf)
    (0x06DD, 0x06DD),     // ARABIC END OF AYAH (Cf)
    (0x070F, 0x070F),     // SYRIAC ABBREVIATION MARK (Cf)
    (0x0890, 0x0891),     // Arabic pound/piastre mark above (Cf)
    (0x08E2, 0x08E2),     // ARABIC DISPUTED END OF AYAH (Cf)
    (0x1680, 0x1680),     // OGHAM SPACE MARK (Zs)
    (0x180E, 0x180E),     // MONGOLIAN VOWEL SEPARATOR (Cf)
    (0x2000, 0x200F),     // EN QUAD..HAIR SPACE (Zs), ZWSP..RLM (Cf)
    (0x2028, 0x202F),     // LINE/PARAGRAPH SEPARATOR (Zl, Zp), LRE..RLO (Cf), NNBSP (Zs)
    (0x205F, 0x206F),     // MMSP (Zs), WORD JOINER..NOMINAL DIGIT SHAPES (Cf; U+2065 is Cn)
    (0x3000, 0x3000),     // IDEOGRAPHIC SPACE (Zs)
    (0xD800, 0xDFFF),     // surrogates (Cs)
    (0xE000, 0xF8FF),     // private use (Co)
    (0xFDD0, 0xFDEF),     // noncharacters (Cn)
    (0xFEFF, 0xFEFF),     // ZERO WIDTH NO-BREAK SPACE (Cf)
    (0xFFF9, 0xFFFB),     // interlinear annotation controls (Cf)
    (0xFFFE, 0xFFFF),     // noncharacters (Cn)
    (0x110BD, 0x110BD),   // KAITHI NUMBER SIGN (Cf)
    (0x110CD, 0x110CD),   // KAITHI NUMBER SIGN ABOVE (Cf)
    (0x13430, 0x13438),   // Egyptian hieroglyph format controls (Cf)
    (0x1BCA0, 0x1BCA3),   // shorthand format controls (Cf)
    (0x1D173, 0x1D17A),   // musical symbol format controls (Cf)
    (0x1FFFE, 0x1FFFF),   // noncharacters (Cn)
    (0x2A6E0, 0x2A6FF),   // unassigned (Cn)
    (0x2B739, 0x2B73F),   // unassigned (Cn)
    (0x2B81E, 0x2B81F),   // unassigned (Cn)
    (0x2CEA2, 0x2CEAF),   // unassigned (Cn)
    (0x2EBE1, 0x2F7FF),   // unassigned (Cn)
    (0x2FA1E, 0x2FFFF),   // unassigned (Cn), noncharacters
    (0x3134B, 0xE00FF),   // unassigned (Cn), tags (Cf), noncharacters
    (0xE01F0, 0x10_FFFF), // unassigned (Cn), private use (Co), noncharacters
];

/// Whether Python 3.11's `str.isprintable()` holds for `c`, with the approximation for
/// unassigned code points described in the module documentation.
fn is_printable(c: char) -> bool {
    let cp = u32::from(c);
    // C0 controls, DEL, C1 controls and U+00A0 NO-BREAK SPACE.
    if cp < 0x20 || (0x7F..=0xA0).contains(&cp) {
        return false;
    }
    if cp < 0x7F {
        return true;
    }
    // Noncharacters U+xFFFE and U+xFFFF of every plane.
    if (cp & 0xFFFE) == 0xFFFE {
        return false;
    }
    let idx = NON_PRINTABLE.partition_point(|&(_, hi)| hi < cp);
    match NON_PRINTABLE.get(idx) {
        Some(&(lo, _)) => cp < lo,
        None => true,
    }
}

/// Appends the Python repr of `s` (with its quotes) to `out`.
fn push_repr_str(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    out.push(quote);
    for c in s.chars() {
        let cp = u32::from(c);
        if c == quote || c == '\\' {
            out.push('\\');
            out.push(c);
        } else if c == '\t' {
            out.push_str("\\t");
        } else if c == '\n' {
            out.push_str("\\n");
        } else if c == '\r' {
            out.push_str("\\r");
        } else if is_printable(c) {
            out.push(c);
        } else if cp <= 0xFF {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{cp:02x}");
        } else if cp <= 0xFFFF {
            let _ = write!(out, "\\u{cp:04x}");
        } else {
            let _ = write!(out, "\\U{cp:08x}");
        }
    }
    out.push(quote);
}

/// Appends the reprs of `items` separated by `", "`.
fn push_joined<S: AsRef<str>>(out: &mut String, items: &[S]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_repr_str(out, item.as_ref());
    }
}

/// Python repr of a str: quoted with `'`, unless it contains `'` and no `"`, then with `"`.
///
/// `repr_str("it's")` is `"it's"` (with the double quotes), `repr_str("a\nb")` is
/// `'a\nb'` (with a backslash and an `n`).
pub fn repr_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_repr_str(&mut out, s);
    out
}

/// Python repr of a list of str: `['a', 'b']`; `[]` when empty.
pub fn repr_list<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("[");
    push_joined(&mut out, items);
    out.push(']');
    out
}

/// Python repr of a tuple of str: `('a',)` for one element, `('a', 'b')`, `()` when empty.
pub fn repr_tuple<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("(");
    push_joined(&mut out, items);
    if items.len() == 1 {
        out.push(',');
    }
    out.push(')');
    out
}

/// Python repr of a set of str in the given order: `{'a', 'b'}`; `set()` when empty.
///
/// Python's own iteration order of a set depends on string hashes (randomised per
/// process); the caller chooses the order, typically the one the reference happens to
/// print or a sorted one.
pub fn repr_set<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::from("set()");
    }
    let mut out = String::from("{");
    push_joined(&mut out, items);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, Python 3.11 `repr(input)`), produced by running python3.
    const CASES: &[(&str, &str)] = &[
        ("", "''"),
        ("a", "'a'"),
        ("it's", "\"it's\""),
        ("say \"hi\"", "'say \"hi\"'"),
        ("both ' and \"", "'both \\' and \"'"),
        ("back\\slash", "'back\\\\slash'"),
        ("tab\u{9}nl\u{a}ret\u{d}", "'tab\\tnl\\nret\\r'"),
        ("\u{0}\u{1}\u{1f}", "'\\x00\\x01\\x1f'"),
        ("del\u{7f}", "'del\\x7f'"),
        ("\u{80}\u{85}\u{9f}", "'\\x80\\x85\\x9f'"),
        ("nbsp\u{a0}", "'nbsp\\xa0'"),
        ("\u{a1}\u{ff}\u{e9}", "'\u{a1}\u{ff}\u{e9}'"),
        ("\u{ad}", "'\\xad'"),
        ("zw\u{200b}sp", "'zw\\u200bsp'"),
        ("ls\u{2028}ps\u{2029}", "'ls\\u2028ps\\u2029'"),
        ("\u{202f}\u{205f}\u{3000}\u{1680}", "'\\u202f\\u205f\\u3000\\u1680'"),
        ("\u{2060}\u{2065}\u{2066}\u{206f}", "'\\u2060\\u2065\\u2066\\u206f'"),
        ("emoji\u{1f600}", "'emoji\u{1f600}'"),
        ("\u{4e2d}\u{6587}\u{5b57}", "'\u{4e2d}\u{6587}\u{5b57}'"),
        ("pu\u{e000}\u{f8ff}", "'pu\\ue000\\uf8ff'"),
        ("\u{fffe}\u{ffff}", "'\\ufffe\\uffff'"),
        ("\u{fdd0}\u{fdef}", "'\\ufdd0\\ufdef'"),
        ("\u{feff}", "'\\ufeff'"),
        ("\u{1fffe}", "'\\U0001fffe'"),
        ("\u{f0000}\u{10fffd}", "'\\U000f0000\\U0010fffd'"),
        ("\u{e0001}\u{e0020}", "'\\U000e0001\\U000e0020'"),
        ("\u{110bd}\u{13430}\u{13438}", "'\\U000110bd\\U00013430\\U00013438'"),
        ("\u{2a6e0}\u{30000}", "'\\U0002a6e0\u{30000}'"),
        ("'\"", "'\\'\"'"),
        ("\\'", "\"\\\\'\""),
        ("\u{1b}[0m", "'\\x1b[0m'"),
        ("not a date", "'not a date'"),
        ("2026-11-24T10:09:33\u{0}", "'2026-11-24T10:09:33\\x00'"),
    ];

    #[test]
    fn repr_str_matches_python() {
        for (input, expected) in CASES {
            assert_eq!(repr_str(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn unassigned_bmp_code_point_is_the_documented_approximation() {
        // Python 3.11 gives '\u0378' (U+0378 is unassigned); this module copies it.
        assert_eq!(repr_str("\u{378}"), "'\u{378}'");
    }

    #[test]
    fn collections_match_python() {
        assert_eq!(repr_list(&["a", "it's"]), "['a', \"it's\"]");
        assert_eq!(repr_list::<&str>(&[]), "[]");
        assert_eq!(repr_list(&[String::from("x\ny")]), "['x\\ny']");
        assert_eq!(repr_tuple(&["a"]), "('a',)");
        assert_eq!(repr_tuple(&["a", "b"]), "('a', 'b')");
        assert_eq!(repr_tuple::<&str>(&[]), "()");
        assert_eq!(repr_set::<&str>(&[]), "set()");
        assert_eq!(repr_set(&["b", "a"]), "{'b', 'a'}");
        assert_eq!(repr_set(&["only"]), "{'only'}");
    }

    #[test]
    fn table_is_sorted_and_disjoint() {
        let mut prev_hi: Option<u32> = None;
        for &(lo, hi) in NON_PRINTABLE {
            assert!(lo <= hi);
            if let Some(p) = prev_hi {
                assert!(lo > p);
            }
            prev_hi = Some(hi);
        }
    }

    #[test]
    fn every_char_is_handled() {
        // No char may panic, and every repr must start and end with its quote.
        for cp in (0..=0x10FFFFu32).step_by(7) {
            if let Some(c) = char::from_u32(cp) {
                let r = repr_str(&c.to_string());
                assert!(r.len() >= 3);
            }
        }
    }
}
