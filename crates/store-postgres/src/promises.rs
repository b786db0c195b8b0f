//! The promise ledger on PostgreSQL. A change to a promise on a ticket locks the ticket row
//! first (as every ticket writer does), so its event lands in the chain in order; the state
//! change itself is conditional (`WHERE state = 'pending'`), so of several nodes settling one
//! promise exactly one succeeds and the others get Conflict `promise_not_pending`.

use async_trait::async_trait;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use trustdesk_domain::calendar::Calendar;
use trustdesk_domain::event::kind;
use trustdesk_domain::promise::{NotPending, StatusEffect, resumed_due};
use trustdesk_domain::time::{from_micros, now, to_micros};
use trustdesk_domain::{
    AgentId, CustomerId, MadeBy, MessageId, PromiseId, PromiseKind, PromiseState, TicketId,
    Timestamp,
};
use trustdesk_store::{
    Actor, MessageAdded, MessagePromises, NewMessage, NewPromise, Page, PageRequest, Promise,
    PromiseFilter, PromiseStore, Result, StatusPromises, StoreError, Ticket, TicketPatch,
};

use crate::error::{corrupt, db, db_or_missing, parse_stored};
use crate::events::{self, ChainTail, EventBatch};
use crate::rows::lock_ticket;
use crate::{PgStore, retrying};

macro_rules! promise_columns {
    () => {
        "id, kind, state, made_by, made_by_agent, text, ticket_id, customer_id, order_number, \
         message_id, calendar, created_at, due_at, warn_at, warned_at, paused_at, settled_at, \
         settled_by, note"
    };
}

#[derive(sqlx::FromRow)]
struct PromiseRow {
    id: i64,
    kind: String,
    state: String,
    made_by: String,
    made_by_agent: Option<i64>,
    text: String,
    ticket_id: Option<i64>,
    customer_id: Option<i64>,
    order_number: Option<String>,
    message_id: Option<i64>,
    calendar: Option<String>,
    created_at: i64,
    due_at: i64,
    warn_at: Option<i64>,
    warned_at: Option<i64>,
    paused_at: Option<i64>,
    settled_at: Option<i64>,
    settled_by: Option<String>,
    note: Option<String>,
}

impl PromiseRow {
    fn into_promise(self) -> Result<Promise> {
        let made_by = MadeBy::from_parts(&self.made_by, self.made_by_agent.map(AgentId::from_db))
            .ok_or_else(|| corrupt("promise maker", &self.made_by))?;
        Ok(Promise {
            id: PromiseId::from_db(self.id),
            kind: parse_stored("promise kind", &self.kind)?,
            state: parse_stored("promise state", &self.state)?,
            made_by,
            text: self.text,
            ticket_id: self.ticket_id.map(TicketId::from_db),
            customer_id: self.customer_id.map(CustomerId::from_db),
            order_number: self.order_number,
            message_id: self.message_id.map(MessageId::from_db),
            calendar: self.calendar,
            created_at: from_micros(self.created_at),
            due_at: from_micros(self.due_at),
            warn_at: self.warn_at.map(from_micros),
            warned_at: self.warned_at.map(from_micros),
            paused_at: self.paused_at.map(from_micros),
            settled_at: self.settled_at.map(from_micros),
            settled_by: self.settled_by,
            note: self.note,
        })
    }
}

async fn fetch(conn: &mut PgConnection, id: PromiseId) -> Result<Promise> {
    let row: Option<PromiseRow> = sqlx::query_as(concat!(
        "SELECT ",
        promise_columns!(),
        " FROM promises WHERE id = $1"
    ))
    .bind(id.db_key())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.ok_or_else(|| StoreError::not_found("promise", id))?
        .into_promise()
}

/// Every promise of a ticket, oldest first.
pub(crate) async fn of_ticket(conn: &mut PgConnection, ticket: TicketId) -> Result<Vec<Promise>> {
    let rows: Vec<PromiseRow> = sqlx::query_as(concat!(
        "SELECT ",
        promise_columns!(),
        " FROM promises WHERE ticket_id = $1 ORDER BY id"
    ))
    .bind(ticket.db_key())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(PromiseRow::into_promise).collect()
}

