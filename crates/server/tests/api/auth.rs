//! Authentication and roles: 401 everywhere but the public routes, 403 for the wrong role,
//! revocation.

use reqwest::Method;
use serde_json::json;
use trustdesk_domain::Role;
use trustdesk_server::auth::reveal;
use trustdesk_server::tokens;

use crate::helpers::spawn_app;

/// Every authenticated route, with a body where it takes one.
fn routes(ticket: &str, customer: &str) -> Vec<(Method, String, Option<serde_json::Value>)> {
    vec![
        (Method::GET, "/api/v1/tickets".into(), None),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            Some(json!({"subject": "s", "body": "b", "customer": {"email": "r@shop.example"}})),
        ),
        (Method::GET, format!("/api/v1/tickets/{ticket}"), None),
        (
            Method::PATCH,
            format!("/api/v1/tickets/{ticket}"),
            Some(json!({"priority": "low"})),
        ),
        (
            Method::GET,
            format!("/api/v1/tickets/{ticket}/events"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{ticket}/messages"),
            Some(json!({"kind": "note", "body": "n"})),
        ),
        (
            Method::GET,
            format!("/api/v1/tickets/{ticket}/attachments/att_1"),
            None,
        ),
        (Method::GET, "/api/v1/customers".into(), None),
        (
            Method::POST,
            "/api/v1/customers".into(),
            Some(json!({"name": "n"})),
        ),
        (Method::GET, format!("/api/v1/customers/{customer}"), None),
        (
            Method::PATCH,
            format!("/api/v1/customers/{customer}"),
            Some(json!({"name": "m"})),
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{customer}/merge"),
            Some(json!({"from": "cus_zzzzzz"})),
        ),
        (Method::GET, "/api/v1/search?q=x".into(), None),
        (Method::GET, "/metrics".into(), None),
        (Method::GET, "/api/v1/tokens".into(), None),
        (
            Method::POST,
            "/api/v1/tokens".into(),
            Some(json!({"name": "n", "role": "viewer"})),
        ),
        (
            Method::POST,
            "/api/v1/tokens/tok_zzzzzz/revoke".into(),
            None,
        ),
    ]
}

