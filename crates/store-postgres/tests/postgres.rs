//! PostgreSQL-specific behaviour of the store: races between transactions and between nodes,
//! and migrations on reconnect. Each test gets a database of its own from the shared harness
//! (`trustdesk_conformance::pg`).

use std::sync::Arc;

use trustdesk_conformance::pg::{TestDatabase, admin_url, fresh_database};
use trustdesk_domain::event::{EventContent, verify_chain};
use trustdesk_domain::text::Query;
use trustdesk_domain::{
    Channel, CustomerId, DeliveryState, Direction, EmailAddress, Identity, Language, Priority,
    Role, Subject, Tag, TicketId, TicketStatus,
};
use trustdesk_store::{
    Actor, AgentStore, AssigneeFilter, Author, BlobStore, CustomerFilter, CustomerPatch,
    CustomerRef, CustomerStore, EventStore, NewAgent, NewApiToken, NewCustomer, NewMessage,
    NewTicket, PageRequest, SearchRequest, SearchStore, Store, StoreError, TicketFilter,
    TicketPatch, TicketStore, TokenStore,
};
use trustdesk_store_postgres::{PgOptions, PgStore};

/// A database of its own for one test, dropped after it. Which server: see
/// `trustdesk_conformance::pg` (`TRUSTDESK_TEST_PG_URL`, the local server, or a private
/// throw-away cluster).
struct TestDb {
    /// The server's admin URL.
    admin: String,
    name: String,
    url: String,
    _db: TestDatabase,
}

impl TestDb {
    async fn create() -> TestDb {
        let db = fresh_database().await;
        let admin = admin_url()
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL for tests: {e}"));
        TestDb {
            admin,
            name: db.name.clone(),
            url: db.url.clone(),
            _db: db,
        }
    }

    async fn store(&self) -> PgStore {
        PgStore::connect(PgOptions::new(&self.url))
            .await
            .expect("connect")
    }
}

fn email(s: &str) -> Identity {
    Identity::email(&EmailAddress::parse(s).expect("email"))
}

fn inbound(text: &str) -> NewMessage {
    NewMessage {
        direction: Direction::In,
        author: Author::System,
        text: text.to_owned(),
        html: None,
        channel_message_id: None,
        delivery_state: DeliveryState::Received,
        attachments: Vec::new(),
        raw_sha256: None,
    }
}

fn new_ticket(subject: &str, customer: CustomerRef, body: &str) -> NewTicket {
    NewTicket {
        subject: Subject::parse(subject).expect("subject"),
        customer,
        channel: Channel::Email,
        priority: Priority::Normal,
        language: None,
        tags: Vec::new(),
        assignee: None,
        first_message: inbound(body),
        promises: Vec::new(),
        actor: Actor::system(),
    }
}

fn by_email(address: &str) -> CustomerRef {
    CustomerRef::FindOrCreate(NewCustomer {
        name: None,
        language: None,
        identities: vec![email(address)],
    })
}

async fn assert_chain(store: &PgStore, ticket: TicketId) -> usize {
    let events = store.list_events(ticket).await.expect("events");
    let chain = events.iter().map(|e| {
        (
            EventContent {
                ticket: e.ticket_id,
                seq: e.seq,
                kind: &e.kind,
                actor: &e.actor,
                at_micros: trustdesk_domain::time::to_micros(e.at),
                payload: &e.payload,
            },
            e.prev_hash,
            e.hash,
        )
    });
    verify_chain(chain).expect("event chain verifies");
    events.len()
}

