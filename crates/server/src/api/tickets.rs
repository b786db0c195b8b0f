//! `/api/v1/tickets`: open tickets, read them with their messages, list and filter them, post
//! replies and notes (with attachments), change them, and read their event log.

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use trustdesk_domain::PromiseKind;
use trustdesk_domain::event::{EventContent, verify_chain};
use trustdesk_domain::time::now;
use trustdesk_domain::{
    AgentId, Channel, CustomerId, DeliveryState, Direction, Identity, Priority, Subject, TicketId,
};
use trustdesk_store::{
    AssigneeFilter, Author, CustomerRef, MessagePromises, NewCustomer, NewMessage, NewTicket,
    StatusPromises, StoreError, TicketFilter, TicketPatch,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cursor::{self, CursorKind};
use super::input;
use super::model::*;
use super::promises::message_promise;
use crate::auth::{Reader, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, PathId};
use crate::promises::{PromiseRules, status_promises};
use crate::startup::{AppState, Limits};

pub fn router(limits: &Limits) -> OpenApiRouter<AppState> {
    let messages = OpenApiRouter::new()
        .routes(routes!(add_message))
        .layer(DefaultBodyLimit::max(limits.max_message_body));
    OpenApiRouter::new()
        .routes(routes!(create_ticket, list_tickets))
        .routes(routes!(get_ticket, update_ticket))
        .routes(routes!(list_events))
        .merge(messages)
}

fn subject(raw: &str) -> Result<Subject, ApiError> {
    input::check_text("subject", raw)?;
    Subject::parse(raw).map_err(|e| ApiError::invalid_field("subject", e.to_string()))
}

/// Open a ticket
///
/// The customer is found by `id`, or by any of `email` / `phone`, or created. Everything —
/// customer, ticket, first message, search index, events, and the SLA policy's
/// first-response and resolution promises (due in business time of the channel's calendar) —
/// is written in one transaction.
#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    tag = "tickets",
    request_body = CreateTicket,
    responses(
        (status = 201, description = "The new ticket", body = TicketView),
        (status = 409, description = "`duplicate_message`: this `channel_message_id` was seen \
            before on this channel; `identity_taken` (a race with another request)", body = ErrorBody),
        (status = 404, description = "`customer_not_found` (`customer.id`)", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, err(Display, level = "debug"))]
async fn create_ticket(
    State(app): State<AppState>,
    Writer(auth): Writer,
    ApiJson(req): ApiJson<CreateTicket>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    let subject = subject(&req.subject)?;
    let c = req.customer;
    let name = input::short_text("customer.name", c.name)?;
    let (customer, author) = match c.id {
        Some(id) => {
            if c.email.is_some() || c.phone.is_some() || name.is_some() || c.language.is_some() {
                return Err(ApiError::invalid_field(
                    "customer",
                    "give either `id`, or `email` / `phone` (with `name`, `language`)",
                ));
            }
            (CustomerRef::Existing(id), Author::Customer(id))
        }
        None => {
            let mut identities = Vec::with_capacity(2);
            identities.extend(c.email.as_ref().map(Identity::email));
            identities.extend(c.phone.as_ref().map(Identity::phone));
            if identities.is_empty() {
                return Err(ApiError::invalid_field(
                    "customer",
                    "needs `id`, `email` or `phone`",
                ));
            }
            // The customer's id is only known inside the transaction that finds or creates
            // it, so the opening message is recorded as entered by the API (`system`).
            let new = NewCustomer {
                name,
                language: c.language,
                identities,
            };
            (CustomerRef::FindOrCreate(new), Author::System)
        }
    };
    let (text, html) = input::message_body(req.body, req.html, false)?;
    let channel = req.channel.unwrap_or(Channel::Api);
    let priority = req.priority.unwrap_or(Priority::Normal);
    let tags = input::tags("tags", req.tags)?;
    // The SLA's first-response and resolution promises open with the ticket.
    let rules = PromiseRules::load(app.store().as_ref()).await?;
    let promises = rules.opening_promises(channel, priority, &tags, req.language, now());
    let new = NewTicket {
        subject,
        customer,
        channel,
        priority,
        language: req.language,
        tags,
        assignee: req.assignee,
        first_message: NewMessage {
            direction: Direction::In,
            author,
            text,
            html,
            channel_message_id: input::channel_message_id(req.channel_message_id)?,
            delivery_state: DeliveryState::Received,
            attachments: Vec::new(),
            raw_sha256: None,
        },
        promises,
        actor: auth.actor.clone(),
    };
    let thread = app.store().create_ticket(new).await.map_err(|e| match e {
        StoreError::NotFound { what: "agent", id } => {
            ApiError::invalid_field("assignee", format!("no agent {id}"))
        }
        e => e.into(),
    })?;
    Ok((StatusCode::CREATED, Json(thread.ticket.into())))
}

/// List tickets
///
/// Newest first, filtered; `total` counts all matches. Follow `next_cursor` for further pages
/// (keyset pagination: page 10 000 is as fast as page 1).
#[utoipa::path(
    get,
    path = "/api/v1/tickets",
    tag = "tickets",
    params(TicketListQuery),
    responses(
        (status = 200, description = "One page of tickets", body = TicketList),
    )
)]
#[tracing::instrument(level = "debug", skip_all, err(Display, level = "debug"))]
async fn list_tickets(
    State(app): State<AppState>,
    Reader(_caller): Reader,
    ApiQuery(q): ApiQuery<TicketListQuery>,
) -> ApiResult<Json<TicketList>> {
    let assignee = match q.assignee.as_deref() {
        None => None,
        Some("none") => Some(AssigneeFilter::Unassigned),
        Some(raw) => Some(AssigneeFilter::Agent(raw.parse::<AgentId>().map_err(
            |e| ApiError::invalid_field("assignee", format!("{e}, or `none`")),
        )?)),
    };
    let filter = TicketFilter {
        status: input::param("status", q.status.as_deref())?,
        assignee,
        tag: q
            .tag
            .as_deref()
            .map(|t| {
                trustdesk_domain::Tag::parse(t)
                    .map_err(|e| ApiError::invalid_field("tag", e.to_string()))
            })
            .transpose()?,
        customer: input::param::<CustomerId>("customer", q.customer.as_deref())?,
    };
    let before = q
        .cursor
        .as_deref()
        .map(|c| cursor::decode(CursorKind::Tickets, c))
        .transpose()?;
    let page = input::page(q.limit.as_deref(), before)?;
    let result = app.store().list_tickets(&filter, page).await?;
    Ok(Json(TicketList {
        items: result.items.into_iter().map(Into::into).collect(),
        total: result.total,
        next_cursor: result.next.map(|n| cursor::encode(CursorKind::Tickets, n)),
    }))
}

