//! Search: one document per ticket (subject, customer, every message), every query word must
//! match, diacritics folded and words stemmed by the domain's analyzer, totals in tickets,
//! snippets, ranking, and re-indexing when the customer or subject changes.

use std::collections::BTreeSet;

use trustdesk_domain::text::Query;
use trustdesk_domain::{Direction, Language, TicketId};
use trustdesk_store::{Actor, Author, CustomerPatch, CustomerRef, Store, TicketPatch};

use super::*;

fn ids(list: &[TicketId]) -> BTreeSet<TicketId> {
    list.iter().copied().collect()
}

pub async fn search_folds_diacritics(store: &dyn Store) {
    let c = customer(store, Some("Ewa"), vec![email("ewa@sklep.example")]).await;
    let plain = ticket_of(
        store,
        c.id,
        "Reklamacja",
        "Proszę o zwrot pieniedzy za buty",
    )
    .await;
    let marked = ticket_of(store, c.id, "Reklamacja", "Chcę zwrot pieniędzy, proszę").await;
    let other = ticket_of(store, c.id, "Paczka", "Gdzie jest moja paczka?").await;

    let both = ids(&[plain.id, marked.id]);
    assert_eq!(found(store, "zwrot pieniędzy").await, both);
    assert_eq!(found(store, "zwrot pieniedzy").await, both);
    assert_eq!(found(store, "PIENIĘDZY").await, both);
    assert_eq!(found(store, "proszę").await, both);
    assert_eq!(found(store, "chce").await, ids(&[marked.id]));
    assert_eq!(found(store, "paczka").await, ids(&[other.id]));
}

pub async fn search_stems(store: &dyn Store) {
    let c = customer(store, None, vec![email("pat@shop.example")]).await;
    let refunds = ticket_of(store, c.id, "Money", "I asked for refunds twice").await;
    let refund = ticket_of(store, c.id, "Money", "Please refund my order").await;
    let parcel = ticket_of(store, c.id, "Where", "Where is my parcel").await;
    let mut polish = new_ticket(
        CustomerRef::Existing(c.id),
        "Zamówienie",
        "Zamówienie nie dotarło",
    );
    polish.language = Some(Language::PL);
    let polish = ticket(store, polish).await.ticket;

    let both = ids(&[refunds.id, refund.id]);
    assert_eq!(found(store, "refund").await, both);
    assert_eq!(found(store, "refunds").await, both);
    assert_eq!(found(store, "refunded").await, both);
    assert_eq!(found(store, "parcels").await, ids(&[parcel.id]));
    assert_eq!(found(store, "zamówienia").await, ids(&[polish.id]));
}

pub async fn search_all_words_across_fields(store: &dyn Store) {
    let marta = customer(
        store,
        Some("Marta Kowalska"),
        vec![email("marta.k@sklep.example")],
    )
    .await;
    let jan = customer(store, Some("Jan"), vec![email("jan@shop.example")]).await;
    let t1 = ticket_of(
        store,
        marta.id,
        "Broken kettle",
        "The lid cracked on arrival",
    )
    .await;
    let t2 = ticket_of(
        store,
        jan.id,
        "Kettle question",
        "Does the kettle have a warranty",
    )
    .await;

    assert_eq!(
        found(store, "kettle kowalska cracked sklep").await,
        ids(&[t1.id])
    );
    assert_eq!(found(store, "kettle").await, ids(&[t1.id, t2.id]));
    assert_eq!(found(store, "kettle cracked").await, ids(&[t1.id]));
    assert_eq!(found(store, "kettle warranty").await, ids(&[t2.id]));
    assert_eq!(
        found(store, "cracked warranty").await,
        ids(&[]),
        "words in two different tickets match neither"
    );
    assert_eq!(
        found(store, "kowalska").await,
        ids(&[t1.id]),
        "customer name"
    );
    assert_eq!(
        found(store, "marta.k@sklep.example").await,
        ids(&[t1.id]),
        "identity"
    );
    assert_eq!(found(store, "kettle nonexistentword").await, ids(&[]));

    // Later messages and notes belong to the same document.
    ok(
        store
            .add_message(t1.id, inbound("and the handle is loose"), &Actor::system())
            .await,
        "add_message",
    );
    ok(
        store
            .add_message(
                t2.id,
                message(Direction::Note, Author::System, "customer promised a photo"),
                &Actor::system(),
            )
            .await,
        "add note",
    );
    assert_eq!(found(store, "broken handle").await, ids(&[t1.id]));
    assert_eq!(found(store, "photo warranty jan").await, ids(&[t2.id]));
}

