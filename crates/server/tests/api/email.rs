//! `POST /api/v1/channels/email/inbound` and the quarantine: every action of the intake, end
//! to end over HTTP.

use serde_json::Value;
use sha2::{Digest, Sha256};
use trustdesk_domain::{
    Channel, DeliveryState, Direction, EmailAddress, Role, TicketId, TicketStatus,
};
use trustdesk_store::{Actor, Author, NewAgent, NewMessage, TicketFilter, TicketPatch};

use crate::helpers::{TestApp, spawn_app, spawn_app_on_postgres, spawn_app_with};

const INBOUND: &str = "/api/v1/channels/email/inbound";

fn mail(from: &str, message_id: Option<&str>, subject: &str, extra: &str, body: &str) -> Vec<u8> {
    let id = message_id
        .map(|m| format!("Message-ID: <{m}>\r\n"))
        .unwrap_or_default();
    format!(
        "From: {from}\r\nTo: help@shop.example\r\nSubject: {subject}\r\n{id}\
         Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n{extra}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn ticket_total(app: &TestApp) -> u64 {
    app.store
        .list_tickets(
            &TicketFilter::default(),
            trustdesk_store::PageRequest::first(1),
        )
        .await
        .unwrap()
        .total
}

/// A message we sent on ticket `id` with Message-ID `channel_id`.
async fn sent(app: &TestApp, id: TicketId, channel_id: &str, text: &str) {
    let ours = NewMessage {
        direction: Direction::Out,
        author: Author::System,
        text: text.into(),
        html: None,
        channel_message_id: Some(channel_id.into()),
        delivery_state: DeliveryState::Sent,
        attachments: Vec::new(),
        raw_sha256: None,
    };
    app.store
        .add_message(id, ours, &Actor::system())
        .await
        .unwrap();
}

fn ticket_id(v: &Value) -> TicketId {
    v["ticket_id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_new_mail_opens_a_ticket_and_keeps_the_raw_bytes() {
    let app = spawn_app().await;
    let raw = mail(
        "Ana Pop <Ana.Pop@Client.example>",
        Some("first.1@client.example"),
        "Coletul meu nu a ajuns",
        "",
        "Bună ziua, coletul meu nu a ajuns încă. Comanda 1043, vă rog să verificați.",
    );
    let r = app.deliver(&raw).await;
    let body = r.ok(200).clone();
    assert_eq!(body["action"], "created", "{body}");
    assert!(body.get("reason").is_none(), "{body}");
    let id = ticket_id(&body);
    let thread = app.store.get_thread(id).await.unwrap();
    assert_eq!(thread.ticket.channel, Channel::Email);
    assert_eq!(thread.ticket.subject, "Coletul meu nu a ajuns");
    assert_eq!(
        thread.ticket.language.as_ref().map(|l| l.as_str()),
        Some("ro")
    );
    assert_eq!(thread.customer.name.as_deref(), Some("Ana Pop"));
    assert_eq!(
        thread.customer.language.as_ref().map(|l| l.as_str()),
        Some("ro")
    );
    assert_eq!(
        thread.customer.identities[0].value,
        "ana.pop@client.example"
    );
    let m = &thread.messages[0];
    assert_eq!(m.author, Author::Customer(thread.customer.id));
    assert_eq!(m.direction, Direction::In);
    assert_eq!(
        m.channel_message_id.as_deref(),
        Some("first.1@client.example")
    );
    assert_eq!(m.raw_sha256.as_deref(), Some(sha(&raw).as_str()));
    assert_eq!(app.store.get_blob(&sha(&raw)).await.unwrap(), raw);
    assert_eq!(body["message_id"], m.id.to_string());
    assert_eq!(body["ticket_number"], thread.ticket.number);

    // The API shows the digest; the event log carries it.
    let detail = app
        .get(&format!("/api/v1/tickets/{id}"), &app.agent)
        .await
        .ok(200)
        .clone();
    assert_eq!(detail["messages"][0]["raw_sha256"], sha(&raw));
    let events = app.store.list_events(id).await.unwrap();
    assert!(events[1].payload.contains(&sha(&raw)));

    // Delivered again (an MTA retrying after a lost answer): the same ticket, nothing new.
    let again = app.deliver(&raw).await.ok(200).clone();
    assert_eq!(again["action"], "duplicate");
    assert_eq!(again["ticket_id"], body["ticket_id"]);
    assert_eq!(again["message_id"], body["message_id"]);
    assert_eq!(ticket_total(&app).await, 1);
    assert_eq!(app.store.get_thread(id).await.unwrap().messages.len(), 1);
}

#[tokio::test]
async fn replies_thread_by_references_to_mail_received_and_sent() {
    let app = spawn_app().await;
    let first = app
        .deliver(&mail(
            "ana@client.example",
            Some("q1@client.example"),
            "Where is my parcel?",
            "",
            "Hello, my parcel has not arrived yet.",
        ))
        .await
        .ok(200)
        .clone();
    let id = ticket_id(&first);
    // Our answer went out with a Message-ID of ours.
    sent(&app, id, "answer.1@desk.example", "It is on its way.").await;

    // A reply to our answer, by In-Reply-To.
    let r = app
        .deliver(&mail(
            "ana@client.example",
            Some("q2@client.example"),
            "Re: Where is my parcel?",
            "In-Reply-To: <answer.1@desk.example>\r\n",
            "Thanks, still nothing though.",
        ))
        .await
        .ok(200)
        .clone();
    assert_eq!(r["action"], "appended", "{r}");
    assert_eq!(ticket_id(&r), id);

    // A reply naming only older messages in References (newest last), from a colleague.
    let r = app
        .deliver(&mail(
            "bob@client.example",
            Some("q3@client.example"),
            "Re: Re: Where is my parcel?",
            "References: <q1@client.example> <unknown@elsewhere.example>\r\n",
            "I am Ana's colleague; the parcel is still missing.",
        ))
        .await
        .ok(200)
        .clone();
    assert_eq!(r["action"], "appended", "{r}");
    assert_eq!(ticket_id(&r), id);
    let thread = app.store.get_thread(id).await.unwrap();
    assert_eq!(thread.messages.len(), 4);
    // Bob became a customer of his own; his message is his.
    let bob = app
        .store
        .find_customer_by_identity(&trustdesk_domain::Identity::email(
            &EmailAddress::parse("bob@client.example").unwrap(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(thread.messages[3].author, Author::Customer(bob.id));
    assert_eq!(ticket_total(&app).await, 1);

    // A reply to a closed ticket opens a new one.
    app.store
        .update_ticket(
            id,
            TicketPatch {
                status: Some(TicketStatus::Closed),
                ..TicketPatch::default()
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    let r = app
        .deliver(&mail(
            "ana@client.example",
            Some("q4@client.example"),
            "Re: Where is my parcel?",
            "In-Reply-To: <q2@client.example>\r\n",
            "Now the parcel came damaged.",
        ))
        .await
        .ok(200)
        .clone();
    assert_eq!(r["action"], "created", "{r}");
    assert_ne!(ticket_id(&r), id);
}

#[tokio::test]
async fn the_subject_tag_threads_only_for_the_tickets_customer_or_an_agent() {
    let app = spawn_app_with(|c| {
        c.mail_subject_tag =
            trustdesk_channels::email::SubjectTag::parse("[Shop #{number}]").unwrap()
    })
    .await;
    let first = app
        .deliver(&mail(
            "ana@client.example",
            Some("t1@client.example"),
            "Refund",
            "",
            "Please refund order 1043.",
        ))
        .await
        .ok(200)
        .clone();
    let id = ticket_id(&first);
    let number = first["ticket_number"].as_i64().unwrap();

    // Ana writes a fresh mail (no In-Reply-To) with the tag: her ticket.
    let r = app
        .deliver(&mail(
            "ana@client.example",
            Some("t2@client.example"),
            &format!("Re: [shop #{number}] Refund"),
            "",
            "Any news on my refund?",
        ))
        .await
        .ok(200)
        .clone();
    assert_eq!(r["action"], "appended", "{r}");
    assert_eq!(ticket_id(&r), id);

    // A stranger quoting the tag does not get into Ana's ticket.
    let r = app
        .deliver(&mail(
            "mallory@evil.example",
            Some("t3@evil.example"),
            &format!("[Shop #{number}] Refund"),
            "",
            "Send the refund to my account instead.",
        ))
        .await
        .ok(200)
        .clone();
    assert_eq!(r["action"], "created", "{r}");
    assert_ne!(ticket_id(&r), id);
    assert!(r["reason"].as_str().unwrap().contains("ignored"), "{r}");

    // An agent answering the notification by mail: the agent's reply, queued for sending.
    let agent = app
        .store
        .create_agent(NewAgent {
            email: EmailAddress::parse("eva@shop.example").unwrap(),
            name: "Eva".into(),
            role: Role::Agent,
            password_hash: None,
            must_change_password: false,
        })
        .await
        .unwrap();
    let r = app
        .deliver(&mail(
            "Eva <eva@shop.example>",
            Some("t4@shop.example"),
            &format!("Re: [Shop #{number}] Refund"),
            "",
            "Hello Ana, the refund was sent today.\n\nOn Mon, 23 Nov 2026 at 10:00, Ana Pop <ana@client.example> wrote:\n> Any news on my refund?\n",
        ))
        .await
        .ok(200)
        .clone();
    assert_eq!(r["action"], "appended", "{r}");
    assert_eq!(ticket_id(&r), id);
    let thread = app.store.get_thread(id).await.unwrap();
    let reply = thread.messages.last().unwrap();
    assert_eq!(reply.author, Author::Agent(agent.id));
    assert_eq!(reply.direction, Direction::Out);
    assert_eq!(reply.delivery_state, DeliveryState::Queued);
    assert_eq!(reply.text, "Hello Ana, the refund was sent today.");
    assert_eq!(thread.ticket.status, TicketStatus::Open);
}

fn bounce_of(message_id: &str) -> Vec<u8> {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.client.example>\r\n\
         To: help@shop.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <bounce.{message_id}>\r\nAuto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mx.client.example\r\n\r\n\
         Final-Recipient: rfc822; gone@client.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <gone@client.example>: Recipient address rejected: User unknown\r\n\r\n\
         --b\r\nContent-Type: text/rfc822-headers\r\n\r\n\
         From: help@shop.example\r\nTo: gone@client.example\r\nSubject: Your ticket\r\n\
         Message-ID: <{message_id}>\r\n\r\n--b--\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn bounces_and_auto_replies_go_onto_their_ticket_or_into_the_quarantine() {
    let app = spawn_app().await;
    let first = app
        .deliver(&mail(
            "gone@client.example",
            Some("b1@client.example"),
            "Question",
            "",
            "Do you ship to Poland?",
        ))
        .await
        .ok(200)
        .clone();
    let id = ticket_id(&first);
    sent(&app, id, "ack.1@desk.example", "We received your message.").await;
    let status_before = app.store.get_ticket(id).await.unwrap().status;

    let r = app
        .deliver(&bounce_of("ack.1@desk.example"))
        .await
        .ok(200)
        .clone();
    assert_eq!(r["action"], "bounce", "{r}");
    assert_eq!(ticket_id(&r), id);
    let thread = app.store.get_thread(id).await.unwrap();
    let note = thread.messages.last().unwrap();
    assert_eq!(note.direction, Direction::Note);
    assert!(note.text.contains("gone@client.example"), "{}", note.text);
    assert_eq!(
        thread.ticket.status, status_before,
        "a bounce moves nothing"
    );

    let auto = mail(
        "gone@client.example",
        Some("ooo.1@client.example"),
        "Out of office",
        "Auto-Submitted: auto-replied\r\nIn-Reply-To: <ack.1@desk.example>\r\n",
        "I am away until Monday.",
    );
    let r = app.deliver(&auto).await.ok(200).clone();
    assert_eq!(r["action"], "auto_reply", "{r}");
    assert_eq!(ticket_id(&r), id);

    // About nothing we know: quarantined, no ticket.
    let stray = bounce_of("never-sent@desk.example");
    let r = app.deliver(&stray).await.ok(200).clone();
    assert_eq!(r["action"], "bounce", "{r}");
    assert!(r["ticket_id"].is_null(), "{r}");
    let qid = r["quarantine_id"].as_str().unwrap().to_owned();
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("never-sent@desk.example"),
        "{r}"
    );
    let auto_stray = mail(
        "someone@client.example",
        Some("ooo.2@client.example"),
        "Automatic reply: hello",
        "Auto-Submitted: auto-replied\r\n",
        "Away.",
    );
    let r = app.deliver(&auto_stray).await.ok(200).clone();
    assert_eq!(r["action"], "auto_reply", "{r}");
    assert!(r["ticket_id"].is_null());
    assert_eq!(ticket_total(&app).await, 1);
    // Redelivered: a duplicate of the quarantined copy.
    let r = app.deliver(&stray).await.ok(200).clone();
    assert_eq!(r["action"], "duplicate", "{r}");
    assert_eq!(r["quarantine_id"], qid.as_str());

    let list = app
        .get("/api/v1/channels/email/quarantine?limit=1", &app.admin)
        .await
        .ok(200)
        .clone();
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["kind"], "auto_reply");
    let next = list["next_cursor"].as_str().unwrap();
    let list = app
        .get(
            &format!("/api/v1/channels/email/quarantine?limit=1&cursor={next}"),
            &app.admin,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(list["items"][0]["id"], qid.as_str());
    assert_eq!(list["items"][0]["kind"], "bounce");
    assert_eq!(list["items"][0]["raw_sha256"], sha(&stray));
    let raw = app
        .get(
            &format!("/api/v1/channels/email/quarantine/{qid}/raw"),
            &app.admin,
        )
        .await;
    assert_eq!(raw.status.as_u16(), 200);
    assert_eq!(raw.text.as_bytes(), &stray[..]);
    app.get("/api/v1/channels/email/quarantine", &app.agent)
        .await
        .error(403, "forbidden");
    app.get("/api/v1/channels/email/quarantine/qua_zz/raw", &app.admin)
        .await
        .error(404, "quarantined_mail_not_found");
}

#[tokio::test]
async fn unreadable_mail_and_mail_without_id_or_sender() {
    let app = spawn_app_with(|c| {
        c.mail_own_addresses = vec![EmailAddress::parse("help@shop.example").unwrap()]
    })
    .await;
    let garbage = b"\x00\x01\x02 this is not a mail at all".to_vec();
    let r = app.deliver(&garbage).await.ok(200).clone();
    assert_eq!(r["action"], "rejected", "{r}");
    // mail-parser reads almost anything as headers; here it finds no sender.
    assert!(r["reason"].as_str().is_some_and(|r| !r.is_empty()), "{r}");
    assert_eq!(app.store.get_blob(&sha(&garbage)).await.unwrap(), garbage);
    let again = app.deliver(&garbage).await.ok(200).clone();
    assert_eq!(again["action"], "duplicate");
    assert_eq!(again["quarantine_id"], r["quarantine_id"]);

    // No Message-ID: the raw bytes' digest stands in, so a redelivery is still a duplicate.
    let no_id = mail(
        "ana@client.example",
        None,
        "No id",
        "",
        "Hello there, my order is late.",
    );
    let r = app.deliver(&no_id).await.ok(200).clone();
    assert_eq!(r["action"], "created", "{r}");
    let again = app.deliver(&no_id).await.ok(200).clone();
    assert_eq!(again["action"], "duplicate");
    assert_eq!(again["ticket_id"], r["ticket_id"]);

    let r = app
        .deliver(b"Subject: nobody\r\nMessage-ID: <x@y.example>\r\n\r\nhello\r\n")
        .await
        .ok(200)
        .clone();
    assert_eq!(r["action"], "rejected", "{r}");
    assert!(r["reason"].as_str().unwrap().contains("From"), "{r}");

    let r = app
        .deliver(&mail(
            "help@shop.example",
            Some("loop@shop.example"),
            "Loop",
            "",
            "x",
        ))
        .await
        .ok(200)
        .clone();
    assert_eq!(r["action"], "rejected", "{r}");
    assert!(r["reason"].as_str().unwrap().contains("own address"), "{r}");
    assert_eq!(ticket_total(&app).await, 1);
}

#[tokio::test]
async fn an_oversized_attachment_is_dropped_with_a_note_and_the_raw_mail_kept() {
    let app = spawn_app_with(|c| c.max_attachment_size = 2048).await;
    let big = "A".repeat(4000);
    let small = "hello";
    let raw = format!(
        "From: ana@client.example\r\nSubject: Photos\r\nMessage-ID: <att.1@client.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n\
         --m\r\nContent-Type: text/plain\r\n\r\nPhotos of the damage attached.\r\n\
         --m\r\nContent-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=\"big.bin\"\r\n\r\n{big}\r\n\
         --m\r\nContent-Type: text/plain\r\n\
         Content-Disposition: attachment; filename=\"small.txt\"\r\n\r\n{small}\r\n--m--\r\n"
    )
    .into_bytes();
    let r = app.deliver(&raw).await.ok(200).clone();
    assert_eq!(r["action"], "created", "{r}");
    assert!(r["reason"].as_str().unwrap().contains("big.bin"), "{r}");
    let thread = app.store.get_thread(ticket_id(&r)).await.unwrap();
    let m = &thread.messages[0];
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].meta.filename, "small.txt");
    assert!(
        m.text.contains("big.bin") && m.text.contains("not stored"),
        "{}",
        m.text
    );
    assert_eq!(app.store.get_blob(&sha(&raw)).await.unwrap(), raw);
}

#[tokio::test]
async fn who_may_deliver_and_what_the_endpoint_refuses() {
    let app = spawn_app().await;
    let raw = mail(
        "ana@client.example",
        Some("auth@client.example"),
        "Hi",
        "",
        "Hello",
    );
    app.post_raw(INBOUND, &app.viewer, "message/rfc822", &raw)
        .await
        .error(403, "forbidden");
    app.post_raw(INBOUND, &app.agent, "message/rfc822", &raw)
        .await
        .ok(200);
    // The mailgate token delivers, and reads nothing.
    app.get("/api/v1/tickets", &app.mailgate)
        .await
        .error(403, "forbidden");
    app.send(
        reqwest::Method::POST,
        INBOUND,
        None,
        Some("message/rfc822"),
        Some(raw.clone()),
    )
    .await
    .error(401, "unauthenticated");
    app.post_raw(INBOUND, &app.mailgate, "text/plain", &raw)
        .await
        .error(415, "unsupported_media_type");
    app.post_raw(INBOUND, &app.mailgate, "message/rfc822", b"  \r\n")
        .await
        .error(400, "empty_message");
    let huge = vec![b'a'; app.config.max_message_body + 1];
    app.post_raw(INBOUND, &app.mailgate, "message/rfc822", &huge)
        .await
        .error(413, "payload_too_large");
}

#[tokio::test]
async fn the_intake_on_postgres() {
    let app = spawn_app_on_postgres().await;
    let raw = mail(
        "ana@client.example",
        Some("pg1@client.example"),
        "Zamówienie",
        "",
        "Dzień dobry, moja paczka jeszcze nie dotarła.",
    );
    let first = app.deliver(&raw).await.ok(200).clone();
    assert_eq!(first["action"], "created");
    let again = app.deliver(&raw).await.ok(200).clone();
    assert_eq!(again["action"], "duplicate");
    let reply = app
        .deliver(&mail(
            "ana@client.example",
            Some("pg2@client.example"),
            "Re: Zamówienie",
            "In-Reply-To: <pg1@client.example>\r\n",
            "Proszę o odpowiedź.",
        ))
        .await
        .ok(200)
        .clone();
    assert_eq!(reply["action"], "appended");
    assert_eq!(reply["ticket_id"], first["ticket_id"]);
    let stray = app
        .deliver(&bounce_of("nope@desk.example"))
        .await
        .ok(200)
        .clone();
    assert_eq!(stray["action"], "bounce");
    assert!(stray["quarantine_id"].is_string());
    assert_eq!(app.store.get_blob(&sha(&raw)).await.unwrap(), raw);
    let thread = app.store.get_thread(ticket_id(&first)).await.unwrap();
    assert_eq!(
        thread.ticket.language.as_ref().map(|l| l.as_str()),
        Some("pl")
    );
    assert_eq!(
        thread.messages[0].raw_sha256.as_deref(),
        Some(sha(&raw).as_str())
    );
}
