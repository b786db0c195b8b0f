//! `/api/v1/promises`: every promise made to a customer — list and filter them, make one (a due
//! time given, or a phrase read in the calendar's zone), keep one with a note, cancel one with
//! a reason.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use trustdesk_domain::time::now;
use trustdesk_domain::{
    CustomerId, MadeBy, MessageId, PromiseId, PromiseKind, PromiseState, PromiseText, TicketId,
    Timestamp,
};
use trustdesk_store::{NewPromise, Promise, PromiseFilter, StoreError};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cursor::{self, CursorKind};
use super::input;
use super::schema::*;
use crate::auth::{Principal, Reader, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, PathId};
use crate::promises::{DEFAULT_CALENDAR, PromiseRules};
use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_promises, create_promise))
        .routes(routes!(get_promise))
        .routes(routes!(keep_promise))
        .routes(routes!(cancel_promise))
}

/// A promise made to a customer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Promise)]
pub struct PromiseView {
    #[schema(value_type = PromiseIdSchema)]
    pub id: PromiseId,
    #[schema(value_type = PromiseKindSchema)]
    pub kind: PromiseKind,
    #[schema(value_type = PromiseStateSchema)]
    pub state: PromiseState,
    /// `system`, `bot` or the agent's id (`agt_…`).
    #[schema(value_type = String, example = "agt_1")]
    pub made_by: MadeBy,
    /// The words the customer was given.
    pub text: String,
    pub due_at: Timestamp,
    #[schema(value_type = Option<TicketIdSchema>)]
    pub ticket_id: Option<TicketId>,
    #[schema(value_type = Option<CustomerIdSchema>)]
    pub customer_id: Option<CustomerId>,
    /// The shop's order number.
    pub order: Option<String>,
    /// The message the promise was made in.
    #[schema(value_type = Option<MessageIdSchema>)]
    pub message_id: Option<MessageId>,
    /// The calendar the due time is counted in.
    pub calendar: Option<String>,
    pub created_at: Timestamp,
    /// When the assignee is warned before the deadline.
    pub warn_at: Option<Timestamp>,
    pub warned_at: Option<Timestamp>,
    /// Set while the clock stands still (the ticket waits for the customer).
    pub paused_at: Option<Timestamp>,
    /// When it was kept, broken or cancelled, by whom, and the note or reason.
    pub settled_at: Option<Timestamp>,
    pub settled_by: Option<String>,
    pub note: Option<String>,
}

impl From<Promise> for PromiseView {
    fn from(p: Promise) -> Self {
        PromiseView {
            id: p.id,
            kind: p.kind,
            state: p.state,
            made_by: p.made_by,
            text: p.text,
            due_at: p.due_at,
            ticket_id: p.ticket_id,
            customer_id: p.customer_id,
            order: p.order_number,
            message_id: p.message_id,
            calendar: p.calendar,
            created_at: p.created_at,
            warn_at: p.warn_at,
            warned_at: p.warned_at,
            paused_at: p.paused_at,
            settled_at: p.settled_at,
            settled_by: p.settled_by,
            note: p.note,
        }
    }
}

/// One page of promises, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromiseList {
    pub items: Vec<PromiseView>,
    /// Promises matching the filter, in all pages.
    pub total: u64,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PromiseListQuery {
    /// A ticket id (`tkt_…`).
    pub ticket: Option<String>,
    /// A customer id (`cus_…`).
    pub customer: Option<String>,
    /// An order number, exactly as the shop writes it.
    pub order: Option<String>,
    /// `pending`, `kept`, `broken`, `cancelled`.
    pub state: Option<String>,
    /// `first_response`, `next_response`, `resolution`, `callback`, `agent_promise`, ….
    pub kind: Option<String>,
    /// RFC 3339; only promises due before it.
    pub due_before: Option<String>,
    /// 1-500, default 50.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// When a promise is due: an instant, or a phrase read in the calendar's zone.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DueInput {
    /// RFC 3339, e.g. `2026-06-02T10:00:00+02:00`.
    #[schema(value_type = Option<String>, example = "2026-06-02T10:00:00+02:00")]
    pub due_at: Option<Timestamp>,
    /// "tomorrow at 10", "besok jam 10", "jutro o 10", "mâine la 10", "within 3 business
    /// days", "by Friday", "in 2 hours".
    #[schema(example = "tomorrow at 10")]
    pub phrase: Option<String>,
}

/// A promise to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePromise {
    #[schema(value_type = PromiseKindSchema)]
    pub kind: PromiseKind,
    /// The ticket it is about; its customer is taken from the ticket.
    #[schema(value_type = Option<TicketIdSchema>)]
    pub ticket: Option<TicketId>,
    #[schema(value_type = Option<CustomerIdSchema>)]
    pub customer: Option<CustomerId>,
    pub order: Option<String>,
    /// The words shown to the customer; defaults to the phrase as read back.
    pub text: Option<String>,
    #[schema(value_type = Option<String>, example = "2026-06-02T10:00:00+02:00")]
    pub due_at: Option<Timestamp>,
    #[schema(example = "tomorrow at 10")]
    pub phrase: Option<String>,
    /// The calendar a phrase is read in (default: `default`).
    pub calendar: Option<String>,
}

