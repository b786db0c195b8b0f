//! Health, metrics and the OpenAPI document.

use std::path::Path;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_is_public() {
    let app = spawn_app().await;
    let res = app
        .send(reqwest::Method::GET, "/healthz", None, None, None)
        .await;
    assert_eq!(
        res.ok(200),
        &serde_json::json!({"status": "ok", "backend": "sqlite"})
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_store() {
    let app = spawn_app().await;
    app.create_ticket("Metrics", "metrics@shop.example", "x")
        .await;
    app.get("/api/v1/tickets/tkt_zzzzzz", &app.agent).await;
    let res = app.get("/metrics", &app.viewer).await;
    assert_eq!(res.status, 200);
    assert!(
        res.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = &res.text;
    for needle in [
        r#"trustdesk_http_requests_total{method="POST",route="/api/v1/tickets",status="201"}"#,
        r#"route="/api/v1/tickets/{id}",status="404""#,
        "trustdesk_http_request_duration_seconds_bucket{",
        "trustdesk_store_write_queue_depth",
        "trustdesk_store_commits_total",
        "trustdesk_store_writes_total",
        "trustdesk_http_requests_in_flight",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    // Paths with ids never become series of their own.
    assert!(!text.contains("tkt_zzzzzz"));
}

#[tokio::test]
async fn the_served_and_committed_documents_are_what_the_code_generates() {
    let app = spawn_app().await;
    let generated = trustdesk_server::api::openapi_json();
    let res = app
        .send(reqwest::Method::GET, "/api/openapi.json", None, None, None)
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text, generated);

    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is stale: regenerate it with `cargo run -- openapi > docs/openapi.json`"
    );

    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/tickets", &["get", "post"][..]),
        ("/api/v1/tickets/{id}", &["get", "patch"]),
        ("/api/v1/tickets/{id}/messages", &["post"]),
        ("/api/v1/tickets/{id}/events", &["get"]),
        ("/api/v1/tickets/{id}/attachments/{attachment}", &["get"]),
        ("/api/v1/customers", &["get", "post"]),
        ("/api/v1/customers/{id}", &["get", "patch"]),
        ("/api/v1/customers/{id}/merge", &["post"]),
        ("/api/v1/search", &["get"]),
        ("/api/v1/promises", &["get", "post"]),
        ("/api/v1/promises/{id}", &["get"]),
        ("/api/v1/promises/{id}/keep", &["post"]),
        ("/api/v1/promises/{id}/cancel", &["post"]),
        ("/healthz", &["get"]),
        ("/metrics", &["get"]),
        ("/api/openapi.json", &["get"]),
        ("/api/v1/tokens", &["get", "post"]),
        ("/api/v1/tokens/{id}/revoke", &["post"]),
        ("/api/v1/channels/email/inbound", &["post"]),
        ("/api/v1/channels/email/quarantine", &["get"]),
        ("/api/v1/channels/email/quarantine/{id}/raw", &["get"]),
    ] {
        for m in methods {
            let op = &paths[path][m];
            assert!(op.is_object(), "{m} {path} is not documented");
            let public = path == "/healthz" || path == "/api/openapi.json";
            assert_eq!(
                op["security"].as_array().unwrap().is_empty(),
                public,
                "{m} {path}"
            );
            if !public {
                assert!(op["responses"]["401"].is_object(), "{m} {path}");
            }
        }
    }
    assert_eq!(
        paths.len(),
        21,
        "a route is missing from this test or the document"
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}
