//! Promise services the API and the channels share: the SLA promises a new ticket gets, the
//! honest "a person answers by …" an acknowledgement states, what a customer's or an agent's
//! message does to a ticket's promises, and reading an agent's promise phrase.
//!
//! Channels (mail intake, chat) call [`acknowledgement_promise`] when they open a ticket and
//! put its `promises` into `NewTicket::promises`, so the acknowledgement's words and the
//! recorded first-response promise are one and the same; for a customer's later message they
//! call [`customer_message_promises`] and pass the result to
//! `PromiseStore::add_message_with_promises`.

use trustdesk_domain::calendar::{Calendar, CalendarSpec, HoursSpec, phrase, words};
use trustdesk_domain::sla::{SlaPolicy, policy_for};
use trustdesk_domain::{
    Channel, Language, MadeBy, Priority, PromiseKind, PromiseState, PromiseText, Tag, TicketId,
    Timestamp,
};
use trustdesk_store::{
    MessagePromises, NewPromise, PageRequest, PromiseFilter, Result, StatusPromises, Store,
};

/// The name of the calendar every deadline uses unless a policy names another.
pub const DEFAULT_CALENDAR: &str = "default";

/// The calendars and SLA policies deadlines are computed with.
#[derive(Debug, Clone)]
pub struct PromiseRules {
    calendars: Vec<(String, Calendar)>,
    policies: Vec<SlaPolicy>,
}

/// Monday to Friday, 9:00-17:00 Warsaw time, closed on Polish public holidays.
pub fn default_calendar() -> Calendar {
    let spec = CalendarSpec {
        time_zone: "Europe/Warsaw".to_owned(),
        hours: HoursSpec::Week(
            [(
                "mon-fri".to_owned(),
                trustdesk_domain::calendar::DaySpec::One("09:00-17:00".to_owned()),
            )]
            .into_iter()
            .collect(),
        ),
        holidays: vec![trustdesk_domain::calendar::EntrySpec::Text("PL".to_owned())],
        collective_leave: false,
        closed: Vec::new(),
        open: Vec::new(),
    };
    // A fixed, valid spec: a failure here is a bug caught by the unit test below.
    Calendar::from_spec(&spec).unwrap_or_else(|_| {
        Calendar::always_open("UTC").unwrap_or_else(|e| unreachable!("UTC is a zone: {e}"))
    })
}

impl Default for PromiseRules {
    fn default() -> Self {
        PromiseRules {
            calendars: vec![(DEFAULT_CALENDAR.to_owned(), default_calendar())],
            policies: vec![SlaPolicy::standard()],
        }
    }
}

/// What an acknowledgement promises: the first human answer by `due_at`, in words for the
/// customer, and the promises to record with the new ticket (first response, resolution).
#[derive(Debug, Clone)]
pub struct Acknowledgement {
    pub due_at: Timestamp,
    /// "A person from our team will answer by Monday 1 June 2026, 11:00 (Europe/Warsaw)." in
    /// the customer's language; the first-response promise carries these exact words.
    pub text: String,
    /// The desk's next opening at or after now (`None`: never opens again).
    pub next_opening: Option<Timestamp>,
    pub promises: Vec<NewPromise>,
}

impl PromiseRules {
    pub fn new(calendars: Vec<(String, Calendar)>, policies: Vec<SlaPolicy>) -> PromiseRules {
        PromiseRules {
            calendars,
            policies,
        }
    }

    /// The rules in force. Built-in for now: the default calendar and the standard policy.
    pub async fn load(_store: &dyn Store) -> Result<PromiseRules> {
        Ok(PromiseRules::default())
    }

    /// A calendar by name; the default one for an unknown name.
    pub fn calendar(&self, name: &str) -> (&str, &Calendar) {
        let found = self
            .calendars
            .iter()
            .find(|(n, _)| n == name)
            .or_else(|| self.calendars.first());
        match found {
            Some((n, c)) => (n, c),
            None => unreachable_calendar(),
        }
    }

    pub fn policy(&self, channel: Channel, priority: Priority, tags: &[Tag]) -> Option<&SlaPolicy> {
        policy_for(&self.policies, channel, priority, tags)
    }

