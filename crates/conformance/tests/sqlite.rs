//! The conformance suite on the embedded SQLite store: each scenario in a temporary directory
//! of its own (database file and blob directory), removed afterwards.

use std::sync::Arc;

use trustdesk_conformance::{StoreOpener, TestBackend};
use trustdesk_store::{Backend, Store};
use trustdesk_store_sqlite::{SqliteOptions, SqliteStore};

struct Sqlite {
    dir: tempfile::TempDir,
}

#[async_trait::async_trait]
impl StoreOpener for Sqlite {
    async fn open(&self) -> Arc<dyn Store> {
        let options = SqliteOptions::new(
            self.dir.path().join("trustdesk.db"),
            self.dir.path().join("blobs"),
        );
        match SqliteStore::open(options).await {
            Ok(store) => Arc::new(store),
            Err(e) => panic!("opening SQLite in {}: {e:?}", self.dir.path().display()),
        }
    }
}

#[async_trait::async_trait]
impl TestBackend for Sqlite {
    const KIND: Backend = Backend::Sqlite;

    async fn setup() -> Self {
        match tempfile::tempdir() {
            Ok(dir) => Sqlite { dir },
            Err(e) => panic!("temporary directory: {e}"),
        }
    }
}

trustdesk_conformance::all_scenarios!(Sqlite);
