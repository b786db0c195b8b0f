//! Tickets and their messages: creation (customer, ticket, first message, index, events in one
//! request), new messages, updates, reading threads and listing with keyset pagination.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde_json::{Map, json};
use sha2::{Digest, Sha256};
use trustdesk_domain::calendar::Calendar;
use trustdesk_domain::event::kind;
use trustdesk_domain::promise::on_status_change;
use trustdesk_domain::text::index_text;
use trustdesk_domain::time::to_micros;
use trustdesk_domain::{
    AgentId, AttachmentId, Channel, CustomerId, DeliveryState, Direction, Language, MessageId, Tag,
    TicketId, TicketStatus, Timestamp,
};
use trustdesk_store::{
    Actor, AssigneeFilter, Attachment, Author, Message, MessageAdded, MessagePromises, NewMessage,
    NewTicket, Page, PageRequest, StoreError, Ticket, TicketFilter, TicketPatch, TicketThread,
};

use crate::customers::{self, CustomerText};
use crate::error::{Result, opt_parsed, parsed, time, word};
use crate::events::Chain;
use crate::promises::{self, Owner};
use crate::search_index;
use crate::sql::SqlFilter;

pub(crate) const COLUMNS: &str = "t.id, t.number, t.subject, t.status, t.priority, t.channel, \
     t.language, t.assignee_id, t.tags, t.customer_id, t.created_at, t.updated_at";

fn parse_tags(text: &str) -> std::result::Result<Vec<Tag>, trustdesk_domain::InvalidValue> {
    text.split(' ')
        .filter(|t| !t.is_empty())
        .map(Tag::parse)
        .collect()
}

fn tags_text(tags: &[Tag]) -> String {
    tags.iter().map(Tag::as_str).collect::<Vec<_>>().join(" ")
}

fn sorted_tags(tags: &[Tag]) -> Vec<Tag> {
    let mut tags = tags.to_vec();
    tags.sort();
    tags.dedup();
    tags
}

/// Reads a ticket from the first twelve columns of a row selected with [`COLUMNS`].
pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        id: TicketId::from_db(row.get(0)?),
        number: row.get(1)?,
        subject: row.get(2)?,
        status: word(row, 3)?,
        priority: word(row, 4)?,
        channel: word(row, 5)?,
        language: opt_parsed(row, 6, Language::parse)?,
        assignee: row.get::<_, Option<i64>>(7)?.map(AgentId::from_db),
        tags: parsed(row, 8, parse_tags)?,
        customer_id: CustomerId::from_db(row.get(9)?),
        created_at: time(row, 10)?,
        updated_at: time(row, 11)?,
    })
}

pub(crate) fn get(conn: &Connection, id: TicketId) -> Result<Ticket> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM tickets t WHERE t.id = ?1"))?
        .query_row([id.db_key()], from_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("ticket", id).into())
}

pub(crate) fn get_by_number(conn: &Connection, number: i64) -> Result<Ticket> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tickets t WHERE t.number = ?1"
    ))?
    .query_row([number], from_row)
    .optional()?
    .ok_or_else(|| StoreError::not_found("ticket", format!("#{number}")).into())
}

/// The language a ticket's messages are analysed in; NotFound `ticket`.
pub(crate) fn language_of(conn: &Connection, id: TicketId) -> Result<Option<Language>> {
    conn.prepare_cached("SELECT language FROM tickets WHERE id = ?1")?
        .query_row([id.db_key()], |r| opt_parsed(r, 0, Language::parse))
        .optional()?
        .ok_or_else(|| StoreError::not_found("ticket", id).into())
}

/// A message with the work that does not need the database done ahead, outside the writer:
/// its analyzer terms (in the language the ticket is expected to have) and the hash of its
/// text for the event log.
pub(crate) struct AnalyzedMessage {
    pub message: NewMessage,
    pub language: Option<Language>,
    pub terms: String,
    pub text_sha256: String,
}

