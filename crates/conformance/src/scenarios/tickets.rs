//! Tickets and messages: creation in one piece, lookups, filters and keyset pages, status
//! moves, refusals that leave nothing behind, and patches recorded as exactly one event.

use std::collections::BTreeSet;

use trustdesk_domain::event::kind;
use trustdesk_domain::time::now;
use trustdesk_domain::{
    Channel, CustomerId, DeliveryState, Direction, Language, Priority, Role, TicketId, TicketStatus,
};
use trustdesk_store::{
    Actor, AssigneeFilter, AttachmentMeta, Author, CustomerRef, NewCustomer, NewMessage, NewTicket,
    PageRequest, Store, Ticket, TicketFilter, TicketPatch,
};

use super::*;

/// Stores a blob and describes it as an attachment.
async fn attachment(store: &dyn Store, filename: &str, bytes: &[u8]) -> AttachmentMeta {
    let sha = sha256_hex(bytes);
    ok(store.put_blob(&sha, bytes.to_vec()).await, "put_blob");
    AttachmentMeta {
        sha256: sha,
        filename: filename.to_owned(),
        content_type: "application/pdf".to_owned(),
        size: bytes.len() as i64,
    }
}

/// Checks `message.added`: it names the message, its direction and the text's SHA-256, and
/// does not carry the text itself.
#[track_caller]
fn assert_message_added(e: &trustdesk_store::Event, message: &trustdesk_store::Message) {
    assert_eq!(e.kind, kind::MESSAGE_ADDED);
    let p = payload(e);
    assert!(
        mentions_id(&p, &message.id.to_string(), message.id.db_key()),
        "message.added does not name {}: {}",
        message.id,
        e.payload
    );
    assert!(
        mentions(&p, message.direction.as_str()),
        "message.added without its direction: {}",
        e.payload
    );
    assert!(
        mentions(&p, &sha256_hex(message.text.as_bytes())),
        "message.added without the text's sha256: {}",
        e.payload
    );
    assert!(
        !e.payload.contains(&message.text),
        "message.added carries the text: {}",
        e.payload
    );
}

pub async fn ticket_create_returns_thread(store: &dyn Store) {
    let assignee = agent(store, "eva@desk.example", Role::Agent).await;
    let invoice = attachment(store, "faktura.pdf", b"%PDF-1.7 faktura 1043").await;
    let first = NewMessage {
        direction: Direction::In,
        author: Author::System,
        text: "Dzień dobry, zamówienie 1043 nie dotarło.".into(),
        html: Some("<p>Dzień dobry, zamówienie <b>1043</b> nie dotarło.</p>".into()),
        channel_message_id: Some("<abc.1043@mail.example>".into()),
        delivery_state: DeliveryState::Received,
        attachments: vec![invoice.clone()],
        raw_sha256: None,
    };
    let before = now();
    let created = ticket(
        store,
        NewTicket {
            subject: subject("Zamówienie 1043 nie dotarło"),
            customer: CustomerRef::FindOrCreate(NewCustomer {
                name: Some("Ewa".into()),
                language: Some(Language::PL),
                identities: vec![email("ewa@sklep.example")],
            }),
            channel: Channel::Email,
            priority: Priority::High,
            language: Some(Language::PL),
            tags: tags(&["vip", "delivery"]),
            assignee: Some(assignee.id),
            first_message: first.clone(),
            promises: Vec::new(),
            actor: Actor::system(),
        },
    )
    .await;
    let after = now();

    let t = &created.ticket;
    assert!(t.number >= 1);
    assert_eq!(t.subject, "Zamówienie 1043 nie dotarło");
    assert_eq!(t.status, TicketStatus::New);
    assert_eq!(t.priority, Priority::High);
    assert_eq!(t.channel, Channel::Email);
    assert_eq!(t.language, Some(Language::PL));
    assert_eq!(t.assignee, Some(assignee.id));
    assert_eq!(t.tags, tags(&["delivery", "vip"]), "tags sorted");
    assert_eq!(t.customer_id, created.customer.id);
    assert!(before <= t.created_at && t.created_at <= after);
    assert!(t.updated_at >= t.created_at);

    let c = &created.customer;
    assert_eq!(c.name.as_deref(), Some("Ewa"));
    assert_eq!(c.language, Some(Language::PL));
    assert_eq!(c.identities, vec![email("ewa@sklep.example")]);
    assert_eq!(c.merged_into, None);

    assert_eq!(created.messages.len(), 1);
    let m = &created.messages[0];
    assert_eq!(m.ticket_id, t.id);
    assert_eq!(m.direction, Direction::In);
    assert_eq!(m.author, Author::System);
    assert_eq!(m.text, first.text);
    assert_eq!(m.html, first.html);
    assert_eq!(m.channel_message_id, first.channel_message_id);
    assert_eq!(m.delivery_state, DeliveryState::Received);
    assert_eq!(
        m.attachments.iter().map(|a| &a.meta).collect::<Vec<_>>(),
        vec![&invoice]
    );
    assert!(before <= m.created_at && m.created_at <= after);

    assert_eq!(
        thread(store, t.id).await,
        created,
        "get_thread returns what was created"
    );
    assert_eq!(get_ticket(store, t.id).await, *t);
    assert_eq!(ok(store.get_customer(c.id).await, "get_customer"), *c);
    assert_eq!(
        ok(store.get_blob(&invoice.sha256).await, "get_blob"),
        b"%PDF-1.7 faktura 1043".to_vec()
    );
}

