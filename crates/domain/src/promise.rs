//! Promises: anything we told a customer we would do, by when. A promise is made `pending` and
//! leaves that state exactly once — kept, broken or cancelled — and a broken one is never hidden.
//!
//! Also the clock rules the store and the deadline engine share: when a warning falls due (the
//! lead before a deadline) and how a due time moves after its clock was paused.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::calendar::Calendar;
use crate::id::AgentId;
use crate::ticket::{InvalidValue, TicketStatus, word_enum};

word_enum!(
    /// What was promised. The first three are SLA targets set by policy; the rest are said to
    /// the customer in so many words.
    PromiseKind, "promise kind", {
        FirstResponse => "first_response",
        NextResponse => "next_response",
        Resolution => "resolution",
        AcknowledgementDelivered => "acknowledgement_delivered",
        Callback => "callback",
        AgentPromise => "agent_promise",
        ShipBy => "ship_by",
        DeliverBy => "deliver_by",
        RefundBy => "refund_by",
        ReturnWindow => "return_window",
        DisputeDeadline => "dispute_deadline",
    }
);

impl PromiseKind {
    /// The kinds an agent's reply to the customer keeps: the customer got their answer.
    pub const KEPT_BY_REPLY: &'static [PromiseKind] =
        &[PromiseKind::FirstResponse, PromiseKind::NextResponse];

    /// Service-level targets, set by an SLA policy rather than said by someone.
    pub fn is_sla(self) -> bool {
        matches!(
            self,
            PromiseKind::FirstResponse | PromiseKind::NextResponse | PromiseKind::Resolution
        )
    }

    /// Whether this kind's clock stops while the ticket waits for the customer. Only the
    /// resolution target: a reply we owe is owed regardless, and what we said we would do by a
    /// date (ship, refund, call back) does not depend on the customer answering.
    pub fn pauses_while_waiting(self) -> bool {
        self == PromiseKind::Resolution
    }
}

word_enum!(
    /// Where a promise stands. `pending` is the only state a promise leaves.
    PromiseState, "promise state", {
        Pending => "pending",
        Kept => "kept",
        Broken => "broken",
        Cancelled => "cancelled",
    }
);

/// A state change refused because the promise already left `pending`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the promise is already {state}; only a pending promise can be {wanted}")]
pub struct NotPending {
    pub state: PromiseState,
    pub wanted: PromiseState,
}

impl NotPending {
    /// The stable error code for this refusal.
    pub const CODE: &'static str = "promise_not_pending";
}

impl PromiseState {
    pub fn is_pending(self) -> bool {
        self == PromiseState::Pending
    }

    /// The transition rule: pending → kept | broken | cancelled, and nothing else. Keeping a
    /// kept promise again is refused too, so a second keep never rewrites who kept it.
    pub fn settle(self, to: PromiseState) -> Result<PromiseState, NotPending> {
        if self == PromiseState::Pending && to != PromiseState::Pending {
            Ok(to)
        } else {
            Err(NotPending {
                state: self,
                wanted: to,
            })
        }
    }
}

/// Who made a promise: trustdesk itself (SLA policies, acknowledgements), the bot, or an agent.
/// Written as `system`, `bot` or the agent's id (`agt_…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MadeBy {
    System,
    Bot,
    Agent(AgentId),
}

impl MadeBy {
    /// `system`, `bot` or `agent`: the word stored beside the agent's key.
    pub fn kind_str(self) -> &'static str {
        match self {
            MadeBy::System => "system",
            MadeBy::Bot => "bot",
            MadeBy::Agent(_) => "agent",
        }
    }

    pub fn agent(self) -> Option<AgentId> {
        match self {
            MadeBy::Agent(a) => Some(a),
            _ => None,
        }
    }

    /// Rebuilds from the stored pair (`kind_str`, agent key).
    pub fn from_parts(kind: &str, agent: Option<AgentId>) -> Option<MadeBy> {
        match (kind, agent) {
            ("system", None) => Some(MadeBy::System),
            ("bot", None) => Some(MadeBy::Bot),
            ("agent", Some(a)) => Some(MadeBy::Agent(a)),
            _ => None,
        }
    }
}

impl fmt::Display for MadeBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MadeBy::Agent(a) => a.fmt(f),
            other => f.write_str(other.kind_str()),
        }
    }
}

impl FromStr for MadeBy {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "system" => Ok(MadeBy::System),
            "bot" => Ok(MadeBy::Bot),
            _ => s
                .parse::<AgentId>()
                .map(MadeBy::Agent)
                .map_err(|_| InvalidValue {
                    what: "promise maker",
                    value: s.chars().take(64).collect(),
                    expected: "system bot agt_…",
                }),
        }
    }
}

impl serde::Serialize for MadeBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MadeBy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The words the customer was given ("A person answers by Monday 10:00"): trimmed, non-empty,
/// at most 2 000 characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct PromiseText(String);

