//! The background flush behind `Durability::Normal`: commits are made durable in batches.
//!
//! redb 3 has two durability levels: `Immediate` (fsync on every commit) and `None`
//! (nothing reaches the disk until a later `Immediate` commit). `Normal` commits with
//! `None` and this thread makes them durable with an empty `Immediate` commit at most
//! [`FLUSH_INTERVAL`] after the first unflushed one. Closing the store makes everything
//! durable too (redb commits durably when the database is dropped).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use attest_store::StoreError;
use redb::Database;

use crate::redb_error::store_error;

/// How long a `Normal` commit may stay non-durable.
pub(crate) const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// The flush thread; dropping it stops and joins the thread.
pub(crate) struct Flusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    dirty: bool,
    stop: bool,
}

impl Flusher {
    /// Start the thread for `db`.
    pub(crate) fn start(db: Arc<Database>) -> Result<Flusher, StoreError> {
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("attest-store-redb-flush".to_owned())
            .spawn(move || run(&db, &theirs))
            .map_err(|e| StoreError::Backend(format!("cannot start the flush thread: {e}")))?;
        Ok(Flusher { shared, thread: Some(thread) })
    }

    /// Note a non-durable commit: the thread makes it durable within [`FLUSH_INTERVAL`].
    pub(crate) fn mark_dirty(&self) {
        let mut st = lock(&self.shared.state);
        if !st.dirty {
            st.dirty = true;
            self.shared.wake.notify_one();
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        lock(&self.shared.state).stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            // A panicked flush thread has nothing left to clean up.
            let _ = t.join();
        }
    }
}

/// Make every commit so far durable.
pub(crate) fn flush(db: &Database) -> Result<(), StoreError> {
    let mut txn = db.begin_write().map_err(store_error)?;
    txn.set_durability(redb::Durability::Immediate).map_err(store_error)?;
    txn.commit().map_err(store_error)
}

fn run(db: &Database, shared: &Shared) {
    loop {
        let mut st = lock(&shared.state);
        while !st.dirty && !st.stop {
            st = wait(&shared.wake, st, None);
        }
        let deadline = Instant::now() + FLUSH_INTERVAL;
        while !st.stop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            st = wait(&shared.wake, st, Some(deadline - now));
        }
        if st.stop {
            // Dropping the database makes the rest durable.
            return;
        }
        st.dirty = false;
        drop(st);
        // A failed flush is retried after the next commit; that commit reports the error.
        let _ = flush(db);
    }
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn wait<'a>(c: &Condvar, g: MutexGuard<'a, State>, timeout: Option<Duration>) -> MutexGuard<'a, State> {
    match timeout {
        None => c.wait(g).unwrap_or_else(std::sync::PoisonError::into_inner),
        Some(t) => match c.wait_timeout(g, t) {
            Ok((g, _)) => g,
            Err(p) => p.into_inner().0,
        },
    }
}