/// A promise an agent makes in a reply or note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessagePromiseInput {
    /// Default `agent_promise`.
    #[schema(value_type = Option<PromiseKindSchema>)]
    pub kind: Option<PromiseKind>,
    #[schema(value_type = Option<String>, example = "2026-06-02T10:00:00+02:00")]
    pub due_at: Option<Timestamp>,
    #[schema(example = "jutro o 10")]
    pub phrase: Option<String>,
    /// The words shown to the customer; defaults to the phrase as read back.
    pub text: Option<String>,
    pub order: Option<String>,
    /// The calendar a phrase is read in (default: the ticket channel's).
    pub calendar: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeepPromise {
    /// How it was kept ("refund sent, ref 88").
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelPromise {
    /// Why it no longer stands; recorded on the promise and the ticket's log.
    pub reason: String,
}

impl PathId for PromiseId {
    const WHAT: &'static str = "promise";
    const NOT_FOUND: &'static str = "promise_not_found";
}

/// Who a promise made through the API is made by: the token's agent, or trustdesk itself.
pub(crate) fn made_by(caller: &Principal) -> MadeBy {
    caller.agent.map_or(MadeBy::System, MadeBy::Agent)
}

/// A due time from an instant or a phrase (exactly one), with the words to show: `text` when
/// given, else the phrase as read back, else the instant in the calendar's zone.
pub(crate) fn read_due(
    rules: &PromiseRules,
    calendar: Option<&str>,
    due_at: Option<Timestamp>,
    phrase: Option<&str>,
    text: Option<&str>,
    field: &str,
) -> Result<(Timestamp, PromiseText, String), ApiError> {
    let now = now();
    let (name, cal) = rules.calendar(calendar.unwrap_or(DEFAULT_CALENDAR));
    let name = name.to_owned();
    let (due, shown) = match (due_at, phrase) {
        (Some(at), None) => (
            at,
            trustdesk_domain::calendar::words::moment(cal, trustdesk_domain::Language::EN, at),
        ),
        (None, Some(p)) => {
            let (_, due) = rules
                .read_phrase(&name, p, now)
                .map_err(|e| ApiError::invalid_field(format!("{field}phrase"), e.to_string()))?;
            (due.at, due.wording)
        }
        _ => {
            return Err(ApiError::invalid_field(
                format!("{field}due_at"),
                "give either `due_at` or `phrase`",
            ));
        }
    };
    let text = match text {
        Some(t) => PromiseText::parse(t)
            .map_err(|e| ApiError::invalid_field(format!("{field}text"), e.to_string()))?,
        None => PromiseText::parse(&shown)
            .map_err(|e| ApiError::invalid_field(format!("{field}phrase"), e.to_string()))?,
    };
    Ok((due, text, name))
}

/// The promise an agent's message carries, read like `POST /api/v1/promises`.
pub(crate) fn message_promise(
    rules: &PromiseRules,
    channel_calendar: &str,
    caller: &Principal,
    input: MessagePromiseInput,
) -> Result<NewPromise, ApiError> {
    let (due_at, text, calendar) = read_due(
        rules,
        Some(input.calendar.as_deref().unwrap_or(channel_calendar)),
        input.due_at,
        input.phrase.as_deref(),
        input.text.as_deref(),
        "promise.",
    )?;
    let kind = input.kind.unwrap_or(PromiseKind::AgentPromise);
    let mut new = NewPromise::new(kind, made_by(caller), text, due_at);
    new.order_number = input::short_text("promise.order", input.order)?;
    new.calendar = Some(calendar);
    Ok(new)
}

/// List promises
///
/// Newest first, filtered; `total` counts all matches.
#[utoipa::path(
    get,
    path = "/api/v1/promises",
    tag = "promises",
    params(PromiseListQuery),
    responses((status = 200, description = "One page of promises", body = PromiseList))
)]
#[tracing::instrument(level = "debug", skip_all, err(Display, level = "debug"))]
async fn list_promises(
    State(app): State<AppState>,
    Reader(_caller): Reader,
    ApiQuery(q): ApiQuery<PromiseListQuery>,
) -> ApiResult<Json<PromiseList>> {
    let due_before = q
        .due_before
        .as_deref()
        .map(|raw| {
            raw.parse::<Timestamp>().map_err(|_| {
                ApiError::invalid_field(
                    "due_before",
                    format!("`{}` is not an RFC 3339 instant", input::shown(raw)),
                )
            })
        })
        .transpose()?;
    let filter = PromiseFilter {
        ticket: input::param("ticket", q.ticket.as_deref())?,
        customer: input::param("customer", q.customer.as_deref())?,
        order_number: input::short_text("order", q.order)?,
        state: input::param("state", q.state.as_deref())?,
        kind: input::param("kind", q.kind.as_deref())?,
        due_before,
    };
    let before = q
        .cursor
        .as_deref()
        .map(|c| cursor::decode(CursorKind::Promises, c))
        .transpose()?;
    let page = input::page(q.limit.as_deref(), before)?;
    let result = app.store().list_promises(&filter, page).await?;
    Ok(Json(PromiseList {
        items: result.items.into_iter().map(Into::into).collect(),
        total: result.total,
        next_cursor: result.next.map(|n| cursor::encode(CursorKind::Promises, n)),
    }))
}