#[tokio::test]
async fn ticket_round_trip_search_and_chain() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let thread = store
        .create_ticket(new_ticket(
            "Where is my parcel?",
            by_email("ana@shop.example"),
            "Proszę o zwrot pieniędzy",
        ))
        .await
        .expect("create");
    assert_eq!(thread.messages.len(), 1);
    let (ticket, _) = store
        .add_message(
            thread.ticket.id,
            inbound("It is still not here"),
            &Actor::system(),
        )
        .await
        .expect("add");
    assert_eq!(ticket.number, thread.ticket.number);

    let found = store
        .search(&SearchRequest {
            query: Query::parse("zwrot pieniedzy"),
            limit: 10,
        })
        .await
        .expect("search");
    assert_eq!(found.total, 1);
    assert_eq!(found.hits[0].ticket_id, thread.ticket.id);
    assert!(
        found.hits[0].snippet.contains("[zwrot]"),
        "{}",
        found.hits[0].snippet
    );
    assert_eq!(found.hits[0].message_id, Some(thread.messages[0].id));

    let by_address = store
        .search(&SearchRequest {
            query: Query::parse("ana@shop.example parcel"),
            limit: 10,
        })
        .await
        .expect("search");
    assert_eq!(by_address.total, 1);
    assert_eq!(by_address.hits[0].message_id, None);

    assert_eq!(assert_chain(&store, thread.ticket.id).await, 3);
    store.close().await;
    assert!(matches!(store.health().await, Err(StoreError::Other(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_find_or_create_makes_one_customer() {
    let db = TestDb::create().await;
    let store = Arc::new(db.store().await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .create_ticket(new_ticket(
                    &format!("Order {i}"),
                    by_email("New.Person@shop.example"),
                    "hello",
                ))
                .await
        });
    }
    let mut customers = Vec::new();
    while let Some(done) = tasks.join_next().await {
        customers.push(done.expect("task").expect("create").customer.id);
    }
    customers.sort();
    customers.dedup();
    assert_eq!(customers.len(), 1, "one customer for one new address");
    let owner = store
        .find_customer_by_identity(&email("new.person@shop.example"))
        .await
        .expect("find")
        .expect("customer exists");
    assert_eq!(owner.id, customers[0]);
}

fn search_for(q: &str) -> SearchRequest {
    SearchRequest {
        query: Query::parse(q),
        limit: 20,
    }
}

fn conflict_code(e: StoreError) -> &'static str {
    match e {
        StoreError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_messages_on_one_ticket_get_gapless_seqs() {
    let db = TestDb::create().await;
    let store = Arc::new(db.store().await);
    let thread = store
        .create_ticket(new_ticket("Busy", by_email("busy@shop.example"), "first"))
        .await
        .expect("create");
    let id = thread.ticket.id;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .add_message(id, inbound(&format!("message {i}")), &Actor::system())
                .await
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task").expect("add");
    }
    let events = store.list_events(id).await.expect("events");
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=22).collect::<Vec<i64>>());
    assert_eq!(assert_chain(&store, id).await, 22);
    let thread = store.get_thread(id).await.expect("thread");
    assert_eq!(thread.messages.len(), 21);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_write_one_database_at_once() {
    let db = TestDb::create().await;
    let nodes = [Arc::new(db.store().await), Arc::new(db.store().await)];
    let shared = nodes[0]
        .create_ticket(new_ticket(
            "Shared",
            by_email("shared@shop.example"),
            "start",
        ))
        .await
        .expect("create")
        .ticket
        .id;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..24 {
        let node = nodes[i % 2].clone();
        tasks.spawn(async move {
            let address = format!("buyer{}@shop.example", i % 4);
            let own = node
                .create_ticket(new_ticket(
                    &format!("Order {i}"),
                    by_email(&address),
                    "where?",
                ))
                .await
                .expect("create")
                .ticket
                .id;
            if i % 3 == 0 {
                let open = TicketPatch {
                    status: Some(TicketStatus::Open),
                    ..TicketPatch::default()
                };
                node.update_ticket(own, open, &Actor::system())
                    .await
                    .expect("update");
            }
            node.add_message(shared, inbound(&format!("node note {i}")), &Actor::system())
                .await
                .expect("add");
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }

    let all = nodes[1]
        .list_tickets(&TicketFilter::default(), PageRequest::first(500))
        .await
        .expect("list");
    assert_eq!(all.total, 25);
    let mut numbers: Vec<i64> = all.items.iter().map(|t| t.number).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 25, "ticket numbers are unique");
    let customers = nodes[0]
        .list_customers(&CustomerFilter::default(), PageRequest::first(500))
        .await
        .expect("customers");
    assert_eq!(
        customers.total, 5,
        "one customer per address across both nodes"
    );
    for t in &all.items {
        assert_chain(&nodes[0], t.id).await;
    }
    // The per-status counters, written from many connections, agree with the rows.
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
        .await
        .expect("connect");
    let disagreeing: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT status, count(*) AS n FROM tickets GROUP BY status) r \
         FULL JOIN (SELECT status, sum(n) AS n FROM ticket_counts GROUP BY status) c USING (status) \
         WHERE COALESCE(r.n, 0) <> COALESCE(c.n, 0)",
    )
    .fetch_one(&mut conn)
    .await
    .expect("compare counters");
    assert_eq!(disagreeing, 0);
    let open = nodes[0]
        .list_tickets(
            &TicketFilter {
                status: Some(TicketStatus::Open),
                ..TicketFilter::default()
            },
            PageRequest::first(500),
        )
        .await
        .expect("open");
    assert_eq!((open.total, open.items.len()), (8, 8));
    assert_eq!(assert_chain(&nodes[1], shared).await, 2 + 24);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_redeliveries_store_one_ticket() {
    let db = TestDb::create().await;
    let store = Arc::new(db.store().await);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let store = store.clone();
        tasks.spawn(async move {
            let mut new = new_ticket("Hello", by_email("mail@shop.example"), "body");
            new.first_message.channel_message_id = Some("<abc@mail.example>".into());
            store.create_ticket(new).await
        });
    }
    let (mut stored, mut duplicates) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        match done.expect("task") {
            Ok(_) => stored += 1,
            Err(e) => {
                assert_eq!(conflict_code(e), "duplicate_message");
                duplicates += 1;
            }
        }
    }
    assert_eq!((stored, duplicates), (1, 9));
    let all = store
        .list_tickets(&TicketFilter::default(), PageRequest::first(10))
        .await
        .expect("list");
    assert_eq!(all.total, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent_on_reconnect() {
    let db = TestDb::create().await;
    // Two nodes starting at once on an empty database: the migrator's lock makes them take
    // turns, and both end ready.
    let (a, b) = tokio::join!(db.store(), db.store());
    let id = a
        .create_ticket(new_ticket("Before", by_email("x@shop.example"), "kept"))
        .await
        .expect("create")
        .ticket
        .id;
    a.close().await;
    b.close().await;

    let again = db.store().await;
    let thread = again.get_thread(id).await.expect("data kept");
    assert_eq!(thread.messages[0].text, "kept");
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
        .await
        .expect("connect");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .expect("migrations table");
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations dir")
        .count();
    assert_eq!(
        applied as usize, files,
        "each migration applied exactly once"
    );
}

#[tokio::test]
async fn tls_is_available() {
    let db = TestDb::create().await;
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&db.admin)
        .await
        .expect("connect");
    let ssl: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&mut admin)
        .await
        .expect("show ssl");
    let url = format!("{}?sslmode=require", db.url);
    let store = PgStore::connect(PgOptions::new(&url)).await;
    if ssl == "on" {
        let store = store.expect("TLS connection");
        store.health().await.expect("health over TLS");
        let encrypted: bool = sqlx::query_scalar(
            "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = $1 AND a.application_name = 'trustdesk'",
        )
        .bind(&db.name)
        .fetch_one(&mut admin)
        .await
        .expect("pg_stat_ssl");
        assert!(encrypted, "the store's connections are encrypted");
    } else {
        // A server without TLS: `require` must refuse rather than fall back to plain text.
        let e = store
            .err()
            .expect("sslmode=require refuses a server without TLS");
        assert!(!e.to_string().contains("without TLS support"), "{e}");
    }
}

