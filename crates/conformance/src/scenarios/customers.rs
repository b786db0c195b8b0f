//! Customers: identities unique per (kind, value), patches, listing, merging, and finding or
//! creating the customer of a new ticket.

use std::collections::BTreeSet;

use trustdesk_domain::event::kind;
use trustdesk_domain::time::now;
use trustdesk_domain::{CustomerId, Identity, IdentityKind, Language, Role};
use trustdesk_store::{
    Actor, CustomerFilter, CustomerPatch, NewCustomer, PageRequest, Store, TicketFilter,
};

use super::*;

pub async fn customer_create_and_get(store: &dyn Store) {
    let before = now();
    let created = ok(
        store
            .create_customer(NewCustomer {
                name: Some("Ana Pop".into()),
                language: Some(Language::RO),
                identities: vec![
                    phone("+40 721 000 111"),
                    email("zoe.pop@shop.example"),
                    email("Ana.Pop@Shop.Example"),
                ],
            })
            .await,
        "create_customer",
    );
    let after = now();
    assert_eq!(created.name.as_deref(), Some("Ana Pop"));
    assert_eq!(created.language, Some(Language::RO));
    assert_eq!(
        created.identities,
        vec![
            email("ana.pop@shop.example"),
            email("zoe.pop@shop.example"),
            phone("+40721000111"),
        ],
        "identities sorted by (kind, value)"
    );
    assert_eq!(created.merged_into, None);
    assert!(before <= created.created_at && created.created_at <= after);
    assert!(created.updated_at >= created.created_at);
    assert_eq!(ok(store.get_customer(created.id).await, "get"), created);

    let bare = ok(
        store.create_customer(NewCustomer::default()).await,
        "create a customer without anything",
    );
    assert_ne!(bare.id, created.id);
    assert_eq!(
        (bare.name.clone(), bare.language, bare.identities.len()),
        (None, None, 0)
    );
    assert_eq!(ok(store.get_customer(bare.id).await, "get"), bare);

    assert_not_found(
        store.get_customer(CustomerId::from_db(UNKNOWN_KEY)).await,
        "customer",
    );
}

pub async fn customer_identity_taken_on_create(store: &dyn Store) {
    let a = customer(
        store,
        Some("A"),
        vec![email("a@shop.example"), phone("+48 601 000 001")],
    )
    .await;

    assert_conflict(
        store
            .create_customer(new_customer(
                Some("B"),
                vec![email("b@shop.example"), email("a@shop.example")],
            ))
            .await,
        "identity_taken",
    );
    assert_conflict(
        store
            .create_customer(new_customer(Some("B"), vec![phone("+48601000001")]))
            .await,
        "identity_taken",
    );
    // Nothing of the refused customers was kept: not the customer, not its free identity.
    assert_eq!(live_customer_count(store).await, 1);
    assert_eq!(find(store, &email("b@shop.example")).await, None);
    assert_eq!(
        find(store, &email("a@shop.example")).await.map(|c| c.id),
        Some(a.id)
    );

    let b = customer(store, Some("B"), vec![email("b@shop.example")]).await;
    assert_eq!(b.identities, vec![email("b@shop.example")]);
    assert_eq!(live_customer_count(store).await, 2);
}

pub async fn customer_find_by_identity(store: &dyn Store) {
    let a = customer(
        store,
        Some("Ana"),
        vec![email("ana@shop.example"), phone("+62 812 3456 7890")],
    )
    .await;
    let b = customer(store, Some("Budi"), vec![email("budi@shop.example")]).await;
    let telegram = Identity::parse(IdentityKind::Telegram, "ana_pop").expect("telegram id");
    let c = customer(store, Some("Cici"), vec![telegram.clone()]).await;
    // The same value under another kind is another identity.
    let visitor = Identity::parse(IdentityKind::ChatVisitor, "ana_pop").expect("visitor id");
    assert_eq!(find(store, &visitor).await, None);
    let d = customer(store, Some("Dewi"), vec![visitor.clone()]).await;

    assert_eq!(
        find(store, &email("ana@shop.example")).await,
        Some(a.clone())
    );
    assert_eq!(find(store, &phone("+6281234567890")).await, Some(a));
    assert_eq!(find(store, &email("budi@shop.example")).await, Some(b));
    assert_eq!(find(store, &telegram).await, Some(c));
    assert_eq!(find(store, &visitor).await, Some(d));
    assert_eq!(find(store, &email("nobody@shop.example")).await, None);
    assert_eq!(find(store, &phone("+6281234567891")).await, None);
}

