//! The promise ledger on SQLite: recording promises (alone, with a new ticket, with a message),
//! settling them only from pending, moving them with a ticket's status, listing them. Every
//! change to a promise on a ticket is an event on that ticket's chain, appended by the caller's
//! [`Chain`].

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde_json::json;
use sha2::{Digest, Sha256};
use trustdesk_domain::calendar::Calendar;
use trustdesk_domain::event::kind;
use trustdesk_domain::promise::{NotPending, StatusEffect, resumed_due};
use trustdesk_domain::time::{from_micros, to_micros};
use trustdesk_domain::{
    AgentId, CustomerId, MadeBy, MessageId, PromiseId, PromiseKind, PromiseState, TicketId,
    TicketStatus, Timestamp,
};
use trustdesk_store::{Actor, NewPromise, Page, PageRequest, Promise, PromiseFilter, StoreError};

use crate::error::{Result, opt_time, time, word};
use crate::events::Chain;
use crate::sql::SqlFilter;

const COLUMNS: &str = "id, kind, state, made_by, made_by_agent, text, ticket_id, customer_id, \
     order_number, message_id, calendar, created_at, due_at, warn_at, warned_at, paused_at, \
     settled_at, settled_by, note";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Promise> {
    let id: i64 = r.get(0)?;
    let made_by_kind = r.get_ref(3)?.as_str()?.to_owned();
    let made_by = MadeBy::from_parts(
        &made_by_kind,
        r.get::<_, Option<i64>>(4)?.map(AgentId::from_db),
    )
    .ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            3,
            rusqlite::types::Type::Text,
            format!("promise {id} has an invalid maker ({made_by_kind})").into(),
        )
    })?;
    Ok(Promise {
        id: PromiseId::from_db(id),
        kind: word(r, 1)?,
        state: word(r, 2)?,
        made_by,
        text: r.get(5)?,
        ticket_id: r.get::<_, Option<i64>>(6)?.map(TicketId::from_db),
        customer_id: r.get::<_, Option<i64>>(7)?.map(CustomerId::from_db),
        order_number: r.get(8)?,
        message_id: r.get::<_, Option<i64>>(9)?.map(MessageId::from_db),
        calendar: r.get(10)?,
        created_at: time(r, 11)?,
        due_at: time(r, 12)?,
        warn_at: opt_time(r, 13)?,
        warned_at: opt_time(r, 14)?,
        paused_at: opt_time(r, 15)?,
        settled_at: opt_time(r, 16)?,
        settled_by: r.get(17)?,
        note: r.get(18)?,
    })
}

pub(crate) fn get(conn: &Connection, id: PromiseId) -> Result<Promise> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM promises WHERE id = ?1"))?
        .query_row([id.db_key()], from_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("promise", id).into())
}

