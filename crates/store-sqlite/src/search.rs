//! Full-text search over tickets: FTS5 finds and counts the tickets whose document holds every
//! query word, they are ranked, and each hit gets a snippet of its best message.
//!
//! Ranking: bm25 (subject ×4, customer ×2, message text ×1) when at most [`RANK_ALL`] tickets
//! match. bm25 costs a few µs per match plus, for its IDF, a pass over every document of every
//! query term — for a word found in tens of thousands of tickets that alone is many ms, and it
//! says little anyway (FTS5 floors the IDF of a word in more than half the documents to ~0).
//! So when more tickets match, the [`RANK_WINDOW`] newest matches are ranked by where the
//! words are — every word in the subject first, then every word in subject or customer, then
//! the rest — newest first within each tier. Each tier is one FTS5 walk (a column filter over
//! the same expression) bounded by the window, so a common word costs little more than its
//! exact count. `total` is always the exact number of matching tickets.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};
use trustdesk_domain::text::Query;
use trustdesk_domain::{CustomerId, MessageId, TicketId};
use trustdesk_store::{PageRequest, SearchHit, SearchRequest, SearchResults};

use crate::error::{Result, time, word};

/// Up to this many matches, bm25 ranks them all.
pub(crate) const RANK_ALL: i64 = 300;
/// Beyond [`RANK_ALL`] matches, how many of the newest are ranked by tier.
pub(crate) const RANK_WINDOW: i64 = 1_000;
/// Characters of context in a snippet.
const SNIPPET_CHARS: usize = 160;
/// bm25 column weights: subject, customer (name and addresses), message text.
const BM25: &str = "bm25(ticket_search, 4.0, 2.0, 1.0)";
/// The tiers above "matches somewhere", best first: (score, columns holding every word).
const TIERS: [(f64, &str); 2] = [(2.0, "{subject}"), (1.0, "{subject customer}")];

pub(crate) fn search(conn: &Connection, request: &SearchRequest) -> Result<SearchResults> {
    let query = &request.query;
    if query.is_empty() {
        return Ok(SearchResults {
            total: 0,
            hits: Vec::new(),
        });
    }
    let expr = query.to_fts5();
    // Count, ranking and hits from one snapshot.
    let tx = conn.unchecked_transaction()?;
    let total: i64 = tx
        .prepare_cached("SELECT count(*) FROM ticket_search WHERE ticket_search MATCH ?1")?
        .query_row([&expr], |r| r.get(0))?;
    let limit = i64::from(request.limit.min(PageRequest::MAX_LIMIT));
    if total == 0 || limit == 0 {
        return Ok(SearchResults {
            total: total.max(0) as u64,
            hits: Vec::new(),
        });
    }
    let ranked = if total <= RANK_ALL {
        by_bm25(&tx, &expr, limit)?
    } else {
        by_tier(&tx, &expr, limit)?
    };
    let mut hits = Vec::with_capacity(ranked.len());
    for (ticket, score) in ranked {
        if let Some(hit) = hit(&tx, query, TicketId::from_db(ticket), score)? {
            hits.push(hit);
        }
    }
    Ok(SearchResults {
        total: total as u64,
        hits,
    })
}

fn by_bm25(conn: &Connection, expr: &str, limit: i64) -> Result<Vec<(i64, f64)>> {
    let ranked = conn
        .prepare_cached(&format!(
            "SELECT rowid, {BM25} AS score FROM ticket_search WHERE ticket_search MATCH ?1
              ORDER BY score, rowid DESC LIMIT ?2"
        ))?
        .query_map(params![expr, limit], |r| {
            // bm25() is lower-is-better; hits are higher-is-better.
            Ok((r.get(0)?, -r.get::<_, f64>(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ranked)
}

fn by_tier(conn: &Connection, expr: &str, limit: i64) -> Result<Vec<(i64, f64)>> {
    // The oldest ticket id in the window.
    let oldest: i64 = conn
        .prepare_cached(
            "SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?1
              ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
        )?
        .query_row(params![expr, RANK_WINDOW - 1], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let limit = limit as usize;
    let mut ranked: Vec<(i64, f64)> = Vec::with_capacity(limit);
    let mut seen = HashSet::with_capacity(limit);
    for (score, columns) in TIERS {
        if ranked.len() >= limit {
            break;
        }
        // Walked oldest to newest from the window's start: FTS5 seeks straight to `oldest`
        // and stops at the newest match. (Newest first, a column filter that matches nothing
        // in the window would walk on past it through every older match.)
        let tier: Vec<i64> = conn
            .prepare_cached(
                "SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?1 AND rowid >= ?2",
            )?
            .query_map(params![format!("{columns} : ({expr})"), oldest], |r| {
                r.get(0)
            })?
            .collect::<rusqlite::Result<_>>()?;
        for ticket in tier.into_iter().rev() {
            if ranked.len() >= limit {
                break;
            }
            if seen.insert(ticket) {
                ranked.push((ticket, score));
            }
        }
    }
    if ranked.len() < limit {
        // The rest of the window, newest first: every row in it matches, so this walk stops
        // after at most `limit` rows plus those already ranked.
        let mut st = conn.prepare_cached(
            "SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?1 AND rowid >= ?2
              ORDER BY rowid DESC LIMIT ?3",
        )?;
        let mut rows = st.query(params![expr, oldest, (limit + seen.len()) as i64])?;
        while let Some(row) = rows.next()? {
            let ticket: i64 = row.get(0)?;
            if seen.insert(ticket) {
                ranked.push((ticket, 0.0));
                if ranked.len() >= limit {
                    break;
                }
            }
        }
    }
    Ok(ranked)
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