/// `promise.made`: what was promised, by whom, by when; the words by their digest, as message
/// texts are.
fn made_payload(p: &Promise) -> serde_json::Value {
    use sha2::{Digest, Sha256};
    serde_json::json!({
        "promise": p.id.to_string(),
        "kind": p.kind.as_str(),
        "made_by": p.made_by.to_string(),
        "due_at": p.due_at.to_string(),
        "sha256": hex::encode(Sha256::digest(p.text.as_bytes())),
        "message": p.message_id.map(|m| m.to_string()),
        "order": p.order_number,
    })
}

/// Where a new promise belongs, resolved by the caller.
pub(crate) struct Owner {
    pub ticket: Option<TicketId>,
    pub customer: Option<CustomerId>,
    pub message: Option<MessageId>,
}

/// The ticket's chain being appended to in this transaction (the ticket row is locked).
pub(crate) struct Chain<'a> {
    pub tail: &'a mut ChainTail,
    pub batch: &'a mut EventBatch,
}

/// Inserts a pending promise and, on a ticket, pushes `promise.made` onto `chain`.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    new: &NewPromise,
    owner: &Owner,
    chain: Option<&mut Chain<'_>>,
    actor: &Actor,
    at: i64,
) -> Result<Promise> {
    let row: PromiseRow = sqlx::query_as(concat!(
        "INSERT INTO promises (kind, state, made_by, made_by_agent, text, ticket_id, customer_id, \
                               order_number, message_id, calendar, created_at, due_at, warn_at) \
         VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ",
        promise_columns!()
    ))
    .bind(new.kind.as_str())
    .bind(new.made_by.kind_str())
    .bind(new.made_by.agent().map(AgentId::db_key))
    .bind(new.text.as_str())
    .bind(owner.ticket.map(TicketId::db_key))
    .bind(owner.customer.map(CustomerId::db_key))
    .bind(new.order_number.as_deref())
    .bind(owner.message.map(MessageId::db_key))
    .bind(new.calendar.as_deref())
    .bind(at)
    .bind(to_micros(new.due_at))
    .bind(new.warn_at.map(to_micros))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match (new.made_by.agent(), owner.customer) {
        (Some(agent), _) if is_fk(&e, "promises_made_by_agent_fkey") => {
            StoreError::not_found("agent", agent)
        }
        (_, Some(customer)) => db_or_missing(e, "promises_customer_id_fkey", || {
            StoreError::not_found("customer", customer)
        }),
        _ => db(e),
    })?;
    let promise = row.into_promise()?;
    if let Some(chain) = chain {
        chain.batch.push(
            chain.tail,
            kind::PROMISE_MADE,
            actor.as_str(),
            at,
            &made_payload(&promise),
        );
    }
    Ok(promise)
}

fn is_fk(e: &sqlx::Error, constraint: &str) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_foreign_key_violation() && d.constraint() == Some(constraint))
}

fn settled_kind(to: PromiseState) -> &'static str {
    match to {
        PromiseState::Kept => kind::PROMISE_KEPT,
        PromiseState::Broken => kind::PROMISE_BROKEN,
        _ => kind::PROMISE_CANCELLED,
    }
}

/// Moves one pending promise to `to` and pushes its event (the caller holds the ticket lock
/// when the promise has a ticket). Conflict `promise_not_pending` when it already left pending.
#[allow(clippy::too_many_arguments)]
async fn settle(
    conn: &mut PgConnection,
    id: PromiseId,
    to: PromiseState,
    note: Option<&str>,
    message: Option<MessageId>,
    chain: Option<&mut Chain<'_>>,
    actor: &Actor,
    at: i64,
) -> Result<Promise> {
    let row: Option<PromiseRow> = sqlx::query_as(concat!(
        "UPDATE promises SET state = $2, settled_at = $3, settled_by = $4, note = $5, \
                             paused_at = NULL \
         WHERE id = $1 AND state = 'pending' RETURNING ",
        promise_columns!()
    ))
    .bind(id.db_key())
    .bind(to.as_str())
    .bind(at)
    .bind(actor.as_str())
    .bind(note)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(row) = row else {
        let refused = NotPending {
            state: fetch(conn, id).await?.state,
            wanted: to,
        };
        return Err(StoreError::conflict(NotPending::CODE, refused.to_string()));
    };
    let promise = row.into_promise()?;
    if let Some(chain) = chain {
        chain.batch.push(
            chain.tail,
            settled_kind(to),
            actor.as_str(),
            at,
            &serde_json::json!({
                "promise": promise.id.to_string(),
                "kind": promise.kind.as_str(),
                "state": to.as_str(),
                "note": note,
                "message": message.map(|m| m.to_string()),
            }),
        );
    }
    Ok(promise)
}

