//! Tickets, their messages and their event log. Every transaction that changes a ticket
//! first locks its row, so appends to the event chain are serial per ticket on any number of
//! nodes.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use trustdesk_domain::calendar::Calendar;
use trustdesk_domain::event::kind;
use trustdesk_domain::promise::on_status_change;
use trustdesk_domain::time::{from_micros, now, to_micros};
use trustdesk_domain::{Channel, Language, MessageId, Tag, TicketId, TicketStatus};
use trustdesk_store::{
    Actor, AssigneeFilter, Author, CustomerRef, Event, EventStore, Message, MessageAdded,
    MessagePromises, NewMessage, NewTicket, Page, PageRequest, PromiseStore, Result,
    StatusPromises, StoreError, Ticket, TicketFilter, TicketPatch, TicketStore, TicketThread,
};

use crate::customers::{find_or_create, share_live};
use crate::error::{db, db_or_missing};
use crate::events::{self, ChainTail, EventBatch};
use crate::promises::{self, Chain, Owner};
use crate::rows::{
    AttachmentRow, TicketRow, author_columns, load_customer, load_messages, load_ticket,
    lock_ticket, ticket_columns,
};
use crate::search::{append_message, head_text, insert_document, reindex_customer};
use crate::{PgStore, retrying, search};

fn duplicate_message() -> StoreError {
    StoreError::conflict(
        "duplicate_message",
        "a message with this channel id was already received on this channel",
    )
}

fn ticket_closed(id: TicketId) -> StoreError {
    StoreError::conflict("ticket_closed", format!("ticket {id} is closed"))
}

/// Tags as the ticket keeps them: sorted, each once.
fn tag_set(tags: &[Tag]) -> Vec<Tag> {
    let mut t = tags.to_vec();
    t.sort();
    t.dedup();
    t
}

fn tag_strings(tags: &[Tag]) -> Vec<String> {
    tags.iter().map(|t| t.as_str().to_owned()).collect()
}

fn author_string(author: &Author) -> String {
    match author {
        Author::Customer(id) => id.to_string(),
        Author::Agent(id) => id.to_string(),
        Author::System => "system".to_owned(),
    }
}

async fn channel_id_seen(conn: &mut PgConnection, channel: Channel, id: &str) -> Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM messages WHERE channel = $1 AND channel_message_id = $2)",
    )
    .bind(channel.as_str())
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)
}

/// Writes a message, its attachments and its own search terms. The ticket's document is
/// extended by the caller.
async fn insert_message(
    conn: &mut PgConnection,
    ticket: TicketId,
    channel: Channel,
    language: Option<Language>,
    new: &NewMessage,
    at: i64,
) -> Result<Message> {
    let (author_kind, author_id) = author_columns(&new.author);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (ticket_id, channel, direction, author_kind, author_id, text, html, \
                               channel_message_id, delivery_state, terms, created_at, raw_sha256) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_tsvector('simple', $10), $11, $12) \
         RETURNING id",
    )
    .bind(ticket.db_key())
    .bind(channel.as_str())
    .bind(new.direction.as_str())
    .bind(author_kind)
    .bind(author_id)
    .bind(&new.text)
    .bind(new.html.as_deref())
    .bind(new.channel_message_id.as_deref())
    .bind(new.delivery_state.as_str())
    .bind(search::terms(&new.text, language))
    .bind(at)
    .bind(new.raw_sha256.as_deref())
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;

    let mut attachments = Vec::with_capacity(new.attachments.len());
    if !new.attachments.is_empty() {
        let a = &new.attachments;
        let mut rows: Vec<AttachmentRow> = sqlx::query_as(
            "INSERT INTO attachments (message_id, sha256, filename, content_type, size) \
             SELECT $1, u.sha256, u.filename, u.content_type, u.size \
             FROM UNNEST($2::text[], $3::text[], $4::text[], $5::bigint[]) \
                  WITH ORDINALITY AS u(sha256, filename, content_type, size, ord) \
             ORDER BY u.ord \
             RETURNING id, message_id, sha256, filename, content_type, size",
        )
        .bind(id)
        .bind(a.iter().map(|m| m.sha256.clone()).collect::<Vec<_>>())
        .bind(a.iter().map(|m| m.filename.clone()).collect::<Vec<_>>())
        .bind(a.iter().map(|m| m.content_type.clone()).collect::<Vec<_>>())
        .bind(a.iter().map(|m| m.size).collect::<Vec<_>>())
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        // Identity values follow insertion order, which follows the input order.
        rows.sort_by_key(|r| r.id);
        attachments.extend(rows.into_iter().map(AttachmentRow::into_attachment));
    }

    Ok(Message {
        id: MessageId::from_db(id),
        ticket_id: ticket,
        direction: new.direction,
        author: new.author,
        text: new.text.clone(),
        html: new.html.clone(),
        channel_message_id: new.channel_message_id.clone(),
        delivery_state: new.delivery_state,
        attachments,
        raw_sha256: new.raw_sha256.clone(),
        created_at: from_micros(at),
    })
}

