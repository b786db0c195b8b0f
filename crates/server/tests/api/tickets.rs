//! Tickets: create, read, list and page, reply and note with attachments, change, event log.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn create_and_read_a_ticket() {
    let app = spawn_app().await;
    let t = app
        .post(
            "/api/v1/tickets",
            &app.agent,
            &json!({
                "subject": "Where is my order 1043?",
                "body": "I ordered a week ago.",
                "customer": {"email": "Ana.Pop@Shop.example", "name": "Ana Pop", "language": "ro"},
                "priority": "high",
                "tags": ["shipping", "VIP", "shipping"],
                "channel": "web_form"
            }),
        )
        .await
        .ok(201)
        .clone();
    let id = t["id"].as_str().unwrap();
    assert!(id.starts_with("tkt_"), "{t}");
    assert!(t["number"].as_i64().unwrap() >= 1);
    assert_eq!(t["status"], "new");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["channel"], "web_form");
    assert_eq!(t["tags"], json!(["shipping", "vip"]));
    assert!(t["customer_id"].as_str().unwrap().starts_with("cus_"));
    assert!(t["created_at"].as_str().unwrap().ends_with('Z'));

    let d = app
        .get(&format!("/api/v1/tickets/{id}"), &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(d["id"], t["id"]);
    assert_eq!(d["subject"], "Where is my order 1043?");
    assert_eq!(d["customer"]["id"], t["customer_id"]);
    assert_eq!(d["customer"]["name"], "Ana Pop");
    assert_eq!(d["customer"]["language"], "ro");
    assert_eq!(
        d["customer"]["identities"],
        json!([{"kind": "email", "value": "ana.pop@shop.example"}])
    );
    let m = &d["messages"][0];
    assert_eq!(d["messages"].as_array().unwrap().len(), 1);
    assert!(m["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(m["direction"], "in");
    assert_eq!(m["text"], "I ordered a week ago.");
    assert_eq!(m["html"], Value::Null);
    assert_eq!(m["delivery_state"], "received");
    assert_eq!(m["attachments"], json!([]));
    assert!(m["created_at"].is_string());

    // The same address (in another spelling) finds the same customer.
    let again = app
        .create_ticket("Second", "ana.pop@shop.example", "Hello again")
        .await;
    assert_eq!(again["customer_id"], t["customer_id"]);
    assert!(again["number"].as_i64() > t["number"].as_i64());
    // By phone only, and by id.
    let phone = app
        .post(
            "/api/v1/tickets",
            &app.agent,
            &json!({"subject": "Call", "body": "x", "customer": {"phone": "+48 601 234 567"}}),
        )
        .await
        .ok(201)
        .clone();
    assert_ne!(phone["customer_id"], t["customer_id"]);
    let by_id = app
        .post(
            "/api/v1/tickets",
            &app.agent,
            &json!({"subject": "By id", "body": "x", "customer": {"id": t["customer_id"]}}),
        )
        .await
        .ok(201)
        .clone();
    assert_eq!(by_id["customer_id"], t["customer_id"]);
    let d = app
        .get(
            &format!("/api/v1/tickets/{}", by_id["id"].as_str().unwrap()),
            &app.agent,
        )
        .await;
    assert_eq!(d.body["messages"][0]["author"]["kind"], "customer");
}

#[tokio::test]
async fn html_bodies_are_sanitised_and_give_the_text() {
    let app = spawn_app().await;
    let t = app
        .post(
            "/api/v1/tickets",
            &app.agent,
            &json!({
                "subject": "HTML",
                "html": "<p onclick=\"x()\">Dzień dobry,<script>alert(1)</script></p><p>paczka <b>nie dotarła</b></p>",
                "customer": {"email": "html@shop.example"}
            }),
        )
        .await
        .ok(201)
        .clone();
    let d = app
        .get(
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
            &app.agent,
        )
        .await;
    let m = &d.body["messages"][0];
    let html = m["html"].as_str().unwrap();
    assert!(
        !html.contains("script") && !html.contains("onclick"),
        "{html}"
    );
    assert!(html.contains("<b>nie dotarła</b>"), "{html}");
    let text = m["text"].as_str().unwrap();
    assert!(
        text.contains("Dzień dobry,") && text.contains("paczka nie dotarła"),
        "{text}"
    );
    assert!(!text.contains('<'), "{text}");
}

#[tokio::test]
async fn replies_notes_and_attachments() {
    let app = spawn_app().await;
    let t = app
        .create_ticket("Broken mug", "mug@shop.example", "It arrived broken")
        .await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/v1/tickets/{id}/messages");

    let reply = app
        .post(
            &path,
            &app.agent,
            &json!({"kind": "reply", "body": "Sorry! A new one is on its way."}),
        )
        .await
        .ok(201)
        .clone();
    assert_eq!(reply["message"]["direction"], "out");
    assert_eq!(reply["message"]["delivery_state"], "queued");
    assert_eq!(
        reply["ticket"]["status"], "open",
        "a reply opens a new ticket"
    );

    let pdf = b"%PDF-1.4 not really a pdf".to_vec();
    let page = b"<html><script>alert(document.cookie)</script></html>".to_vec();
    let note = app
        .post(
            &path,
            &app.agent,
            &json!({
                "kind": "note",
                "html": "<p>Refund approved</p>",
                "attachments": [
                    {"filename": "C:\\photos\\invoice.pdf", "content_type": "application/pdf",
                     "content_base64": STANDARD.encode(&pdf)},
                    {"filename": "page.html", "content_type": "text/html",
                     "content_base64": STANDARD.encode(&page)}
                ]
            }),
        )
        .await
        .ok(201)
        .clone();
    let m = &note["message"];
    assert_eq!(m["direction"], "note");
    assert_eq!(m["delivery_state"], "internal");
    assert_eq!(m["text"], "Refund approved");
    let atts = m["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 2);
    assert_eq!(atts[0]["filename"], "invoice.pdf");
    assert_eq!(atts[0]["size"], pdf.len());
    assert_eq!(atts[0]["sha256"].as_str().unwrap().len(), 64);

    // The thread lists all three messages, oldest first, with the attachments.
    let d = app
        .get(&format!("/api/v1/tickets/{id}"), &app.viewer)
        .await
        .ok(200)
        .clone();
    let dirs: Vec<&str> = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["direction"].as_str().unwrap())
        .collect();
    assert_eq!(dirs, ["in", "out", "note"]);
    assert_eq!(
        d["messages"][2]["attachments"],
        note["message"]["attachments"]
    );

    // Downloads are always downloads, never sniffed, never HTML.
    let res = app
        .client
        .get(app.url(atts[0]["url"].as_str().unwrap()))
        .bearer_auth(&app.viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"invoice.pdf\"")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice());

    let res = app
        .client
        .get(app.url(atts[1]["url"].as_str().unwrap()))
        .bearer_auth(&app.viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), page.as_slice());

    // Unknown attachment, or one of another ticket.
    let other = app.create_ticket("Other", "other@shop.example", "x").await;
    let foreign = atts[0]["url"]
        .as_str()
        .unwrap()
        .replace(id, other["id"].as_str().unwrap());
    app.get(&foreign, &app.agent)
        .await
        .error(404, "attachment_not_found");
    app.get(
        &format!("/api/v1/tickets/{id}/attachments/att_zzzz"),
        &app.agent,
    )
    .await
    .error(404, "attachment_not_found");
    app.get(
        &format!("/api/v1/tickets/{id}/attachments/nope"),
        &app.agent,
    )
    .await
    .error(404, "attachment_not_found");
}

