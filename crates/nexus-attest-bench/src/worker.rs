//! The hidden `worker` subcommand: one of the two OS processes of W6/W6b, writing the
//! shared database file through its own connection.
//!
//! ```text
//! nexus-attest-bench worker flows <db> <n> <tag>
//!     n flows (W1's flow); prints `ok <decision id>` per acknowledged flow and
//!     `err <message>` per failed one
//! nexus-attest-bench worker approve <db> <decision id> <n> <tag>
//!     n approvals of one decision by `human:<tag>-<i>@example.com`; prints `ok <actor id>`
//!     or `err <actor id> <message>`
//! ```
//!
//! Both open the file, print `ready`, wait for one line on stdin (so the two processes
//! start together), do their work and end with `done <milliseconds>`.

use std::io::{BufRead, Write};
use std::time::Instant;

use nexus_attest::verify::json::Value;

use crate::setup::{actor, flow, ms_since, obj, ok, open, FixedRouter};

/// Run the worker described by `args` (the words after `worker`).
pub(crate) fn main(args: &[String]) -> Result<(), String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["flows", db, n, tag] => {
            let n: usize = n.parse().map_err(|e| format!("bad count `{n}`: {e}"))?;
            let db = open(std::path::Path::new(db))?;
            let router = FixedRouter::new();
            let mut out = barrier()?;
            let start = Instant::now();
            for i in 0..n {
                let line = match flow(&db, &router, &format!("W6 flow {tag}-{i}"), false) {
                    Ok(f) => format!("ok {}", f.id),
                    Err(e) => format!("err {}", one_line(&e)),
                };
                writeln!(out, "{line}").map_err(|e| e.to_string())?;
            }
            writeln!(out, "done {:.3}", ms_since(start)).map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())
        }
        ["approve", db, id, n, tag] => {
            let n: usize = n.parse().map_err(|e| format!("bad count `{n}`: {e}"))?;
            let db = open(std::path::Path::new(db))?;
            let mut out = barrier()?;
            let start = Instant::now();
            for i in 0..n {
                let who = format!("{tag}-{i}@example.com");
                let args = obj(vec![("request_id", Value::str(*id)), ("actor", actor("human", &who))]);
                let line = match ok("approve", db.call("approve", &args)) {
                    Ok(_) => format!("ok {who}"),
                    Err(e) => format!("err {who} {}", one_line(&e)),
                };
                writeln!(out, "{line}").map_err(|e| e.to_string())?;
            }
            writeln!(out, "done {:.3}", ms_since(start)).map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())
        }
        _ => Err("usage: worker flows <db> <n> <tag> | worker approve <db> <decision id> <n> <tag>".to_owned()),
    }
}

/// Print `ready`, then wait for the go line on stdin. Returns the locked stdout.
fn barrier() -> Result<std::io::StdoutLock<'static>, String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    let mut go = String::new();
    std::io::stdin().lock().read_line(&mut go).map_err(|e| e.to_string())?;
    Ok(out)
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}