impl AnalyzedMessage {
    pub(crate) fn new(message: NewMessage, language: Option<Language>) -> AnalyzedMessage {
        AnalyzedMessage {
            terms: search_index::terms(&message.text, language),
            text_sha256: hex::encode(Sha256::digest(message.text.as_bytes())),
            message,
            language,
        }
    }

    /// The terms for a ticket in `language`, re-analysing only if the guess was wrong (the
    /// ticket's language changed between the guess and the write).
    fn terms_for(&mut self, language: Option<Language>) -> &str {
        if language != self.language {
            self.terms = search_index::terms(&self.message.text, language);
            self.language = language;
        }
        &self.terms
    }
}

/// A new ticket with its analysis done ahead, outside the writer.
pub(crate) struct AnalyzedTicket {
    pub new: NewTicket,
    pub subject_terms: String,
    pub first: AnalyzedMessage,
    /// For a customer that may have to be created.
    pub customer_text: Option<CustomerText>,
}

impl AnalyzedTicket {
    pub(crate) fn new(new: NewTicket) -> AnalyzedTicket {
        let customer_text = match &new.customer {
            trustdesk_store::CustomerRef::FindOrCreate(c) => {
                Some(CustomerText::of(c.name.as_deref(), &c.identities))
            }
            trustdesk_store::CustomerRef::Existing(_) => None,
        };
        AnalyzedTicket {
            subject_terms: index_text(new.subject.as_str(), new.language),
            first: AnalyzedMessage::new(new.first_message.clone(), new.language),
            customer_text,
            new,
        }
    }
}

fn author_columns(author: &Author) -> (&'static str, Option<i64>) {
    match author {
        Author::Customer(id) => ("customer", Some(id.db_key())),
        Author::Agent(id) => ("agent", Some(id.db_key())),
        Author::System => ("system", None),
    }
}

fn author_name(author: &Author) -> String {
    match author {
        Author::Customer(id) => id.to_string(),
        Author::Agent(id) => id.to_string(),
        Author::System => "system".to_owned(),
    }
}

fn author_from(kind: &str, id: Option<i64>) -> Option<Author> {
    match (kind, id) {
        ("customer", Some(id)) => Some(Author::Customer(CustomerId::from_db(id))),
        ("agent", Some(id)) => Some(Author::Agent(AgentId::from_db(id))),
        ("system", _) => Some(Author::System),
        _ => None,
    }
}

fn require_agent(conn: &Connection, id: AgentId) -> Result<()> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM agents WHERE id = ?1")?
        .exists([id.db_key()])?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::not_found("agent", id).into())
    }
}

/// Conflict `duplicate_message` when the message's channel id was seen before on this channel.
fn refuse_duplicate(conn: &Connection, channel: Channel, new: &NewMessage) -> Result<()> {
    if let Some(cmid) = &new.channel_message_id {
        let seen = conn
            .prepare_cached(
                "SELECT 1 FROM messages WHERE channel = ?1 AND channel_message_id = ?2",
            )?
            .exists(params![channel.as_str(), cmid])?;
        if seen {
            return Err(StoreError::conflict(
                "duplicate_message",
                format!("message {cmid} was already received on {channel}"),
            )
            .into());
        }
    }
    Ok(())
}

/// Inserts a message and its attachments; Conflict `duplicate_message` when its channel id was
/// seen before on this channel.
fn insert_message(
    conn: &Connection,
    ticket: TicketId,
    channel: Channel,
    new: &NewMessage,
    terms: &str,
    now: Timestamp,
) -> Result<Message> {
    refuse_duplicate(conn, channel, new)?;
    let (author_kind, author_id) = author_columns(&new.author);
    conn.prepare_cached(
        "INSERT INTO messages (ticket_id, direction, author_kind, author_id, text, html, channel,
                               channel_message_id, delivery_state, terms, created_at, raw_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        ticket.db_key(),
        new.direction.as_str(),
        author_kind,
        author_id,
        new.text,
        new.html,
        channel.as_str(),
        new.channel_message_id,
        new.delivery_state.as_str(),
        terms,
        to_micros(now),
        new.raw_sha256
    ])?;
    let id = MessageId::from_db(conn.last_insert_rowid());
    let mut attachments = Vec::with_capacity(new.attachments.len());
    for meta in &new.attachments {
        conn.prepare_cached(
            "INSERT INTO attachments (message_id, sha256, filename, content_type, size)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            id.db_key(),
            meta.sha256,
            meta.filename,
            meta.content_type,
            meta.size
        ])?;
        attachments.push(Attachment {
            id: AttachmentId::from_db(conn.last_insert_rowid()),
            meta: meta.clone(),
        });
    }
    Ok(Message {
        id,
        ticket_id: ticket,
        direction: new.direction,
        author: new.author,
        text: new.text.clone(),
        html: new.html.clone(),
        channel_message_id: new.channel_message_id.clone(),
        delivery_state: new.delivery_state,
        attachments,
        raw_sha256: new.raw_sha256.clone(),
        created_at: now,
    })
}

