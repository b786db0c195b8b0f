//! Keeping the search index in step with the data it describes: one FTS5 document per ticket
//! (see the `ticket_search` table in the first migration), built from the stored terms.
//!
//! Requests do not touch the FTS table themselves: they note the ticket in `search_pending`
//! (in the same transaction as the change), and the writer writes the noted documents later,
//! many at once: when [`MAX_PENDING`] have gathered, when the writer has had nothing to do for
//! [`CATCH_UP_AFTER`], at a clean stop, or when a search asks for it ([`catch_up`]) — a search
//! waits for that, so it always sees every change committed before it began. Every FTS5 commit
//! writes its pending terms as a new index segment, and merging segments costs in proportion to
//! the leaf pages written; a document per ticket per group commit made mostly-empty leaves and
//! kept the merger busy, which was a third of the writer's time. A request that fails rolls its
//! note back with its savepoint, a ticket changed many times is indexed once, and because the
//! notes are committed with the changes, a crash loses no document: the next start writes them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::{Connection, Transaction, params};
use trustdesk_domain::text::index_text;
use trustdesk_domain::{CustomerId, Language, TicketId};

use crate::error::Result;
use crate::writer::Deferred;

/// At most this much analyzer output is indexed per message: more words than any real message
/// has, and a bound on what one pasted log file costs every later rebuild of its ticket.
const MAX_TERMS_BYTES: usize = 256 * 1024;

/// What the index keeps of one message's text: the analyzer's output, cut at a word boundary
/// when huge.
pub(crate) fn terms(text: &str, language: Option<Language>) -> String {
    let mut terms = index_text(text, language);
    if terms.len() > MAX_TERMS_BYTES {
        // Terms are ASCII: every byte index is a char boundary.
        let cut = terms[..MAX_TERMS_BYTES].rfind(' ').unwrap_or(0);
        terms.truncate(cut);
    }
    terms
}

/// At most this many tickets wait for their documents; the batch that reaches it writes them.
const MAX_PENDING: i64 = 512;
/// Waiting documents are written once the writer has been idle this long.
const CATCH_UP_AFTER: Duration = Duration::from_millis(2);

/// Notes a ticket created in this request: its document is written later.
pub(crate) fn created(conn: &Connection, ticket: TicketId) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO search_pending (ticket_id, is_new) VALUES (?1, 1)")?
        .execute([ticket.db_key()])?;
    Ok(())
}

/// Notes that a ticket's subject, customer or messages changed: its document is rebuilt later.
pub(crate) fn changed(conn: &Connection, ticket: TicketId) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO search_pending (ticket_id, is_new) VALUES (?1, 0)")?
        .execute([ticket.db_key()])?;
    Ok(())
}

/// Notes every ticket of a customer whose name or identities changed.
pub(crate) fn customer_changed(conn: &Connection, customer: CustomerId) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO search_pending (ticket_id, is_new)
         SELECT id, 0 FROM tickets WHERE customer_id = ?1",
    )?
    .execute(params![customer.db_key()])?;
    Ok(())
}

fn pending(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM search_pending")?
        .query_row([], |r| r.get(0))
}

/// Writes the documents of every noted ticket: its subject terms, its customer's terms and the
/// terms of all its messages (their order does not matter: nothing searches for phrases, and
/// bm25 counts terms, not positions). A search runs this (as a write) when the index is behind.
pub(crate) fn catch_up(conn: &Connection) -> rusqlite::Result<()> {
    let replaced: Vec<i64> = conn
        .prepare_cached("SELECT ticket_id FROM search_pending WHERE is_new = 0")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for ticket in replaced {
        conn.prepare_cached("DELETE FROM ticket_search WHERE rowid = ?1")?
            .execute([ticket])?;
    }
    conn.prepare_cached(
        "INSERT INTO ticket_search (rowid, subject, customer, body)
         SELECT t.id, t.subject_terms, c.search_terms,
                (SELECT group_concat(m.terms, ' ') FROM messages m WHERE m.ticket_id = t.id)
           FROM search_pending p
           JOIN tickets t ON t.id = p.ticket_id
           JOIN customers c ON c.id = t.customer_id",
    )?
    .execute([])?;
    conn.prepare_cached("DELETE FROM search_pending")?
        .execute([])?;
    Ok(())
}

/// The writer's side of the index: decides when the noted documents are written, and tells
/// searches whether any are waiting.
pub(crate) struct Indexer {
    /// Shared with the store: true while noted documents wait (set before a batch's requests
    /// are answered, so a search that starts after an answer sees it).
    behind: Arc<AtomicBool>,
    /// Documents waiting after the last batch.
    pending: i64,
}

impl Indexer {
    pub(crate) fn new(conn: &Connection, behind: Arc<AtomicBool>) -> rusqlite::Result<Indexer> {
        // Notes left by a crash are written at the writer's first idle moment.
        let pending = pending(conn)?;
        behind.store(pending > 0, Ordering::Release);
        Ok(Indexer { behind, pending })
    }
}

impl Deferred for Indexer {
    fn before_commit(&mut self, tx: &Transaction<'_>, idle: bool) -> rusqlite::Result<()> {
        let pending = pending(tx)?;
        if pending > 0 && (idle || pending >= MAX_PENDING) {
            catch_up(tx)?;
            self.pending = 0;
        } else {
            self.pending = pending;
        }
        Ok(())
    }

    fn after_commit(&mut self, committed: bool) {
        if !committed {
            // Whatever this batch wrote is gone; the next batch counts again.
            self.pending = self.pending.max(1);
        }
        self.behind.store(self.pending > 0, Ordering::Release);
    }

    fn idle_after(&self) -> Option<Duration> {
        (self.pending > 0).then_some(CATCH_UP_AFTER)
    }
}
