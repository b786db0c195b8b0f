//! Mail intake: the one pipeline every door uses (the inbound endpoint behind `trustdesk
//! mailgate` and mail providers, `trustdesk import mail`, the mailbox poller). Raw bytes in,
//! one stored outcome out:
//!
//! 1. The raw bytes are kept exactly, in the blob store under their SHA-256, before anything
//!    refers to them; the message (or quarantine entry) records that digest.
//! 2. A mail seen before (same Message-ID, or same bytes when it has none) is a `duplicate`
//!    of what the first delivery stored: never a second ticket.
//! 3. Bounces, feedback reports and automatic replies go onto the ticket they concern, as an
//!    internal note that moves nothing, or into the quarantine when there is none; they never
//!    open a ticket (and so are never acknowledged).
//! 4. A person's mail threads by In-Reply-To and References against every Message-ID we
//!    received or sent, then by the subject tag (only for the ticket's own customer or an
//!    agent); from an agent's address onto a ticket it is the agent's reply; otherwise it
//!    opens a ticket for the sender, found or created as a customer, in the language detected.
//! 5. What cannot be read, or must not be taken in, is quarantined with the reason.
//!
//! Each outcome is answered only after the store committed it. The rules that need no
//! database live in `trustdesk_channels::email`; this module is their use of the store.

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use trustdesk_channels::email::{
    self, BounceReport, FeedbackReport, Kind, ParsedMail, SubjectTag, storable,
};
use trustdesk_domain::{
    AgentId, Channel, CustomerId, DeliveryState, Direction, EmailAddress, Identity, Language,
    MessageId, Priority, QuarantineId, TicketId,
};
use trustdesk_store::{
    Actor, AttachmentMeta, Author, CustomerPatch, CustomerRef, NewCustomer, NewMessage,
    NewQuarantined, NewTicket, QuarantineKind, Store, StoreError, Ticket,
};
use utoipa::ToSchema;

use crate::config::Config;

/// What the intake did with a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A new ticket was opened with this mail.
    Created,
    /// The mail was added to an existing ticket (a customer's message or an agent's reply).
    Appended,
    /// This mail was received before; nothing new was stored.
    Duplicate,
    /// A delivery report: noted on the ticket it concerns, or quarantined.
    Bounce,
    /// An automatic reply: noted on the ticket it answers, or quarantined.
    AutoReply,
    /// An abuse / opt-out report: noted on the ticket it concerns, or quarantined.
    FeedbackReport,
    /// Unreadable or refused; quarantined with the reason.
    Rejected,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Created,
        Action::Appended,
        Action::Duplicate,
        Action::Bounce,
        Action::AutoReply,
        Action::FeedbackReport,
        Action::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Appended => "appended",
            Action::Duplicate => "duplicate",
            Action::Bounce => "bounce",
            Action::AutoReply => "auto_reply",
            Action::FeedbackReport => "feedback_report",
            Action::Rejected => "rejected",
        }
    }

    fn of_quarantine(kind: QuarantineKind) -> Action {
        match kind {
            QuarantineKind::Rejected => Action::Rejected,
            QuarantineKind::Bounce => Action::Bounce,
            QuarantineKind::AutoReply => Action::AutoReply,
            QuarantineKind::FeedbackReport => Action::FeedbackReport,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stored result of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub action: Action,
    pub ticket_id: Option<TicketId>,
    /// The ticket's number, when there is a ticket.
    pub ticket_number: Option<i64>,
    pub message_id: Option<MessageId>,
    pub quarantine_id: Option<QuarantineId>,
    /// Why it was rejected or quarantined, or what was noticed on the way (an ignored subject
    /// tag, a dropped attachment).
    pub reason: Option<String>,
    /// Whether the mail came from one of our agents (an agent's reply).
    pub from_agent: bool,
}

impl Outcome {
    fn on_ticket(action: Action, ticket: &Ticket, message: MessageId) -> Outcome {
        Outcome {
            action,
            ticket_id: Some(ticket.id),
            ticket_number: Some(ticket.number),
            message_id: Some(message),
            quarantine_id: None,
            reason: None,
            from_agent: false,
        }
    }

    fn quarantined(action: Action, id: QuarantineId, reason: String) -> Outcome {
        Outcome {
            action,
            ticket_id: None,
            ticket_number: None,
            message_id: None,
            quarantine_id: Some(id),
            reason: Some(reason),
            from_agent: false,
        }
    }

    fn with_reason(mut self, reason: Option<String>) -> Outcome {
        if self.reason.is_none() {
            self.reason = reason;
        }
        self
    }
}

/// The settings the intake runs with.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    pub subject_tag: SubjectTag,
    pub own_addresses: Vec<EmailAddress>,
    /// Larger attachments are dropped (with a note on the message); the raw mail is kept.
    pub max_attachment_size: u64,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings::from(&Config::with_data_dir(crate::config::DEFAULT_DATA_DIR))
    }
}

