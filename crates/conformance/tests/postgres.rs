//! The conformance suite on the PostgreSQL store: each scenario on a fresh database of its own
//! (see `trustdesk_conformance::pg` for which server), dropped afterwards.

use std::sync::Arc;

use trustdesk_conformance::pg::{TestDatabase, fresh_database};
use trustdesk_conformance::{StoreOpener, TestBackend};
use trustdesk_store::{Backend, Store};
use trustdesk_store_postgres::{PgOptions, PgStore};

struct Postgres {
    db: TestDatabase,
}

#[async_trait::async_trait]
impl StoreOpener for Postgres {
    async fn open(&self) -> Arc<dyn Store> {
        match PgStore::connect(PgOptions::new(self.db.url.clone())).await {
            Ok(store) => Arc::new(store),
            Err(e) => panic!("connecting to {}: {e:?}", self.db.name),
        }
    }
}

#[async_trait::async_trait]
impl TestBackend for Postgres {
    const KIND: Backend = Backend::Postgres;

    async fn setup() -> Self {
        Postgres {
            db: fresh_database().await,
        }
    }
}

trustdesk_conformance::all_scenarios!(Postgres);
