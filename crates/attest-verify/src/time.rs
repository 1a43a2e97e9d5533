//! Timestamps as the Python 3.11 reference handles them: parsing with
//! `datetime.fromisoformat` (the C implementation, `_datetime`), writing with
//! `datetime.isoformat()`, the wall-time `...Z` rendering, and conversion to and from
//! microseconds since the Unix epoch.
//!
//! The parser is a transcription of CPython 3.11's `Modules/_datetimemodule.c`
//! (`datetime_fromisoformat`, `_find_isoformat_datetime_separator`,
//! `parse_isoformat_date`, `parse_isoformat_time`, `parse_hh_mm_ss_ff`,
//! `tzinfo_from_isoformat_results`, `new_timezone`, `check_date_args`,
//! `check_time_args`), including its quirks, because the reference accepts exactly what
//! that code accepts and reports exactly its messages. The C code works on the UTF-8
//! bytes of the string and relies on the terminating NUL byte; here every read past the
//! end yields 0, which reproduces that (an embedded U+0000 behaves like the end of the
//! string in the same places as in C).
//!
//! Quirks reproduced (each checked against python3.11):
//! - any single character (also a digit or a non-ASCII character) separates date and
//!   time; surrogates cannot occur in a Rust `str`;
//! - a time may stop after `HH` or `HH:MM`; a fraction may follow any of `HH`, `HH:MM`,
//!   `HH:MM:SS` (`10.5`, `10:00.5` and `10:00:00:5` are all 10:00:00.5); in basic form
//!   digits after `HHMMSS` are a fraction (`1000001234` is 10:00:00.1234);
//! - one stray character (or an over-long fraction followed by anything) before the
//!   offset sign is ignored (`10x+05:00`, `10:00:00.+05:00`);
//! - offset fields are not range-checked individually (`+00:99` is +01:39); the total
//!   must be strictly within ±24h, otherwise Python's `timezone` message is returned;
//! - an offset of zero seconds is UTC even with a non-zero fraction (`+00:00:00.5`);
//! - ISO week dates of year 0 fail with `month must be in 1..12` (C arithmetic on a
//!   year the code never expects), `9999-W52-6` with `year 10000 is out of range`;
//! - a NUL right after `Z` or after the last time field ends the string for the parser.
//!
//! Error messages: strings the parser rejects give
//! `Invalid isoformat string: <Python repr of the input>`; strings that parse but hold
//! out-of-range fields give Python's constructor messages (`month must be in 1..12`,
//! `day is out of range for month`, `year 0 is out of range`, `hour must be in 0..23`,
//! `minute must be in 0..59`, `second must be in 0..59`, and
//! `offset must be a timedelta strictly between -timedelta(hours=24) and
//! timedelta(hours=24), not datetime.timedelta(days=1).`), all `ValueError` in Python.

use std::fmt;
use std::fmt::Write as _;

use crate::pyrepr::repr_str;

/// Microseconds in one second.
const MICROS_PER_SECOND: i64 = 1_000_000;
/// Microseconds in one day.
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// A date-time as Python's datetime holds it: calendar fields plus an optional UTC offset.
///
/// Equality and hashing are structural (same fields, same offset), unlike Python's `==`
/// on aware values, which compares instants; compare instants with
/// [`Timestamp::unix_micros`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// 1..=9999.
    year: u16,
    /// 1..=12.
    month: u8,
    /// 1..=days in the month.
    day: u8,
    /// 0..=23.
    hour: u8,
    /// 0..=59.
    minute: u8,
    /// 0..=59.
    second: u8,
    /// 0..=999_999.
    microsecond: u32,
    /// UTC offset in microseconds, strictly within ±24h; `None` when naive.
    offset: Option<i64>,
}

/// Error from [`Timestamp::parse_isoformat`] (hand-written `Display` + `std::error::Error`).
///
/// The message is the text of the `ValueError` Python 3.11 raises for the same input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError {
    /// The Python `ValueError` message.
    message: String,
}

impl TimeError {
    /// The error message, identical to Python's `str(ValueError)`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The stable error code, `"INVALID_TIMESTAMP"`.
    pub fn code(&self) -> &'static str {
        "INVALID_TIMESTAMP"
    }
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TimeError {}

/// Why the parser rejected a string (internal).
enum Failure {
    /// The C parser failed: `Invalid isoformat string: <repr>`.
    Syntax,
    /// The string parsed but the values are out of range: Python's own message.
    Range(String),
}

/// The byte at `i`, or 0 past the end (C's terminating NUL and beyond).
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// C `is_digit`: ASCII digits only.
fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

/// C `parse_digits`: `n` ASCII digits from `pos`; returns the position after them and
/// the value.
fn parse_digits(b: &[u8], pos: usize, n: usize) -> Option<(usize, i32)> {
    let mut value: i32 = 0;
    let mut p = pos;
    for _ in 0..n {
        let c = at(b, p);
        if !is_digit(c) {
            return None;
        }
        value = value * 10 + i32::from(c - b'0');
        p += 1;
    }
    Some((p, value))
}

