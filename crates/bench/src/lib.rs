//! Benchmark tooling behind `trustdesk bench`: fill a desk with a large, believable data set
//! through the Store (exactly the writes the API does), and time searches against it. Figures
//! are printed as `key=value` lines for BENCHMARKS.md; nothing here asserts a time.

pub mod corpus;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use trustdesk_domain::text::Query;
use trustdesk_domain::{
    Channel, DeliveryState, Direction, EmailAddress, Identity, Priority, Subject,
};
use trustdesk_store::{
    Actor, Author, CustomerRef, NewCustomer, NewMessage, NewTicket, SearchRequest, Store,
    StoreError,
};

#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Messages in all; tickets get `messages_per_ticket` each.
    pub messages: u64,
    pub messages_per_ticket: usize,
    /// Distinct customers the tickets are spread over.
    pub customers: u64,
    /// Writers working at once (the SQLite writer commits them in groups).
    pub concurrency: usize,
    pub seed: u64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            messages: 1_000_000,
            messages_per_ticket: 4,
            customers: 50_000,
            concurrency: 64,
            seed: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeedReport {
    pub tickets: u64,
    pub messages: u64,
    pub secs: f64,
}

impl SeedReport {
    pub fn line(&self) -> String {
        format!(
            "seed tickets={} messages={} secs={:.1} messages_per_sec={:.0}",
            self.tickets,
            self.messages,
            self.secs,
            self.messages as f64 / self.secs.max(1e-9)
        )
    }
}

fn customer_message(text: String, direction: Direction) -> NewMessage {
    NewMessage {
        direction,
        author: Author::System,
        text,
        html: None,
        channel_message_id: None,
        delivery_state: if direction == Direction::In {
            DeliveryState::Received
        } else {
            DeliveryState::Sent
        },
        attachments: Vec::new(),
        raw_sha256: None,
    }
}

/// Writes one generated conversation: a ticket with its first message, then the rest.
async fn write_conversation(
    store: &dyn Store,
    conv: corpus::Conversation,
) -> Result<u64, StoreError> {
    let email = EmailAddress::parse(&conv.customer_email)
        .map_err(|e| StoreError::conflict("invalid_seed", e.to_string()))?;
    let subject = Subject::parse(&conv.subject)
        .map_err(|e| StoreError::conflict("invalid_seed", e.to_string()))?;
    let mut messages = conv.messages.into_iter();
    let first = messages.next().unwrap_or_default();
    let thread = store
        .create_ticket(NewTicket {
            subject,
            customer: CustomerRef::FindOrCreate(NewCustomer {
                name: Some(conv.customer_name),
                language: Some(conv.language),
                identities: vec![Identity::email(&email)],
            }),
            channel: Channel::Email,
            priority: Priority::Normal,
            language: Some(conv.language),
            tags: Vec::new(),
            assignee: None,
            first_message: customer_message(first, Direction::In),
            promises: Vec::new(),
            actor: Actor::system(),
        })
        .await?;
    let mut written = 1;
    for (i, text) in messages.enumerate() {
        let direction = if i % 2 == 0 {
            Direction::Out
        } else {
            Direction::In
        };
        store
            .add_message(
                thread.ticket.id,
                customer_message(text, direction),
                &Actor::system(),
            )
            .await?;
        written += 1;
    }
    Ok(written)
}

/// Fills the store with `messages` messages. Each writer draws from its own seeded stream, so
/// the data set is the same for the same options.
pub async fn seed(
    store: Arc<dyn Store>,
    opts: SeedOptions,
    progress: impl Fn(u64, u64) + Send + Sync + 'static,
) -> Result<SeedReport, StoreError> {
    let per_ticket = opts.messages_per_ticket.max(1) as u64;
    let tickets = opts.messages.div_ceil(per_ticket);
    let next = Arc::new(AtomicU64::new(0));
    let done_messages = Arc::new(AtomicU64::new(0));
    let progress = Arc::new(progress);
    let started = Instant::now();
    let workers = (0..opts.concurrency.max(1)).map(|w| {
        let store = store.clone();
        let next = next.clone();
        let done_messages = done_messages.clone();
        let progress = progress.clone();
        let opts = opts.clone();
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(opts.seed.wrapping_mul(1_000_003) + w as u64);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= tickets {
                    return Ok::<(), StoreError>(());
                }
                let n = per_ticket.min(opts.messages - i * per_ticket) as usize;
                let conv = corpus::conversation(&mut rng, i, n, opts.customers);
                let written = write_conversation(store.as_ref(), conv).await?;
                let total = done_messages.fetch_add(written, Ordering::Relaxed) + written;
                if i.is_multiple_of(10_000) {
                    progress(total, opts.messages);
                }
            }
        })
    });
    let results = futures::future::join_all(workers).await;
    for r in results {
        r.map_err(StoreError::other)??;
    }
    Ok(SeedReport {
        tickets,
        messages: done_messages.load(Ordering::Relaxed),
        secs: started.elapsed().as_secs_f64(),
    })
}

#[derive(Debug, Clone)]
pub struct SearchTiming {
    pub query: String,
    pub total: u64,
    pub median: Duration,
    pub p90: Duration,
}

#[derive(Debug, Clone)]
pub struct SearchReport {
    pub per_query: Vec<SearchTiming>,
    /// Median over every single search of every query.
    pub median: Duration,
    pub p90: Duration,
    pub max: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl SearchReport {
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .per_query
            .iter()
            .map(|t| {
                format!(
                    "search q={} total={} median_ms={:.2} p90_ms={:.2}",
                    t.query,
                    t.total,
                    ms(t.median),
                    ms(t.p90)
                )
            })
            .collect();
        out.push(format!(
            "search all queries={} median_ms={:.2} p90_ms={:.2} max_ms={:.2}",
            self.per_query.len(),
            ms(self.median),
            ms(self.p90),
            ms(self.max)
        ));
        out
    }
}

/// Runs each query `rounds` times (after one warm-up) and reports medians. The work timed is
/// the Store's `search`, as `GET /api/v1/search` calls it: matching, ranking, total, snippets.
pub async fn search(
    store: &dyn Store,
    queries: &[String],
    rounds: usize,
    limit: u32,
) -> Result<SearchReport, StoreError> {
    let mut all = Vec::with_capacity(queries.len() * rounds);
    let mut per_query = Vec::with_capacity(queries.len());
    for q in queries {
        let request = SearchRequest {
            query: Query::parse(q),
            limit,
        };
        let warm = store.search(&request).await?;
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds.max(1) {
            let t = Instant::now();
            let r = store.search(&request).await?;
            times.push(t.elapsed());
            debug_assert_eq!(r.total, warm.total);
        }
        times.sort();
        all.extend_from_slice(&times);
        per_query.push(SearchTiming {
            query: q.clone(),
            total: warm.total,
            median: percentile(&times, 0.5),
            p90: percentile(&times, 0.9),
        });
    }
    all.sort();
    Ok(SearchReport {
        per_query,
        median: percentile(&all, 0.5),
        p90: percentile(&all, 0.9),
        max: all.last().copied().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<Duration> = (1..=10).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 0.5), Duration::from_millis(6));
        assert_eq!(percentile(&v, 0.9), Duration::from_millis(9));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }
}
