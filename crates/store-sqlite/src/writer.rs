//! The single writer: one thread owns the only read-write connection and commits requests in
//! groups. Whatever is waiting when it comes round (up to `max_batch`) runs in one
//! `BEGIN IMMEDIATE` transaction, each request under its own savepoint so that a failing one
//! rolls back alone; after COMMIT — and only then — every request is answered. With
//! `synchronous=FULL` an answer therefore means the write is on disk, and one fsync pays for the
//! whole group.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;
use trustdesk_store::{StoreError, StoreStats};

use crate::error::{closed, failure};

/// Counters behind [`StoreStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    queued: AtomicU64,
    commits: AtomicU64,
    writes: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> StoreStats {
        StoreStats {
            write_queue_depth: self.queued.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }
}

/// One caller's write, type-erased so requests of any result type share the queue.
trait Request: Send {
    /// Runs the work (under its own savepoint unless it is unguarded).
    fn run(&mut self, tx: &Transaction<'_>) -> Ran;
    /// Answers the caller once the fate of the batch is known: `commit` is the reason the
    /// batch was lost, if it was.
    fn answer(self: Box<Self>, commit: Result<(), &str>);
}

/// What running one request left in the batch's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ran {
    /// It succeeded; its changes stay.
    Kept,
    /// It failed and left nothing behind.
    Refused,
    /// An unguarded request failed after changing something: only rolling back the whole
    /// transaction undoes it.
    Spoiled,
}

struct Pending<T, F> {
    work: Option<F>,
    /// Runs under a savepoint of its own (see [`Writer::write_unguarded`]).
    guarded: bool,
    outcome: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Request for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, tx: &Transaction<'_>) -> Ran {
        let Some(work) = self.work.take() else {
            return Ran::Refused;
        };
        let (outcome, ran) = if self.guarded {
            let outcome = in_savepoint(tx, work);
            let ran = if outcome.is_ok() {
                Ran::Kept
            } else {
                Ran::Refused
            };
            (outcome, ran)
        } else {
            let changes = tx.total_changes();
            let outcome = catching_panics(tx, work);
            let ran = match &outcome {
                Ok(_) => Ran::Kept,
                Err(_) if tx.total_changes() == changes => Ran::Refused,
                Err(_) => Ran::Spoiled,
            };
            (outcome, ran)
        };
        self.outcome = Some(outcome);
        ran
    }

    fn answer(self: Box<Self>, commit: Result<(), &str>) {
        let answer = match (self.outcome, commit) {
            // A request that failed was rolled back: its error is the whole story.
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (_, Err(reason)) => Err(failure(format!("write not committed: {reason}"))),
            (None, Ok(())) => Err(failure("write request was never run")),
        };
        // The caller may have gone away (request cancelled); the write stands regardless.
        let _ = self.reply.send(answer);
    }
}

fn exec(tx: &Transaction<'_>, sql: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn in_savepoint<T>(
    tx: &Transaction<'_>,
    work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    exec(tx, "SAVEPOINT request").map_err(StoreError::other)?;
    match catching_panics(tx, work) {
        Ok(v) => match exec(tx, "RELEASE request") {
            Ok(()) => Ok(v),
            Err(e) => {
                undo_request(tx);
                Err(StoreError::other(e))
            }
        },
        Err(e) => {
            undo_request(tx);
            Err(e)
        }
    }
}

/// Runs `work`, turning a panic into an error.
fn catching_panics<T>(
    tx: &Transaction<'_>,
    work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    catch_unwind(AssertUnwindSafe(|| work(tx))).unwrap_or_else(|panic| {
        let msg = panic_message(&*panic);
        tracing::error!(panic = %msg, "write request panicked; rolled back");
        Err(failure(format!("write request panicked: {msg}")))
    })
}

/// Undoes exactly the current request's changes; the batch's other requests stay.
fn undo_request(tx: &Transaction<'_>) {
    let undone = exec(tx, "ROLLBACK TO request").and_then(|()| exec(tx, "RELEASE request"));
    if let Err(e) = undone {
        // Only possible when SQLite already dropped the whole transaction, which the batch
        // loop notices.
        tracing::error!(error = %e, "could not roll back a failed write request");
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic".to_owned()
    }
}

