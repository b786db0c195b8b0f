//! What the API reads and writes, as JSON. Requests deserialize straight into domain types
//! where the domain has them (an invalid e-mail never gets past serde, and the error names the
//! field); responses are views of the store's records with typed ids (`tkt_…`) and RFC 3339
//! times.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use trustdesk_domain::{
    AgentId, AttachmentId, Channel, CustomerId, DeliveryState, Direction, EmailAddress, Identity,
    IdentityKind, Language, MessageId, PhoneNumber, Priority, Tag, TicketId, TicketStatus,
    Timestamp,
};
use trustdesk_store::{
    Attachment, Author, Customer, Event, Message, SearchHit, SearchResults, Ticket, TicketThread,
};
use utoipa::{IntoParams, ToSchema};

use super::schema::*;

/// Distinguishes "absent" (leave alone) from `null` (clear) in a PATCH body.
fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/// One way of reaching a customer.
#[derive(ToSchema)]
#[schema(as = Identity)]
#[allow(dead_code)] // Only describes `trustdesk_domain::Identity` in the document.
pub struct IdentityDoc {
    #[schema(value_type = IdentityKindSchema)]
    kind: IdentityKind,
    /// Canonical for its kind: lower-case e-mail, E.164 phone (`+48601234567`), WhatsApp
    /// digits, Telegram or chat visitor id.
    #[schema(example = "ana@shop.example")]
    value: String,
}

// ---------------------------------------------------------------------------------------------
// Tickets

/// The customer a new ticket is about: an existing one by `id`, or found by `email` / `phone`
/// (created when nobody has them yet; identities nobody has yet are added to the one found).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    #[schema(value_type = Option<CustomerIdSchema>)]
    pub id: Option<CustomerId>,
    #[schema(value_type = Option<String>, format = Email, example = "ana@shop.example")]
    pub email: Option<EmailAddress>,
    /// International form; spaces, dots and dashes are dropped.
    #[schema(value_type = Option<String>, example = "+48 601 234 567")]
    pub phone: Option<PhoneNumber>,
    /// Fills the customer's name when it has none.
    #[schema(example = "Ana Pop")]
    pub name: Option<String>,
    /// ISO 639-1; fills the customer's language when it has none.
    #[schema(value_type = Option<String>, example = "ro")]
    pub language: Option<Language>,
}

/// A new ticket and the message that opens it (the customer's words, direction `in`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    /// One line, 1-500 characters.
    #[schema(example = "Where is my order 1043?")]
    pub subject: String,
    /// The message text. At least one of `body` and `html`.
    #[schema(example = "Hello, I ordered a week ago and nothing arrived.")]
    pub body: Option<String>,
    /// The message as HTML; sanitised before it is stored, and the source of the text when
    /// `body` is absent.
    pub html: Option<String>,
    pub customer: CustomerInput,
    /// Default `api`.
    #[schema(value_type = Option<ChannelSchema>)]
    pub channel: Option<Channel>,
    /// Default `normal`.
    #[schema(value_type = Option<PrioritySchema>)]
    pub priority: Option<Priority>,
    /// Lower-case letters, digits, `-`, `_`, `:`, `.`; at most 64 characters each.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["shipping"]))]
    pub tags: Vec<Tag>,
    #[schema(value_type = Option<String>, example = "ro")]
    pub language: Option<Language>,
    #[schema(value_type = Option<AgentIdSchema>)]
    pub assignee: Option<AgentId>,
    /// The channel's own id of the first message (Message-ID, wamid, …): sending the same one
    /// again on the same channel is refused with 409 `duplicate_message`, which makes
    /// retries safe.
    pub channel_message_id: Option<String>,
}

/// A change to a ticket. Absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicket {
    pub subject: Option<String>,
    /// A closed ticket stays closed (409 `ticket_closed`).
    #[schema(value_type = Option<StatusSchema>)]
    pub status: Option<TicketStatus>,
    #[schema(value_type = Option<PrioritySchema>)]
    pub priority: Option<Priority>,
    /// An agent id, or `null` to unassign.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<AgentIdSchema>, nullable)]
    pub assignee: Option<Option<AgentId>>,
    /// Replaces the ticket's tags.
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Vec<Tag>>,
    /// ISO 639-1, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub language: Option<Option<Language>>,
}