impl From<&Config> for IntakeSettings {
    fn from(c: &Config) -> Self {
        IntakeSettings {
            subject_tag: c.mail_subject_tag.clone(),
            own_addresses: c.mail_own_addresses.clone(),
            max_attachment_size: c.max_attachment_size,
        }
    }
}

/// The intake service; cheap to clone.
#[derive(Clone)]
pub struct MailIntake {
    store: Arc<dyn Store>,
    settings: Arc<IntakeSettings>,
}

/// A mail understood, before any storage: everything CPU-bound, done off the async threads.
struct Understood {
    raw_sha256: String,
    size: usize,
    mail: ParsedMail,
    kind: Kind,
    channel_id: String,
    thread_ids: Vec<String>,
    tag_number: Option<i64>,
    sender: Option<EmailAddress>,
    language: Option<Language>,
    attachments: Vec<PreparedAttachment>,
    /// Attachments not stored, for the note on the message.
    dropped: Vec<String>,
}

struct PreparedAttachment {
    meta: AttachmentMeta,
    bytes: Vec<u8>,
}

enum Reading {
    Understood(Box<Understood>),
    Unreadable { raw_sha256: String, reason: String },
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

fn understand(raw: &[u8], settings: &IntakeSettings) -> Reading {
    let mail = match email::parse(raw) {
        Ok(m) => m,
        Err(e) => {
            return Reading::Unreadable {
                raw_sha256: sha256_hex(raw),
                reason: format!("not a mail: {e}"),
            };
        }
    };
    let kind = email::classify(&mail);
    let channel_id = email::channel_message_id(&mail);
    let thread_ids = email::thread_ids(&mail, &kind);
    let tag_number = mail
        .subject
        .as_deref()
        .and_then(|s| settings.subject_tag.find(s));
    let sender = mail.from.as_ref().and_then(|m| m.canonical());
    let language = match kind {
        Kind::Normal => email::sender_language(&mail),
        _ => None,
    };
    let mut attachments = Vec::with_capacity(mail.attachments.len());
    let mut dropped = Vec::new();
    for (i, a) in mail.attachments.iter().enumerate() {
        let filename = email::attachment_filename(a, i);
        let size = a.bytes.len() as u64;
        if size > settings.max_attachment_size {
            dropped.push(format!(
                "Attachment \u{201c}{filename}\u{201d} ({}) was not stored: it is larger than \
                 the {} limit. The original mail is kept in full.",
                megabytes(size),
                megabytes(settings.max_attachment_size)
            ));
            continue;
        }
        attachments.push(PreparedAttachment {
            meta: AttachmentMeta {
                sha256: sha256_hex(&a.bytes),
                filename,
                content_type: email::attachment_content_type(a),
                size: size as i64,
            },
            bytes: a.bytes.clone(),
        });
    }
    Reading::Understood(Box::new(Understood {
        raw_sha256: mail.sha256.clone(),
        size: raw.len(),
        mail,
        kind,
        channel_id,
        thread_ids,
        tag_number,
        sender,
        language,
        attachments,
        dropped,
    }))
}

/// The ticket a mail belongs to, and how it was found.
enum Thread {
    /// By a Message-ID it answers or reports on.
    Reference(Ticket),
    /// By the subject tag, the sender being the ticket's customer or an agent.
    Tag(Ticket),
    None,
}

impl MailIntake {
    pub fn new(store: Arc<dyn Store>, settings: IntakeSettings) -> MailIntake {
        MailIntake {
            store,
            settings: Arc::new(settings),
        }
    }

