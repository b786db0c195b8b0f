//! `/api/v1/channels/email`: the door for raw inbound mail (MTAs through `trustdesk mailgate`,
//! mail providers' webhooks), and the quarantine where mail that must not become a ticket is
//! kept for an admin.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trustdesk_domain::{MessageId, QuarantineId, TicketId, Timestamp};
use trustdesk_store::Quarantined;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cursor::{self, CursorKind};
use super::input;
use super::schema::{MessageIdSchema, QuarantineIdSchema, TicketIdSchema};
use crate::auth::{Admin, MailDeliverer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, PathId};
use crate::intake::{Action, Outcome};
use crate::startup::{AppState, Limits};

pub fn router(limits: &Limits) -> OpenApiRouter<AppState> {
    let inbound = OpenApiRouter::new()
        .routes(routes!(inbound_email))
        .layer(DefaultBodyLimit::max(limits.max_message_body));
    OpenApiRouter::new()
        .routes(routes!(list_quarantine))
        .routes(routes!(quarantined_raw))
        .merge(inbound)
}

/// What the intake did with a mail, answered once it is committed.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundResult {
    /// The ticket the mail opened or was added to (for a duplicate: where the first copy went).
    #[schema(value_type = Option<TicketIdSchema>)]
    pub ticket_id: Option<TicketId>,
    /// The ticket's number, as people quote it.
    pub ticket_number: Option<i64>,
    /// The message stored from this mail (for a duplicate: the first copy's).
    #[schema(value_type = Option<MessageIdSchema>)]
    pub message_id: Option<MessageId>,
    pub action: Action,
    /// Why the mail was rejected or quarantined, or what was noticed (an ignored subject tag,
    /// a dropped attachment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Set when the mail sits in the quarantine (no ticket).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<QuarantineIdSchema>)]
    pub quarantine_id: Option<QuarantineId>,
}

impl From<Outcome> for InboundResult {
    fn from(o: Outcome) -> Self {
        InboundResult {
            ticket_id: o.ticket_id,
            ticket_number: o.ticket_number,
            message_id: o.message_id,
            action: o.action,
            reason: o.reason,
            quarantine_id: o.quarantine_id,
        }
    }
}

/// A raw RFC 5322 message: `Content-Type: message/rfc822` (415 otherwise), not empty (400),
/// within the route's size limit (413).
pub struct RawMail(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawMail {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_mail = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("message/rfc822"));
        if !is_mail {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the raw mail with Content-Type: message/rfc822",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large("the mail is larger than this server takes")
            } else {
                ApiError::bad_request("unreadable_body", "the request body could not be read")
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "empty_message",
                "the request body holds no mail",
            ));
        }
        Ok(RawMail(bytes))
    }
}

/// Deliver an inbound mail
///
/// The raw message exactly as received. It is kept byte for byte (its SHA-256 is recorded),
/// then: a mail seen before is a `duplicate` of the first delivery; a bounce, feedback report
/// or automatic reply is noted on the ticket it concerns or quarantined (never a ticket); a
/// person's mail is threaded by In-Reply-To / References, then by the subject tag, or opens
/// a ticket; what cannot be read is quarantined as `rejected` with the `reason`. Every stored
/// outcome answers 200 — only after it is committed — so an MTA may delete its copy; any
/// other status means nothing was stored and the delivery should be retried (5xx) or bounced
/// (4xx). Tokens: `mailgate` (made for this), `agent` or `admin`.
#[utoipa::path(
    post,
    path = "/api/v1/channels/email/inbound",
    tag = "email",
    request_body(content = Vec<u8>, content_type = "message/rfc822", description = "The raw RFC 5322 message"),
    responses(
        (status = 200, description = "Stored: what was done with it", body = InboundResult),
        (status = 400, description = "`empty_message`, `unreadable_body`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not message/rfc822", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, err(Display, level = "debug"))]
async fn inbound_email(
    State(app): State<AppState>,
    MailDeliverer(caller): MailDeliverer,
    RawMail(raw): RawMail,
) -> ApiResult<Json<InboundResult>> {
    let outcome = app.intake().ingest(raw.to_vec(), &caller.actor).await?;
    Ok(Json(outcome.into()))
}

/// A quarantined mail: kept, with the reason, for an admin to look at.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantinedView {
    #[schema(value_type = QuarantineIdSchema)]
    pub id: QuarantineId,
    /// `rejected`, `bounce`, `auto_reply` or `feedback_report`.
    pub kind: String,
    pub reason: String,
    /// Its Message-ID, or `sha256-…@trustdesk.invalid` when it had none.
    pub message_id: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    /// Bytes of the raw mail.
    pub size: i64,
    pub raw_sha256: String,
    pub received_at: Timestamp,
}

impl From<Quarantined> for QuarantinedView {
    fn from(q: Quarantined) -> Self {
        QuarantinedView {
            id: q.id,
            kind: q.mail.kind.as_str().to_owned(),
            reason: q.mail.reason,
            message_id: q.mail.channel_message_id,
            sender: q.mail.sender,
            subject: q.mail.subject,
            size: q.mail.size,
            raw_sha256: q.mail.raw_sha256,
            received_at: q.received_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantineList {
    /// Newest first.
    pub items: Vec<QuarantinedView>,
    pub total: u64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuarantineQuery {
    /// 1-500, default 50.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List quarantined mail (admin)
///
/// Mail that was not taken in: unreadable or refused (`rejected`), and bounces, feedback
/// reports and automatic replies about nothing we know. Newest first.
#[utoipa::path(
    get,
    path = "/api/v1/channels/email/quarantine",
    tag = "email",
    params(QuarantineQuery),
    responses(
        (status = 200, description = "One page of quarantined mail", body = QuarantineList),
        (status = 403, description = "`forbidden`: admins only", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, err(Display, level = "debug"))]
async fn list_quarantine(
    State(app): State<AppState>,
    Admin(_caller): Admin,
    ApiQuery(q): ApiQuery<QuarantineQuery>,
) -> ApiResult<Json<QuarantineList>> {
    let before = q
        .cursor
        .as_deref()
        .map(|c| cursor::decode(CursorKind::Quarantine, c))
        .transpose()?;
    let page = input::page(q.limit.as_deref(), before)?;
    let result = app.store().list_quarantine(page).await?;
    Ok(Json(QuarantineList {
        items: result.items.into_iter().map(Into::into).collect(),
        total: result.total,
        next_cursor: result
            .next
            .map(|n| cursor::encode(CursorKind::Quarantine, n)),
    }))
}

/// Download a quarantined mail (admin)
///
/// The raw bytes exactly as received, as a `.eml` download.
#[utoipa::path(
    get,
    path = "/api/v1/channels/email/quarantine/{id}/raw",
    tag = "email",
    params(("id" = String, Path, description = "A quarantined mail's id, `qua_…`")),
    responses(
        (status = 200, description = "The raw mail", content_type = "message/rfc822", body = Vec<u8>),
        (status = 403, description = "`forbidden`: admins only", body = ErrorBody),
        (status = 404, description = "`quarantined_mail_not_found`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(id = %id), err(Display, level = "debug"))]
async fn quarantined_raw(
    State(app): State<AppState>,
    Admin(_caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let id = QuarantineId::from_path(&id)?;
    let q = app.store().get_quarantined(id).await?;
    let bytes = app.store().get_blob(&q.mail.raw_sha256).await?;
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    // Served as a download only: the bytes are a stranger's.
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("message/rfc822"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{id}.eml\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    super::attachments::download_only(h);
    Ok(res)
}
