//! Running one child process: empty stdin, stdout and stderr captured by reader threads
//! with byte limits, a deadline, and on timeout or oversized output the whole process
//! group killed and reaped. Never blocks past the deadline plus a short grace period.

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long reader threads may take to see end-of-file after the child was killed.
const READER_GRACE: Duration = Duration::from_millis(250);

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// It exited by itself.
    Exited(ExitStatus),
    /// The deadline passed; the group was killed.
    TimedOut,
    /// Stdout exceeded the limit; the group was killed.
    TooLarge,
}

/// What was captured.
#[derive(Debug)]
pub(crate) struct Captured {
    pub(crate) ending: Ending,
    /// At most the stdout limit.
    pub(crate) stdout: Vec<u8>,
    /// At most the stderr limit (the rest is drained and dropped).
    pub(crate) stderr: Vec<u8>,
}

enum Note {
    StdoutClosed,
    StderrClosed,
    Overflow,
}

/// Spawn `cmd` and collect its output. `Err` only when the process cannot be started.
pub(crate) fn run(mut cmd: Command, timeout: Duration, max_stdout: usize, max_stderr: usize) -> io::Result<Captured> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so a timeout can kill everything it started.
        cmd.process_group(0);
    }
    let start = Instant::now();
    let deadline = start.checked_add(timeout).unwrap_or(start + Duration::from_secs(86_400 * 365));
    let mut child = cmd.spawn()?;
    let out_buf = Arc::new(Mutex::new(Vec::new()));
    let err_buf = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    let mut open = 0;
    let mut started = Ok(());
    if let Some(pipe) = child.stdout.take() {
        open += 1;
        started = spawn_reader(pipe, Arc::clone(&out_buf), max_stdout, true, tx.clone(), Note::StdoutClosed);
    }
    if let (Ok(()), Some(pipe)) = (&started, child.stderr.take()) {
        open += 1;
        started = spawn_reader(pipe, Arc::clone(&err_buf), max_stderr, false, tx.clone(), Note::StderrClosed);
    }
    drop(tx);
    if let Err(e) = started {
        // No thread to drain a pipe: the child could block forever, so stop it now.
        kill_group(&mut child);
        let _ = child.wait();
        return Err(e);
    }

    let mut ending = None;
    // Phase 1: wait for both pipes to close (the usual sign of exit), or trouble.
    while open > 0 && ending.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Note::StdoutClosed | Note::StderrClosed) => open -= 1,
            Ok(Note::Overflow) => ending = Some(Ending::TooLarge),
            Err(RecvTimeoutError::Timeout) => ending = Some(Ending::TimedOut),
            Err(RecvTimeoutError::Disconnected) => open = 0,
        }
    }
    // Phase 2: the pipes are closed; reap the child, still under the deadline.
    let mut pause = Duration::from_micros(20);
    while ending.is_none() {
        match child.try_wait() {
            Ok(Some(status)) => ending = Some(Ending::Exited(status)),
            Ok(None) if Instant::now() >= deadline => ending = Some(Ending::TimedOut),
            Ok(None) => {
                thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(5));
            }
            // The child cannot be waited for: treat like a timeout (kill and reap).
            Err(_) => ending = Some(Ending::TimedOut),
        }
    }
    let ending = ending.unwrap_or(Ending::TimedOut);
    if ending != Ending::TimedOut && ending != Ending::TooLarge {
        return Ok(Captured { ending, stdout: take(&out_buf), stderr: take(&err_buf) });
    }
    kill_group(&mut child);
    let _ = child.wait();
    // Give the readers a moment to see end-of-file; a grandchild that escaped the
    // group may keep a pipe open, in which case its reader is left behind.
    let grace_end = Instant::now() + READER_GRACE;
    while open > 0 {
        match rx.recv_timeout(grace_end.saturating_duration_since(Instant::now())) {
            Ok(Note::StdoutClosed | Note::StderrClosed) => open -= 1,
            Ok(Note::Overflow) => {}
            Err(_) => break,
        }
    }
    Ok(Captured { ending, stdout: take(&out_buf), stderr: take(&err_buf) })
}

fn take(buf: &Arc<Mutex<Vec<u8>>>) -> Vec<u8> {
    match buf.lock() {
        Ok(mut g) => std::mem::take(&mut *g),
        Err(p) => std::mem::take(&mut *p.into_inner()),
    }
}

fn spawn_reader<R: Read + Send + 'static>(
    mut pipe: R,
    buf: Arc<Mutex<Vec<u8>>>,
    limit: usize,
    stop_on_overflow: bool,
    tx: mpsc::Sender<Note>,
    closed: Note,
) -> io::Result<()> {
    let spawned = thread::Builder::new().name("attest-router-pipe".into()).spawn(move || {
        let mut chunk = vec![0u8; 64 * 1024];
        let mut total: usize = 0;
        loop {
            let n = match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let room = limit.saturating_sub(total);
            if room > 0 {
                if let (Ok(mut g), Some(part)) = (buf.lock(), chunk.get(..n.min(room))) {
                    g.extend_from_slice(part);
                }
            }
            total = total.saturating_add(n);
            if total > limit && stop_on_overflow {
                let _ = tx.send(Note::Overflow);
                // Dropping the pipe makes further writes fail; the caller kills the group.
                break;
            }
        }
        let _ = tx.send(closed);
    });
    spawned.map(drop)
}

fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        // INVARIANT (group leader): the child was spawned with `process_group(0)`, so its
        // pid is its process group id; it is not reaped yet, so the id is not reused.
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}
