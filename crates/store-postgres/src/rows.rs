//! Rows as PostgreSQL returns them and their conversion into the store's records, plus the
//! loaders every area shares (customers with identities, tickets with tags, messages with
//! attachments).

use std::collections::HashMap;

use sqlx::PgConnection;
use trustdesk_domain::event::Hash;
use trustdesk_domain::time::from_micros;
use trustdesk_domain::{
    AgentId, AttachmentId, CustomerId, EmailAddress, Identity, IdentityKind, Language, MessageId,
    Tag, TicketId, TokenId,
};
use trustdesk_store::{
    Agent, ApiToken, Attachment, AttachmentMeta, Author, Customer, Event, Message, Result,
    StoreError, Ticket,
};

use crate::error::{corrupt, db, parse_stored};

pub(crate) fn language(s: Option<String>) -> Result<Option<Language>> {
    s.map(|l| Language::parse(&l).map_err(|_| corrupt("language", l)))
        .transpose()
}

fn hash(bytes: Vec<u8>) -> Result<Hash> {
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| corrupt("event hash", hex::encode(&bytes)))
}

/// Identities sorted as the contract asks: by (kind, value), byte-wise.
pub(crate) fn sort_identities(ids: &mut [Identity]) {
    ids.sort_by(|a, b| (a.kind.as_str(), &a.value).cmp(&(b.kind.as_str(), &b.value)));
}

/// The same identities without repeats, first occurrence kept.
pub(crate) fn distinct_identities(ids: &[Identity]) -> Vec<Identity> {
    let mut out: Vec<Identity> = Vec::with_capacity(ids.len());
    for i in ids {
        if !out.contains(i) {
            out.push(i.clone());
        }
    }
    out
}

/// Kinds and values as two parallel arrays, for `UNNEST($1::text[], $2::text[])`.
pub(crate) fn identity_arrays(ids: &[Identity]) -> (Vec<String>, Vec<String>) {
    ids.iter()
        .map(|i| (i.kind.as_str().to_owned(), i.value.clone()))
        .unzip()
}

#[derive(sqlx::FromRow)]
pub(crate) struct CustomerRow {
    pub id: i64,
    pub name: Option<String>,
    pub language: Option<String>,
    pub merged_into: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

macro_rules! customer_columns {
    () => {
        "c.id, c.name, c.language, c.merged_into, c.created_at, c.updated_at"
    };
}
pub(crate) use customer_columns;

/// Customers by id with their identities, in the order of `rows`.
pub(crate) async fn with_identities(
    conn: &mut PgConnection,
    rows: Vec<CustomerRow>,
) -> Result<Vec<Customer>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let found: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT customer_id, kind, value FROM customer_identities WHERE customer_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut by_customer: HashMap<i64, Vec<Identity>> = HashMap::new();
    for (customer, kind, value) in found {
        let kind: IdentityKind = parse_stored("identity kind", &kind)?;
        by_customer
            .entry(customer)
            .or_default()
            .push(Identity { kind, value });
    }
    rows.into_iter()
        .map(|r| {
            let mut identities = by_customer.remove(&r.id).unwrap_or_default();
            sort_identities(&mut identities);
            Ok(Customer {
                id: CustomerId::from_db(r.id),
                name: r.name,
                language: language(r.language)?,
                identities,
                merged_into: r.merged_into.map(CustomerId::from_db),
                created_at: from_micros(r.created_at),
                updated_at: from_micros(r.updated_at),
            })
        })
        .collect()
}

pub(crate) async fn load_customer(conn: &mut PgConnection, id: i64) -> Result<Customer> {
    let row: Option<CustomerRow> = sqlx::query_as(concat!(
        "SELECT ",
        customer_columns!(),
        " FROM customers c WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let row = row.ok_or_else(|| StoreError::not_found("customer", CustomerId::from_db(id)))?;
    let mut found = with_identities(conn, vec![row]).await?;
    found
        .pop()
        .ok_or_else(|| StoreError::not_found("customer", CustomerId::from_db(id)))
}

#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    pub id: i64,
    pub number: i64,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub channel: String,
    pub language: Option<String>,
    pub assignee_id: Option<i64>,
    pub customer_id: i64,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The ticket columns, tags included, for `FROM tickets t`.
macro_rules! ticket_columns {
    () => {
        "t.id, t.number, t.subject, t.status, t.priority, t.channel, t.language, t.assignee_id, \
         t.customer_id, ARRAY(SELECT g.tag FROM ticket_tags g WHERE g.ticket_id = t.id) AS tags, \
         t.created_at, t.updated_at"
    };
}
pub(crate) use ticket_columns;

impl TicketRow {
    pub fn into_ticket(self) -> Result<Ticket> {
        let mut tags = self
            .tags
            .iter()
            .map(|t| Tag::parse(t).map_err(|_| corrupt("tag", t)))
            .collect::<Result<Vec<_>>>()?;
        tags.sort();
        Ok(Ticket {
            id: TicketId::from_db(self.id),
            number: self.number,
            subject: self.subject,
            status: parse_stored("ticket status", &self.status)?,
            priority: parse_stored("priority", &self.priority)?,
            channel: parse_stored("channel", &self.channel)?,
            language: language(self.language)?,
            assignee: self.assignee_id.map(AgentId::from_db),
            tags,
            customer_id: CustomerId::from_db(self.customer_id),
            created_at: from_micros(self.created_at),
            updated_at: from_micros(self.updated_at),
        })
    }
}

pub(crate) async fn load_ticket(conn: &mut PgConnection, id: TicketId) -> Result<Ticket> {
    fetch_ticket(
        conn,
        id,
        concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM tickets t WHERE t.id = $1"
        ),
    )
    .await
}

/// The ticket, locked against every other writer until the transaction ends: the one rule
/// that keeps each ticket's event sequence gap-free across nodes.
pub(crate) async fn lock_ticket(conn: &mut PgConnection, id: TicketId) -> Result<Ticket> {
    fetch_ticket(
        conn,
        id,
        concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM tickets t WHERE t.id = $1 FOR UPDATE OF t"
        ),
    )
    .await
}