pub async fn ticket_numbers_and_lookups(store: &dyn Store) {
    let c = customer(store, Some("Ion"), vec![email("ion@shop.example")]).await;
    let mut made = Vec::new();
    for i in 0..3 {
        made.push(ticket_of(store, c.id, &format!("Ticket {i}"), "text").await);
    }
    assert!(
        made.windows(2).all(|w| w[0].number < w[1].number),
        "numbers increase: {:?}",
        made.iter().map(|t| t.number).collect::<Vec<_>>()
    );
    assert_eq!(
        made.iter().map(|t| t.id).collect::<BTreeSet<_>>().len(),
        3,
        "ids are distinct"
    );
    for t in &made {
        assert_eq!(get_ticket(store, t.id).await, *t);
        assert_eq!(
            ok(store.get_ticket_by_number(t.number).await, "by number"),
            *t
        );
        assert_eq!(thread(store, t.id).await.ticket, *t);
    }
    let unknown = TicketId::from_db(UNKNOWN_KEY);
    assert_not_found(store.get_ticket(unknown).await, "ticket");
    assert_not_found(store.get_thread(unknown).await, "ticket");
    assert_not_found(
        store.get_ticket_by_number(made[2].number + 1_000).await,
        "ticket",
    );
    assert_not_found(store.get_ticket_by_number(0).await, "ticket");
}

pub async fn ticket_for_existing_customer(store: &dyn Store) {
    let c = customer(store, Some("Ion"), vec![email("ion@shop.example")]).await;
    let mut new = new_ticket(CustomerRef::Existing(c.id), "Return", "I want to return it");
    new.first_message.author = Author::Customer(c.id);
    new.actor = Actor::customer(c.id);
    let t = ticket(store, new).await;
    assert_eq!(t.ticket.customer_id, c.id);
    assert_eq!(t.customer.id, c.id);
    assert_eq!(t.customer.identities, c.identities);
    assert_eq!(t.customer.name, c.name);
    assert_eq!(t.messages[0].author, Author::Customer(c.id));
    assert_eq!(
        events_of(store, t.ticket.id).await[0].actor,
        c.id.to_string()
    );

    assert_not_found(
        store
            .create_ticket(new_ticket(
                CustomerRef::Existing(CustomerId::from_db(UNKNOWN_KEY)),
                "Ghost",
                "boo",
            ))
            .await,
        "customer",
    );
    assert_eq!(ticket_count(store, &TicketFilter::default()).await, 1);
}

