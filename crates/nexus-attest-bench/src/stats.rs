//! Medians and repetition budgets: every figure of the report is a median over
//! repetitions, never a single run.

use std::time::{Duration, Instant};

/// The median of `xs` (mean of the middle two for an even count); 0 for none.
pub(crate) fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match (v.get(n / 2), n.checked_sub(1).and_then(|m| v.get(m / 2))) {
        (Some(hi), Some(lo)) if n % 2 == 0 => (hi + lo) / 2.0,
        (Some(mid), _) => *mid,
        _ => 0.0,
    }
}

/// How many repetitions a measurement gets: at least `min`, then more while the time
/// spent stays under `budget`, at most `max`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reps {
    pub(crate) min: usize,
    pub(crate) max: usize,
    pub(crate) budget: Duration,
}

impl Reps {
    pub(crate) fn new(min: usize, max: usize, budget_ms: u64) -> Reps {
        Reps { min, max, budget: Duration::from_millis(budget_ms) }
    }
}

/// Run `f` once untimed (warm-up: page cache, statement cache), then as [`Reps`] says;
/// `f` returns the milliseconds it measured. Returns every sample.
pub(crate) fn sample(reps: Reps, mut f: impl FnMut() -> Result<f64, String>) -> Result<Vec<f64>, String> {
    f()?;
    let start = Instant::now();
    let mut out = Vec::with_capacity(reps.min);
    while out.len() < reps.min || (out.len() < reps.max && start.elapsed() < reps.budget) {
        out.push(f()?);
    }
    Ok(out)
}

/// Rate per second of something that takes `ms` milliseconds; 0 when `ms` is not
/// positive.
pub(crate) fn per_sec(ms: f64) -> f64 {
    if ms > 0.0 {
        1e3 / ms
    } else {
        0.0
    }
}

/// Megabytes (10^6 bytes) per second for `bytes` in `ms` milliseconds.
pub(crate) fn mb_per_sec(bytes: f64, ms: f64) -> f64 {
    if ms > 0.0 {
        bytes / 1e3 / ms
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0]), 3.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn rates() {
        assert_eq!(per_sec(10.0), 100.0);
        assert_eq!(mb_per_sec(5e6, 1000.0), 5.0);
        assert_eq!(per_sec(0.0), 0.0);
    }
}
