//! The injected clock and id source of the run engine, with the real defaults (system
//! time, OS-seeded UUIDv4) and deterministic ones for tests and vectors.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use attest_verify::Timestamp;

/// Where the engine reads the time.
///
/// `now` gives wall-clock readings for `created_at`, event `ts` and `exported_at`
/// (written with millisecond precision, `YYYY-MM-DDTHH:MM:SS.sssZ`, as nexus-router's
/// SQLite store does); `monotonic` measures tool-call durations (`duration_ms`).
pub trait Clock: Send + Sync {
    /// The current wall-clock time.
    fn now(&self) -> Timestamp;

    /// A monotonic reading (from an arbitrary origin); only differences are used.
    fn monotonic(&self) -> Duration;
}

/// The system clock: [`std::time::SystemTime`] and [`std::time::Instant`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_micros_saturating(attest_verify::verify::system_now_micros())
    }

    fn monotonic(&self) -> Duration {
        monotonic_origin().elapsed()
    }
}

fn monotonic_origin() -> std::time::Instant {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *ORIGIN.get_or_init(std::time::Instant::now)
}

/// A clock that starts at a given time and advances by a fixed step after every wall
/// reading; its monotonic reading never moves (every `duration_ms` is 0).
///
/// `SteppingClock::new(t0, 1)` reproduces the worked example of the specification:
/// `created_at` = t0, then one millisecond more for each event.
#[derive(Debug)]
pub struct SteppingClock {
    next_micros: AtomicI64,
    step_micros: i64,
}

impl SteppingClock {
    /// Start at `start` and advance `step_millis` milliseconds after each reading.
    pub fn new(start: Timestamp, step_millis: i64) -> SteppingClock {
        SteppingClock {
            next_micros: AtomicI64::new(start.unix_micros().unwrap_or(0)),
            step_micros: step_millis.saturating_mul(1000),
        }
    }

    /// A clock that always answers `at`.
    pub fn fixed(at: Timestamp) -> SteppingClock {
        SteppingClock::new(at, 0)
    }
}

impl Clock for SteppingClock {
    fn now(&self) -> Timestamp {
        let us = self.next_micros.fetch_add(self.step_micros, Ordering::Relaxed);
        Timestamp::from_unix_micros_saturating(us)
    }

    fn monotonic(&self) -> Duration {
        Duration::ZERO
    }
}

/// Where the engine draws run ids, event ids and provenance ids (lower-case hyphenated
/// UUIDv4 strings by default).
///
/// Draw order, as in nexus-router 1.1.1: the run id, then one id per event in order,
/// except that a provenance id is drawn just before the `PROVENANCE_EMITTED` event's id.
pub trait IdSource: Send + Sync {
    /// A fresh identifier.
    fn next_id(&self) -> String;
}

/// Random UUIDv4 identifiers from a generator seeded once from the operating system.
///
/// The generator is SplitMix64 over a 64-bit state seeded from `/dev/urandom` (falling
/// back to std's per-process random hash keys and the clock): ids are unique and
/// unpredictable enough for run identifiers, which are not secrets, and cost no system
/// call per id.
#[derive(Debug)]
pub struct RandomIds {
    state: AtomicU64,
}

impl Default for RandomIds {
    fn default() -> RandomIds {
        RandomIds::new()
    }
}

impl RandomIds {
    /// A generator seeded from the operating system.
    pub fn new() -> RandomIds {
        RandomIds { state: AtomicU64::new(os_seed()) }
    }

    /// A generator with a fixed seed (reproducible ids).
    pub fn seeded(seed: u64) -> RandomIds {
        RandomIds { state: AtomicU64::new(seed) }
    }

    fn next_u64(&self) -> u64 {
        let s = self.state.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl IdSource for RandomIds {
    fn next_id(&self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&hi.to_be_bytes());
        b[8..].copy_from_slice(&lo.to_be_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        format_uuid(&b)
    }
}

fn os_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::io::Read;
    let mut buf = [0u8; 8];
    let from_os = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).is_ok();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(attest_verify::verify::system_now_micros());
    h.write_u32(std::process::id());
    let mixed = h.finish();
    if from_os {
        u64::from_le_bytes(buf) ^ mixed.rotate_left(17)
    } else {
        mixed
    }
}

