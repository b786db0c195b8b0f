//! The same API on PostgreSQL: a smoke run through every area, so a difference between the
//! backends that the conformance suite misses at the Store level shows up at the HTTP level.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::helpers::spawn_app_on_postgres;

#[tokio::test]
async fn the_api_on_postgres() {
    let app = spawn_app_on_postgres().await;
    let health = app
        .send(reqwest::Method::GET, "/healthz", None, None, None)
        .await;
    assert_eq!(health.ok(200)["backend"], "postgres");
    assert_eq!(
        app.store.count_agents().await.unwrap(),
        1,
        "the first admin"
    );

    // Tickets: create, find-or-create, read, reply with an attachment, download, change.
    let t = app
        .post(
            "/api/v1/tickets",
            &app.agent,
            &json!({"subject": "Zwrot pieniędzy", "html": "<p>Proszę o <b>zwrot</b> pieniędzy<script>x</script></p>",
                    "customer": {"email": "jan@sklep.example", "name": "Jan"}, "tags": ["refund"]}),
        )
        .await
        .ok(201)
        .clone();
    let id = t["id"].as_str().unwrap();
    let again = app.create_ticket("Again", "JAN@sklep.example", "x").await;
    assert_eq!(again["customer_id"], t["customer_id"]);
    let pdf = b"%PDF-1.4 postgres".to_vec();
    let posted = app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            &app.agent,
            &json!({"kind": "reply", "body": "Refund sent", "attachments": [
                {"filename": "refund.pdf", "content_type": "application/pdf", "content_base64": STANDARD.encode(&pdf)}]}),
        )
        .await
        .ok(201)
        .clone();
    assert_eq!(posted["ticket"]["status"], "open");
    let url = posted["message"]["attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .get(app.url(&url))
        .bearer_auth(&app.viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice());
    let d = app
        .get(&format!("/api/v1/tickets/{id}"), &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(d["messages"].as_array().unwrap().len(), 2);
    assert!(
        !d["messages"][0]["html"]
            .as_str()
            .unwrap()
            .contains("script")
    );
    assert_eq!(d["messages"][0]["text"], "Proszę o zwrot pieniędzy");
    app.patch(
        &format!("/api/v1/tickets/{id}"),
        &app.agent,
        &json!({"status": "closed"}),
    )
    .await
    .ok(200);
    app.patch(
        &format!("/api/v1/tickets/{id}"),
        &app.agent,
        &json!({"status": "open"}),
    )
    .await
    .error(409, "ticket_closed");
    let ev = app
        .get(&format!("/api/v1/tickets/{id}/events"), &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(ev["chain_valid"], true, "{ev}");

    // Lists and pages.
    for i in 0..3 {
        app.create_ticket(&format!("Page {i}"), "pager@shop.example", "x")
            .await;
    }
    let mut seen = 0;
    let mut path = "/api/v1/tickets?limit=2".to_owned();
    loop {
        let page = app.get(&path, &app.viewer).await.ok(200).clone();
        assert_eq!(page["total"], 5);
        seen += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/tickets?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, 5);
    assert_eq!(
        app.get("/api/v1/tickets?tag=refund", &app.agent)
            .await
            .ok(200)["total"],
        1
    );

    // Search, with syntax that means something to tsquery.
    let r = app
        .get("/api/v1/search?q=zwrot%20pieniedzy", &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(r["total"], 1, "{r}");
    assert_eq!(r["hits"][0]["ticket_id"], id);
    for q in [
        "%26",
        "%7C",
        "%21",
        "%3A*",
        "zwrot%20%3C-%3E%20x",
        "%27",
        "%5C",
        "NEAR",
        "-",
    ] {
        assert_eq!(
            app.get(&format!("/api/v1/search?q={q}"), &app.agent)
                .await
                .status,
            200,
            "{q}"
        );
    }

    // Customers and merge.
    let other = app
        .post(
            "/api/v1/customers",
            &app.agent,
            &json!({"name": "Jan K.", "phone": "+48 601 234 567"}),
        )
        .await
        .ok(201)
        .clone();
    let into = t["customer_id"].as_str().unwrap();
    let merged = app
        .post(
            &format!("/api/v1/customers/{into}/merge"),
            &app.admin,
            &json!({"from": other["id"]}),
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(merged["identities"].as_array().unwrap().len(), 2);
    app.post(
        "/api/v1/customers",
        &app.agent,
        &json!({"email": "jan@sklep.example"}),
    )
    .await
    .error(409, "identity_taken");

    // Bad input and roles: refused, nothing written.
    app.post(
        "/api/v1/tickets",
        &app.agent,
        &json!({"subject": "s", "body": "a\u{0}b", "customer": {"email": "nul@shop.example"}}),
    )
    .await
    .error(422, "validation_failed");
    app.post(
        "/api/v1/tickets",
        &app.viewer,
        &json!({"subject": "s", "body": "b", "customer": {"email": "v@shop.example"}}),
    )
    .await
    .error(403, "forbidden");
    app.get("/api/v1/tickets", "td_nope")
        .await
        .error(401, "unauthenticated");
    assert_eq!(
        app.get("/api/v1/tickets", &app.agent).await.ok(200)["total"],
        5
    );
    assert_eq!(
        app.get("/api/v1/customers?q=nul%40", &app.agent)
            .await
            .ok(200)["total"],
        0
    );

    let metrics = app.get("/metrics", &app.viewer).await;
    assert!(metrics.text.contains("trustdesk_store_commits_total"));
    app.stop().await;
}
