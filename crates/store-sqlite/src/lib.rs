//! trustdesk's embedded storage: one SQLite file in WAL mode behind the `Store` traits.
//!
//! - One writer thread owns the only read-write connection and commits requests in groups,
//!   one savepoint per request, answering only after COMMIT with `synchronous=FULL` (see
//!   `writer.rs`). Search documents are written many at once, when enough have gathered
//!   or the writer is idle, and always before a search reads (see `search_index.rs`).
//! - A few reader threads answer reads from their own read-only connections, in parallel with
//!   the writer (see `readers.rs`).
//! - A checkpointer thread moves the WAL into the database file, so no commit ever pays for it
//!   (see `checkpointer.rs`).
//!
//! Work that needs no database — text analysis, hashing — is done by the calling task before
//! a request reaches the writer, so the writer's time goes to SQL alone.

mod agents;
mod blobs;
mod checkpointer;
mod customers;
mod error;
mod events;
mod intake;
mod orders;
mod promises;
mod readers;
mod schema;
mod search;
mod search_index;
mod sql;
mod tickets;
mod writer;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use rusqlite::{Connection, Transaction};
use trustdesk_domain::order::{Order, ShipmentEvent};
use trustdesk_domain::time::{now, to_micros};
use trustdesk_domain::{
    AgentId, Channel, Courier, CustomerId, EmailAddress, Identity, OrderId, OrderNumber, PromiseId,
    PromiseState, QuarantineId, ShipmentId, ShopCode, TicketId, Timestamp, TokenId, TrackingNumber,
};
use trustdesk_store::{
    Actor, Agent, AgentStore, ApiToken, Backend, BlobStore, ChannelMessageRef, Customer,
    CustomerFilter, CustomerPatch, CustomerStore, Event, EventStore, ImportReject, IntakeStore,
    Message, MessageAdded, MessagePromises, NewAgent, NewApiToken, NewCustomer, NewImportReject,
    NewMessage, NewPromise, NewQuarantined, NewShipment, NewTicket, OrderRecord, OrderStore, Page,
    PageRequest, Promise, PromiseFilter, PromiseStore, Quarantined, Result, SearchRequest,
    SearchResults, SearchStore, Shipment, StatusPromises, Store, StoreError, StoreStats, Ticket,
    TicketFilter, TicketPatch, TicketStore, TicketThread, TokenStore, Upserted,
};

use crate::checkpointer::Checkpointer;
use crate::customers::CustomerText;
use crate::error::closed;
use crate::readers::Readers;
use crate::tickets::{AnalyzedMessage, AnalyzedTicket};
use crate::writer::Writer;

/// Where the database lives and how many threads serve it.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file; it and its directory are created when missing.
    pub path: PathBuf,
    /// Where attachment bytes are kept (`ab/cd/<sha256>`).
    pub blob_dir: PathBuf,
    /// Read-only connections, each with its own thread.
    pub readers: usize,
    /// The most requests one group commit carries.
    pub max_batch: usize,
}

impl SqliteOptions {
    pub fn new(path: impl Into<PathBuf>, blob_dir: impl Into<PathBuf>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        SqliteOptions {
            path: path.into(),
            blob_dir: blob_dir.into(),
            readers: cores.max(2),
            max_batch: 512,
        }
    }
}

/// A usage stamp is written at most this often per token; `touch_token` may coalesce.
const TOUCH_EVERY_MICROS: i64 = 60 * 1_000_000;

struct Inner {
    writer: Writer,
    checkpointer: Checkpointer,
    readers: Readers,
    blob_dir: PathBuf,
    closed: AtomicBool,
    /// Search documents are waiting to be written (see `search_index.rs`).
    index_behind: Arc<AtomicBool>,
    /// Token id → the last usage stamp written, to coalesce `touch_token`.
    touched: std::sync::Mutex<HashMap<i64, i64>>,
}