/// Work the writer does once per batch rather than once per request, or puts off to a moment
/// when no request is waiting (see [`Writer::start`]).
pub(crate) trait Deferred: Send + 'static {
    /// Runs in every batch's transaction after its last request, before COMMIT. `idle`: the
    /// batch has no requests; it runs because none came for [`Deferred::idle_after`].
    fn before_commit(&mut self, tx: &Transaction<'_>, idle: bool) -> rusqlite::Result<()>;
    /// Once the batch's fate is known (`committed` or rolled back), before anyone is answered.
    fn after_commit(&mut self, committed: bool);
    /// How long the writer waits for a request before running an idle batch; `None` when
    /// nothing is put off.
    fn idle_after(&self) -> Option<Duration>;
}

enum Command {
    Write(Box<dyn Request>),
    /// Finish everything queued, checkpoint, stop; then answer.
    Shutdown(oneshot::Sender<()>),
}

/// The handle async code uses to reach the writer thread.
pub(crate) struct Writer {
    queue: Sender<Command>,
    counters: Arc<Counters>,
    closed: AtomicBool,
    alive: Arc<AtomicBool>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the writer thread on `conn`, which must be the database's read-write connection.
    /// `deferred` runs in every batch's transaction after its last request (work that is
    /// cheaper done once per batch than once per request), and in a batch of its own when the
    /// writer has had nothing to do for a moment and it has work put off.
    pub(crate) fn start(
        conn: Connection,
        max_batch: usize,
        deferred: Box<dyn Deferred>,
    ) -> std::io::Result<Writer> {
        let (queue, inbox) = crossbeam_channel::unbounded();
        let counters = Arc::new(Counters::default());
        let alive = Arc::new(AtomicBool::new(true));
        let thread = {
            let counters = counters.clone();
            let alive = alive.clone();
            std::thread::Builder::new()
                .name("sqlite-writer".into())
                .spawn(move || {
                    let mut batches = Batches {
                        counters: &counters,
                        max_batch: max_batch.max(1),
                        deferred,
                    };
                    batches.run(conn, &inbox);
                    alive.store(false, Ordering::Release);
                })?
        };
        Ok(Writer {
            queue,
            counters,
            closed: AtomicBool::new(false),
            alive,
            thread: std::sync::Mutex::new(Some(thread)),
        })
    }

    /// Runs `work` in the next group commit and returns its result once that commit is durable.
    /// If it fails, its savepoint undoes what it did and the rest of the batch goes on.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(work, true).await
    }

    /// [`Writer::write`] without the savepoint, for hot work that makes every check that can
    /// refuse it before its first change. A savepoint copies every page the request touches
    /// into the statement journal: a tenth of a ticket create. If such work fails before
    /// changing anything (the connection's change count tells), the batch goes on as usual;
    /// if it fails after (an I/O error, a bug), the whole batch's transaction is rolled back
    /// and every request already in it is answered "not committed".
    pub(crate) async fn write_unguarded<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(work, false).await
    }

    async fn submit<T, F>(&self, work: F, guarded: bool) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        let (reply, answer) = oneshot::channel();
        let request = Box::new(Pending {
            work: Some(work),
            guarded,
            outcome: None,
            reply,
        });
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        if self.queue.send(Command::Write(request)).is_err() {
            self.counters.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(closed());
        }
        // A dropped reply means the writer stopped before taking the request: nothing written.
        answer.await.unwrap_or_else(|_| Err(closed()))
    }

    pub(crate) fn counters(&self) -> StoreStats {
        self.counters.snapshot()
    }

    pub(crate) fn is_running(&self) -> bool {
        !self.closed.load(Ordering::Acquire) && self.alive.load(Ordering::Acquire)
    }

    /// Refuses new writes, lets the thread finish and commit everything already queued,
    /// checkpoint the WAL and close the connection. Idempotent.
    pub(crate) async fn shutdown(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let (ack, done) = oneshot::channel();
        if self.queue.send(Command::Shutdown(ack)).is_ok() {
            let _ = done.await;
        }
        let thread = self.thread.lock().map(|mut t| t.take()).unwrap_or(None);
        if let Some(thread) = thread {
            // The thread has answered (or died); joining only reaps it.
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// The writer thread: takes what is waiting, commits it as one batch, answers, repeats.
struct Batches<'a> {
    counters: &'a Counters,
    max_batch: usize,
    deferred: Box<dyn Deferred>,
}

impl Batches<'_> {
    fn run(&mut self, mut conn: Connection, inbox: &Receiver<Command>) {
        let (counters, max_batch) = (self.counters, self.max_batch);
        let mut batch: Vec<Box<dyn Request>> = Vec::with_capacity(max_batch);
        let mut stop = None;
        let mut disconnected = false;
        while stop.is_none() && !disconnected {
            let next = match self.deferred.idle_after() {
                None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(wait) => inbox.recv_timeout(wait),
            };
            match next {
                Ok(Command::Write(r)) => batch.push(r),
                Ok(Command::Shutdown(ack)) => stop = Some(ack),
                Err(RecvTimeoutError::Timeout) => {
                    self.commit_batch(&mut conn, &mut batch, true);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => disconnected = true,
            }
            let drained = take_waiting(inbox, &mut batch, max_batch, &mut stop);
            disconnected |= drained;
            counters
                .queued
                .fetch_sub(batch.len() as u64, Ordering::Relaxed);
            if !batch.is_empty() {
                self.commit_batch(&mut conn, &mut batch, false);
            }
        }
        // Shutting down: new requests are refused at the door, but some may have slipped in
        // between the refusal and now. They are committed like any other.
        loop {
            take_waiting(inbox, &mut batch, max_batch, &mut stop);
            if batch.is_empty() {
                break;
            }
            counters
                .queued
                .fetch_sub(batch.len() as u64, Ordering::Relaxed);
            self.commit_batch(&mut conn, &mut batch, false);
        }
        // Nothing is put off past the end: a clean stop leaves no deferred work behind.
        if self.deferred.idle_after().is_some() {
            self.commit_batch(&mut conn, &mut batch, true);
        }
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "final WAL checkpoint failed; the WAL is replayed at next open");
        }
        if let Err((_, e)) = conn.close() {
            tracing::warn!(error = %e, "closing the write connection failed");
        }
        tracing::debug!("SQLite writer stopped");
        if let Some(ack) = stop {
            let _ = ack.send(());
        }
    }
}

