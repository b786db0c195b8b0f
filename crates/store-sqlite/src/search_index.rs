//! Keeping the search index in step with the data it describes: one FTS5 document per ticket
//! (see the `ticket_search` table in the first migration), rebuilt from the stored terms in
//! the same transaction as the change that alters it.
//!
//! Requests do not touch the FTS table themselves: they note the ticket in a connection-local
//! temp table, and the writer rebuilds the noted documents once per group commit, after the
//! last request's savepoint and before COMMIT ([`flush`]). FTS5 writes its pending terms out as
//! a new index segment at every savepoint once it has been written to in a transaction, so
//! indexing inside each request's savepoint would cut one tiny segment per request and keep
//! the merger busy; deferred, a whole batch becomes one segment. A request that fails rolls its
//! note back with its savepoint, and a ticket changed twice in a batch is indexed once.

use rusqlite::{Connection, Transaction, params};
use trustdesk_domain::text::index_text;
use trustdesk_domain::{CustomerId, Language, TicketId};

use crate::error::Result;

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

/// Creates the write connection's note of tickets to re-index.
pub(crate) fn prepare_writer(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS pending_index (
             ticket_id INTEGER PRIMARY KEY,
             -- 1 when the ticket was created in this batch: it has no document to replace.
             is_new    INTEGER NOT NULL
         )",
    )
}

/// Notes a ticket created in this request: its document is written at the end of the batch.
pub(crate) fn created(conn: &Connection, ticket: TicketId) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO temp.pending_index (ticket_id, is_new) VALUES (?1, 1)",
    )?
    .execute([ticket.db_key()])?;
    Ok(())
}

/// Notes that a ticket's subject, customer or messages changed: its document is rebuilt at
/// the end of the batch.
pub(crate) fn changed(conn: &Connection, ticket: TicketId) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO temp.pending_index (ticket_id, is_new) VALUES (?1, 0)",
    )?
    .execute([ticket.db_key()])?;
    Ok(())
}

/// Notes every ticket of a customer whose name or identities changed.
pub(crate) fn customer_changed(conn: &Connection, customer: CustomerId) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO temp.pending_index (ticket_id, is_new)
         SELECT id, 0 FROM tickets WHERE customer_id = ?1",
    )?
    .execute(params![customer.db_key()])?;
    Ok(())
}

/// Writes the documents of every ticket noted in this batch: its subject terms, its customer's
/// terms and the terms of all its messages (their order does not matter: nothing searches for
/// phrases, and bm25 counts terms, not positions). Runs in the batch's transaction, just before
/// COMMIT.
pub(crate) fn flush(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let replaced: Vec<i64> = tx
        .prepare_cached("SELECT ticket_id FROM temp.pending_index WHERE is_new = 0")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for ticket in replaced {
        tx.prepare_cached("DELETE FROM ticket_search WHERE rowid = ?1")?
            .execute([ticket])?;
    }
    tx.prepare_cached(
        "INSERT INTO ticket_search (rowid, subject, customer, body)
         SELECT t.id, t.subject_terms, c.search_terms,
                (SELECT group_concat(m.terms, ' ') FROM messages m WHERE m.ticket_id = t.id)
           FROM temp.pending_index p
           JOIN tickets t ON t.id = p.ticket_id
           JOIN customers c ON c.id = t.customer_id",
    )?
    .execute([])?;
    tx.prepare_cached("DELETE FROM temp.pending_index")?
        .execute([])?;
    Ok(())
}