/// A ticket, without its messages.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Ticket)]
pub struct TicketView {
    #[schema(value_type = TicketIdSchema)]
    pub id: TicketId,
    /// The number people quote ("#1043").
    pub number: i64,
    pub subject: String,
    #[schema(value_type = StatusSchema)]
    pub status: TicketStatus,
    #[schema(value_type = PrioritySchema)]
    pub priority: Priority,
    #[schema(value_type = ChannelSchema)]
    pub channel: Channel,
    #[schema(value_type = Option<String>)]
    pub language: Option<Language>,
    #[schema(value_type = Option<AgentIdSchema>)]
    pub assignee: Option<AgentId>,
    #[schema(value_type = Vec<String>)]
    pub tags: Vec<Tag>,
    #[schema(value_type = CustomerIdSchema)]
    pub customer_id: CustomerId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Ticket> for TicketView {
    fn from(t: Ticket) -> Self {
        TicketView {
            id: t.id,
            number: t.number,
            subject: t.subject,
            status: t.status,
            priority: t.priority,
            channel: t.channel,
            language: t.language,
            assignee: t.assignee,
            tags: t.tags,
            customer_id: t.customer_id,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A ticket with its customer and every message, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketView,
    pub customer: CustomerView,
    pub messages: Vec<MessageView>,
    /// Every promise on the ticket, oldest first.
    pub promises: Vec<super::promises::PromiseView>,
}

impl From<TicketThread> for TicketDetail {
    fn from(t: TicketThread) -> Self {
        let ticket = TicketView::from(t.ticket);
        let messages = t
            .messages
            .into_iter()
            .map(|m| MessageView::new(m, ticket.id))
            .collect();
        TicketDetail {
            ticket,
            customer: t.customer.into(),
            messages,
            promises: t.promises.into_iter().map(Into::into).collect(),
        }
    }
}

/// One page of tickets, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketList {
    pub items: Vec<TicketView>,
    /// Tickets matching the filter, in all pages.
    pub total: u64,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketListQuery {
    /// `new`, `open`, `pending_customer`, `pending_internal`, `resolved`, `closed`.
    pub status: Option<String>,
    /// An agent id (`agt_…`), or `none` for unassigned tickets.
    pub assignee: Option<String>,
    pub tag: Option<String>,
    /// A customer id (`cus_…`).
    pub customer: Option<String>,
    /// 1-500, default 50.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Messages and attachments

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// To the customer (direction `out`). Stored as `queued`: sending by e-mail and the other
    /// channels comes with the outbox, in a later release.
    Reply,
    /// Internal, never shown to the customer (direction `note`).
    Note,
}

/// An attachment sent inline with a message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentInput {
    /// A file name, without directories; at most 255 characters.
    #[schema(example = "invoice-1043.pdf")]
    pub filename: String,
    /// A media type such as `application/pdf`.
    #[schema(example = "application/pdf")]
    pub content_type: String,
    /// The bytes, base64 (standard alphabet, padding optional).
    pub content_base64: String,
}

/// A reply to the customer or an internal note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessageInput {
    pub kind: MessageKind,
    /// The text. At least one of `body` and `html` (or an attachment).
    pub body: Option<String>,
    /// HTML, sanitised before it is stored; the text is derived from it when `body` is absent.
    pub html: Option<String>,
    /// Each at most the configured size (25 MiB by default), at most 20.
    #[serde(default)]
    pub attachments: Vec<AttachmentInput>,
    /// A promise made with this message ("I'll call you back tomorrow at 10"), by the token's
    /// agent, recorded in the same transaction.
    pub promise: Option<super::promises::MessagePromiseInput>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Author)]
