//! Many writers at once, and data that outlives the store object: what a busy desk and a
//! restart do to storage.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use trustdesk_domain::event::kind;
use trustdesk_domain::{Role, TicketStatus};
use trustdesk_store::{
    Actor, Backend, CustomerFilter, NewApiToken, PageRequest, Store, TicketFilter, TicketPatch,
};

use super::*;
use crate::StoreOpener;

/// A hang guard for calls on a closed store, not a timing assertion.
const CLOSED_CALL_LIMIT: Duration = Duration::from_secs(60);

pub async fn concurrent_create_ticket(store: Arc<dyn Store>) {
    const TASKS: usize = 20;
    const PER_TASK: usize = 10;
    const CUSTOMERS: usize = 10;
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut made = Vec::new();
            for i in 0..PER_TASK {
                let who = (task + i) % CUSTOMERS;
                let t = store
                    .create_ticket(new_ticket(
                        find_or_create(
                            Some(&format!("Load {who}")),
                            vec![email(&format!("load{who}@shop.example"))],
                        ),
                        &format!("Task {task} ticket {i}"),
                        "concurrent",
                    ))
                    .await
                    .unwrap_or_else(|e| panic!("task {task} ticket {i}: {e:?}"));
                made.push(t);
            }
            made
        }));
    }
    let mut all = Vec::new();
    for (task, handle) in tasks.into_iter().enumerate() {
        let made = handle
            .await
            .unwrap_or_else(|e| panic!("task {task} failed: {e}"));
        assert!(
            made.windows(2)
                .all(|w| w[0].ticket.number < w[1].ticket.number),
            "numbers increase within task {task}"
        );
        all.extend(made);
    }
    let store: &dyn Store = &*store;

    assert_eq!(all.len(), TASKS * PER_TASK);
    let numbers: HashSet<i64> = all.iter().map(|t| t.ticket.number).collect();
    assert_eq!(numbers.len(), TASKS * PER_TASK, "ticket numbers are unique");
    assert!(numbers.iter().all(|&n| n >= 1));
    let ids: HashSet<_> = all.iter().map(|t| t.ticket.id).collect();
    assert_eq!(ids.len(), TASKS * PER_TASK);

    assert_eq!(
        live_customer_count(store).await,
        CUSTOMERS as u64,
        "one customer per address"
    );
    assert_eq!(
        ticket_count(store, &TicketFilter::default()).await,
        (TASKS * PER_TASK) as u64
    );
    let mut per_customer: BTreeMap<_, usize> = BTreeMap::new();
    for t in &all {
        *per_customer.entry(t.customer.id).or_insert(0) += 1;
        assert_eq!(t.ticket.customer_id, t.customer.id);
    }
    assert_eq!(per_customer.len(), CUSTOMERS);
    for (&customer, &count) in &per_customer {
        assert_eq!(count, TASKS * PER_TASK / CUSTOMERS);
        let listed = ticket_count(
            store,
            &TicketFilter {
                customer: Some(customer),
                ..TicketFilter::default()
            },
        )
        .await;
        assert_eq!(listed, count as u64);
        let c = ok(store.get_customer(customer).await, "get_customer");
        assert_eq!(c.identities.len(), 1, "{c:?}");
    }
    for who in 0..CUSTOMERS {
        let c = find(store, &email(&format!("load{who}@shop.example")))
            .await
            .unwrap_or_else(|| panic!("load{who} has no customer"));
        assert!(per_customer.contains_key(&c.id));
    }
    let (listed, _) = walk_tickets(store, &TicketFilter::default(), PageRequest::MAX_LIMIT).await;
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<HashSet<_>>(),
        ids,
        "every ticket listed once"
    );
    for t in all.iter().step_by(7) {
        let evs = events_of(store, t.ticket.id).await;
        assert_eq!(evs.len(), 2);
        assert_chain(t.ticket.id, &evs);
    }
}

