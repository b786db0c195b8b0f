//! The scenarios, one public async function each, run on every backend by
//! [`all_scenarios!`](crate::all_scenarios). The specification they check is the doc comments
//! of `trustdesk_store` (lib.rs and model.rs). They assert exact values: counts, fields,
//! orders, error codes, and that a refused write left nothing behind.

mod access;
mod customers;
mod durability;
mod events;
mod intake;
mod orders;
mod promises;
mod search;
mod tickets;

pub use access::*;
pub use customers::*;
pub use durability::*;
pub use events::*;
pub use intake::*;
pub use orders::*;
pub use promises::*;
pub use search::*;
pub use tickets::*;

use std::collections::BTreeSet;
use std::fmt::Debug;

use serde_json::Value;
use sha2::{Digest, Sha256};
use trustdesk_domain::event::{ChainError, EventContent, verify_chain};
use trustdesk_domain::text::Query;
use trustdesk_domain::time::to_micros;
use trustdesk_domain::{
    AgentId, Channel, CustomerId, DeliveryState, Direction, EmailAddress, Identity, PhoneNumber,
    Priority, Role, Subject, Tag, TicketId,
};
use trustdesk_store::{
    Actor, Agent, Author, Customer, CustomerFilter, CustomerRef, Event, NewAgent, NewCustomer,
    NewMessage, NewTicket, PageRequest, Result, SearchRequest, SearchResults, Store, StoreError,
    Ticket, TicketFilter, TicketThread,
};

/// A key no backend hands out in a fresh store.
const UNKNOWN_KEY: i64 = 987_654_321;

fn email(s: &str) -> Identity {
    Identity::email(&EmailAddress::parse(s).unwrap_or_else(|e| panic!("fixture {s}: {e}")))
}

fn phone(s: &str) -> Identity {
    Identity::phone(&PhoneNumber::parse(s).unwrap_or_else(|e| panic!("fixture {s}: {e}")))
}

fn subject(s: &str) -> Subject {
    Subject::parse(s).unwrap_or_else(|e| panic!("fixture {s}: {e}"))
}

fn tag(s: &str) -> Tag {
    Tag::parse(s).unwrap_or_else(|e| panic!("fixture {s}: {e}"))
}

