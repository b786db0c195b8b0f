//! Moving committed pages from the WAL into the database file, on a thread of its own.
//!
//! Left to SQLite, the checkpoint runs inside whichever commit crosses the WAL size limit: that
//! commit, and every request waiting on it, pays for copying thousands of pages and an extra
//! fsync of the database file. Here the writer never checkpoints; this thread runs PASSIVE
//! checkpoints (which never block the writer or readers) on a timer from its own connection.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use trustdesk_store::StoreError;

/// How often the WAL is checked. At the write rates one SQLite file sees, a few hundred ms of
/// WAL is a few MB.
const INTERVAL: Duration = Duration::from_millis(250);

pub(crate) struct Checkpointer {
    stop: mpsc::Sender<()>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    pub(crate) fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::other)?;
        // A checkpoint that finds the writer busy simply does less; it never waits long.
        conn.busy_timeout(Duration::from_millis(100))
            .map_err(StoreError::other)?;
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(conn, &stopped))
            .map_err(StoreError::other)?;
        Ok(Checkpointer {
            stop,
            thread: std::sync::Mutex::new(Some(thread)),
        })
    }

    pub(crate) async fn shutdown(&self) {
        let _ = self.stop.send(());
        let thread = self.thread.lock().map(|mut t| t.take()).unwrap_or(None);
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

fn run(conn: Connection, stopped: &mpsc::Receiver<()>) {
    // Until stopped, or the store is dropped.
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        match result {
            Ok((wal_frames, copied)) => {
                tracing::trace!(wal_frames, copied, "WAL checkpoint");
            }
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; retrying later"),
        }
    }
}