/// Every promise of a ticket, oldest first.
pub(crate) fn of_ticket(conn: &Connection, ticket: TicketId) -> Result<Vec<Promise>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM promises WHERE ticket_id = ?1 ORDER BY id"
        ))?
        .query_map([ticket.db_key()], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

fn rfc3339(t: Timestamp) -> String {
    t.to_string()
}

/// `promise.made`: what was promised, by whom, by when; the words by their digest, as message
/// texts are.
fn made_payload(p: &Promise) -> String {
    json!({
        "promise": p.id.to_string(),
        "kind": p.kind.as_str(),
        "made_by": p.made_by.to_string(),
        "due_at": rfc3339(p.due_at),
        "sha256": hex::encode(Sha256::digest(p.text.as_bytes())),
        "message": p.message_id.map(|m| m.to_string()),
        "order": p.order_number,
    })
    .to_string()
}

/// Where a new promise belongs, resolved by the caller.
pub(crate) struct Owner {
    pub ticket: Option<TicketId>,
    pub customer: Option<CustomerId>,
    pub message: Option<MessageId>,
}

/// Inserts a pending promise and, on a ticket, appends `promise.made` to `chain`.
pub(crate) fn insert(
    conn: &Connection,
    new: &NewPromise,
    owner: &Owner,
    chain: Option<&mut Chain>,
    actor: &Actor,
    now: Timestamp,
) -> Result<Promise> {
    if let Some(agent) = new.made_by.agent() {
        let exists = conn
            .prepare_cached("SELECT 1 FROM agents WHERE id = ?1")?
            .exists([agent.db_key()])?;
        if !exists {
            return Err(StoreError::not_found("agent", agent).into());
        }
    }
    let at = to_micros(now);
    conn.prepare_cached(
        "INSERT INTO promises (kind, state, made_by, made_by_agent, text, ticket_id, customer_id,
                               order_number, message_id, calendar, created_at, due_at, warn_at)
         VALUES (?1, 'pending', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        new.kind.as_str(),
        new.made_by.kind_str(),
        new.made_by.agent().map(AgentId::db_key),
        new.text.as_str(),
        owner.ticket.map(TicketId::db_key),
        owner.customer.map(CustomerId::db_key),
        new.order_number,
        owner.message.map(MessageId::db_key),
        new.calendar,
        at,
        to_micros(new.due_at),
        new.warn_at.map(to_micros),
    ])?;
    let promise = Promise {
        id: PromiseId::from_db(conn.last_insert_rowid()),
        kind: new.kind,
        state: PromiseState::Pending,
        made_by: new.made_by,
        text: new.text.as_str().to_owned(),
        ticket_id: owner.ticket,
        customer_id: owner.customer,
        order_number: new.order_number.clone(),
        message_id: owner.message,
        calendar: new.calendar.clone(),
        created_at: now,
        due_at: new.due_at,
        warn_at: new.warn_at,
        warned_at: None,
        paused_at: None,
        settled_at: None,
        settled_by: None,
        note: None,
    };
    if let Some(chain) = chain {
        chain.append(
            conn,
            kind::PROMISE_MADE,
            actor.as_str(),
            &made_payload(&promise),
            at,
        )?;
    }
    Ok(promise)
}

/// A promise made on its own (not with a ticket or message): checks what it refers to.
pub(crate) fn create(
    conn: &Connection,
    new: &NewPromise,
    actor: &Actor,
    now: Timestamp,
) -> Result<Promise> {
    match new.ticket {
        Some(ticket) => {
            let (status, customer): (TicketStatus, i64) = conn
                .prepare_cached("SELECT status, customer_id FROM tickets WHERE id = ?1")?
                .query_row([ticket.db_key()], |r| Ok((word(r, 0)?, r.get(1)?)))
                .optional()?
                .ok_or_else(|| StoreError::not_found("ticket", ticket))?;
            if !status.accepts_messages() {
                return Err(StoreError::conflict(
                    "ticket_closed",
                    format!("ticket {ticket} is closed; no promise can be made on it"),
                )
                .into());
            }
            let owner = Owner {
                ticket: Some(ticket),
                customer: Some(CustomerId::from_db(customer)),
                message: None,
            };
            let mut chain = Chain::head(conn, ticket)?;
            insert(conn, new, &owner, Some(&mut chain), actor, now)
        }
        None => {
            if let Some(customer) = new.customer {
                let exists = conn
                    .prepare_cached("SELECT 1 FROM customers WHERE id = ?1")?
                    .exists([customer.db_key()])?;
                if !exists {
                    return Err(StoreError::not_found("customer", customer).into());
                }
            }
            let owner = Owner {
                ticket: None,
                customer: new.customer,
                message: None,
            };
            insert(conn, new, &owner, None, actor, now)
        }
    }
}

fn settled_kind(to: PromiseState) -> &'static str {
    match to {
        PromiseState::Kept => kind::PROMISE_KEPT,
        PromiseState::Broken => kind::PROMISE_BROKEN,
        _ => kind::PROMISE_CANCELLED,
    }
}