fn tags(list: &[&str]) -> Vec<Tag> {
    list.iter().map(|t| tag(t)).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// A message as each direction is usually stored: inbound received, outbound queued, notes
/// internal.
fn message(direction: Direction, author: Author, text: &str) -> NewMessage {
    NewMessage {
        direction,
        author,
        text: text.to_owned(),
        html: None,
        channel_message_id: None,
        delivery_state: match direction {
            Direction::In => DeliveryState::Received,
            Direction::Out => DeliveryState::Queued,
            Direction::Note => DeliveryState::Internal,
        },
        attachments: Vec::new(),
        raw_sha256: None,
    }
}

fn inbound(text: &str) -> NewMessage {
    message(Direction::In, Author::System, text)
}

fn new_customer(name: Option<&str>, identities: Vec<Identity>) -> NewCustomer {
    NewCustomer {
        name: name.map(str::to_owned),
        language: None,
        identities,
    }
}

fn find_or_create(name: Option<&str>, identities: Vec<Identity>) -> CustomerRef {
    CustomerRef::FindOrCreate(new_customer(name, identities))
}

/// An email ticket with one inbound message, no tags, no assignee.
fn new_ticket(customer: CustomerRef, subject_text: &str, text: &str) -> NewTicket {
    NewTicket {
        subject: subject(subject_text),
        customer,
        channel: Channel::Email,
        priority: Priority::Normal,
        language: None,
        tags: Vec::new(),
        assignee: None,
        first_message: inbound(text),
        promises: Vec::new(),
        actor: Actor::system(),
    }
}

fn ok<T>(result: Result<T>, doing: &str) -> T {
    result.unwrap_or_else(|e| panic!("{doing}: {e:?}"))
}

async fn customer(store: &dyn Store, name: Option<&str>, identities: Vec<Identity>) -> Customer {
    ok(
        store.create_customer(new_customer(name, identities)).await,
        "create_customer",
    )
}

async fn ticket(store: &dyn Store, new: NewTicket) -> TicketThread {
    ok(store.create_ticket(new).await, "create_ticket")
}

/// A ticket of an existing customer.
async fn ticket_of(store: &dyn Store, customer: CustomerId, subj: &str, text: &str) -> Ticket {
    ticket(
        store,
        new_ticket(CustomerRef::Existing(customer), subj, text),
    )
    .await
    .ticket
}

async fn agent(store: &dyn Store, address: &str, role: Role) -> Agent {
    let new = NewAgent {
        email: EmailAddress::parse(address).unwrap_or_else(|e| panic!("fixture {address}: {e}")),
        name: address.split('@').next().unwrap_or(address).to_owned(),
        role,
        password_hash: None,
        must_change_password: false,
    };
    ok(store.create_agent(new).await, "create_agent")
}

async fn get_ticket(store: &dyn Store, id: TicketId) -> Ticket {
    ok(store.get_ticket(id).await, "get_ticket")
}

async fn thread(store: &dyn Store, id: TicketId) -> TicketThread {
    ok(store.get_thread(id).await, "get_thread")
}

async fn events_of(store: &dyn Store, id: TicketId) -> Vec<Event> {
    ok(store.list_events(id).await, "list_events")
}

async fn find(store: &dyn Store, identity: &Identity) -> Option<Customer> {
    ok(
        store.find_customer_by_identity(identity).await,
        "find_customer_by_identity",
    )
}

async fn live_customer_count(store: &dyn Store) -> u64 {
    ok(
        store
            .list_customers(&CustomerFilter::default(), PageRequest::first(1))
            .await,
        "list_customers",
    )
    .total
}

async fn ticket_count(store: &dyn Store, filter: &TicketFilter) -> u64 {
    ok(
        store.list_tickets(filter, PageRequest::first(1)).await,
        "list_tickets",
    )
    .total
}

/// Every ticket matching `filter`, walking pages of `limit`: the items in page order, and
/// each page's `total`.
async fn walk_tickets(
    store: &dyn Store,
    filter: &TicketFilter,
    limit: u32,
) -> (Vec<Ticket>, Vec<u64>) {
    let mut items = Vec::new();
    let mut totals = Vec::new();
    let mut before = None;
    loop {
        let page = ok(
            store
                .list_tickets(filter, PageRequest { limit, before })
                .await,
            "list_tickets",
        );
        assert!(
            page.items.len() <= limit as usize,
            "a page of limit {limit} held {} items",
            page.items.len()
        );
        totals.push(page.total);
        items.extend(page.items);
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
        assert!(totals.len() <= 10_000, "pagination does not end");
    }
    (items, totals)
}

async fn search(store: &dyn Store, q: &str, limit: u32) -> SearchResults {
    ok(
        store
            .search(&SearchRequest {
                query: Query::parse(q),
                limit,
            })
            .await,
        &format!("search {q:?}"),
    )
}

/// The tickets a search found, as a set, after checking `total` agrees with them (when all
/// fit in one page) and that no ticket is listed twice.
async fn found(store: &dyn Store, q: &str) -> BTreeSet<TicketId> {
    let results = search(store, q, 100).await;
    let ids: BTreeSet<TicketId> = results.hits.iter().map(|h| h.ticket_id).collect();
    assert_eq!(
        ids.len(),
        results.hits.len(),
        "search {q:?} listed a ticket twice: {:?}",
        results.hits
    );
    assert_eq!(
        results.total,
        ids.len() as u64,
        "search {q:?}: total disagrees with the hits"
    );
    ids
}

#[track_caller]
fn assert_conflict<T: Debug>(result: Result<T>, code: &str) {
    match result {
        Err(StoreError::Conflict { code: got, .. }) if got == code => {}
        other => panic!("expected Conflict `{code}`, got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found<T: Debug>(result: Result<T>, what: &str) {
    match result {
        Err(StoreError::NotFound { what: got, .. }) if got == what => {}
        other => panic!("expected NotFound `{what}`, got {other:?}"),
    }
}

/// The chain check of the domain, over stored events.
fn verify(events: &[Event]) -> std::result::Result<(), ChainError> {
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
}

/// Checks a ticket's whole log: its ticket, seq 1..n, links, hashes.
#[track_caller]
fn assert_chain(ticket: TicketId, events: &[Event]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e.ticket_id, ticket,
            "event {} belongs to another ticket",
            e.seq
        );
        assert_eq!(e.seq, i as i64 + 1, "events out of order or with gaps");
    }
    if let Err(e) = verify(events) {
        panic!("event chain of {ticket} does not verify: {e}");
    }
}

fn payload(e: &Event) -> Value {
    let v: Value = serde_json::from_str(&e.payload)
        .unwrap_or_else(|err| panic!("event {} payload is not JSON ({err}): {}", e.seq, e.payload));
    assert!(
        v.is_object(),
        "event {} payload is not an object: {}",
        e.seq,
        e.payload
    );
    v
}

/// Whether any value inside `v` is `needle` (a string, or a number written that way).
fn mentions(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s == needle,
        Value::Number(n) => n.to_string() == needle,
        Value::Array(items) => items.iter().any(|x| mentions(x, needle)),
        Value::Object(fields) => fields.values().any(|x| mentions(x, needle)),
        Value::Null | Value::Bool(_) => false,
    }
}

/// Whether `v` names an id, as its typed form (`cus_…`) or its key.
fn mentions_id(v: &Value, display: &str, key: i64) -> bool {
    mentions(v, display) || mentions(v, &key.to_string())
}

/// The `changes` object of a `ticket.updated` event.
#[track_caller]
fn changes(e: &Event) -> serde_json::Map<String, Value> {
    assert_eq!(e.kind, trustdesk_domain::event::kind::TICKET_UPDATED);
    payload(e)
        .get("changes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(|| panic!("ticket.updated without a changes object: {}", e.payload))
}

fn change_keys(e: &Event) -> BTreeSet<String> {
    changes(e).keys().cloned().collect()
}

#[track_caller]
fn assert_change(e: &Event, field: &str, from: &str, to: &str) {
    let all = changes(e);
    let change = all
        .get(field)
        .unwrap_or_else(|| panic!("no `{field}` in changes: {}", e.payload));
    assert_eq!(
        change.get("from").and_then(Value::as_str),
        Some(from),
        "{field}.from in {}",
        e.payload
    );
    assert_eq!(
        change.get("to").and_then(Value::as_str),
        Some(to),
        "{field}.to in {}",
        e.payload
    );
}

fn unknown_agent() -> AgentId {
    AgentId::from_db(UNKNOWN_KEY)
}
