//! The per-ticket event log: what creation records, and a chain that verifies after many
//! kinds of writes and names any event altered afterwards.

use std::collections::BTreeMap;

use trustdesk_domain::event::{ChainError, GENESIS, kind};
use trustdesk_domain::time::now;
use trustdesk_domain::{Channel, Direction, Priority, Role, TicketStatus, TokenId};
use trustdesk_store::{Actor, Author, Store, TicketPatch};

use super::*;

pub async fn ticket_created_events(store: &dyn Store) {
    let actor = Actor::token(TokenId::from_db(7));
    let mut new = new_ticket(
        find_or_create(Some("Rina"), vec![email("rina@toko.example")]),
        "Kettle arrived broken",
        "The kettle arrived with a cracked lid, see photo.",
    );
    new.priority = Priority::Urgent;
    new.channel = Channel::WebForm;
    new.actor = actor.clone();
    let before = now();
    let t = ticket(store, new).await;
    let after = now();

    let evs = events_of(store, t.ticket.id).await;
    assert_eq!(evs.len(), 2);
    let (created, added) = (&evs[0], &evs[1]);
    assert_eq!(
        (created.seq, created.kind.as_str()),
        (1, kind::TICKET_CREATED)
    );
    assert_eq!((added.seq, added.kind.as_str()), (2, kind::MESSAGE_ADDED));
    assert_eq!(created.prev_hash, GENESIS);
    assert_eq!(added.prev_hash, created.hash);
    for e in &evs {
        assert_eq!(e.ticket_id, t.ticket.id);
        assert_eq!(e.actor, "tok_7");
        assert!(before <= e.at && e.at <= after);
    }

    let p = payload(created);
    for value in ["Kettle arrived broken", "new", "urgent", "web_form"] {
        assert!(
            mentions(&p, value),
            "ticket.created lacks {value:?}: {}",
            created.payload
        );
    }
    let cust = &t.customer.id;
    assert!(
        mentions_id(&p, &cust.to_string(), cust.db_key()),
        "ticket.created does not name the customer: {}",
        created.payload
    );

    let m = &t.messages[0];
    let p = payload(added);
    assert!(
        mentions_id(&p, &m.id.to_string(), m.id.db_key()),
        "{}",
        added.payload
    );
    assert!(mentions(&p, "in"), "{}", added.payload);
    assert!(
        mentions(&p, &sha256_hex(m.text.as_bytes())),
        "{}",
        added.payload
    );
    assert!(
        !added.payload.contains("cracked lid"),
        "the text stays out of the log"
    );
    assert_chain(t.ticket.id, &evs);
}

pub async fn events_chain_verifies(store: &dyn Store) {
    let a = agent(store, "eva@desk.example", Role::Agent).await;
    let other = customer(store, Some("Other"), vec![email("other@shop.example")]).await;
    let t1 = ticket(
        store,
        new_ticket(
            find_or_create(None, vec![email("ana@shop.example")]),
            "Chain one",
            "start",
        ),
    )
    .await;
    let t2 = ticket_of(store, t1.customer.id, "Chain two", "start").await;
    let agent_actor = Actor::agent(a.id);
    let directions = [Direction::In, Direction::Out, Direction::Note];
    // t1's status as the domain's rules move it, to know how many ticket.updated to expect.
    let mut status = TicketStatus::New;
    let mut expected_updates = 0;
    // Interleave writes on two tickets so each chain must stay per ticket.
    for i in 0..21 {
        let direction = directions[i % 3];
        let author = match direction {
            Direction::In => Author::Customer(t1.customer.id),
            _ => Author::Agent(a.id),
        };
        if let Some(moved) = status.after_message(direction) {
            status = moved;
            expected_updates += 1;
        }
        for id in [t1.ticket.id, t2.id] {
            ok(
                store
                    .add_message(
                        id,
                        message(direction, author, &format!("message {i}")),
                        &agent_actor,
                    )
                    .await,
                "add_message",
            );
        }
        if i % 4 == 0 {
            status = [TicketStatus::PendingCustomer, TicketStatus::Resolved][i / 4 % 2];
            expected_updates += 1;
            ok(
                store
                    .update_ticket(
                        t1.ticket.id,
                        TicketPatch {
                            status: Some(status),
                            priority: Some([Priority::High, Priority::Low][i / 4 % 2]),
                            ..TicketPatch::default()
                        },
                        &agent_actor,
                    )
                    .await,
                "update_ticket",
            );
        }
    }
    ok(
        store
            .merge_customers(other.id, t1.customer.id, &Actor::system())
            .await,
        "merge",
    );

    for id in [t1.ticket.id, t2.id] {
        let evs = events_of(store, id).await;
        assert_chain(id, &evs);
        assert_eq!(evs[0].prev_hash, GENESIS);
        for w in evs.windows(2) {
            assert_eq!(w[1].prev_hash, w[0].hash);
        }
        let mut kinds = BTreeMap::new();
        for e in &evs {
            payload(e);
            *kinds.entry(e.kind.as_str()).or_insert(0) += 1;
        }
        assert_eq!(kinds.get(kind::TICKET_CREATED), Some(&1));
        assert_eq!(kinds.get(kind::MESSAGE_ADDED), Some(&22));
        assert_eq!(kinds.get(kind::CUSTOMER_MERGED), Some(&1));
        assert_eq!(
            evs.last().map(|e| e.kind.as_str()),
            Some(kind::CUSTOMER_MERGED)
        );
    }
    let t1_events = events_of(store, t1.ticket.id).await;
    let updates = t1_events
        .iter()
        .filter(|e| e.kind == kind::TICKET_UPDATED)
        .count();
    assert_eq!(updates, expected_updates, "patches and status moves");

    // Any change to a stored event is caught and named.
    let mut altered = t1_events.clone();
    let victim = 9;
    altered[victim].payload = altered[victim].payload.replacen('{', "{\"x\":1,", 1);
    assert_eq!(
        verify(&altered),
        Err(ChainError::Altered {
            seq: altered[victim].seq
        })
    );
    let mut rewritten = t1_events.clone();
    rewritten[victim].actor = "agt_forged".into();
    assert_eq!(
        verify(&rewritten),
        Err(ChainError::Altered {
            seq: rewritten[victim].seq
        })
    );
    let mut dropped = t1_events.clone();
    dropped.remove(victim);
    assert_eq!(
        verify(&dropped),
        Err(ChainError::Gap {
            seq: victim as i64 + 2,
            expected: victim as i64 + 1
        })
    );
    // The stored log itself was not touched by any of that.
    assert_eq!(events_of(store, t1.ticket.id).await, t1_events);
    // Ticket two's log is its own.
    let t2_events = events_of(store, t2.id).await;
    assert!(t2_events.iter().all(|e| e.ticket_id == t2.id));
}
