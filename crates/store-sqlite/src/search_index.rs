//! Keeping the search index in step with the data it describes: one FTS5 document per ticket
//! (see the `ticket_search` table in the first migration), written in the same transaction as
//! the change that alters it.

use rusqlite::{Connection, params};
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

/// The document of a ticket that is being created, from terms the caller already has.
pub(crate) fn insert_new(
    conn: &Connection,
    ticket: TicketId,
    subject_terms: &str,
    customer_terms: &str,
    body_terms: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO ticket_search (rowid, subject, customer, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        ticket.db_key(),
        subject_terms,
        customer_terms,
        body_terms
    ])?;
    Ok(())
}

/// Replaces a ticket's document with one built from what is stored now: its subject terms, its
/// customer's terms and the terms of all its messages, oldest first.
pub(crate) fn rebuild(conn: &Connection, ticket: TicketId) -> Result<()> {
    conn.prepare_cached("DELETE FROM ticket_search WHERE rowid = ?1")?
        .execute([ticket.db_key()])?;
    conn.prepare_cached(
        "INSERT INTO ticket_search (rowid, subject, customer, body)
         SELECT t.id, t.subject_terms, c.search_terms,
                (SELECT group_concat(m.terms, ' ' ORDER BY m.id)
                   FROM messages m WHERE m.ticket_id = t.id)
           FROM tickets t JOIN customers c ON c.id = t.customer_id
          WHERE t.id = ?1",
    )?
    .execute([ticket.db_key()])?;
    Ok(())
}

/// Re-indexes every ticket of a customer whose name or identities changed.
pub(crate) fn rebuild_customer_tickets(conn: &Connection, customer: CustomerId) -> Result<()> {
    let tickets: Vec<TicketId> = conn
        .prepare_cached("SELECT id FROM tickets WHERE customer_id = ?1")?
        .query_map(params![customer.db_key()], |r| {
            r.get(0).map(TicketId::from_db)
        })?
        .collect::<rusqlite::Result<_>>()?;
    for ticket in tickets {
        rebuild(conn, ticket)?;
    }
    Ok(())
}