#[tokio::test]
async fn attachment_and_body_size_limits() {
    let app = spawn_app_with(|c| {
        c.max_attachment_size = 1024;
        c.max_message_body = 8 * 1024;
    })
    .await;
    let t = app
        .create_ticket("Limits", "limits@shop.example", "x")
        .await;
    let path = format!("/api/v1/tickets/{}/messages", t["id"].as_str().unwrap());
    let ok = STANDARD.encode(vec![7u8; 1024]);
    app.post(
        &path,
        &app.agent,
        &json!({"kind": "note", "attachments": [{"filename": "a.bin", "content_type": "application/octet-stream", "content_base64": ok}]}),
    )
    .await
    .ok(201);
    let big = STANDARD.encode(vec![7u8; 1025]);
    let detail = app
        .post(
            &path,
            &app.agent,
            &json!({"kind": "note", "attachments": [{"filename": "a.bin", "content_type": "application/octet-stream", "content_base64": big}]}),
        )
        .await
        .error(413, "payload_too_large")
        .to_owned();
    assert!(detail.contains("attachments[0]"), "{detail}");
    let body = json!({"kind": "note", "body": "x".repeat(9 * 1024)});
    app.post(&path, &app.agent, &body)
        .await
        .error(413, "payload_too_large");
    // Other routes keep the smaller default limit (1 MiB): the message route's is its own.
    let d = app
        .get(
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
            &app.agent,
        )
        .await;
    assert_eq!(
        d.body["messages"].as_array().unwrap().len(),
        2,
        "nothing half-written"
    );

    let bad = app
        .post(
            &path,
            &app.agent,
            &json!({"kind": "note", "attachments": [{"filename": "a", "content_type": "text/plain", "content_base64": "@@@"}]}),
        )
        .await;
    bad.error(422, "validation_failed");
    assert_eq!(bad.body["field"], "attachments[0].content_base64");
}

