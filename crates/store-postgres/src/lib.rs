//! trustdesk's PostgreSQL backend: the [`Store`] for many stateless app nodes on one
//! database. Embedded migrations run at connect; every write is one transaction; ticket
//! writers lock the ticket row so each ticket's event chain stays gap-free across nodes;
//! search is a tsvector document per ticket fed by the domain's analyzer.

mod agents;
mod blobs;
mod customers;
mod error;
mod events;
mod intake;
mod orders;
mod promises;
mod rows;
mod search;
mod tickets;

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use trustdesk_store::{
    Backend, DatabaseUrl, Result, SearchRequest, SearchResults, SearchStore, Store, StoreError,
    StoreStats,
};

use crate::error::db;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Attempts of a write transaction that failed on a deadlock or serialization failure.
const WRITE_ATTEMPTS: u32 = 4;

/// How to reach the database.
#[derive(Clone)]
pub struct PgOptions {
    /// `postgres://user:password@host:port/db?sslmode=…`; never logged with its password.
    pub url: String,
    /// Connections this node keeps at most.
    pub max_connections: u32,
}

impl PgOptions {
    pub fn new(url: impl Into<String>) -> Self {
        PgOptions {
            url: url.into(),
            max_connections: 16,
        }
    }
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("url", &shown_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// The URL as it may appear in logs and errors.
fn shown_url(url: &str) -> String {
    match DatabaseUrl::parse(url) {
        Ok(u) => u.to_string(),
        Err(e) => e.to_string(),
    }
}

/// Connecting or migrating failed; says where, without the password.
#[derive(Debug, thiserror::Error)]
#[error("PostgreSQL at {url}: {what}: {source}")]
struct ConnectError {
    url: String,
    what: &'static str,
    source: Box<dyn std::error::Error + Send + Sync>,
}

/// The PostgreSQL [`Store`].
pub struct PgStore {
    pool: PgPool,
    commits: AtomicU64,
}

impl PgStore {
    /// Connects, brings the schema up to date (concurrent nodes take turns on a lock the
    /// migrator holds), and is ready.
    pub async fn connect(opts: PgOptions) -> Result<PgStore, StoreError> {
        let url = shown_url(&opts.url);
        let fail = |what: &'static str, source: Box<dyn std::error::Error + Send + Sync>| {
            StoreError::other(ConnectError {
                url: url.clone(),
                what,
                source,
            })
        };
        match DatabaseUrl::parse(&opts.url) {
            Ok(DatabaseUrl::Postgres(_)) => {}
            Ok(DatabaseUrl::Sqlite(_)) => {
                return Err(fail("not a PostgreSQL URL", "use postgres://".into()));
            }
            Err(e) => return Err(fail("invalid URL", Box::new(e))),
        }
        let connect = PgConnectOptions::from_str(&opts.url)
            .map_err(|e| fail("invalid URL", Box::new(e)))?
            .application_name("trustdesk");
        let pool = PgPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .connect_with(connect)
            .await
            .map_err(|e| fail("cannot connect", Box::new(e)))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| fail("cannot migrate the schema", Box::new(e)))?;
        tracing::info!(database = %url, "PostgreSQL store ready");
        Ok(PgStore {
            pool,
            commits: AtomicU64::new(0),
        })
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) async fn conn(&self) -> Result<PoolConnection<Postgres>> {
        self.pool.acquire().await.map_err(db)
    }

    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db)
    }

    /// A read-only transaction that sees one consistent snapshot.
    pub(crate) async fn begin_snapshot(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(db)
    }

    pub(crate) async fn commit(&self, tx: Transaction<'static, Postgres>) -> Result<()> {
        tx.commit().await.map_err(db)?;
        self.count_commit();
        Ok(())
    }

    /// Counts a write committed by a single statement outside an explicit transaction.
    pub(crate) fn count_commit(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs a write transaction again when PostgreSQL aborted it for a deadlock or a
/// serialization failure; such a transaction wrote nothing.
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(e) if tries < WRITE_ATTEMPTS && error::is_transient(&e) => {
                tracing::debug!(error = %e, tries, "transaction aborted by the database; retrying");
                tries += 1;
            }
            other => return other,
        }
    }
}

#[async_trait]
impl SearchStore for PgStore {
    #[tracing::instrument(skip_all, fields(words = request.query.words.len()), err(level = "debug"))]
    async fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        let mut tx = self.begin_snapshot().await?;
        let found = search::search(&mut tx, request).await?;
        tx.commit().await.map_err(db)?;
        Ok(found)
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn health(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    fn stats(&self) -> StoreStats {
        let commits = self.commits.load(Ordering::Relaxed);
        // Every write is its own transaction here: no group commit, no queue.
        StoreStats {
            write_queue_depth: 0,
            commits,
            writes: commits,
        }
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