fn format_uuid(b: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(char::from(HEX[usize::from(byte >> 4)]));
        s.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    s
}

/// Counting identifiers `00000000-0000-4000-8000-000000000001`, `...002`, ...: valid
/// UUIDv4 spellings, as in the worked example of the specification.
#[derive(Debug, Default)]
pub struct CountingIds {
    next: AtomicU64,
}

impl CountingIds {
    /// Start at 1.
    pub fn new() -> CountingIds {
        CountingIds { next: AtomicU64::new(1) }
    }
}

impl IdSource for CountingIds {
    fn next_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("00000000-0000-4000-8000-{:012}", n % 1_000_000_000_000)
    }
}

/// Recorded identifiers answered in order; counting ones (see [`CountingIds`]) once
/// they run out.
#[derive(Debug, Default)]
pub struct RecordedIds {
    ids: Mutex<std::collections::VecDeque<String>>,
    fallback: CountingIds,
}

impl RecordedIds {
    /// Identifiers answered in order.
    pub fn new(ids: impl IntoIterator<Item = String>) -> RecordedIds {
        RecordedIds { ids: Mutex::new(ids.into_iter().collect()), fallback: CountingIds::new() }
    }
}

impl IdSource for RecordedIds {
    fn next_id(&self) -> String {
        let next = match self.ids.lock() {
            Ok(mut q) => q.pop_front(),
            Err(poisoned) => poisoned.into_inner().pop_front(),
        };
        next.unwrap_or_else(|| self.fallback.next_id())
    }
}

/// nexus-router's timestamp text: UTC, millisecond precision, `YYYY-MM-DDTHH:MM:SS.sssZ`
/// (SQLite's `strftime('%Y-%m-%dT%H:%M:%fZ','now')`). A naive time is taken as UTC.
pub fn router_timestamp(t: &Timestamp) -> String {
    let utc = match (t.offset_micros(), t.unix_micros()) {
        (Some(0) | None, _) | (_, None) => *t,
        (Some(_), Some(us)) => Timestamp::from_unix_micros_saturating(us),
    };
    let mut s = String::with_capacity(24);
    push_digits(&mut s, u32::from(utc.year()), 4);
    for (sep, n) in [('-', utc.month()), ('-', utc.day()), ('T', utc.hour()), (':', utc.minute()), (':', utc.second())]
    {
        s.push(sep);
        push_digits(&mut s, u32::from(n), 2);
    }
    s.push('.');
    push_digits(&mut s, utc.microsecond() / 1000, 3);
    s.push('Z');
    s
}

/// Append `n` as exactly `width` decimal digits (zero-padded, higher digits dropped).
fn push_digits(s: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        let digit = n / 10u32.pow(i) % 10;
        s.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_uuid_v4() {
        let ids = RandomIds::new();
        let a = ids.next_id();
        let b = ids.next_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert!(a.bytes().all(|c| c == b'-' || c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
    }

    #[test]
    fn counting_ids_and_stepping_clock_follow_the_worked_example() {
        let ids = CountingIds::new();
        assert_eq!(ids.next_id(), "00000000-0000-4000-8000-000000000001");
        let t0 = Timestamp::parse_isoformat("2025-01-01T00:00:00+00:00").unwrap();
        let c = SteppingClock::new(t0, 1);
        assert_eq!(router_timestamp(&c.now()), "2025-01-01T00:00:00.000Z");
        assert_eq!(router_timestamp(&c.now()), "2025-01-01T00:00:00.001Z");
        assert_eq!(c.monotonic(), Duration::ZERO);
    }

    #[test]
    fn router_timestamps_convert_to_utc_and_truncate() {
        let t = Timestamp::parse_isoformat("2026-11-24T11:09:33.262999+01:00").unwrap();
        assert_eq!(router_timestamp(&t), "2026-11-24T10:09:33.262Z");
    }

    #[test]
    fn recorded_ids_fall_back_to_counting() {
        let ids = RecordedIds::new(["a".to_owned()]);
        assert_eq!(ids.next_id(), "a");
        assert_eq!(ids.next_id(), "00000000-0000-4000-8000-000000000001");
    }
}