pub async fn ticket_create_duplicate_first_message(store: &dyn Store) {
    let mut first = new_ticket(
        find_or_create(None, vec![email("a@shop.example")]),
        "First",
        "original",
    );
    first.first_message.channel_message_id = Some("<m1@mail.example>".into());
    let t1 = ticket(store, first).await;
    let events_before = events_of(store, t1.ticket.id).await;

    let mut redelivered = new_ticket(
        find_or_create(Some("New"), vec![email("new@shop.example")]),
        "Redelivered",
        "original",
    );
    redelivered.first_message.channel_message_id = Some("<m1@mail.example>".into());
    assert_conflict(
        store.create_ticket(redelivered.clone()).await,
        "duplicate_message",
    );
    // Nothing of the refused ticket is kept, not even its new customer.
    assert_eq!(ticket_count(store, &TicketFilter::default()).await, 1);
    assert_eq!(find(store, &email("new@shop.example")).await, None);
    assert_eq!(live_customer_count(store).await, 1);
    assert_eq!(events_of(store, t1.ticket.id).await, events_before);
    assert!(found(store, "redelivered").await.is_empty());

    // The same id on another channel is another message.
    redelivered.channel = Channel::WhatsApp;
    let other = ticket(store, redelivered).await;
    assert_eq!(other.ticket.channel, Channel::WhatsApp);
    assert_eq!(ticket_count(store, &TicketFilter::default()).await, 2);
}

/// Does `t` pass `f`? The model the store's filters are checked against.
fn passes(t: &Ticket, f: &TicketFilter) -> bool {
    f.status.is_none_or(|s| t.status == s)
        && match f.assignee {
            None => true,
            Some(AssigneeFilter::Agent(a)) => t.assignee == Some(a),
            Some(AssigneeFilter::Unassigned) => t.assignee.is_none(),
        }
        && f.tag.as_ref().is_none_or(|g| t.tags.contains(g))
        && f.customer.is_none_or(|c| t.customer_id == c)
}

/// Newest first.
fn newest_first(mut tickets: Vec<Ticket>) -> Vec<Ticket> {
    tickets.sort_by_key(|t| std::cmp::Reverse(t.number));
    tickets
}

pub(super) async fn set_status(store: &dyn Store, id: TicketId, status: TicketStatus) -> Ticket {
    ok(
        store
            .update_ticket(
                id,
                TicketPatch {
                    status: Some(status),
                    ..TicketPatch::default()
                },
                &Actor::system(),
            )
            .await,
        "update_ticket status",
    )
}

pub async fn list_tickets_filters(store: &dyn Store) {
    use TicketStatus::*;
    let a1 = agent(store, "a1@desk.example", Role::Agent).await;
    let a2 = agent(store, "a2@desk.example", Role::Agent).await;
    let c1 = customer(store, Some("C1"), vec![email("c1@shop.example")]).await;
    let c2 = customer(store, Some("C2"), vec![email("c2@shop.example")]).await;
    let plan: [(CustomerId, &[&str], Option<_>, TicketStatus); 9] = [
        (c1.id, &["vip"], None, New),
        (c1.id, &["vip", "refund"], Some(a1.id), Open),
        (c2.id, &["refund"], Some(a1.id), PendingCustomer),
        (c2.id, &[], Some(a2.id), Open),
        (c1.id, &["refund"], None, Resolved),
        (c2.id, &["vip"], Some(a2.id), Closed),
        (c1.id, &[], Some(a1.id), New),
        (c2.id, &["vip", "refund", "late"], None, Open),
        (c1.id, &["late"], Some(a2.id), PendingInternal),
    ];
    let mut model = Vec::new();
    for (i, (cust, tag_list, assignee, status)) in plan.into_iter().enumerate() {
        let mut new = new_ticket(CustomerRef::Existing(cust), &format!("T{i}"), "text");
        new.tags = tags(tag_list);
        new.assignee = assignee;
        let t = ticket(store, new).await.ticket;
        let t = if status == New {
            t
        } else {
            set_status(store, t.id, status).await
        };
        model.push(t);
    }

    let statuses = [None, Some(New), Some(Open), Some(Closed), Some(Resolved)];
    let assignees = [
        None,
        Some(AssigneeFilter::Agent(a1.id)),
        Some(AssigneeFilter::Agent(a2.id)),
        Some(AssigneeFilter::Unassigned),
    ];
    let tag_filters = [
        None,
        Some(tag("vip")),
        Some(tag("refund")),
        Some(tag("nope")),
    ];
    let customers = [None, Some(c1.id), Some(c2.id)];
    for status in statuses {
        for assignee in assignees {
            for tag_filter in &tag_filters {
                for cust in customers {
                    let filter = TicketFilter {
                        status,
                        assignee,
                        tag: tag_filter.clone(),
                        customer: cust,
                    };
                    let expected = newest_first(
                        model
                            .iter()
                            .filter(|t| passes(t, &filter))
                            .cloned()
                            .collect(),
                    );
                    let page = ok(
                        store.list_tickets(&filter, PageRequest::first(50)).await,
                        "list_tickets",
                    );
                    assert_eq!(page.items, expected, "items for {filter:?}");
                    assert_eq!(page.total, expected.len() as u64, "total for {filter:?}");
                    assert_eq!(page.next, None, "one page holds all for {filter:?}");
                    if expected.len() > 2 {
                        let (walked, totals) = walk_tickets(store, &filter, 2).await;
                        assert_eq!(walked, expected, "pages of 2 for {filter:?}");
                        assert!(totals.iter().all(|&n| n == expected.len() as u64));
                    }
                }
            }
        }
    }
}

