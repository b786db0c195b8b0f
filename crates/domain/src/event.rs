//! The per-ticket event log: append-only, each event carrying the SHA-256 of the one before,
//! so an exported log can be checked offline and any altered or missing event is named.

use sha2::{Digest, Sha256};

use crate::id::TicketId;

/// A SHA-256 digest, shown as 64 lower-case hex digits.
pub type Hash = [u8; 32];

/// The hash standing before the first event of every ticket.
pub const GENESIS: Hash = [0u8; 32];

/// What an event is about. Kinds are dotted words, stable forever once written.
pub mod kind {
    pub const TICKET_CREATED: &str = "ticket.created";
    pub const TICKET_UPDATED: &str = "ticket.updated";
    pub const MESSAGE_ADDED: &str = "message.added";
    pub const CUSTOMER_MERGED: &str = "customer.merged";
    pub const PROMISE_MADE: &str = "promise.made";
    pub const PROMISE_KEPT: &str = "promise.kept";
    pub const PROMISE_BROKEN: &str = "promise.broken";
    pub const PROMISE_CANCELLED: &str = "promise.cancelled";
    /// A promise's clock stopped or restarted (waiting for the customer), or its due time moved.
    pub const PROMISE_RESCHEDULED: &str = "promise.rescheduled";
}

/// Everything that goes into an event's hash. `payload` is the exact JSON text that is stored;
/// the hash is over those bytes, so verification never depends on re-serialising.
#[derive(Debug, Clone, Copy)]
pub struct EventContent<'a> {
    pub ticket: TicketId,
    pub seq: i64,
    pub kind: &'a str,
    pub actor: &'a str,
    pub at_micros: i64,
    pub payload: &'a str,
}

impl EventContent<'_> {
    /// The hash of this event, chained to `prev` (the previous event's hash, or [`GENESIS`]).
    pub fn chain_hash(&self, prev: &Hash) -> Hash {
        let mut h = Sha256::new();
        h.update(b"trustdesk-event-v1\n");
        h.update(hex::encode(prev).as_bytes());
        for field in [
            self.ticket.to_string().as_bytes(),
            self.seq.to_string().as_bytes(),
            self.kind.as_bytes(),
            self.actor.as_bytes(),
            self.at_micros.to_string().as_bytes(),
        ] {
            h.update(b"\n");
            h.update(field);
        }
        h.update(b"\n");
        h.update(self.payload.as_bytes());
        h.finalize().into()
    }
}

/// Where a chain stops verifying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("event {seq}: expected sequence number {expected}")]
    Gap { seq: i64, expected: i64 },
    #[error("event {seq}: its previous-hash does not match the event before it")]
    BrokenLink { seq: i64 },
    #[error("event {seq}: its content does not match its hash (altered)")]
    Altered { seq: i64 },
}

/// Checks a ticket's events in order: sequence numbers 1, 2, 3…, each linked to the previous
/// hash and each hash matching its content. Names the first event that fails.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = (EventContent<'a>, Hash, Hash)>,
) -> Result<(), ChainError> {
    let mut prev = GENESIS;
    for (expected, (content, prev_hash, hash)) in (1..).zip(events) {
        if content.seq != expected {
            return Err(ChainError::Gap {
                seq: content.seq,
                expected,
            });
        }
        if prev_hash != prev {
            return Err(ChainError::BrokenLink { seq: content.seq });
        }
        if content.chain_hash(&prev) != hash {
            return Err(ChainError::Altered { seq: content.seq });
        }
        prev = hash;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: i64, payload: &str) -> EventContent<'_> {
        EventContent {
            ticket: TicketId::from_db(7),
            seq,
            kind: kind::MESSAGE_ADDED,
            actor: "agt_1",
            at_micros: 1_700_000_000_000_000 + seq,
            payload,
        }
    }

    #[test]
    fn chain_verifies_and_names_the_altered_event() {
        let payloads = ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"];
        let mut prev = GENESIS;
        let mut chain = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let c = ev(i as i64 + 1, p);
            let h = c.chain_hash(&prev);
            chain.push((c, prev, h));
            prev = h;
        }
        assert_eq!(verify_chain(chain.clone()), Ok(()));

        let mut altered = chain.clone();
        altered[1].0.payload = "{\"b\":3}";
        assert_eq!(verify_chain(altered), Err(ChainError::Altered { seq: 2 }));

        let mut dropped = chain.clone();
        dropped.remove(1);
        assert_eq!(
            verify_chain(dropped),
            Err(ChainError::Gap {
                seq: 3,
                expected: 2
            })
        );
    }
}