/// The SQLite store. Cheap to clone; all clones share the writer and the readers.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("blob_dir", &self.inner.blob_dir)
            .field("stats", &self.inner.writer.counters())
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database, switches it to WAL, applies pending migrations
    /// and starts the writer and reader threads.
    #[tracing::instrument(skip_all, fields(path = %opts.path.display()), err)]
    pub async fn open(opts: SqliteOptions) -> Result<SqliteStore> {
        tokio::task::spawn_blocking(move || SqliteStore::open_blocking(opts))
            .await
            .map_err(StoreError::other)?
    }

    fn open_blocking(opts: SqliteOptions) -> Result<SqliteStore> {
        std::fs::create_dir_all(&opts.blob_dir).map_err(|e| {
            error::failure(format!(
                "cannot create blob directory {}: {e}",
                opts.blob_dir.display()
            ))
        })?;
        let write_conn = schema::open_writer(&opts.path)?;
        let index_behind = Arc::new(AtomicBool::new(false));
        let indexer = search_index::Indexer::new(&write_conn, index_behind.clone())
            .map_err(StoreError::other)?;
        let read_conns = (0..opts.readers.max(1))
            .map(|_| schema::open_reader(&opts.path))
            .collect::<Result<Vec<Connection>>>()?;
        let checkpointer = Checkpointer::start(&opts.path)?;
        let writer = Writer::start(write_conn, opts.max_batch, Box::new(indexer))
            .map_err(StoreError::other)?;
        let readers = Readers::start(read_conns).map_err(StoreError::other)?;
        tracing::info!(
            path = %opts.path.display(),
            readers = opts.readers.max(1),
            max_batch = opts.max_batch,
            "SQLite store open"
        );
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer,
                checkpointer,
                readers,
                blob_dir: opts.blob_dir,
                closed: AtomicBool::new(false),
                index_behind,
                touched: std::sync::Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Runs `work` in the writer's next group commit; the answer comes once it is durable.
    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        self.inner.writer.write(work).await
    }

    async fn read<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        self.inner.readers.read(work).await
    }
}

#[async_trait]
impl CustomerStore for SqliteStore {
    #[tracing::instrument(skip_all, err)]
    async fn create_customer(&self, new: NewCustomer) -> Result<Customer> {
        let text = CustomerText::of(new.name.as_deref(), &new.identities);
        self.write(move |tx| Ok(customers::create(tx, &new, &text, now())?))
            .await
    }

    async fn get_customer(&self, id: CustomerId) -> Result<Customer> {
        self.read(move |c| Ok(customers::get(c, id)?)).await
    }

    async fn find_customer_by_identity(&self, identity: &Identity) -> Result<Option<Customer>> {
        let identity = identity.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction().map_err(StoreError::other)?;
            Ok(customers::find_by_identity(&tx, &identity)?)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(customer = %id), err)]
    async fn update_customer(&self, id: CustomerId, patch: CustomerPatch) -> Result<Customer> {
        self.write(move |tx| Ok(customers::update(tx, id, &patch, now())?))
            .await
    }

    async fn list_customers(
        &self,
        filter: &CustomerFilter,
        page: PageRequest,
    ) -> Result<Page<Customer>> {
        let filter = filter.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction().map_err(StoreError::other)?;
            Ok(customers::list(&tx, &filter, page)?)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(into = %into, merged = %merged), err)]
    async fn merge_customers(
        &self,
        into: CustomerId,
        merged: CustomerId,
        actor: &Actor,
    ) -> Result<Customer> {
        let actor = actor.clone();
        self.write(move |tx| Ok(customers::merge(tx, into, merged, &actor, now())?))
            .await
    }
}

#[async_trait]
impl TicketStore for SqliteStore {
    #[tracing::instrument(skip_all, err)]
    async fn create_ticket(&self, new: NewTicket) -> Result<TicketThread> {
        let analyzed = AnalyzedTicket::new(new);
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        self.inner
            .writer
            .write_unguarded(move |tx| Ok(tickets::create(tx, analyzed, now())?))
            .await
    }

    async fn get_ticket(&self, id: TicketId) -> Result<Ticket> {
        self.read(move |c| Ok(tickets::get(c, id)?)).await
    }

    async fn get_ticket_by_number(&self, number: i64) -> Result<Ticket> {
        self.read(move |c| Ok(tickets::get_by_number(c, number)?))
            .await
    }

    async fn get_thread(&self, id: TicketId) -> Result<TicketThread> {
        self.read(move |c| Ok(tickets::thread(c, id)?)).await
    }

    async fn list_tickets(&self, filter: &TicketFilter, page: PageRequest) -> Result<Page<Ticket>> {
        let filter = filter.clone();
        self.read(move |c| Ok(tickets::list(c, &filter, page)?))
            .await
    }