    pub fn settings(&self) -> &IntakeSettings {
        &self.settings
    }

    /// Takes in one raw mail and answers once its outcome is committed. `actor` is who
    /// delivered it (the token, or `system` for an import), as the event log records it.
    /// Errors are storage failures only (nothing was half-stored: retrying is safe).
    #[tracing::instrument(skip_all, fields(size = raw.len()), err)]
    pub async fn ingest(&self, raw: Vec<u8>, actor: &Actor) -> Result<Outcome, StoreError> {
        let settings = self.settings.clone();
        let (raw, reading) = tokio::task::spawn_blocking(move || {
            let reading = understand(&raw, &settings);
            (raw, reading)
        })
        .await
        .map_err(StoreError::other)?;
        let outcome = match reading {
            Reading::Unreadable { raw_sha256, reason } => {
                let channel_id = email::raw_channel_id(&raw_sha256);
                if let Some(seen) = self.seen_before(&channel_id).await? {
                    return Ok(seen);
                }
                let size = raw.len() as i64;
                self.store.put_blob(&raw_sha256, raw).await?;
                let q = NewQuarantined {
                    channel: Channel::Email,
                    channel_message_id: channel_id,
                    kind: QuarantineKind::Rejected,
                    reason,
                    raw_sha256,
                    size,
                    sender: None,
                    subject: None,
                };
                self.quarantine(q).await?
            }
            Reading::Understood(u) => {
                if let Some(seen) = self.seen_before(&u.channel_id).await? {
                    return Ok(seen);
                }
                self.store.put_blob(&u.raw_sha256, raw).await?;
                self.take_in(*u, actor).await?
            }
        };
        metrics::counter!("trustdesk_mail_ingested_total", "action" => outcome.action.as_str())
            .increment(1);
        Ok(outcome)
    }

    /// The outcome of the first delivery of this channel id, if there was one.
    async fn seen_before(&self, channel_id: &str) -> Result<Option<Outcome>, StoreError> {
        let ids = [channel_id.to_owned()];
        if let Some(found) = self
            .store
            .find_messages_by_channel_ids(Channel::Email, &ids)
            .await?
            .into_iter()
            .next()
        {
            let ticket = self.store.get_ticket(found.ticket_id).await?;
            let mut o = Outcome::on_ticket(Action::Duplicate, &ticket, found.message_id);
            o.reason = Some(format!("{channel_id} was received before"));
            return Ok(Some(o));
        }
        if let Some(q) = self
            .store
            .find_quarantined(Channel::Email, channel_id)
            .await?
        {
            return Ok(Some(Outcome::quarantined(
                Action::Duplicate,
                q.id,
                format!(
                    "{channel_id} was received before and quarantined ({}: {})",
                    q.mail.kind, q.mail.reason
                ),
            )));
        }
        Ok(None)
    }

    /// Quarantines; a concurrent delivery of the same mail that won the race is a duplicate.
    async fn quarantine(&self, q: NewQuarantined) -> Result<Outcome, StoreError> {
        let channel_id = q.channel_message_id.clone();
        match self.store.quarantine(q).await {
            Ok(stored) => Ok(Outcome::quarantined(
                Action::of_quarantine(stored.mail.kind),
                stored.id,
                stored.mail.reason,
            )),
            Err(StoreError::Conflict {
                code: "duplicate_message",
                ..
            }) => self.duplicate_after_race(&channel_id).await,
            Err(e) => Err(e),
        }
    }

    async fn duplicate_after_race(&self, channel_id: &str) -> Result<Outcome, StoreError> {
        self.seen_before(channel_id).await?.ok_or_else(|| {
            StoreError::other(std::io::Error::other(format!(
                "{channel_id} was refused as a duplicate but cannot be found"
            )))
        })
    }