/// One ticket by `sql` (which selects `ticket_columns!()` for id `$1`); NotFound `ticket`.
async fn fetch_ticket(conn: &mut PgConnection, id: TicketId, sql: &'static str) -> Result<Ticket> {
    let row: Option<TicketRow> = sqlx::query_as(sql)
        .bind(id.db_key())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    row.ok_or_else(|| StoreError::not_found("ticket", id))?
        .into_ticket()
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub id: i64,
    pub ticket_id: i64,
    pub direction: String,
    pub author_kind: String,
    pub author_id: Option<i64>,
    pub text: String,
    pub html: Option<String>,
    pub channel_message_id: Option<String>,
    pub raw_sha256: Option<String>,
    pub delivery_state: String,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AttachmentRow {
    pub id: i64,
    pub message_id: i64,
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

impl AttachmentRow {
    pub fn into_attachment(self) -> Attachment {
        Attachment {
            id: AttachmentId::from_db(self.id),
            meta: AttachmentMeta {
                sha256: self.sha256,
                filename: self.filename,
                content_type: self.content_type,
                size: self.size,
            },
        }
    }
}

/// How an author is stored: a kind and, for people, their id.
pub(crate) fn author_columns(author: &Author) -> (&'static str, Option<i64>) {
    match author {
        Author::Customer(id) => ("customer", Some(id.db_key())),
        Author::Agent(id) => ("agent", Some(id.db_key())),
        Author::System => ("system", None),
    }
}

fn author(kind: &str, id: Option<i64>) -> Result<Author> {
    match (kind, id) {
        ("customer", Some(id)) => Ok(Author::Customer(CustomerId::from_db(id))),
        ("agent", Some(id)) => Ok(Author::Agent(AgentId::from_db(id))),
        ("system", None) => Ok(Author::System),
        _ => Err(corrupt("message author", kind)),
    }
}

impl MessageRow {
    pub fn into_message(self, attachments: Vec<Attachment>) -> Result<Message> {
        Ok(Message {
            id: MessageId::from_db(self.id),
            ticket_id: TicketId::from_db(self.ticket_id),
            direction: parse_stored("message direction", &self.direction)?,
            author: author(&self.author_kind, self.author_id)?,
            text: self.text,
            html: self.html,
            channel_message_id: self.channel_message_id,
            delivery_state: parse_stored("delivery state", &self.delivery_state)?,
            attachments,
            raw_sha256: self.raw_sha256,
            created_at: from_micros(self.created_at),
        })
    }
}

/// All messages of a ticket with their attachments, oldest first.
pub(crate) async fn load_messages(
    conn: &mut PgConnection,
    ticket: TicketId,
) -> Result<Vec<Message>> {
    let rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT id, ticket_id, direction, author_kind, author_id, text, html, channel_message_id, \
                delivery_state, raw_sha256, created_at \
         FROM messages WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket.db_key())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let files: Vec<AttachmentRow> = sqlx::query_as(
        "SELECT a.id, a.message_id, a.sha256, a.filename, a.content_type, a.size \
         FROM attachments a JOIN messages m ON m.id = a.message_id \
         WHERE m.ticket_id = $1 ORDER BY a.id",
    )
    .bind(ticket.db_key())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut by_message: HashMap<i64, Vec<Attachment>> = HashMap::new();
    for f in files {
        by_message
            .entry(f.message_id)
            .or_default()
            .push(f.into_attachment());
    }
    rows.into_iter()
        .map(|r| {
            let files = by_message.remove(&r.id).unwrap_or_default();
            r.into_message(files)
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub ticket_id: i64,
    pub seq: i64,
    pub kind: String,
    pub actor: String,
    pub payload: String,
    pub at: i64,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

impl EventRow {
    pub fn into_event(self) -> Result<Event> {
        Ok(Event {
            ticket_id: TicketId::from_db(self.ticket_id),
            seq: self.seq,
            kind: self.kind,
            actor: self.actor,
            payload: self.payload,
            at: from_micros(self.at),
            prev_hash: hash(self.prev_hash)?,
            hash: hash(self.hash)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AgentRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: i64,
}

impl AgentRow {
    pub fn into_agent(self) -> Result<Agent> {
        Ok(Agent {
            id: AgentId::from_db(self.id),
            email: EmailAddress::parse(&self.email)
                .map_err(|_| corrupt("agent email", &self.email))?,
            name: self.name,
            role: parse_stored("role", &self.role)?,
            password_hash: self.password_hash,
            must_change_password: self.must_change_password,
            disabled: self.disabled,
            created_at: from_micros(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub agent_id: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl TokenRow {
    pub fn into_token(self) -> Result<ApiToken> {
        Ok(ApiToken {
            id: TokenId::from_db(self.id),
            name: self.name,
            role: parse_stored("role", &self.role)?,
            agent_id: self.agent_id.map(AgentId::from_db),
            created_at: from_micros(self.created_at),
            last_used_at: self.last_used_at.map(from_micros),
            revoked_at: self.revoked_at.map(from_micros),
        })
    }
}