    async fn add_message(
        &self,
        ticket: TicketId,
        message: NewMessage,
        actor: &Actor,
    ) -> Result<(Ticket, Message)> {
        let added = self
            .add_message_with_promises(ticket, message, MessagePromises::default(), actor)
            .await?;
        Ok((added.ticket, added.message))
    }

    async fn update_ticket(
        &self,
        id: TicketId,
        patch: TicketPatch,
        actor: &Actor,
    ) -> Result<Ticket> {
        self.update_ticket_with_promises(id, patch, StatusPromises::default(), actor)
            .await
    }
}

impl SqliteStore {
    async fn settle(
        &self,
        id: PromiseId,
        to: PromiseState,
        note: Option<String>,
        actor: &Actor,
    ) -> Result<Promise> {
        let actor = actor.clone();
        self.write(move |tx| {
            Ok(promises::settle(
                tx,
                id,
                to,
                note.as_deref(),
                None,
                None,
                &actor,
                now(),
            )?)
        })
        .await
    }
}

#[async_trait]
impl PromiseStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(kind = %new.kind), err)]
    async fn create_promise(&self, new: NewPromise, actor: &Actor) -> Result<Promise> {
        let actor = actor.clone();
        self.write(move |tx| Ok(promises::create(tx, &new, &actor, now())?))
            .await
    }

    async fn get_promise(&self, id: PromiseId) -> Result<Promise> {
        self.read(move |c| Ok(promises::get(c, id)?)).await
    }

    async fn list_promises(
        &self,
        filter: &PromiseFilter,
        page: PageRequest,
    ) -> Result<Page<Promise>> {
        let filter = filter.clone();
        self.read(move |c| Ok(promises::list(c, &filter, page)?))
            .await
    }

    #[tracing::instrument(skip_all, fields(promise = %id), err)]
    async fn keep_promise(
        &self,
        id: PromiseId,
        note: Option<String>,
        actor: &Actor,
    ) -> Result<Promise> {
        self.settle(id, PromiseState::Kept, note, actor).await
    }

    #[tracing::instrument(skip_all, fields(promise = %id), err)]
    async fn cancel_promise(
        &self,
        id: PromiseId,
        reason: String,
        actor: &Actor,
    ) -> Result<Promise> {
        self.settle(id, PromiseState::Cancelled, Some(reason), actor)
            .await
    }

    #[tracing::instrument(skip_all, fields(promise = %id), err)]
    async fn break_promise(&self, id: PromiseId, reason: String, actor: &Actor) -> Result<Promise> {
        self.settle(id, PromiseState::Broken, Some(reason), actor)
            .await
    }

    #[tracing::instrument(skip_all, fields(promise = %id), err)]
    async fn mark_warned(&self, id: PromiseId, at: Timestamp) -> Result<Promise> {
        self.write(move |tx| Ok(promises::mark_warned(tx, id, at)?))
            .await
    }

    #[tracing::instrument(skip_all, fields(ticket = %ticket), err)]
    async fn add_message_with_promises(
        &self,
        ticket: TicketId,
        message: NewMessage,
        promises: MessagePromises,
        actor: &Actor,
    ) -> Result<MessageAdded> {
        // The text is analysed in the ticket's language here, off the writer; the writer
        // re-analyses only if the language changed in between.
        let language = self
            .read(move |c| Ok(tickets::language_of(c, ticket)?))
            .await?;
        let analyzed = AnalyzedMessage::new(message, language);
        let actor = actor.clone();
        self.write(move |tx| {
            Ok(tickets::add_message(
                tx,
                ticket,
                analyzed,
                &promises,
                &actor,
                now(),
            )?)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(ticket = %id), err)]
    async fn update_ticket_with_promises(
        &self,
        id: TicketId,
        patch: TicketPatch,
        promises: StatusPromises,
        actor: &Actor,
    ) -> Result<Ticket> {
        let actor = actor.clone();
        self.write(move |tx| {
            Ok(tickets::update(
                tx,
                id,
                &patch,
                promises.resume_in.as_ref(),
                &actor,
                now(),
            )?)
        })
        .await
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn list_events(&self, ticket: TicketId) -> Result<Vec<Event>> {
        self.read(move |c| Ok(events::list(c, ticket)?)).await
    }
}

#[async_trait]
impl AgentStore for SqliteStore {
    #[tracing::instrument(skip_all, err)]
    async fn create_agent(&self, new: NewAgent) -> Result<Agent> {
        self.write(move |tx| Ok(agents::create_agent(tx, &new, now())?))
            .await
    }

    async fn get_agent(&self, id: AgentId) -> Result<Agent> {
        self.read(move |c| Ok(agents::get_agent(c, id)?)).await
    }

    async fn find_agent_by_email(&self, email: &EmailAddress) -> Result<Option<Agent>> {
        let email = email.clone();
        self.read(move |c| Ok(agents::find_agent_by_email(c, &email)?))
            .await
    }

    async fn list_agents(&self) -> Result<Vec<Agent>> {
        self.read(|c| Ok(agents::list_agents(c)?)).await
    }

    async fn count_agents(&self) -> Result<u64> {
        self.read(|c| Ok(agents::count_agents(c)?)).await
    }

    #[tracing::instrument(skip_all, fields(agent = %id), err)]
    async fn set_agent_password(
        &self,
        id: AgentId,
        password_hash: String,
        must_change: bool,
    ) -> Result<()> {
        self.write(move |tx| {
            Ok(agents::set_agent_password(
                tx,
                id,
                &password_hash,
                must_change,
            )?)
        })
        .await
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    #[tracing::instrument(skip_all, err)]
    async fn create_token(&self, new: NewApiToken) -> Result<ApiToken> {
        self.write(move |tx| Ok(agents::create_token(tx, &new, now())?))
            .await
    }

    async fn find_token_by_secret(&self, secret_sha256: &[u8; 32]) -> Result<Option<ApiToken>> {
        let secret = *secret_sha256;
        self.read(move |c| Ok(agents::find_token_by_secret(c, &secret)?))
            .await
    }

    async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        self.read(|c| Ok(agents::list_tokens(c)?)).await
    }

    #[tracing::instrument(skip_all, fields(token = %id), err)]
    async fn revoke_token(&self, id: TokenId) -> Result<ApiToken> {
        self.write(move |tx| Ok(agents::revoke_token(tx, id, now())?))
            .await
    }

    async fn touch_token(&self, id: TokenId) -> Result<()> {
        let at = now();
        let micros = to_micros(at);
        let recent = {
            let touched = self.inner.touched.lock().unwrap_or_else(|p| p.into_inner());
            touched
                .get(&id.db_key())
                .is_some_and(|&last| micros - last < TOUCH_EVERY_MICROS)
        };
        if recent {
            return Ok(());
        }
        self.write(move |tx| Ok(agents::touch_token(tx, id, at)?))
            .await?;
        self.inner
            .touched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.db_key(), micros);
        Ok(())
    }
}