pub async fn list_tickets_pagination(store: &dyn Store) {
    let c = customer(store, None, vec![email("many@shop.example")]).await;
    let mut made = Vec::new();
    for i in 0..23 {
        made.push(ticket_of(store, c.id, &format!("Ticket {i}"), "text").await);
    }
    let expected = newest_first(made);
    let all = TicketFilter::default();

    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = ok(
            store
                .list_tickets(&all, PageRequest { limit: 5, before })
                .await,
            "list_tickets",
        );
        assert_eq!(page.total, 23);
        let next = page.next;
        pages.push(page.items);
        match next {
            Some(n) => before = Some(n),
            None => break,
        }
        assert!(pages.len() <= 5, "more pages than tickets allow");
    }
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![5, 5, 5, 5, 3]
    );
    assert_eq!(pages.concat(), expected);

    // `next` only when there is a next page.
    let (walked, totals) = walk_tickets(store, &all, 23).await;
    assert_eq!((walked.len(), totals), (23, vec![23]));
    let (walked, totals) = walk_tickets(store, &all, 22).await;
    assert_eq!(walked, expected);
    assert_eq!(totals, vec![23, 23]);
    let (walked, _) = walk_tickets(store, &all, PageRequest::MAX_LIMIT).await;
    assert_eq!(walked, expected);
}

pub async fn list_tickets_pagination_with_new_tickets(store: &dyn Store) {
    let c = customer(store, None, vec![email("many@shop.example")]).await;
    let mut made = Vec::new();
    for i in 0..15 {
        made.push(ticket_of(store, c.id, &format!("Old {i}"), "text").await);
    }
    let expected = newest_first(made);
    let all = TicketFilter::default();

    let p1 = ok(
        store.list_tickets(&all, PageRequest::first(5)).await,
        "page 1",
    );
    assert_eq!(p1.total, 15);
    for i in 0..3 {
        ticket_of(store, c.id, &format!("New {i}"), "text").await;
    }
    let p2 = ok(
        store
            .list_tickets(
                &all,
                PageRequest {
                    limit: 5,
                    before: p1.next,
                },
            )
            .await,
        "page 2",
    );
    assert_eq!(p2.total, 18, "total counts what matches now");
    for i in 3..5 {
        ticket_of(store, c.id, &format!("New {i}"), "text").await;
    }
    let p3 = ok(
        store
            .list_tickets(
                &all,
                PageRequest {
                    limit: 5,
                    before: p2.next,
                },
            )
            .await,
        "page 3",
    );
    assert_eq!(p3.total, 20);
    assert_eq!(p3.next, None);
    assert_eq!(
        [p1.items, p2.items, p3.items].concat(),
        expected,
        "tickets created meanwhile neither shift nor repeat the pages"
    );
    let (walked, _) = walk_tickets(store, &all, 7).await;
    assert_eq!(walked.len(), 20);
}

