//! The promise ledger: promises made alone, with a ticket and with a message; state changes only
//! from pending, each on the ticket's log; a ticket's status moving its promises; lists with
//! every filter and keyset pages; and exactly one winner when several writers settle one
//! promise at once.

use std::sync::Arc;

use jiff::SignedDuration;
use trustdesk_domain::calendar::Calendar;
use trustdesk_domain::event::kind;
use trustdesk_domain::promise::resumed_due;
use trustdesk_domain::time::now;
use trustdesk_domain::{
    Direction, MadeBy, PromiseId, PromiseKind, PromiseState, PromiseText, Role, TicketStatus,
    Timestamp,
};
use trustdesk_store::{
    Actor, Author, MessagePromises, NewPromise, PageRequest, Promise, PromiseFilter,
    StatusPromises, Store, TicketPatch,
};

use super::tickets::set_status;
use super::*;

fn in_hours(h: i64) -> Timestamp {
    now() + SignedDuration::from_hours(h)
}

fn promise(kind: PromiseKind, made_by: MadeBy, text: &str, due_at: Timestamp) -> NewPromise {
    let text = PromiseText::parse(text).unwrap_or_else(|e| panic!("fixture {text}: {e}"));
    NewPromise::new(kind, made_by, text, due_at)
}

fn kinds_of(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

async fn get_promise(store: &dyn Store, id: PromiseId) -> Promise {
    ok(store.get_promise(id).await, "get_promise")
}

async fn promise_total(store: &dyn Store, filter: &PromiseFilter) -> u64 {
    ok(
        store.list_promises(filter, PageRequest::first(1)).await,
        "list_promises",
    )
    .total
}

pub async fn promise_made_with_a_ticket(store: &dyn Store) {
    let mut new = new_ticket(
        find_or_create(Some("Dewi"), vec![email("dewi@toko.example")]),
        "Pesanan belum sampai",
        "Paket saya belum sampai.",
    );
    let first_due = in_hours(4);
    let resolution_due = in_hours(48);
    let mut ack = promise(
        PromiseKind::FirstResponse,
        MadeBy::System,
        "A person answers by Monday 10:00",
        first_due,
    );
    let warn = in_hours(3);
    ack.warn_at = Some(warn);
    ack.calendar = Some("default".into());
    // A ticket and customer given here are ignored: the new ticket's are used.
    ack.ticket = Some(TicketId::from_db(UNKNOWN_KEY));
    new.promises = vec![
        ack,
        promise(
            PromiseKind::Resolution,
            MadeBy::System,
            "Resolved within 2 business days",
            resolution_due,
        ),
    ];
    let before = now();
    let t = ticket(store, new).await;
    let after = now();

    assert_eq!(t.promises.len(), 2);
    let (first, resolution) = (&t.promises[0], &t.promises[1]);
    assert!(first.id < resolution.id);
    assert_eq!(first.kind, PromiseKind::FirstResponse);
    assert_eq!(first.state, PromiseState::Pending);
    assert_eq!(first.made_by, MadeBy::System);
    assert_eq!(first.text, "A person answers by Monday 10:00");
    assert_eq!(first.ticket_id, Some(t.ticket.id));
    assert_eq!(first.customer_id, Some(t.customer.id));
    assert_eq!(first.message_id, Some(t.messages[0].id));
    assert_eq!(first.calendar.as_deref(), Some("default"));
    assert_eq!(first.due_at, first_due);
    assert_eq!(first.warn_at, Some(warn));
    assert!(before <= first.created_at && first.created_at <= after);
    assert_eq!(
        (first.warned_at, first.paused_at, first.settled_at),
        (None, None, None)
    );
    assert_eq!((&first.settled_by, &first.note), (&None, &None));
    assert_eq!(resolution.due_at, resolution_due);

    assert_eq!(get_promise(store, first.id).await, *first);
    assert_eq!(
        thread(store, t.ticket.id).await,
        t,
        "get_thread shows the same"
    );

    let evs = events_of(store, t.ticket.id).await;
    assert_eq!(
        kinds_of(&evs),
        [
            kind::TICKET_CREATED,
            kind::MESSAGE_ADDED,
            kind::PROMISE_MADE,
            kind::PROMISE_MADE
        ]
    );
    let p = payload(&evs[2]);
    for value in [
        first.id.to_string(),
        "first_response".to_owned(),
        "system".to_owned(),
        first_due.to_string(),
        sha256_hex(first.text.as_bytes()),
    ] {
        assert!(mentions(&p, &value), "promise.made lacks {value}: {p}");
    }
    assert!(
        !evs[2].payload.contains("Monday 10:00"),
        "the words stay out of the log, as message texts do"
    );
    assert_chain(t.ticket.id, &evs);
}

pub async fn promise_made_alone(store: &dyn Store) {
    let a = agent(store, "eva@desk.example", Role::Agent).await;
    let c = customer(store, Some("Ioana"), vec![email("ioana@shop.example")]).await;
    let t = ticket_of(store, c.id, "Rambursare", "Vreau banii înapoi.").await;
    let events_before = events_of(store, t.id).await.len();

    let mut on_ticket = promise(
        PromiseKind::AgentPromise,
        MadeBy::Agent(a.id),
        "Vă sun mâine la 10",
        in_hours(20),
    );
    on_ticket.ticket = Some(t.id);
    on_ticket.order_number = Some("1043".into());
    let p = ok(
        store.create_promise(on_ticket, &Actor::agent(a.id)).await,
        "create_promise",
    );
    assert_eq!(p.made_by, MadeBy::Agent(a.id));
    assert_eq!(p.ticket_id, Some(t.id));
    assert_eq!(p.customer_id, Some(c.id), "the ticket's customer");
    assert_eq!(p.order_number.as_deref(), Some("1043"));
    assert_eq!(p.message_id, None);
    assert_eq!(get_promise(store, p.id).await, p);
    let evs = events_of(store, t.id).await;
    assert_eq!(evs.len(), events_before + 1);
    let made = evs.last().unwrap_or_else(|| panic!("no events"));
    assert_eq!(made.kind, kind::PROMISE_MADE);
    assert_eq!(made.actor, a.id.to_string());
    assert_chain(t.id, &evs);

    // A customer's promise without a ticket: an order's ship-by date.
    let mut ship = promise(
        PromiseKind::ShipBy,
        MadeBy::System,
        "Ships by Friday",
        in_hours(72),
    );
    ship.customer = Some(c.id);
    ship.order_number = Some("1044".into());
    let s = ok(
        store.create_promise(ship, &Actor::system()).await,
        "create_promise",
    );
    assert_eq!((s.ticket_id, s.customer_id), (None, Some(c.id)));
    assert_eq!(events_of(store, t.id).await.len(), events_before + 1);

    // Refusals leave nothing behind.
    let total = promise_total(store, &PromiseFilter::default()).await;
    let mut bad = promise(PromiseKind::Callback, MadeBy::System, "x", in_hours(1));
    bad.ticket = Some(TicketId::from_db(UNKNOWN_KEY));
    assert_not_found(
        store.create_promise(bad.clone(), &Actor::system()).await,
        "ticket",
    );
    bad.ticket = None;
    bad.customer = Some(CustomerId::from_db(UNKNOWN_KEY));
    assert_not_found(
        store.create_promise(bad.clone(), &Actor::system()).await,
        "customer",
    );
    bad.customer = Some(c.id);
    bad.made_by = MadeBy::Agent(unknown_agent());
    assert_not_found(
        store.create_promise(bad.clone(), &Actor::system()).await,
        "agent",
    );
    assert_not_found(
        store.get_promise(PromiseId::from_db(UNKNOWN_KEY)).await,
        "promise",
    );
    set_status(store, t.id, TicketStatus::Closed).await;
    let mut late = promise(PromiseKind::Callback, MadeBy::System, "x", in_hours(1));
    late.ticket = Some(t.id);
    assert_conflict(
        store.create_promise(late, &Actor::system()).await,
        "ticket_closed",
    );
    // The closing cancelled the agent's promise; nothing else was added.
    assert_eq!(promise_total(store, &PromiseFilter::default()).await, total);
}

pub async fn promise_settles_only_from_pending(store: &dyn Store) {
    let a = agent(store, "eva@desk.example", Role::Agent).await;
    let c = customer(store, Some("Ana"), vec![email("ana@shop.example")]).await;
    let t = ticket_of(store, c.id, "Refund", "Where is my refund?").await;
    let make = |k: PromiseKind| {
        let mut p = promise(k, MadeBy::Agent(a.id), "Refund within 3 days", in_hours(72));
        p.ticket = Some(t.id);
        p
    };
    let actor = Actor::agent(a.id);
    let kept = ok(
        store
            .create_promise(make(PromiseKind::RefundBy), &actor)
            .await,
        "create",
    );
    let broken = ok(
        store
            .create_promise(make(PromiseKind::Callback), &actor)
            .await,
        "create",
    );
    let cancelled = ok(
        store
            .create_promise(make(PromiseKind::AgentPromise), &actor)
            .await,
        "create",
    );

    let before = now();
    let k = ok(
        store
            .keep_promise(kept.id, Some("refund sent, ref 88".into()), &actor)
            .await,
        "keep",
    );
    let after = now();
    assert_eq!(k.state, PromiseState::Kept);
    assert_eq!(k.note.as_deref(), Some("refund sent, ref 88"));
    assert_eq!(k.settled_by.as_deref(), Some(a.id.to_string().as_str()));
    assert!(k.settled_at.is_some_and(|s| before <= s && s <= after));
    assert_eq!(get_promise(store, kept.id).await, k);

    let b = ok(
        store
            .break_promise(broken.id, "no one called".into(), &Actor::system())
            .await,
        "break",
    );
    assert_eq!(b.state, PromiseState::Broken);
    assert_eq!(b.note.as_deref(), Some("no one called"));
    assert_eq!(b.settled_by.as_deref(), Some("system"));
    let x = ok(
        store
            .cancel_promise(cancelled.id, "customer withdrew".into(), &actor)
            .await,
        "cancel",
    );
    assert_eq!(x.state, PromiseState::Cancelled);

    let events_before = events_of(store, t.id).await;
    for settled in [&k, &b, &x] {
        assert_conflict(
            store.keep_promise(settled.id, None, &actor).await,
            "promise_not_pending",
        );
        assert_conflict(
            store
                .cancel_promise(settled.id, "again".into(), &actor)
                .await,
            "promise_not_pending",
        );
        assert_conflict(
            store
                .break_promise(settled.id, "again".into(), &actor)
                .await,
            "promise_not_pending",
        );
        assert_eq!(get_promise(store, settled.id).await, *settled, "unchanged");
    }
    assert_eq!(
        events_of(store, t.id).await,
        events_before,
        "no event added"
    );
    assert_not_found(
        store
            .keep_promise(PromiseId::from_db(UNKNOWN_KEY), None, &actor)
            .await,
        "promise",
    );

    let evs = events_before;
    let tail: Vec<&str> = kinds_of(&evs).into_iter().rev().take(3).rev().collect();
    assert_eq!(
        tail,
        [
            kind::PROMISE_KEPT,
            kind::PROMISE_BROKEN,
            kind::PROMISE_CANCELLED
        ]
    );
    let p = payload(&evs[evs.len() - 3]);
    assert!(mentions(&p, &k.id.to_string()) && mentions(&p, "refund sent, ref 88"));
    assert_chain(t.id, &evs);

    // Without a ticket there is no log to write to, and the rule is the same.
    let mut alone = promise(
        PromiseKind::DeliverBy,
        MadeBy::System,
        "By Tuesday",
        in_hours(9),
    );
    alone.customer = Some(c.id);
    let alone = ok(store.create_promise(alone, &actor).await, "create");
    ok(store.keep_promise(alone.id, None, &actor).await, "keep");
    assert_conflict(
        store.keep_promise(alone.id, None, &actor).await,
        "promise_not_pending",
    );
}

pub async fn promise_warning_recorded_once(store: &dyn Store) {
    let c = customer(store, Some("Ana"), vec![email("ana@shop.example")]).await;
    let t = ticket_of(store, c.id, "Late", "Where is it?").await;
    let mut p = promise(PromiseKind::Resolution, MadeBy::System, "Soon", in_hours(8));
    p.ticket = Some(t.id);
    p.warn_at = Some(in_hours(6));
    let p = ok(store.create_promise(p, &Actor::system()).await, "create");
    let at = now();
    let w = ok(store.mark_warned(p.id, at).await, "mark_warned");
    assert_eq!(w.warned_at, Some(at));
    assert_eq!(w.state, PromiseState::Pending);
    assert_conflict(
        store.mark_warned(p.id, now()).await,
        "promise_already_warned",
    );
    assert_eq!(get_promise(store, p.id).await.warned_at, Some(at));

    let mut q = promise(PromiseKind::Resolution, MadeBy::System, "Soon", in_hours(8));
    q.ticket = Some(t.id);
    let q = ok(store.create_promise(q, &Actor::system()).await, "create");
    ok(
        store.keep_promise(q.id, None, &Actor::system()).await,
        "keep",
    );
    assert_conflict(store.mark_warned(q.id, now()).await, "promise_not_pending");
    assert_not_found(
        store
            .mark_warned(PromiseId::from_db(UNKNOWN_KEY), now())
            .await,
        "promise",
    );
}

pub async fn promise_list_filters_and_pages(store: &dyn Store) {
    let c1 = customer(store, Some("One"), vec![email("one@shop.example")]).await;
    let c2 = customer(store, Some("Two"), vec![email("two@shop.example")]).await;
    let t1 = ticket_of(store, c1.id, "T1", "a").await;
    let t2 = ticket_of(store, c2.id, "T2", "b").await;
    let base = now();
    let mut made = Vec::new();
    // 12 promises: tickets alternate, kinds cycle, due times spread an hour apart.
    for i in 0..12i64 {
        let kind = [
            PromiseKind::FirstResponse,
            PromiseKind::ShipBy,
            PromiseKind::Callback,
        ][i as usize % 3];
        let mut p = promise(
            kind,
            MadeBy::System,
            &format!("promise {i}"),
            base + SignedDuration::from_hours(i + 1),
        );
        p.ticket = Some(if i % 2 == 0 { t1.id } else { t2.id });
        p.order_number = (i % 4 == 0).then(|| "1043".to_owned());
        made.push(ok(
            store.create_promise(p, &Actor::system()).await,
            "create",
        ));
    }
    for p in made.iter().take(3) {
        ok(
            store.keep_promise(p.id, None, &Actor::system()).await,
            "keep",
        );
    }

    let count = |pred: &dyn Fn(&Promise) -> bool| made.iter().filter(|p| pred(p)).count() as u64;
    let due_before = base + SignedDuration::from_mins(5 * 60 + 30);
    let cases: Vec<(PromiseFilter, u64)> = vec![
        (PromiseFilter::default(), 12),
        (
            PromiseFilter {
                ticket: Some(t1.id),
                ..Default::default()
            },
            6,
        ),
        (
            PromiseFilter {
                customer: Some(c2.id),
                ..Default::default()
            },
            6,
        ),
        (
            PromiseFilter {
                order_number: Some("1043".into()),
                ..Default::default()
            },
            count(&|p| p.order_number.is_some()),
        ),
        (
            PromiseFilter {
                state: Some(PromiseState::Pending),
                ..Default::default()
            },
            9,
        ),
        (
            PromiseFilter {
                state: Some(PromiseState::Kept),
                ..Default::default()
            },
            3,
        ),
        (
            PromiseFilter {
                kind: Some(PromiseKind::ShipBy),
                ..Default::default()
            },
            4,
        ),
        (
            PromiseFilter {
                due_before: Some(due_before),
                ..Default::default()
            },
            5,
        ),
        (
            PromiseFilter {
                ticket: Some(t1.id),
                state: Some(PromiseState::Pending),
                kind: Some(PromiseKind::Callback),
                due_before: Some(due_before),
                ..Default::default()
            },
            // i = 2 (kept) and i = 8 (after due_before): none.
            0,
        ),
        (
            PromiseFilter {
                ticket: Some(t2.id),
                state: Some(PromiseState::Pending),
                due_before: Some(due_before),
                ..Default::default()
            },
            // i = 3, due in 4 hours (i = 1 is kept, i = 5 due in 6).
            1,
        ),
        (
            PromiseFilter {
                customer: Some(CustomerId::from_db(UNKNOWN_KEY)),
                ..Default::default()
            },
            0,
        ),
    ];
    for (filter, expected) in cases {
        // Walk pages of 2: newest first, no repeats, every page's total the same.
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = ok(
                store
                    .list_promises(&filter, PageRequest { limit: 2, before })
                    .await,
                "list_promises",
            );
            assert_eq!(page.total, expected, "{filter:?}");
            assert!(page.items.len() <= 2);
            seen.extend(page.items);
            match page.next {
                Some(n) => before = Some(n),
                None => break,
            }
        }
        assert_eq!(seen.len() as u64, expected, "{filter:?}");
        assert!(seen.windows(2).all(|w| w[0].id > w[1].id), "newest first");
        for p in &seen {
            let stored = get_promise(store, p.id).await;
            assert_eq!(*p, stored);
            assert!(filter.ticket.is_none_or(|t| p.ticket_id == Some(t)));
            assert!(filter.customer.is_none_or(|c| p.customer_id == Some(c)));
            assert!(filter.state.is_none_or(|s| p.state == s));
            assert!(filter.kind.is_none_or(|k| p.kind == k));
            assert!(filter.due_before.is_none_or(|d| p.due_at < d));
            assert!(
                filter.order_number.is_none() || p.order_number == filter.order_number,
                "{p:?}"
            );
        }
    }
}