/// Read a ticket
///
/// The ticket with its customer and every message (replies, notes, the customer's), oldest
/// first.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}",
    tag = "tickets",
    params(("id" = String, Path, description = "A ticket id, `tkt_…`")),
    responses(
        (status = 200, description = "The ticket, its customer and messages", body = TicketDetail),
        (status = 404, description = "`ticket_not_found`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(ticket = %id), err(Display, level = "debug"))]
async fn get_ticket(
    State(app): State<AppState>,
    Reader(_caller): Reader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TicketDetail>> {
    let id = TicketId::from_path(&id)?;
    let thread = app.store().get_thread(id).await?;
    Ok(Json(thread.into()))
}

/// Change a ticket
///
/// Status, priority, assignee, tags (replaced as a set), subject, language. One
/// `ticket.updated` event lists what changed. A status change moves the ticket's promises:
/// `pending_customer` pauses the resolution clock and leaving it resumes it (the due time
/// moves by the business time waited), `resolved` keeps the resolution promise, `closed`
/// cancels every pending promise.
#[utoipa::path(
    patch,
    path = "/api/v1/tickets/{id}",
    tag = "tickets",
    params(("id" = String, Path, description = "A ticket id, `tkt_…`")),
    request_body = UpdateTicket,
    responses(
        (status = 200, description = "The ticket after the change", body = TicketView),
        (status = 404, description = "`ticket_not_found`", body = ErrorBody),
        (status = 409, description = "`ticket_closed`: a closed ticket cannot be reopened", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(ticket = %id), err(Display, level = "debug"))]
async fn update_ticket(
    State(app): State<AppState>,
    Writer(auth): Writer,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateTicket>,
) -> ApiResult<Json<TicketView>> {
    let id = TicketId::from_path(&id)?;
    let patch = TicketPatch {
        subject: req.subject.as_deref().map(subject).transpose()?,
        status: req.status,
        priority: req.priority,
        assignee: req.assignee,
        tags: req.tags.map(|t| input::tags("tags", t)).transpose()?,
        language: req.language,
    };
    // A status change moves the ticket's promises; paused clocks resume in its calendar.
    let promises = match patch.status {
        Some(_) => {
            let channel = app.store().get_ticket(id).await?.channel;
            status_promises(app.store().as_ref(), channel).await?
        }
        None => StatusPromises::default(),
    };
    let ticket = app
        .store()
        .update_ticket_with_promises(id, patch, promises, &auth.actor)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { what: "agent", id } => {
                ApiError::invalid_field("assignee", format!("no agent {id}"))
            }
            e => e.into(),
        })?;
    Ok(Json(ticket.into()))
}

/// Post a reply or a note
///
/// `reply` goes to the customer (direction `out`, delivery state `queued`: sending it through
/// the ticket's channel comes with the outbox in a later release); `note` is internal
/// (direction `note`). Attachments travel base64-encoded and are stored by their SHA-256.
/// A reply keeps the ticket's pending first- and next-response promises; `promise` records a
/// promise made in the message (due at `due_at`, or when `phrase` says in the channel's
/// calendar), all in one transaction.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/messages",
    tag = "tickets",
    params(("id" = String, Path, description = "A ticket id, `tkt_…`")),
    request_body = NewMessageInput,
    responses(
        (status = 201, description = "The message and the ticket after it", body = MessagePosted),
        (status = 404, description = "`ticket_not_found`", body = ErrorBody),
        (status = 409, description = "`ticket_closed`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(ticket = %id), err(Display, level = "debug"))]
async fn add_message(
    State(app): State<AppState>,
    Writer(auth): Writer,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<NewMessageInput>,
) -> ApiResult<(StatusCode, Json<MessagePosted>)> {
    let id = TicketId::from_path(&id)?;
    let (text, html) = input::message_body(req.body, req.html, !req.attachments.is_empty())?;
    let (direction, delivery_state) = match req.kind {
        MessageKind::Reply => (Direction::Out, DeliveryState::Queued),
        MessageKind::Note => (Direction::Note, DeliveryState::Internal),
    };
    let ticket = app.store().get_ticket(id).await?;
    let rules = PromiseRules::load(app.store().as_ref()).await?;
    let (calendar_name, calendar) = rules.calendar_for(ticket.channel);
    let promises = MessagePromises {
        make: req
            .promise
            .map(|p| message_promise(&rules, calendar_name, &auth, p))
            .transpose()?
            .into_iter()
            .collect(),
        // A reply is the answer the customer was promised.
        keep: match direction {
            Direction::Out => PromiseKind::KEPT_BY_REPLY.to_vec(),
            _ => Vec::new(),
        },
        resume_in: Some(calendar.clone()),
    };
    let mut metas = Vec::with_capacity(req.attachments.len());
    if !req.attachments.is_empty() {
        // Bytes are written before the message that refers to them, so a message never points
        // at a missing blob. Checking the ticket first keeps an obviously refused request from
        // leaving unreferenced blobs behind (content-addressed, so harmless either way).
        if !ticket.status.accepts_messages() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "ticket_closed",
                format!("ticket {id} is closed"),
            ));
        }
        let max = app.limits().max_attachment_size;
        let inputs = req.attachments;
        let decoded = tokio::task::spawn_blocking(move || input::attachments(inputs, max))
            .await
            .map_err(|e| ApiError::internal(&e))??;
        for a in decoded {
            app.store().put_blob(&a.meta.sha256, a.bytes).await?;
            metas.push(a.meta);
        }
    }
    let message = NewMessage {
        direction,
        author: auth.author(),
        text,
        html,
        channel_message_id: None,
        delivery_state,
        attachments: metas,
        raw_sha256: None,
    };
    let added = app
        .store()
        .add_message_with_promises(id, message, promises, &auth.actor)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(MessagePosted {
            message: MessageView::new(added.message, added.ticket.id),
            ticket: added.ticket.into(),
            promises_made: added.made.into_iter().map(Into::into).collect(),
            promises_kept: added.kept.into_iter().map(Into::into).collect(),
        }),
    ))
}

