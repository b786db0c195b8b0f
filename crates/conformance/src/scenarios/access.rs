//! Agents, API tokens, attachment blobs, and the store's own health and figures.

use trustdesk_domain::time::now;
use trustdesk_domain::{AgentId, EmailAddress, Role, TokenId};
use trustdesk_store::{NewAgent, NewApiToken, Store, TicketFilter};

use super::*;

fn address(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap_or_else(|e| panic!("fixture {s}: {e}"))
}

pub async fn agents(store: &dyn Store) {
    assert_eq!(ok(store.count_agents().await, "count"), 0);
    let before = now();
    let eva = ok(
        store
            .create_agent(NewAgent {
                email: address("Eva@Desk.Example"),
                name: "Eva".into(),
                role: Role::Admin,
                password_hash: None,
                must_change_password: false,
            })
            .await,
        "create_agent",
    );
    let after = now();
    assert_eq!(eva.email.as_str(), "eva@desk.example");
    assert_eq!(eva.name, "Eva");
    assert_eq!(eva.role, Role::Admin);
    assert_eq!(eva.password_hash, None);
    assert!(!eva.must_change_password);
    assert!(!eva.disabled);
    assert!(before <= eva.created_at && eva.created_at <= after);

    let vic = ok(
        store
            .create_agent(NewAgent {
                email: address("vic@desk.example"),
                name: "Vic".into(),
                role: Role::Viewer,
                password_hash: Some(
                    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
                ),
                must_change_password: true,
            })
            .await,
        "create_agent",
    );
    assert_eq!(vic.role, Role::Viewer);
    assert_eq!(
        vic.password_hash.as_deref(),
        Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g")
    );
    assert!(vic.must_change_password);
    assert_ne!(vic.id, eva.id);

    assert_conflict(
        store
            .create_agent(NewAgent {
                email: address("EVA@desk.example"),
                name: "Another Eva".into(),
                role: Role::Agent,
                password_hash: None,
                must_change_password: false,
            })
            .await,
        "email_taken",
    );

    assert_eq!(ok(store.get_agent(eva.id).await, "get"), eva);
    assert_eq!(ok(store.get_agent(vic.id).await, "get"), vic);
    assert_eq!(
        ok(
            store
                .find_agent_by_email(&address("eva@desk.example"))
                .await,
            "find"
        ),
        Some(eva.clone())
    );
    assert_eq!(
        ok(
            store
                .find_agent_by_email(&address("nobody@desk.example"))
                .await,
            "find"
        ),
        None
    );
    let mut listed = ok(store.list_agents().await, "list");
    listed.sort_by_key(|a| a.id);
    let mut expected = vec![eva, vic];
    expected.sort_by_key(|a| a.id);
    assert_eq!(listed, expected);
    assert_eq!(ok(store.count_agents().await, "count"), 2);
    assert_not_found(store.get_agent(unknown_agent()).await, "agent");
}

pub async fn agent_passwords(store: &dyn Store) {
    let a = agent(store, "eva@desk.example", Role::Agent).await;
    ok(
        store
            .set_agent_password(a.id, "$argon2id$one-time".into(), true)
            .await,
        "set one-time password",
    );
    let got = ok(store.get_agent(a.id).await, "get");
    assert_eq!(got.password_hash.as_deref(), Some("$argon2id$one-time"));
    assert!(got.must_change_password);
    assert_eq!(
        (
            &got.email,
            &got.name,
            got.role,
            got.disabled,
            got.created_at
        ),
        (&a.email, &a.name, a.role, a.disabled, a.created_at)
    );
    ok(
        store
            .set_agent_password(a.id, "$argon2id$chosen".into(), false)
            .await,
        "set chosen password",
    );
    let got = ok(store.get_agent(a.id).await, "get");
    assert_eq!(got.password_hash.as_deref(), Some("$argon2id$chosen"));
    assert!(!got.must_change_password);
    assert_not_found(
        store
            .set_agent_password(AgentId::from_db(UNKNOWN_KEY), "$argon2id$x".into(), false)
            .await,
        "agent",
    );
}

