//! `/api/v1/tokens` (admin): the same token management as `trustdesk token`, over HTTP. A
//! revocation here takes effect on this node at once and on other nodes within 10 seconds.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use trustdesk_domain::{AgentId, Role, Timestamp, TokenId};
use trustdesk_store::ApiToken;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schema::{AgentIdSchema, RoleSchema};
use crate::auth::{Admin, reveal};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::startup::AppState;
use crate::tokens::{self, TokenError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// An API token; its secret is never shown again after creation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Token)]
pub struct TokenView {
    #[schema(value_type = String, example = "tok_1")]
    pub id: TokenId,
    pub name: String,
    #[schema(value_type = RoleSchema)]
    pub role: Role,
    #[schema(value_type = Option<AgentIdSchema>)]
    pub agent_id: Option<AgentId>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            role: t.role,
            agent_id: t.agent_id,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, 1-100 characters.
    #[schema(example = "shop integration")]
    pub name: String,
    #[schema(value_type = RoleSchema)]
    pub role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub token: TokenView,
    /// The secret, shown only in this response: send it as `Authorization: Bearer …`.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    /// Oldest first, revoked ones included.
    pub items: Vec<TokenView>,
}

fn token_error(e: TokenError) -> ApiError {
    match e {
        TokenError::InvalidName(why) => ApiError::invalid_field("name", why),
        TokenError::InvalidId(id) => {
            ApiError::not_found("token_not_found", format!("no token {id}"))
        }
        TokenError::Store(e) => e.into(),
    }
}

/// List tokens (admin)
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "tokens",
    responses(
        (status = 200, description = "Every token, never a secret", body = TokenList),
        (status = 403, description = "`forbidden`: only admins manage tokens", body = ErrorBody),
    )
)]
async fn list_tokens(
    State(app): State<AppState>,
    Admin(_caller): Admin,
) -> ApiResult<Json<TokenList>> {
    let items = tokens::list_tokens(app.store().as_ref())
        .await
        .map_err(token_error)?;
    Ok(Json(TokenList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Create a token (admin)
///
/// The response carries the secret; it is not stored and cannot be shown again.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "tokens",
    request_body = CreateToken,
    responses((status = 201, description = "The token and its secret", body = CreatedToken))
)]
async fn create_token(
    State(app): State<AppState>,
    Admin(_caller): Admin,
    ApiJson(req): ApiJson<CreateToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let issued = tokens::create_token(app.store().as_ref(), &req.name, req.role, None)
        .await
        .map_err(token_error)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            secret: reveal(&issued.secret).to_owned(),
            token: issued.token.into(),
        }),
    ))
}

/// Revoke a token (admin)
///
/// Effective on this node at once, on other nodes within 10 seconds. Revoking twice is fine.
#[utoipa::path(
    post,
    path = "/api/v1/tokens/{id}/revoke",
    tag = "tokens",
    params(("id" = String, Path, description = "A token id, `tok_…`")),
    responses(
        (status = 200, description = "The revoked token", body = TokenView),
        (status = 404, description = "`token_not_found`", body = ErrorBody),
    )
)]
async fn revoke_token(
    State(app): State<AppState>,
    Admin(_caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TokenView>> {
    let token = tokens::revoke_token(app.store().as_ref(), &id)
        .await
        .map_err(token_error)?;
    app.tokens().forget_all();
    Ok(Json(token.into()))
}