pub async fn promise_made_and_kept_with_a_message(store: &dyn Store) {
    let a = agent(store, "eva@desk.example", Role::Agent).await;
    let c = customer(store, Some("Kasia"), vec![email("kasia@shop.example")]).await;
    let mut new = new_ticket(
        CustomerRef::Existing(c.id),
        "Gdzie paczka?",
        "Paczka nie dotarła.",
    );
    new.promises = vec![
        promise(
            PromiseKind::FirstResponse,
            MadeBy::System,
            "by 10",
            in_hours(2),
        ),
        promise(
            PromiseKind::Resolution,
            MadeBy::System,
            "2 days",
            in_hours(48),
        ),
    ];
    let t = ticket(store, new).await;
    let events_before = events_of(store, t.ticket.id).await.len();

    let reply = message(
        Direction::Out,
        Author::Agent(a.id),
        "Sprawdzam, oddzwonię jutro o 10.",
    );
    let callback_due = in_hours(20);
    let with = MessagePromises {
        make: vec![promise(
            PromiseKind::Callback,
            MadeBy::Agent(a.id),
            "oddzwonię jutro o 10",
            callback_due,
        )],
        keep: vec![PromiseKind::FirstResponse, PromiseKind::NextResponse],
        resume_in: None,
    };
    let added = ok(
        store
            .add_message_with_promises(t.ticket.id, reply, with, &Actor::agent(a.id))
            .await,
        "add_message_with_promises",
    );
    assert_eq!(added.ticket.status, TicketStatus::Open);
    assert_eq!(added.kept.len(), 1);
    let kept = &added.kept[0];
    assert_eq!(
        (kept.id, kept.state),
        (t.promises[0].id, PromiseState::Kept)
    );
    assert_eq!(kept.settled_by.as_deref(), Some(a.id.to_string().as_str()));
    assert_eq!(added.made.len(), 1);
    let callback = &added.made[0];
    assert_eq!(callback.kind, PromiseKind::Callback);
    assert_eq!(callback.message_id, Some(added.message.id));
    assert_eq!(callback.customer_id, Some(c.id));
    assert_eq!(callback.due_at, callback_due);

    let th = thread(store, t.ticket.id).await;
    let states: Vec<(PromiseKind, PromiseState)> =
        th.promises.iter().map(|p| (p.kind, p.state)).collect();
    assert_eq!(
        states,
        [
            (PromiseKind::FirstResponse, PromiseState::Kept),
            (PromiseKind::Resolution, PromiseState::Pending),
            (PromiseKind::Callback, PromiseState::Pending),
        ]
    );
    let evs = events_of(store, t.ticket.id).await;
    assert_eq!(
        kinds_of(&evs[events_before..]),
        [
            kind::MESSAGE_ADDED,
            kind::TICKET_UPDATED,
            kind::PROMISE_KEPT,
            kind::PROMISE_MADE
        ]
    );
    let p = payload(&evs[events_before + 2]);
    assert!(
        mentions(&p, &added.message.id.to_string()),
        "kept by which reply: {p}"
    );
    assert_chain(t.ticket.id, &evs);

    // A message with nothing to keep keeps nothing; a refused message changes no promise.
    let added = ok(
        store
            .add_message_with_promises(
                t.ticket.id,
                message(Direction::Out, Author::Agent(a.id), "again"),
                MessagePromises {
                    keep: vec![PromiseKind::FirstResponse],
                    ..Default::default()
                },
                &Actor::agent(a.id),
            )
            .await,
        "add_message_with_promises",
    );
    assert!(added.kept.is_empty() && added.made.is_empty());
    let mut dup = inbound("dup");
    dup.channel_message_id = Some("<dup@mail.example>".into());
    ok(
        store
            .add_message(t.ticket.id, dup.clone(), &Actor::system())
            .await,
        "add",
    );
    let before = thread(store, t.ticket.id).await.promises;
    assert_conflict(
        store
            .add_message_with_promises(
                t.ticket.id,
                dup,
                MessagePromises {
                    make: vec![promise(
                        PromiseKind::Callback,
                        MadeBy::System,
                        "x",
                        in_hours(1),
                    )],
                    keep: vec![PromiseKind::Resolution, PromiseKind::Callback],
                    resume_in: None,
                },
                &Actor::system(),
            )
            .await,
        "duplicate_message",
    );
    assert_eq!(thread(store, t.ticket.id).await.promises, before);
}

