//! `/api/v1/search`: full-text search over tickets — subjects, every message and note, and the
//! customer's name and addresses — ranked by relevance.

use axum::Json;
use axum::extract::State;
use trustdesk_domain::text::Query;
use trustdesk_store::SearchRequest;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::input;
use super::model::*;
use crate::auth::Reader;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::startup::AppState;

pub const MAX_SEARCH_LIMIT: u32 = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// Search tickets
///
/// Every word of `q` must occur in the ticket. Case and diacritics do not matter ("zwrot
/// pieniędzy" finds "zwrot pieniedzy") and words are stemmed in English, Indonesian, Polish and
/// Romanian. Search syntax (`"`, `*`, `NEAR`, `-`, …) has no meaning: it only separates words.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    params(SearchQuery),
    responses((status = 200, description = "Matching tickets, best first", body = SearchResponse))
)]
#[tracing::instrument(level = "debug", skip_all, err(Display, level = "debug"))]
async fn search(
    State(app): State<AppState>,
    Reader(_caller): Reader,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchResponse>> {
    let Some(text) = q.q else {
        return Err(ApiError::invalid_field(
            "q",
            "the words to search for are missing",
        ));
    };
    let limit = input::limit(q.limit.as_deref(), 20, MAX_SEARCH_LIMIT)?;
    let query = Query::parse(&text);
    if query.is_empty() {
        return Ok(Json(SearchResponse {
            total: 0,
            hits: Vec::new(),
        }));
    }
    let results = app.store().search(&SearchRequest { query, limit }).await?;
    Ok(Json(results.into()))
}