/// `message.added`: what arrived, by a digest of its text rather than the text itself.
fn message_added(message: &Message) -> serde_json::Value {
    let mut payload = serde_json::json!({
        "message": message.id.to_string(),
        "direction": message.direction.as_str(),
        "author": author_string(&message.author),
        "sha256": hex::encode(Sha256::digest(message.text.as_bytes())),
        "attachments": message
            .attachments
            .iter()
            .map(|a| a.meta.sha256.as_str())
            .collect::<Vec<_>>(),
    });
    // The raw mail's digest joins the chain only when there is one, so the payloads of other
    // messages stay as they were.
    if let Some(raw) = &message.raw_sha256 {
        payload["raw_sha256"] = raw.as_str().into();
    }
    payload
}

fn change(
    from: impl Into<serde_json::Value>,
    to: impl Into<serde_json::Value>,
) -> serde_json::Value {
    serde_json::json!({ "from": from.into(), "to": to.into() })
}

/// Appends the filter's conditions. With a tag, the tag index drives the scan and carries
/// the keyset column.
fn push_ticket_filter(qb: &mut QueryBuilder<Postgres>, filter: &TicketFilter, before: Option<i64>) {
    let key = if let Some(tag) = &filter.tag {
        qb.push(" JOIN ticket_tags g ON g.ticket_id = t.id AND g.tag = ");
        qb.push_bind(tag.as_str().to_owned());
        "g.ticket_id"
    } else {
        "t.id"
    };
    qb.push(" WHERE TRUE");
    if let Some(status) = filter.status {
        qb.push(" AND t.status = ");
        qb.push_bind(status.as_str());
    }
    match filter.assignee {
        Some(AssigneeFilter::Agent(agent)) => {
            qb.push(" AND t.assignee_id = ");
            qb.push_bind(agent.db_key());
        }
        Some(AssigneeFilter::Unassigned) => {
            qb.push(" AND t.assignee_id IS NULL");
        }
        None => {}
    }
    if let Some(customer) = filter.customer {
        qb.push(" AND t.customer_id = ");
        qb.push_bind(customer.db_key());
    }
    if let Some(before) = before {
        qb.push(" AND ").push(key).push(" < ");
        qb.push_bind(before);
    }
}

/// How many tickets match `filter` in all. The common lists (everything, one status) read
/// the trigger-kept counters; a tag alone is counted in its index; the rest count rows.
async fn count_tickets(conn: &mut PgConnection, filter: &TicketFilter) -> Result<u64> {
    let TicketFilter {
        status,
        assignee,
        tag,
        customer,
    } = filter;
    let total: i64 = match (status, assignee, tag, customer) {
        (None, None, None, None) => {
            sqlx::query_scalar("SELECT COALESCE(sum(n), 0)::bigint FROM ticket_counts")
                .fetch_one(&mut *conn)
                .await
        }
        (Some(status), None, None, None) => {
            sqlx::query_scalar(
                "SELECT COALESCE(sum(n), 0)::bigint FROM ticket_counts WHERE status = $1",
            )
            .bind(status.as_str())
            .fetch_one(&mut *conn)
            .await
        }
        (None, None, Some(tag), None) => {
            sqlx::query_scalar("SELECT count(*) FROM ticket_tags WHERE tag = $1")
                .bind(tag.as_str())
                .fetch_one(&mut *conn)
                .await
        }
        _ => {
            let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM tickets t");
            push_ticket_filter(&mut count, filter, None);
            count.build_query_scalar().fetch_one(&mut *conn).await
        }
    }
    .map_err(db)?;
    Ok(total.max(0) as u64)
}

fn order_key(filter: &TicketFilter) -> &'static str {
    if filter.tag.is_some() {
        " ORDER BY g.ticket_id DESC LIMIT "
    } else {
        " ORDER BY t.id DESC LIMIT "
    }
}

