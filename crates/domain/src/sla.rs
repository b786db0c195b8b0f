//! SLA policies: which first-response, next-response and resolution targets a ticket gets, by
//! channel, priority and customer tag, counted in a calendar's business time.

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::promise::{PromiseKind, warn_at};
use crate::ticket::{Channel, Priority, Tag};

/// One policy. Empty criteria match everything; of the policies that match a ticket, the most
/// specific (most criteria set) wins, and among equals the first listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_tag: Option<Tag>,
    /// The calendar (by name) the targets are counted in.
    #[serde(default = "default_calendar")]
    pub calendar: String,
    /// Business minutes to the first reply; none: no target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_minutes: Option<u32>,
    /// Business minutes to answer each later customer message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_response_minutes: Option<u32>,
    /// Business minutes to resolve (the clock stops while waiting for the customer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_minutes: Option<u32>,
    /// Warn once this share of the time has passed (0-100).
    #[serde(default = "default_warn_percent")]
    pub warn_percent: u8,
}

fn default_calendar() -> String {
    "default".to_owned()
}

fn default_warn_percent() -> u8 {
    80
}

impl SlaPolicy {
    /// The built-in policy: first reply within 4 business hours, later replies within 8,
    /// resolution within 3 business days of 8 hours, warnings at 80 %.
    pub fn standard() -> SlaPolicy {
        SlaPolicy {
            name: "standard".to_owned(),
            channel: None,
            priority: None,
            customer_tag: None,
            calendar: default_calendar(),
            first_response_minutes: Some(4 * 60),
            next_response_minutes: Some(8 * 60),
            resolution_minutes: Some(3 * 8 * 60),
            warn_percent: default_warn_percent(),
        }
    }

    fn criteria(&self) -> usize {
        usize::from(self.channel.is_some())
            + usize::from(self.priority.is_some())
            + usize::from(self.customer_tag.is_some())
    }

    pub fn matches(&self, channel: Channel, priority: Priority, tags: &[Tag]) -> bool {
        self.channel.is_none_or(|c| c == channel)
            && self.priority.is_none_or(|p| p == priority)
            && self.customer_tag.as_ref().is_none_or(|t| tags.contains(t))
    }

    /// The business time allowed for `kind`, if this policy sets one.
    pub fn target(&self, kind: PromiseKind) -> Option<Duration> {
        let minutes = match kind {
            PromiseKind::FirstResponse => self.first_response_minutes,
            PromiseKind::NextResponse => self.next_response_minutes,
            PromiseKind::Resolution => self.resolution_minutes,
            _ => None,
        }?;
        Some(Duration::from_secs(u64::from(minutes) * 60))
    }

    /// When a `kind` target started at `from` is due in `calendar`, and when to warn.
    pub fn deadline(
        &self,
        kind: PromiseKind,
        calendar: &Calendar,
        from: Timestamp,
    ) -> Option<(Timestamp, Timestamp)> {
        let due = calendar.add_business(from, self.target(kind)?)?;
        Some((due, warn_at(Some(calendar), from, due, self.warn_percent)))
    }
}

/// The policy for a ticket, per [`SlaPolicy`]'s rule.
pub fn policy_for<'a>(
    policies: &'a [SlaPolicy],
    channel: Channel,
    priority: Priority,
    tags: &[Tag],
) -> Option<&'a SlaPolicy> {
    policies
        .iter()
        .filter(|p| p.matches(channel, priority, tags))
        .fold(None, |best: Option<&SlaPolicy>, p| match best {
            Some(b) if b.criteria() >= p.criteria() => Some(b),
            _ => Some(p),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_match_wins() {
        let vip = Tag::parse("vip").unwrap();
        let mut chat = SlaPolicy::standard();
        chat.name = "chat".into();
        chat.channel = Some(Channel::Chat);
        let mut vip_chat = chat.clone();
        vip_chat.name = "vip chat".into();
        vip_chat.customer_tag = Some(vip.clone());
        let all = [SlaPolicy::standard(), vip_chat, chat];
        let name = |c, t: &[Tag]| policy_for(&all, c, Priority::Normal, t).map(|p| p.name.clone());
        assert_eq!(name(Channel::Email, &[]).as_deref(), Some("standard"));
        assert_eq!(name(Channel::Chat, &[]).as_deref(), Some("chat"));
        assert_eq!(
            name(Channel::Chat, std::slice::from_ref(&vip)).as_deref(),
            Some("vip chat")
        );
        assert_eq!(
            policy_for(&all[1..2], Channel::Email, Priority::Low, &[]),
            None
        );
    }

    #[test]
    fn deadlines_count_business_time() {
        let cal: Calendar = serde_json::from_value(serde_json::json!({
            "time_zone": "Europe/Warsaw",
            "hours": {"mon-fri": "09:00-17:00"},
        }))
        .unwrap();
        // Friday 15:00 Warsaw + 4 business hours = Monday 11:00; warning at 80 % = Monday 10:12.
        let from: Timestamp = "2026-06-05T13:00:00Z".parse().unwrap();
        let (due, warn) = SlaPolicy::standard()
            .deadline(PromiseKind::FirstResponse, &cal, from)
            .unwrap();
        assert_eq!(due, "2026-06-08T09:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(warn, "2026-06-08T08:12:00Z".parse::<Timestamp>().unwrap());
        assert!(
            SlaPolicy::standard()
                .deadline(PromiseKind::Callback, &cal, from)
                .is_none()
        );
    }
}