pub async fn customer_update(store: &dyn Store) {
    let c = ok(
        store
            .create_customer(NewCustomer {
                name: Some("Jan Kowalski".into()),
                language: Some(Language::PL),
                identities: vec![email("jan@shop.example"), phone("+48 601 234 567")],
            })
            .await,
        "create_customer",
    );

    let untouched = ok(
        store.update_customer(c.id, CustomerPatch::default()).await,
        "empty patch",
    );
    assert_eq!(
        (&untouched.name, untouched.language, &untouched.identities),
        (&c.name, c.language, &c.identities),
        "an empty patch changes nothing"
    );

    let updated = ok(
        store
            .update_customer(
                c.id,
                CustomerPatch {
                    name: Some(Some("Jan K.".into())),
                    language: Some(None),
                    add_identities: vec![email("kowalski@shop.example")],
                    remove_identities: vec![phone("+48601234567")],
                },
            )
            .await,
        "update_customer",
    );
    assert_eq!(updated.id, c.id);
    assert_eq!(updated.name.as_deref(), Some("Jan K."));
    assert_eq!(updated.language, None);
    assert_eq!(
        updated.identities,
        vec![email("jan@shop.example"), email("kowalski@shop.example")]
    );
    assert_eq!(updated.merged_into, None);
    assert_eq!(updated.created_at, c.created_at);
    assert!(updated.updated_at >= c.updated_at);
    assert_eq!(ok(store.get_customer(c.id).await, "get"), updated);

    // A removed identity is free for someone else.
    assert_eq!(find(store, &phone("+48601234567")).await, None);
    let other = customer(store, None, vec![phone("+48601234567")]).await;
    assert_eq!(
        find(store, &phone("+48601234567")).await.map(|x| x.id),
        Some(other.id)
    );

    let cleared = ok(
        store
            .update_customer(
                c.id,
                CustomerPatch {
                    name: Some(None),
                    ..CustomerPatch::default()
                },
            )
            .await,
        "clear the name",
    );
    assert_eq!(cleared.name, None);
    assert_eq!(cleared.identities, updated.identities);

    assert_not_found(
        store
            .update_customer(
                CustomerId::from_db(UNKNOWN_KEY),
                CustomerPatch {
                    name: Some(Some("x".into())),
                    ..CustomerPatch::default()
                },
            )
            .await,
        "customer",
    );
}

pub async fn customer_update_identity_taken(store: &dyn Store) {
    let a = customer(store, Some("A"), vec![email("a@shop.example")]).await;
    let b = customer(store, Some("B"), vec![email("b@shop.example")]).await;
    assert_conflict(
        store
            .update_customer(
                b.id,
                CustomerPatch {
                    name: Some(Some("B2".into())),
                    add_identities: vec![email("c@shop.example"), email("a@shop.example")],
                    remove_identities: vec![email("b@shop.example")],
                    ..CustomerPatch::default()
                },
            )
            .await,
        "identity_taken",
    );
    // The whole patch was refused.
    assert_eq!(ok(store.get_customer(b.id).await, "get"), b);
    assert_eq!(ok(store.get_customer(a.id).await, "get"), a);
    assert_eq!(find(store, &email("c@shop.example")).await, None);
    assert_eq!(
        find(store, &email("b@shop.example")).await.map(|x| x.id),
        Some(b.id)
    );
}

