//! Promises over the API: SLA promises made with a ticket, a reply keeping the first response
//! and carrying an agent's promise read from a phrase, the list with its filters, keeping and
//! cancelling by hand, and the status moves that pause, keep and cancel.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn kinds(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_owned(),
                p["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(kind: &str, state: &str) -> (String, String) {
    (kind.to_owned(), state.to_owned())
}

#[tokio::test]
async fn a_ticket_opens_with_sla_promises_and_a_reply_keeps_the_first_response() {
    let app = spawn_app().await;
    let t = app
        .create_ticket("Gdzie paczka?", "kasia@shop.example", "Nie dotarła.")
        .await;
    let id = t["id"].as_str().unwrap();
    let d = app
        .get(&format!("/api/v1/tickets/{id}"), &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(
        kinds(&d["promises"]),
        [
            pair("first_response", "pending"),
            pair("resolution", "pending")
        ]
    );
    let first = &d["promises"][0];
    assert_eq!(first["made_by"], "system");
    assert_eq!(first["calendar"], "default");
    assert!(first["due_at"].as_str().unwrap() > first["warn_at"].as_str().unwrap());
    assert!(first["text"].as_str().unwrap().contains("(Europe/Warsaw)"));

    let posted = app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &app.agent,
            &json!({
                "kind": "reply",
                "body": "Sprawdzę i oddzwonię.",
                "promise": {"kind": "callback", "phrase": "jutro o 10"}
            }),
        )
        .await
        .ok(201)
        .clone();
    assert_eq!(
        kinds(&posted["promises_kept"]),
        [pair("first_response", "kept")]
    );
    assert_eq!(
        kinds(&posted["promises_made"]),
        [pair("callback", "pending")]
    );
    let callback = &posted["promises_made"][0];
    assert_eq!(callback["message_id"], posted["message"]["id"]);
    assert!(
        callback["text"]
            .as_str()
            .unwrap()
            .starts_with("jutro o 10:00"),
        "{callback}"
    );

    // The list: by ticket, by state, by kind; keyset pages.
    let list = app
        .get(&format!("/api/v1/promises?ticket={id}"), &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(list["total"], 3);
    let pending = app
        .get(
            &format!("/api/v1/promises?ticket={id}&state=pending&limit=1"),
            &app.viewer,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(pending["total"], 2);
    assert_eq!(kinds(&pending["items"]), [pair("callback", "pending")]);
    let cursor = pending["next_cursor"].as_str().unwrap();
    let next = app
        .get(
            &format!("/api/v1/promises?ticket={id}&state=pending&limit=1&cursor={cursor}"),
            &app.viewer,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(kinds(&next["items"]), [pair("resolution", "pending")]);
    assert_eq!(next["next_cursor"], Value::Null);
    let far = "2999-01-01T00:00:00Z";
    let due = app
        .get(
            &format!("/api/v1/promises?kind=resolution&due_before={far}"),
            &app.viewer,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(due["total"], 1);

    // Waiting for the customer pauses the resolution clock; resolving keeps it; closing
    // cancels the callback still pending.
    let res_id = d["promises"][1]["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/tickets/{id}"),
        &app.agent,
        &json!({"status": "pending_customer"}),
    )
    .await
    .ok(200);
    let paused = app
        .get(&format!("/api/v1/promises/{res_id}"), &app.viewer)
        .await
        .ok(200)
        .clone();
    assert!(paused["paused_at"].is_string(), "{paused}");
    for status in ["resolved", "closed"] {
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &app.agent,
            &json!({"status": status}),
        )
        .await
        .ok(200);
    }
    let d = app
        .get(&format!("/api/v1/tickets/{id}"), &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(
        kinds(&d["promises"]),
        [
            pair("first_response", "kept"),
            pair("resolution", "kept"),
            pair("callback", "cancelled")
        ]
    );
    assert_eq!(d["promises"][2]["note"], "ticket closed");
    let events = app
        .get(&format!("/api/v1/tickets/{id}/events"), &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(events["chain_valid"], true);
}

#[tokio::test]
async fn promises_made_kept_and_cancelled_by_hand() {
    let app = spawn_app().await;
    let t = app
        .create_ticket("Refund", "ana@shop.example", "Where is my refund?")
        .await;
    let id = t["id"].as_str().unwrap();
    let p = app
        .post(
            "/api/v1/promises",
            &app.agent,
            &json!({
                "kind": "refund_by",
                "ticket": id,
                "order": "1043",
                "due_at": "2030-06-02T10:00:00+02:00",
                "text": "Refund within 3 days"
            }),
        )
        .await
        .ok(201)
        .clone();
    assert!(p["id"].as_str().unwrap().starts_with("prm_"));
    assert_eq!(p["due_at"], "2030-06-02T08:00:00Z");
    assert_eq!(p["customer_id"], t["customer_id"]);
    assert_eq!(p["order"], "1043");
    assert_eq!(p["text"], "Refund within 3 days");
    let pid = p["id"].as_str().unwrap();
    let by_order = app
        .get("/api/v1/promises?order=1043", &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(by_order["total"], 1);

    let kept = app
        .post(
            &format!("/api/v1/promises/{pid}/keep"),
            &app.agent,
            &json!({"note": "refund sent, ref 88"}),
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(kept["state"], "kept");
    assert_eq!(kept["note"], "refund sent, ref 88");
    app.post(
        &format!("/api/v1/promises/{pid}/keep"),
        &app.agent,
        &json!({}),
    )
    .await
    .error(409, "promise_not_pending");
    app.post(
        &format!("/api/v1/promises/{pid}/cancel"),
        &app.agent,
        &json!({"reason": "x"}),
    )
    .await
    .error(409, "promise_not_pending");

    // A phrase is read in the calendar's zone and shown back.
    let c = app
        .post(
            "/api/v1/promises",
            &app.agent,
            &json!({"kind": "callback", "customer": t["customer_id"], "phrase": "within 3 business days"}),
        )
        .await
        .ok(201)
        .clone();
    assert!(c["text"].as_str().unwrap().contains("Europe/Warsaw"), "{c}");
    let cid = c["id"].as_str().unwrap();
    let cancelled = app
        .post(
            &format!("/api/v1/promises/{cid}/cancel"),
            &app.agent,
            &json!({"reason": "customer withdrew"}),
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(cancelled["state"], "cancelled");

    // Bad input is a clear 4xx.
    app.post(
        "/api/v1/promises",
        &app.agent,
        &json!({"kind": "callback", "ticket": id, "phrase": "whenever"}),
    )
    .await
    .error(422, "validation_failed");
    app.post(
        "/api/v1/promises",
        &app.agent,
        &json!({"kind": "callback", "ticket": id}),
    )
    .await
    .error(422, "validation_failed");
    app.post(
        "/api/v1/promises",
        &app.agent,
        &json!({"kind": "sometime", "ticket": id, "due_at": "2030-01-01T00:00:00Z"}),
    )
    .await
    .error(422, "validation_failed");
    app.post(
        "/api/v1/promises",
        &app.viewer,
        &json!({"kind": "callback", "ticket": id, "due_at": "2030-01-01T00:00:00Z"}),
    )
    .await
    .error(403, "forbidden");
    app.get("/api/v1/promises/prm_zzzz", &app.viewer)
        .await
        .error(404, "promise_not_found");
    app.get("/api/v1/promises?state=done", &app.viewer)
        .await
        .error(422, "validation_failed");
    app.get("/api/v1/promises?due_before=tomorrow", &app.viewer)
        .await
        .error(422, "validation_failed");
}
