//! Bad input of every kind gets a clear 4xx with `code` and `detail`, never a 500, and
//! nothing is half-written.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn malformed_bodies() {
    let app = spawn_app().await;
    let t = app
        .create_ticket("Bad input", "bad@shop.example", "x")
        .await;
    let ticket_path = format!("/api/v1/tickets/{}", t["id"].as_str().unwrap());
    let posts = [
        "/api/v1/tickets".to_owned(),
        format!("{ticket_path}/messages"),
        "/api/v1/customers".to_owned(),
    ];
    for path in &posts {
        for body in [
            &b"{"[..],
            b"{\"subject\": }",
            b"",
            b"nul",
            b"{\"a\":1}}",
            b"\xef\xbb\xbf{}",
        ] {
            app.post_raw(path, &app.agent, "application/json", body)
                .await
                .error(400, "malformed_json");
        }
        let detail = app
            .post_raw(
                path,
                &app.agent,
                "application/json",
                b"{\"subject\": \"\xff\xfe\"}",
            )
            .await
            .error(400, "invalid_utf8")
            .to_owned();
        assert!(detail.contains("UTF-8"), "{detail}");
        // Deep nesting is refused by its shape, without recursing into it; left open, it is
        // malformed JSON.
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        app.post_raw(path, &app.agent, "application/json", deep.as_bytes())
            .await
            .error(422, "validation_failed");
        let unclosed = format!("{{\"a\":{}", "[".repeat(10_000));
        app.post_raw(path, &app.agent, "application/json", unclosed.as_bytes())
            .await
            .error(400, "malformed_json");
        for ct in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            app.post_raw(path, &app.agent, ct, b"{}")
                .await
                .error(415, "unsupported_media_type");
        }
        let res = app
            .send(
                Method::POST,
                path,
                Some(&app.agent),
                None,
                Some(b"{}".to_vec()),
            )
            .await;
        res.error(415, "unsupported_media_type");
        app.post_raw(path, &app.agent, "application/json", b"[]")
            .await
            .error(422, "validation_failed");
    }
    app.send(
        Method::PATCH,
        &ticket_path,
        Some(&app.agent),
        Some("application/json"),
        Some(b"{\"status\":".to_vec()),
    )
    .await
    .error(400, "malformed_json");
}

#[tokio::test]
async fn oversized_bodies() {
    let app = spawn_app_with(|c| c.max_request_body = 16 * 1024).await;
    let body = json!({"subject": "Big", "body": "x".repeat(17 * 1024), "customer": {"email": "big@shop.example"}});
    app.post("/api/v1/tickets", &app.agent, &body)
        .await
        .error(413, "payload_too_large");
    app.post(
        "/api/v1/customers",
        &app.agent,
        &json!({"name": "y".repeat(20 * 1024)}),
    )
    .await
    .error(413, "payload_too_large");
    let list = app.get("/api/v1/tickets", &app.agent).await.ok(200).clone();
    assert_eq!(list["total"], 0, "nothing half-written");
}

/// (body, field named in the error)
fn invalid_tickets() -> Vec<(serde_json::Value, &'static str)> {
    let c = json!({"email": "ok@shop.example"});
    vec![
        (
            json!({"subject": "s", "body": "b", "customer": c, "colour": "red"}),
            "colour",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": {"email": "ok@shop.example", "x": 1}}),
            "customer.x",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": {"email": "not-an-address"}}),
            "customer.email",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": {"email": "a@b"}}),
            "customer.email",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": {"phone": "601 234 567"}}),
            "customer.phone",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": {"phone": "+48 abc"}}),
            "customer.phone",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": {"email": "ok@shop.example", "language": "polish"}}),
            "customer.language",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": {"name": "Nobody"}}),
            "customer",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": {"id": "tkt_1"}}),
            "customer.id",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": {"id": "cus_1", "email": "ok@shop.example"}}),
            "customer",
        ),
        (
            json!({"subject": "", "body": "b", "customer": c}),
            "subject",
        ),
        (
            json!({"subject": "a\u{0}b", "body": "b", "customer": c}),
            "subject",
        ),
        (
            json!({"subject": "x".repeat(501), "body": "b", "customer": c}),
            "subject",
        ),
        (json!({"subject": "s", "customer": c}), "body"),
        (json!({"subject": "s", "body": "  ", "customer": c}), "body"),
        (
            json!({"subject": "s", "body": "nul \u{0} inside", "customer": c}),
            "body",
        ),
        (
            json!({"subject": "s", "html": "<p></p>", "customer": c}),
            "html",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": c, "priority": "asap"}),
            "priority",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": c, "channel": "pigeon"}),
            "channel",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": c, "tags": ["ok", "two words"]}),
            "tags[1]",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": c, "tags": "vip"}),
            "tags",
        ),
        (
            json!({"subject": "s", "body": "b", "customer": c, "assignee": "agt_zzzzzz"}),
            "assignee",
        ),
        (json!({"subject": 5, "body": "b", "customer": c}), "subject"),
        (json!({"body": "b", "customer": c}), "subject"),
        (json!({"subject": "s", "body": "b"}), "customer"),
        (
            json!({"subject": "s", "body": "b", "customer": c, "channel_message_id": ""}),
            "channel_message_id",
        ),
    ]
}

