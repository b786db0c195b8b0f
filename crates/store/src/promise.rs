//! The promise ledger: every promise made to a customer, kept as a row until it is kept, broken
//! or cancelled — and afterwards, as evidence.
//!
//! The rows are also the deadline engine's work list. A pending promise is due at `due_at` and
//! warnable at `warn_at`; both backends index "pending, clock running, due (or warnable and not
//! yet warned) before T", so the engine finds the next deadline without scanning. Firing exactly
//! once across nodes rests on the conditional state changes here: a breach is
//! [`PromiseStore::break_promise`], which only a pending promise survives, and a warning is
//! [`PromiseStore::mark_warned`], which only an unwarned one does; the loser of a race gets
//! Conflict and does nothing.

use async_trait::async_trait;
use trustdesk_domain::calendar::Calendar;
use trustdesk_domain::{
    CustomerId, MadeBy, MessageId, PromiseId, PromiseKind, PromiseState, PromiseText, TicketId,
    Timestamp,
};

use crate::{Actor, Message, Page, PageRequest, Result, Ticket};

/// A promise as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promise {
    pub id: PromiseId,
    pub kind: PromiseKind,
    pub state: PromiseState,
    pub made_by: MadeBy,
    /// The words shown to the customer.
    pub text: String,
    pub ticket_id: Option<TicketId>,
    pub customer_id: Option<CustomerId>,
    /// The shop's order number, as text until orders are their own records.
    pub order_number: Option<String>,
    /// The message the promise was made in, when it came with one.
    pub message_id: Option<MessageId>,
    /// The calendar (by name) its due time is counted in, if business time.
    pub calendar: Option<String>,
    pub created_at: Timestamp,
    /// When it must be kept. Moves only when a paused clock resumes.
    pub due_at: Timestamp,
    /// When to warn the assignee or team before the deadline; `None`: no warning.
    pub warn_at: Option<Timestamp>,
    /// When the warning was recorded as sent (set once).
    pub warned_at: Option<Timestamp>,
    /// While set, the clock stands still (the ticket waits for the customer): the deadline
    /// engine leaves the promise alone and `due_at` moves on resume.
    pub paused_at: Option<Timestamp>,
    /// When it left `pending`, who settled it, and the note (keep) or reason (break, cancel).
    pub settled_at: Option<Timestamp>,
    pub settled_by: Option<String>,
    pub note: Option<String>,
}

/// A promise to record. On a ticket, `customer` defaults to the ticket's customer.
#[derive(Debug, Clone)]
pub struct NewPromise {
    pub kind: PromiseKind,
    pub made_by: MadeBy,
    pub text: PromiseText,
    pub due_at: Timestamp,
    pub warn_at: Option<Timestamp>,
    /// Ignored (taken from the ticket) when made with a ticket or a message.
    pub ticket: Option<TicketId>,
    pub customer: Option<CustomerId>,
    pub order_number: Option<String>,
    pub calendar: Option<String>,
}