#[tokio::test]
async fn huge_tickets_stay_writable_and_searchable() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let id = store
        .create_ticket(new_ticket(
            "Long story",
            by_email("long@shop.example"),
            "start",
        ))
        .await
        .expect("create")
        .ticket
        .id;
    // Distinct made-up words, so the ticket's document outgrows first what a tsvector holds
    // with positions, then what it holds at all.
    let word = |n: u32| -> String {
        let letters: String = format!("{n:06}")
            .bytes()
            .map(|b| (b - b'0' + b'a') as char)
            .collect();
        format!("q{letters}")
    };
    for part in 0..12u32 {
        let text: String = (0..5_000u32)
            .map(|i| word(part * 5_000 + i) + " ")
            .collect();
        store
            .add_message(id, inbound(&text), &Actor::system())
            .await
            .expect("a huge message is still accepted");
    }
    for n in [100, 5_000 * 7 + 4_999] {
        let found = store.search(&search_for(&word(n))).await.expect("search");
        assert_eq!(found.total, 1, "{} is indexed", word(n));
    }
    assert_eq!(assert_chain(&store, id).await, 14);
}

#[tokio::test]
async fn store_behaviour_end_to_end() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let agent = store
        .create_agent(NewAgent {
            email: EmailAddress::parse("agent@desk.example").expect("email"),
            name: "Agent".into(),
            role: Role::Agent,
            password_hash: None,
            must_change_password: false,
        })
        .await
        .expect("agent");
    let dup = store
        .create_agent(NewAgent {
            email: EmailAddress::parse("AGENT@desk.example").expect("email"),
            name: "Again".into(),
            role: Role::Agent,
            password_hash: None,
            must_change_password: false,
        })
        .await
        .expect_err("email taken");
    assert_eq!(conflict_code(dup), "email_taken");

    // Tickets and pagination with filters.
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut new = new_ticket(
            &format!("Ticket {i}"),
            by_email(&format!("c{}@shop.example", i % 2)),
            "text",
        );
        if i % 3 == 0 {
            new.tags = vec![Tag::parse("vip").expect("tag")];
        }
        ids.push(store.create_ticket(new).await.expect("create").ticket.id);
    }
    let vip = TicketFilter {
        tag: Some(Tag::parse("vip").expect("tag")),
        ..TicketFilter::default()
    };
    let first = store
        .list_tickets(&vip, PageRequest::first(2))
        .await
        .expect("page");
    assert_eq!(first.total, 3);
    assert_eq!(
        first.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![ids[6], ids[3]]
    );
    let second = store
        .list_tickets(
            &vip,
            PageRequest {
                limit: 2,
                before: first.next,
            },
        )
        .await
        .expect("page 2");
    assert_eq!(
        second.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![ids[0]]
    );
    assert_eq!(second.next, None);

    // Update: assignee must exist; changes become one event.
    let missing = store
        .update_ticket(
            ids[0],
            TicketPatch {
                assignee: Some(Some(trustdesk_domain::AgentId::from_db(999))),
                ..TicketPatch::default()
            },
            &Actor::system(),
        )
        .await
        .expect_err("unknown agent");
    assert!(
        matches!(missing, StoreError::NotFound { what: "agent", .. }),
        "{missing:?}"
    );
    let updated = store
        .update_ticket(
            ids[0],
            TicketPatch {
                assignee: Some(Some(agent.id)),
                status: Some(TicketStatus::Closed),
                subject: Some(Subject::parse("Renamed parcel question").expect("subject")),
                language: Some(Some(Language::PL)),
                ..TicketPatch::default()
            },
            &Actor::agent(agent.id),
        )
        .await
        .expect("update");
    assert_eq!(updated.status, TicketStatus::Closed);
    let mine = store
        .list_tickets(
            &TicketFilter {
                assignee: Some(AssigneeFilter::Agent(agent.id)),
                ..TicketFilter::default()
            },
            PageRequest::first(10),
        )
        .await
        .expect("mine");
    assert_eq!(mine.total, 1);
    for (status, expected) in [(TicketStatus::Closed, 1), (TicketStatus::New, 6)] {
        let page = store
            .list_tickets(
                &TicketFilter {
                    status: Some(status),
                    ..TicketFilter::default()
                },
                PageRequest::first(10),
            )
            .await
            .expect("by status");
        assert_eq!(
            (page.total, page.items.len()),
            (expected, expected as usize)
        );
    }
    assert_eq!(
        store
            .search(&search_for("renamed parcel"))
            .await
            .expect("search")
            .total,
        1
    );
    let closed = store
        .add_message(ids[0], inbound("again"), &Actor::system())
        .await
        .expect_err("closed");
    assert_eq!(conflict_code(closed), "ticket_closed");
    let events = store.list_events(ids[0]).await.expect("events");
    assert_eq!(events.len(), 3);
    assert!(
        events[2].payload.contains("\"changes\""),
        "{}",
        events[2].payload
    );
    assert_chain(&store, ids[0]).await;

    // Customers: rename re-indexes, identities are unique, merge moves tickets.
    let c0 = store
        .find_customer_by_identity(&email("c0@shop.example"))
        .await
        .expect("find")
        .expect("c0");
    let c1 = store
        .find_customer_by_identity(&email("c1@shop.example"))
        .await
        .expect("find")
        .expect("c1");
    store
        .update_customer(
            c1.id,
            CustomerPatch {
                name: Some(Some("Zofia Kowalska".into())),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("rename");
    assert_eq!(
        store
            .search(&search_for("kowalska"))
            .await
            .expect("search")
            .total,
        3
    );
    let taken = store
        .update_customer(
            c1.id,
            CustomerPatch {
                add_identities: vec![email("c0@shop.example")],
                ..CustomerPatch::default()
            },
        )
        .await
        .expect_err("taken");
    assert_eq!(conflict_code(taken), "identity_taken");
    let found = store
        .list_customers(
            &CustomerFilter {
                text: Some("KOWAL".into()),
                include_merged: false,
            },
            PageRequest::first(10),
        )
        .await
        .expect("list");
    assert_eq!(
        found.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![c1.id]
    );

    let merged = store
        .merge_customers(c1.id, c0.id, &Actor::agent(agent.id))
        .await
        .expect("merge");
    assert_eq!(merged.identities.len(), 2);
    assert_eq!(
        store
            .search(&search_for("kowalska"))
            .await
            .expect("search")
            .total,
        7
    );
    let again = store
        .merge_customers(c1.id, c0.id, &Actor::system())
        .await
        .expect_err("merged");
    assert_eq!(conflict_code(again), "already_merged");
    assert_eq!(
        store
            .get_customer(c0.id)
            .await
            .expect("still there")
            .merged_into,
        Some(c1.id)
    );
    // A new ticket for the merged customer's address lands on the survivor.
    let later = store
        .create_ticket(new_ticket("Later", by_email("c0@shop.example"), "hi"))
        .await
        .expect("create");
    assert_eq!(later.customer.id, c1.id);
    let existing = store
        .create_ticket(new_ticket("Old id", CustomerRef::Existing(c0.id), "hi"))
        .await
        .expect("create");
    assert_eq!(existing.customer.id, c1.id);
    let nobody = store
        .create_ticket(new_ticket(
            "Nobody",
            CustomerRef::Existing(CustomerId::from_db(999)),
            "x",
        ))
        .await
        .expect_err("unknown customer");
    assert!(matches!(
        nobody,
        StoreError::NotFound {
            what: "customer",
            ..
        }
    ));

    // Tokens and blobs.
    let token = store
        .create_token(NewApiToken {
            name: "ci".into(),
            role: Role::Admin,
            agent_id: Some(agent.id),
            secret_sha256: [7; 32],
        })
        .await
        .expect("token");
    store.touch_token(token.id).await.expect("touch");
    let live = store
        .find_token_by_secret(&[7; 32])
        .await
        .expect("find")
        .expect("live");
    assert!(live.last_used_at.is_some());
    store.revoke_token(token.id).await.expect("revoke");
    store.revoke_token(token.id).await.expect("revoke twice");
    assert_eq!(
        store.find_token_by_secret(&[7; 32]).await.expect("find"),
        None
    );

    let bytes = b"%PDF-1.4 invoice".to_vec();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    store.put_blob(&sha, bytes.clone()).await.expect("put");
    store
        .put_blob(&sha, bytes.clone())
        .await
        .expect("put again");
    assert_eq!(store.get_blob(&sha).await.expect("get"), bytes);
    assert!(matches!(
        store.get_blob(&"0".repeat(64)).await,
        Err(StoreError::NotFound { what: "blob", .. })
    ));
    assert!(store.stats().commits > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_racing_new_tickets_leaves_none_behind() {
    let db = TestDb::create().await;
    let store = Arc::new(db.store().await);
    let customer = |address: &str| NewCustomer {
        name: None,
        language: None,
        identities: vec![email(address)],
    };
    let merged = store
        .create_customer(customer("old@shop.example"))
        .await
        .expect("old");
    let into = store
        .create_customer(customer("new@shop.example"))
        .await
        .expect("new");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let store = store.clone();
        tasks.spawn(async move {
            let customer = if i % 2 == 0 {
                by_email("old@shop.example")
            } else {
                CustomerRef::Existing(merged.id)
            };
            store
                .create_ticket(new_ticket(&format!("Race {i}"), customer, "hello"))
                .await
                .expect("create")
                .ticket
                .id
        });
    }
    let merging = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .merge_customers(into.id, merged.id, &Actor::system())
                .await
        })
    };
    let mut created = Vec::new();
    while let Some(done) = tasks.join_next().await {
        created.push(done.expect("task"));
    }
    merging.await.expect("task").expect("merge");

    let left_behind = store
        .list_tickets(
            &TicketFilter {
                customer: Some(merged.id),
                ..TicketFilter::default()
            },
            PageRequest::first(50),
        )
        .await
        .expect("list");
    assert_eq!(
        left_behind.total, 0,
        "no ticket stays with the merged customer"
    );
    for id in created {
        let ticket = store.get_ticket(id).await.expect("ticket");
        assert_eq!(ticket.customer_id, into.id);
        assert_chain(&store, id).await;
    }
    // The survivor's address finds every ticket, whichever side of the merge it was made on.
    let found = store
        .search(&search_for("old shop example race"))
        .await
        .expect("search");
    assert_eq!(found.total, 12);
}
