//! Prometheus figures: requests and latencies by route and status, requests in flight, and the
//! store's write queue. The recorder is process-wide and installed once; every app started in
//! the process (tests start many) reports into it.

use std::collections::HashSet;
use std::sync::{OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use trustdesk_store::StoreStats;

use crate::startup::AppState;

/// Seconds; from a fast cached read to a slow upload.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Another recorder may already be installed (a host program's); ours then still
        // renders, just without the figures that went to the other one.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics may be incomplete");
        }
        // Histograms buffer samples until upkeep folds them in; without a scrape they would
        // grow without bound. A thread, not a task: it must outlive any one runtime.
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start the metrics upkeep thread");
        }
        handle
    })
}

/// Counts and times every request, by route template (never the raw path, which would make
/// one series per ticket) and status.
pub async fn track(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| intern(p.as_str()));
    let method = method_label(req.method());
    let _in_flight = app.in_flight_guard();
    let response = next.run(req).await;
    let status = response.status();
    let elapsed = start.elapsed();
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status_label(status)),
    ];
    metrics::counter!("trustdesk_http_requests_total", &labels).increment(1);
    metrics::histogram!("trustdesk_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
    tracing::info!(
        target: "trustdesk::http",
        method,
        route,
        status = status.as_u16(),
        ms = %format_args!("{:.3}", elapsed.as_secs_f64() * 1000.0),
        "request"
    );
    response
}

/// Route templates as `&'static str`, so labelling a request allocates nothing. The set is
/// bounded by the routes the app declares.
fn intern(route: &str) -> &'static str {
    static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(r) = routes.read().unwrap_or_else(|p| p.into_inner()).get(route) {
        return r;
    }
    let mut w = routes.write().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = w.get(route) {
        return r;
    }
    let leaked: &'static str = Box::leak(route.to_owned().into_boxed_str());
    w.insert(leaked);
    leaked
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_label(s: StatusCode) -> &'static str {
    match s.as_u16() {
        200 => "200",
        201 => "201",
        204 => "204",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        409 => "409",
        413 => "413",
        415 => "415",
        422 => "422",
        500 => "500",
        503 => "503",
        // Codes trustdesk does not send itself, by class.
        code => match code / 100 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        },
    }
}

/// The store's figures, set just before a scrape renders.
pub fn record_store_stats(stats: StoreStats, in_flight: usize) {
    metrics::gauge!("trustdesk_store_write_queue_depth").set(stats.write_queue_depth as f64);
    metrics::counter!("trustdesk_store_commits_total").absolute(stats.commits);
    metrics::counter!("trustdesk_store_writes_total").absolute(stats.writes);
    metrics::gauge!("trustdesk_http_requests_in_flight").set(in_flight as f64);
}