    async fn take_in(&self, u: Understood, actor: &Actor) -> Result<Outcome, StoreError> {
        match &u.kind {
            Kind::Normal => self.person_mail(u, actor).await,
            Kind::Bounce(report) => {
                let summary = bounce_summary(report);
                self.machine_mail(u, Action::Bounce, QuarantineKind::Bounce, summary, actor)
                    .await
            }
            Kind::FeedbackReport(report) => {
                let summary = feedback_summary(report);
                self.machine_mail(
                    u,
                    Action::FeedbackReport,
                    QuarantineKind::FeedbackReport,
                    summary,
                    actor,
                )
                .await
            }
            Kind::AutoReply => {
                let summary = "Automatic reply (out of office or similar); no answer is sent \
                               to it."
                    .to_owned();
                self.machine_mail(
                    u,
                    Action::AutoReply,
                    QuarantineKind::AutoReply,
                    summary,
                    actor,
                )
                .await
            }
        }
    }

    /// The first ticket a Message-ID of `ids` is on, in the order of `ids`.
    async fn ticket_by_reference(&self, ids: &[String]) -> Result<Option<Ticket>, StoreError> {
        if ids.is_empty() {
            return Ok(None);
        }
        let found = self
            .store
            .find_messages_by_channel_ids(Channel::Email, ids)
            .await?;
        let best = ids
            .iter()
            .find_map(|id| found.iter().find(|f| &f.channel_message_id == id));
        match best {
            Some(f) => Ok(Some(self.store.get_ticket(f.ticket_id).await?)),
            None => Ok(None),
        }
    }

    /// Bounces, feedback reports and automatic replies: a note on the ticket they concern,
    /// else the quarantine. Never a ticket of their own.
    async fn machine_mail(
        &self,
        u: Understood,
        action: Action,
        kind: QuarantineKind,
        summary: String,
        actor: &Actor,
    ) -> Result<Outcome, StoreError> {
        let ticket = self.ticket_by_reference(&u.thread_ids).await?;
        let reason = match &ticket {
            Some(t) if t.status.accepts_messages() => {
                let mut text = summary;
                let body = storable(u.mail.text.trim());
                if !body.is_empty() {
                    text.push_str("\n\n");
                    text.push_str(&body);
                }
                return self
                    .append(
                        t,
                        Direction::Note,
                        Author::System,
                        DeliveryState::Internal,
                        text,
                        None,
                        &u,
                        actor,
                        action,
                    )
                    .await;
            }
            Some(t) => format!(
                "{summary} It concerns ticket #{}, which is closed.",
                t.number
            ),
            None if u.thread_ids.is_empty() => {
                format!("{summary} It names no message of ours.")
            }
            None => format!(
                "{summary} It concerns no message we know ({}).",
                u.thread_ids.first().map(String::as_str).unwrap_or_default()
            ),
        };
        self.quarantine(quarantine_record(&u, kind, reason)).await
    }

    /// A person's mail: onto its ticket, or a new ticket.
    async fn person_mail(&self, u: Understood, actor: &Actor) -> Result<Outcome, StoreError> {
        let Some(sender) = u.sender.clone() else {
            let reason = "no usable From: address, so there is nobody to answer".to_owned();
            return self
                .quarantine(quarantine_record(&u, QuarantineKind::Rejected, reason))
                .await;
        };
        if self.settings.own_addresses.contains(&sender) {
            let reason = format!("from our own address {sender}: taking it in would loop");
            return self
                .quarantine(quarantine_record(&u, QuarantineKind::Rejected, reason))
                .await;
        }
        let agent = self
            .store
            .find_agent_by_email(&sender)
            .await?
            .filter(|a| !a.disabled);
        let (thread, note) = self.thread(&u, &sender, agent.is_some()).await?;
        let ticket = match thread {
            Thread::Reference(t) | Thread::Tag(t) if t.status.accepts_messages() => Some(t),
            // A closed ticket stays closed: writing again opens a new one.
            _ => None,
        };
        if let Some(ticket) = ticket {
            if let Some(agent) = &agent {
                return self.agent_reply(&ticket, agent.id, u, actor).await;
            }
            let customer = self.customer_for(&u, &sender).await?;
            let html = u.mail.html.as_deref().map(|h| storable(h).into_owned());
            let text = body_with_notes(&u);
            return Ok(self
                .append(
                    &ticket,
                    Direction::In,
                    Author::Customer(customer),
                    DeliveryState::Received,
                    text,
                    html,
                    &u,
                    actor,
                    Action::Appended,
                )
                .await?
                .with_reason(note));
        }
        Ok(self.open_ticket(u, &sender, actor).await?.with_reason(note))
    }