fn message_added_payload(message: &Message, text_sha256: &str) -> String {
    let attachments: Vec<&str> = message
        .attachments
        .iter()
        .map(|a| a.meta.sha256.as_str())
        .collect();
    let mut payload = json!({
        "message": message.id.to_string(),
        "direction": message.direction.as_str(),
        "author": author_name(&message.author),
        "sha256": text_sha256,
        "attachments": attachments,
    });
    // The raw mail's digest joins the chain only when there is one, so the payloads of other
    // messages stay as they were.
    if let Some(raw) = &message.raw_sha256 {
        payload["raw_sha256"] = raw.as_str().into();
    }
    payload.to_string()
}

/// Creates a ticket with its customer (found or created), first message, search note and
/// events. Every check that can refuse it comes before its first change, so that it can run
/// without a savepoint (`Writer::write_unguarded`).
pub(crate) fn create(
    conn: &Connection,
    mut t: AnalyzedTicket,
    now: Timestamp,
) -> Result<TicketThread> {
    let at = to_micros(now);
    let new = &t.new;
    if let Some(agent) = new.assignee {
        require_agent(conn, agent)?;
    }
    refuse_duplicate(conn, new.channel, &new.first_message)?;
    // From here on only the customer look-up can fail, and it does so before it writes.
    let customer =
        customers::resolve_for_ticket(conn, &new.customer, t.customer_text.as_ref(), now)?;
    let number: i64 = conn
        .prepare_cached("SELECT coalesce(max(number), 0) + 1 FROM tickets")?
        .query_row([], |r| r.get(0))?;
    let tags = sorted_tags(&new.tags);
    conn.prepare_cached(
        "INSERT INTO tickets (number, subject, subject_terms, status, priority, channel, language,
                              assignee_id, tags, customer_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
    )?
    .execute(params![
        number,
        new.subject.as_str(),
        t.subject_terms,
        TicketStatus::New.as_str(),
        new.priority.as_str(),
        new.channel.as_str(),
        new.language.as_ref().map(Language::as_str),
        new.assignee.map(AgentId::db_key),
        tags_text(&tags),
        customer.id.db_key(),
        at
    ])?;
    let id = TicketId::from_db(conn.last_insert_rowid());
    for tag in &tags {
        conn.prepare_cached("INSERT INTO ticket_tags (tag, ticket_id) VALUES (?1, ?2)")?
            .execute(params![tag.as_str(), id.db_key()])?;
    }
    let ticket = Ticket {
        id,
        number,
        subject: new.subject.as_str().to_owned(),
        status: TicketStatus::New,
        priority: new.priority,
        channel: new.channel,
        language: new.language,
        assignee: new.assignee,
        tags,
        customer_id: customer.id,
        created_at: now,
        updated_at: now,
    };
    let language = new.language;
    let terms = t.first.terms_for(language).to_owned();
    let message = insert_message(conn, id, ticket.channel, &t.first.message, &terms, now)?;
    search_index::created(conn, id)?;

    let created = json!({
        "number": number,
        "subject": ticket.subject,
        "status": ticket.status.as_str(),
        "priority": ticket.priority.as_str(),
        "channel": ticket.channel.as_str(),
        "language": ticket.language.as_ref().map(Language::as_str),
        "customer": customer.id.to_string(),
        "assignee": ticket.assignee.map(|a| a.to_string()),
        "tags": ticket.tags,
    })
    .to_string();
    let mut chain = Chain::new(id);
    let actor = t.new.actor.as_str();
    chain.append(conn, kind::TICKET_CREATED, actor, &created, at)?;
    chain.append(
        conn,
        kind::MESSAGE_ADDED,
        actor,
        &message_added_payload(&message, &t.first.text_sha256),
        at,
    )?;
    let owner = Owner {
        ticket: Some(id),
        customer: Some(customer.id),
        message: Some(message.id),
    };
    let made = t
        .new
        .promises
        .iter()
        .map(|p| promises::insert(conn, p, &owner, Some(&mut chain), &t.new.actor, now))
        .collect::<Result<Vec<_>>>()?;
    Ok(TicketThread {
        ticket,
        customer,
        messages: vec![message],
        promises: made,
    })
}