impl NewPromise {
    /// A promise of `kind` due at `due_at`, no warning, attached to nothing yet.
    pub fn new(kind: PromiseKind, made_by: MadeBy, text: PromiseText, due_at: Timestamp) -> Self {
        NewPromise {
            kind,
            made_by,
            text,
            due_at,
            warn_at: None,
            ticket: None,
            customer: None,
            order_number: None,
            calendar: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromiseFilter {
    pub ticket: Option<TicketId>,
    pub customer: Option<CustomerId>,
    pub order_number: Option<String>,
    pub state: Option<PromiseState>,
    pub kind: Option<PromiseKind>,
    /// Only promises due strictly before this instant.
    pub due_before: Option<Timestamp>,
}

/// What a message does to the ticket's promises, in the same transaction that adds it.
#[derive(Debug, Clone, Default)]
pub struct MessagePromises {
    /// Promises made with the message (an agent's "I'll call you back tomorrow at 10").
    pub make: Vec<NewPromise>,
    /// Pending promises of these kinds on the ticket are kept by the message (an agent's reply
    /// keeps first_response and next_response).
    pub keep: Vec<PromiseKind>,
    /// Restart paused clocks if the message moves the ticket off `pending_customer`, moving
    /// each due time by the business time waited in this calendar (wall time without one).
    pub resume_in: Option<Calendar>,
}

/// What [`PromiseStore::add_message_with_promises`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAdded {
    pub ticket: Ticket,
    pub message: Message,
    /// The promises made, in the order given.
    pub made: Vec<Promise>,
    /// The promises the message kept, oldest first.
    pub kept: Vec<Promise>,
}

/// The calendar a ticket's paused clocks are counted in when a status change restarts them
/// (see [`trustdesk_domain::promise::on_status_change`]); without one, wall time.
#[derive(Debug, Clone, Default)]
pub struct StatusPromises {
    /// The calendar paused clocks are counted in when they resume.
    pub resume_in: Option<Calendar>,
}

#[async_trait]
pub trait PromiseStore {
    /// Records a pending promise and, when it belongs to a ticket, a `promise.made` event on
    /// the ticket's log. NotFound `ticket` / `customer`; Conflict `ticket_closed`.
    async fn create_promise(&self, new: NewPromise, actor: &Actor) -> Result<Promise>;
    async fn get_promise(&self, id: PromiseId) -> Result<Promise>;
    /// Newest first (by id), keyset-paged; `total` counts every match.
    async fn list_promises(
        &self,
        filter: &PromiseFilter,
        page: PageRequest,
    ) -> Result<Page<Promise>>;
    /// pending → kept, with an optional note; `promise.kept` on the ticket's log.
    /// Conflict `promise_not_pending` from any other state.
    async fn keep_promise(
        &self,
        id: PromiseId,
        note: Option<String>,
        actor: &Actor,
    ) -> Result<Promise>;
    /// pending → cancelled with the reason; `promise.cancelled`. Conflict `promise_not_pending`.
    async fn cancel_promise(&self, id: PromiseId, reason: String, actor: &Actor)
    -> Result<Promise>;
    /// pending → broken with the reason; `promise.broken`. Conflict `promise_not_pending`:
    /// of two nodes breaching the same promise, exactly one succeeds.
    async fn break_promise(&self, id: PromiseId, reason: String, actor: &Actor) -> Result<Promise>;
    /// Records that the warning before the deadline went out. Conflict `promise_not_pending`
    /// if the promise left pending, `promise_already_warned` if another node warned first.
    async fn mark_warned(&self, id: PromiseId, at: Timestamp) -> Result<Promise>;
    /// Adds a message like [`TicketStore::add_message`](crate::TicketStore::add_message) and,
    /// in the same transaction, makes and keeps the ticket's promises as `promises` says,
    /// each with its event after `message.added` (and the status change's effects, as
    /// `update_ticket_with_promises`). Promises made with the message refer to it.
    /// `add_message` is this with no promises and wall-time resumption.
    async fn add_message_with_promises(
        &self,
        ticket: TicketId,
        message: crate::NewMessage,
        promises: MessagePromises,
        actor: &Actor,
    ) -> Result<MessageAdded>;
    /// Updates a ticket like [`TicketStore::update_ticket`](crate::TicketStore::update_ticket)
    /// and moves its pending promises by the status change, in one transaction, by
    /// [`on_status_change`](trustdesk_domain::promise::on_status_change): to `pending_customer`
    /// pauses the resolution clock; leaving it resumes (due time moved by the business time
    /// waited, in `promises.resume_in`); to `resolved` keeps the resolution promise; to
    /// `closed` cancels everything still pending. Each change is an event after
    /// `ticket.updated`. `update_ticket` is this with wall-time resumption.
    async fn update_ticket_with_promises(
        &self,
        id: TicketId,
        patch: crate::TicketPatch,
        promises: StatusPromises,
        actor: &Actor,
    ) -> Result<Ticket>;
}