/// Settles the ticket's pending promises of `kinds` (all kinds with `None`), oldest first.
#[allow(clippy::too_many_arguments)]
async fn settle_pending(
    conn: &mut PgConnection,
    ticket: TicketId,
    kinds: Option<&[PromiseKind]>,
    to: PromiseState,
    note: Option<&str>,
    message: Option<MessageId>,
    chain: &mut Chain<'_>,
    actor: &Actor,
    at: i64,
) -> Result<Vec<Promise>> {
    if kinds.is_some_and(<[PromiseKind]>::is_empty) {
        return Ok(Vec::new());
    }
    let pending: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, kind FROM promises WHERE ticket_id = $1 AND state = 'pending' ORDER BY id",
    )
    .bind(ticket.db_key())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut settled = Vec::new();
    for (id, k) in pending {
        let k: PromiseKind = parse_stored("promise kind", &k)?;
        if kinds.is_none_or(|ks| ks.contains(&k)) {
            let id = PromiseId::from_db(id);
            settled.push(settle(conn, id, to, note, message, Some(chain), actor, at).await?);
        }
    }
    Ok(settled)
}

/// Keeps the ticket's pending promises of `kinds`, recording `message` as what kept them.
pub(crate) async fn keep_kinds(
    conn: &mut PgConnection,
    ticket: TicketId,
    kinds: &[PromiseKind],
    message: Option<MessageId>,
    chain: &mut Chain<'_>,
    actor: &Actor,
    at: i64,
) -> Result<Vec<Promise>> {
    let to = PromiseState::Kept;
    settle_pending(
        conn,
        ticket,
        Some(kinds),
        to,
        None,
        message,
        chain,
        actor,
        at,
    )
    .await
}

/// Applies a status change's effect on the ticket's pending promises.
pub(crate) async fn on_status(
    conn: &mut PgConnection,
    ticket: TicketId,
    effect: StatusEffect,
    resume_in: Option<&Calendar>,
    chain: &mut Chain<'_>,
    actor: &Actor,
    at: i64,
) -> Result<()> {
    if effect.is_none() {
        return Ok(());
    }
    let now = from_micros(at);
    if effect.resume {
        let paused: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT id, due_at, paused_at FROM promises \
             WHERE ticket_id = $1 AND state = 'pending' AND paused_at IS NOT NULL ORDER BY id",
        )
        .bind(ticket.db_key())
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        for (id, due, paused) in paused {
            let due = from_micros(due);
            let moved = resumed_due(resume_in, due, from_micros(paused), now);
            sqlx::query(
                "UPDATE promises SET paused_at = NULL, due_at = $2, warn_at = warn_at + $3 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(to_micros(moved))
            .bind(to_micros(moved) - to_micros(due))
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            chain.batch.push(
                chain.tail,
                kind::PROMISE_RESCHEDULED,
                actor.as_str(),
                at,
                &serde_json::json!({
                    "promise": PromiseId::from_db(id).to_string(),
                    "clock": "resumed",
                    "due_at": moved.to_string(),
                    "was_due_at": due.to_string(),
                }),
            );
        }
    }
    if effect.pause {
        let running: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, kind FROM promises \
             WHERE ticket_id = $1 AND state = 'pending' AND paused_at IS NULL ORDER BY id",
        )
        .bind(ticket.db_key())
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        for (id, k) in running {
            let k: PromiseKind = parse_stored("promise kind", &k)?;
            if !k.pauses_while_waiting() {
                continue;
            }
            sqlx::query("UPDATE promises SET paused_at = $2 WHERE id = $1")
                .bind(id)
                .bind(at)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            chain.batch.push(
                chain.tail,
                kind::PROMISE_RESCHEDULED,
                actor.as_str(),
                at,
                &serde_json::json!({
                    "promise": PromiseId::from_db(id).to_string(),
                    "clock": "paused",
                }),
            );
        }
    }
    let kept = PromiseState::Kept;
    settle_pending(
        conn,
        ticket,
        Some(effect.keep),
        kept,
        None,
        None,
        chain,
        actor,
        at,
    )
    .await?;
    if effect.cancel_all {
        let reason = Some(StatusEffect::CLOSED_REASON);
        let cancelled = PromiseState::Cancelled;
        settle_pending(
            conn, ticket, None, cancelled, reason, None, chain, actor, at,
        )
        .await?;
    }
    Ok(())
}

