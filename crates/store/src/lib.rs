//! The storage seam: one trait per area, combined into [`Store`], implemented by the SQLite and
//! PostgreSQL crates and proven equal by one conformance suite. The server only ever sees these
//! traits, these records and [`StoreError`] — never a database driver.

mod intake;
mod model;
mod order;
mod promise;
mod url;

pub use intake::*;
pub use model::*;
pub use order::*;
pub use promise::*;
pub use url::{Backend, DatabaseUrl, InvalidDatabaseUrl};

use async_trait::async_trait;
use trustdesk_domain::{AgentId, CustomerId, EmailAddress, Identity, TicketId, TokenId};

/// The few ways storage can fail that callers act on; everything else is `Other`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist. `what` is `ticket`, `customer`, `agent`, ….
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// A uniqueness or state rule refused the write; `code` is stable and machine-readable
    /// (`duplicate_message`, `identity_taken`, `ticket_closed`, `email_taken`, …).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// The storage failed (IO, connection, corruption). Logged, shown as an opaque 500.
    #[error("storage error: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn not_found(what: &'static str, id: impl ToString) -> StoreError {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> StoreError {
        StoreError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn other(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError::Other(Box::new(e))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[async_trait]
pub trait CustomerStore {
    /// Conflict `identity_taken` when an identity already belongs to another customer.
    async fn create_customer(&self, new: NewCustomer) -> Result<Customer>;
    /// A merged customer is still returned (with `merged_into` set).
    async fn get_customer(&self, id: CustomerId) -> Result<Customer>;
    async fn find_customer_by_identity(&self, identity: &Identity) -> Result<Option<Customer>>;
    /// Conflict `identity_taken` when an added identity belongs to another customer.
    async fn update_customer(&self, id: CustomerId, patch: CustomerPatch) -> Result<Customer>;
    async fn list_customers(
        &self,
        filter: &CustomerFilter,
        page: PageRequest,
    ) -> Result<Page<Customer>>;
    /// Moves `merged`'s identities and tickets to `into`, fills `into`'s empty name/language
    /// from `merged`, marks `merged` as merged, and records a `customer.merged` event on every
    /// moved ticket. Conflict `merge_self` / `already_merged`.
    async fn merge_customers(
        &self,
        into: CustomerId,
        merged: CustomerId,
        actor: &Actor,
    ) -> Result<Customer>;
}

#[async_trait]
pub trait TicketStore {
    /// One transaction: customer found or created, ticket, first message, search index,
    /// `ticket.created` and `message.added` events, then `new.promises` (each with its
    /// `promise.made`, referring to the first message). Conflict `duplicate_message` when the first
    /// message's channel id was seen before on the same channel.
    async fn create_ticket(&self, new: NewTicket) -> Result<TicketThread>;
    async fn get_ticket(&self, id: TicketId) -> Result<Ticket>;
    async fn get_ticket_by_number(&self, number: i64) -> Result<Ticket>;
    /// The ticket, its customer, all its messages and all its promises, oldest first.
    async fn get_thread(&self, id: TicketId) -> Result<TicketThread>;
    /// Newest first. `total` counts all matches.
    async fn list_tickets(&self, filter: &TicketFilter, page: PageRequest) -> Result<Page<Ticket>>;
    /// Appends a message, moves the status by the domain's rule, indexes it, records
    /// `message.added` (and `ticket.updated` if the status moved, with the move's effect on
    /// promises — see [`PromiseStore::update_ticket_with_promises`]). Conflict `ticket_closed`
    /// or `duplicate_message`.
    async fn add_message(
        &self,
        ticket: TicketId,
        message: NewMessage,
        actor: &Actor,
    ) -> Result<(Ticket, Message)>;
    /// Applies the patch and records one `ticket.updated` event listing what changed (none if
    /// nothing did); a status change moves the ticket's promises as
    /// [`PromiseStore::update_ticket_with_promises`] says, resuming paused clocks in wall time. Conflict `ticket_closed` for a change away from closed; NotFound `agent`
    /// for an unknown assignee.
    async fn update_ticket(
        &self,
        id: TicketId,
        patch: TicketPatch,
        actor: &Actor,
    ) -> Result<Ticket>;
}

#[async_trait]
pub trait EventStore {
    /// The ticket's events, seq 1 first.
    async fn list_events(&self, ticket: TicketId) -> Result<Vec<Event>>;
}

#[async_trait]
pub trait AgentStore {
    /// Conflict `email_taken`.
    async fn create_agent(&self, new: NewAgent) -> Result<Agent>;
    async fn get_agent(&self, id: AgentId) -> Result<Agent>;
    async fn find_agent_by_email(&self, email: &EmailAddress) -> Result<Option<Agent>>;
    async fn list_agents(&self) -> Result<Vec<Agent>>;
    async fn count_agents(&self) -> Result<u64>;
    async fn set_agent_password(
        &self,
        id: AgentId,
        password_hash: String,
        must_change: bool,
    ) -> Result<()>;
}

#[async_trait]
pub trait TokenStore {
    async fn create_token(&self, new: NewApiToken) -> Result<ApiToken>;
    /// A live (not revoked) token by the SHA-256 of its secret.
    async fn find_token_by_secret(&self, secret_sha256: &[u8; 32]) -> Result<Option<ApiToken>>;
    async fn list_tokens(&self) -> Result<Vec<ApiToken>>;
    /// Revoking twice is fine; NotFound for an unknown id.
    async fn revoke_token(&self, id: TokenId) -> Result<ApiToken>;
    /// Best-effort usage stamp (may be coalesced by the backend).
    async fn touch_token(&self, id: TokenId) -> Result<()>;
}

#[async_trait]
pub trait SearchStore {
    /// Tickets matching every word of the query in their subject, messages, or customer's
    /// name and identities. An empty query matches nothing.
    async fn search(&self, request: &SearchRequest) -> Result<SearchResults>;
}

/// Attachment bytes, addressed by their SHA-256.
#[async_trait]
pub trait BlobStore {
    /// Stores `bytes` under `sha256` (hex, which the caller computed); storing the same
    /// content twice is a no-op.
    async fn put_blob(&self, sha256: &str, bytes: Vec<u8>) -> Result<()>;
    /// NotFound `blob`.
    async fn get_blob(&self, sha256: &str) -> Result<Vec<u8>>;
}

/// Everything trustdesk keeps, behind one object the server holds as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    CustomerStore
    + TicketStore
    + EventStore
    + AgentStore
    + TokenStore
    + SearchStore
    + BlobStore
    + PromiseStore
    + OrderStore
    + IntakeStore
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> Backend;
    /// Cheap round trip to the database, for /healthz.
    async fn health(&self) -> Result<()>;
    fn stats(&self) -> StoreStats;
    /// Finishes queued writes, then closes connections. Later calls fail.
    async fn close(&self);
}
