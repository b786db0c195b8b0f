//! Opening the database: connection settings, and the embedded migrations that bring a new or
//! older file up to this build's schema before anything else touches it.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};
use trustdesk_store::StoreError;

use crate::error::failure;

/// The files in `migrations/`, in order. The version reached is kept in `PRAGMA user_version`;
/// a database from a newer build (more migrations than listed here) is refused.
pub(crate) const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial.sql",
        include_str!("../migrations/0001_initial.sql"),
    ),
    (
        "0002_ticket_counts.sql",
        include_str!("../migrations/0002_ticket_counts.sql"),
    ),
    (
        "0003_promises.sql",
        include_str!("../migrations/0003_promises.sql"),
    ),
    (
        "0004_orders.sql",
        include_str!("../migrations/0004_orders.sql"),
    ),
    (
        "0005_search_pending.sql",
        include_str!("../migrations/0005_search_pending.sql"),
    ),
    (
        "0006_mail_intake.sql",
        include_str!("../migrations/0006_mail_intake.sql"),
    ),
];

/// How long a connection waits for a lock held by another process (a backup, the CLI) before
/// giving up.
const BUSY_TIMEOUT_MS: u32 = 5_000;
/// Per connection, in KiB (negative = KiB for SQLite's `cache_size`).
const WRITER_CACHE_KIB: i64 = 32 * 1024;
const READER_CACHE_KIB: i64 = 16 * 1024;
/// Bytes a reset WAL file is truncated to.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;
/// Enough for every statement the store prepares, so none is ever re-parsed.
const STATEMENT_CACHE: usize = 256;

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|(_, sql)| M::up(sql)).collect())
}

/// Opens (creating if needed) the read-write connection the writer thread will own, switches
/// the file to WAL and migrates it.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            failure(format!(
                "cannot create database directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(StoreError::other)?;
    configure_writer(&conn)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Applies the migrations this build knows and the file has not seen yet, in one transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrations()
        .to_latest(conn)
        .map_err(|e| failure(format!("database migration failed: {e}")))
}

fn configure_writer(conn: &Connection) -> Result<(), StoreError> {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(StoreError::other)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(failure(format!(
            "the database refused WAL mode (journal_mode is {mode})"
        )));
    }
    // FULL: a commit is on disk before its requests are answered. Group commit is what makes
    // the fsync per transaction affordable.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(StoreError::other)?;
    // Checkpoints run on their own thread (see `checkpointer`), never inside a commit; a WAL
    // that grew large under a burst is cut back to this size when it is next reset.
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(StoreError::other)?;
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)
        .map_err(StoreError::other)?;
    common(conn, WRITER_CACHE_KIB).map_err(StoreError::other)
}

/// Opens one read-only connection for a reader thread.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(StoreError::other)?;
    common(&conn, READER_CACHE_KIB).map_err(StoreError::other)?;
    Ok(conn)
}

fn common(conn: &Connection, cache_kib: i64) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.busy_timeout(std::time::Duration::from_millis(u64::from(BUSY_TIMEOUT_MS)))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_all_listed() {
        migrations().validate().unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            on_disk, listed,
            "every file in migrations/ must be listed, in order"
        );
    }

    #[test]
    fn bundled_sqlite_has_fts5() {
        let conn = Connection::open_in_memory().unwrap();
        let on: bool = conn
            .query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(on);
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(a, content='', contentless_delete=1)",
        )
        .unwrap();
    }
}
