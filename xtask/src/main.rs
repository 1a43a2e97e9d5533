//! Project chores: `cargo xtask vectors` runs the golden vectors, `cargo xtask tidy`
//! checks the crate layering.

#![allow(clippy::print_stdout, reason = "a command-line tool")]

mod bench;
mod demo;
mod flows;
mod tidy;
mod vectors;
mod witness;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  cargo xtask vectors [--dir DIR] [--json]   run every golden vector case the workspace implements
  cargo xtask tidy                           check crate layering (dependency edges)
  cargo xtask demo                           build an example audit package and verify it with the CLI
  cargo xtask bench [--quick] [--json]       run the workloads W1–W6 (release build, SQLite files in a temp dir)";

/// The workspace root (the parent of this crate's directory).
pub(crate) fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("vectors") => {
            let mut dir = workspace_root().join("..").join("shared").join("vectors");
            let mut json = false;
            while let Some(a) = args.next() {
                match a.as_str() {
                    "--json" => json = true,
                    "--dir" => match args.next() {
                        Some(d) => dir = PathBuf::from(d),
                        None => {
                            eprintln!("--dir needs a directory\n{USAGE}");
                            return ExitCode::from(2);
                        }
                    },
                    other => {
                        eprintln!("unknown argument `{other}`\n{USAGE}");
                        return ExitCode::from(2);
                    }
                }
            }
            vectors::main(&dir, json)
        }
        Some("tidy") => tidy::main(),
        Some("demo") => demo::main(),
        Some("bench") => bench::main(&args.collect::<Vec<_>>()),
        Some("--help" | "-h" | "help") | None => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("unknown command `{other}`\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