pub async fn customer_list_filter_and_pages(store: &dyn Store) {
    let lukasz = customer(
        store,
        Some("Łukasz Nowak"),
        vec![email("lukasz@shop.example")],
    )
    .await;
    let anna = customer(store, Some("Anna Nowak"), vec![email("anna@mail.example")]).await;
    let piotr = customer(store, None, vec![email("p.nowakowski@mail.example")]).await;
    let maria = customer(
        store,
        Some("Maria Zielińska"),
        vec![phone("+48 602 111 222")],
    )
    .await;
    let cotton = customer(store, Some("100% Cotton Ltd"), vec![]).await;
    let ion = customer(store, Some("Ion Popescu"), vec![phone("+40 722 333 444")]).await;
    let ayu = customer(store, Some("Ayu"), vec![email("ayu@toko.example")]).await;
    let all = [&lukasz, &anna, &piotr, &maria, &cotton, &ion, &ayu];

    let list = |text: &str, include_merged: bool, limit: u32| {
        let filter = CustomerFilter {
            text: Some(text.to_owned()),
            include_merged,
        };
        async move {
            ok(
                store
                    .list_customers(&filter, PageRequest::first(limit))
                    .await,
                "list_customers",
            )
        }
    };
    let ids = |customers: &[&trustdesk_store::Customer]| -> BTreeSet<CustomerId> {
        customers.iter().map(|c| c.id).collect()
    };
    let listed = |page: &trustdesk_store::Page<trustdesk_store::Customer>| -> BTreeSet<CustomerId> {
        page.items.iter().map(|c| c.id).collect()
    };

    let nowak = list("nowak", false, 50).await;
    assert_eq!(
        listed(&nowak),
        ids(&[&lukasz, &anna, &piotr]),
        "name or identity"
    );
    assert_eq!(nowak.total, 3);
    assert_eq!(
        listed(&list("NOWAK", false, 50).await),
        ids(&[&lukasz, &anna, &piotr])
    );
    assert_eq!(
        listed(&list("mail.example", false, 50).await),
        ids(&[&anna, &piotr])
    );
    assert_eq!(listed(&list("+4860", false, 50).await), ids(&[&maria]));
    assert_eq!(listed(&list("popescu", false, 50).await), ids(&[&ion]));
    // LIKE wildcards are plain characters.
    assert_eq!(listed(&list("%", false, 50).await), ids(&[&cotton]));
    assert_eq!(list("_", false, 50).await.total, 0);
    assert_eq!(list("nobody-has-this", false, 50).await.total, 0);
    // Case-insensitive beyond ASCII: Polish and Romanian names are the common case.
    assert_eq!(
        listed(&list("łukasz", false, 50).await),
        ids(&[&lukasz]),
        "lower-case search for a name written with a capital Ł"
    );
    assert_eq!(
        listed(&list("ZIELIŃSKA", false, 50).await),
        ids(&[&maria]),
        "upper-case search for a name written with ń"
    );

    // Pages of 3 over all 7, newest first, no duplicates, exact totals.
    let mut seen = Vec::new();
    let mut before = None;
    let mut sizes = Vec::new();
    loop {
        let page = ok(
            store
                .list_customers(&CustomerFilter::default(), PageRequest { limit: 3, before })
                .await,
            "list_customers",
        );
        assert_eq!(page.total, 7);
        sizes.push(page.items.len());
        seen.extend(page.items.iter().map(|c| c.id));
        match page.next {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    assert_eq!(sizes, vec![3, 3, 1]);
    let mut newest_first: Vec<CustomerId> = all.iter().map(|c| c.id).collect();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    let exact = ok(
        store
            .list_customers(&CustomerFilter::default(), PageRequest::first(7))
            .await,
        "list_customers",
    );
    assert_eq!((exact.items.len(), exact.next), (7, None));
    assert_eq!(exact.items[0], ayu, "listed records are the stored ones");

    // Merged customers only when asked for.
    ok(
        store
            .merge_customers(anna.id, lukasz.id, &Actor::system())
            .await,
        "merge",
    );
    let live = list("nowak", false, 50).await;
    assert_eq!(listed(&live), ids(&[&anna, &piotr]));
    assert_eq!(live.total, 2);
    let with_merged = list("nowak", true, 50).await;
    assert_eq!(listed(&with_merged), ids(&[&lukasz, &anna, &piotr]));
    assert_eq!(with_merged.total, 3);
    let merged_one = with_merged
        .items
        .iter()
        .find(|c| c.id == lukasz.id)
        .map(|c| c.merged_into);
    assert_eq!(merged_one, Some(Some(anna.id)));
    assert_eq!(live_customer_count(store).await, 6);
    let everyone = ok(
        store
            .list_customers(
                &CustomerFilter {
                    text: None,
                    include_merged: true,
                },
                PageRequest::first(50),
            )
            .await,
        "list_customers",
    );
    assert_eq!(everyone.total, 7);
}

pub async fn customer_merge(store: &dyn Store) {
    let boss = agent(store, "lead@desk.example", Role::Admin).await;
    let actor = Actor::agent(boss.id);
    let into = customer(store, Some("Zenobia Quill"), vec![email("zq@shop.example")]).await;
    let merged = ok(
        store
            .create_customer(NewCustomer {
                name: Some("Bartholomew".into()),
                language: Some(Language::PL),
                identities: vec![email("bart@shop.example"), phone("+48 603 000 003")],
            })
            .await,
        "create_customer",
    );
    let own = ticket_of(store, into.id, "Order 1", "first").await;
    let moved1 = ticket_of(store, merged.id, "Order 2", "second").await;
    let moved2 = ticket_of(store, merged.id, "Order 3", "third").await;

    let result = ok(
        store.merge_customers(into.id, merged.id, &actor).await,
        "merge_customers",
    );
    assert_eq!(result.id, into.id);
    assert_eq!(
        result.name.as_deref(),
        Some("Zenobia Quill"),
        "a name is kept"
    );
    assert_eq!(
        result.language,
        Some(Language::PL),
        "an empty language is filled"
    );
    assert_eq!(
        result.identities,
        vec![
            email("bart@shop.example"),
            email("zq@shop.example"),
            phone("+48603000003"),
        ]
    );
    assert_eq!(result.merged_into, None);
    assert_eq!(ok(store.get_customer(into.id).await, "get"), result);

    let gone = ok(
        store.get_customer(merged.id).await,
        "a merged customer is still there",
    );
    assert_eq!(gone.merged_into, Some(into.id));
    assert_eq!(
        gone.identities,
        Vec::<Identity>::new(),
        "its identities moved"
    );
    assert_eq!(
        find(store, &email("bart@shop.example")).await.map(|c| c.id),
        Some(into.id)
    );
    assert_eq!(
        find(store, &phone("+48603000003")).await.map(|c| c.id),
        Some(into.id)
    );

    let (theirs, _) = walk_tickets(
        store,
        &TicketFilter {
            customer: Some(into.id),
            ..TicketFilter::default()
        },
        50,
    )
    .await;
    assert_eq!(
        theirs.iter().map(|t| t.id).collect::<BTreeSet<_>>(),
        BTreeSet::from([own.id, moved1.id, moved2.id])
    );
    assert_eq!(
        ticket_count(
            store,
            &TicketFilter {
                customer: Some(merged.id),
                ..TicketFilter::default()
            }
        )
        .await,
        0
    );
    let moved_thread = thread(store, moved1.id).await;
    assert_eq!(moved_thread.ticket.customer_id, into.id);
    assert_eq!(moved_thread.customer, result);

    for moved in [moved1.id, moved2.id] {
        let evs = events_of(store, moved).await;
        assert_eq!(evs.len(), 3, "created, first message, merged");
        let last = &evs[2];
        assert_eq!(last.kind, kind::CUSTOMER_MERGED);
        assert_eq!(last.actor, actor.as_str());
        assert_chain(moved, &evs);
    }
    let own_events = events_of(store, own.id).await;
    assert_eq!(
        own_events
            .iter()
            .map(|e| e.kind.as_str())
            .collect::<Vec<_>>(),
        vec![kind::TICKET_CREATED, kind::MESSAGE_ADDED],
        "tickets that did not move get no merge event"
    );

    // A customer without name or language takes both from the one merged into it.
    let x = customer(store, None, vec![email("x@shop.example")]).await;
    let y = ok(
        store
            .create_customer(NewCustomer {
                name: Some("Yolanda".into()),
                language: Some(Language::RO),
                identities: vec![email("y@shop.example")],
            })
            .await,
        "create_customer",
    );
    let filled = ok(
        store.merge_customers(x.id, y.id, &Actor::system()).await,
        "merge",
    );
    assert_eq!(filled.name.as_deref(), Some("Yolanda"));
    assert_eq!(filled.language, Some(Language::RO));
    assert_eq!(
        filled.identities,
        vec![email("x@shop.example"), email("y@shop.example")]
    );
}

pub async fn customer_merge_refusals(store: &dyn Store) {
    let a = customer(store, Some("A"), vec![email("a@shop.example")]).await;
    let b = customer(store, Some("B"), vec![email("b@shop.example")]).await;
    let c = customer(store, Some("C"), vec![email("c@shop.example")]).await;
    let tc = ticket_of(store, c.id, "C's order", "hello").await;
    let actor = Actor::system();

    assert_conflict(
        store.merge_customers(a.id, a.id, &actor).await,
        "merge_self",
    );
    ok(store.merge_customers(a.id, b.id, &actor).await, "merge");
    assert_conflict(
        store.merge_customers(a.id, b.id, &actor).await,
        "already_merged",
    );
    assert_conflict(
        store.merge_customers(c.id, b.id, &actor).await,
        "already_merged",
    );
    assert_conflict(
        store.merge_customers(b.id, c.id, &actor).await,
        "already_merged",
    );
    assert_not_found(
        store
            .merge_customers(a.id, CustomerId::from_db(UNKNOWN_KEY), &actor)
            .await,
        "customer",
    );
    assert_not_found(
        store
            .merge_customers(CustomerId::from_db(UNKNOWN_KEY), c.id, &actor)
            .await,
        "customer",
    );
    // The refusals left C, its identity and its ticket alone.
    assert_eq!(ok(store.get_customer(c.id).await, "get"), c);
    assert_eq!(get_ticket(store, tc.id).await, tc);
    assert_eq!(events_of(store, tc.id).await.len(), 2);
    let b_now = ok(store.get_customer(b.id).await, "get");
    assert_eq!(b_now.merged_into, Some(a.id));
}

pub async fn find_or_create_by_email(store: &dyn Store) {
    let first = ticket(
        store,
        new_ticket(
            find_or_create(Some("Ana"), vec![email("ana@shop.example")]),
            "Where is my order?",
            "It has been a week.",
        ),
    )
    .await;
    let ana = first.customer.clone();
    assert_eq!(ana.name.as_deref(), Some("Ana"));
    assert_eq!(ana.language, None);
    assert_eq!(ana.identities, vec![email("ana@shop.example")]);
    assert_eq!(first.ticket.customer_id, ana.id);

    let mut again = new_ticket(
        CustomerRef::FindOrCreate(NewCustomer {
            name: Some("Somebody Else".into()),
            language: Some(Language::RO),
            identities: vec![email("ANA@Shop.Example")],
        }),
        "Another question",
        "Me again.",
    );
    again.language = Some(Language::RO);
    let second = ticket(store, again).await;
    assert_eq!(second.customer.id, ana.id, "found by the same address");
    assert_eq!(
        second.customer.name.as_deref(),
        Some("Ana"),
        "a name is kept"
    );
    assert_eq!(
        second.customer.language,
        Some(Language::RO),
        "a gap is filled"
    );
    assert_eq!(second.customer.identities, ana.identities);
    assert_eq!(ok(store.get_customer(ana.id).await, "get"), second.customer);

    let third = ticket(
        store,
        new_ticket(
            find_or_create(None, vec![email("other@shop.example")]),
            "Hello",
            "Hi",
        ),
    )
    .await;
    assert_ne!(third.customer.id, ana.id);
    assert_eq!(third.customer.name, None);
    assert_eq!(live_customer_count(store).await, 2);
    assert_eq!(
        ticket_count(
            store,
            &TicketFilter {
                customer: Some(ana.id),
                ..TicketFilter::default()
            }
        )
        .await,
        2
    );
}

pub async fn find_or_create_by_phone(store: &dyn Store) {
    let first = ticket(
        store,
        new_ticket(
            find_or_create(None, vec![phone("+48 601 234 567")]),
            "Telefon",
            "Dzwoniłem wczoraj.",
        ),
    )
    .await;
    let second = ticket(
        store,
        new_ticket(
            CustomerRef::FindOrCreate(NewCustomer {
                name: Some("Piotr".into()),
                language: Some(Language::PL),
                identities: vec![email("piotr@shop.example"), phone("+48601234567")],
            }),
            "Mail",
            "Piszę też mailem.",
        ),
    )
    .await;
    assert_eq!(second.customer.id, first.customer.id, "found by phone");
    assert_eq!(
        second.customer.identities,
        vec![email("piotr@shop.example"), phone("+48601234567")],
        "the unknown address was added to the customer found"
    );
    assert_eq!(second.customer.name.as_deref(), Some("Piotr"));
    assert_eq!(second.customer.language, Some(Language::PL));
    assert_eq!(
        find(store, &email("piotr@shop.example"))
            .await
            .map(|c| c.id),
        Some(first.customer.id)
    );
    assert_eq!(live_customer_count(store).await, 1);
}

pub async fn find_or_create_first_match_wins(store: &dyn Store) {
    let x = customer(store, Some("X"), vec![email("x@shop.example")]).await;
    let y = customer(store, Some("Y"), vec![phone("+40 711 222 333")]).await;
    let t = ticket(
        store,
        new_ticket(
            find_or_create(
                Some("Z"),
                vec![
                    email("x@shop.example"),
                    phone("+40711222333"),
                    email("new@shop.example"),
                ],
            ),
            "Both of us",
            "Which one am I?",
        ),
    )
    .await;
    assert_eq!(t.customer.id, x.id, "the first identity that matches wins");
    assert_eq!(t.customer.name.as_deref(), Some("X"));
    assert_eq!(
        t.customer.identities,
        vec![email("new@shop.example"), email("x@shop.example")],
        "only identities that belong to nobody are added"
    );
    assert_eq!(
        ok(store.get_customer(y.id).await, "get"),
        y,
        "Y keeps its phone"
    );
    assert_eq!(live_customer_count(store).await, 2);
}