/// Moves what is waiting into `batch` without blocking; true when the queue is disconnected.
fn take_waiting(
    inbox: &Receiver<Command>,
    batch: &mut Vec<Box<dyn Request>>,
    max_batch: usize,
    stop: &mut Option<oneshot::Sender<()>>,
) -> bool {
    while batch.len() < max_batch {
        match inbox.try_recv() {
            Ok(Command::Write(r)) => batch.push(r),
            Ok(Command::Shutdown(ack)) => *stop = Some(ack),
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => return true,
        }
    }
    false
}

fn answer_all(requests: impl IntoIterator<Item = Box<dyn Request>>, commit: Result<(), &str>) {
    for r in requests {
        r.answer(commit);
    }
}

impl Batches<'_> {
    /// Commits `batch` as one transaction; `idle` when it is empty and runs only for the
    /// deferred work.
    fn commit_batch(
        &mut self,
        conn: &mut Connection,
        batch: &mut Vec<Box<dyn Request>>,
        idle: bool,
    ) {
        let counters = self.counters;
        let mut waiting = batch.drain(..);
        let mut ran: Vec<Box<dyn Request>> = Vec::with_capacity(waiting.len());
        'transaction: loop {
            let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
                Ok(tx) => tx,
                Err(e) => {
                    tracing::error!(error = %e, "could not begin a write transaction");
                    answer_all(waiting, Err(&e.to_string()));
                    return;
                }
            };
            let mut succeeded = 0u64;
            for mut request in waiting.by_ref() {
                let outcome = request.run(&tx);
                succeeded += u64::from(outcome == Ran::Kept);
                ran.push(request);
                let lost = if tx.is_autocommit() {
                    // SQLite itself rolled the whole transaction back (disk full, I/O error).
                    Some("the transaction was rolled back by SQLite")
                } else if outcome == Ran::Spoiled {
                    Some("a request in the same group commit failed part-way; all rolled back")
                } else {
                    None
                };
                if let Some(reason) = lost {
                    // Everything this batch did so far is gone. The rest gets a fresh
                    // transaction.
                    tracing::error!(
                        reason,
                        "write transaction rolled back; failing its requests"
                    );
                    drop(tx);
                    self.deferred.after_commit(false);
                    answer_all(ran.drain(..), Err(reason));
                    continue 'transaction;
                }
            }
            if let Err(e) = self.deferred.before_commit(&tx, idle) {
                tracing::error!(error = %e, requests = ran.len(), "batch work before commit failed");
                drop(tx);
                self.deferred.after_commit(false);
                answer_all(ran, Err(&e.to_string()));
                return;
            }
            match tx.commit() {
                Ok(()) => {
                    counters.commits.fetch_add(1, Ordering::Relaxed);
                    counters.writes.fetch_add(succeeded, Ordering::Relaxed);
                    self.deferred.after_commit(true);
                    answer_all(ran, Ok(()));
                }
                Err(e) => {
                    tracing::error!(error = %e, requests = ran.len(), "group commit failed");
                    self.deferred.after_commit(false);
                    answer_all(ran, Err(&e.to_string()));
                }
            }
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    struct NothingDeferred;

    impl Deferred for NothingDeferred {
        fn before_commit(&mut self, _: &Transaction<'_>, _: bool) -> rusqlite::Result<()> {
            Ok(())
        }
        fn after_commit(&mut self, _: bool) {}
        fn idle_after(&self) -> Option<Duration> {
            None
        }
    }

    fn writer(dir: &tempfile::TempDir) -> (Writer, std::path::PathBuf) {
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA foreign_keys = ON;
             CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE item (
                 id INTEGER PRIMARY KEY,
                 name TEXT NOT NULL UNIQUE,
                 parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED
             );",
        )
        .unwrap();
        (
            Writer::start(conn, 64, Box::new(NothingDeferred)).unwrap(),
            path,
        )
    }

    fn insert(name: &'static str) -> impl FnOnce(&Transaction<'_>) -> Result<i64, StoreError> {
        move |tx| {
            tx.execute("INSERT INTO item (name) VALUES (?1)", [name])
                .map_err(StoreError::other)?;
            Ok(tx.last_insert_rowid())
        }
    }

    fn names(path: &std::path::Path) -> Vec<String> {
        let conn = Connection::open(path).unwrap();
        let mut st = conn.prepare("SELECT name FROM item ORDER BY id").unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(|n| n.unwrap())
            .collect()
    }

    /// Holds the writer inside a request (alone in its batch) until released, so that
    /// everything queued meanwhile lands together in the next batch.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unguarded_request_refused_before_writing_leaves_the_batch_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer(&dir);
        let w = Arc::new(w);
        let (open, held) = gate(&w);
        let a = tokio::spawn({
            let w = w.clone();
            async move { w.write_unguarded(insert("a")).await }
        });
        queued(&w, 1).await;
        let refused = tokio::spawn({
            let w = w.clone();
            async move {
                w.write_unguarded(|_tx| {
                    Err::<(), _>(StoreError::conflict("nope", "refused before writing"))
                })
                .await
            }
        });
        queued(&w, 2).await;
        // A failed statement undoes itself: nothing changed, so nothing is spoiled.
        let dup = tokio::spawn({
            let w = w.clone();
            async move { w.write_unguarded(insert("a")).await }
        });
        queued(&w, 3).await;
        let b = tokio::spawn({
            let w = w.clone();
            async move { w.write_unguarded(insert("b")).await }
        });
        queued(&w, 4).await;
        open.send(()).unwrap();
        held.await.unwrap();
        assert!(a.await.unwrap().is_ok());
        assert!(matches!(
            refused.await.unwrap(),
            Err(StoreError::Conflict { code: "nope", .. })
        ));
        assert!(matches!(dup.await.unwrap(), Err(StoreError::Other(_))));
        assert!(b.await.unwrap().is_ok());
        w.shutdown().await;
        assert_eq!(names(&path), ["a", "b"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unguarded_request_failing_after_a_change_rolls_back_its_batch_only() {
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer(&dir);
        let w = Arc::new(w);
        let (open, held) = gate(&w);
        let before = tokio::spawn({
            let w = w.clone();
            async move { w.write(insert("before")).await }
        });
        queued(&w, 1).await;
        let spoiled = tokio::spawn({
            let w = w.clone();
            async move {
                w.write_unguarded(|tx| {
                    tx.execute("INSERT INTO item (name) VALUES ('half-done')", [])
                        .map_err(StoreError::other)?;
                    Err::<(), _>(StoreError::conflict("nope", "failed part-way"))
                })
                .await
            }
        });
        queued(&w, 2).await;
        let after = tokio::spawn({
            let w = w.clone();
            async move { w.write_unguarded(insert("after")).await }
        });
        queued(&w, 3).await;
        open.send(()).unwrap();
        held.await.unwrap();
        // Its own error for the request at fault; "not committed" for the one rolled back
        // with it; the one after it gets a fresh transaction.
        assert!(matches!(
            spoiled.await.unwrap(),
            Err(StoreError::Conflict { code: "nope", .. })
        ));
        assert!(matches!(before.await.unwrap(), Err(StoreError::Other(_))));
        assert!(after.await.unwrap().is_ok());
        w.shutdown().await;
        assert_eq!(names(&path), ["after"]);
    }

    fn gate(w: &Arc<Writer>) -> (mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
        let (open, wait) = mpsc::channel::<()>();
        let (entered_tx, entered) = mpsc::channel::<()>();
        let w2 = w.clone();
        let held = tokio::spawn(async move {
            w2.write(move |_tx| {
                entered_tx.send(()).unwrap();
                wait.recv().unwrap();
                Ok(())
            })
            .await
            .unwrap();
        });
        entered.recv().unwrap();
        (open, held)
    }

    async fn queued(w: &Writer, n: u64) {
        while w.counters().write_queue_depth < n {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_request_rolls_back_alone_and_the_batch_commits_once() {
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer(&dir);
        let w = Arc::new(w);
        w.write(insert("first")).await.unwrap();
        let (open, held) = gate(&w);

        let a = tokio::spawn({
            let w = w.clone();
            async move { w.write(insert("a")).await }
        });
        let bad = tokio::spawn({
            let w = w.clone();
            async move {
                w.write(|tx| {
                    tx.execute("INSERT INTO item (name) VALUES ('half-done')", [])
                        .map_err(StoreError::other)?;
                    Err::<(), _>(StoreError::conflict("nope", "refused on purpose"))
                })
                .await
            }
        });
        let panics = tokio::spawn({
            let w = w.clone();
            async move {
                w.write(|tx| -> Result<(), StoreError> {
                    tx.execute("INSERT INTO item (name) VALUES ('panicked')", [])
                        .map_err(StoreError::other)?;
                    panic!("bug in a request")
                })
                .await
            }
        });
        // Breaks a UNIQUE constraint: an SQL error, not a rule of ours.
        let dup = tokio::spawn({
            let w = w.clone();
            async move { w.write(insert("first")).await }
        });
        let b = tokio::spawn({
            let w = w.clone();
            async move { w.write(insert("b")).await }
        });
        queued(&w, 5).await;
        let commits_before = w.counters().commits;
        open.send(()).unwrap();
        held.await.unwrap();

        assert!(a.await.unwrap().is_ok());
        assert!(matches!(
            bad.await.unwrap(),
            Err(StoreError::Conflict { code: "nope", .. })
        ));
        assert!(matches!(panics.await.unwrap(), Err(StoreError::Other(_))));
        assert!(matches!(dup.await.unwrap(), Err(StoreError::Other(_))));
        assert!(b.await.unwrap().is_ok());
        let stats = w.counters();
        // The gate's own batch, then one batch for all five queued behind it.
        assert_eq!(stats.commits, commits_before + 2);
        assert_eq!(stats.writes, 4, "first, the gate, a and b");
        assert_eq!(stats.write_queue_depth, 0);
        w.shutdown().await;
        let mut committed = names(&path);
        committed.sort();
        assert_eq!(committed, ["a", "b", "first"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_commit_fails_every_request_of_the_batch() {
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer(&dir);
        let w = Arc::new(w);
        let (open, held) = gate(&w);
        let good = tokio::spawn({
            let w = w.clone();
            async move { w.write(insert("good")).await }
        });
        // A deferred foreign key is only checked at COMMIT, which therefore fails.
        let orphan = tokio::spawn({
            let w = w.clone();
            async move {
                w.write(|tx| {
                    tx.execute("INSERT INTO item (name, parent) VALUES ('orphan', 42)", [])
                        .map_err(StoreError::other)?;
                    Ok(())
                })
                .await
            }
        });
        queued(&w, 2).await;
        open.send(()).unwrap();
        held.await.unwrap();
        assert!(good.await.unwrap().is_err());
        assert!(orphan.await.unwrap().is_err());

        // The writer carries on with the next batch.
        w.write(insert("later")).await.unwrap();
        w.shutdown().await;
        assert_eq!(names(&path), ["later"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_commits_what_is_queued_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let (w, path) = writer(&dir);
        let w = Arc::new(w);
        let (open, held) = gate(&w);
        let names_queued: [&'static str; 3] = ["q1", "q2", "q3"];
        let pending: Vec<_> = names_queued
            .into_iter()
            .map(|n| {
                let w = w.clone();
                tokio::spawn(async move { w.write(insert(n)).await })
            })
            .collect();
        queued(&w, 3).await;
        let closing = tokio::spawn({
            let w = w.clone();
            async move { w.shutdown().await }
        });
        while !w.closed.load(Ordering::Acquire) {
            tokio::task::yield_now().await;
        }
        assert!(w.write(insert("too late")).await.is_err());
        open.send(()).unwrap();
        held.await.unwrap();
        for p in pending {
            p.await.unwrap().unwrap();
        }
        closing.await.unwrap();
        assert!(!w.is_running());
        let mut committed = names(&path);
        committed.sort();
        assert_eq!(committed, names_queued);
        // The final checkpoint emptied the WAL into the database file.
        let wal = path.with_extension("db-wal");
        assert!(std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0);
    }
}