pub async fn search_total_counts_tickets(store: &dyn Store) {
    let c = customer(store, None, vec![email("v@shop.example")]).await;
    let mut matching = Vec::new();
    for i in 0..7 {
        let t = ticket_of(store, c.id, &format!("Case {i}"), "I have a voucher code").await;
        ok(
            store
                .add_message(t.id, inbound("the voucher does not work"), &Actor::system())
                .await,
            "add_message",
        );
        matching.push(t.id);
    }
    for i in 0..3 {
        ticket_of(store, c.id, &format!("Other {i}"), "nothing to see").await;
    }
    let page = search(store, "voucher", 3).await;
    assert_eq!(page.total, 7, "total counts tickets, not messages");
    assert_eq!(page.hits.len(), 3);
    assert_eq!(found(store, "voucher").await, ids(&matching));
    let one = search(store, "voucher", 1).await;
    assert_eq!((one.total, one.hits.len()), (7, 1));
}

pub async fn search_empty_queries(store: &dyn Store) {
    let c = customer(store, Some("Ana"), vec![email("ana@shop.example")]).await;
    ticket_of(store, c.id, "Anything", "some words here").await;
    for q in ["", "   ", "?!", "...", "\"\"", "* - ()", "—", "\t\n"] {
        assert!(
            Query::parse(q).is_empty(),
            "fixture: {q:?} is an empty query"
        );
        let r = search(store, q, 10).await;
        assert_eq!((r.total, r.hits.len()), (0, 0), "query {q:?}");
    }
}

pub async fn search_syntax_is_inert(store: &dyn Store) {
    let c = customer(store, None, vec![email("x@shop.example")]).await;
    let t1 = ticket_of(
        store,
        c.id,
        "Refund request",
        "O'Brien said the kettle is broken, refund for order 1043",
    )
    .await;
    let t2 = ticket_of(store, c.id, "Paths", "a back slash and a forward one").await;
    let hostile = [
        "\"",
        "\"refund",
        "refund\"",
        "\"refund kettle\"",
        "refund*",
        "*",
        "*refund",
        "NEAR(refund kettle)",
        "NEAR(refund, 2)",
        "-refund",
        "refund -kettle",
        "col:refund",
        "subject:refund",
        "refund AND OR NOT",
        "AND",
        "OR",
        "NOT",
        "AND OR NOT",
        "O'Brien",
        "'",
        "''",
        "\\",
        "refund\\",
        "back\\slash",
        "(((",
        "refund)",
        "^refund",
        "refund:*",
        "&|!",
        "'refund' & 'x'",
        "refund | kettle",
        "!refund",
        "<->",
        "refund <-> kettle",
        "{refund}",
        "[refund]",
        "%",
        "_",
        "refund;DROP TABLE tickets",
        "\u{0}",
        "zwrot\u{301}",
        "ﬁ",
        "🙂 refund",
    ];
    for q in hostile {
        let r = store
            .search(&SearchRequest {
                query: Query::parse(q),
                limit: 10,
            })
            .await;
        assert!(r.is_ok(), "query {q:?} failed: {r:?}");
    }
    let refund = ids(&[t1.id]);
    for q in [
        "\"refund",
        "refund\"",
        "refund*",
        "*refund",
        "-refund",
        "^refund",
        "refund:*",
        "!refund",
        "{refund}",
        "[refund]",
        "refund)",
        "'refund'",
        "🙂 refund",
        "O'Brien",
        "\"refund kettle\"",
        "refund -kettle",
        "refund <-> kettle",
    ] {
        assert_eq!(found(store, q).await, refund, "query {q:?}");
    }
    assert_eq!(found(store, "back\\slash").await, ids(&[t2.id]));
    assert_eq!(found(store, "AND OR NOT").await, ids(&[]));
}

pub async fn search_snippet_and_hit_fields(store: &dyn Store) {
    let c = customer(store, Some("Quentin"), vec![email("q@shop.example")]).await;
    let t = ticket(
        store,
        new_ticket(
            CustomerRef::Existing(c.id),
            "Order 1043",
            "Dzień dobry, proszę o Zwrot pieniędzy za zamówienie 1043.",
        ),
    )
    .await;
    let (_, later) = ok(
        store
            .add_message(
                t.ticket.id,
                inbound("Nothing else to add"),
                &Actor::system(),
            )
            .await,
        "add_message",
    );
    let r = search(store, "zwrot", 10).await;
    assert_eq!(r.total, 1);
    let hit = &r.hits[0];
    let now_ticket = get_ticket(store, t.ticket.id).await;
    assert_eq!(hit.ticket_id, now_ticket.id);
    assert_eq!(hit.number, now_ticket.number);
    assert_eq!(hit.subject, now_ticket.subject);
    assert_eq!(hit.status, now_ticket.status);
    assert_eq!(hit.customer_id, c.id);
    assert_eq!(hit.updated_at, now_ticket.updated_at);
    assert_eq!(
        hit.message_id,
        Some(t.messages[0].id),
        "the matching message"
    );
    assert_ne!(hit.message_id, Some(later.id));
    let q = Query::parse("zwrot");
    assert_eq!(hit.snippet, q.snippet(&t.messages[0].text, 160));
    assert!(hit.snippet.contains("[Zwrot]"), "{}", hit.snippet);

    // A match in the subject only: the snippet is the subject's.
    let s = ticket_of(store, c.id, "Kettle refund", "hello there").await;
    let r = search(store, "kettle", 10).await;
    assert_eq!(r.hits.len(), 1);
    assert_eq!(r.hits[0].ticket_id, s.id);
    assert_eq!(r.hits[0].message_id, None);
    assert_eq!(
        r.hits[0].snippet,
        Query::parse("kettle").snippet("Kettle refund", 160)
    );
    assert!(
        r.hits[0].snippet.contains("[Kettle]"),
        "{}",
        r.hits[0].snippet
    );

    // A match in the customer only: still the subject's text, no message.
    let r = search(store, "quentin", 10).await;
    assert_eq!(r.total, 2);
    for hit in &r.hits {
        assert_eq!(hit.message_id, None);
        let subj = if hit.ticket_id == s.id {
            "Kettle refund"
        } else {
            "Order 1043"
        };
        assert_eq!(hit.snippet, Query::parse("quentin").snippet(subj, 160));
    }
}