#[tokio::test]
async fn invalid_fields_are_named_and_nothing_is_written() {
    let app = spawn_app().await;
    for (body, field) in invalid_tickets() {
        let res = app.post("/api/v1/tickets", &app.agent, &body).await;
        let detail = res.error(422, "validation_failed").to_owned();
        assert_eq!(res.body["field"], field, "{body} → {detail}");
    }
    let list = app.get("/api/v1/tickets", &app.agent).await.ok(200).clone();
    assert_eq!(list["total"], 0, "nothing half-written");
    let customers = app
        .get("/api/v1/customers", &app.agent)
        .await
        .ok(200)
        .clone();
    assert_eq!(
        customers["total"], 0,
        "no customer created by a refused ticket"
    );

    let t = app.create_ticket("Patch me", "p@shop.example", "x").await;
    let path = format!("/api/v1/tickets/{}", t["id"].as_str().unwrap());
    for (body, field) in [
        (json!({"status": "done"}), "status"),
        (json!({"status": null, "x": 1}), "x"),
        (json!({"priority": 3}), "priority"),
        (json!({"assignee": "nobody"}), "assignee"),
        (json!({"subject": " \n "}), "subject"),
        (json!({"tags": [""]}), "tags[0]"),
        (json!({"language": "xyz"}), "language"),
    ] {
        let res = app.patch(&path, &app.agent, &body).await;
        res.error(422, "validation_failed");
        assert_eq!(res.body["field"], field, "{body}");
    }
    let msgs = format!("{path}/messages");
    for (body, field) in [
        (json!({"kind": "email", "body": "x"}), "kind"),
        (json!({"body": "x"}), "kind"),
        (json!({"kind": "note"}), "body"),
        (
            json!({"kind": "note", "body": "x", "channel_message_id": "y"}),
            "channel_message_id",
        ),
        (
            json!({"kind": "note", "body": "x", "attachments": [{"filename": "a"}]}),
            "attachments[0].content_type",
        ),
        (
            json!({"kind": "note", "attachments": [{"filename": "", "content_type": "text/plain", "content_base64": ""}]}),
            "attachments[0].filename",
        ),
        (
            json!({"kind": "note", "attachments": [{"filename": "a", "content_type": "nonsense", "content_base64": ""}]}),
            "attachments[0].content_type",
        ),
    ] {
        let res = app.post(&msgs, &app.agent, &body).await;
        res.error(422, "validation_failed");
        assert_eq!(res.body["field"], field, "{body}");
    }
    let d = app.get(&path, &app.agent).await.ok(200).clone();
    assert_eq!(
        d["messages"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
    assert_eq!(d["status"], "new");

    for (body, field) in [
        (json!({"email": "nope"}), "email"),
        (
            json!({"identities": [{"kind": "fax", "value": "1"}]}),
            "identities[0].kind",
        ),
        (
            json!({"identities": [{"kind": "phone", "value": "12"}]}),
            "identities[0]",
        ),
        (
            json!({"identities": [{"kind": "telegram", "value": "a b"}]}),
            "identities[0]",
        ),
        (json!({"name": "a\nb"}), "name"),
        (json!({"name": "n", "language": 7}), "language"),
    ] {
        let res = app.post("/api/v1/customers", &app.agent, &body).await;
        res.error(422, "validation_failed");
        assert_eq!(res.body["field"], field, "{body}");
    }
}

#[tokio::test]
async fn bad_query_strings_and_paths() {
    let app = spawn_app().await;
    for (query, field) in [
        ("status=done", "status"),
        ("assignee=bob", "assignee"),
        ("customer=tkt_1", "customer"),
        ("tag=two%20words", "tag"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=many", "limit"),
    ] {
        let res = app
            .get(&format!("/api/v1/tickets?{query}"), &app.agent)
            .await;
        res.error(422, "validation_failed");
        assert_eq!(res.body["field"], field, "{query}");
    }
    for query in [
        "cursor=abc",
        "cursor=",
        "cursor=AQAAAAAAAAAAAA",
        "cursor=%FF",
    ] {
        let res = app
            .get(&format!("/api/v1/tickets?{query}"), &app.agent)
            .await;
        assert_eq!(res.status, 400, "{query}: {res:?}");
        assert!(["invalid_cursor", "invalid_query"].contains(&res.body["code"].as_str().unwrap()));
    }
    app.get("/api/v1/tickets?colour=red", &app.agent)
        .await
        .error(400, "invalid_query");
    app.get("/api/v1/tickets?status=new&status=open", &app.agent)
        .await
        .error(400, "invalid_query");
    app.get("/api/v1/customers?include_merged=yes", &app.agent)
        .await
        .error(422, "validation_failed");
    app.get("/api/v1/customers?q=%00", &app.agent)
        .await
        .error(422, "validation_failed");

    app.get("/api/v1/tickets/%FF", &app.agent)
        .await
        .error(400, "invalid_path");
    app.get("/api/v1/tickets/tkt_%C4%99", &app.agent)
        .await
        .error(404, "ticket_not_found");
    app.get("/api/v1/nothing-here", &app.agent)
        .await
        .error(404, "not_found");
    app.get("/nothing", &app.agent)
        .await
        .error(404, "not_found");
    app.send(
        Method::DELETE,
        "/api/v1/tickets",
        Some(&app.agent),
        None,
        None,
    )
    .await
    .error(405, "method_not_allowed");
    app.send(Method::PUT, "/healthz", None, None, None)
        .await
        .error(405, "method_not_allowed");
}