    /// The calendar a channel's deadlines are counted in (its policy's).
    pub fn calendar_for(&self, channel: Channel) -> (&str, &Calendar) {
        let name = self
            .policy(channel, Priority::Normal, &[])
            .map_or(DEFAULT_CALENDAR, |p| p.calendar.as_str());
        self.calendar(name)
    }

    /// An SLA promise of `kind` started at `now`, per the ticket's policy; `None` when the
    /// policy sets no such target.
    pub fn sla_promise(
        &self,
        kind: PromiseKind,
        channel: Channel,
        priority: Priority,
        tags: &[Tag],
        language: Option<Language>,
        now: Timestamp,
    ) -> Option<NewPromise> {
        let policy = self.policy(channel, priority, tags)?;
        let (name, calendar) = self.calendar(&policy.calendar);
        let (due, warn) = policy.deadline(kind, calendar, now)?;
        let lang = language.unwrap_or(Language::EN);
        let text = match kind {
            PromiseKind::FirstResponse | PromiseKind::NextResponse => {
                words::answer_by(calendar, lang, due)
            }
            _ => format!("resolution by {}", words::moment(calendar, lang, due)),
        };
        let mut p = NewPromise::new(kind, MadeBy::System, promise_text(&text), due);
        p.warn_at = Some(warn);
        p.calendar = Some(name.to_owned());
        Some(p)
    }

    /// The promises a new ticket opens with: first response and resolution, per its policy.
    pub fn opening_promises(
        &self,
        channel: Channel,
        priority: Priority,
        tags: &[Tag],
        language: Option<Language>,
        now: Timestamp,
    ) -> Vec<NewPromise> {
        [PromiseKind::FirstResponse, PromiseKind::Resolution]
            .into_iter()
            .filter_map(|k| self.sla_promise(k, channel, priority, tags, language, now))
            .collect()
    }

    /// See [`acknowledgement_promise`].
    pub fn acknowledgement(
        &self,
        channel: Channel,
        language: Option<Language>,
        now: Timestamp,
    ) -> Acknowledgement {
        let (_, calendar) = self.calendar_for(channel);
        let mut promises = self.opening_promises(channel, Priority::Normal, &[], language, now);
        if !promises
            .iter()
            .any(|p| p.kind == PromiseKind::FirstResponse)
        {
            // Even without a target the customer is told something true: the next opening.
            let mut standard = SlaPolicy::standard();
            standard.calendar = self.calendar_for(channel).0.to_owned();
            let rules = PromiseRules::new(self.calendars.clone(), vec![standard]);
            promises.extend(rules.sla_promise(
                PromiseKind::FirstResponse,
                channel,
                Priority::Normal,
                &[],
                language,
                now,
            ));
        }
        let first = promises
            .iter()
            .find(|p| p.kind == PromiseKind::FirstResponse);
        Acknowledgement {
            due_at: first.map_or(now, |p| p.due_at),
            text: first.map_or_else(String::new, |p| p.text.as_str().to_owned()),
            next_opening: calendar.next_open(now),
            promises,
        }
    }

    /// Reads an agent's phrase ("tomorrow at 10", "besok jam 10", "within 3 business days")
    /// in the channel's calendar.
    pub fn read_phrase(
        &self,
        calendar: &str,
        text: &str,
        now: Timestamp,
    ) -> std::result::Result<(String, phrase::Due), phrase::PhraseError> {
        let (name, cal) = self.calendar(calendar);
        phrase::parse(cal, text, now).map(|due| (name.to_owned(), due))
    }
}

fn unreachable_calendar() -> (&'static str, &'static Calendar) {
    static FALLBACK: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
    (DEFAULT_CALENDAR, FALLBACK.get_or_init(default_calendar))
}

/// Text we wrote ourselves, always within bounds; trimmed to fit if a template ever grows.
fn promise_text(text: &str) -> PromiseText {
    PromiseText::parse(text).unwrap_or_else(|_| {
        let cut: String = text.chars().take(PromiseText::MAX_CHARS).collect();
        PromiseText::parse(&cut)
            .or_else(|_| PromiseText::parse("-"))
            .unwrap_or_else(|e| unreachable!("a dash is valid promise text: {e}"))
    })
}

