//! Test helper, not a tool: tries to open a redb store and prints the outcome.
//!
//! `attest-store-redb-probe <path>` prints `OK` and exits 0 when the store opens, or
//! prints the error's stable code (e.g. `STORE_LOCKED`) on stdout and its message on
//! stderr and exits 1. The crate's tests run it as a second OS process to check the
//! single-process rule.

use std::process::ExitCode;

use attest_store_redb::RedbStore;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: attest-store-redb-probe <path>");
        return ExitCode::from(2);
    };
    match RedbStore::open_default(&path) {
        Ok(_) => {
            println!("OK");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{}", e.code());
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