fn push_filter(qb: &mut QueryBuilder<Postgres>, filter: &PromiseFilter) {
    qb.push(" WHERE TRUE");
    if let Some(t) = filter.ticket {
        qb.push(" AND ticket_id = ").push_bind(t.db_key());
    }
    if let Some(c) = filter.customer {
        qb.push(" AND customer_id = ").push_bind(c.db_key());
    }
    if let Some(o) = &filter.order_number {
        qb.push(" AND order_number = ").push_bind(o.clone());
    }
    if let Some(s) = filter.state {
        qb.push(" AND state = ").push_bind(s.as_str());
    }
    if let Some(k) = filter.kind {
        qb.push(" AND kind = ").push_bind(k.as_str());
    }
    if let Some(d) = filter.due_before {
        qb.push(" AND due_at < ").push_bind(to_micros(d));
    }
}

impl PgStore {
    async fn create_promise_once(&self, new: &NewPromise, actor: &Actor) -> Result<Promise> {
        let at = to_micros(now());
        let mut tx = self.begin().await?;
        let promise = match new.ticket {
            Some(ticket_id) => {
                let ticket = lock_ticket(&mut tx, ticket_id).await?;
                if !ticket.status.accepts_messages() {
                    return Err(StoreError::conflict(
                        "ticket_closed",
                        format!("ticket {ticket_id} is closed; no promise can be made on it"),
                    ));
                }
                let owner = Owner {
                    ticket: Some(ticket_id),
                    customer: Some(ticket.customer_id),
                    message: None,
                };
                let mut tail = events::tail(&mut tx, ticket_id).await?;
                let mut batch = EventBatch::default();
                let mut chain = Chain {
                    tail: &mut tail,
                    batch: &mut batch,
                };
                let p = insert(&mut tx, new, &owner, Some(&mut chain), actor, at).await?;
                batch.insert(&mut tx).await?;
                p
            }
            None => {
                let owner = Owner {
                    ticket: None,
                    customer: new.customer,
                    message: None,
                };
                insert(&mut tx, new, &owner, None, actor, at).await?
            }
        };
        self.commit(tx).await?;
        Ok(promise)
    }

    async fn settle_once(
        &self,
        id: PromiseId,
        to: PromiseState,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<Promise> {
        let at = to_micros(now());
        let mut tx = self.begin().await?;
        let ticket: Option<Option<i64>> =
            sqlx::query_scalar("SELECT ticket_id FROM promises WHERE id = $1")
                .bind(id.db_key())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let ticket = ticket.ok_or_else(|| StoreError::not_found("promise", id))?;
        let promise = match ticket.map(TicketId::from_db) {
            Some(ticket) => {
                // The ticket first, as every ticket writer locks it: the event chain stays
                // in order and no two writers ever wait on each other the other way round.
                lock_ticket(&mut tx, ticket).await?;
                let mut tail = events::tail(&mut tx, ticket).await?;
                let mut batch = EventBatch::default();
                let mut chain = Chain {
                    tail: &mut tail,
                    batch: &mut batch,
                };
                let p = settle(&mut tx, id, to, note, None, Some(&mut chain), actor, at).await?;
                batch.insert(&mut tx).await?;
                p
            }
            None => settle(&mut tx, id, to, note, None, None, actor, at).await?,
        };
        self.commit(tx).await?;
        Ok(promise)
    }

    async fn settle_promise(
        &self,
        id: PromiseId,
        to: PromiseState,
        note: Option<String>,
        actor: &Actor,
    ) -> Result<Promise> {
        retrying(|| self.settle_once(id, to, note.as_deref(), actor)).await
    }
}

#[async_trait]
impl PromiseStore for PgStore {
    #[tracing::instrument(skip_all, fields(kind = %new.kind), err(level = "debug"))]
    async fn create_promise(&self, new: NewPromise, actor: &Actor) -> Result<Promise> {
        retrying(|| self.create_promise_once(&new, actor)).await
    }