pub async fn list_tickets_filtered_pagination(store: &dyn Store) {
    let a = agent(store, "a@desk.example", Role::Agent).await;
    let c = customer(store, None, vec![email("many@shop.example")]).await;
    let mut model = Vec::new();
    for i in 0..30 {
        let mut new = new_ticket(CustomerRef::Existing(c.id), &format!("T{i}"), "text");
        if i % 2 == 0 {
            new.tags = tags(&["even"]);
        }
        if i % 3 == 0 {
            new.assignee = Some(a.id);
        }
        model.push(ticket(store, new).await.ticket);
    }
    let filters = [
        TicketFilter {
            tag: Some(tag("even")),
            ..TicketFilter::default()
        },
        TicketFilter {
            assignee: Some(AssigneeFilter::Agent(a.id)),
            ..TicketFilter::default()
        },
        TicketFilter {
            tag: Some(tag("even")),
            assignee: Some(AssigneeFilter::Unassigned),
            customer: Some(c.id),
            status: Some(TicketStatus::New),
        },
    ];
    for filter in filters {
        let expected = newest_first(
            model
                .iter()
                .filter(|t| passes(t, &filter))
                .cloned()
                .collect(),
        );
        assert!(expected.len() >= 9, "fixture gives 3+ pages of 3");
        let (walked, totals) = walk_tickets(store, &filter, 3).await;
        assert_eq!(walked, expected, "{filter:?}");
        assert_eq!(totals.len(), expected.len().div_ceil(3), "{filter:?}");
        assert!(totals.iter().all(|&n| n == expected.len() as u64));
    }
}

pub async fn add_message_status_moves(store: &dyn Store) {
    use TicketStatus::*;
    let a = agent(store, "eva@desk.example", Role::Agent).await;
    let c = customer(store, Some("Ana"), vec![email("ana@shop.example")]).await;
    let t = ticket_of(store, c.id, "Status", "first").await;
    assert_eq!(t.status, New);

    // (status set first, direction, status expected after the message)
    let steps = [
        (None, Direction::Note, New),
        (None, Direction::In, New),
        (None, Direction::Out, Open),
        (None, Direction::In, Open),
        (Some(PendingCustomer), Direction::In, Open),
        (Some(Resolved), Direction::In, Open),
        (Some(Resolved), Direction::Note, Resolved),
        (None, Direction::Out, Resolved),
        (Some(PendingInternal), Direction::In, PendingInternal),
        (Some(PendingCustomer), Direction::Out, PendingCustomer),
        (Some(New), Direction::Note, New),
    ];
    for (i, (set_first, direction, expected)) in steps.into_iter().enumerate() {
        if let Some(s) = set_first {
            set_status(store, t.id, s).await;
        }
        let before = get_ticket(store, t.id).await;
        assert_eq!(
            before
                .status
                .after_message(direction)
                .unwrap_or(before.status),
            expected,
            "step {i}: the table agrees with the domain's rule"
        );
        let events_before = events_of(store, t.id).await;
        let (author, actor) = match direction {
            Direction::In => (Author::Customer(c.id), Actor::customer(c.id)),
            Direction::Out | Direction::Note => (Author::Agent(a.id), Actor::agent(a.id)),
        };
        let (after, added) = ok(
            store
                .add_message(
                    t.id,
                    message(direction, author, &format!("step {i}")),
                    &actor,
                )
                .await,
            "add_message",
        );
        assert_eq!(
            after.status, expected,
            "step {i}: {} + {direction}",
            before.status
        );
        assert_eq!(get_ticket(store, t.id).await, after);
        assert_eq!(thread(store, t.id).await.messages.last(), Some(&added));

        let evs = events_of(store, t.id).await;
        assert_eq!(
            &evs[..events_before.len()],
            &events_before[..],
            "the log only grows"
        );
        let new_events = &evs[events_before.len()..];
        let moved = expected != before.status;
        assert_eq!(new_events.len(), if moved { 2 } else { 1 }, "step {i}");
        let added_event = new_events
            .iter()
            .find(|e| e.kind == kind::MESSAGE_ADDED)
            .unwrap_or_else(|| panic!("step {i}: no message.added"));
        assert_message_added(added_event, &added);
        for e in new_events {
            assert_eq!(e.actor, actor.as_str());
        }
        if moved {
            let updated = new_events
                .iter()
                .find(|e| e.kind == kind::TICKET_UPDATED)
                .unwrap_or_else(|| panic!("step {i}: status moved without ticket.updated"));
            assert_eq!(change_keys(updated), BTreeSet::from(["status".to_owned()]));
            assert_change(updated, "status", before.status.as_str(), expected.as_str());
        }
        assert_chain(t.id, &evs);
    }
}