pub async fn concurrent_add_message(store: Arc<dyn Store>) {
    const MESSAGES: usize = 50;
    let t = ticket(
        &*store,
        new_ticket(
            find_or_create(None, vec![email("busy@shop.example")]),
            "Busy",
            "first",
        ),
    )
    .await;
    let id = t.ticket.id;
    let mut tasks = Vec::new();
    for i in 0..MESSAGES {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut m = inbound(&format!("concurrent message {i}"));
            m.channel_message_id = Some(format!("<c{i}@mail.example>"));
            store
                .add_message(id, m, &Actor::system())
                .await
                .unwrap_or_else(|e| panic!("message {i}: {e:?}"))
                .1
        }));
    }
    let mut added = Vec::new();
    for handle in tasks {
        added.push(handle.await.unwrap_or_else(|e| panic!("task failed: {e}")));
    }
    let store: &dyn Store = &*store;

    let th = thread(store, id).await;
    assert_eq!(th.messages.len(), MESSAGES + 1);
    assert_eq!(
        th.ticket.status,
        TicketStatus::New,
        "inbound messages leave new as it is"
    );
    let stored: BTreeSet<_> = th.messages.iter().map(|m| m.id).collect();
    assert_eq!(stored.len(), MESSAGES + 1);
    for m in &added {
        assert!(
            th.messages.contains(m),
            "{m:?} is in the thread as returned"
        );
    }

    let evs = events_of(store, id).await;
    assert_eq!(
        evs.len(),
        MESSAGES + 2,
        "created, then one message.added per message"
    );
    assert_eq!(
        evs.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=(MESSAGES as i64 + 2)).collect::<Vec<_>>(),
        "seq without gaps"
    );
    assert_chain(id, &evs);
    for m in &th.messages {
        let named = evs.iter().filter(|e| {
            e.kind == kind::MESSAGE_ADDED
                && mentions_id(&payload(e), &m.id.to_string(), m.id.db_key())
        });
        assert_eq!(named.count(), 1, "one message.added for {}", m.id);
    }
}

/// What the reopened store must show exactly as before.
#[derive(Debug, PartialEq)]
struct Snapshot {
    thread: trustdesk_store::TicketThread,
    events: Vec<trustdesk_store::Event>,
    merged: trustdesk_store::Customer,
    agent: trustdesk_store::Agent,
    tokens: Vec<trustdesk_store::ApiToken>,
    blob: Vec<u8>,
    found: BTreeSet<trustdesk_domain::TicketId>,
    customers: u64,
    tickets: Vec<trustdesk_store::Ticket>,
}

async fn snapshot(
    store: &dyn Store,
    ticket: trustdesk_domain::TicketId,
    merged: trustdesk_domain::CustomerId,
    agent: trustdesk_domain::AgentId,
    blob: &str,
) -> Snapshot {
    let mut tokens = ok(store.list_tokens().await, "list_tokens");
    tokens.sort_by_key(|t| t.id);
    Snapshot {
        thread: thread(store, ticket).await,
        events: events_of(store, ticket).await,
        merged: ok(store.get_customer(merged).await, "get_customer"),
        agent: ok(store.get_agent(agent).await, "get_agent"),
        tokens,
        blob: ok(store.get_blob(blob).await, "get_blob"),
        found: found(store, "durable").await,
        customers: ok(
            store
                .list_customers(
                    &CustomerFilter {
                        text: None,
                        include_merged: true,
                    },
                    PageRequest::first(1),
                )
                .await,
            "list_customers",
        )
        .total,
        tickets: walk_tickets(store, &TicketFilter::default(), 100).await.0,
    }
}