fn set_status(conn: &Connection, id: TicketId, status: TicketStatus, at: i64) -> Result<()> {
    conn.prepare_cached("UPDATE tickets SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id.db_key(), status.as_str(), at])?;
    Ok(())
}

fn change(from: impl serde::Serialize, to: impl serde::Serialize) -> serde_json::Value {
    json!({ "from": from, "to": to })
}

pub(crate) fn add_message(
    conn: &Connection,
    id: TicketId,
    mut m: AnalyzedMessage,
    with: &MessagePromises,
    actor: &Actor,
    now: Timestamp,
) -> Result<MessageAdded> {
    let at = to_micros(now);
    let mut ticket = get(conn, id)?;
    if !ticket.status.accepts_messages() {
        return Err(StoreError::conflict(
            "ticket_closed",
            format!(
                "ticket #{} is closed; a new message opens a new ticket",
                ticket.number
            ),
        )
        .into());
    }
    let terms = m.terms_for(ticket.language).to_owned();
    let message = insert_message(conn, id, ticket.channel, &m.message, &terms, now)?;
    let moved = ticket.status.after_message(message.direction);
    match moved {
        Some(status) => set_status(conn, id, status, at)?,
        None => {
            conn.prepare_cached("UPDATE tickets SET updated_at = ?2 WHERE id = ?1")?
                .execute(params![id.db_key(), at])?;
        }
    }
    search_index::changed(conn, id)?;
    let mut chain = Chain::head(conn, id)?;
    chain.append(
        conn,
        kind::MESSAGE_ADDED,
        actor.as_str(),
        &message_added_payload(&message, &m.text_sha256),
        at,
    )?;
    if let Some(status) = moved {
        let payload =
            json!({ "changes": { "status": change(ticket.status.as_str(), status.as_str()) } });
        chain.append(
            conn,
            kind::TICKET_UPDATED,
            actor.as_str(),
            &payload.to_string(),
            at,
        )?;
        let effect = on_status_change(ticket.status, status);
        promises::on_status(
            conn,
            id,
            effect,
            with.resume_in.as_ref(),
            &mut chain,
            actor,
            now,
        )?;
        ticket.status = status;
    }
    ticket.updated_at = now;
    let kept = promises::keep_kinds(
        conn,
        id,
        &with.keep,
        Some(message.id),
        &mut chain,
        actor,
        now,
    )?;
    let owner = Owner {
        ticket: Some(id),
        customer: Some(ticket.customer_id),
        message: Some(message.id),
    };
    let made = with
        .make
        .iter()
        .map(|p| promises::insert(conn, p, &owner, Some(&mut chain), actor, now))
        .collect::<Result<Vec<_>>>()?;
    Ok(MessageAdded {
        ticket,
        message,
        made,
        kept,
    })
}

pub(crate) fn update(
    conn: &Connection,
    id: TicketId,
    patch: &TicketPatch,
    resume_in: Option<&Calendar>,
    actor: &Actor,
    now: Timestamp,
) -> Result<Ticket> {
    let at = to_micros(now);
    let mut ticket = get(conn, id)?;
    let old_status = ticket.status;
    let mut changes = Map::new();
    let mut reindex = false;
    let mut reanalyse = false;

    if let Some(status) = patch.status.filter(|s| *s != ticket.status) {
        if !ticket.status.can_change_to(status) {
            return Err(StoreError::conflict(
                "ticket_closed",
                format!("ticket #{} is closed and stays closed", ticket.number),
            )
            .into());
        }
        changes.insert(
            "status".into(),
            change(ticket.status.as_str(), status.as_str()),
        );
        ticket.status = status;
    }
    if let Some(subject) = patch
        .subject
        .as_ref()
        .filter(|s| s.as_str() != ticket.subject)
    {
        changes.insert("subject".into(), change(&ticket.subject, subject.as_str()));
        ticket.subject = subject.as_str().to_owned();
        reindex = true;
    }
    if let Some(priority) = patch.priority.filter(|p| *p != ticket.priority) {
        changes.insert(
            "priority".into(),
            change(ticket.priority.as_str(), priority.as_str()),
        );
        ticket.priority = priority;
    }
    if let Some(assignee) = patch.assignee.filter(|a| *a != ticket.assignee) {
        if let Some(agent) = assignee {
            require_agent(conn, agent)?;
        }
        changes.insert(
            "assignee".into(),
            change(
                ticket.assignee.map(|a| a.to_string()),
                assignee.map(|a| a.to_string()),
            ),
        );
        ticket.assignee = assignee;
    }
    if let Some(tags) = patch
        .tags
        .as_deref()
        .map(sorted_tags)
        .filter(|t| *t != ticket.tags)
    {
        changes.insert("tags".into(), change(&ticket.tags, &tags));
        conn.prepare_cached("DELETE FROM ticket_tags WHERE ticket_id = ?1")?
            .execute([id.db_key()])?;
        for tag in &tags {
            conn.prepare_cached("INSERT INTO ticket_tags (tag, ticket_id) VALUES (?1, ?2)")?
                .execute(params![tag.as_str(), id.db_key()])?;
        }
        ticket.tags = tags;
    }
    if let Some(language) = patch.language.filter(|l| *l != ticket.language) {
        changes.insert(
            "language".into(),
            change(
                ticket.language.as_ref().map(Language::as_str),
                language.as_ref().map(Language::as_str),
            ),
        );
        ticket.language = language;
        reanalyse = true;
    }
    if changes.is_empty() {
        return Ok(ticket);
    }
    ticket.updated_at = now;
    conn.prepare_cached(
        "UPDATE tickets SET subject = ?2, status = ?3, priority = ?4, assignee_id = ?5, tags = ?6,
                            language = ?7, updated_at = ?8
          WHERE id = ?1",
    )?
    .execute(params![
        id.db_key(),
        ticket.subject,
        ticket.status.as_str(),
        ticket.priority.as_str(),
        ticket.assignee.map(AgentId::db_key),
        tags_text(&ticket.tags),
        ticket.language.as_ref().map(Language::as_str),
        at
    ])?;
    if reanalyse {
        // Stems depend on the language: every stored text of the ticket is analysed again.
        // Rare (a language is set once, usually at creation), and done here so the index can
        // never mix two analyses of one ticket.
        reanalyse_ticket(conn, &ticket)?;
        reindex = true;
    } else if reindex {
        conn.prepare_cached("UPDATE tickets SET subject_terms = ?2 WHERE id = ?1")?
            .execute(params![
                id.db_key(),
                index_text(&ticket.subject, ticket.language)
            ])?;
    }
    if reindex {
        search_index::changed(conn, id)?;
    }
    let payload = json!({ "changes": changes }).to_string();
    let mut chain = Chain::head(conn, id)?;
    chain.append(conn, kind::TICKET_UPDATED, actor.as_str(), &payload, at)?;
    let effect = on_status_change(old_status, ticket.status);
    promises::on_status(conn, id, effect, resume_in, &mut chain, actor, now)?;
    Ok(ticket)
}

fn reanalyse_ticket(conn: &Connection, ticket: &Ticket) -> Result<()> {
    conn.prepare_cached("UPDATE tickets SET subject_terms = ?2 WHERE id = ?1")?
        .execute(params![
            ticket.id.db_key(),
            index_text(&ticket.subject, ticket.language)
        ])?;
    let texts: Vec<(i64, String)> = conn
        .prepare_cached("SELECT id, text FROM messages WHERE ticket_id = ?1")?
        .query_map([ticket.id.db_key()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (message, text) in texts {
        conn.prepare_cached("UPDATE messages SET terms = ?2 WHERE id = ?1")?
            .execute(params![
                message,
                search_index::terms(&text, ticket.language)
            ])?;
    }
    Ok(())
}

/// The SQL of one ticket list: the page (newest first, from `before`) and, when the counters
/// cannot answer, the count.
struct ListSql {
    /// `SELECT count(*)` over every match, or a sum over `ticket_counts`.
    total: String,
    total_values: Vec<Value>,
    page: String,
    page_values: Vec<Value>,
}

fn list_sql(filter: &TicketFilter, before: Option<i64>, limit: u32) -> ListSql {
    let mut sql = SqlFilter::default();
    // With a tag, walk that tag's index in ticket order; otherwise the tickets table's own
    // indexes. A customer's tickets are few: with a customer, walk those and check the tag.
    let by_tag = filter.tag.is_some() && filter.customer.is_none();
    let (from, key) = if by_tag {
        (
            "ticket_tags tt JOIN tickets t ON t.id = tt.ticket_id",
            "tt.ticket_id",
        )
    } else {
        ("tickets t", "t.id")
    };
    if let Some(tag) = &filter.tag {
        let v = Some(Value::Text(tag.as_str().to_owned()));
        if by_tag {
            sql.push("tt.tag = ?", v);
        } else {
            sql.push(
                "EXISTS (SELECT 1 FROM ticket_tags x WHERE x.tag = ? AND x.ticket_id = t.id)",
                v,
            );
        }
    }
    let mut counters = SqlFilter::default();
    if let Some(status) = filter.status {
        let v = Value::Text(status.as_str().to_owned());
        sql.push("t.status = ?", Some(v.clone()));
        counters.push("status = ?", Some(v));
    }
    match filter.assignee {
        Some(AssigneeFilter::Agent(agent)) => {
            sql.push("t.assignee_id = ?", Some(Value::Integer(agent.db_key())));
            counters.push("assignee_id = ?", Some(Value::Integer(agent.db_key())));
        }
        Some(AssigneeFilter::Unassigned) => {
            sql.push("t.assignee_id IS NULL", None);
            counters.push("assignee_id = 0", None);
        }
        None => {}
    }
    if let Some(customer) = filter.customer {
        sql.push("t.customer_id = ?", Some(Value::Integer(customer.db_key())));
    }
    let (total, total_values) = if filter.tag.is_none() && filter.customer.is_none() {
        (
            format!(
                "SELECT coalesce(sum(tickets), 0) FROM ticket_counts{}",
                counters.where_clause()
            ),
            counters.values().cloned().collect(),
        )
    } else {
        (
            format!("SELECT count(*) FROM {from}{}", sql.where_clause()),
            sql.values().cloned().collect(),
        )
    };
    if let Some(before) = before {
        let condition = if by_tag {
            "tt.ticket_id < ?"
        } else {
            "t.id < ?"
        };
        sql.push(condition, Some(Value::Integer(before)));
    }
    ListSql {
        total,
        total_values,
        page: format!(
            "SELECT {COLUMNS} FROM {from}{} ORDER BY {key} DESC LIMIT {}",
            sql.where_clause(),
            limit + 1
        ),
        page_values: sql.values().cloned().collect(),
    }
}

pub(crate) fn list(
    conn: &Connection,
    filter: &TicketFilter,
    page: PageRequest,
) -> Result<Page<Ticket>> {
    let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
    let sql = list_sql(filter, page.before, limit);
    // Total and page from one snapshot.
    let tx = conn.unchecked_transaction()?;
    let total: i64 = tx
        .prepare_cached(&sql.total)?
        .query_row(params_from_iter(&sql.total_values), |r| r.get(0))?;
    let mut items = tx
        .prepare_cached(&sql.page)?
        .query_map(params_from_iter(&sql.page_values), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|t| t.id.db_key())
    } else {
        None
    };
    Ok(Page {
        items,
        total: total.max(0) as u64,
        next,
    })
}

fn messages(conn: &Connection, ticket: TicketId) -> Result<Vec<Message>> {
    let mut attachments: HashMap<i64, Vec<Attachment>> = HashMap::new();
    let mut st = conn.prepare_cached(
        "SELECT a.message_id, a.id, a.sha256, a.filename, a.content_type, a.size
           FROM messages m JOIN attachments a ON a.message_id = m.id
          WHERE m.ticket_id = ?1 ORDER BY a.id",
    )?;
    let mut rows = st.query([ticket.db_key()])?;
    while let Some(r) = rows.next()? {
        attachments.entry(r.get(0)?).or_default().push(Attachment {
            id: AttachmentId::from_db(r.get(1)?),
            meta: trustdesk_store::AttachmentMeta {
                sha256: r.get(2)?,
                filename: r.get(3)?,
                content_type: r.get(4)?,
                size: r.get(5)?,
            },
        });
    }
    let mut st = conn.prepare_cached(
        "SELECT id, direction, author_kind, author_id, text, html, channel_message_id,
                delivery_state, created_at, raw_sha256
           FROM messages WHERE ticket_id = ?1 ORDER BY id",
    )?;
    let messages = st
        .query_map([ticket.db_key()], |r| {
            let id: i64 = r.get(0)?;
            let author_kind = r.get_ref(2)?.as_str()?.to_owned();
            let author = author_from(&author_kind, r.get(3)?).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    2,
                    rusqlite::types::Type::Text,
                    format!("message {id} has an invalid author ({author_kind})").into(),
                )
            })?;
            Ok(Message {
                id: MessageId::from_db(id),
                ticket_id: ticket,
                direction: word::<Direction>(r, 1)?,
                author,
                text: r.get(4)?,
                html: r.get(5)?,
                channel_message_id: r.get(6)?,
                delivery_state: word::<DeliveryState>(r, 7)?,
                attachments: attachments.remove(&id).unwrap_or_default(),
                raw_sha256: r.get(9)?,
                created_at: time(r, 8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(messages)
}

pub(crate) fn thread(conn: &Connection, id: TicketId) -> Result<TicketThread> {
    // One snapshot: the ticket, its customer and its messages as of the same commit.
    let tx = conn.unchecked_transaction()?;
    let ticket = get(&tx, id)?;
    let customer = customers::get(&tx, ticket.customer_id)?;
    let messages = messages(&tx, id)?;
    let promises = promises::of_ticket(&tx, id)?;
    Ok(TicketThread {
        ticket,
        customer,
        messages,
        promises,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every combination of list filters walks an index in key order from `before`: no sort of
    /// all matches, no scan of the whole table, so page 10 000 costs what page 1 does.
    #[test]
    fn every_list_filter_pages_through_an_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let tag = Tag::parse("vip").unwrap();
        for mask in 0..16u8 {
            let filter = TicketFilter {
                status: (mask & 1 != 0).then_some(TicketStatus::Open),
                assignee: (mask & 2 != 0).then_some(AssigneeFilter::Agent(AgentId::from_db(3))),
                tag: (mask & 4 != 0).then(|| tag.clone()),
                customer: (mask & 8 != 0).then_some(CustomerId::from_db(5)),
            };
            let sql = list_sql(&filter, Some(1_000), 25);
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {}", sql.page))
                .unwrap()
                .query_map(params_from_iter(&sql.page_values), |r| r.get(3))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            let plan = plan.join(" | ");
            assert!(!plan.contains("TEMP B-TREE"), "{filter:?}: {plan}");
            assert!(!plan.starts_with("SCAN t "), "{filter:?}: {plan}");
            assert!(plan.contains("USING"), "{filter:?}: {plan}");
        }
    }
}