pub async fn add_message_round_trip(store: &dyn Store) {
    let a = agent(store, "eva@desk.example", Role::Agent).await;
    let t = ticket(
        store,
        new_ticket(
            find_or_create(None, vec![email("ana@shop.example")]),
            "Invoice",
            "Please send the invoice",
        ),
    )
    .await;
    let invoice = attachment(store, "invoice.pdf", b"%PDF invoice").await;
    let label = attachment(store, "label.pdf", b"%PDF label").await;
    let reply = NewMessage {
        direction: Direction::Out,
        author: Author::Agent(a.id),
        text: "Here are your invoice and label.".into(),
        html: Some("<p>Here are your <b>invoice</b> and label.</p>".into()),
        channel_message_id: Some("<reply-1@desk.example>".into()),
        delivery_state: DeliveryState::Sent,
        attachments: vec![invoice.clone(), label.clone()],
        raw_sha256: None,
    };
    let (after, m) = ok(
        store
            .add_message(t.ticket.id, reply.clone(), &Actor::agent(a.id))
            .await,
        "add_message",
    );
    assert_eq!(m.ticket_id, t.ticket.id);
    assert_eq!(m.direction, Direction::Out);
    assert_eq!(m.author, Author::Agent(a.id));
    assert_eq!(m.text, reply.text);
    assert_eq!(m.html, reply.html);
    assert_eq!(m.channel_message_id, reply.channel_message_id);
    assert_eq!(m.delivery_state, DeliveryState::Sent);
    assert_eq!(
        m.attachments
            .iter()
            .map(|x| x.meta.clone())
            .collect::<Vec<_>>(),
        vec![invoice.clone(), label]
    );
    assert_ne!(m.attachments[0].id, m.attachments[1].id);
    assert!(after.updated_at >= t.ticket.updated_at);

    // The same content attached again is the same blob, a new attachment.
    let mut again = message(
        Direction::In,
        Author::Customer(t.customer.id),
        "Thanks, and again",
    );
    again.attachments = vec![invoice.clone()];
    let (_, m2) = ok(
        store
            .add_message(t.ticket.id, again, &Actor::customer(t.customer.id))
            .await,
        "add_message",
    );
    assert_eq!(m2.attachments.len(), 1);
    assert_eq!(m2.attachments[0].meta, invoice);
    assert!(m2.attachments[0].id != m.attachments[0].id);

    let th = thread(store, t.ticket.id).await;
    assert_eq!(
        th.messages,
        vec![t.messages[0].clone(), m.clone(), m2.clone()],
        "oldest first"
    );
    assert!(
        th.messages
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at)
    );
    assert_eq!(th.ticket, get_ticket(store, t.ticket.id).await);

    assert_not_found(
        store
            .add_message(
                TicketId::from_db(UNKNOWN_KEY),
                inbound("lost"),
                &Actor::system(),
            )
            .await,
        "ticket",
    );
}

pub async fn add_message_to_closed_ticket(store: &dyn Store) {
    let c = customer(store, None, vec![email("ana@shop.example")]).await;
    let t = ticket_of(store, c.id, "Done", "thanks").await;
    let closed = set_status(store, t.id, TicketStatus::Closed).await;
    let thread_before = thread(store, t.id).await;
    let events_before = events_of(store, t.id).await;
    for direction in [Direction::In, Direction::Out, Direction::Note] {
        let mut m = message(direction, Author::System, "too late");
        m.channel_message_id = Some(format!("<late-{direction}@mail.example>"));
        assert_conflict(
            store.add_message(t.id, m, &Actor::system()).await,
            "ticket_closed",
        );
    }
    assert_eq!(thread(store, t.id).await, thread_before);
    assert_eq!(events_of(store, t.id).await, events_before);
    assert_eq!(get_ticket(store, t.id).await, closed);
    assert!(found(store, "late").await.is_empty(), "nothing was indexed");
}

