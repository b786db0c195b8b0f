//! The per-ticket event log: appending to a ticket's hash chain, and reading it back.

use rusqlite::{Connection, OptionalExtension, params};
use trustdesk_domain::TicketId;
use trustdesk_domain::event::{EventContent, GENESIS, Hash};
use trustdesk_store::{Event, StoreError};

use crate::error::{Result, time};

/// The end of a ticket's chain, to append after. Only the writer appends, so the head read at
/// the start of a request stays the head until that request commits.
pub(crate) struct Chain {
    ticket: TicketId,
    seq: i64,
    hash: Hash,
}

impl Chain {
    /// The chain of a ticket that has no events yet (it is being created).
    pub(crate) fn new(ticket: TicketId) -> Chain {
        Chain {
            ticket,
            seq: 0,
            hash: GENESIS,
        }
    }

    pub(crate) fn head(conn: &Connection, ticket: TicketId) -> Result<Chain> {
        let head = conn
            .prepare_cached(
                "SELECT seq, hash FROM events WHERE ticket_id = ?1 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([ticket.db_key()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(match head {
            Some((seq, hash)) => Chain { ticket, seq, hash },
            None => Chain::new(ticket),
        })
    }

    pub(crate) fn append(
        &mut self,
        conn: &Connection,
        kind: &str,
        actor: &str,
        payload: &str,
        at_micros: i64,
    ) -> Result<()> {
        let seq = self.seq + 1;
        let hash = EventContent {
            ticket: self.ticket,
            seq,
            kind,
            actor,
            at_micros,
            payload,
        }
        .chain_hash(&self.hash);
        conn.prepare_cached(
            "INSERT INTO events (ticket_id, seq, kind, actor, payload, at, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            self.ticket.db_key(),
            seq,
            kind,
            actor,
            payload,
            at_micros,
            self.hash,
            hash
        ])?;
        self.seq = seq;
        self.hash = hash;
        Ok(())
    }
}

pub(crate) fn list(conn: &Connection, ticket: TicketId) -> Result<Vec<Event>> {
    let tx = conn.unchecked_transaction()?;
    let exists = tx
        .prepare_cached("SELECT 1 FROM tickets WHERE id = ?1")?
        .exists([ticket.db_key()])?;
    if !exists {
        return Err(StoreError::not_found("ticket", ticket).into());
    }
    let events = tx
        .prepare_cached(
            "SELECT seq, kind, actor, payload, at, prev_hash, hash FROM events
             WHERE ticket_id = ?1 ORDER BY seq",
        )?
        .query_map([ticket.db_key()], |r| {
            Ok(Event {
                ticket_id: ticket,
                seq: r.get(0)?,
                kind: r.get(1)?,
                actor: r.get(2)?,
                payload: r.get(3)?,
                at: time(r, 4)?,
                prev_hash: r.get(5)?,
                hash: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(events)
}
