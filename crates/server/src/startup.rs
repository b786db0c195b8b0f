//! Building and running the server: open the store, create the first admin on an empty
//! database, bind, serve until SIGTERM/SIGINT (or a [`ShutdownHandle`]), then finish requests
//! in flight and close the store so every accepted write is committed.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::middleware::from_fn_with_state;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use trustdesk_store::{DatabaseUrl, Store};

use crate::auth::TokenVerifier;
use crate::bootstrap::{FirstAdmin, ensure_first_admin};
use crate::config::Config;
use crate::error::{method_not_allowed, no_such_route};
use crate::intake::{IntakeSettings, MailIntake};
use crate::{api, metrics};

/// Size limits that the routers enforce.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_attachment_size: u64,
    pub max_request_body: usize,
    pub max_message_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from(&Config::with_data_dir(crate::config::DEFAULT_DATA_DIR))
    }
}

impl From<&Config> for Limits {
    fn from(c: &Config) -> Self {
        Limits {
            max_attachment_size: c.max_attachment_size,
            max_request_body: c.max_request_body,
            max_message_body: c.max_message_body,
        }
    }
}

/// What every handler can reach. Cloning is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

struct Shared {
    store: Arc<dyn Store>,
    intake: MailIntake,
    tokens: TokenVerifier,
    limits: Limits,
    openapi_json: Bytes,
    in_flight: AtomicUsize,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, limits: Limits) -> AppState {
        AppState::with_intake(store, limits, IntakeSettings::default())
    }

    pub fn with_intake(store: Arc<dyn Store>, limits: Limits, intake: IntakeSettings) -> AppState {
        AppState(Arc::new(Shared {
            intake: MailIntake::new(store.clone(), intake),
            tokens: TokenVerifier::new(store.clone()),
            store,
            limits,
            openapi_json: Bytes::from(api::openapi_json()),
            in_flight: AtomicUsize::new(0),
        }))
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }

    /// The mail intake every inbound door uses.
    pub fn intake(&self) -> &MailIntake {
        &self.0.intake
    }

    pub fn tokens(&self) -> &TokenVerifier {
        &self.0.tokens
    }

    pub fn limits(&self) -> &Limits {
        &self.0.limits
    }

    pub fn openapi_json(&self) -> Bytes {
        self.0.openapi_json.clone()
    }

    /// Requests being handled right now.
    pub fn in_flight(&self) -> usize {
        self.0.in_flight.load(Ordering::Relaxed)
    }

    /// Counts a request as in flight until the guard drops.
    pub fn in_flight_guard(&self) -> InFlight {
        self.0.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }
}

pub struct InFlight(AppState);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Opens the database the URL names, running its migrations. For SQLite the data directory
/// (database and attachments) is created.
pub async fn open_store(url: &DatabaseUrl, data_dir: &Path) -> anyhow::Result<Arc<dyn Store>> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let blob_dir = data_dir.join("attachments");
            for dir in [Some(data_dir), path.parent(), Some(blob_dir.as_path())]
                .into_iter()
                .flatten()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let store = trustdesk_store_sqlite::SqliteStore::open(
                trustdesk_store_sqlite::SqliteOptions::new(path.clone(), blob_dir),
            )
            .await
            .with_context(|| format!("cannot open the database {url}"))?;
            Ok(Arc::new(store))
        }
        DatabaseUrl::Postgres(raw) => {
            let store = trustdesk_store_postgres::PgStore::connect(
                trustdesk_store_postgres::PgOptions::new(raw.clone()),
            )
            .await
            .with_context(|| format!("cannot open the database {url}"))?;
            Ok(Arc::new(store))
        }
    }
}

/// Stops a running [`App`] the way SIGTERM does.
#[derive(Clone)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// A bound, ready server.
pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
    shutdown: Arc<watch::Sender<bool>>,
    first_admin: Option<FirstAdmin>,
    config: Config,
}

impl App {
    /// Opens the store the configuration names and builds the app on it.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let store = open_store(&config.database, &config.data_dir).await?;
        App::build_with_store(config, store).await
    }

    /// Builds the app on an open store: creates the first admin if there are no agents, binds
    /// `config.listen` (port 0 picks a free one).
    pub async fn build_with_store(config: Config, store: Arc<dyn Store>) -> anyhow::Result<App> {
        metrics::handle();
        // Bound before the first admin is created: a start that cannot listen must not create
        // an admin whose one-time password nobody gets to see.
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let first_admin = ensure_first_admin(store.as_ref(), &config.admin_email)
            .await
            .context("cannot create the first admin agent")?;
        let state =
            AppState::with_intake(store, Limits::from(&config), IntakeSettings::from(&config));
        let router = router(&state);
        let (shutdown, _) = watch::channel(false);
        Ok(App {
            listener,
            router,
            state,
            shutdown: Arc::new(shutdown),
            first_admin,
            config,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.config.listen)
    }

    /// `http://ADDR` as clients reach it.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr())
    }

    /// The admin created by this start, if the database had no agents.
    pub fn first_admin(&self) -> Option<&FirstAdmin> {
        self.first_admin.as_ref()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store().clone()
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown.clone())
    }

    /// Serves until SIGTERM, SIGINT or [`ShutdownHandle::stop`]; then stops accepting,
    /// finishes the requests in flight, and closes the store (which commits queued writes).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let App {
            listener,
            router,
            state,
            shutdown,
            config,
            ..
        } = self;
        let mut stopped = shutdown.subscribe();
        let stop = async move {
            tokio::select! {
                _ = os_signal() => {}
                _ = stopped.wait_for(|s| *s) => {}
            }
            tracing::info!("shutting down: finishing requests in flight");
        };
        let addr = listener.local_addr().unwrap_or(config.listen);
        tracing::info!(
            url = %format!("http://{addr}"),
            data_dir = %config.data_dir.display(),
            database = %config.database,
            "trustdesk is serving"
        );
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await;
        state.store().close().await;
        served.context("the server failed")?;
        tracing::info!("stopped; every accepted write is committed");
        Ok(())
    }
}

async fn os_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// The whole HTTP surface with its layers, outermost last: the panic guard, the default body
/// limit, metrics and request log, then (inside `api::routes`) the token check.
pub fn router(state: &AppState) -> Router {
    let limits = *state.limits();
    let (routes, _doc) = api::routes(&limits, Some(state)).split_for_parts();
    routes
        .fallback(no_such_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(limits.max_request_body))
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state.clone())
}

/// A bug must not take the connection down with it: the client gets the usual opaque 500.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<axum::body::Body> {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned());
    tracing::error!(panic = %what, "request handler panicked");
    let mut res = Response::new(axum::body::Body::from(
        r#"{"code":"internal","detail":"internal error; the server log has the details"}"#,
    ));
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}