pub async fn add_message_duplicate_channel_id(store: &dyn Store) {
    let c = customer(store, None, vec![email("ana@shop.example")]).await;
    let with_id = |direction: Direction, id: &str| {
        let mut m = message(direction, Author::System, &format!("text of {id}"));
        m.channel_message_id = Some(id.to_owned());
        m
    };
    let mut first = new_ticket(CustomerRef::Existing(c.id), "One", "first");
    first.first_message.channel_message_id = Some("m-1".into());
    let t1 = ticket(store, first).await.ticket;
    ok(
        store
            .add_message(t1.id, with_id(Direction::In, "m-2"), &Actor::system())
            .await,
        "add m-2",
    );
    let t2 = ticket_of(store, c.id, "Two", "second").await;
    let mut chat = new_ticket(CustomerRef::Existing(c.id), "Three", "third");
    chat.channel = Channel::Chat;
    let t3 = ticket(store, chat).await.ticket;

    let snapshot = |id| async move { (thread(store, id).await, events_of(store, id).await) };
    let t1_before = snapshot(t1.id).await;
    let t2_before = snapshot(t2.id).await;
    for (target, id, direction) in [
        (t1.id, "m-2", Direction::In),
        (t1.id, "m-1", Direction::Note),
        // An outbound message would move t2 from new to open: it must not.
        (t2.id, "m-2", Direction::Out),
        (t2.id, "m-1", Direction::Out),
    ] {
        assert_conflict(
            store
                .add_message(target, with_id(direction, id), &Actor::system())
                .await,
            "duplicate_message",
        );
    }
    assert_eq!(snapshot(t1.id).await, t1_before);
    assert_eq!(snapshot(t2.id).await, t2_before);
    assert_eq!(get_ticket(store, t2.id).await.status, TicketStatus::New);

    // Another channel, another namespace; no id, no uniqueness.
    let (_, m) = ok(
        store
            .add_message(t3.id, with_id(Direction::In, "m-2"), &Actor::system())
            .await,
        "same id on chat",
    );
    assert_eq!(m.channel_message_id.as_deref(), Some("m-2"));
    for _ in 0..2 {
        ok(
            store
                .add_message(t1.id, inbound("no channel id"), &Actor::system())
                .await,
            "message without a channel id",
        );
    }
    assert_eq!(thread(store, t1.id).await.messages.len(), 4);
}

pub async fn update_ticket_records_changes(store: &dyn Store) {
    let a1 = agent(store, "a1@desk.example", Role::Agent).await;
    let c = customer(store, None, vec![email("ana@shop.example")]).await;
    let t = ticket_of(store, c.id, "Original subject", "text").await;
    let actor = Actor::agent(a1.id);

    let updated = ok(
        store
            .update_ticket(
                t.id,
                TicketPatch {
                    status: Some(TicketStatus::PendingCustomer),
                    priority: Some(Priority::High),
                    assignee: Some(Some(a1.id)),
                    tags: Some(tags(&["vip", "refund"])),
                    ..TicketPatch::default()
                },
                &actor,
            )
            .await,
        "update_ticket",
    );
    assert_eq!(updated.status, TicketStatus::PendingCustomer);
    assert_eq!(updated.priority, Priority::High);
    assert_eq!(updated.assignee, Some(a1.id));
    assert_eq!(updated.tags, tags(&["refund", "vip"]));
    assert_eq!(
        (
            updated.subject.as_str(),
            updated.customer_id,
            updated.number,
            updated.created_at
        ),
        (t.subject.as_str(), t.customer_id, t.number, t.created_at)
    );
    assert!(updated.updated_at >= t.updated_at);
    assert_eq!(get_ticket(store, t.id).await, updated);

    let evs = events_of(store, t.id).await;
    assert_eq!(evs.len(), 3, "exactly one event for the patch");
    let e = &evs[2];
    assert_eq!(e.kind, kind::TICKET_UPDATED);
    assert_eq!(e.actor, actor.as_str());
    assert_eq!(
        change_keys(e),
        BTreeSet::from(["assignee", "priority", "status", "tags"].map(String::from))
    );
    assert_change(e, "status", "new", "pending_customer");
    assert_change(e, "priority", "normal", "high");

    // Only what differs is listed.
    let second = ok(
        store
            .update_ticket(
                t.id,
                TicketPatch {
                    subject: Some(subject("New subject")),
                    priority: Some(Priority::High),
                    language: Some(Some(Language::RO)),
                    tags: Some(tags(&["refund", "vip"])),
                    ..TicketPatch::default()
                },
                &actor,
            )
            .await,
        "update_ticket",
    );
    assert_eq!(second.subject, "New subject");
    assert_eq!(second.language, Some(Language::RO));
    let evs = events_of(store, t.id).await;
    assert_eq!(evs.len(), 4);
    assert_eq!(
        change_keys(&evs[3]),
        BTreeSet::from(["language", "subject"].map(String::from))
    );
    assert_change(&evs[3], "subject", "Original subject", "New subject");

    let unassigned = ok(
        store
            .update_ticket(
                t.id,
                TicketPatch {
                    assignee: Some(None),
                    tags: Some(Vec::new()),
                    language: Some(None),
                    ..TicketPatch::default()
                },
                &actor,
            )
            .await,
        "update_ticket",
    );
    assert_eq!(unassigned.assignee, None);
    assert_eq!(unassigned.tags, Vec::new());
    assert_eq!(unassigned.language, None);
    let evs = events_of(store, t.id).await;
    assert_eq!(evs.len(), 5);
    assert_eq!(
        change_keys(&evs[4]),
        BTreeSet::from(["assignee", "language", "tags"].map(String::from))
    );
    assert_chain(t.id, &evs);
}