pub struct AuthorView {
    /// `customer`, `agent` or `system` (trustdesk itself, or an API token without an agent).
    #[schema(value_type = String, example = "agent")]
    pub kind: &'static str,
    /// The customer's or agent's id.
    pub id: Option<String>,
}

impl From<Author> for AuthorView {
    fn from(a: Author) -> Self {
        match a {
            Author::Customer(id) => AuthorView {
                kind: "customer",
                id: Some(id.to_string()),
            },
            Author::Agent(id) => AuthorView {
                kind: "agent",
                id: Some(id.to_string()),
            },
            Author::System => AuthorView {
                kind: "system",
                id: None,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Attachment)]
pub struct AttachmentView {
    #[schema(value_type = AttachmentIdSchema)]
    pub id: AttachmentId,
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Where to download it (always as a download, never shown inline).
    #[schema(example = "/api/v1/tickets/tkt_1/attachments/att_1")]
    pub url: String,
}

impl AttachmentView {
    fn new(a: Attachment, ticket: TicketId) -> Self {
        AttachmentView {
            url: format!("/api/v1/tickets/{ticket}/attachments/{}", a.id),
            id: a.id,
            filename: a.meta.filename,
            content_type: a.meta.content_type,
            size: a.meta.size,
            sha256: a.meta.sha256,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Message)]
pub struct MessageView {
    #[schema(value_type = MessageIdSchema)]
    pub id: MessageId,
    #[schema(value_type = DirectionSchema)]
    pub direction: Direction,
    pub author: AuthorView,
    /// Plain text (derived from the HTML when only HTML came in).
    pub text: String,
    /// Sanitised HTML, when the message had HTML.
    pub html: Option<String>,
    pub channel_message_id: Option<String>,
    #[schema(value_type = DeliveryStateSchema)]
    pub delivery_state: DeliveryState,
    pub attachments: Vec<AttachmentView>,
    /// SHA-256 of the raw mail this message arrived as (kept as evidence), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_sha256: Option<String>,
    pub created_at: Timestamp,
}

impl MessageView {
    pub fn new(m: Message, ticket: TicketId) -> Self {
        MessageView {
            id: m.id,
            direction: m.direction,
            author: m.author.into(),
            text: m.text,
            html: m.html,
            channel_message_id: m.channel_message_id,
            delivery_state: m.delivery_state,
            attachments: m
                .attachments
                .into_iter()
                .map(|a| AttachmentView::new(a, ticket))
                .collect(),
            raw_sha256: m.raw_sha256,
            created_at: m.created_at,
        }
    }
}

/// The message as stored and the ticket after it (its status may have moved).
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePosted {
    pub ticket: TicketView,
    pub message: MessageView,
    /// Promises made with the message.
    pub promises_made: Vec<super::promises::PromiseView>,
    /// Promises the message kept (a reply keeps the first and next response).
    pub promises_kept: Vec<super::promises::PromiseView>,
}

// ---------------------------------------------------------------------------------------------
// Events

/// One entry of the ticket's hash-chained log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventView {
    /// 1, 2, 3… per ticket.
    pub seq: i64,
    /// `ticket.created`, `ticket.updated`, `message.added`, `customer.merged`, ….
    pub kind: String,
    /// Who did it: `tok_…`, `agt_…`, `cus_…` or `system`.
    pub actor: String,
    /// The event's data, exactly the JSON text that was hashed.
    #[schema(value_type = Object)]
    pub payload: Box<RawValue>,
    pub at: Timestamp,
    /// Hex SHA-256 of the previous event (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 of this event, chained to `prev_hash`.
    pub hash: String,
}

impl EventView {
    pub fn new(e: Event) -> Result<Self, serde_json::Error> {
        Ok(EventView {
            seq: e.seq,
            payload: RawValue::from_string(e.payload)?,
            kind: e.kind,
            actor: e.actor,
            at: e.at,
            prev_hash: hex::encode(e.prev_hash),
            hash: hex::encode(e.hash),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    /// Oldest first.
    pub items: Vec<EventView>,
    /// Whether the chain verified on the server: sequence without gaps, each event linked to
    /// the one before and matching its own hash.
    pub chain_valid: bool,
    /// Where it stopped verifying, when it did not.
    pub chain_error: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Customers

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Customer)]
pub struct CustomerView {
    #[schema(value_type = CustomerIdSchema)]
    pub id: CustomerId,
    pub name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub language: Option<Language>,
    /// Sorted by kind, then value.
    #[schema(value_type = Vec<IdentityDoc>)]
    pub identities: Vec<Identity>,
    /// Set when this customer was merged into another.
    #[schema(value_type = Option<CustomerIdSchema>)]
    pub merged_into: Option<CustomerId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Customer> for CustomerView {
    fn from(c: Customer) -> Self {
        CustomerView {
            id: c.id,
            name: c.name,
            language: c.language,
            identities: c.identities,
            merged_into: c.merged_into,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new customer: a name, or at least one identity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    #[schema(example = "Ana Pop")]
    pub name: Option<String>,
    #[schema(value_type = Option<String>, example = "ro")]
    pub language: Option<Language>,
    /// Shorthand for an `email` identity.
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Option<EmailAddress>,
    /// Shorthand for a `phone` identity.
    #[schema(value_type = Option<String>)]
    pub phone: Option<PhoneNumber>,
    #[serde(default)]
    #[schema(value_type = Vec<IdentityDoc>)]
    pub identities: Vec<Identity>,
}

/// A change to a customer. Absent fields stay; `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub language: Option<Option<Language>>,
    /// 409 `identity_taken` when one belongs to another customer.
    #[serde(default)]
    #[schema(value_type = Vec<IdentityDoc>)]
    pub add_identities: Vec<Identity>,
    #[serde(default)]
    #[schema(value_type = Vec<IdentityDoc>)]
    pub remove_identities: Vec<Identity>,
}

/// Merge the customer `from` into the one in the path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeCustomers {
    #[schema(value_type = CustomerIdSchema)]
    pub from: CustomerId,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerList {
    pub items: Vec<CustomerView>,
    pub total: u64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    /// Case-insensitive part of a name or of any identity value.
    pub q: Option<String>,
    /// `true` to include customers merged into others.
    pub include_merged: Option<String>,
    /// 1-500, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Search

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find; every word must occur in the ticket (subject, messages, notes, customer
    /// name or addresses). Diacritics and case do not matter; operators and quotes are just
    /// separators.
    pub q: Option<String>,
    /// 1-100, default 20.
    pub limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SearchHit)]
pub struct SearchHitView {
    #[schema(value_type = TicketIdSchema)]
    pub ticket_id: TicketId,
    pub number: i64,
    pub subject: String,
    #[schema(value_type = StatusSchema)]
    pub status: TicketStatus,
    #[schema(value_type = CustomerIdSchema)]
    pub customer_id: CustomerId,
    /// The message that matched best, when a message matched.
    #[schema(value_type = Option<MessageIdSchema>)]
    pub message_id: Option<MessageId>,
    /// Text around the first match, matches marked `[like this]`.
    pub snippet: String,
    /// Higher is better; comparable only within one response.
    pub score: f64,
    pub updated_at: Timestamp,
}

impl From<SearchHit> for SearchHitView {
    fn from(h: SearchHit) -> Self {
        SearchHitView {
            ticket_id: h.ticket_id,
            number: h.number,
            subject: h.subject,
            status: h.status,
            customer_id: h.customer_id,
            message_id: h.message_id,
            snippet: h.snippet,
            score: h.score,
            updated_at: h.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Matching tickets, in all.
    pub total: u64,
    /// Best first.
    pub hits: Vec<SearchHitView>,
}

impl From<SearchResults> for SearchResponse {
    fn from(r: SearchResults) -> Self {
        SearchResponse {
            total: r.total,
            hits: r.hits.into_iter().map(Into::into).collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// System

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    #[schema(value_type = String, example = "ok")]
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    #[schema(value_type = String, example = "sqlite")]
    pub backend: &'static str,
}
