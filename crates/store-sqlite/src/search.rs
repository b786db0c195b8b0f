//! Full-text search over tickets: FTS5 finds and counts the tickets whose document holds every
//! query word, bm25 ranks them, and each hit gets a snippet of its best message.
//!
//! Ranking cost: bm25 reads every matching document's statistics, a few µs each, which is fine
//! for thousands of matches and not for a word found in most tickets. So when more than
//! [`RANK_WINDOW`] tickets match, bm25 ranks the `RANK_WINDOW` newest of them (FTS5 walks a
//! word's documents newest first cheaply, and a help desk's relevant past is mostly recent).
//! `total` is always the exact number of matching tickets.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use trustdesk_domain::text::Query;
use trustdesk_domain::{CustomerId, MessageId, TicketId};
use trustdesk_store::{PageRequest, SearchHit, SearchRequest, SearchResults};

use crate::error::{Result, time, word};

/// How many of the newest matches bm25 ranks when there are more.
pub(crate) const RANK_WINDOW: i64 = 1_000;
/// Characters of context in a snippet.
const SNIPPET_CHARS: usize = 160;
/// bm25 column weights: subject, customer (name and addresses), message text.
const RANK: &str = "bm25(ticket_search, 4.0, 2.0, 1.0)";

pub(crate) fn search(conn: &Connection, request: &SearchRequest) -> Result<SearchResults> {
    let query = &request.query;
    if query.is_empty() {
        return Ok(SearchResults {
            total: 0,
            hits: Vec::new(),
        });
    }
    let expr = query.to_fts5();
    // Count, rank and hits from one snapshot.
    let tx = conn.unchecked_transaction()?;
    let total: i64 = tx
        .prepare_cached("SELECT count(*) FROM ticket_search WHERE ticket_search MATCH ?1")?
        .query_row([&expr], |r| r.get(0))?;
    let limit = request.limit.min(PageRequest::MAX_LIMIT);
    if total == 0 || limit == 0 {
        return Ok(SearchResults {
            total: total as u64,
            hits: Vec::new(),
        });
    }
    // The oldest ticket id bm25 looks at.
    let oldest = if total > RANK_WINDOW {
        tx.prepare_cached(
            "SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?1
              ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
        )?
        .query_row(params![&expr, RANK_WINDOW - 1], |r| r.get(0))
        .optional()?
        .unwrap_or(0)
    } else {
        0
    };
    let ranked: Vec<(i64, f64)> = tx
        .prepare_cached(&format!(
            "SELECT rowid, {RANK} AS score FROM ticket_search
              WHERE ticket_search MATCH ?1 AND rowid >= ?2
              ORDER BY score, rowid DESC LIMIT ?3"
        ))?
        .query_map(params![&expr, oldest, limit], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut hits = Vec::with_capacity(ranked.len());
    for (ticket, bm25) in ranked {
        if let Some(hit) = hit(&tx, query, TicketId::from_db(ticket), -bm25)? {
            hits.push(hit);
        }
    }
    Ok(SearchResults {
        total: total as u64,
        hits,
    })
}

fn hit(
    conn: &Connection,
    query: &Query,
    ticket: TicketId,
    score: f64,
) -> Result<Option<SearchHit>> {
    let Some((number, subject, status, customer_id, updated_at)) = conn
        .prepare_cached(
            "SELECT number, subject, status, customer_id, updated_at FROM tickets WHERE id = ?1",
        )?
        .query_row([ticket.db_key()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                word(r, 2)?,
                CustomerId::from_db(r.get(3)?),
                time(r, 4)?,
            ))
        })
        .optional()?
    else {
        // Cannot happen within one snapshot; a stray index entry is skipped, not shown.
        tracing::warn!(%ticket, "search index holds a ticket that does not exist");
        return Ok(None);
    };
    let best = best_message(conn, query, ticket)?;
    let snippet = match &best {
        Some((_, text)) => query.snippet(text, SNIPPET_CHARS),
        None => query.snippet(&subject, SNIPPET_CHARS),
    };
    Ok(Some(SearchHit {
        ticket_id: ticket,
        number,
        subject,
        status,
        customer_id,
        message_id: best.map(|(id, _)| id),
        snippet,
        score,
        updated_at,
    }))
}

/// The newest message holding every query word, else the newest holding any; none when the
/// ticket matched only through its subject or customer. Judged on the stored analyzer terms,
/// so no message is analysed again.
fn best_message(
    conn: &Connection,
    query: &Query,
    ticket: TicketId,
) -> Result<Option<(MessageId, String)>> {
    // Each query term maps to the words it stands for, one bit per word (a query has at most
    // MAX_QUERY_WORDS of them).
    let mut words_of: HashMap<&str, u64> = HashMap::new();
    for (i, alts) in query.words.iter().enumerate().take(64) {
        for t in alts {
            *words_of.entry(t.as_str()).or_default() |= 1 << i;
        }
    }
    let every = query.words.len().min(64) as u32;
    let mut st = conn.prepare_cached(
        "SELECT id, terms, text FROM messages WHERE ticket_id = ?1 ORDER BY id DESC",
    )?;
    let mut rows = st.query([ticket.db_key()])?;
    let mut newest_with_any: Option<(i64, String)> = None;
    while let Some(row) = rows.next()? {
        let found = row
            .get_ref(1)?
            .as_str()
            .map_err(rusqlite::Error::from)?
            .split(' ')
            .filter_map(|t| words_of.get(t))
            .fold(0u64, |mask, m| mask | m)
            .count_ones();
        if found == every {
            return Ok(Some((MessageId::from_db(row.get(0)?), row.get(2)?)));
        }
        if found > 0 && newest_with_any.is_none() {
            newest_with_any = Some((row.get(0)?, row.get(2)?));
        }
    }
    Ok(newest_with_any.map(|(id, text)| (MessageId::from_db(id), text)))
}