pub async fn tokens(store: &dyn Store) {
    let a = agent(store, "eva@desk.example", Role::Agent).await;
    let before = now();
    let ci = ok(
        store
            .create_token(NewApiToken {
                name: "ci".into(),
                role: Role::Admin,
                agent_id: None,
                secret_sha256: sha256(b"secret-one"),
            })
            .await,
        "create_token",
    );
    let after = now();
    assert_eq!(ci.name, "ci");
    assert_eq!(ci.role, Role::Admin);
    assert_eq!(ci.agent_id, None);
    assert_eq!((ci.last_used_at, ci.revoked_at), (None, None));
    assert!(before <= ci.created_at && ci.created_at <= after);
    let evas = ok(
        store
            .create_token(NewApiToken {
                name: "eva's laptop".into(),
                role: Role::Agent,
                agent_id: Some(a.id),
                secret_sha256: sha256(b"secret-two"),
            })
            .await,
        "create_token",
    );
    assert_eq!(evas.agent_id, Some(a.id));
    assert_ne!(evas.id, ci.id);

    let by_secret = |secret: &'static [u8]| async move {
        ok(
            store.find_token_by_secret(&sha256(secret)).await,
            "find_token_by_secret",
        )
    };
    assert_eq!(by_secret(b"secret-one").await, Some(ci.clone()));
    assert_eq!(by_secret(b"secret-two").await, Some(evas.clone()));
    assert_eq!(by_secret(b"secret-three").await, None);

    let mut listed = ok(store.list_tokens().await, "list_tokens");
    listed.sort_by_key(|t| t.id);
    assert_eq!(listed, vec![ci.clone(), evas.clone()]);

    ok(store.touch_token(ci.id).await, "touch_token");
    let touched = by_secret(b"secret-one")
        .await
        .unwrap_or_else(|| panic!("a touched token is still found"));
    // The stamp may be coalesced; if it is there, it is not before the token existed.
    assert!(touched.last_used_at.is_none_or(|t| t >= ci.created_at));
    assert_eq!((touched.id, touched.revoked_at), (ci.id, None));

    let revoked = ok(store.revoke_token(ci.id).await, "revoke");
    assert_eq!(revoked.id, ci.id);
    let when = revoked
        .revoked_at
        .unwrap_or_else(|| panic!("revoke_token returned a live token"));
    assert!(when >= ci.created_at);
    assert_eq!(
        by_secret(b"secret-one").await,
        None,
        "a revoked token is not found"
    );
    assert_eq!(by_secret(b"secret-two").await, Some(evas.clone()));
    let again = ok(store.revoke_token(ci.id).await, "revoke twice");
    assert_eq!(
        again.revoked_at,
        Some(when),
        "revoking again keeps the first time"
    );
    let listed = ok(store.list_tokens().await, "list_tokens");
    assert!(listed.contains(&evas));
    for t in &listed {
        if t.id == ci.id {
            assert_eq!(t.revoked_at, Some(when), "listed as revoked");
        }
    }
    assert_not_found(
        store.revoke_token(TokenId::from_db(UNKNOWN_KEY)).await,
        "token",
    );
}

pub async fn blobs(store: &dyn Store) {
    // Deterministic, incompressible-looking bytes.
    let big: Vec<u8> = (0u32..300_000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let small = b"hello attachment".to_vec();
    let empty: Vec<u8> = Vec::new();
    let big_sha = sha256_hex(&big);

    assert_not_found(store.get_blob(&big_sha).await, "blob");
    for bytes in [&big, &small, &empty] {
        let sha = sha256_hex(bytes);
        ok(store.put_blob(&sha, bytes.clone()).await, "put_blob");
        ok(
            store.put_blob(&sha, bytes.clone()).await,
            "put_blob again is a no-op",
        );
    }
    for bytes in [&big, &small, &empty] {
        assert_eq!(
            &ok(store.get_blob(&sha256_hex(bytes)).await, "get_blob"),
            bytes
        );
    }
    assert_not_found(store.get_blob(&sha256_hex(b"never stored")).await, "blob");
}

pub async fn health_and_stats(store: &dyn Store) {
    ok(store.health().await, "health");
    let start = store.stats();
    let c = customer(store, None, vec![email("s@shop.example")]).await;
    for i in 0..3 {
        ticket_of(store, c.id, &format!("Stats {i}"), "text").await;
    }
    let stats = store.stats();
    assert!(
        stats.writes >= start.writes + 4,
        "four writes were committed: {start:?} → {stats:?}"
    );
    assert!(stats.commits > start.commits, "{start:?} → {stats:?}");
    assert!(
        stats.commits <= stats.writes,
        "a commit carries one write or more: {stats:?}"
    );
    assert_eq!(
        stats.write_queue_depth, 0,
        "nothing waits once every write was answered"
    );
    assert_eq!(ticket_count(store, &TicketFilter::default()).await, 3);
    ok(store.health().await, "health");
}