#[async_trait]
impl SearchStore for SqliteStore {
    #[tracing::instrument(skip_all, err)]
    async fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        if self.inner.index_behind.load(Ordering::Acquire) {
            // Everything committed before this search must be findable.
            self.write(|tx| search_index::catch_up(tx).map_err(StoreError::other))
                .await?;
        }
        let request = request.clone();
        self.read(move |c| Ok(search::search(c, &request)?)).await
    }
}

#[async_trait]
impl BlobStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(sha256 = %sha256), err)]
    async fn put_blob(&self, sha256: &str, bytes: Vec<u8>) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        let dir = self.inner.blob_dir.clone();
        let sha256 = sha256.to_owned();
        tokio::task::spawn_blocking(move || blobs::put(&dir, &sha256, &bytes))
            .await
            .map_err(StoreError::other)?
    }

    async fn get_blob(&self, sha256: &str) -> Result<Vec<u8>> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        let dir = self.inner.blob_dir.clone();
        let sha256 = sha256.to_owned();
        tokio::task::spawn_blocking(move || blobs::get(&dir, &sha256))
            .await
            .map_err(StoreError::other)?
    }
}

#[async_trait]
impl OrderStore for SqliteStore {
    #[tracing::instrument(skip_all, fields(shop = %shop, order = %order.number), err)]
    async fn upsert_order(&self, shop: &ShopCode, order: Order) -> Result<(OrderRecord, Upserted)> {
        let shop = shop.clone();
        self.write(move |tx| Ok(orders::upsert(tx, &shop, &order, now())?))
            .await
    }

    async fn get_order(&self, id: OrderId) -> Result<OrderRecord> {
        self.read(move |c| Ok(orders::get(c, id)?)).await
    }