/// Read a ticket's event log
///
/// Every change to the ticket, oldest first, each event carrying the hash of the one before.
/// The server verifies the chain and says whether it holds.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/events",
    tag = "tickets",
    params(("id" = String, Path, description = "A ticket id, `tkt_…`")),
    responses(
        (status = 200, description = "The events and whether their chain verifies", body = EventList),
        (status = 404, description = "`ticket_not_found`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(ticket = %id), err(Display, level = "debug"))]
async fn list_events(
    State(app): State<AppState>,
    Reader(_caller): Reader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<EventList>> {
    let id = TicketId::from_path(&id)?;
    // The store answers an unknown ticket with an empty log; the API says it does not exist.
    app.store().get_ticket(id).await?;
    let events = app.store().list_events(id).await?;
    let verdict = verify_chain(events.iter().map(|e| {
        (
            EventContent {
                ticket: e.ticket_id,
                seq: e.seq,
                kind: &e.kind,
                actor: &e.actor,
                at_micros: trustdesk_domain::time::to_micros(e.at),
                payload: &e.payload,
            },
            e.prev_hash,
            e.hash,
        )
    }));
    let items = events
        .into_iter()
        .map(EventView::new)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(EventList {
        items,
        chain_valid: verdict.is_ok(),
        chain_error: verdict.err().map(|e| e.to_string()),
    }))
}