/// Whether `year` is a leap year (proleptic Gregorian).
fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1..=12) of `year`.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (any year, month 1..=12).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// C `iso_to_ymd`: the calendar date of an ISO week date, `None` for an invalid week or
/// weekday. The result may have year 10000 (rejected later by the range check).
fn iso_to_ymd(iso_year: i32, iso_week: i32, iso_day: i32) -> Option<(i32, i32, i32)> {
    let year = i64::from(iso_year);
    if iso_year == 0 {
        // CPython's ordinal arithmetic assumes year >= 1. For year 0 it computes a
        // first weekday of -1 (so week 53 never exists) and, for every valid week and
        // weekday, a date in year 1 with a month <= 0, which the constructor rejects
        // with "month must be in 1..12". Reproduce that outcome.
        if !(1..=52).contains(&iso_week) || !(1..=7).contains(&iso_day) {
            return None;
        }
        return Some((1, 0, 0));
    }
    // Weekday of January 1st, 0 = Monday (1970-01-01 was a Thursday).
    let jan1 = days_from_civil(year, 1, 1);
    let first_weekday = (jan1 + 3).rem_euclid(7);
    if iso_week <= 0 || iso_week >= 53 {
        let long_year = iso_week == 53 && (first_weekday == 3 || (first_weekday == 2 && is_leap(year)));
        if !long_year {
            return None;
        }
    }
    if !(1..=7).contains(&iso_day) {
        return None;
    }
    let mut week1_monday = jan1 - first_weekday;
    if first_weekday > 3 {
        week1_monday += 7;
    }
    let days = week1_monday + i64::from(iso_week - 1) * 7 + i64::from(iso_day - 1);
    let (y, m, d) = civil_from_days(days);
    Some((i32::try_from(y).ok()?, i32::try_from(m).ok()?, i32::try_from(d).ok()?))
}

/// C `_find_isoformat_datetime_separator` (`b.len() >= 7`); `None` stands for C's -1.
fn find_separator(b: &[u8]) -> Option<usize> {
    let len = b.len();
    if len == 7 {
        return Some(7);
    }
    if at(b, 4) == b'-' {
        if at(b, 5) == b'W' {
            if len < 8 {
                return None;
            }
            if len > 8 && at(b, 8) == b'-' {
                if len == 9 {
                    return None;
                }
                if len > 10 && is_digit(at(b, 10)) {
                    return Some(8);
                }
                return Some(10);
            }
            return Some(8);
        }
        return Some(10);
    }
    if at(b, 4) == b'W' {
        let mut idx = 7;
        while idx < len && is_digit(at(b, idx)) {
            idx += 1;
        }
        if idx < 9 {
            return Some(idx);
        }
        return Some(if idx % 2 == 0 { 7 } else { 8 });
    }
    Some(8)
}

/// C `parse_isoformat_date`; `len` is the separator position. `None` on failure.
fn parse_date(b: &[u8], len: usize) -> Option<(i32, i32, i32)> {
    let (mut p, year) = parse_digits(b, 0, 4)?;
    let uses_separator = at(b, p) == b'-';
    if uses_separator {
        p += 1;
    }
    if at(b, p) == b'W' {
        p += 1;
        let (np, iso_week) = parse_digits(b, p, 2)?;
        p = np;
        let iso_day = if p < len {
            if uses_separator {
                let c = at(b, p);
                p += 1;
                if c != b'-' {
                    return None;
                }
            }
            parse_digits(b, p, 1)?.1
        } else {
            1
        };
        return iso_to_ymd(year, iso_week, iso_day);
    }
    let (np, month) = parse_digits(b, p, 2)?;
    p = np;
    if uses_separator {
        let c = at(b, p);
        p += 1;
        if c != b'-' {
            return None;
        }
    }
    let (_, day) = parse_digits(b, p, 2)?;
    Some((year, month, day))
}

/// Hour, minute, second, microsecond as parsed (not range-checked).
#[derive(Default, Clone, Copy)]
struct Hms {
    hour: i32,
    minute: i32,
    second: i32,
    microsecond: i32,
}

/// C `parse_hh_mm_ss_ff` on `b[start..end]` (reads may look past `end`, as in C).
/// Returns the fields and whether parsing stopped before a NUL (C's return value 1).
fn parse_hh_mm_ss_ff(b: &[u8], start: usize, end: usize) -> Option<(Hms, bool)> {
    let mut vals = [0i32; 3];
    let mut p = start;
    let mut has_separator = true;
    for (i, slot) in vals.iter_mut().enumerate() {
        let (np, v) = parse_digits(b, p, 2)?;
        *slot = v;
        p = np;
        let c = at(b, p);
        p += 1;
        if i == 0 {
            has_separator = c == b':';
        }
        if p >= end {
            let [hour, minute, second] = vals;
            let hms = Hms { hour, minute, second, microsecond: 0 };
            return Some((hms, c != 0));
        } else if has_separator && c == b':' {
            // On to the next field.
        } else if c == b'.' || c == b',' {
            break;
        } else if !has_separator {
            p -= 1;
        } else {
            return None;
        }
    }
    let [hour, minute, second] = vals;
    let len_remains = end.checked_sub(p)?;
    let to_parse = len_remains.min(6);
    let (np, mut microsecond) = parse_digits(b, p, to_parse)?;
    p = np;
    microsecond *= match to_parse {
        1 => 100_000,
        2 => 10_000,
        3 => 1_000,
        4 => 100,
        5 => 10,
        6 => 1,
        // Unreachable: the loop above leaves at least one character before `end`.
        _ => return None,
    };
    while is_digit(at(b, p)) {
        p += 1;
    }
    let hms = Hms { hour, minute, second, microsecond };
    Some((hms, at(b, p) != 0))
}