impl PromiseText {
    pub const MAX_CHARS: usize = 2_000;

    pub fn parse(s: &str) -> Result<PromiseText, InvalidValue> {
        let t = s.trim();
        if t.is_empty() || t.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue {
                what: "promise text",
                value: s.chars().take(64).collect(),
                expected: "1-2000 characters",
            });
        }
        Ok(PromiseText(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for PromiseText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PromiseText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PromiseText::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What a ticket's status change does to its pending promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusEffect {
    /// Stop the clocks that pause while waiting (the ticket now waits for the customer).
    pub pause: bool,
    /// Restart paused clocks (the ticket no longer waits for the customer).
    pub resume: bool,
    /// Keep pending promises of these kinds.
    pub keep: &'static [PromiseKind],
    /// Cancel everything still pending.
    pub cancel_all: bool,
}

impl StatusEffect {
    /// Why promises cancelled by a closing were cancelled, as recorded on them.
    pub const CLOSED_REASON: &'static str = "ticket closed";

    pub fn is_none(&self) -> bool {
        *self == StatusEffect::default()
    }
}

/// The rule for a ticket moving from `from` to `to`: waiting for the customer pauses the
/// resolution clock and leaving that state restarts it; resolving keeps the resolution promise;
/// closing cancels whatever is still pending (nothing more will be done on a closed ticket, and
/// the cancellation says so openly rather than letting the promises fall due).
pub fn on_status_change(from: TicketStatus, to: TicketStatus) -> StatusEffect {
    if from == to {
        return StatusEffect::default();
    }
    let waiting = TicketStatus::PendingCustomer;
    StatusEffect {
        pause: to == waiting,
        resume: from == waiting && to != TicketStatus::Closed,
        keep: if to == TicketStatus::Resolved {
            &[PromiseKind::Resolution]
        } else {
            &[]
        },
        cancel_all: to == TicketStatus::Closed,
    }
}

/// When to warn about a promise made at `made_at` and due at `due_at`: once `percent` of its
/// time has passed (80 warns with a fifth of the time left). Counted in the calendar's business
/// time when there is one, else in wall time. Always within `[made_at, due_at]`; `percent` is
/// capped at 100.
pub fn warn_at(
    calendar: Option<&Calendar>,
    made_at: Timestamp,
    due_at: Timestamp,
    percent: u8,
) -> Timestamp {
    if due_at <= made_at {
        return due_at;
    }
    let percent = i128::from(percent.min(100));
    let fraction = |total: SignedDuration| -> Duration {
        let nanos = total.as_nanos().max(0) * percent / 100;
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    };
    let at = match calendar {
        Some(cal) => {
            let total = cal.business_between(made_at, due_at);
            cal.add_business(made_at, fraction(total))
        }
        None => made_at
            .checked_add(fraction(due_at.duration_since(made_at)))
            .ok(),
    };
    at.unwrap_or(due_at).clamp(made_at, due_at)
}

/// The due time of a promise whose clock stood still from `paused_at` to `resumed_at` (the
/// ticket waited for the customer): pushed back by the business time spent waiting, counted
/// forward from the old due time in the same calendar (wall time without one). A pause that
/// held no business time moves nothing.
pub fn resumed_due(
    calendar: Option<&Calendar>,
    due_at: Timestamp,
    paused_at: Timestamp,
    resumed_at: Timestamp,
) -> Timestamp {
    if resumed_at <= paused_at {
        return due_at;
    }
    let moved = match calendar {
        Some(cal) => {
            let waited = cal.business_between(paused_at, resumed_at);
            let waited = Duration::try_from(waited).unwrap_or_default();
            cal.add_business(due_at, waited)
        }
        None => due_at
            .checked_add(resumed_at.duration_since(paused_at))
            .ok(),
    };
    moved.unwrap_or(Timestamp::MAX).max(due_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn office() -> Calendar {
        serde_json::from_value(serde_json::json!({
            "time_zone": "Europe/Warsaw",
            "hours": {"mon-fri": "09:00-17:00"},
        }))
        .unwrap()
    }

    #[test]
    fn only_pending_settles() {
        use PromiseState::*;
        assert_eq!(Pending.settle(Kept), Ok(Kept));
        assert_eq!(Pending.settle(Broken), Ok(Broken));
        assert_eq!(Pending.settle(Cancelled), Ok(Cancelled));
        assert!(Pending.settle(Pending).is_err());
        for from in [Kept, Broken, Cancelled] {
            for to in PromiseState::ALL {
                assert_eq!(
                    from.settle(*to),
                    Err(NotPending {
                        state: from,
                        wanted: *to
                    })
                );
            }
        }
    }

    #[test]
    fn status_changes_move_promises() {
        use TicketStatus::*;
        assert!(on_status_change(Open, Open).is_none());
        let wait = on_status_change(Open, PendingCustomer);
        assert!(wait.pause && !wait.resume && !wait.cancel_all);
        let back = on_status_change(PendingCustomer, Open);
        assert!(back.resume && !back.pause);
        let resolved = on_status_change(PendingCustomer, Resolved);
        assert!(resolved.resume);
        assert_eq!(resolved.keep, &[PromiseKind::Resolution]);
        let closed = on_status_change(PendingCustomer, Closed);
        assert!(closed.cancel_all && !closed.resume);
    }

    #[test]
    fn words_and_makers_round_trip() {
        for k in PromiseKind::ALL {
            assert_eq!(k.as_str().parse::<PromiseKind>().unwrap(), *k);
        }
        assert!("sometime".parse::<PromiseKind>().is_err());
        for m in [
            MadeBy::System,
            MadeBy::Bot,
            MadeBy::Agent(AgentId::from_db(42)),
        ] {
            assert_eq!(m.to_string().parse::<MadeBy>().unwrap(), m);
            assert_eq!(MadeBy::from_parts(m.kind_str(), m.agent()), Some(m));
        }
        assert_eq!(MadeBy::Agent(AgentId::from_db(1)).to_string(), "agt_1");
        assert!("cus_1".parse::<MadeBy>().is_err());
        assert_eq!(MadeBy::from_parts("agent", None), None);
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(
            PromiseText::parse("  I'll call you at 10  ")
                .unwrap()
                .as_str(),
            "I'll call you at 10"
        );
        assert!(PromiseText::parse(" \n ").is_err());
        assert!(PromiseText::parse(&"x".repeat(2_001)).is_err());
    }

    #[test]
    fn warning_counts_business_time() {
        let cal = office();
        // Monday 9:00 → Tuesday 17:00 (Warsaw, CEST): 16 business hours; 75 % is 12 hours,
        // which is Tuesday 13:00, not Tuesday 09:00 as wall time would say.
        let made = ts("2026-06-01T07:00:00Z");
        let due = ts("2026-06-02T15:00:00Z");
        assert_eq!(
            warn_at(Some(&cal), made, due, 75),
            ts("2026-06-02T11:00:00Z")
        );
        assert_eq!(warn_at(None, made, due, 75), ts("2026-06-02T07:00:00Z"));
        assert_eq!(warn_at(Some(&cal), made, due, 100), due);
        assert_eq!(warn_at(Some(&cal), made, due, 0), made);
    }

    #[test]
    fn waiting_moves_the_due_time_by_business_time() {
        let cal = office();
        // Due Wednesday 12:00; waited from Monday 16:00 to Tuesday 10:00 = 2 business hours.
        let due = ts("2026-06-03T10:00:00Z");
        let moved = resumed_due(
            Some(&cal),
            due,
            ts("2026-06-01T14:00:00Z"),
            ts("2026-06-02T08:00:00Z"),
        );
        assert_eq!(moved, ts("2026-06-03T12:00:00Z"));
        // A weekend wait moves nothing.
        let moved = resumed_due(
            Some(&cal),
            due,
            ts("2026-06-06T10:00:00Z"),
            ts("2026-06-07T10:00:00Z"),
        );
        assert_eq!(moved, due);
    }

    proptest! {
        #[test]
        fn warning_lies_between_made_and_due(
            made in 1_780_000_000i64..1_800_000_000,
            len in 0i64..30 * 86_400,
            percent in 0u8..=255,
        ) {
            let cal = office();
            let made = Timestamp::from_second(made).unwrap();
            let due = Timestamp::from_second(made.as_second() + len).unwrap();
            for c in [Some(&cal), None] {
                let w = warn_at(c, made, due, percent);
                prop_assert!(made <= w && w <= due);
            }
            // The business time before the warning is the asked share of the whole.
            let w = warn_at(Some(&cal), made, due, percent);
            let total = cal.business_between(made, due).as_nanos();
            let before = cal.business_between(made, w).as_nanos();
            prop_assert_eq!(before, total * i128::from(percent.min(100)) / 100);
        }

        #[test]
        fn resuming_adds_exactly_the_business_time_waited(
            due in 1_780_000_000i64..1_800_000_000,
            paused in 1_780_000_000i64..1_800_000_000,
            waited in 0i64..10 * 86_400,
        ) {
            let cal = office();
            let due = Timestamp::from_second(due).unwrap();
            let paused = Timestamp::from_second(paused).unwrap();
            let resumed = Timestamp::from_second(paused.as_second() + waited).unwrap();
            let moved = resumed_due(Some(&cal), due, paused, resumed);
            prop_assert!(moved >= due);
            prop_assert_eq!(
                cal.business_between(due, moved),
                cal.business_between(paused, resumed)
            );
        }
    }
}
