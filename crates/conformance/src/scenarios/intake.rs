//! Mail intake: messages found by their channel ids, the raw mail's digest on a message, and
//! the quarantine.

use trustdesk_domain::{Channel, Direction, QuarantineId};
use trustdesk_store::{
    Actor, Author, CustomerRef, NewQuarantined, PageRequest, QuarantineKind, Store,
};

use super::*;

pub async fn intake_find_messages_by_channel_ids(store: &dyn Store) {
    let c = customer(store, None, vec![email("ana@shop.example")]).await;
    let mut first = new_ticket(CustomerRef::Existing(c.id), "One", "first");
    first.first_message.channel_message_id = Some("a@mail.example".into());
    let t1 = ticket(store, first).await;
    let mut reply = message(Direction::Out, Author::System, "our answer");
    reply.channel_message_id = Some("b@desk.example".into());
    let (_, b) = ok(
        store
            .add_message(t1.ticket.id, reply, &Actor::system())
            .await,
        "add reply",
    );
    let mut second = new_ticket(CustomerRef::Existing(c.id), "Two", "second");
    second.first_message.channel_message_id = Some("c@mail.example".into());
    let t2 = ticket(store, second).await;
    let mut chat = new_ticket(CustomerRef::Existing(c.id), "Chat", "hello");
    chat.channel = Channel::Chat;
    chat.first_message.channel_message_id = Some("d@chat".into());
    ticket(store, chat).await;

    let ids: Vec<String> = [
        "b@desk.example",
        "nothing@here",
        "c@mail.example",
        "a@mail.example",
        "d@chat",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut found = ok(
        store
            .find_messages_by_channel_ids(Channel::Email, &ids)
            .await,
        "find_messages_by_channel_ids",
    );
    found.sort_by(|x, y| x.channel_message_id.cmp(&y.channel_message_id));
    let got: Vec<_> = found
        .iter()
        .map(|f| (f.channel_message_id.as_str(), f.ticket_id, f.message_id))
        .collect();
    assert_eq!(
        got,
        [
            ("a@mail.example", t1.ticket.id, t1.messages[0].id),
            ("b@desk.example", t1.ticket.id, b.id),
            ("c@mail.example", t2.ticket.id, t2.messages[0].id),
        ],
        "ids of other channels are not found on email"
    );
    let chat_ids = vec!["d@chat".to_owned()];
    assert_eq!(
        ok(
            store
                .find_messages_by_channel_ids(Channel::Chat, &chat_ids)
                .await,
            "find on chat",
        )
        .len(),
        1
    );
    assert!(
        ok(
            store
                .find_messages_by_channel_ids(Channel::Email, &[])
                .await,
            "find nothing",
        )
        .is_empty()
    );
}

pub async fn intake_raw_sha256_on_messages(store: &dyn Store) {
    let raw = sha256_hex(b"From: ana@shop.example\r\n\r\nhello");
    let mut new = new_ticket(
        find_or_create(None, vec![email("ana@shop.example")]),
        "Hi",
        "hello",
    );
    new.first_message.raw_sha256 = Some(raw.clone());
    new.first_message.channel_message_id = Some("raw-1@mail.example".into());
    let t = ticket(store, new).await;
    assert_eq!(t.messages[0].raw_sha256.as_deref(), Some(raw.as_str()));
    let (_, plain) = ok(
        store
            .add_message(t.ticket.id, inbound("typed in"), &Actor::system())
            .await,
        "add_message",
    );
    assert_eq!(plain.raw_sha256, None);
    let read = thread(store, t.ticket.id).await;
    assert_eq!(read.messages[0].raw_sha256.as_deref(), Some(raw.as_str()));
    assert_eq!(read.messages[1].raw_sha256, None);
    // The digest is part of the evidence chain; other messages' payloads are unchanged.
    let events = events_of(store, t.ticket.id).await;
    let added: Vec<Value> = events
        .iter()
        .filter(|e| e.kind == "message.added")
        .map(payload)
        .collect();
    assert_eq!(added[0]["raw_sha256"], raw.as_str());
    assert!(added[1].get("raw_sha256").is_none(), "{}", added[1]);
}

fn quarantined(id: &str, kind: QuarantineKind) -> NewQuarantined {
    NewQuarantined {
        channel: Channel::Email,
        channel_message_id: id.to_owned(),
        kind,
        reason: format!("reason for {id}"),
        raw_sha256: sha256_hex(id.as_bytes()),
        size: 123,
        sender: Some("mailer-daemon@mx.example".into()),
        subject: None,
    }
}

pub async fn intake_quarantine(store: &dyn Store) {
    let first = ok(
        store
            .quarantine(quarantined("q1@mx.example", QuarantineKind::Bounce))
            .await,
        "quarantine",
    );
    assert_eq!(
        first.mail,
        quarantined("q1@mx.example", QuarantineKind::Bounce)
    );
    assert_conflict(
        store
            .quarantine(quarantined("q1@mx.example", QuarantineKind::Rejected))
            .await,
        "duplicate_message",
    );
    let mut other_channel = quarantined("q1@mx.example", QuarantineKind::Rejected);
    other_channel.channel = Channel::Chat;
    ok(
        store.quarantine(other_channel).await,
        "same id, other channel",
    );
    for (i, kind) in QuarantineKind::ALL.iter().enumerate() {
        ok(
            store
                .quarantine(quarantined(&format!("k{i}@mx.example"), *kind))
                .await,
            "quarantine each kind",
        );
    }
    let found = ok(
        store
            .find_quarantined(Channel::Email, "q1@mx.example")
            .await,
        "find_quarantined",
    );
    assert_eq!(found.as_ref(), Some(&first));
    assert_eq!(
        ok(
            store
                .find_quarantined(Channel::Email, "nope@mx.example")
                .await,
            "find nothing",
        ),
        None
    );
    assert_eq!(ok(store.get_quarantined(first.id).await, "get"), first);
    assert_not_found(
        store
            .get_quarantined(QuarantineId::from_db(UNKNOWN_KEY))
            .await,
        "quarantined mail",
    );

    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let p = ok(store.list_quarantine(page).await, "list_quarantine");
        assert_eq!(p.total, 6);
        seen.extend(p.items.iter().map(|q| q.id));
        match p.next {
            Some(next) => page.before = Some(next),
            None => break,
        }
    }
    let mut newest_first = seen.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, newest_first);
    assert_eq!(seen.len(), 6);
    assert_eq!(*seen.last().unwrap(), first.id);
}
