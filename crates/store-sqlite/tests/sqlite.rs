//! What is specific to the SQLite backend: group commit under concurrency, durability across
//! close and reopen, migrations, shutdown, and the search and pagination paths of its schema.
//! Behaviour common to both backends is proven by the conformance suite.

use std::collections::HashSet;
use std::sync::Arc;

use trustdesk_domain::event::{EventContent, verify_chain};
use trustdesk_domain::text::Query;
use trustdesk_domain::time::to_micros;
use trustdesk_domain::{
    Channel, DeliveryState, Direction, EmailAddress, Identity, Language, Priority, Role, Subject,
    Tag, TicketStatus,
};
use trustdesk_store::{
    Actor, AgentStore, AssigneeFilter, Author, BlobStore, CustomerRef, CustomerStore, EventStore,
    NewAgent, NewCustomer, NewMessage, NewTicket, PageRequest, SearchRequest, SearchStore, Store,
    StoreError, Ticket, TicketFilter, TicketPatch, TicketStore,
};
use trustdesk_store_sqlite::{SqliteOptions, SqliteStore};

struct Db {
    dir: tempfile::TempDir,
}

impl Db {
    fn new() -> Db {
        Db {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn options(&self) -> SqliteOptions {
        // A directory that does not exist yet: open creates it.
        SqliteOptions::new(
            self.dir.path().join("data/trustdesk.db"),
            self.dir.path().join("data/blobs"),
        )
    }

    async fn open(&self) -> SqliteStore {
        SqliteStore::open(self.options()).await.unwrap()
    }

    fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("data/trustdesk.db")).unwrap()
    }
}

fn email(s: &str) -> Identity {
    Identity::email(&EmailAddress::parse(s).unwrap())
}

fn message(text: &str, cmid: Option<String>) -> NewMessage {
    NewMessage {
        direction: Direction::In,
        author: Author::System,
        text: text.to_owned(),
        html: None,
        channel_message_id: cmid,
        delivery_state: DeliveryState::Received,
        attachments: Vec::new(),
        raw_sha256: None,
    }
}

fn ticket(subject: &str, from: &str, body: &str, cmid: Option<String>) -> NewTicket {
    NewTicket {
        subject: Subject::parse(subject).unwrap(),
        customer: CustomerRef::FindOrCreate(NewCustomer {
            name: None,
            language: None,
            identities: vec![email(from)],
        }),
        channel: Channel::Email,
        priority: Priority::Normal,
        language: None,
        tags: Vec::new(),
        assignee: None,
        first_message: message(body, cmid),
        promises: Vec::new(),
        actor: Actor::system(),
    }
}

