//! Customers: create, read, change, list and page, merge.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn create_read_change_and_list_customers() {
    let app = spawn_app().await;
    let c = app
        .post(
            "/api/v1/customers",
            &app.agent,
            &json!({
                "name": " Budi Santoso ",
                "language": "id",
                "email": "budi@toko.example",
                "identities": [{"kind": "whatsapp", "value": "6281234567890"}]
            }),
        )
        .await
        .ok(201)
        .clone();
    let id = c["id"].as_str().unwrap();
    assert!(id.starts_with("cus_"));
    assert_eq!(c["name"], "Budi Santoso");
    assert_eq!(c["language"], "id");
    assert_eq!(
        c["identities"],
        json!([
            {"kind": "email", "value": "budi@toko.example"},
            {"kind": "whatsapp", "value": "6281234567890"}
        ])
    );
    assert_eq!(c["merged_into"], Value::Null);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}"), &app.viewer)
            .await
            .ok(200),
        &c
    );

    let u = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &app.agent,
            &json!({"name": null, "add_identities": [{"kind": "phone", "value": "+62 812 3456 7890"}],
                    "remove_identities": [{"kind": "whatsapp", "value": "6281234567890"}]}),
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(u["name"], Value::Null);
    assert_eq!(u["language"], "id", "absent fields stay");
    assert_eq!(
        u["identities"],
        json!([
            {"kind": "email", "value": "budi@toko.example"},
            {"kind": "phone", "value": "+6281234567890"}
        ])
    );

    // An identity belongs to one customer only.
    app.post(
        "/api/v1/customers",
        &app.agent,
        &json!({"email": "BUDI@toko.example"}),
    )
    .await
    .error(409, "identity_taken");
    let other = app
        .post("/api/v1/customers", &app.agent, &json!({"name": "Siti"}))
        .await
        .ok(201)
        .clone();
    app.patch(
        &format!("/api/v1/customers/{}", other["id"].as_str().unwrap()),
        &app.agent,
        &json!({"add_identities": [{"kind": "email", "value": "budi@toko.example"}]}),
    )
    .await
    .error(409, "identity_taken");
    app.post("/api/v1/customers", &app.agent, &json!({}))
        .await
        .error(422, "validation_failed");

    for i in 0..4 {
        app.post(
            "/api/v1/customers",
            &app.agent,
            &json!({"name": format!("Pager {i}")}),
        )
        .await
        .ok(201);
    }
    let found = app
        .get("/api/v1/customers?q=toko.EXAMPLE", &app.viewer)
        .await
        .ok(200)
        .clone();
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], id);

    let mut seen = 0;
    let mut path = "/api/v1/customers?limit=2".to_owned();
    loop {
        let page = app.get(&path, &app.viewer).await.ok(200).clone();
        assert_eq!(page["total"], 6);
        seen += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/customers?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, 6);

    // A ticket list's cursor is not a customer list's.
    let tickets_cursor = {
        for i in 0..2 {
            app.create_ticket(&format!("t{i}"), "cursor@shop.example", "x")
                .await;
        }
        app.get("/api/v1/tickets?limit=1", &app.agent).await.body["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    app.get(
        &format!("/api/v1/customers?cursor={tickets_cursor}"),
        &app.agent,
    )
    .await
    .error(400, "invalid_cursor");
    app.get("/api/v1/customers/cus_zzzzzz", &app.agent)
        .await
        .error(404, "customer_not_found");
    app.patch(
        "/api/v1/customers/cus_zzzzzz",
        &app.agent,
        &json!({"name": "x"}),
    )
    .await
    .error(404, "customer_not_found");
}

#[tokio::test]
async fn merge_customers() {
    let app = spawn_app().await;
    let a = app.create_ticket("From A", "a@shop.example", "x").await;
    let b = app.create_ticket("From B", "b@shop.example", "y").await;
    let (ca, cb) = (
        a["customer_id"].as_str().unwrap().to_owned(),
        b["customer_id"].as_str().unwrap().to_owned(),
    );
    let merge = |into: &str| format!("/api/v1/customers/{into}/merge");

    app.post(&merge(&ca), &app.agent, &json!({"from": cb}))
        .await
        .error(403, "forbidden");
    let merged = app
        .post(&merge(&ca), &app.admin, &json!({"from": cb}))
        .await
        .ok(200)
        .clone();
    assert_eq!(merged["id"], ca.as_str());
    let values: Vec<&str> = merged["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["a@shop.example", "b@shop.example"]);
    let gone = app
        .get(&format!("/api/v1/customers/{cb}"), &app.agent)
        .await
        .ok(200)
        .clone();
    assert_eq!(gone["merged_into"], ca.as_str());
    let moved = app
        .get(
            &format!("/api/v1/tickets/{}", b["id"].as_str().unwrap()),
            &app.agent,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(moved["customer"]["id"], ca.as_str());
    let ev = app
        .get(
            &format!("/api/v1/tickets/{}/events", b["id"].as_str().unwrap()),
            &app.agent,
        )
        .await
        .ok(200)
        .clone();
    assert!(
        ev["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "customer.merged")
    );
    assert_eq!(ev["chain_valid"], true);

    app.post(&merge(&ca), &app.admin, &json!({"from": cb}))
        .await
        .error(409, "already_merged");
    app.post(&merge(&ca), &app.admin, &json!({"from": ca}))
        .await
        .error(409, "merge_self");
    let e = app
        .post(&merge(&ca), &app.admin, &json!({"from": "cus_zzzzzz"}))
        .await;
    e.error(422, "validation_failed");
    assert_eq!(e.body["field"], "from");
    app.post(&merge("cus_zzzzzz"), &app.admin, &json!({"from": ca}))
        .await
        .error(404, "customer_not_found");
    let e = app
        .post(&merge(&ca), &app.admin, &json!({"from": "tkt_1"}))
        .await;
    e.error(422, "validation_failed");
    assert_eq!(e.body["field"], "from");
}