impl PgStore {
    async fn create_ticket_once(&self, new: &NewTicket) -> Result<TicketThread> {
        let at = to_micros(now());
        let mut tx = self.begin().await?;
        // A redelivery must not burn a ticket number and a customer row before the unique
        // index refuses it; the index still decides when two deliveries race.
        if let Some(id) = &new.first_message.channel_message_id
            && channel_id_seen(&mut tx, new.channel, id).await?
        {
            return Err(duplicate_message());
        }

        let (customer_id, customer_changed) = match &new.customer {
            CustomerRef::Existing(id) => (share_live(&mut tx, *id).await?, false),
            CustomerRef::FindOrCreate(c) => find_or_create(&mut tx, c, at).await?,
        };
        let tags = tag_set(&new.tags);
        let status = TicketStatus::New;
        let (id, number): (i64, i64) = sqlx::query_as(
            "INSERT INTO tickets (subject, status, priority, channel, language, assignee_id, \
                                  customer_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id, number",
        )
        .bind(new.subject.as_str())
        .bind(status.as_str())
        .bind(new.priority.as_str())
        .bind(new.channel.as_str())
        .bind(new.language.map(|l| l.as_str().to_owned()))
        .bind(new.assignee.map(|a| a.db_key()))
        .bind(customer_id)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            db_or_missing(e, "tickets_assignee_id_fkey", || {
                StoreError::not_found(
                    "agent",
                    new.assignee.map(|a| a.to_string()).unwrap_or_default(),
                )
            })
        })?;
        let ticket_id = TicketId::from_db(id);
        if !tags.is_empty() {
            sqlx::query("INSERT INTO ticket_tags (ticket_id, tag) SELECT $1, unnest($2::text[])")
                .bind(id)
                .bind(tag_strings(&tags))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }

        let message = insert_message(
            &mut tx,
            ticket_id,
            new.channel,
            new.language,
            &new.first_message,
            at,
        )
        .await?;
        let customer = load_customer(&mut tx, customer_id).await?;
        let head = head_text(
            new.subject.as_str(),
            customer.name.as_deref(),
            &customer.identities,
            new.language,
        );
        insert_document(
            &mut tx,
            ticket_id,
            &head,
            &search::terms(&message.text, new.language),
        )
        .await?;

        let mut tail = ChainTail::new_ticket(ticket_id);
        let mut batch = EventBatch::default();
        batch.push(
            &mut tail,
            kind::TICKET_CREATED,
            new.actor.as_str(),
            at,
            &serde_json::json!({
                "number": number,
                "subject": new.subject.as_str(),
                "status": status.as_str(),
                "priority": new.priority.as_str(),
                "channel": new.channel.as_str(),
                "language": new.language.map(|l| l.as_str().to_owned()),
                "customer": customer.id.to_string(),
                "assignee": new.assignee.map(|a| a.to_string()),
                "tags": tag_strings(&tags),
            }),
        );
        batch.push(
            &mut tail,
            kind::MESSAGE_ADDED,
            new.actor.as_str(),
            at,
            &message_added(&message),
        );
        let owner = Owner {
            ticket: Some(ticket_id),
            customer: Some(customer.id),
            message: Some(message.id),
        };
        let mut made = Vec::with_capacity(new.promises.len());
        {
            let mut chain = Chain {
                tail: &mut tail,
                batch: &mut batch,
            };
            for p in &new.promises {
                made.push(
                    promises::insert(&mut tx, p, &owner, Some(&mut chain), &new.actor, at).await?,
                );
            }
        }
        batch.insert(&mut tx).await?;
        if customer_changed {
            reindex_customer(&mut tx, customer_id).await?;
        }
        self.commit(tx).await?;

        Ok(TicketThread {
            ticket: Ticket {
                id: ticket_id,
                number,
                subject: new.subject.as_str().to_owned(),
                status,
                priority: new.priority,
                channel: new.channel,
                language: new.language,
                assignee: new.assignee,
                tags,
                customer_id: customer.id,
                created_at: from_micros(at),
                updated_at: from_micros(at),
            },
            customer,
            messages: vec![message],
            promises: made,
        })
    }

    pub(crate) async fn add_message_once(
        &self,
        id: TicketId,
        new: &NewMessage,
        with: &MessagePromises,
        actor: &Actor,
    ) -> Result<MessageAdded> {
        let at = to_micros(now());
        let mut tx = self.begin().await?;
        let mut ticket = lock_ticket(&mut tx, id).await?;
        if !ticket.status.accepts_messages() {
            return Err(ticket_closed(id));
        }
        let message = insert_message(&mut tx, id, ticket.channel, ticket.language, new, at).await?;
        append_message(&mut tx, id, message.id).await?;

        let moved_to = ticket.status.after_message(new.direction);
        sqlx::query("UPDATE tickets SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(id.db_key())
            .bind(moved_to.unwrap_or(ticket.status).as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;

        let mut tail = events::tail(&mut tx, id).await?;
        let mut batch = EventBatch::default();
        batch.push(
            &mut tail,
            kind::MESSAGE_ADDED,
            actor.as_str(),
            at,
            &message_added(&message),
        );
        if let Some(to) = moved_to {
            batch.push(
                &mut tail,
                kind::TICKET_UPDATED,
                actor.as_str(),
                at,
                &serde_json::json!({
                    "changes": { "status": change(ticket.status.as_str(), to.as_str()) }
                }),
            );
        }
        let mut chain = Chain {
            tail: &mut tail,
            batch: &mut batch,
        };
        if let Some(to) = moved_to {
            let effect = on_status_change(ticket.status, to);
            let resume_in = with.resume_in.as_ref();
            promises::on_status(&mut tx, id, effect, resume_in, &mut chain, actor, at).await?;
            ticket.status = to;
        }
        let kept = promises::keep_kinds(
            &mut tx,
            id,
            &with.keep,
            Some(message.id),
            &mut chain,
            actor,
            at,
        )
        .await?;
        let owner = Owner {
            ticket: Some(id),
            customer: Some(ticket.customer_id),
            message: Some(message.id),
        };
        let mut made = Vec::with_capacity(with.make.len());
        for p in &with.make {
            made.push(promises::insert(&mut tx, p, &owner, Some(&mut chain), actor, at).await?);
        }
        batch.insert(&mut tx).await?;
        self.commit(tx).await?;
        ticket.updated_at = from_micros(at);
        Ok(MessageAdded {
            ticket,
            message,
            made,
            kept,
        })
    }

    pub(crate) async fn update_ticket_once(
        &self,
        id: TicketId,
        patch: &TicketPatch,
        resume_in: Option<&Calendar>,
        actor: &Actor,
    ) -> Result<Ticket> {
        let mut tx = self.begin().await?;
        let old = lock_ticket(&mut tx, id).await?;
        let mut new = old.clone();
        let mut changes = serde_json::Map::new();

        if let Some(subject) = &patch.subject
            && subject.as_str() != old.subject
        {
            changes.insert(
                "subject".into(),
                change(old.subject.as_str(), subject.as_str()),
            );
            new.subject = subject.as_str().to_owned();
        }
        if let Some(status) = patch.status
            && status != old.status
        {
            if !old.status.can_change_to(status) {
                return Err(ticket_closed(id));
            }
            changes.insert(
                "status".into(),
                change(old.status.as_str(), status.as_str()),
            );
            new.status = status;
        }
        if let Some(priority) = patch.priority
            && priority != old.priority
        {
            changes.insert(
                "priority".into(),
                change(old.priority.as_str(), priority.as_str()),
            );
            new.priority = priority;
        }
        if let Some(assignee) = patch.assignee
            && assignee != old.assignee
        {
            changes.insert(
                "assignee".into(),
                change(
                    old.assignee.map(|a| a.to_string()),
                    assignee.map(|a| a.to_string()),
                ),
            );
            new.assignee = assignee;
        }
        if let Some(tags) = &patch.tags {
            let tags = tag_set(tags);
            if tags != old.tags {
                changes.insert(
                    "tags".into(),
                    change(tag_strings(&old.tags), tag_strings(&tags)),
                );
                new.tags = tags;
            }
        }
        if let Some(language) = patch.language
            && language != old.language
        {
            changes.insert(
                "language".into(),
                change(
                    old.language.map(|l| l.as_str().to_owned()),
                    language.map(|l| l.as_str().to_owned()),
                ),
            );
            new.language = language;
        }
        if changes.is_empty() {
            return Ok(old);
        }

        let at = to_micros(now());
        new.updated_at = from_micros(at);
        sqlx::query(
            "UPDATE tickets SET subject = $2, status = $3, priority = $4, assignee_id = $5, \
                                language = $6, updated_at = $7 \
             WHERE id = $1",
        )
        .bind(id.db_key())
        .bind(&new.subject)
        .bind(new.status.as_str())
        .bind(new.priority.as_str())
        .bind(new.assignee.map(|a| a.db_key()))
        .bind(new.language.map(|l| l.as_str().to_owned()))
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            db_or_missing(e, "tickets_assignee_id_fkey", || {
                StoreError::not_found(
                    "agent",
                    new.assignee.map(|a| a.to_string()).unwrap_or_default(),
                )
            })
        })?;
        if new.tags != old.tags {
            sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1")
                .bind(id.db_key())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query("INSERT INTO ticket_tags (ticket_id, tag) SELECT $1, unnest($2::text[])")
                .bind(id.db_key())
                .bind(tag_strings(&new.tags))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        // The language picks the stemmer, so a new language re-analyses everything.
        if new.language != old.language {
            search::reindex_messages(&mut tx, id, new.language).await?;
        }
        if new.subject != old.subject || new.language != old.language {
            search::reindex_head(&mut tx, id, &new.subject, new.customer_id, new.language).await?;
        }

        let mut tail = events::tail(&mut tx, id).await?;
        let mut batch = EventBatch::default();
        batch.push(
            &mut tail,
            kind::TICKET_UPDATED,
            actor.as_str(),
            at,
            &serde_json::json!({ "changes": changes }),
        );
        let effect = on_status_change(old.status, new.status);
        let mut chain = Chain {
            tail: &mut tail,
            batch: &mut batch,
        };
        promises::on_status(&mut tx, id, effect, resume_in, &mut chain, actor, at).await?;
        batch.insert(&mut tx).await?;
        self.commit(tx).await?;
        Ok(new)
    }
}