pub async fn data_survives_reopen(opener: &dyn StoreOpener, kind: Backend) {
    let store = opener.open().await;
    assert_eq!(store.backend(), kind);
    let s: &dyn Store = &*store;
    let a = agent(s, "eva@desk.example", Role::Admin).await;
    ok(
        s.set_agent_password(a.id, "$argon2id$durable".into(), true)
            .await,
        "set password",
    );
    let token = ok(
        s.create_token(NewApiToken {
            name: "durable".into(),
            role: Role::Admin,
            agent_id: Some(a.id),
            secret_sha256: sha256(b"durable-secret"),
        })
        .await,
        "create_token",
    );
    let bytes = b"durable attachment bytes".to_vec();
    let blob = sha256_hex(&bytes);
    ok(s.put_blob(&blob, bytes.clone()).await, "put_blob");
    let t = ticket(
        s,
        new_ticket(
            find_or_create(Some("Dora"), vec![email("dora@shop.example")]),
            "Durable ticket",
            "this must survive a restart",
        ),
    )
    .await;
    let other = customer(s, Some("Merged Away"), vec![email("away@shop.example")]).await;
    ok(
        s.merge_customers(t.customer.id, other.id, &Actor::agent(a.id))
            .await,
        "merge",
    );
    ok(
        s.update_ticket(
            t.ticket.id,
            TicketPatch {
                status: Some(TicketStatus::PendingCustomer),
                tags: Some(tags(&["durable"])),
                ..TicketPatch::default()
            },
            &Actor::agent(a.id),
        )
        .await,
        "update_ticket",
    );
    ok(
        s.add_message(t.ticket.id, inbound("still durable?"), &Actor::system())
            .await,
        "add_message",
    );

    let before = snapshot(s, t.ticket.id, other.id, a.id, &blob).await;
    // Writes still in flight when close is called: each one that was confirmed must be
    // there after the reopen, and none that failed.
    let mut in_flight = Vec::new();
    for i in 0..20 {
        let store = Arc::clone(&store);
        let id = t.ticket.id;
        in_flight.push(tokio::spawn(async move {
            let mut m = inbound(&format!("late write {i}"));
            m.channel_message_id = Some(format!("<late{i}@mail.example>"));
            (
                i,
                store
                    .add_message(id, m, &Actor::system())
                    .await
                    .map(|(_, m)| m.id),
            )
        }));
    }
    tokio::task::yield_now().await;
    store.close().await;
    let mut confirmed = BTreeSet::new();
    let mut refused = BTreeSet::new();
    for handle in in_flight {
        let (i, result) = handle
            .await
            .unwrap_or_else(|e| panic!("write task failed: {e}"));
        match result {
            Ok(id) => confirmed.insert(id),
            Err(_) => refused.insert(format!("late write {i}")),
        };
    }
    match tokio::time::timeout(CLOSED_CALL_LIMIT, s.get_ticket(t.ticket.id)).await {
        Ok(result) => assert!(result.is_err(), "a closed store still answers: {result:?}"),
        Err(_) => panic!("a call on a closed store hangs"),
    }
    drop(store);

    let reopened = opener.open().await;
    let r: &dyn Store = &*reopened;
    let after = snapshot(r, t.ticket.id, other.id, a.id, &blob).await;
    let is_late = |m: &&trustdesk_store::Message| m.text.starts_with("late write ");
    let (late, kept): (Vec<_>, Vec<_>) = after.thread.messages.iter().partition(is_late);
    assert_eq!(
        kept.into_iter().cloned().collect::<Vec<_>>(),
        before.thread.messages,
        "messages written before close"
    );
    assert_eq!(
        late.iter().map(|m| m.id).collect::<BTreeSet<_>>(),
        confirmed,
        "exactly the confirmed late writes are kept"
    );
    assert!(late.iter().all(|m| !refused.contains(&m.text)));
    if confirmed.is_empty() {
        assert_eq!(after.thread.ticket, before.thread.ticket);
    } else {
        let mut ticket_after = after.thread.ticket.clone();
        ticket_after.updated_at = before.thread.ticket.updated_at;
        assert_eq!(ticket_after, before.thread.ticket);
    }
    assert_eq!(after.thread.customer, before.thread.customer);
    assert_eq!(after.merged, before.merged);
    assert_eq!(after.agent, before.agent);
    assert_eq!(after.tokens, before.tokens);
    assert_eq!(after.blob, bytes);
    assert_eq!(after.found, BTreeSet::from([t.ticket.id]));
    assert_eq!(after.customers, before.customers);
    assert_eq!(
        after
            .tickets
            .iter()
            .map(|x| (x.id, x.number))
            .collect::<Vec<_>>(),
        before
            .tickets
            .iter()
            .map(|x| (x.id, x.number))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        ok(
            r.find_token_by_secret(&sha256(b"durable-secret")).await,
            "find token"
        ),
        Some(token)
    );
    assert_eq!(&after.events[..before.events.len()], &before.events[..]);
    assert_chain(t.ticket.id, &after.events);
    assert_eq!(
        after
            .events
            .iter()
            .filter(|e| e.kind == kind::MESSAGE_ADDED)
            .count(),
        after.thread.messages.len(),
        "one message.added per stored message"
    );

    // The reopened store goes on where the old one stopped.
    let next = ticket_of(r, t.customer.id, "After restart", "durable again").await;
    let max_before = before.tickets.iter().map(|x| x.number).max().unwrap_or(0);
    assert!(
        next.number > max_before,
        "numbers keep increasing after a restart"
    );
    assert_eq!(
        found(r, "durable").await,
        BTreeSet::from([t.ticket.id, next.id])
    );
    reopened.close().await;
}
