//! The HTTP API: each area brings its own router; this module merges them, puts the token
//! check in front of everything but the public routes, and produces the OpenAPI document from
//! the same routers, so the document cannot miss a route.

pub mod attachments;
pub mod channels;
pub mod cursor;
pub mod customers;
pub mod input;
pub mod model;
pub mod promises;
pub mod schema;
pub mod search;
pub mod system;
pub mod tickets;
pub mod tokens;

use axum::middleware::from_fn_with_state;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, HttpMethod, Ref, RefOr, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;

use crate::auth;
use crate::error::ErrorBody;
use crate::startup::{AppState, Limits};

/// Routes that answer without a token.
const PUBLIC_PATHS: &[&str] = &["/healthz", "/api/openapi.json"];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "trustdesk",
        description = "The customer-service desk for online shops that keeps its promises.\n\n\
            Authenticate with `Authorization: Bearer td_…` (create a token with `trustdesk token \
            create`). Roles: `viewer` reads; `agent` also writes tickets, messages and customers; \
            `admin` also merges customers and manages tokens; `mailgate` only delivers inbound mail \
            (`POST /api/v1/channels/email/inbound`). Revoked tokens stop working within 10 seconds.\n\n\
            Errors are JSON objects `{\"code\", \"detail\"}` (plus `field` for \
            `validation_failed`); `code` is stable.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "tickets", description = "Conversations with customers, their messages and event logs"),
        (name = "customers", description = "People and their identities on each channel"),
        (name = "promises", description = "Every promise made to a customer, pending until kept, broken or cancelled"),
        (name = "search", description = "Full-text search over tickets"),
        (name = "email", description = "Inbound mail and its quarantine"),
        (name = "tokens", description = "API tokens (admin)"),
        (name = "system", description = "Health, metrics and this document"),
    )
)]
struct ApiDoc;

/// All routes with their documentation. With `state`, API routes get the token check; without,
/// the result is only good for its document.
pub fn routes(limits: &Limits, state: Option<&AppState>) -> OpenApiRouter<AppState> {
    let mut protected = OpenApiRouter::new()
        .merge(tickets::router(limits))
        .merge(attachments::router())
        .merge(channels::router(limits))
        .merge(customers::router())
        .merge(promises::router())
        .merge(search::router())
        .merge(tokens::router())
        .merge(system::router());
    if let Some(state) = state {
        protected = protected.route_layer(from_fn_with_state(state.clone(), auth::authenticate));
    }
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(protected)
        .merge(system::public_router())
}

/// The OpenAPI document, as served and as committed in `docs/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = routes(&Limits::default(), None).into_openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    add_security_and_errors(&mut doc);
    doc
}

/// The document as pretty JSON with a final newline.
pub fn openapi_json() -> String {
    let mut s = doc_to_json(&openapi());
    s.push('\n');
    s
}

fn doc_to_json(doc: &utoipa::openapi::OpenApi) -> String {
    doc.to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Bearer security on every route but the public ones, and the error responses every route
/// shares, so each handler declares only its own.
fn add_security_and_errors(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("td_<64 hex digits>")
                .description(Some("An API token from `trustdesk token create`."))
                .build(),
        ),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        let public = PUBLIC_PATHS.contains(&path.as_str());
        for (method, op) in [
            (HttpMethod::Get, item.get.as_mut()),
            (HttpMethod::Post, item.post.as_mut()),
            (HttpMethod::Patch, item.patch.as_mut()),
            (HttpMethod::Put, item.put.as_mut()),
            (HttpMethod::Delete, item.delete.as_mut()),
        ] {
            let Some(op) = op else { continue };
            if public {
                op.security = Some(Vec::new());
            } else {
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
                add_error(
                    op,
                    "401",
                    "`unauthenticated`: no token, or an unknown or revoked one",
                );
                if method != HttpMethod::Get {
                    add_error(op, "403", "`forbidden`: the token's role may not do this");
                }
            }
            if op.request_body.is_some() {
                add_error(
                    op,
                    "400",
                    "`malformed_json`, `invalid_utf8`, `unreadable_body`",
                );
                add_error(op, "413", "`payload_too_large`");
                add_error(
                    op,
                    "415",
                    "`unsupported_media_type`: the body is not application/json",
                );
                add_error(
                    op,
                    "422",
                    "`validation_failed`: a field is missing, unknown or invalid (`field` names it)",
                );
            }
            let has_query = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter().any(|p| {
                    matches!(p, RefOr::T(p) if p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
                })
            });
            if has_query {
                add_error(op, "400", "`invalid_query`, `invalid_cursor`");
                add_error(
                    op,
                    "422",
                    "`validation_failed`: a parameter is invalid (`field` names it)",
                );
            }
            add_error(
                op,
                "500",
                "`internal`: logged on the server; nothing was half-written",
            );
        }
    }
}

fn add_error(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                    )
                    .build(),
            )
        });
}