    /// Finds the ticket by reference, then by subject tag. The note says why a tag was not
    /// followed.
    async fn thread(
        &self,
        u: &Understood,
        sender: &EmailAddress,
        sender_is_agent: bool,
    ) -> Result<(Thread, Option<String>), StoreError> {
        if let Some(t) = self.ticket_by_reference(&u.thread_ids).await? {
            return Ok((Thread::Reference(t), None));
        }
        let Some(number) = u.tag_number else {
            return Ok((Thread::None, None));
        };
        let tag = self.settings.subject_tag.render(number);
        let ticket = match self.store.get_ticket_by_number(number).await {
            Ok(t) => t,
            Err(StoreError::NotFound { .. }) => {
                return Ok((
                    Thread::None,
                    Some(format!("subject tag {tag} names no ticket")),
                ));
            }
            Err(e) => return Err(e),
        };
        if sender_is_agent {
            return Ok((Thread::Tag(ticket), None));
        }
        let customer = self.store.get_customer(ticket.customer_id).await?;
        if customer.identities.contains(&Identity::email(sender)) {
            Ok((Thread::Tag(ticket), None))
        } else {
            Ok((
                Thread::None,
                Some(format!(
                    "subject tag {tag} ignored: {sender} is not that ticket's customer"
                )),
            ))
        }
    }

    /// The customer the sender is: found by address, or created (with the detected language).
    async fn customer_for(
        &self,
        u: &Understood,
        sender: &EmailAddress,
    ) -> Result<CustomerId, StoreError> {
        let identity = Identity::email(sender);
        if let Some(c) = self.store.find_customer_by_identity(&identity).await? {
            let id = c.merged_into.unwrap_or(c.id);
            if c.language.is_none() && u.language.is_some() && c.merged_into.is_none() {
                let patch = CustomerPatch {
                    language: Some(u.language),
                    ..CustomerPatch::default()
                };
                self.store.update_customer(id, patch).await?;
            }
            return Ok(id);
        }
        let new = new_customer(u, sender);
        match self.store.create_customer(new).await {
            Ok(c) => Ok(c.id),
            // Another delivery from the same new sender created them first.
            Err(StoreError::Conflict {
                code: "identity_taken",
                ..
            }) => match self.store.find_customer_by_identity(&identity).await? {
                Some(c) => Ok(c.merged_into.unwrap_or(c.id)),
                None => Err(StoreError::other(std::io::Error::other(format!(
                    "{sender} is taken but belongs to nobody"
                )))),
            },
            Err(e) => Err(e),
        }
    }

    async fn open_ticket(
        &self,
        u: Understood,
        sender: &EmailAddress,
        actor: &Actor,
    ) -> Result<Outcome, StoreError> {
        let customer = self.customer_for(&u, sender).await?;
        let text = body_with_notes(&u);
        let html = u.mail.html.as_deref().map(|h| storable(h).into_owned());
        let attachments = self.store_attachments(&u).await?;
        let new = NewTicket {
            subject: email::ticket_subject(&u.mail),
            customer: CustomerRef::Existing(customer),
            channel: Channel::Email,
            priority: Priority::Normal,
            language: u.language,
            tags: Vec::new(),
            assignee: None,
            first_message: NewMessage {
                direction: Direction::In,
                author: Author::Customer(customer),
                text,
                html,
                channel_message_id: Some(u.channel_id.clone()),
                delivery_state: DeliveryState::Received,
                attachments,
                raw_sha256: Some(u.raw_sha256.clone()),
            },
            promises: Vec::new(),
            actor: actor.clone(),
        };
        match self.store.create_ticket(new).await {
            Ok(thread) => {
                let message = thread.messages[0].id;
                Ok(Outcome::on_ticket(Action::Created, &thread.ticket, message)
                    .with_reason(dropped_reason(&u)))
            }
            Err(StoreError::Conflict {
                code: "duplicate_message",
                ..
            }) => self.duplicate_after_race(&u.channel_id).await,
            Err(e) => Err(e),
        }
    }

