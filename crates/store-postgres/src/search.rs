//! Full-text search: one tsvector document per ticket, fed only with the domain analyzer's
//! output (`index_text`) through the `simple` configuration, so PostgreSQL never stems or
//! parses user text of its own. Queries arrive as `Query::to_tsquery()` bound as a parameter.

use std::collections::HashMap;

use sqlx::PgConnection;
use trustdesk_domain::text::{Query, index_text};
use trustdesk_domain::time::from_micros;
use trustdesk_domain::{CustomerId, Identity, Language, MessageId, TicketId};
use trustdesk_store::{Result, SearchHit, SearchRequest, SearchResults};

use crate::error::{db, parse_stored};
use crate::rows::{language, load_customer};

/// Most hits one search returns, whatever the caller asks.
const MAX_HITS: u32 = 500;
/// Characters of context in a snippet.
const SNIPPET_CHARS: usize = 160;

/// At most this much analyzer output is indexed per text (a message, a head): far below the
/// 1 MB a tsvector can hold, and more words than any real message has.
const MAX_INDEXED_BYTES: usize = 256 * 1024;

/// What the index keeps of one text: the analyzer's output, cut at a word boundary when huge.
pub(crate) fn terms(text: &str, lang: Option<Language>) -> String {
    capped(index_text(text, lang))
}

fn capped(mut terms: String) -> String {
    if terms.len() > MAX_INDEXED_BYTES {
        // Terms are ASCII, so any byte index is a char boundary.
        let cut = terms[..MAX_INDEXED_BYTES].rfind(' ').unwrap_or(0);
        terms.truncate(cut);
    }
    terms
}

/// The part of a ticket's document that can change in place: subject and customer.
pub(crate) fn head_text(
    subject: &str,
    customer_name: Option<&str>,
    identities: &[Identity],
    lang: Option<Language>,
) -> String {
    let mut parts = vec![index_text(subject, lang)];
    if let Some(name) = customer_name {
        parts.push(index_text(name, lang));
    }
    parts.extend(identities.iter().map(|i| index_text(&i.value, lang)));
    parts.retain(|p| !p.is_empty());
    capped(parts.join(" "))
}

/// A new ticket's document.
pub(crate) async fn insert_document(
    conn: &mut PgConnection,
    ticket: TicketId,
    head: &str,
    body: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_search (ticket_id, head, body) \
         VALUES ($1, to_tsvector('simple', $2), to_tsvector('simple', $3))",
    )
    .bind(ticket.db_key())
    .bind(head)
    .bind(body)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Adds one message's terms to its ticket's document without re-reading earlier messages.
