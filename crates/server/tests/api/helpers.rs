//! `spawn_app()` and small request helpers shared by every test.

use std::net::SocketAddr;
use std::sync::{Arc, Once};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::task::JoinHandle;
use trustdesk_conformance::pg::TestDatabase;
use trustdesk_domain::Role;
use trustdesk_server::auth::reveal;
use trustdesk_server::{App, AppState, Config, ShutdownHandle, tokens};
use trustdesk_store::{DatabaseUrl, Store};

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub admin: String,
    pub agent: String,
    pub viewer: String,
    /// A `mailgate` token: delivers mail, reads nothing.
    pub mailgate: String,
    pub store: Arc<dyn Store>,
    pub state: AppState,
    pub shutdown: ShutdownHandle,
    pub server: JoinHandle<anyhow::Result<()>>,
    pub config: Config,
    pub dir: TempDir,
    /// The PostgreSQL database of a Postgres-backed app, dropped with it.
    pub pg: Option<TestDatabase>,
}

/// A response: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Res {
    /// Asserts an error response of the API's shape and returns its detail.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) -> &str {
        assert_eq!(self.status.as_u16(), status, "{self:#?}");
        assert_eq!(self.body["code"], code, "{self:#?}");
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{self:#?}"
        );
        let ct = self.headers.get("content-type").unwrap().to_str().unwrap();
        assert!(ct.starts_with("application/json"), "{ct}");
        self.body["detail"].as_str().unwrap()
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{self:#?}");
        &self.body
    }
}

fn install_tls_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with the test's tweaks to the default configuration, and creates an admin,
/// an agent and a viewer token.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::with_data_dir(dir.path().join("data"));
    config.listen = "127.0.0.1:0".parse().unwrap();
    tweak(&mut config);
    start(config, dir).await
}

/// The app on a fresh PostgreSQL database of its own (a real server; see the harness).
pub async fn spawn_app_on_postgres() -> TestApp {
    let db = trustdesk_conformance::pg::fresh_database().await;
    let url = db.url.clone();
    let mut app = spawn_app_with(|c| c.database = DatabaseUrl::Postgres(url)).await;
    app.pg = Some(db);
    app
}

/// Starts the app on an existing configuration (a data directory used before).
pub async fn start(config: Config, dir: TempDir) -> TestApp {
    install_tls_provider();
    let app = App::build(config.clone()).await.expect("app builds");
    let addr = app.local_addr();
    let store = app.store();
    let state = app.state().clone();
    let shutdown = app.shutdown_handle();
    let mut secrets = Vec::new();
    for role in [Role::Admin, Role::Agent, Role::Viewer, Role::Mailgate] {
        let issued = tokens::create_token(store.as_ref(), role.as_str(), role, None)
            .await
            .unwrap();
        secrets.push(reveal(&issued.secret).to_owned());
    }
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        addr,
        client: reqwest::Client::builder().build().unwrap(),
        admin: secrets[0].clone(),
        agent: secrets[1].clone(),
        viewer: secrets[2].clone(),
        mailgate: secrets[3].clone(),
        store,
        state,
        shutdown,
        server,
        config,
        dir,
        pg: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Res {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Res {
        self.send(Method::GET, path, Some(token), None, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Res {
        self.send(
            Method::POST,
            path,
            Some(token),
            Some("application/json"),
            Some(serde_json::to_vec(body).unwrap()),
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Res {
        self.send(
            Method::PATCH,
            path,
            Some(token),
            Some("application/json"),
            Some(serde_json::to_vec(body).unwrap()),
        )
        .await
    }

    /// A body with any bytes and content type.
    pub async fn post_raw(&self, path: &str, token: &str, content_type: &str, body: &[u8]) -> Res {
        self.send(
            Method::POST,
            path,
            Some(token),
            Some(content_type),
            Some(body.to_vec()),
        )
        .await
    }

    /// Delivers a raw mail to the inbound endpoint with the mailgate token.
    pub async fn deliver(&self, raw: &[u8]) -> Res {
        self.post_raw(
            "/api/v1/channels/email/inbound",
            &self.mailgate,
            "message/rfc822",
            raw,
        )
        .await
    }

    /// Opens a ticket for `email` and returns its JSON.
    pub async fn create_ticket(&self, subject: &str, email: &str, body: &str) -> Value {
        self.post(
            "/api/v1/tickets",
            &self.agent,
            &json!({"subject": subject, "body": body, "customer": {"email": email}}),
        )
        .await
        .ok(201)
        .clone()
    }

    /// Stops the server as SIGTERM would and waits for it to finish.
    pub async fn stop(self) -> (Config, TempDir) {
        self.shutdown.stop();
        self.server.await.unwrap().unwrap();
        (self.config, self.dir)
    }
}