pub async fn promise_clocks_follow_the_ticket_status(store: &dyn Store) {
    let c = customer(store, Some("Ana"), vec![email("ana@shop.example")]).await;
    let mut new = new_ticket(CustomerRef::Existing(c.id), "Broken kettle", "It leaks.");
    let resolution_due = in_hours(48);
    let mut resolution = promise(
        PromiseKind::Resolution,
        MadeBy::System,
        "2 days",
        resolution_due,
    );
    resolution.warn_at = Some(in_hours(40));
    new.promises = vec![
        resolution,
        promise(
            PromiseKind::RefundBy,
            MadeBy::System,
            "refund",
            in_hours(72),
        ),
    ];
    let t = ticket(store, new).await;
    let (res_id, refund_id) = (t.promises[0].id, t.promises[1].id);
    let actor = Actor::system();

    // Waiting for the customer stops the resolution clock only.
    let before = now();
    set_status(store, t.ticket.id, TicketStatus::PendingCustomer).await;
    let after = now();
    let paused = get_promise(store, res_id).await;
    let paused_at = paused
        .paused_at
        .unwrap_or_else(|| panic!("resolution not paused: {paused:?}"));
    assert!(before <= paused_at && paused_at <= after);
    assert_eq!(get_promise(store, refund_id).await.paused_at, None);
    assert_eq!(
        promise_total(
            store,
            &PromiseFilter {
                state: Some(PromiseState::Pending),
                ticket: Some(t.ticket.id),
                ..Default::default()
            }
        )
        .await,
        2,
        "a paused promise is still pending"
    );

    // The customer answers: the clock runs again, due later by the time waited (wall time
    // without a calendar).
    let before = now();
    ok(
        store
            .add_message(t.ticket.id, inbound("here is a photo"), &actor)
            .await,
        "add_message",
    );
    let after = now();
    let resumed = get_promise(store, res_id).await;
    assert_eq!(resumed.paused_at, None);
    assert!(
        resumed_due(None, resolution_due, paused_at, before) <= resumed.due_at
            && resumed.due_at <= resumed_due(None, resolution_due, paused_at, after),
        "{resumed:?}"
    );
    let shift = resumed.due_at.duration_since(resolution_due);
    assert_eq!(
        resumed.warn_at,
        paused.warn_at.map(|w| w + shift),
        "the warning moves with the deadline"
    );

    // Again, resumed by hand in a calendar's business time.
    set_status(store, t.ticket.id, TicketStatus::PendingCustomer).await;
    let paused_at = get_promise(store, res_id)
        .await
        .paused_at
        .unwrap_or_else(|| panic!("not paused"));
    let calendar = Calendar::always_open("Asia/Jakarta").unwrap_or_else(|e| panic!("{e}"));
    let before = now();
    ok(
        store
            .update_ticket_with_promises(
                t.ticket.id,
                TicketPatch {
                    status: Some(TicketStatus::Open),
                    ..Default::default()
                },
                StatusPromises {
                    resume_in: Some(calendar.clone()),
                },
                &actor,
            )
            .await,
        "update_ticket_with_promises",
    );
    let after = now();
    let again = get_promise(store, res_id).await;
    assert!(
        resumed_due(Some(&calendar), resumed.due_at, paused_at, before) <= again.due_at
            && again.due_at <= resumed_due(Some(&calendar), resumed.due_at, paused_at, after)
    );

    // Resolving keeps the resolution; closing cancels what is left, openly.
    set_status(store, t.ticket.id, TicketStatus::Resolved).await;
    let kept = get_promise(store, res_id).await;
    assert_eq!(kept.state, PromiseState::Kept);
    assert_eq!(
        get_promise(store, refund_id).await.state,
        PromiseState::Pending
    );
    set_status(store, t.ticket.id, TicketStatus::Closed).await;
    let cancelled = get_promise(store, refund_id).await;
    assert_eq!(cancelled.state, PromiseState::Cancelled);
    assert_eq!(cancelled.note.as_deref(), Some("ticket closed"));
    assert_eq!(
        get_promise(store, res_id).await,
        kept,
        "a kept promise stays kept"
    );

    let evs = events_of(store, t.ticket.id).await;
    let promise_events: Vec<&str> = kinds_of(&evs)
        .into_iter()
        .filter(|k| k.starts_with("promise."))
        .collect();
    assert_eq!(
        promise_events,
        [
            kind::PROMISE_MADE,
            kind::PROMISE_MADE,
            kind::PROMISE_RESCHEDULED,
            kind::PROMISE_RESCHEDULED,
            kind::PROMISE_RESCHEDULED,
            kind::PROMISE_RESCHEDULED,
            kind::PROMISE_KEPT,
            kind::PROMISE_CANCELLED,
        ]
    );
    assert_chain(t.ticket.id, &evs);
}