async fn chain_verifies(store: &SqliteStore, id: trustdesk_domain::TicketId) {
    let events = store.list_events(id).await.unwrap();
    assert!(!events.is_empty());
    verify_chain(events.iter().map(|e| {
        (
            EventContent {
                ticket: e.ticket_id,
                seq: e.seq,
                kind: &e.kind,
                actor: &e.actor,
                at_micros: to_micros(e.at),
                payload: &e.payload,
            },
            e.prev_hash,
            e.hash,
        )
    }))
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_commit_in_groups_and_survive_reopen() {
    let db = Db::new();
    let store = Arc::new(db.open().await);
    const TASKS: usize = 40;
    const PER_TASK: usize = 50;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut answered = Vec::new();
            for i in 0..PER_TASK {
                // Every tenth request of a task repeats the channel id of its first one, so
                // failing requests sit in the same batches as succeeding ones.
                let cmid = if i % 10 == 9 {
                    format!("<{t}-0@example>")
                } else {
                    format!("<{t}-{i}@example>")
                };
                let result = store
                    .create_ticket(ticket(
                        &format!("Order {t}/{i}"),
                        &format!("c{}@shop.example", (t * PER_TASK + i) % 300),
                        "Where is my parcel?",
                        Some(cmid),
                    ))
                    .await;
                answered.push((i, result));
            }
            answered
        }));
    }
    let mut created = Vec::new();
    let mut refused = 0;
    for task in tasks {
        for (i, result) in task.await.unwrap() {
            match result {
                Ok(thread) => {
                    assert_ne!(i % 10, 9);
                    created.push(thread);
                }
                Err(StoreError::Conflict { code, .. }) => {
                    assert_eq!(code, "duplicate_message");
                    assert_eq!(i % 10, 9);
                    refused += 1;
                }
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
    }
    assert_eq!(created.len(), TASKS * PER_TASK * 9 / 10);
    assert_eq!(refused, TASKS * PER_TASK / 10);
    let stats = store.stats();
    assert_eq!(stats.write_queue_depth, 0);
    assert!(
        stats.commits < stats.writes,
        "requests were committed in groups: {stats:?}"
    );
    let numbers: HashSet<i64> = created.iter().map(|t| t.ticket.number).collect();
    assert_eq!(numbers.len(), created.len(), "ticket numbers are unique");

    store.close().await;
    assert!(matches!(
        store.get_ticket(created[0].ticket.id).await,
        Err(StoreError::Other(_))
    ));
    assert!(matches!(
        store
            .create_ticket(ticket("late", "late@shop.example", "x", None))
            .await,
        Err(StoreError::Other(_))
    ));
    assert!(store.health().await.is_err());

    let store = db.open().await;
    for thread in &created {
        let stored = store.get_thread(thread.ticket.id).await.unwrap();
        assert_eq!(stored.ticket, thread.ticket);
        assert_eq!(stored.messages, thread.messages);
    }
    let all = store
        .list_tickets(&TicketFilter::default(), PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(
        all.total as usize,
        created.len(),
        "nothing unanswered was kept"
    );
    // Numbers are handed out without gaps, even though refused requests were rolled back.
    let max = numbers.iter().max().copied().unwrap();
    assert_eq!(max as usize, created.len());
    chain_verifies(&store, created[0].ticket.id).await;
    store.close().await;
}

#[tokio::test]
async fn reopening_applies_no_migration_twice_and_refuses_a_newer_schema() {
    let db = Db::new();
    let store = db.open().await;
    let t = store
        .create_ticket(ticket("Hello", "ana@shop.example", "first", None))
        .await
        .unwrap();
    store.close().await;
    let version = |db: &Db| -> i64 {
        db.raw()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    let schema = |db: &Db| -> Vec<String> {
        let conn = db.raw();
        let mut st = conn
            .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(|s| s.unwrap())
            .collect()
    };
    let v1 = version(&db);
    let s1 = schema(&db);
    assert!(v1 >= 1);

    let store = db.open().await;
    assert_eq!(store.get_ticket(t.ticket.id).await.unwrap(), t.ticket);
    store.close().await;
    assert_eq!(version(&db), v1);
    assert_eq!(schema(&db), s1);

    // A file written by a newer trustdesk is refused rather than misread.
    db.raw()
        .pragma_update(None, "user_version", v1 + 1)
        .unwrap();
    let err = SqliteStore::open(db.options()).await.unwrap_err();
    assert!(err.to_string().contains("migration"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_commits_every_queued_write() {
    let db = Db::new();
    let store = Arc::new(db.open().await);
    let writes: Vec<_> = (0..300)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_ticket(ticket(
                        &format!("queued {i}"),
                        "q@shop.example",
                        "body",
                        None,
                    ))
                    .await
            })
        })
        .collect();
    // Close while those are still queued or running.
    tokio::task::yield_now().await;
    store.close().await;
    store.close().await;
    let mut committed = Vec::new();
    for w in writes {
        match w.await.unwrap() {
            Ok(t) => committed.push(t.ticket.id),
            Err(StoreError::Other(_)) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    let wal = db.dir.path().join("data/trustdesk.db-wal");
    assert_eq!(
        std::fs::metadata(wal).map_or(0, |m| m.len()),
        0,
        "WAL checkpointed"
    );
    let store = db.open().await;
    let total = store
        .list_tickets(&TicketFilter::default(), PageRequest::first(1))
        .await
        .unwrap()
        .total;
    assert_eq!(total as usize, committed.len(), "answered ⇔ stored");
    for id in committed {
        store.get_ticket(id).await.unwrap();
    }
    store.close().await;
}

#[tokio::test]
async fn keyset_pages_cover_every_ticket_once_under_each_filter() {
    let db = Db::new();
    let store = db.open().await;
    let vip = Tag::parse("vip").unwrap();
    let mut ids = Vec::new();
    for i in 0..57 {
        let mut t = ticket(
            &format!("t{i}"),
            &format!("c{}@shop.example", i % 3),
            "x",
            None,
        );
        if i % 2 == 0 {
            t.tags = vec![vip.clone()];
        }
        ids.push(store.create_ticket(t).await.unwrap().ticket);
    }
    let agent = store
        .create_agent(NewAgent {
            email: EmailAddress::parse("agent@shop.example").unwrap(),
            name: "Agent".into(),
            role: Role::Agent,
            password_hash: None,
            must_change_password: false,
        })
        .await
        .unwrap()
        .id;
    let assigned = |t: &Ticket| t.number % 3 == 0;
    for t in &ids {
        // Status and assignee move through the counters behind the totals.
        let patch = TicketPatch {
            status: (t.number % 5 == 0).then_some(TicketStatus::Resolved),
            assignee: (assigned(t) || t.number % 4 == 0).then_some(Some(agent)),
            ..Default::default()
        };
        store
            .update_ticket(t.id, patch, &Actor::system())
            .await
            .unwrap();
        if t.number % 4 == 0 && !assigned(t) {
            let unassign = TicketPatch {
                assignee: Some(None),
                ..Default::default()
            };
            store
                .update_ticket(t.id, unassign, &Actor::system())
                .await
                .unwrap();
        }
    }
    let customer = ids[0].customer_id;
    let filters = [
        TicketFilter::default(),
        TicketFilter {
            tag: Some(vip.clone()),
            ..Default::default()
        },
        TicketFilter {
            status: Some(TicketStatus::Resolved),
            ..Default::default()
        },
        TicketFilter {
            tag: Some(vip.clone()),
            status: Some(TicketStatus::New),
            customer: Some(customer),
            ..Default::default()
        },
        TicketFilter {
            tag: Some(vip.clone()),
            customer: Some(customer),
            ..Default::default()
        },
        TicketFilter {
            assignee: Some(AssigneeFilter::Agent(agent)),
            ..Default::default()
        },
        TicketFilter {
            assignee: Some(AssigneeFilter::Unassigned),
            status: Some(TicketStatus::Resolved),
            ..Default::default()
        },
    ];
    for filter in filters {
        let expected: Vec<_> = ids
            .iter()
            .rev()
            .filter(|t| filter.tag.as_ref().is_none_or(|tag| t.tags.contains(tag)))
            .filter(|t| {
                filter.status.is_none_or(|s| {
                    s == if t.number % 5 == 0 {
                        TicketStatus::Resolved
                    } else {
                        TicketStatus::New
                    }
                })
            })
            .filter(|t| filter.customer.is_none_or(|c| c == t.customer_id))
            .filter(|t| match filter.assignee {
                None => true,
                Some(AssigneeFilter::Agent(_)) => assigned(t),
                Some(AssigneeFilter::Unassigned) => !assigned(t),
            })
            .map(|t| t.id)
            .collect();
        let mut seen = Vec::new();
        let mut page = PageRequest::first(4);
        loop {
            let p = store.list_tickets(&filter, page).await.unwrap();
            assert_eq!(p.total as usize, expected.len(), "{filter:?}");
            seen.extend(p.items.iter().map(|t| t.id));
            match p.next {
                Some(before) => page.before = Some(before),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{filter:?}");
    }
    store.close().await;
}

#[tokio::test]
async fn search_follows_messages_subjects_customers_and_merges() {
    let db = Db::new();
    let store = db.open().await;
    let mut refund = ticket(
        "Zwrot pieniędzy",
        "ana@shop.example",
        "Dzień dobry, proszę o zwrot pieniędzy za zamówienie 1043.",
        None,
    );
    refund.language = Some(Language::PL);
    let refund = store.create_ticket(refund).await.unwrap();
    let parcel = store
        .create_ticket(ticket(
            "Where is my parcel",
            "bob@shop.example",
            "It has been two weeks.",
            None,
        ))
        .await
        .unwrap();
    let search = |q: &str| {
        let store = store.clone();
        let q = q.to_owned();
        async move {
            store
                .search(&SearchRequest {
                    query: Query::parse(&q),
                    limit: 10,
                })
                .await
                .unwrap()
        }
    };

    // Folding and stemming: written with diacritics, searched without, and the other way.
    let r = search("zwrot pieniedzy").await;
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].ticket_id, refund.ticket.id);
    assert_eq!(r.hits[0].message_id, Some(refund.messages[0].id));
    assert!(
        r.hits[0].snippet.contains("[zwrot]"),
        "{}",
        r.hits[0].snippet
    );
    // Search syntax is only separators.
    assert_eq!(search("\"zwrot\" OR NEAR(* -x)").await.total, 0);
    assert_eq!(search("\"* - ()").await.total, 0);

    // Words spread over the subject and a later message still match together.
    let (_, added) = store
        .add_message(
            parcel.ticket.id,
            message("The courier says it was delivered to a neighbour.", None),
            &Actor::system(),
        )
        .await
        .unwrap();
    let r = search("parcel neighbour").await;
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].message_id, Some(added.id));
    assert!(r.hits[0].snippet.contains("[neighbour]"));

    // A customer's name reaches the index of their tickets when it changes.
    assert_eq!(search("Szczepańska").await.total, 0);
    store
        .update_customer(
            refund.customer.id,
            trustdesk_store::CustomerPatch {
                name: Some(Some("Anna Szczepańska".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let r = search("szczepanska").await;
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].ticket_id, refund.ticket.id);
    assert_eq!(r.hits[0].message_id, None);

    // After a merge, bob's ticket is found by ana's name and address too.
    store
        .merge_customers(refund.customer.id, parcel.customer.id, &Actor::system())
        .await
        .unwrap();
    let r = search("szczepanska").await;
    assert_eq!(r.total, 2);
    let r = search("bob shop example").await;
    assert_eq!(r.total, 2);
    chain_verifies(&store, parcel.ticket.id).await;

    // A subject change re-indexes the ticket.
    store
        .update_ticket(
            parcel.ticket.id,
            TicketPatch {
                subject: Some(Subject::parse("Lost shipment").unwrap()),
                ..Default::default()
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    assert_eq!(search("parcel").await.total, 0);
    assert_eq!(search("shipment").await.total, 1);
    store.close().await;
}

#[tokio::test]
async fn search_ranks_by_bm25_or_by_tier_and_counts_exactly() {
    let db = Db::new();
    let store = db.open().await;
    // More matches of "please" than bm25 ranks (300), fewer than the tier window (1000).
    let n = 400;
    for i in 1..=n {
        let (subject, body) = match i {
            8 => ("Please help".to_owned(), "my order"),
            7 => (format!("t{i}"), "refund refund refund, the refund please"),
            300 => (format!("t{i}"), "refund please"),
            _ => (format!("t{i}"), "please help with my order"),
        };
        store
            .create_ticket(ticket(&subject, "x@shop.example", body, None))
            .await
            .unwrap();
    }
    let search = |q: &'static str| {
        let store = store.clone();
        async move {
            store
                .search(&SearchRequest {
                    query: Query::parse(q),
                    limit: 5,
                })
                .await
                .unwrap()
        }
    };
    // Many matches: the subject match first, then newest first; the total stays exact.
    let r = search("please").await;
    assert_eq!(r.total, n);
    let numbers: Vec<i64> = r.hits.iter().map(|h| h.number).collect();
    assert_eq!(numbers, [8, 400, 399, 398, 397]);
    assert!(r.hits[0].score > r.hits[1].score);
    assert_eq!(r.hits[0].message_id, None, "matched by its subject only");
    assert!(
        r.hits[0].snippet.contains("[Please]"),
        "{}",
        r.hits[0].snippet
    );
    // Few matches: bm25, where four mentions beat one in a newer ticket.
    let r = search("refund").await;
    assert_eq!(r.total, 2);
    let numbers: Vec<i64> = r.hits.iter().map(|h| h.number).collect();
    assert_eq!(numbers, [7, 300]);
    assert!(r.hits[0].score > r.hits[1].score);
    store.close().await;
}

#[tokio::test]
async fn blobs_are_content_addressed_files() {
    use sha2::{Digest, Sha256};
    let db = Db::new();
    let store = db.open().await;
    let bytes = b"%PDF-1.7 invoice".to_vec();
    let sha = hex::encode(Sha256::digest(&bytes));
    store.put_blob(&sha, bytes.clone()).await.unwrap();
    store.put_blob(&sha, bytes.clone()).await.unwrap();
    assert_eq!(store.get_blob(&sha).await.unwrap(), bytes);
    let file = db
        .dir
        .path()
        .join("data/blobs")
        .join(&sha[0..2])
        .join(&sha[2..4])
        .join(&sha);
    assert_eq!(std::fs::read(file).unwrap(), bytes);
    // The key must be the content's hash.
    assert!(store.put_blob(&"0".repeat(64), bytes).await.is_err());
    assert!(matches!(
        store.get_blob(&"1".repeat(64)).await,
        Err(StoreError::NotFound { what: "blob", .. })
    ));
    assert!(matches!(
        store.get_blob("../../etc/passwd").await,
        Err(StoreError::NotFound { .. })
    ));
    store.close().await;
}
