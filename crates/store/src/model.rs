//! The records the Store reads and writes. Values are already parsed domain types: a record
//! that exists here is valid.

use trustdesk_domain::event::Hash;
use trustdesk_domain::text::Query;
use trustdesk_domain::{
    AgentId, AttachmentId, Channel, CustomerId, DeliveryState, Direction, EmailAddress, Identity,
    Language, MessageId, Priority, Role, Subject, Tag, TicketId, TicketStatus, Timestamp, TokenId,
};

/// Who did something, as written into the event log: `agt_…`, `tok_…`, `cus_…` or `system`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    pub fn system() -> Actor {
        Actor("system".into())
    }
    pub fn agent(id: AgentId) -> Actor {
        Actor(id.to_string())
    }
    pub fn token(id: TokenId) -> Actor {
        Actor(id.to_string())
    }
    pub fn customer(id: CustomerId) -> Actor {
        Actor(id.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    pub name: Option<String>,
    pub language: Option<Language>,
    /// Sorted by (kind, value).
    pub identities: Vec<Identity>,
    /// Set when this customer was merged into another; the record stays for the audit trail.
    pub merged_into: Option<CustomerId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub name: Option<String>,
    pub language: Option<Language>,
    pub identities: Vec<Identity>,
}

/// A partial update. `None` leaves a field alone; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct CustomerPatch {
    pub name: Option<Option<String>>,
    pub language: Option<Option<Language>>,
    pub add_identities: Vec<Identity>,
    pub remove_identities: Vec<Identity>,
}

#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Case-insensitive substring of the name or of any identity value.
    pub text: Option<String>,
    /// Include customers merged into others (default: only live ones).
    pub include_merged: bool,
}

/// The customer a new ticket belongs to.
#[derive(Debug, Clone)]
pub enum CustomerRef {
    Existing(CustomerId),
    /// Found by any of its identities (the first that matches wins; identities that belong to
    /// nobody yet are added to it), or created. Name and language fill gaps only.
    FindOrCreate(NewCustomer),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    /// The number people quote ("#1043"): unique, increasing.
    pub number: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: Priority,
    pub channel: Channel,
    pub language: Option<Language>,
    pub assignee: Option<AgentId>,
    /// Sorted.
    pub tags: Vec<Tag>,
    pub customer_id: CustomerId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewTicket {
    pub subject: Subject,
    pub customer: CustomerRef,
    pub channel: Channel,
    pub priority: Priority,
    pub language: Option<Language>,
    pub tags: Vec<Tag>,
    pub assignee: Option<AgentId>,
    /// The message that opens the ticket (usually the customer's).
    pub first_message: NewMessage,
    /// Promises made with the ticket (first response, resolution, the acknowledgement's
    /// "a person answers by …"); their ticket and customer are the new ticket's.
    pub promises: Vec<crate::NewPromise>,
    pub actor: Actor,
}

/// A partial update of a ticket. `assignee: Some(None)` unassigns; `tags` replaces the set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketPatch {
    pub subject: Option<Subject>,
    pub status: Option<TicketStatus>,
    pub priority: Option<Priority>,
    pub assignee: Option<Option<AgentId>>,
    pub tags: Option<Vec<Tag>>,
    pub language: Option<Option<Language>>,
}

impl TicketPatch {
    pub fn is_empty(&self) -> bool {
        *self == TicketPatch::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Agent(AgentId),
    Unassigned,
}

#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<TicketStatus>,
    pub assignee: Option<AssigneeFilter>,
    pub tag: Option<Tag>,
    pub customer: Option<CustomerId>,
}

/// Keyset pagination, newest first: `before` is the key of the last item of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub before: Option<i64>,
}

impl PageRequest {
    pub const MAX_LIMIT: u32 = 500;

    pub fn first(limit: u32) -> PageRequest {
        PageRequest {
            limit: limit.clamp(1, Self::MAX_LIMIT),
            before: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items match the filter in all pages.
    pub total: u64,
    /// The `before` key for the next page, when there is one.
    pub next: Option<i64>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Customer(CustomerId),
    Agent(AgentId),
    /// trustdesk itself (acknowledgements, notices) or an API integration without an agent.
    System,
}

/// An attachment's description; its bytes are in the blob store under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    /// 64 lower-case hex digits.
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub meta: AttachmentMeta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub ticket_id: TicketId,
    pub direction: Direction,
    pub author: Author,
    /// The plain text (always present; derived from HTML when only HTML came in).
    pub text: String,
    /// Sanitised HTML, when the message had HTML.
    pub html: Option<String>,
    /// The channel's own id (Message-ID, wamid, update_id), unique per channel.
    pub channel_message_id: Option<String>,
    pub delivery_state: DeliveryState,
    pub attachments: Vec<Attachment>,
    /// SHA-256 (hex) of the raw bytes the message arrived as (the whole mail), kept in the blob
    /// store as evidence; `None` for messages that did not arrive as raw bytes.
    pub raw_sha256: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub direction: Direction,
    pub author: Author,
    pub text: String,
    pub html: Option<String>,
    pub channel_message_id: Option<String>,
    pub delivery_state: DeliveryState,
    pub attachments: Vec<AttachmentMeta>,
    /// See [`Message::raw_sha256`]; the blob must be stored before the message.
    pub raw_sha256: Option<String>,
}

/// A ticket with its customer and messages, as the ticket page and API show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketThread {
    pub ticket: Ticket,
    pub customer: Customer,
    /// Oldest first.
    pub messages: Vec<Message>,
    /// Every promise on the ticket, oldest first.
    pub promises: Vec<crate::Promise>,
}

/// One entry of a ticket's hash-chained event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub ticket_id: TicketId,
    /// 1, 2, 3… per ticket, no gaps.
    pub seq: i64,
    pub kind: String,
    pub actor: String,
    /// The exact JSON text that was hashed.
    pub payload: String,
    pub at: Timestamp,
    pub prev_hash: Hash,
    pub hash: Hash,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: AgentId,
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    /// Argon2id PHC string; `None` until a password is set.
    pub password_hash: Option<String>,
    /// Set when the password is a one-time password that must be changed at first log-in.
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewAgent {
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
}

/// An API token. The secret itself is never stored: only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    pub role: Role,
    /// The agent the token acts for, if any.
    pub agent_id: Option<AgentId>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub name: String,
    pub role: Role,
    pub agent_id: Option<AgentId>,
    pub secret_sha256: [u8; 32],
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: Query,
    pub limit: u32,
}

/// A ticket that matched, with the best-matching text.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub ticket_id: TicketId,
    pub number: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub customer_id: CustomerId,
    /// The message whose text matched best, if a message matched (else subject or customer).
    pub message_id: Option<MessageId>,
    /// Text around the first match, matches marked `[like this]`.
    pub snippet: String,
    /// Higher is better; comparable only within one result list.
    pub score: f64,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// Tickets that match, in all.
    pub total: u64,
    /// Best first.
    pub hits: Vec<SearchHit>,
}

/// Figures for /metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Writes waiting for the writer (SQLite's group-commit queue; 0 where there is none).
    pub write_queue_depth: u64,
    /// Transactions committed since start.
    pub commits: u64,
    /// Writes committed since start (a commit carries one or more).
    pub writes: u64,
}
