//! The report: one JSON object with the keys of WORKLOADS.md (plus `notes` and a few
//! extra keys), or markdown tables with the original's figures beside ours.

use nexus_attest::verify::canonical;
use nexus_attest::verify::json::{Number, Value};

use crate::setup::obj;
use crate::w1::W1;
use crate::w2::W2;
use crate::w3::W3;
use crate::w4::W4;
use crate::w5::W5;
use crate::w6::{W6b, W6};

/// A figure rounded to 4 decimal places (0 when not finite).
pub(crate) fn num(x: f64) -> Value {
    let r = if x.is_finite() { (x * 1e4).round() / 1e4 } else { 0.0 };
    Value::Number(Number::from_f64(r))
}

/// Where the numbers come from.
#[derive(Debug)]
pub(crate) struct Machine {
    pub(crate) nproc: usize,
    pub(crate) cpu: String,
}

impl Machine {
    pub(crate) fn detect() -> Machine {
        let nproc = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_default();
        Machine { nproc, cpu }
    }

    fn to_value(&self) -> Value {
        obj(vec![
            ("nproc", Value::int(i64::try_from(self.nproc).unwrap_or(i64::MAX))),
            ("rustc", Value::str(env!("NEXUS_ATTEST_BENCH_RUSTC"))),
            ("profile", Value::str(if cfg!(debug_assertions) { "debug" } else { "release" })),
            ("cpu", Value::str(self.cpu.as_str())),
            ("os", Value::str(std::env::consts::OS)),
        ])
    }
}

/// Everything one run measured.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) machine: Machine,
    pub(crate) quick: bool,
    pub(crate) w1: W1,
    pub(crate) w2: W2,
    pub(crate) w3: W3,
    pub(crate) w4: W4,
    pub(crate) w5: W5,
    pub(crate) w6: W6,
    pub(crate) w6b: W6b,
    pub(crate) notes: Vec<String>,
    pub(crate) elapsed_s: f64,
}

impl Report {
    pub(crate) fn to_value(&self) -> Value {
        obj(vec![
            ("machine", self.machine.to_value()),
            ("w1", self.w1.to_value()),
            ("w2", self.w2.to_value()),
            ("w3", self.w3.to_value()),
            ("w4", self.w4.to_value()),
            ("w5", self.w5.to_value()),
            ("w6", self.w6.to_value()),
            ("w6b", self.w6b.to_value()),
            ("notes", Value::Array(self.notes.iter().map(|n| Value::str(n.as_str())).collect())),
            ("mode", Value::str(if self.quick { "quick" } else { "full" })),
            ("elapsed_s", num(self.elapsed_s)),
        ])
    }

    /// The JSON text (two-space indentation, keys in the order above).
    pub(crate) fn to_json(&self) -> String {
        canonical::to_display_string(&self.to_value(), Some(2))
    }

    /// Markdown tables, one per workload, with the original's figures (WORKLOADS.md).
    pub(crate) fn to_table(&self) -> String {
        let mut t = Table::default();
        let m = &self.machine;
        t.text.push_str(&format!(
            "Nexus Attest workloads ({} run, {:.0} s): {} cores, {}, {}, {} profile\n",
            if self.quick { "quick" } else { "full" },
            self.elapsed_s,
            m.nproc,
            m.cpu,
            env!("NEXUS_ATTEST_BENCH_RUSTC"),
            if cfg!(debug_assertions) { "debug" } else { "release" },
        ));
        self.w1.table(&mut t);
        self.w2.table(&mut t);
        self.w3.table(&mut t);
        self.w4.table(&mut t);
        self.w5.table(&mut t);
        self.w6.table(&mut t);
        self.w6b.table(&mut t);
        t.text.push_str("\nNotes:\n");
        for n in &self.notes {
            t.text.push_str(&format!("- {n}\n"));
        }
        t.text
    }
}

/// A markdown table per section: what, ours, the original's figure.
#[derive(Debug, Default)]
pub(crate) struct Table {
    text: String,
}

impl Table {
    pub(crate) fn section(&mut self, title: &str) {
        self.text.push_str(&format!("\n### {title}\n\n| what | Rust | original |\n|---|---:|---:|\n"));
    }

    pub(crate) fn row(&mut self, what: &str, ours: String, original: &str) {
        self.text.push_str(&format!("| {what} | {ours} | {original} |\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_rounded_floats() {
        assert_eq!(canonical::to_display_string(&num(1.234_56), None), "1.2346");
        assert_eq!(canonical::to_display_string(&num(f64::NAN), None), "0.0");
        assert_eq!(canonical::to_display_string(&num(3.0), None), "3.0");
    }
}