/// C `parse_isoformat_time`: the time fields and, when an offset is present, the
/// offset as (signed seconds, signed microseconds).
fn parse_time(b: &[u8]) -> Option<(Hms, Option<(i32, i32)>)> {
    let p_end = b.len();
    let mut tz_pos = 0;
    loop {
        if matches!(at(b, tz_pos), b'Z' | b'+' | b'-') {
            break;
        }
        tz_pos += 1;
        if tz_pos >= p_end {
            break;
        }
    }
    let (hms, trailing) = parse_hh_mm_ss_ff(b, 0, tz_pos)?;
    if tz_pos == p_end {
        return if trailing { None } else { Some((hms, None)) };
    }
    if at(b, tz_pos) == b'Z' {
        return if at(b, tz_pos + 1) != 0 { None } else { Some((hms, Some((0, 0)))) };
    }
    let sign = if at(b, tz_pos) == b'-' { -1 } else { 1 };
    let (tz, trailing) = parse_hh_mm_ss_ff(b, tz_pos + 1, p_end)?;
    if trailing {
        return None;
    }
    let seconds = sign * (tz.hour * 3600 + tz.minute * 60 + tz.second);
    Some((hms, Some((seconds, sign * tz.microsecond))))
}

/// Python's `repr(timedelta)` of a normalised duration in microseconds.
fn timedelta_repr(total_micros: i64) -> String {
    let days = total_micros.div_euclid(MICROS_PER_DAY);
    let rest = total_micros.rem_euclid(MICROS_PER_DAY);
    let seconds = rest / MICROS_PER_SECOND;
    let micros = rest % MICROS_PER_SECOND;
    let mut parts: Vec<String> = Vec::new();
    if days != 0 {
        parts.push(format!("days={days}"));
    }
    if seconds != 0 {
        parts.push(format!("seconds={seconds}"));
    }
    if micros != 0 {
        parts.push(format!("microseconds={micros}"));
    }
    if parts.is_empty() {
        parts.push(String::from("0"));
    }
    format!("datetime.timedelta({})", parts.join(", "))
}

/// C `tzinfo_from_isoformat_results` + `new_timezone`: the offset in microseconds.
fn offset_from_parts(seconds: i32, micros: i32) -> Result<i64, Failure> {
    if seconds == 0 {
        // UTC singleton, whatever the fraction.
        return Ok(0);
    }
    let total = i64::from(seconds) * MICROS_PER_SECOND + i64::from(micros);
    if total <= -MICROS_PER_DAY || total >= MICROS_PER_DAY {
        return Err(Failure::Range(format!(
            "offset must be a timedelta strictly between -timedelta(hours=24) and \
             timedelta(hours=24), not {}.",
            timedelta_repr(total)
        )));
    }
    Ok(total)
}

/// Converts a checked field to its storage type (values are range-checked before).
fn narrow<T: TryFrom<i32>>(v: i32) -> Result<T, Failure> {
    T::try_from(v).map_err(|_| Failure::Syntax)
}

/// The whole of `datetime.fromisoformat`, with the two kinds of failure kept apart.
fn parse(s: &str) -> Result<Timestamp, Failure> {
    if s.chars().count() < 7 {
        return Err(Failure::Syntax);
    }
    let b = s.as_bytes();
    let len = b.len();
    let separator = find_separator(b).ok_or(Failure::Syntax)?;
    let (year, month, day) = parse_date(b, separator).ok_or(Failure::Syntax)?;
    let mut hms = Hms::default();
    let mut tz: Option<(i32, i32)> = None;
    if len > separator {
        let lead = at(b, separator);
        let width = if lead & 0x80 == 0 {
            1
        } else {
            match lead & 0xF0 {
                0xE0 => 3,
                0xF0 => 4,
                _ => 2,
            }
        };
        let rest = b.get(separator + width..).ok_or(Failure::Syntax)?;
        let (t, z) = parse_time(rest).ok_or(Failure::Syntax)?;
        hms = t;
        tz = z;
    }
    let offset = match tz {
        Some((seconds, micros)) => Some(offset_from_parts(seconds, micros)?),
        None => None,
    };
    // check_date_args
    if !(1..=9999).contains(&year) {
        return Err(Failure::Range(format!("year {year} is out of range")));
    }
    if !(1..=12).contains(&month) {
        return Err(Failure::Range(String::from("month must be in 1..12")));
    }
    if day < 1 || i64::from(day) > days_in_month(i64::from(year), i64::from(month)) {
        return Err(Failure::Range(String::from("day is out of range for month")));
    }
    // check_time_args
    if !(0..=23).contains(&hms.hour) {
        return Err(Failure::Range(String::from("hour must be in 0..23")));
    }
    if !(0..=59).contains(&hms.minute) {
        return Err(Failure::Range(String::from("minute must be in 0..59")));
    }
    if !(0..=59).contains(&hms.second) {
        return Err(Failure::Range(String::from("second must be in 0..59")));
    }
    if !(0..=999_999).contains(&hms.microsecond) {
        return Err(Failure::Range(String::from("microsecond must be in 0..999999")));
    }
    Ok(Timestamp {
        year: narrow(year)?,
        month: narrow(month)?,
        day: narrow(day)?,
        hour: narrow(hms.hour)?,
        minute: narrow(hms.minute)?,
        second: narrow(hms.second)?,
        microsecond: narrow(hms.microsecond)?,
        offset,
    })
}