    async fn find_order(
        &self,
        shop: &ShopCode,
        number: &OrderNumber,
    ) -> Result<Option<OrderRecord>> {
        let (shop, number) = (shop.clone(), number.clone());
        self.read(move |c| Ok(orders::find(c, &shop, &number)?))
            .await
    }

    async fn find_order_by_external_id(
        &self,
        shop: &ShopCode,
        external_id: &str,
    ) -> Result<Option<OrderRecord>> {
        let (shop, external_id) = (shop.clone(), external_id.to_owned());
        self.read(move |c| Ok(orders::find_by_external_id(c, &shop, &external_id)?))
            .await
    }

    async fn list_customer_orders(&self, customer: CustomerId) -> Result<Vec<OrderRecord>> {
        self.read(move |c| Ok(orders::list_for_customer(c, customer)?))
            .await
    }

    #[tracing::instrument(skip_all, fields(order = %order), err)]
    async fn upsert_shipment(&self, order: OrderId, shipment: NewShipment) -> Result<Shipment> {
        self.write(move |tx| Ok(orders::upsert_shipment(tx, order, &shipment, now())?))
            .await
    }

    async fn find_shipments(
        &self,
        tracking_number: &TrackingNumber,
        courier: Option<&Courier>,
    ) -> Result<Vec<Shipment>> {
        let (number, courier) = (tracking_number.clone(), courier.cloned());
        self.read(move |c| Ok(orders::find_shipments(c, &number, courier.as_ref())?))
            .await
    }

    #[tracing::instrument(skip_all, fields(shipment = %shipment), err)]
    async fn add_shipment_events(
        &self,
        shipment: ShipmentId,
        events: Vec<ShipmentEvent>,
    ) -> Result<(Shipment, usize)> {
        self.write(move |tx| Ok(orders::add_events(tx, shipment, &events, now())?))
            .await
    }

    #[tracing::instrument(skip_all, fields(source = %reject.source), err)]
    async fn record_import_reject(&self, reject: NewImportReject) -> Result<ImportReject> {
        self.write(move |tx| Ok(orders::record_reject(tx, &reject, now())?))
            .await
    }

    async fn list_import_rejects(&self, limit: u32) -> Result<Vec<ImportReject>> {
        self.read(move |c| Ok(orders::list_rejects(c, limit)?))
            .await
    }
}

#[async_trait]
impl IntakeStore for SqliteStore {
    async fn find_messages_by_channel_ids(
        &self,
        channel: Channel,
        ids: &[String],
    ) -> Result<Vec<ChannelMessageRef>> {
        let ids = ids.to_vec();
        self.read(move |c| Ok(intake::find_messages(c, channel, &ids)?))
            .await
    }

    #[tracing::instrument(skip_all, fields(kind = %mail.kind), err)]
    async fn quarantine(&self, mail: NewQuarantined) -> Result<Quarantined> {
        self.write(move |tx| Ok(intake::quarantine(tx, mail, now())?))
            .await
    }

    async fn find_quarantined(
        &self,
        channel: Channel,
        channel_message_id: &str,
    ) -> Result<Option<Quarantined>> {
        let id = channel_message_id.to_owned();
        self.read(move |c| Ok(intake::find_quarantined(c, channel, &id)?))
            .await
    }

    async fn get_quarantined(&self, id: QuarantineId) -> Result<Quarantined> {
        self.read(move |c| Ok(intake::get_quarantined(c, id)?))
            .await
    }

    async fn list_quarantine(&self, page: PageRequest) -> Result<Page<Quarantined>> {
        self.read(move |c| Ok(intake::list_quarantine(c, page)?))
            .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn health(&self) -> Result<()> {
        if !self.inner.writer.is_running() {
            return Err(error::failure("the SQLite writer is not running"));
        }
        self.read(|c| {
            c.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(StoreError::other)
        })
        .await
    }

    fn stats(&self) -> StoreStats {
        self.inner.writer.counters()
    }

    /// Refuses new requests, lets queued reads finish, commits every queued write, checkpoints
    /// the WAL into the database file and stops the threads.
    async fn close(&self) {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.inner.readers.shutdown().await;
        self.inner.checkpointer.shutdown().await;
        self.inner.writer.shutdown().await;
        tracing::info!("SQLite store closed");
    }
}
