//! Where time and identifiers come from: injectable, so recorded flows replay exactly.

use std::collections::VecDeque;
use std::sync::Mutex;

use attest_verify::Timestamp;

/// A source of "now".
pub trait Clock: Send + Sync {
    /// The current time, UTC (offset `+00:00`).
    fn now(&self) -> Timestamp;
}

/// The system clock, microsecond resolution, UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_micros_saturating(attest_verify::verify::system_now_micros())
    }
}

/// A clock that always answers the same time.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// A clock that answers recorded readings in order, then repeats the last one (or falls
/// back to `fallback` when none were recorded).
#[derive(Debug)]
pub struct RecordedClock {
    readings: Mutex<VecDeque<Timestamp>>,
    last: Mutex<Option<Timestamp>>,
}

impl RecordedClock {
    /// A clock that answers `readings` in order.
    pub fn new(readings: impl IntoIterator<Item = Timestamp>) -> RecordedClock {
        RecordedClock { readings: Mutex::new(readings.into_iter().collect()), last: Mutex::new(None) }
    }

    /// Readings not yet answered.
    pub fn remaining(&self) -> usize {
        self.readings.lock().map(|r| r.len()).unwrap_or(0)
    }
}

impl Clock for RecordedClock {
    fn now(&self) -> Timestamp {
        let next = self.readings.lock().ok().and_then(|mut r| r.pop_front());
        let mut last = match self.last.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        match next {
            Some(t) => {
                *last = Some(t);
                t
            }
            None => last.unwrap_or_else(|| SystemClock.now()),
        }
    }
}

/// A source of new identifiers (decision ids; event ids are derived from them).
pub trait IdSource: Send + Sync {
    /// A fresh decision id: a lower-case hyphenated UUIDv4 by default.
    fn new_decision_id(&self) -> String;
}

/// Random UUIDv4 identifiers from the operating system's RNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn new_decision_id(&self) -> String {
        uuid::Uuid::new_v4().hyphenated().to_string()
    }
}

/// Recorded identifiers answered in order; random ones once they run out.
#[derive(Debug, Default)]
pub struct RecordedIds {
    ids: Mutex<VecDeque<String>>,
}

impl RecordedIds {
    /// Identifiers answered in order.
    pub fn new(ids: impl IntoIterator<Item = String>) -> RecordedIds {
        RecordedIds { ids: Mutex::new(ids.into_iter().collect()) }
    }
}

impl IdSource for RecordedIds {
    fn new_decision_id(&self) -> String {
        self.ids.lock().ok().and_then(|mut q| q.pop_front()).unwrap_or_else(|| RandomIds.new_decision_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_utc_and_recent() {
        let t = SystemClock.now();
        assert!(t.is_aware());
        assert!(t.isoformat().ends_with("+00:00"));
        assert!(t.year() >= 2024);
    }

    #[test]
    fn recorded_sources_answer_in_order() {
        let a = Timestamp::parse_isoformat("2026-01-01T00:00:00+00:00").unwrap();
        let b = Timestamp::parse_isoformat("2026-01-01T00:00:01+00:00").unwrap();
        let c = RecordedClock::new([a, b]);
        assert_eq!(c.now(), a);
        assert_eq!(c.now(), b);
        assert_eq!(c.now(), b);
        let ids = RecordedIds::new(["x".to_owned()]);
        assert_eq!(ids.new_decision_id(), "x");
        let r = ids.new_decision_id();
        assert_eq!(uuid::Uuid::parse_str(&r).unwrap().get_version_num(), 4);
        assert_eq!(r, r.to_lowercase());
    }
}
