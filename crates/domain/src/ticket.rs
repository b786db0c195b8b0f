//! Tickets and messages: the states a conversation moves through and the rules that move it.

use std::fmt;

/// A value outside a closed set of words (status, priority, channel, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {what}; expected one of: {expected}")]
pub struct InvalidValue {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// Declares a closed set of words with `as_str`, `FromStr`, `Display` and serde as the word.
macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            const EXPECTED: &'static str = concat!($($word, " "),+);

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(InvalidValue {
                        what: $what,
                        value: s.chars().take(64).collect(),
                        expected: Self::EXPECTED.trim_end(),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use word_enum;

/// For a `String` newtype with a `parse(&str) -> Result<Self, InvalidValue>` that makes its
/// canonical form: `as_str`, `Display`, and `Deserialize` through `parse`.
macro_rules! parsed_text {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use parsed_text;

word_enum!(
    /// Where a ticket stands. `pending_*` stop the customer-facing clock (issue: promise ledger).
    TicketStatus, "status", {
        New => "new",
        Open => "open",
        PendingCustomer => "pending_customer",
        PendingInternal => "pending_internal",
        Resolved => "resolved",
        Closed => "closed",
    }
);

word_enum!(
    /// How urgent a ticket is.
    Priority, "priority", {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

word_enum!(
    /// The door a conversation came through.
    Channel, "channel", {
        Email => "email",
        Chat => "chat",
        WhatsApp => "whatsapp",
        Telegram => "telegram",
        WebForm => "web_form",
        Phone => "phone",
        Api => "api",
    }
);

word_enum!(
    /// Inbound from the customer, outbound to the customer, or an internal note.
    Direction, "direction", {
        In => "in",
        Out => "out",
        Note => "note",
    }
);

word_enum!(
    /// Where a message is on its way. Inbound messages are `received`.
    DeliveryState, "delivery state", {
        Received => "received",
        Queued => "queued",
        Sent => "sent",
        Delivered => "delivered",
        Read => "read",
        Failed => "failed",
        Bounced => "bounced",
        Internal => "internal",
    }
);

impl TicketStatus {
    /// A closed ticket takes no more messages: a customer who writes again opens a new one.
    pub fn accepts_messages(self) -> bool {
        self != TicketStatus::Closed
    }

    /// The status a ticket moves to when a message arrives or is sent, if it changes.
    ///
    /// A customer's message puts the ball back in our court; an agent's reply to a new ticket
    /// opens it. Notes never move the status.
    pub fn after_message(self, direction: Direction) -> Option<TicketStatus> {
        use TicketStatus::*;
        match (direction, self) {
            (Direction::In, PendingCustomer | Resolved) => Some(Open),
            (Direction::Out, New) => Some(Open),
            _ => None,
        }
    }

    /// Whether a change from `self` to `to` is allowed. Closed is final.
    pub fn can_change_to(self, to: TicketStatus) -> bool {
        self != TicketStatus::Closed || to == TicketStatus::Closed
    }
}

/// A tag: lower-case letters, digits, `-`, `_`, `:`, `.`, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Tag, InvalidValue> {
        let t = s.trim().to_lowercase();
        let ok = !t.is_empty()
            && t.chars().count() <= Self::MAX_LEN
            && t.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
        if ok {
            Ok(Tag(t))
        } else {
            Err(InvalidValue {
                what: "tag",
                value: s.chars().take(64).collect(),
                expected: "1-64 letters, digits, '-', '_', ':' or '.'",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Tag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Tag::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A ticket subject: trimmed, one line, non-empty, at most 500 characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(s: &str) -> Result<Subject, InvalidValue> {
        let one_line: String = s
            .split(['\r', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if one_line.is_empty() || one_line.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue {
                what: "subject",
                value: s.chars().take(64).collect(),
                expected: "1-500 characters",
            });
        }
        Ok(Subject(one_line))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for s in TicketStatus::ALL {
            assert_eq!(s.as_str().parse::<TicketStatus>().unwrap(), *s);
        }
        let e = "done".parse::<TicketStatus>().unwrap_err();
        assert!(e.to_string().contains("pending_customer"));
    }

    #[test]
    fn customer_message_reopens() {
        assert_eq!(
            TicketStatus::Resolved.after_message(Direction::In),
            Some(TicketStatus::Open)
        );
        assert_eq!(TicketStatus::Open.after_message(Direction::Note), None);
        assert_eq!(
            TicketStatus::New.after_message(Direction::Out),
            Some(TicketStatus::Open)
        );
        assert!(!TicketStatus::Closed.can_change_to(TicketStatus::Open));
    }

    #[test]
    fn tags_and_subjects() {
        assert_eq!(Tag::parse(" VIP ").unwrap().as_str(), "vip");
        assert!(Tag::parse("two words").is_err());
        assert!(Tag::parse("").is_err());
        assert_eq!(
            Subject::parse("Where is\r\n my order?").unwrap().as_str(),
            "Where is my order?"
        );
        assert!(Subject::parse("  \n ").is_err());
    }
}
