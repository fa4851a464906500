//! The writer thread: every write of the store runs here, on the one writer connection.
//!
//! Writes that queue up while a transaction commits are committed together (group commit):
//! the thread takes every job waiting, runs each inside its own SAVEPOINT of one IMMEDIATE
//! transaction — a job that fails is rolled back to its savepoint and leaves the others alone —
//! commits once, and only then answers each caller. A caller therefore still learns of its write
//! only once it is committed, but a burst of N concurrent writes costs one commit instead of N,
//! and no thread hand-off per write beyond the queue itself.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, mpsc};

use guildhall_store::{StoreError, StoreResult};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use crate::backend;
use crate::cache::Generation;
use crate::codec::CachedExec;

/// Jobs committed together at most (bounds the latency one commit adds to the first job).
const MAX_BATCH: usize = 256;

/// One queued write.
pub(crate) trait Job: Send {
    /// Runs the write inside the open transaction; the result is kept until the commit.
    fn run(&mut self, tx: &Transaction<'_>) -> Result<(), ()>;
    /// Whether committing it invalidates the read cache.
    fn invalidates(&self) -> bool;
    /// Answers the caller: its own result if the commit succeeded, else the commit's error.
    fn finish(self: Box<Self>, commit: Result<(), &rusqlite::Error>);
}

/// A write closure and the channel its result goes back on.
pub(crate) struct Write<R, F> {
    f: Option<F>,
    out: Option<StoreResult<R>>,
    reply: oneshot::Sender<StoreResult<R>>,
    invalidates: bool,
}

impl<R, F> Write<R, F> {
    pub(crate) fn new(f: F, reply: oneshot::Sender<StoreResult<R>>, invalidates: bool) -> Self {
        Self { f: Some(f), out: None, reply, invalidates }
    }
}

impl<R, F> Job for Write<R, F>
where
    R: Send,
    F: FnOnce(&Transaction<'_>) -> StoreResult<R> + Send,
{
    fn run(&mut self, tx: &Transaction<'_>) -> Result<(), ()> {
        let Some(f) = self.f.take() else { return Err(()) };
        // A panicking write must not take the writer thread (and every later write) with it.
        let out = catch_unwind(AssertUnwindSafe(|| f(tx)))
            .unwrap_or_else(|_| Err(StoreError::Backend("a store write panicked".into())));
        let ok = out.is_ok();
        self.out = Some(out);
        if ok { Ok(()) } else { Err(()) }
    }

    fn invalidates(&self) -> bool {
        self.invalidates
    }

    fn finish(self: Box<Self>, commit: Result<(), &rusqlite::Error>) {
        let out = match (commit, self.out) {
            (Ok(()), Some(out)) => out,
            (Ok(()), None) => Err(StoreError::Backend("store write was never run".into())),
            (Err(e), _) => Err(StoreError::Backend(format!("commit failed: {e}").into())),
        };
        // The caller may have gone away (cancelled request): the write stands regardless.
        let _ = self.reply.send(out);
    }
}

/// Runs the writer loop until every sender is gone.
pub(crate) fn run(mut conn: Connection, jobs: mpsc::Receiver<Box<dyn Job>>, generation: &Generation) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = jobs.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = commit_batch(&mut conn, &mut batch);
        // Even a failed commit may have changed something (and costs only cache misses):
        // bump before anyone learns the outcome, so no caller can then read a stale entry.
        if batch.iter().any(|job| job.invalidates()) {
            generation.bump();
        }
        for job in batch.drain(..) {
            job.finish(commit.as_ref().map(|_| ()));
        }
    }
}

fn commit_batch(conn: &mut Connection, batch: &mut [Box<dyn Job>]) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let [only] = batch {
        // One job: no savepoint needed; a failed job's partial work is rolled back with the
        // transaction.
        return match only.run(&tx) {
            Ok(()) => tx.commit(),
            Err(()) => tx.rollback(),
        };
    }
    for job in batch.iter_mut() {
        tx.exec("SAVEPOINT job", [])?;
        if job.run(&tx).is_err() {
            tx.exec("ROLLBACK TO job", [])?;
        }
        tx.exec("RELEASE job", [])?;
    }
    tx.commit()
}

/// The sending half, cloned into every store handle.
pub(crate) type Queue = mpsc::Sender<Box<dyn Job>>;

/// Starts the writer thread on `conn`.
pub(crate) fn start(conn: Connection, generation: Arc<Generation>) -> StoreResult<Queue> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || run(conn, rx, &generation))
        .map_err(backend)?;
    Ok(tx)
}