pub(crate) async fn append_message(
    conn: &mut PgConnection,
    ticket: TicketId,
    message: MessageId,
) -> Result<()> {
    sqlx::query(
        "UPDATE ticket_search s SET body = trustdesk_tsvector_append(s.body, m.terms) \
         FROM messages m WHERE m.id = $2 AND s.ticket_id = $1",
    )
    .bind(ticket.db_key())
    .bind(message.db_key())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Rebuilds the heads of every ticket of `customer` after its name or identities changed.
/// Takes the tickets' row locks (in id order, as every writer does) so that a concurrent
/// subject change cannot be overwritten with a stale subject.
pub(crate) async fn reindex_customer(conn: &mut PgConnection, customer: i64) -> Result<()> {
    let tickets: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT id, subject, language FROM tickets WHERE customer_id = $1 ORDER BY id FOR UPDATE",
    )
    .bind(customer)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    if tickets.is_empty() {
        return Ok(());
    }
    let c = load_customer(conn, customer).await?;
    let mut ids = Vec::with_capacity(tickets.len());
    let mut heads = Vec::with_capacity(tickets.len());
    for (id, subject, lang) in tickets {
        ids.push(id);
        heads.push(head_text(
            &subject,
            c.name.as_deref(),
            &c.identities,
            language(lang)?,
        ));
    }
    sqlx::query(
        "UPDATE ticket_search s SET head = to_tsvector('simple', u.head) \
         FROM UNNEST($1::bigint[], $2::text[]) AS u(ticket_id, head) \
         WHERE s.ticket_id = u.ticket_id",
    )
    .bind(&ids)
    .bind(&heads)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Rebuilds one ticket's head (after a subject change).
pub(crate) async fn reindex_head(
    conn: &mut PgConnection,
    ticket: TicketId,
    subject: &str,
    customer: CustomerId,
    lang: Option<Language>,
) -> Result<()> {
    let c = load_customer(conn, customer.db_key()).await?;
    let head = head_text(subject, c.name.as_deref(), &c.identities, lang);
    sqlx::query("UPDATE ticket_search SET head = to_tsvector('simple', $2) WHERE ticket_id = $1")
        .bind(ticket.db_key())
        .bind(&head)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Re-analyses every message of a ticket (after its language, and so its stemmer, changed).
pub(crate) async fn reindex_messages(
    conn: &mut PgConnection,
    ticket: TicketId,
    lang: Option<Language>,
) -> Result<()> {
    let messages: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, text FROM messages WHERE ticket_id = $1 ORDER BY id")
            .bind(ticket.db_key())
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let (ids, analysed): (Vec<i64>, Vec<String>) = messages
        .into_iter()
        .map(|(id, text)| (id, terms(&text, lang)))
        .unzip();
    sqlx::query(
        "UPDATE messages m SET terms = to_tsvector('simple', u.terms) \
         FROM UNNEST($1::bigint[], $2::text[]) AS u(id, terms) WHERE m.id = u.id",
    )
    .bind(&ids)
    .bind(&analysed)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "UPDATE ticket_search SET body = COALESCE( \
             (SELECT trustdesk_tsvector_agg(m.terms ORDER BY m.id) FROM messages m \
              WHERE m.ticket_id = $1), ''::tsvector) \
         WHERE ticket_id = $1",
    )
    .bind(ticket.db_key())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// `a | b | c` over every term of every word: a message "matches" when it has any of them.
fn any_word_tsquery(query: &Query) -> String {
    query
        .words
        .iter()
        .flatten()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(" | ")
}

#[derive(sqlx::FromRow)]
struct HitRow {
    id: i64,
    number: i64,
    subject: String,
    status: String,
    customer_id: i64,
    updated_at: i64,
    score: f64,
    total: i64,
}

pub(crate) async fn search(
    conn: &mut PgConnection,
    request: &SearchRequest,
) -> Result<SearchResults> {
    let query = &request.query;
    if query.is_empty() {
        return Ok(SearchResults {
            total: 0,
            hits: Vec::new(),
        });
    }
    let all_words = query.to_tsquery();
    let limit = request.limit.min(MAX_HITS);
    if limit == 0 {
        let total: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ticket_search s \
             WHERE (s.head || s.body) @@ to_tsquery('simple', $1)",
        )
        .bind(&all_words)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
        return Ok(SearchResults {
            total: total.max(0) as u64,
            hits: Vec::new(),
        });
    }
    // The window count runs over every match before LIMIT: one pass gives page and total.
    let rows: Vec<HitRow> = sqlx::query_as(
        "SELECT t.id, t.number, t.subject, t.status, t.customer_id, t.updated_at, \
                m.score, count(*) OVER () AS total \
         FROM (SELECT s.ticket_id, \
                      ts_rank(s.head || s.body, to_tsquery('simple', $1))::float8 AS score \
               FROM ticket_search s \
               WHERE (s.head || s.body) @@ to_tsquery('simple', $1)) m \
         JOIN tickets t ON t.id = m.ticket_id \
         ORDER BY m.score DESC, t.id DESC \
         LIMIT $2",
    )
    .bind(&all_words)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let total = rows.first().map_or(0, |r| r.total.max(0) as u64);
    if rows.is_empty() {
        return Ok(SearchResults {
            total,
            hits: Vec::new(),
        });
    }

    // The snippet comes from the newest message holding every word, else the newest holding
    // any word, else the subject.
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let best: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (m.ticket_id) m.ticket_id, m.id, m.text \
         FROM messages m \
         WHERE m.ticket_id = ANY($1) AND m.terms @@ to_tsquery('simple', $2) \
         ORDER BY m.ticket_id, (m.terms @@ to_tsquery('simple', $3)) DESC, m.id DESC",
    )
    .bind(&ids)
    .bind(any_word_tsquery(query))
    .bind(&all_words)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut best: HashMap<i64, (i64, String)> = best
        .into_iter()
        .map(|(ticket, message, text)| (ticket, (message, text)))
        .collect();

    let hits = rows
        .into_iter()
        .map(|r| {
            let (message_id, snippet) = match best.remove(&r.id) {
                Some((message, text)) => (
                    Some(MessageId::from_db(message)),
                    query.snippet(&text, SNIPPET_CHARS),
                ),
                None => (None, query.snippet(&r.subject, SNIPPET_CHARS)),
            };
            Ok(SearchHit {
                ticket_id: TicketId::from_db(r.id),
                number: r.number,
                status: parse_stored("ticket status", &r.status)?,
                subject: r.subject,
                customer_id: CustomerId::from_db(r.customer_id),
                message_id,
                snippet,
                score: r.score,
                updated_at: from_micros(r.updated_at),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(SearchResults { total, hits })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_texts_are_cut_at_a_word() {
        let text = "refund ".repeat(MAX_INDEXED_BYTES / 3);
        let t = terms(&text, Some(Language::EN));
        assert!(t.len() <= MAX_INDEXED_BYTES);
        assert!(t.split(' ').all(|w| w == "refund"), "no half words");
        assert_eq!(terms("Zwrot", None), index_text("Zwrot", None));
    }
}