    #[tracing::instrument(skip_all, fields(promise = %id), err(level = "debug"))]
    async fn get_promise(&self, id: PromiseId) -> Result<Promise> {
        let mut conn = self.conn().await?;
        fetch(&mut conn, id).await
    }

    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn list_promises(
        &self,
        filter: &PromiseFilter,
        page: PageRequest,
    ) -> Result<Page<Promise>> {
        let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
        // Total and page from one snapshot.
        let mut tx = self.begin_snapshot().await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM promises");
        push_filter(&mut count, filter);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut qb =
            QueryBuilder::<Postgres>::new(concat!("SELECT ", promise_columns!(), " FROM promises"));
        push_filter(&mut qb, filter);
        if let Some(before) = page.before {
            qb.push(" AND id < ").push_bind(before);
        }
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let mut rows: Vec<PromiseRow> =
            qb.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let next = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.id)
        } else {
            None
        };
        Ok(Page {
            items: rows
                .into_iter()
                .map(PromiseRow::into_promise)
                .collect::<Result<_>>()?,
            total: total.max(0) as u64,
            next,
        })
    }

    #[tracing::instrument(skip_all, fields(promise = %id), err(level = "debug"))]
    async fn keep_promise(
        &self,
        id: PromiseId,
        note: Option<String>,
        actor: &Actor,
    ) -> Result<Promise> {
        self.settle_promise(id, PromiseState::Kept, note, actor)
            .await
    }

    #[tracing::instrument(skip_all, fields(promise = %id), err(level = "debug"))]
    async fn cancel_promise(
        &self,
        id: PromiseId,
        reason: String,
        actor: &Actor,
    ) -> Result<Promise> {
        self.settle_promise(id, PromiseState::Cancelled, Some(reason), actor)
            .await
    }

    #[tracing::instrument(skip_all, fields(promise = %id), err(level = "debug"))]
    async fn break_promise(&self, id: PromiseId, reason: String, actor: &Actor) -> Result<Promise> {
        self.settle_promise(id, PromiseState::Broken, Some(reason), actor)
            .await
    }

    #[tracing::instrument(skip_all, fields(promise = %id), err(level = "debug"))]
    async fn mark_warned(&self, id: PromiseId, at: Timestamp) -> Result<Promise> {
        let mut conn = self.conn().await?;
        let row: Option<PromiseRow> = sqlx::query_as(concat!(
            "UPDATE promises SET warned_at = $2 \
             WHERE id = $1 AND state = 'pending' AND warned_at IS NULL RETURNING ",
            promise_columns!()
        ))
        .bind(id.db_key())
        .bind(to_micros(at))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        if let Some(row) = row {
            self.count_commit();
            return row.into_promise();
        }
        let current = fetch(&mut conn, id).await?;
        Err(if current.state.is_pending() {
            StoreError::conflict(
                "promise_already_warned",
                format!("the warning for {id} was already recorded"),
            )
        } else {
            StoreError::conflict(
                NotPending::CODE,
                format!("the promise is already {}", current.state),
            )
        })
    }

    #[tracing::instrument(skip_all, fields(ticket = %ticket), err(level = "debug"))]
    async fn add_message_with_promises(
        &self,
        ticket: TicketId,
        message: NewMessage,
        promises: MessagePromises,
        actor: &Actor,
    ) -> Result<MessageAdded> {
        retrying(|| self.add_message_once(ticket, &message, &promises, actor)).await
    }

    #[tracing::instrument(skip_all, fields(ticket = %id), err(level = "debug"))]
    async fn update_ticket_with_promises(
        &self,
        id: TicketId,
        patch: TicketPatch,
        promises: StatusPromises,
        actor: &Actor,
    ) -> Result<Ticket> {
        retrying(|| self.update_ticket_once(id, &patch, promises.resume_in.as_ref(), actor)).await
    }
}