    /// An agent answering a notification by mail: their reply on the ticket, authored by them
    /// and queued for sending like a reply written in trustdesk. Only what they wrote now is
    /// kept as the text (the quoted notification would go back to the customer otherwise);
    /// the raw mail keeps everything.
    async fn agent_reply(
        &self,
        ticket: &Ticket,
        agent: AgentId,
        u: Understood,
        actor: &Actor,
    ) -> Result<Outcome, StoreError> {
        let (new, _) = email::split_reply(&u.mail.text);
        let text = storable(new.trim()).into_owned();
        let mut o = self
            .append(
                ticket,
                Direction::Out,
                Author::Agent(agent),
                DeliveryState::Queued,
                text,
                None,
                &u,
                actor,
                Action::Appended,
            )
            .await?;
        o.from_agent = o.action == Action::Appended;
        Ok(o)
    }

    async fn store_attachments(&self, u: &Understood) -> Result<Vec<AttachmentMeta>, StoreError> {
        let mut metas = Vec::with_capacity(u.attachments.len());
        for a in &u.attachments {
            self.store.put_blob(&a.meta.sha256, a.bytes.clone()).await?;
            metas.push(a.meta.clone());
        }
        Ok(metas)
    }

    #[allow(clippy::too_many_arguments)]
    async fn append(
        &self,
        ticket: &Ticket,
        direction: Direction,
        author: Author,
        delivery_state: DeliveryState,
        text: String,
        html: Option<String>,
        u: &Understood,
        actor: &Actor,
        action: Action,
    ) -> Result<Outcome, StoreError> {
        let attachments = self.store_attachments(u).await?;
        let message = NewMessage {
            direction,
            author,
            text,
            html,
            channel_message_id: Some(u.channel_id.clone()),
            delivery_state,
            attachments,
            raw_sha256: Some(u.raw_sha256.clone()),
        };
        match self.store.add_message(ticket.id, message, actor).await {
            Ok((ticket, message)) => {
                Ok(Outcome::on_ticket(action, &ticket, message.id).with_reason(dropped_reason(u)))
            }
            Err(StoreError::Conflict {
                code: "duplicate_message",
                ..
            }) => self.duplicate_after_race(&u.channel_id).await,
            Err(e) => Err(e),
        }
    }
}

fn new_customer(u: &Understood, sender: &EmailAddress) -> NewCustomer {
    let name = u
        .mail
        .from
        .as_ref()
        .and_then(|m| m.name.as_deref())
        .map(|n| {
            storable(n)
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(sender.as_str()));
    NewCustomer {
        name,
        language: u.language,
        identities: vec![Identity::email(sender)],
    }
}

/// The text stored: the mail's own, then a note for each attachment that was not kept.
fn body_with_notes(u: &Understood) -> String {
    let mut text = storable(&u.mail.text).into_owned();
    for note in &u.dropped {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str("[trustdesk: ");
        text.push_str(note);
        text.push(']');
    }
    text
}

fn dropped_reason(u: &Understood) -> Option<String> {
    (!u.dropped.is_empty()).then(|| u.dropped.join(" "))
}

fn quarantine_record(u: &Understood, kind: QuarantineKind, reason: String) -> NewQuarantined {
    let shown = |s: &str| -> String {
        storable(s)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(500)
            .collect()
    };
    NewQuarantined {
        channel: Channel::Email,
        channel_message_id: u.channel_id.clone(),
        kind,
        reason,
        raw_sha256: u.raw_sha256.clone(),
        size: u.size as i64,
        sender: u.mail.from.as_ref().map(|m| shown(&m.address)),
        subject: u.mail.subject.as_deref().map(shown),
    }
}

fn bounce_summary(report: &BounceReport) -> String {
    let mut s = String::from("Delivery report:");
    if report.recipients.is_empty() {
        s.push_str(" a message could not be delivered.");
    }
    for r in &report.recipients {
        s.push_str(&format!(
            " {} \u{2014} {} ({}).",
            storable(&r.address),
            r.reason,
            if r.hard { "hard" } else { "soft" }
        ));
    }
    s
}

fn feedback_summary(report: &FeedbackReport) -> String {
    let who = if report.recipients.is_empty() {
        String::new()
    } else {
        format!(" by {}", report.recipients.join(", "))
    };
    format!(
        "Feedback report ({}){who} about one of our messages.",
        storable(&report.feedback_type)
    )
}