impl Timestamp {
    /// 1970-01-01T00:00:00+00:00.
    pub const UNIX_EPOCH: Timestamp =
        Timestamp { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, microsecond: 0, offset: Some(0) };

    /// Like [`Timestamp::from_unix_micros`], clamped to Python's range (years 1..=9999).
    pub fn from_unix_micros_saturating(us: i64) -> Timestamp {
        // 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
        const MIN: i64 = -62_135_596_800_000_000;
        const MAX: i64 = 253_402_300_799_999_999;
        Timestamp::from_unix_micros(us.clamp(MIN, MAX)).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Parse like Python 3.11 `datetime.fromisoformat`. Error message exactly
    /// `Invalid isoformat string: <repr of input>` (e.g. `Invalid isoformat string: 'not a date'`).
    ///
    /// # Errors
    ///
    /// `Invalid isoformat string: <repr>` for every string the parser rejects. A
    /// string that parses but carries out-of-range values gets Python's constructor
    /// message instead (`month must be in 1..12`, `day is out of range for month`, ...;
    /// see the module documentation), exactly as Python reports it.
    pub fn parse_isoformat(s: &str) -> Result<Timestamp, TimeError> {
        parse(s).map_err(|failure| TimeError {
            message: match failure {
                Failure::Syntax => format!("Invalid isoformat string: {}", repr_str(s)),
                Failure::Range(message) => message,
            },
        })
    }

    /// Python `datetime.isoformat()`: `YYYY-MM-DDTHH:MM:SS[.ffffff][+HH:MM[:SS[.ffffff]]]` (fraction only when microsecond != 0; offset omitted when naive; `+00:00` for UTC).
    pub fn isoformat(&self) -> String {
        let mut out = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if self.microsecond != 0 {
            // Writing to a String cannot fail.
            let _ = write!(out, ".{:06}", self.microsecond);
        }
        if let Some(offset) = self.offset {
            let sign = if offset < 0 { '-' } else { '+' };
            let abs = offset.unsigned_abs();
            let micros = abs % 1_000_000;
            let total_seconds = abs / 1_000_000;
            let seconds = total_seconds % 60;
            let minutes = (total_seconds / 60) % 60;
            let hours = total_seconds / 3600;
            let _ = write!(out, "{sign}{hours:02}:{minutes:02}");
            if micros != 0 {
                let _ = write!(out, ":{seconds:02}.{micros:06}");
            } else if seconds != 0 {
                let _ = write!(out, ":{seconds:02}");
            }
        }
        out
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` printed from the stored date and time WITHOUT converting to UTC (a literal Z whatever the offset).
    pub fn wall_time_z(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// Whether an offset is present (Python "aware").
    pub fn is_aware(&self) -> bool {
        self.offset.is_some()
    }

    /// Microseconds since 1970-01-01T00:00:00 UTC; None for a naive value.
    pub fn unix_micros(&self) -> Option<i64> {
        let offset = self.offset?;
        let days = days_from_civil(i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let seconds = i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second);
        Some(days * MICROS_PER_DAY + seconds * MICROS_PER_SECOND + i64::from(self.microsecond) - offset)
    }

    /// The UTC instant with offset +00:00, from microseconds since the epoch; None if out of Python's range (years 1..=9999).
    pub fn from_unix_micros(us: i64) -> Option<Timestamp> {
        let days = us.div_euclid(MICROS_PER_DAY);
        let in_day = us.rem_euclid(MICROS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        if !(1..=9999).contains(&year) {
            return None;
        }
        let seconds = in_day / MICROS_PER_SECOND;
        Some(Timestamp {
            year: u16::try_from(year).ok()?,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
            hour: u8::try_from(seconds / 3600).ok()?,
            minute: u8::try_from(seconds / 60 % 60).ok()?,
            second: u8::try_from(seconds % 60).ok()?,
            microsecond: u32::try_from(in_day % MICROS_PER_SECOND).ok()?,
            offset: Some(0),
        })
    }

    /// The year, 1..=9999.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1..=31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// The hour, 0..=23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, 0..=59.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// The second, 0..=59.
    pub fn second(&self) -> u8 {
        self.second
    }

    /// The microsecond, 0..=999_999.
    pub fn microsecond(&self) -> u32 {
        self.microsecond
    }

    /// The UTC offset in microseconds (strictly within ±24h, negative west of UTC);
    /// `None` when naive.
    pub fn offset_micros(&self) -> Option<i64> {
        self.offset
    }
}

#[cfg(test)]
mod epoch_tests {
    use super::*;

    #[test]
    fn epoch_and_saturation() {
        assert_eq!(Timestamp::UNIX_EPOCH.unix_micros(), Some(0));
        assert_eq!(Timestamp::from_unix_micros(0), Some(Timestamp::UNIX_EPOCH));
        assert_eq!(Timestamp::from_unix_micros_saturating(i64::MAX).isoformat(), "9999-12-31T23:59:59.999999+00:00");
        assert_eq!(Timestamp::from_unix_micros_saturating(i64::MIN).isoformat(), "0001-01-01T00:00:00+00:00");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected result of parsing: `Ok((isoformat(), unix micros))` or `Err(message)`.
    type Expected = Result<(&'static str, Option<i64>), &'static str>;

    /// Inputs and what python3.11's `datetime.fromisoformat` (the C implementation)
    /// made of them: `d.isoformat()` and `(d - epoch) // timedelta(microseconds=1)`
    /// (None when naive), or `str(ValueError)`. Generated by running python3.
    const CASES: &[(&str, Expected)] = &[
        ("2026-11-24T10:09:33.230703+00:00", Ok(("2026-11-24T10:09:33.230703+00:00", Some(1795514973230703)))),
        ("2026-11-24T10:09:33+00:00", Ok(("2026-11-24T10:09:33+00:00", Some(1795514973000000)))),
        ("2026-11-24T10:09:33Z", Ok(("2026-11-24T10:09:33+00:00", Some(1795514973000000)))),
        ("2026-11-24T10:09:33.5+01:00", Ok(("2026-11-24T10:09:33.500000+01:00", Some(1795511373500000)))),
        ("2026-11-24T10:09:33.1234567+00:00", Ok(("2026-11-24T10:09:33.123456+00:00", Some(1795514973123456)))),
        ("2026-11-24 10:09:33", Ok(("2026-11-24T10:09:33", None))),
        ("2099-01-01", Ok(("2099-01-01T00:00:00", None))),
        ("2026-11-24T10:09:33-05:30", Ok(("2026-11-24T10:09:33-05:30", Some(1795534773000000)))),
        ("20261124T100933Z", Ok(("2026-11-24T10:09:33+00:00", Some(1795514973000000)))),
        ("2026-W48-2T10:00Z", Ok(("2026-11-24T10:00:00+00:00", Some(1795514400000000)))),
        ("2099-12-31T23:59:59+00:00", Ok(("2099-12-31T23:59:59+00:00", Some(4102444799000000)))),
        ("2001-01-01T00:00:00+00:00", Ok(("2001-01-01T00:00:00+00:00", Some(978307200000000)))),
        ("2099-01-01T00:00:00+05:00", Ok(("2099-01-01T00:00:00+05:00", Some(4070890800000000)))),
        ("2026-11-24T10:09:33.000000+00:00", Ok(("2026-11-24T10:09:33+00:00", Some(1795514973000000)))),
        ("2026-11-24T10:09:33,25+00:00", Ok(("2026-11-24T10:09:33.250000+00:00", Some(1795514973250000)))),
        ("2026-11-24T10:09:33.999999999Z", Ok(("2026-11-24T10:09:33.999999+00:00", Some(1795514973999999)))),
        ("2026-11-24T10", Ok(("2026-11-24T10:00:00", None))),
        ("2026-11-24T10:09", Ok(("2026-11-24T10:09:00", None))),
        ("2026-11-24T1009", Ok(("2026-11-24T10:09:00", None))),
        ("2026-11-24T100933.5", Ok(("2026-11-24T10:09:33.500000", None))),
        ("2026-11-24t10:09:33", Ok(("2026-11-24T10:09:33", None))),
        ("2026-11-24x10:09:33", Ok(("2026-11-24T10:09:33", None))),
        ("2026-11-24\u{e9}10:09:33", Ok(("2026-11-24T10:09:33", None))),
        ("2026-11-24\u{1f600}10:09:33Z", Ok(("2026-11-24T10:09:33+00:00", Some(1795514973000000)))),
        ("2026-11-24510:09", Ok(("2026-11-24T10:09:00", None))),
        ("2026-11-24T10:09:33+05:30:15", Ok(("2026-11-24T10:09:33+05:30:15", Some(1795495158000000)))),
        ("2026-11-24T10:09:33+053015", Ok(("2026-11-24T10:09:33+05:30:15", Some(1795495158000000)))),
        ("2026-11-24T10:09:33+05:30:15.25", Ok(("2026-11-24T10:09:33+05:30:15.250000", Some(1795495157750000)))),
        ("2026-11-24T10:09:33-05:30:15.000001", Ok(("2026-11-24T10:09:33-05:30:15.000001", Some(1795534788000001)))),
        ("2026-11-24T10:09:33+0530", Ok(("2026-11-24T10:09:33+05:30", Some(1795495173000000)))),
        ("2026-11-24T10:09:33+05", Ok(("2026-11-24T10:09:33+05:00", Some(1795496973000000)))),
        ("2026-11-24T10:09:33+23:59", Ok(("2026-11-24T10:09:33+23:59", Some(1795428633000000)))),
        ("2026-11-24T10:09:33-23:59", Ok(("2026-11-24T10:09:33-23:59", Some(1795601313000000)))),
        ("2026-11-24T10:09:33+23:59:59.999999", Ok(("2026-11-24T10:09:33+23:59:59.999999", Some(1795428573000001)))),
        ("2026-11-24T10:09:33-00:00", Ok(("2026-11-24T10:09:33+00:00", Some(1795514973000000)))),
        ("2026-11-24T10:09:33+00:00:00.5", Ok(("2026-11-24T10:09:33+00:00", Some(1795514973000000)))),
        ("2026-11-24T10:09:33+00:99", Ok(("2026-11-24T10:09:33+01:39", Some(1795509033000000)))),
        ("2026-W48", Ok(("2026-11-23T00:00:00", None))),
        ("2026W48", Ok(("2026-11-23T00:00:00", None))),
        ("2026W482", Ok(("2026-11-24T00:00:00", None))),
        ("2026-W48-2", Ok(("2026-11-24T00:00:00", None))),
        ("2020-W53-7", Ok(("2021-01-03T00:00:00", None))),
        ("2026-W01-1T00:00:00+00:00", Ok(("2025-12-29T00:00:00+00:00", Some(1766966400000000)))),
        ("2024-02-29T00:00:00+00:00", Ok(("2024-02-29T00:00:00+00:00", Some(1709164800000000)))),
        ("0001-01-01T00:00:00+00:00", Ok(("0001-01-01T00:00:00+00:00", Some(-62135596800000000)))),
        ("9999-12-31T23:59:59.999999+00:00", Ok(("9999-12-31T23:59:59.999999+00:00", Some(253402300799999999)))),
        ("0001-01-01T00:00:00+01:00", Ok(("0001-01-01T00:00:00+01:00", Some(-62135600400000000)))),
        ("9999-12-31T23:59:59-01:00", Ok(("9999-12-31T23:59:59-01:00", Some(253402304399000000)))),
        ("1969-12-31T23:59:59.999999Z", Ok(("1969-12-31T23:59:59.999999+00:00", Some(-1)))),
        ("1970-01-01T00:00:00Z", Ok(("1970-01-01T00:00:00+00:00", Some(0)))),
        ("2026-11-24T10.5", Ok(("2026-11-24T10:00:00.500000", None))),
        ("2026-11-24T10:00:00:5", Ok(("2026-11-24T10:00:00.500000", None))),
        ("2026-11-24T1000001234", Ok(("2026-11-24T10:00:00.123400", None))),
        ("2026-11-24T10x+05:00", Ok(("2026-11-24T10:00:00+05:00", Some(1795496400000000)))),
        ("2026-11-24T10:+05:00", Ok(("2026-11-24T10:00:00+05:00", Some(1795496400000000)))),
        ("2026-11-24T10:00:00.1234567x+05:00", Ok(("2026-11-24T10:00:00.123456+05:00", Some(1795496400123456)))),
        ("2026-11-24T10:09:33Z\u{0}", Ok(("2026-11-24T10:09:33+00:00", Some(1795514973000000)))),
        ("2026-11-24T10:09:33\u{0}", Ok(("2026-11-24T10:09:33", None))),
        ("not a date", Err("Invalid isoformat string: 'not a date'")),
        ("", Err("Invalid isoformat string: ''")),
        ("2026", Err("Invalid isoformat string: '2026'")),
        ("2026-1", Err("Invalid isoformat string: '2026-1'")),
        ("2026-11-24T", Err("Invalid isoformat string: '2026-11-24T'")),
        ("2026-11-24T10:09:33Zjunk", Err("Invalid isoformat string: '2026-11-24T10:09:33Zjunk'")),
        ("2026-11-24T10:09:33+00:00 ", Err("Invalid isoformat string: '2026-11-24T10:09:33+00:00 '")),
        (" 2026-11-24T10:09:33+00:00", Err("Invalid isoformat string: ' 2026-11-24T10:09:33+00:00'")),
        ("2026-11-24T10:09:33+00:00\u{a}", Err("Invalid isoformat string: '2026-11-24T10:09:33+00:00\\n'")),
        ("2026-11-24T10:09:33 +00:00", Ok(("2026-11-24T10:09:33+00:00", Some(1795514973000000)))),
        ("\u{662}\u{660}\u{662}\u{666}-11-24", Err("Invalid isoformat string: '\u{662}\u{660}\u{662}\u{666}-11-24'")),
        ("2026-11-24T\u{661}\u{660}:09", Err("Invalid isoformat string: '2026-11-24T\u{661}\u{660}:09'")),
        ("\u{ff12}\u{ff10}\u{ff12}\u{ff16}-11-24", Err("Invalid isoformat string: '\u{ff12}\u{ff10}\u{ff12}\u{ff16}-11-24'")),
        ("2026-11-24T10:09:33+0", Err("Invalid isoformat string: '2026-11-24T10:09:33+0'")),
        ("2026-11-24T10:09:33+", Err("Invalid isoformat string: '2026-11-24T10:09:33+'")),
        ("2026-11-24T10:09:33+05:", Err("Invalid isoformat string: '2026-11-24T10:09:33+05:'")),
        ("2026-11-24T10:09:33.+00:00x", Err("Invalid isoformat string: '2026-11-24T10:09:33.+00:00x'")),
        ("2026-11-24T10:9:33", Err("Invalid isoformat string: '2026-11-24T10:9:33'")),
        ("2026-11-24T1:09", Err("Invalid isoformat string: '2026-11-24T1:09'")),
        ("2026-11-24T10:0933", Err("Invalid isoformat string: '2026-11-24T10:0933'")),
        ("2026-11-24T10:09:33.", Err("Invalid isoformat string: '2026-11-24T10:09:33.'")),
        ("2026-11-24T10:09:33.12a", Err("Invalid isoformat string: '2026-11-24T10:09:33.12a'")),
        ("2026-1124", Err("Invalid isoformat string: '2026-1124'")),
        ("202611-24", Err("Invalid isoformat string: '202611-24'")),
        ("2026-W48-", Err("Invalid isoformat string: '2026-W48-'")),
        ("2026-W482", Err("Invalid isoformat string: '2026-W482'")),
        ("2026W48-2", Err("Invalid isoformat string: '2026W48-2'")),
        ("2026-W00-1", Err("Invalid isoformat string: '2026-W00-1'")),
        ("2026-W53-1", Ok(("2026-12-28T00:00:00", None))),
        ("2026-W48-8", Err("Invalid isoformat string: '2026-W48-8'")),
        ("2026-W48-0", Err("Invalid isoformat string: '2026-W48-0'")),
        ("2026-11-24T10:09:33+00:00\u{0}x", Err("Invalid isoformat string: '2026-11-24T10:09:33+00:00\\x00x'")),
        ("it's", Err("Invalid isoformat string: \"it's\"")),
        ("2026-11-24T10:09:33\u{0}junk", Err("Invalid isoformat string: '2026-11-24T10:09:33\\x00junk'")),
        ("2026/11/24", Err("Invalid isoformat string: '2026/11/24'")),
        ("2026-11-24T10:09:33ZZ", Err("Invalid isoformat string: '2026-11-24T10:09:33ZZ'")),
        ("2026-13-01T00:00:00+00:00", Err("month must be in 1..12")),
        ("2026-00-10", Err("month must be in 1..12")),
        ("2026-02-29T00:00:00+00:00", Err("day is out of range for month")),
        ("2026-04-31", Err("day is out of range for month")),
        ("2026-11-00", Err("day is out of range for month")),
        ("0000-01-01T00:00:00+00:00", Err("year 0 is out of range")),
        ("0000-W01-1", Err("month must be in 1..12")),
        ("9999-W52-6", Err("year 10000 is out of range")),
        ("2026-11-24T24:00", Err("hour must be in 0..23")),
        ("2026-11-24T24:00:00+00:00", Err("hour must be in 0..23")),
        ("2026-11-24T10:60", Err("minute must be in 0..59")),
        ("2026-11-24T10:09:60", Err("second must be in 0..59")),
        ("2026-11-24T10:09:33+24:00", Err("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=1).")),
        ("2026-11-24T10:09:33-24:00", Err("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=-1).")),
        ("2026-11-24T10:09:33+24:00:00.000001", Err("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=1, microseconds=1).")),
        ("2026-11-24T10:09:33-99:99:99.999999", Err("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=-5, seconds=69560, microseconds=1).")),
        ("2026-11-24T10:09:33+23:60", Err("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=1).")),
        ("2026-13-01T24:00+24:00", Err("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=1).")),
        ("2026-02-30T25:00", Err("day is out of range for month")),
    ];

    #[test]
    fn parse_matches_python() {
        assert!(CASES.len() >= 60);
        for (input, expected) in CASES {
            match (Timestamp::parse_isoformat(input), expected) {
                (Ok(t), Ok((iso, micros))) => {
                    assert_eq!(t.isoformat(), *iso, "isoformat of {input:?}");
                    assert_eq!(t.unix_micros(), *micros, "unix_micros of {input:?}");
                    assert_eq!(t.is_aware(), micros.is_some(), "is_aware of {input:?}");
                }
                (Err(e), Err(message)) => {
                    assert_eq!(e.message(), *message, "message for {input:?}");
                    assert_eq!(e.to_string(), *message);
                    assert_eq!(e.code(), "INVALID_TIMESTAMP");
                }
                (got, _) => panic!("{input:?}: got {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn isoformat_round_trips() {
        for (input, expected) in CASES {
            if expected.is_ok() {
                let t = Timestamp::parse_isoformat(input).unwrap();
                let again = Timestamp::parse_isoformat(&t.isoformat()).unwrap();
                assert_eq!(again, t, "{input:?}");
                assert_eq!(again.isoformat(), t.isoformat());
            }
        }
    }

    #[test]
    fn wall_time_z_keeps_local_fields() {
        let cases = [
            ("2026-11-24T10:09:33.5+01:00", "2026-11-24T10:09:33Z"),
            ("2026-11-24T10:09:33-05:30", "2026-11-24T10:09:33Z"),
            ("2026-11-24T10:09:33.230703+00:00", "2026-11-24T10:09:33Z"),
            ("2026-11-24 10:09:33", "2026-11-24T10:09:33Z"),
            ("0001-01-01", "0001-01-01T00:00:00Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(Timestamp::parse_isoformat(input).unwrap().wall_time_z(), expected);
        }
    }

    #[test]
    fn accessors() {
        let t = Timestamp::parse_isoformat("2026-11-24T10:09:33.5-05:30:15.25").unwrap();
        assert_eq!(
            (t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second(), t.microsecond()),
            (2026, 11, 24, 10, 9, 33, 500_000)
        );
        assert_eq!(t.offset_micros(), Some(-(5 * 3600 + 30 * 60 + 15) * 1_000_000 - 250_000));
        assert!(t.is_aware());
        assert_eq!(t.isoformat(), "2026-11-24T10:09:33.500000-05:30:15.250000");
        let naive = Timestamp::parse_isoformat("2026-11-24T10:09:33").unwrap();
        assert_eq!(naive.offset_micros(), None);
        assert!(!naive.is_aware());
        assert_eq!(naive.unix_micros(), None);
    }

    #[test]
    fn from_unix_micros_matches_python() {
        // (micros, Python isoformat of epoch + timedelta(microseconds=micros)).
        let cases = [
            (0, "1970-01-01T00:00:00+00:00"),
            (-1, "1969-12-31T23:59:59.999999+00:00"),
            (1, "1970-01-01T00:00:00.000001+00:00"),
            (1_795_514_973_230_703, "2026-11-24T10:09:33.230703+00:00"),
            (951_782_400_000_000, "2000-02-29T00:00:00+00:00"),
            (-62_135_596_800_000_000, "0001-01-01T00:00:00+00:00"),
            (253_402_300_799_999_999, "9999-12-31T23:59:59.999999+00:00"),
            (4_102_444_799_000_000, "2099-12-31T23:59:59+00:00"),
            (-86_400_000_000, "1969-12-31T00:00:00+00:00"),
            (1_234_567_890_123_456, "2009-02-13T23:31:30.123456+00:00"),
        ];
        for (us, iso) in cases {
            let t = Timestamp::from_unix_micros(us).unwrap();
            assert_eq!(t.isoformat(), iso);
            assert_eq!(t.unix_micros(), Some(us));
            assert_eq!(t.offset_micros(), Some(0));
            assert_eq!(Timestamp::parse_isoformat(iso).unwrap(), t);
        }
        for us in [-62_135_596_800_000_001, 253_402_300_800_000_000, i64::MIN, i64::MAX] {
            assert_eq!(Timestamp::from_unix_micros(us), None, "{us}");
        }
    }

    #[test]
    fn unix_micros_round_trips_through_utc() {
        for (input, expected) in CASES {
            if let Ok((_, Some(us))) = expected {
                let t = Timestamp::parse_isoformat(input).unwrap();
                assert_eq!(t.unix_micros(), Some(*us));
                match Timestamp::from_unix_micros(*us) {
                    Some(utc) => assert_eq!(utc.unix_micros(), Some(*us), "{input:?}"),
                    // Its UTC instant falls outside years 1..=9999 (Python would raise
                    // OverflowError converting it with astimezone(timezone.utc)).
                    None => {
                        assert!(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"].contains(input), "{input:?}")
                    }
                }
            }
        }
        // Same instant, different offsets: structurally different, same micros.
        let a = Timestamp::parse_isoformat("2026-11-24T10:09:33+01:00").unwrap();
        let b = Timestamp::parse_isoformat("2026-11-24T09:09:33Z").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.unix_micros(), b.unix_micros());
    }

    #[test]
    fn timedelta_repr_matches_python() {
        assert_eq!(timedelta_repr(0), "datetime.timedelta(0)");
        assert_eq!(timedelta_repr(MICROS_PER_DAY), "datetime.timedelta(days=1)");
        assert_eq!(timedelta_repr(-1), "datetime.timedelta(days=-1, seconds=86399, microseconds=999999)");
        assert_eq!(timedelta_repr(90 * MICROS_PER_SECOND), "datetime.timedelta(seconds=90)");
    }

    /// A small deterministic xorshift generator for the no-panic test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn never_panics_on_random_and_mutated_input() {
        const ALPHABET: &[char] = &[
            '0',
            '1',
            '2',
            '3',
            '4',
            '5',
            '6',
            '7',
            '8',
            '9',
            '0',
            '1',
            '2',
            '5',
            '9',
            '-',
            ':',
            '.',
            ',',
            'W',
            'T',
            'Z',
            '+',
            ' ',
            'x',
            '\0',
            '\u{e9}',
            '\u{1f600}',
            '\u{4e2d}',
            '\u{660}',
            '\u{80}',
            '\'',
            '"',
            '\\',
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut parsed = 0;
        for round in 0..60_000 {
            let mut chars: Vec<char> = if round % 3 == 0 {
                (0..rng.below(24)).map(|_| ALPHABET[rng.below(ALPHABET.len())]).collect()
            } else {
                CASES[rng.below(CASES.len())].0.chars().collect()
            };
            for _ in 0..rng.below(4) {
                let pos = rng.below(chars.len() + 1);
                match rng.below(3) {
                    0 if pos < chars.len() => {
                        chars.remove(pos);
                    }
                    1 if pos < chars.len() => chars[pos] = ALPHABET[rng.below(ALPHABET.len())],
                    _ => chars.insert(pos, ALPHABET[rng.below(ALPHABET.len())]),
                }
            }
            let input: String = chars.into_iter().collect();
            match Timestamp::parse_isoformat(&input) {
                Ok(t) => {
                    parsed += 1;
                    assert!((1..=9999).contains(&t.year()));
                    assert!((1..=12).contains(&t.month()));
                    assert!(
                        t.day() >= 1 && i64::from(t.day()) <= days_in_month(i64::from(t.year()), i64::from(t.month()))
                    );
                    assert!(t.hour() <= 23 && t.minute() <= 59 && t.second() <= 59);
                    assert!(t.microsecond() <= 999_999);
                    if let Some(off) = t.offset_micros() {
                        assert!(off.abs() < MICROS_PER_DAY);
                    }
                    let again = Timestamp::parse_isoformat(&t.isoformat()).unwrap();
                    assert_eq!(again, t);
                    let _ = t.wall_time_z();
                    if let Some(us) = t.unix_micros() {
                        // The UTC instant may fall outside Python's range by a day.
                        if let Some(utc) = Timestamp::from_unix_micros(us) {
                            assert_eq!(utc.unix_micros(), Some(us));
                        }
                    }
                }
                Err(e) => assert!(!e.message().is_empty()),
            }
        }
        assert!(parsed > 1_000, "only {parsed} inputs parsed");
    }
}