#[async_trait]
impl TicketStore for PgStore {
    #[tracing::instrument(skip_all, fields(channel = %new.channel), err(level = "debug"))]
    async fn create_ticket(&self, new: NewTicket) -> Result<TicketThread> {
        retrying(|| self.create_ticket_once(&new)).await
    }

    #[tracing::instrument(skip_all, fields(ticket = %id), err(level = "debug"))]
    async fn get_ticket(&self, id: TicketId) -> Result<Ticket> {
        let mut conn = self.conn().await?;
        load_ticket(&mut conn, id).await
    }

    #[tracing::instrument(skip_all, fields(number), err(level = "debug"))]
    async fn get_ticket_by_number(&self, number: i64) -> Result<Ticket> {
        let mut conn = self.conn().await?;
        let row: Option<TicketRow> = sqlx::query_as(concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM tickets t WHERE t.number = $1"
        ))
        .bind(number)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        row.ok_or_else(|| StoreError::not_found("ticket", format!("#{number}")))?
            .into_ticket()
    }

    #[tracing::instrument(skip_all, fields(ticket = %id), err(level = "debug"))]
    async fn get_thread(&self, id: TicketId) -> Result<TicketThread> {
        // One snapshot for all three reads: never a message newer than the ticket shown.
        let mut tx = self.begin_snapshot().await?;
        let ticket = load_ticket(&mut tx, id).await?;
        let customer = load_customer(&mut tx, ticket.customer_id.db_key()).await?;
        let messages = load_messages(&mut tx, id).await?;
        let promises = promises::of_ticket(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(TicketThread {
            ticket,
            customer,
            messages,
            promises,
        })
    }

    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn list_tickets(&self, filter: &TicketFilter, page: PageRequest) -> Result<Page<Ticket>> {
        let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
        let mut conn = self.conn().await?;

        let mut qb =
            QueryBuilder::<Postgres>::new(concat!("SELECT ", ticket_columns!(), " FROM tickets t"));
        push_ticket_filter(&mut qb, filter, page.before);
        qb.push(order_key(filter));
        qb.push_bind(i64::from(limit) + 1);
        let mut rows: Vec<TicketRow> = qb
            .build_query_as()
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;

        let total = count_tickets(&mut conn, filter).await?;

        let next = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.id)
        } else {
            None
        };
        Ok(Page {
            items: rows
                .into_iter()
                .map(TicketRow::into_ticket)
                .collect::<Result<_>>()?,
            total,
            next,
        })
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

#[async_trait]
impl EventStore for PgStore {
    #[tracing::instrument(skip_all, fields(ticket = %ticket), err(level = "debug"))]
    async fn list_events(&self, ticket: TicketId) -> Result<Vec<Event>> {
        let mut conn = self.conn().await?;
        let list = events::list(&mut conn, ticket).await?;
        if list.is_empty() {
            // Every ticket has its `ticket.created`: no events means no ticket.
            load_ticket(&mut conn, ticket).await?;
        }
        Ok(list)
    }
}