pub async fn search_ranking(store: &dyn Store) {
    let c = customer(store, Some("Pat"), vec![email("pat@shop.example")]).await;
    let many = ticket_of(
        store,
        c.id,
        "Question",
        "refund refund refund: I want a refund, the refund is late, refund please",
    )
    .await;
    let once = ticket_of(
        store,
        c.id,
        "Question",
        "please refund the order; the parcel was lost between the warehouse and my house",
    )
    .await;
    let r = search(store, "refund", 10).await;
    assert_eq!(
        r.hits.iter().map(|h| h.ticket_id).collect::<Vec<_>>(),
        vec![many.id, once.id],
        "many occurrences rank before one, though that one is newer"
    );
    assert!(
        r.hits[0].score > r.hits[1].score,
        "higher score is better: {:?}",
        r.hits
    );

    // Equal documents: newest first.
    let older = ticket_of(store, c.id, "Same", "identical warehouse words").await;
    let newer = ticket_of(store, c.id, "Same", "identical warehouse words").await;
    let r = search(store, "identical", 10).await;
    assert_eq!(
        r.hits.iter().map(|h| h.ticket_id).collect::<Vec<_>>(),
        vec![newer.id, older.id]
    );
}

pub async fn search_reindexes_customer_changes(store: &dyn Store) {
    let anna = customer(
        store,
        Some("Anna Nowak"),
        vec![email("anna@oldshop.example")],
    )
    .await;
    let other = customer(store, Some("Piotr"), vec![email("piotr@shop.example")]).await;
    let t1 = ticket_of(store, anna.id, "First", "hello").await;
    let t2 = ticket_of(store, anna.id, "Second", "hello again").await;
    let t3 = ticket_of(store, other.id, "Third", "hello").await;
    let annas = ids(&[t1.id, t2.id]);
    assert_eq!(found(store, "nowak").await, annas);

    ok(
        store
            .update_customer(
                anna.id,
                CustomerPatch {
                    name: Some(Some("Anna Zielińska".into())),
                    ..CustomerPatch::default()
                },
            )
            .await,
        "rename",
    );
    assert_eq!(found(store, "zielinska").await, annas);
    assert_eq!(found(store, "nowak").await, ids(&[]));

    ok(
        store
            .update_customer(
                anna.id,
                CustomerPatch {
                    add_identities: vec![email("anna@newshop.example")],
                    remove_identities: vec![email("anna@oldshop.example")],
                    ..CustomerPatch::default()
                },
            )
            .await,
        "change identities",
    );
    assert_eq!(found(store, "newshop").await, annas);
    assert_eq!(found(store, "oldshop").await, ids(&[]));
    assert_eq!(found(store, "piotr").await, ids(&[t3.id]));
}

pub async fn search_reindexes_subject_and_merge(store: &dyn Store) {
    let zen = customer(store, Some("Zenobia"), vec![email("zen@shop.example")]).await;
    let bart = customer(store, Some("Bartholomew"), vec![email("bart@shop.example")]).await;
    let tz = ticket_of(store, zen.id, "Teapot", "hello").await;
    let tb = ticket_of(store, bart.id, "Saucepan", "hello").await;

    ok(
        store
            .update_ticket(
                tz.id,
                TicketPatch {
                    subject: Some(subject("Porcelain teacup")),
                    ..TicketPatch::default()
                },
                &Actor::system(),
            )
            .await,
        "change subject",
    );
    assert_eq!(found(store, "teacup").await, ids(&[tz.id]));
    assert_eq!(found(store, "teapot").await, ids(&[]));

    assert_eq!(found(store, "bartholomew").await, ids(&[tb.id]));
    ok(
        store
            .merge_customers(zen.id, bart.id, &Actor::system())
            .await,
        "merge",
    );
    let both = ids(&[tz.id, tb.id]);
    assert_eq!(found(store, "zenobia").await, both);
    assert_eq!(
        found(store, "bart").await,
        both,
        "the moved address is Zenobia's now"
    );
    assert_eq!(
        found(store, "bartholomew").await,
        ids(&[]),
        "Zenobia kept her name"
    );
    assert_eq!(found(store, "saucepan zenobia").await, ids(&[tb.id]));
}
