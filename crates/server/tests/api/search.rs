//! Search: folded, stemmed, ranked; and whatever syntax people type is just words.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn search_finds_words_without_diacritics_and_takes_any_syntax() {
    let app = spawn_app().await;
    let refund = app
        .post(
            "/api/v1/tickets",
            &app.agent,
            &json!({"subject": "Zwrot pieniędzy", "body": "Proszę o zwrot pieniędzy za zamówienie 1043",
                    "customer": {"email": "jan@sklep.example", "name": "Jan Kowalski"}}),
        )
        .await
        .ok(201)
        .clone();
    app.create_ticket("Shipping", "ship@shop.example", "Where is my parcel?")
        .await;

    let r = app
        .get("/api/v1/search?q=zwrot%20pieniedzy", &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(r["total"], 1, "{r}");
    let hit = &r["hits"][0];
    assert_eq!(hit["ticket_id"], refund["id"]);
    assert_eq!(hit["number"], refund["number"]);
    assert_eq!(hit["subject"], "Zwrot pieniędzy");
    assert_eq!(hit["status"], "new");
    assert!(hit["snippet"].as_str().unwrap().contains('['), "{hit}");
    assert!(hit["score"].is_number());
    assert!(hit["updated_at"].is_string());
    // Customer names and addresses are searchable too.
    assert_eq!(
        app.get("/api/v1/search?q=kowalski", &app.agent)
            .await
            .ok(200)["total"],
        1
    );

    // Search syntax of any database is only a separator: never an error.
    for q in [
        "%22",
        "*",
        "NEAR",
        "-",
        "zwrot%20NEAR%20pieniedzy",
        "%22zwrot",
        "zwrot*",
        "-zwrot",
        "zwrot%20-pieniedzy",
        "(zwrot)",
        "zwrot%20AND%20OR%20NOT",
        "%27%3B%20DROP%20TABLE%20tickets%3B--",
        "a%3Ab",
        "%5E",
        "%7B%7D",
        "zwrot%00",
    ] {
        let r = app.get(&format!("/api/v1/search?q={q}"), &app.agent).await;
        assert_eq!(r.status, 200, "q={q}: {r:?}");
        assert!(r.body["total"].is_u64(), "q={q}: {r:?}");
    }
    let r = app
        .get("/api/v1/search?q=%22zwrot%20pieniedzy%22", &app.agent)
        .await
        .ok(200)
        .clone();
    assert_eq!(r["total"], 1);
    let r = app
        .get("/api/v1/search?q=", &app.agent)
        .await
        .ok(200)
        .clone();
    assert_eq!(r, json!({"total": 0, "hits": []}));

    let e = app.get("/api/v1/search", &app.agent).await;
    e.error(422, "validation_failed");
    assert_eq!(e.body["field"], "q");
    app.get("/api/v1/search?q=x&limit=0", &app.agent)
        .await
        .error(422, "validation_failed");
    app.get("/api/v1/search?q=x&limit=101", &app.agent)
        .await
        .error(422, "validation_failed");
    app.get("/api/v1/search?q=%FF", &app.agent)
        .await
        .error(400, "invalid_query");
    app.get("/api/v1/search?q=x&sort=new", &app.agent)
        .await
        .error(400, "invalid_query");
}