/// Make a promise
///
/// Due at `due_at`, or when `phrase` says, read in the calendar's zone and shown back in
/// `text`. Made by the token's agent (or `system`). On a ticket, a `promise.made` event goes
/// to its log.
#[utoipa::path(
    post,
    path = "/api/v1/promises",
    tag = "promises",
    request_body = CreatePromise,
    responses(
        (status = 201, description = "The promise", body = PromiseView),
        (status = 404, description = "`ticket_not_found`, `customer_not_found`", body = ErrorBody),
        (status = 409, description = "`ticket_closed`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, err(Display, level = "debug"))]
async fn create_promise(
    State(app): State<AppState>,
    Writer(auth): Writer,
    ApiJson(req): ApiJson<CreatePromise>,
) -> ApiResult<(StatusCode, Json<PromiseView>)> {
    if req.ticket.is_none() && req.customer.is_none() && req.order.is_none() {
        return Err(ApiError::invalid_field(
            "ticket",
            "a promise is about a `ticket`, a `customer` or an `order`",
        ));
    }
    let rules = PromiseRules::load(app.store().as_ref()).await?;
    let (due_at, text, calendar) = read_due(
        &rules,
        req.calendar.as_deref(),
        req.due_at,
        req.phrase.as_deref(),
        req.text.as_deref(),
        "",
    )?;
    let mut new = NewPromise::new(req.kind, made_by(&auth), text, due_at);
    new.ticket = req.ticket;
    new.customer = req.customer;
    new.order_number = input::short_text("order", req.order)?;
    new.calendar = Some(calendar);
    let promise = app
        .store()
        .create_promise(new, &auth.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { what: "agent", id } => {
                ApiError::invalid_field("made_by", format!("no agent {id}"))
            }
            e => e.into(),
        })?;
    Ok((StatusCode::CREATED, Json(promise.into())))
}

/// Read a promise
#[utoipa::path(
    get,
    path = "/api/v1/promises/{id}",
    tag = "promises",
    params(("id" = String, Path, description = "A promise id, `prm_…`")),
    responses(
        (status = 200, description = "The promise", body = PromiseView),
        (status = 404, description = "`promise_not_found`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(promise = %id), err(Display, level = "debug"))]
async fn get_promise(
    State(app): State<AppState>,
    Reader(_caller): Reader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<PromiseView>> {
    let id = PromiseId::from_path(&id)?;
    Ok(Json(app.store().get_promise(id).await?.into()))
}

/// Keep a promise
///
/// By hand, with an optional note. Only a pending promise can be kept.
#[utoipa::path(
    post,
    path = "/api/v1/promises/{id}/keep",
    tag = "promises",
    params(("id" = String, Path, description = "A promise id, `prm_…`")),
    request_body = KeepPromise,
    responses(
        (status = 200, description = "The kept promise", body = PromiseView),
        (status = 404, description = "`promise_not_found`", body = ErrorBody),
        (status = 409, description = "`promise_not_pending`: already kept, broken or cancelled", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(promise = %id), err(Display, level = "debug"))]
async fn keep_promise(
    State(app): State<AppState>,
    Writer(auth): Writer,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<KeepPromise>,
) -> ApiResult<Json<PromiseView>> {
    let id = PromiseId::from_path(&id)?;
    let note = input::short_text("note", req.note)?;
    Ok(Json(
        app.store()
            .keep_promise(id, note, &auth.actor)
            .await?
            .into(),
    ))
}

/// Cancel a promise
///
/// With the reason, recorded openly. Only a pending promise can be cancelled.
#[utoipa::path(
    post,
    path = "/api/v1/promises/{id}/cancel",
    tag = "promises",
    params(("id" = String, Path, description = "A promise id, `prm_…`")),
    request_body = CancelPromise,
    responses(
        (status = 200, description = "The cancelled promise", body = PromiseView),
        (status = 404, description = "`promise_not_found`", body = ErrorBody),
        (status = 409, description = "`promise_not_pending`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(promise = %id), err(Display, level = "debug"))]
async fn cancel_promise(
    State(app): State<AppState>,
    Writer(auth): Writer,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CancelPromise>,
) -> ApiResult<Json<PromiseView>> {
    let id = PromiseId::from_path(&id)?;
    let reason = input::short_text("reason", Some(req.reason))?
        .ok_or_else(|| ApiError::invalid_field("reason", "say why the promise is cancelled"))?;
    Ok(Json(
        app.store()
            .cancel_promise(id, reason, &auth.actor)
            .await?
            .into(),
    ))
}