/// Moves one pending promise to `to`, conditionally: a promise that already left pending is
/// Conflict `promise_not_pending`. Appends the event to `chain` when given (the caller holds
/// the ticket's chain), else to the promise's ticket's chain.
#[allow(clippy::too_many_arguments)]
pub(crate) fn settle(
    conn: &Connection,
    id: PromiseId,
    to: PromiseState,
    note: Option<&str>,
    message: Option<MessageId>,
    chain: Option<&mut Chain>,
    actor: &Actor,
    now: Timestamp,
) -> Result<Promise> {
    let at = to_micros(now);
    let changed = conn
        .prepare_cached(&format!(
            "UPDATE promises SET state = ?2, settled_at = ?3, settled_by = ?4, note = ?5,
                                 paused_at = NULL
              WHERE id = ?1 AND state = 'pending'
             RETURNING {COLUMNS}"
        ))?
        .query_row(
            params![id.db_key(), to.as_str(), at, actor.as_str(), note],
            from_row,
        )
        .optional()?;
    let Some(promise) = changed else {
        let refused = NotPending {
            state: get(conn, id)?.state,
            wanted: to,
        };
        return Err(StoreError::conflict(NotPending::CODE, refused.to_string()).into());
    };
    if let Some(ticket) = promise.ticket_id {
        let payload = json!({
            "promise": promise.id.to_string(),
            "kind": promise.kind.as_str(),
            "state": to.as_str(),
            "note": note,
            "message": message.map(|m| m.to_string()),
        })
        .to_string();
        let mut own;
        let chain = match chain {
            Some(c) => c,
            None => {
                own = Chain::head(conn, ticket)?;
                &mut own
            }
        };
        chain.append(conn, settled_kind(to), actor.as_str(), &payload, at)?;
    }
    Ok(promise)
}

/// Keeps the ticket's pending promises of `kinds` (oldest first), recording `message` as what
/// kept them.
pub(crate) fn keep_kinds(
    conn: &Connection,
    ticket: TicketId,
    kinds: &[PromiseKind],
    message: Option<MessageId>,
    chain: &mut Chain,
    actor: &Actor,
    now: Timestamp,
) -> Result<Vec<Promise>> {
    settle_pending(
        conn,
        ticket,
        Some(kinds),
        PromiseState::Kept,
        None,
        message,
        chain,
        actor,
        now,
    )
}

