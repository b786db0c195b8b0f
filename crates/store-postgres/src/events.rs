//! Appending to a ticket's hash-chained event log. Callers hold the ticket row lock, so the
//! tail read here is the tail for the rest of the transaction.

use sqlx::PgConnection;
use trustdesk_domain::TicketId;
use trustdesk_domain::event::{EventContent, GENESIS, Hash};
use trustdesk_domain::time::from_micros;
use trustdesk_store::{Event, Result};

use crate::error::db;
use crate::rows::EventRow;

/// Events being appended to one or more tickets in one transaction.
#[derive(Default)]
pub(crate) struct EventBatch {
    events: Vec<Event>,
}

/// Where one ticket's chain stands: the next seq and the hash before it.
#[derive(Clone, Copy)]
pub(crate) struct ChainTail {
    pub ticket: TicketId,
    pub next_seq: i64,
    pub prev: Hash,
}

impl ChainTail {
    /// The tail of a ticket that has no events yet.
    pub fn new_ticket(ticket: TicketId) -> ChainTail {
        ChainTail {
            ticket,
            next_seq: 1,
            prev: GENESIS,
        }
    }
}

/// The current tails of `tickets` (which the caller has locked).
pub(crate) async fn tails(conn: &mut PgConnection, tickets: &[TicketId]) -> Result<Vec<ChainTail>> {
    let keys: Vec<i64> = tickets.iter().map(|t| t.db_key()).collect();
    let found: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT DISTINCT ON (ticket_id) ticket_id, seq, hash FROM events \
         WHERE ticket_id = ANY($1) ORDER BY ticket_id, seq DESC",
    )
    .bind(&keys)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(tickets.len());
    for &ticket in tickets {
        let tail = match found.iter().find(|(t, _, _)| *t == ticket.db_key()) {
            Some((_, seq, hash)) => ChainTail {
                ticket,
                next_seq: seq + 1,
                prev: hash
                    .as_slice()
                    .try_into()
                    .map_err(|_| crate::error::corrupt("event hash", hex::encode(hash)))?,
            },
            None => ChainTail::new_ticket(ticket),
        };
        out.push(tail);
    }
    Ok(out)
}

pub(crate) async fn tail(conn: &mut PgConnection, ticket: TicketId) -> Result<ChainTail> {
    let mut t = tails(conn, &[ticket]).await?;
    Ok(t.pop().unwrap_or_else(|| ChainTail::new_ticket(ticket)))
}

impl EventBatch {
    /// Chains one event onto `tail` and moves the tail past it.
    pub fn push(
        &mut self,
        tail: &mut ChainTail,
        kind: &str,
        actor: &str,
        at_micros: i64,
        payload: &serde_json::Value,
    ) {
        let payload = payload.to_string();
        let content = EventContent {
            ticket: tail.ticket,
            seq: tail.next_seq,
            kind,
            actor,
            at_micros,
            payload: &payload,
        };
        let hash = content.chain_hash(&tail.prev);
        self.events.push(Event {
            ticket_id: tail.ticket,
            seq: tail.next_seq,
            kind: kind.to_owned(),
            actor: actor.to_owned(),
            payload,
            at: from_micros(at_micros),
            prev_hash: tail.prev,
            hash,
        });
        tail.prev = hash;
        tail.next_seq += 1;
    }

    /// Writes the batch in one statement. The primary key (ticket_id, seq) refuses any
    /// duplicate, so a writer that forgot its lock fails instead of forking a chain.
    pub async fn insert(self, conn: &mut PgConnection) -> Result<()> {
        if self.events.is_empty() {
            return Ok(());
        }
        let n = self.events.len();
        let mut ticket = Vec::with_capacity(n);
        let mut seq = Vec::with_capacity(n);
        let mut kind = Vec::with_capacity(n);
        let mut actor = Vec::with_capacity(n);
        let mut payload = Vec::with_capacity(n);
        let mut at = Vec::with_capacity(n);
        let mut prev = Vec::with_capacity(n);
        let mut hash = Vec::with_capacity(n);
        for e in self.events {
            ticket.push(e.ticket_id.db_key());
            seq.push(e.seq);
            kind.push(e.kind);
            actor.push(e.actor);
            payload.push(e.payload);
            at.push(trustdesk_domain::time::to_micros(e.at));
            prev.push(e.prev_hash.to_vec());
            hash.push(e.hash.to_vec());
        }
        sqlx::query(
            "INSERT INTO events (ticket_id, seq, kind, actor, payload, at, prev_hash, hash) \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], \
                                  $6::bigint[], $7::bytea[], $8::bytea[])",
        )
        .bind(&ticket)
        .bind(&seq)
        .bind(&kind)
        .bind(&actor)
        .bind(&payload)
        .bind(&at)
        .bind(&prev)
        .bind(&hash)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        Ok(())
    }
}

pub(crate) async fn list(conn: &mut PgConnection, ticket: TicketId) -> Result<Vec<Event>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT ticket_id, seq, kind, actor, payload, at, prev_hash, hash FROM events \
         WHERE ticket_id = $1 ORDER BY seq",
    )
    .bind(ticket.db_key())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(EventRow::into_event).collect()
}