#[tokio::test]
async fn every_route_needs_a_token_but_health_and_the_document() {
    let app = spawn_app().await;
    let t = app.create_ticket("Auth", "auth@shop.example", "x").await;
    let (ticket, customer) = (
        t["id"].as_str().unwrap(),
        t["customer_id"].as_str().unwrap(),
    );
    let revoked = tokens::create_token(app.store.as_ref(), "gone", Role::Admin, None)
        .await
        .unwrap();
    tokens::revoke_token(app.store.as_ref(), &revoked.token.id.to_string())
        .await
        .unwrap();
    let revoked = reveal(&revoked.secret).to_owned();
    let unknown = format!("td_{}", "ab".repeat(32));
    let headers = [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer ".to_owned()),
        Some("Basic YWRtaW46YWRtaW4=".to_owned()),
        Some(format!("Bearer {unknown}")),
        Some(format!("Bearer {revoked}")),
        Some(format!("Bearer {}x", app.admin)),
        Some(format!("Token {}", app.admin)),
    ];
    for (method, path, body) in routes(ticket, customer) {
        for h in &headers {
            let mut req = app.client.request(method.clone(), app.url(&path));
            if let Some(h) = h {
                req = req.header("authorization", h);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 401, "{method} {path} with {h:?}");
            assert!(
                res.headers()["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .starts_with("Bearer")
            );
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["code"], "unauthenticated", "{method} {path}");
        }
    }
    // Case-insensitive scheme, as RFC 7235 says.
    let res = app
        .client
        .get(app.url("/api/v1/tickets"))
        .header("authorization", format!("bearer {}", app.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    for public in ["/healthz", "/api/openapi.json"] {
        let res = app.client.get(app.url(public)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{public}");
    }
}

#[tokio::test]
async fn viewers_read_agents_write_admins_merge() {
    let app = spawn_app().await;
    let t = app.create_ticket("Roles", "roles@shop.example", "x").await;
    let (ticket, customer) = (
        t["id"].as_str().unwrap(),
        t["customer_id"].as_str().unwrap(),
    );
    for (method, path, body) in routes(ticket, customer) {
        let is_write = method != Method::GET;
        let is_admin_only = path.ends_with("/merge") || path.starts_with("/api/v1/tokens");
        for (token, role) in [
            (&app.viewer, "viewer"),
            (&app.agent, "agent"),
            (&app.admin, "admin"),
        ] {
            let res = app
                .send(
                    method.clone(),
                    &path,
                    Some(token),
                    body.as_ref().map(|_| "application/json"),
                    body.as_ref().map(|b| serde_json::to_vec(b).unwrap()),
                )
                .await;
            let forbidden = (is_write && role == "viewer") || (is_admin_only && role != "admin");
            if forbidden {
                res.error(403, "forbidden");
            } else {
                assert_ne!(res.status, 401, "{role} {method} {path}: {res:?}");
                assert_ne!(res.status, 403, "{role} {method} {path}: {res:?}");
                assert!(res.status.as_u16() < 500, "{role} {method} {path}: {res:?}");
            }
        }
    }
    // A viewer's malformed write is refused for the role, before the body is looked at.
    app.post_raw("/api/v1/tickets", &app.viewer, "application/json", b"{nope")
        .await
        .error(403, "forbidden");
}

#[tokio::test]
async fn revoked_tokens_stop_working_when_the_cache_entry_goes() {
    let app = spawn_app().await;
    let issued = tokens::create_token(app.store.as_ref(), "short-lived", Role::Agent, None)
        .await
        .unwrap();
    let secret = reveal(&issued.secret).to_owned();
    app.get("/api/v1/tickets", &secret).await.ok(200);
    let listed = tokens::list_tokens(app.store.as_ref()).await.unwrap();
    let mine = listed.iter().find(|t| t.id == issued.token.id).unwrap();
    assert_eq!(mine.name, "short-lived");
    assert_eq!(mine.role, Role::Agent);
    assert!(mine.revoked_at.is_none());

    tokens::revoke_token(app.store.as_ref(), &issued.token.id.to_string())
        .await
        .unwrap();
    // Within the cache's 10 s this node may still accept it; when the entry goes, it is out.
    app.state.tokens().forget_all();
    app.get("/api/v1/tickets", &secret)
        .await
        .error(401, "unauthenticated");
    let listed = tokens::list_tokens(app.store.as_ref()).await.unwrap();
    assert!(
        listed
            .iter()
            .find(|t| t.id == issued.token.id)
            .unwrap()
            .revoked_at
            .is_some()
    );

    assert!(matches!(
        tokens::revoke_token(app.store.as_ref(), "tok_zzzzzz").await,
        Err(tokens::TokenError::Store(
            trustdesk_store::StoreError::NotFound { .. }
        ))
    ));
    assert!(matches!(
        tokens::revoke_token(app.store.as_ref(), "cus_1").await,
        Err(tokens::TokenError::InvalidId(_))
    ));
    assert!(matches!(
        tokens::create_token(app.store.as_ref(), "  ", Role::Agent, None).await,
        Err(tokens::TokenError::InvalidName(_))
    ));
}

#[tokio::test]
async fn admins_manage_tokens_over_the_api() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            &json!({"name": "shop integration", "role": "agent"}),
        )
        .await
        .ok(201)
        .clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["token"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("td_"));
    assert_eq!(created["token"]["role"], "agent");
    app.create_ticket("Via the new token", "new@shop.example", "x")
        .await;
    app.get("/api/v1/tickets", &secret).await.ok(200);

    let list = app.get("/api/v1/tokens", &app.admin).await.ok(200).clone();
    assert!(
        !list.to_string().contains(&secret),
        "secrets are never listed"
    );
    let mine = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["name"], "shop integration");
    assert!(mine["last_used_at"].is_string() || mine["last_used_at"].is_null());

    let revoked = app
        .send(
            Method::POST,
            &format!("/api/v1/tokens/{id}/revoke"),
            Some(&app.admin),
            None,
            None,
        )
        .await
        .ok(200)
        .clone();
    assert!(revoked["revoked_at"].is_string());
    // On the node that revoked it, at once.
    app.get("/api/v1/tickets", &secret)
        .await
        .error(401, "unauthenticated");
    app.send(
        Method::POST,
        "/api/v1/tokens/tok_zzzzzz/revoke",
        Some(&app.admin),
        None,
        None,
    )
    .await
    .error(404, "token_not_found");
    app.send(
        Method::POST,
        "/api/v1/tokens/nope/revoke",
        Some(&app.admin),
        None,
        None,
    )
    .await
    .error(404, "token_not_found");
    let e = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            &json!({"name": " ", "role": "agent"}),
        )
        .await;
    e.error(422, "validation_failed");
    assert_eq!(e.body["field"], "name");
    let e = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            &json!({"name": "x", "role": "root"}),
        )
        .await;
    assert_eq!(e.body["field"], "role");
}
