//! Importing a run bundle into a [`RunStore`] with nexus-router 1.1.1's rules
//! (router.md 3.13), minus its gap: replacing and inserting happen in one step, and a
//! run whose replay fails is not kept.

use attest_verify::json::Value;

use crate::bundle::RunBundle;
use crate::clock::IdSource;
use crate::error::{RouterError, StoreError};
use crate::replay::{replay_run, ReplayReport};
use crate::store::RunStore;

/// What to do when the target run id exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportMode {
    /// Skip the import (`status "skipped"`, reason `run_id_exists`).
    RejectOnConflict,
    /// Import under this id (or a fresh one when `None`; a colliding id is replaced by
    /// a fresh one, as in nexus-router). Event ids are renewed and nested `run_id`
    /// values equal to the old id are rewritten.
    NewRunId(Option<String>),
    /// Replace the existing run (atomically).
    Overwrite,
}

/// Import options (nexus-router's defaults: reject on conflict, verify, replay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Conflict handling.
    pub mode: ImportMode,
    /// Check `digests.sha256` first.
    pub verify_digest: bool,
    /// Replay the imported run and report the verdict.
    pub replay_after_import: bool,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions { mode: ImportMode::RejectOnConflict, verify_digest: true, replay_after_import: true }
    }
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Stored (`status "ok"`), unless the replay failed: then nothing was kept.
    Imported {
        /// The id the run was stored under.
        run_id: String,
        /// Number of events inserted.
        events_inserted: usize,
        /// The replay, when requested.
        replay: Option<ReplayReport>,
        /// Whether the run was not kept because its replay failed (judged before
        /// writing; the selection-failure shape does not count as a failure).
        rolled_back: bool,
    },
    /// A run with this id exists (`status "skipped"`).
    Skipped {
        /// The existing run.
        existing_run_id: String,
    },
}

/// Import `bundle` into `store`.
///
/// Errors: [`RouterError::Bundle`] (`INVALID_BUNDLE`, `DIGEST_MISMATCH`, nexus-router's
/// messages) and [`RouterError::Store`] (`SEQ_DUPLICATE`; nothing is changed then).
pub fn import_bundle(
    store: &dyn RunStore,
    ids: &dyn IdSource,
    bundle: Value,
    options: &ImportOptions,
) -> Result<ImportOutcome, RouterError> {
    let bundle = RunBundle::from_value(bundle)?;
    if options.verify_digest {
        bundle.verify_digest()?;
    }
    let mut run = bundle.to_stored_run()?;
    let original = run.record.run_id.clone();
    let exists = |id: &str| store.load(id).map(|r| r.is_some());
    let mut target = match &options.mode {
        ImportMode::NewRunId(Some(id)) => id.clone(),
        ImportMode::NewRunId(None) => ids.next_id(),
        _ => original.clone(),
    };
    let mut replace = false;
    if exists(&target)? {
        match options.mode {
            ImportMode::RejectOnConflict => return Ok(ImportOutcome::Skipped { existing_run_id: target }),
            ImportMode::Overwrite => replace = true,
            ImportMode::NewRunId(_) => target = ids.next_id(),
        }
    }
    if target != original {
        for e in &mut run.events {
            e.event_id = ids.next_id();
            remap_run_id(&mut e.payload, &original, &target);
        }
    }
    run.record.run_id.clone_from(&target);
    run.events.sort_by_key(|e| e.seq);
    let events_inserted = run.events.len();
    let replay = options.replay_after_import.then(|| replay_run(&run));
    let rolled_back = replay.as_ref().is_some_and(|r| !r.ok_or_selection_failure());
    if rolled_back {
        // Replay is judged before anything is written: a run that does not replay is
        // not kept (nexus-router keeps it).
        let mut seqs = std::collections::BTreeSet::new();
        if let Some(e) = run.events.iter().find(|e| !seqs.insert(e.seq)) {
            return Err(StoreError::SeqDuplicate { seq: e.seq }.into());
        }
    } else {
        store.put_run(run, replace)?;
    }
    let events_inserted = if rolled_back { 0 } else { events_inserted };
    Ok(ImportOutcome::Imported { run_id: target, events_inserted, replay, rolled_back })
}

/// nexus-router's `_remap_run_id_in_payload`: in objects (recursively, and in objects
/// directly inside arrays), a key `run_id` whose value is the old id gets the new one.
fn remap_run_id(v: &mut Value, old: &str, new: &str) {
    let Value::Object(m) = v else { return };
    let keys: Vec<String> = m.keys().map(str::to_owned).collect();
    for k in keys {
        let Some(val) = m.get_mut(&k) else { continue };
        if k == "run_id" && val.as_str() == Some(old) {
            *val = Value::str(new);
        } else if let Value::Object(_) = val {
            remap_run_id(val, old, new);
        } else if let Value::Array(items) = val {
            for item in items.iter_mut() {
                remap_run_id(item, old, new);
            }
        }
    }
}