#[tokio::test]
async fn change_a_ticket_and_read_its_event_log() {
    let app = spawn_app().await;
    let t = app
        .create_ticket("Refund", "refund@shop.example", "Please refund")
        .await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/v1/tickets/{id}");

    let u = app
        .patch(
            &path,
            &app.agent,
            &json!({"status": "pending_customer", "priority": "urgent", "tags": ["refund", "b"], "subject": "Refund for 1043", "language": "pl"}),
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(u["status"], "pending_customer");
    assert_eq!(u["priority"], "urgent");
    assert_eq!(u["tags"], json!(["b", "refund"]));
    assert_eq!(u["subject"], "Refund for 1043");
    assert_eq!(u["language"], "pl");
    let u = app
        .patch(
            &path,
            &app.agent,
            &json!({"language": null, "assignee": null}),
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(u["language"], Value::Null);
    assert_eq!(u["assignee"], Value::Null);

    let e = app
        .patch(&path, &app.agent, &json!({"assignee": "agt_zzzzz"}))
        .await;
    e.error(422, "validation_failed");
    assert_eq!(e.body["field"], "assignee");

    app.post(
        &format!("{path}/messages"),
        &app.agent,
        &json!({"kind": "note", "body": "checking"}),
    )
    .await
    .ok(201);
    app.patch(&path, &app.agent, &json!({"status": "closed"}))
        .await
        .ok(200);
    app.patch(&path, &app.agent, &json!({"status": "open"}))
        .await
        .error(409, "ticket_closed");
    app.post(
        &format!("{path}/messages"),
        &app.agent,
        &json!({"kind": "reply", "body": "late"}),
    )
    .await
    .error(409, "ticket_closed");
    let with_attachment = json!({"kind": "note", "attachments": [{"filename": "a", "content_type": "text/plain", "content_base64": "YQ=="}]});
    app.post(&format!("{path}/messages"), &app.agent, &with_attachment)
        .await
        .error(409, "ticket_closed");

    let ev = app
        .get(&format!("{path}/events"), &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(ev["chain_valid"], true, "{ev}");
    assert_eq!(ev["chain_error"], Value::Null);
    let items = ev["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"ticket.created"), "{kinds:?}");
    assert!(
        kinds.contains(&"ticket.updated") && kinds.contains(&"message.added"),
        "{kinds:?}"
    );
    for (i, e) in items.iter().enumerate() {
        assert_eq!(e["seq"], i as i64 + 1);
        assert!(e["actor"].as_str().unwrap().starts_with("tok_"), "{e}");
        assert!(e["payload"].is_object());
        assert_eq!(e["hash"].as_str().unwrap().len(), 64);
        if i > 0 {
            assert_eq!(e["prev_hash"], items[i - 1]["hash"]);
        }
    }
    assert_eq!(items[0]["prev_hash"], "0".repeat(64));

    app.get("/api/v1/tickets/tkt_zzzzzz/events", &app.agent)
        .await
        .error(404, "ticket_not_found");
    app.patch(
        "/api/v1/tickets/tkt_zzzzzz",
        &app.agent,
        &json!({"status": "open"}),
    )
    .await
    .error(404, "ticket_not_found");
    app.post(
        "/api/v1/tickets/tkt_zzzzzz/messages",
        &app.agent,
        &json!({"kind": "note", "body": "x"}),
    )
    .await
    .error(404, "ticket_not_found");
    app.get("/api/v1/tickets/tkt_zzzzzz", &app.agent)
        .await
        .error(404, "ticket_not_found");
    app.get("/api/v1/tickets/cus_1", &app.agent)
        .await
        .error(404, "ticket_not_found");
}

#[tokio::test]
async fn duplicate_channel_message_ids_are_refused() {
    let app = spawn_app().await;
    let body = json!({
        "subject": "Retry me",
        "body": "x",
        "customer": {"email": "retry@shop.example"},
        "channel": "email",
        "channel_message_id": "<abc@mail.example>"
    });
    app.post("/api/v1/tickets", &app.agent, &body).await.ok(201);
    app.post("/api/v1/tickets", &app.agent, &body)
        .await
        .error(409, "duplicate_message");
    let list = app.get("/api/v1/tickets", &app.agent).await.ok(200).clone();
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn list_filter_and_page_to_the_end() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let t = app
            .create_ticket(
                &format!("Ticket {i}"),
                &format!("c{}@shop.example", i % 2),
                "x",
            )
            .await;
        ids.push(t["id"].as_str().unwrap().to_owned());
    }
    app.patch(
        &format!("/api/v1/tickets/{}", ids[0]),
        &app.agent,
        &json!({"status": "resolved", "tags": ["x"]}),
    )
    .await
    .ok(200);

    // Every ticket once, newest first, across pages of 3.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?limit=3&cursor={c}"),
            None => "/api/v1/tickets?limit=3".to_owned(),
        };
        let page = app.get(&path, &app.viewer).await.ok(200).clone();
        assert_eq!(page["total"], 7);
        for t in page["items"].as_array().unwrap() {
            seen.push(t["id"].as_str().unwrap().to_owned());
        }
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(seen, expected);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);

    let by_status = app
        .get("/api/v1/tickets?status=resolved", &app.agent)
        .await
        .ok(200)
        .clone();
    assert_eq!(by_status["total"], 1);
    assert_eq!(by_status["items"][0]["id"], ids[0].as_str());
    let by_tag = app
        .get("/api/v1/tickets?tag=x", &app.agent)
        .await
        .ok(200)
        .clone();
    assert_eq!(by_tag["total"], 1);
    let unassigned = app
        .get("/api/v1/tickets?assignee=none", &app.agent)
        .await
        .ok(200)
        .clone();
    assert_eq!(unassigned["total"], 7);
    let customer = app
        .get(&format!("/api/v1/tickets/{}", ids[1]), &app.agent)
        .await
        .body["customer"]["id"]
        .clone();
    let by_customer = app
        .get(
            &format!("/api/v1/tickets?customer={}", customer.as_str().unwrap()),
            &app.agent,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(by_customer["total"], 3);
    let none = app
        .get("/api/v1/tickets?status=closed&limit=500", &app.agent)
        .await
        .ok(200)
        .clone();
    assert_eq!(none, json!({"items": [], "total": 0, "next_cursor": null}));
}