pub async fn update_ticket_without_changes(store: &dyn Store) {
    let a1 = agent(store, "a1@desk.example", Role::Agent).await;
    let c = customer(store, None, vec![email("ana@shop.example")]).await;
    let mut new = new_ticket(CustomerRef::Existing(c.id), "Same", "text");
    new.tags = tags(&["b", "a"]);
    new.assignee = Some(a1.id);
    let t = ticket(store, new).await.ticket;
    let events_before = events_of(store, t.id).await;

    let empty = ok(
        store
            .update_ticket(t.id, TicketPatch::default(), &Actor::system())
            .await,
        "empty patch",
    );
    assert_eq!(
        empty, t,
        "an empty patch changes nothing, updated_at included"
    );
    let same = ok(
        store
            .update_ticket(
                t.id,
                TicketPatch {
                    subject: Some(subject("Same")),
                    status: Some(TicketStatus::New),
                    priority: Some(Priority::Normal),
                    assignee: Some(Some(a1.id)),
                    tags: Some(tags(&["a", "b"])),
                    language: Some(None),
                },
                &Actor::system(),
            )
            .await,
        "patch with the current values",
    );
    assert_eq!(same, t);
    assert_eq!(get_ticket(store, t.id).await, t);
    assert_eq!(
        events_of(store, t.id).await,
        events_before,
        "no event when nothing changed"
    );
}

pub async fn update_ticket_refusals(store: &dyn Store) {
    let c = customer(store, None, vec![email("ana@shop.example")]).await;
    let t = ticket_of(store, c.id, "Refusals", "text").await;
    let events_before = events_of(store, t.id).await;

    assert_not_found(
        store
            .update_ticket(
                t.id,
                TicketPatch {
                    priority: Some(Priority::Urgent),
                    assignee: Some(Some(unknown_agent())),
                    ..TicketPatch::default()
                },
                &Actor::system(),
            )
            .await,
        "agent",
    );
    assert_eq!(
        get_ticket(store, t.id).await,
        t,
        "the whole patch was refused"
    );
    assert_eq!(events_of(store, t.id).await, events_before);

    assert_not_found(
        store
            .update_ticket(
                TicketId::from_db(UNKNOWN_KEY),
                TicketPatch {
                    priority: Some(Priority::Low),
                    ..TicketPatch::default()
                },
                &Actor::system(),
            )
            .await,
        "ticket",
    );

    let closed = set_status(store, t.id, TicketStatus::Closed).await;
    let events_closed = events_of(store, t.id).await;
    assert_eq!(events_closed.len(), events_before.len() + 1);
    for status in [
        TicketStatus::Open,
        TicketStatus::New,
        TicketStatus::Resolved,
    ] {
        assert_conflict(
            store
                .update_ticket(
                    t.id,
                    TicketPatch {
                        status: Some(status),
                        ..TicketPatch::default()
                    },
                    &Actor::system(),
                )
                .await,
            "ticket_closed",
        );
    }
    assert_eq!(get_ticket(store, t.id).await, closed);
    let still = set_status(store, t.id, TicketStatus::Closed).await;
    assert_eq!(still, closed, "closed to closed is no change");
    assert_eq!(events_of(store, t.id).await, events_closed);
}
