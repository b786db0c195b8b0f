//! Start-up and shutdown: the first admin is created once; SIGTERM-style shutdown finishes the
//! request in flight and commits it.

use std::time::Duration;

use argon2::PasswordVerifier;
use secrecy::ExposeSecret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trustdesk_domain::Role;
use trustdesk_server::App;
use trustdesk_store::TicketFilter;

use crate::helpers::{spawn_app, start};

#[tokio::test]
async fn the_first_admin_is_created_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = trustdesk_server::Config::with_data_dir(dir.path().join("data"));
    config.listen = "127.0.0.1:0".parse().unwrap();

    let app = App::build(config.clone()).await.unwrap();
    let first = app.first_admin().expect("an empty database gets an admin");
    assert_eq!(first.agent.email.as_str(), "admin@trustdesk.localhost");
    assert_eq!(first.agent.role, Role::Admin);
    assert!(first.agent.must_change_password);
    let hash = first.agent.password_hash.clone().unwrap();
    assert!(hash.starts_with("$argon2id$"));
    argon2::Argon2::default()
        .verify_password(first.password.expose_secret().as_bytes(), hash.as_str())
        .unwrap();
    let instructions = first.instructions(&app.base_url());
    assert!(instructions.contains(first.password.expose_secret()));
    assert!(instructions.contains("admin@trustdesk.localhost"));
    let store = app.store();
    assert_eq!(store.count_agents().await.unwrap(), 1);
    store.close().await;
    drop(app);

    let again = start(config, dir).await;
    assert_eq!(
        again.store.count_agents().await.unwrap(),
        1,
        "no second admin"
    );
    let (config, _dir) = again.stop().await;
    let app = App::build(config).await.unwrap();
    assert!(app.first_admin().is_none());
    app.store().close().await;
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_and_commits_it() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&serde_json::json!({
        "subject": "Sent during shutdown",
        "body": "Still here?",
        "customer": {"email": "late@shop.example"}
    }))
    .unwrap();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request_head = format!(
        "POST /api/v1/tickets HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        app.agent,
        body.len()
    );
    conn.write_all(request_head.as_bytes()).await.unwrap();
    conn.write_all(head).await.unwrap();
    // Wait (without a deadline on correctness) until the server is handling the request.
    for _ in 0..1000 {
        if app.state.in_flight() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        app.state.in_flight(),
        1,
        "the request never reached the server"
    );

    app.shutdown.stop();
    conn.write_all(tail).await.unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    let store = app.store.clone();
    app.server.await.unwrap().unwrap();
    // The store is closed; reopen the data directory and find the ticket committed.
    let reopened = trustdesk_server::open_store(&app.config.database, &app.config.data_dir)
        .await
        .unwrap();
    drop(store);
    let page = reopened
        .list_tickets(
            &TicketFilter::default(),
            trustdesk_store::PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].subject, "Sent during shutdown");
    reopened.close().await;
}

#[tokio::test]
async fn a_start_that_cannot_listen_creates_no_admin() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = trustdesk_server::Config::with_data_dir(dir.path().join("data"));
    config.listen = taken.local_addr().unwrap();
    let err = App::build(config.clone())
        .await
        .err()
        .expect("the port is taken");
    assert!(format!("{err:#}").contains("cannot listen"), "{err:#}");
    let store = trustdesk_server::open_store(&config.database, &config.data_dir)
        .await
        .unwrap();
    assert_eq!(store.count_agents().await.unwrap(), 0);
    store.close().await;
}