/// The honest promise an acknowledgement makes: when a person will answer a new ticket on
/// `channel`, computed in business time of the channel's calendar from the SLA policy, with
/// the words to show the customer in `language` ("A person from our team will answer by …")
/// and the promises to record with the ticket.
///
/// Use: `let ack = acknowledgement_promise(&*store, Channel::Email, lang, now()).await?;` then
/// put `ack.text` in the acknowledgement and `ack.promises` into `NewTicket::promises` — the
/// ticket, its message and the promises commit together, and an agent's first reply keeps the
/// first-response promise.
pub async fn acknowledgement_promise(
    store: &dyn Store,
    channel: Channel,
    language: Option<Language>,
    now: Timestamp,
) -> Result<Acknowledgement> {
    Ok(PromiseRules::load(store)
        .await?
        .acknowledgement(channel, language, now))
}

/// What a customer's new message on `ticket` does to its promises: when nothing we owe them
/// is pending (no first or next response), we now owe a next response per the ticket's
/// policy; paused clocks resume in the channel's calendar.
pub async fn customer_message_promises(
    store: &dyn Store,
    ticket: TicketId,
    now: Timestamp,
) -> Result<MessagePromises> {
    let rules = PromiseRules::load(store).await?;
    let t = store.get_ticket(ticket).await?;
    let owed = store
        .list_promises(
            &PromiseFilter {
                ticket: Some(ticket),
                state: Some(PromiseState::Pending),
                ..Default::default()
            },
            PageRequest::first(PageRequest::MAX_LIMIT),
        )
        .await?
        .items
        .iter()
        .any(|p| PromiseKind::KEPT_BY_REPLY.contains(&p.kind));
    let make = if owed {
        Vec::new()
    } else {
        rules
            .sla_promise(
                PromiseKind::NextResponse,
                t.channel,
                t.priority,
                &t.tags,
                t.language,
                now,
            )
            .into_iter()
            .collect()
    };
    Ok(MessagePromises {
        make,
        keep: Vec::new(),
        resume_in: Some(rules.calendar_for(t.channel).1.clone()),
    })
}

/// How a status change on a ticket of `channel` moves its promises: paused clocks resume in
/// the channel's calendar.
pub async fn status_promises(store: &dyn Store, channel: Channel) -> Result<StatusPromises> {
    let rules = PromiseRules::load(store).await?;
    Ok(StatusPromises {
        resume_in: Some(rules.calendar_for(channel).1.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_calendar_is_the_office_week() {
        let cal = default_calendar();
        assert_eq!(cal.zone_name(), "Europe/Warsaw");
        // Friday 2026-06-05 18:00 Warsaw: closed; opens Monday 9:00.
        let friday_evening: Timestamp = "2026-06-05T16:00:00Z".parse().unwrap();
        assert_eq!(
            cal.next_open(friday_evening),
            Some("2026-06-08T07:00:00Z".parse().unwrap())
        );
        // 11 November (Independence Day) 2026 is a Wednesday, and closed.
        assert!(!cal.is_open("2026-11-11T10:00:00Z".parse().unwrap()));
    }

    #[test]
    fn acknowledgements_state_the_recorded_promise() {
        let rules = PromiseRules::default();
        let now: Timestamp = "2026-06-05T13:00:00Z".parse().unwrap();
        let ack = rules.acknowledgement(Channel::Email, Some(Language::PL), now);
        assert_eq!(
            ack.due_at,
            "2026-06-08T09:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            ack.text,
            "Odpowiemy najpóźniej poniedziałek, 8 czerwca 2026, 11:00 (Europe/Warsaw)."
        );
        let kinds: Vec<PromiseKind> = ack.promises.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, [PromiseKind::FirstResponse, PromiseKind::Resolution]);
        assert_eq!(ack.promises[0].text.as_str(), ack.text);
        assert_eq!(ack.promises[0].calendar.as_deref(), Some(DEFAULT_CALENDAR));
        assert_eq!(ack.next_opening, Some(now));
    }
}