#[allow(clippy::too_many_arguments)]
fn settle_pending(
    conn: &Connection,
    ticket: TicketId,
    kinds: Option<&[PromiseKind]>,
    to: PromiseState,
    note: Option<&str>,
    message: Option<MessageId>,
    chain: &mut Chain,
    actor: &Actor,
    now: Timestamp,
) -> Result<Vec<Promise>> {
    if kinds.is_some_and(<[PromiseKind]>::is_empty) {
        return Ok(Vec::new());
    }
    let pending: Vec<(i64, PromiseKind)> = conn
        .prepare_cached(
            "SELECT id, kind FROM promises WHERE ticket_id = ?1 AND state = 'pending' ORDER BY id",
        )?
        .query_map([ticket.db_key()], |r| Ok((r.get(0)?, word(r, 1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut settled = Vec::new();
    for (id, k) in pending {
        if kinds.is_none_or(|ks| ks.contains(&k)) {
            let p = settle(
                conn,
                PromiseId::from_db(id),
                to,
                note,
                message,
                Some(chain),
                actor,
                now,
            )?;
            settled.push(p);
        }
    }
    Ok(settled)
}

/// Applies a status change's effect on the ticket's pending promises.
pub(crate) fn on_status(
    conn: &Connection,
    ticket: TicketId,
    effect: StatusEffect,
    resume_in: Option<&Calendar>,
    chain: &mut Chain,
    actor: &Actor,
    now: Timestamp,
) -> Result<()> {
    if effect.is_none() {
        return Ok(());
    }
    let at = to_micros(now);
    if effect.resume {
        let paused: Vec<(i64, i64, i64)> = conn
            .prepare_cached(
                "SELECT id, due_at, paused_at FROM promises
                  WHERE ticket_id = ?1 AND state = 'pending' AND paused_at IS NOT NULL ORDER BY id",
            )?
            .query_map([ticket.db_key()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, due, paused) in paused {
            let due = from_micros(due);
            let moved = resumed_due(resume_in, due, from_micros(paused), now);
            let warn_shift = to_micros(moved) - to_micros(due);
            conn.prepare_cached(
                "UPDATE promises SET paused_at = NULL, due_at = ?2,
                                     warn_at = warn_at + ?3 WHERE id = ?1",
            )?
            .execute(params![id, to_micros(moved), warn_shift])?;
            let payload = json!({
                "promise": PromiseId::from_db(id).to_string(),
                "clock": "resumed",
                "due_at": rfc3339(moved),
                "was_due_at": rfc3339(due),
            })
            .to_string();
            chain.append(
                conn,
                kind::PROMISE_RESCHEDULED,
                actor.as_str(),
                &payload,
                at,
            )?;
        }
    }
    if effect.pause {
        let running: Vec<(i64, PromiseKind)> = conn
            .prepare_cached(
                "SELECT id, kind FROM promises
                  WHERE ticket_id = ?1 AND state = 'pending' AND paused_at IS NULL ORDER BY id",
            )?
            .query_map([ticket.db_key()], |r| Ok((r.get(0)?, word(r, 1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, k) in running {
            if !k.pauses_while_waiting() {
                continue;
            }
            conn.prepare_cached("UPDATE promises SET paused_at = ?2 WHERE id = ?1")?
                .execute(params![id, at])?;
            let payload = json!({
                "promise": PromiseId::from_db(id).to_string(),
                "clock": "paused",
            })
            .to_string();
            chain.append(
                conn,
                kind::PROMISE_RESCHEDULED,
                actor.as_str(),
                &payload,
                at,
            )?;
        }
    }
    settle_pending(
        conn,
        ticket,
        Some(effect.keep),
        PromiseState::Kept,
        None,
        None,
        chain,
        actor,
        now,
    )?;
    if effect.cancel_all {
        settle_pending(
            conn,
            ticket,
            None,
            PromiseState::Cancelled,
            Some(StatusEffect::CLOSED_REASON),
            None,
            chain,
            actor,
            now,
        )?;
    }
    Ok(())
}

/// Records the warning; only once, and only while pending.
pub(crate) fn mark_warned(conn: &Connection, id: PromiseId, at: Timestamp) -> Result<Promise> {
    let changed = conn
        .prepare_cached(&format!(
            "UPDATE promises SET warned_at = ?2
              WHERE id = ?1 AND state = 'pending' AND warned_at IS NULL
             RETURNING {COLUMNS}"
        ))?
        .query_row(params![id.db_key(), to_micros(at)], from_row)
        .optional()?;
    match changed {
        Some(p) => Ok(p),
        None => {
            let current = get(conn, id)?;
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
            }
            .into())
        }
    }
}

pub(crate) fn list(
    conn: &Connection,
    filter: &PromiseFilter,
    page: PageRequest,
) -> Result<Page<Promise>> {
    let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
    let mut sql = SqlFilter::default();
    if let Some(t) = filter.ticket {
        sql.push("ticket_id = ?", Some(Value::Integer(t.db_key())));
    }
    if let Some(c) = filter.customer {
        sql.push("customer_id = ?", Some(Value::Integer(c.db_key())));
    }
    if let Some(o) = &filter.order_number {
        sql.push("order_number = ?", Some(Value::Text(o.clone())));
    }
    if let Some(s) = filter.state {
        sql.push("state = ?", Some(Value::Text(s.as_str().to_owned())));
    }
    if let Some(k) = filter.kind {
        sql.push("kind = ?", Some(Value::Text(k.as_str().to_owned())));
    }
    if let Some(d) = filter.due_before {
        sql.push("due_at < ?", Some(Value::Integer(to_micros(d))));
    }
    let tx = conn.unchecked_transaction()?;
    let total: i64 = tx
        .prepare_cached(&format!(
            "SELECT count(*) FROM promises{}",
            sql.where_clause()
        ))?
        .query_row(params_from_iter(sql.values()), |r| r.get(0))?;
    if let Some(before) = page.before {
        sql.push("id < ?", Some(Value::Integer(before)));
    }
    let mut items = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM promises{} ORDER BY id DESC LIMIT {}",
            sql.where_clause(),
            limit + 1
        ))?
        .query_map(params_from_iter(sql.values()), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|p| p.id.db_key())
    } else {
        None
    };
    Ok(Page {
        items,
        total: total.max(0) as u64,
        next,
    })
}
