//! `cargo xtask bench [--quick] [--json]`: builds the workload benchmark
//! (`crates/nexus-attest-bench`) in release and runs it, passing the flags through. xtask
//! itself runs in debug; the workloads must not.

use std::process::{Command, ExitCode};

use crate::workspace_root;

/// The flags the benchmark binary accepts.
const FLAGS: [&str; 4] = ["--quick", "--json", "--help", "-h"];

pub(crate) fn main(args: &[String]) -> ExitCode {
    if let Some(bad) = args.iter().find(|a| !FLAGS.contains(&a.as_str())) {
        eprintln!("unknown argument `{bad}`\nusage: cargo xtask bench [--quick] [--json]");
        return ExitCode::from(2);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["run", "--release", "-p", "nexus-attest-bench", "--"])
        .args(args)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("xtask bench: the benchmark failed ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("xtask bench: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
