//! PostgreSQL-specific behaviour of the store: races between transactions and between nodes,
//! and migrations on reconnect. Each test gets a database of its own on the server named by
//! `TRUSTDESK_TEST_POSTGRES_URL` (default: the local server, user postgres).

use std::sync::Arc;

use trustdesk_domain::event::{EventContent, verify_chain};
use trustdesk_domain::text::Query;
use trustdesk_domain::{
    Channel, DeliveryState, Direction, EmailAddress, Identity, Priority, Subject, TicketId,
};
use trustdesk_store::{
    Actor, Author, CustomerRef, CustomerStore, EventStore, NewCustomer, NewMessage, NewTicket,
    SearchRequest, SearchStore, Store, StoreError, TicketStore,
};
use trustdesk_store_postgres::{PgOptions, PgStore};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test and dropped after it.
struct TestDb {
    admin: String,
    name: String,
    url: String,
}

impl TestDb {
    async fn create() -> TestDb {
        let admin =
            std::env::var("TRUSTDESK_TEST_POSTGRES_URL").unwrap_or(DEFAULT_ADMIN_URL.to_owned());
        let name = format!("td_pg_test_{:016x}", rand::random::<u64>());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .expect("PostgreSQL for tests (set TRUSTDESK_TEST_POSTGRES_URL)");
        sqlx::Executor::execute(
            &mut conn,
            sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
        )
        .await
        .expect("create test database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        TestDb { admin, name, url }
    }

    async fn store(&self) -> PgStore {
        PgStore::connect(PgOptions::new(&self.url))
            .await
            .expect("connect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime; a thread with its own runtime may block.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await?;
                sqlx::Executor::execute(
                    &mut conn,
                    sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")),
                )
                .await
                .map(|_| ())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
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

#[tokio::test]
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