/// Many writers settle one promise at once (as deadline engines on several nodes would):
/// exactly one wins, the rest get Conflict, and the log holds one settlement.
pub async fn concurrent_settle_promise(store: Arc<dyn Store>) {
    let c = customer(&*store, Some("Ana"), vec![email("ana@shop.example")]).await;
    let t = ticket_of(&*store, c.id, "Race", "x").await;
    let mut p = promise(PromiseKind::Callback, MadeBy::System, "call", in_hours(1));
    p.ticket = Some(t.id);
    let p = ok(store.create_promise(p, &Actor::system()).await, "create");
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let actor = Actor::system();
                match i % 2 {
                    0 => store.break_promise(p.id, format!("node {i}"), &actor).await,
                    _ => {
                        store
                            .keep_promise(p.id, Some(format!("node {i}")), &actor)
                            .await
                    }
                }
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap_or_else(|e| panic!("task: {e}")) {
            Ok(_) => won += 1,
            Err(StoreError::Conflict {
                code: "promise_not_pending",
                ..
            }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won, 1);
    let evs = events_of(&*store, t.id).await;
    let settlements = evs
        .iter()
        .filter(|e| e.kind == kind::PROMISE_KEPT || e.kind == kind::PROMISE_BROKEN)
        .count();
    assert_eq!(settlements, 1);
    assert_chain(t.id, &evs);
}
