//! Typed, prefixed identifiers (`tkt_…`, `cus_…`): a ticket id can never be passed where a
//! customer id is expected, and the API never shows a bare integer that could be mistaken for
//! a ticket number.

use std::fmt;
use std::str::FromStr;

/// Crockford's base32 alphabet, lower-case: no i, l, o, u, so ids read back unambiguously.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

fn encode(mut n: u64, out: &mut String) {
    if n == 0 {
        out.push('0');
        return;
    }
    let mut buf = [0u8; 13];
    let mut i = buf.len();
    while n > 0 {
        i -= 1;
        buf[i] = ALPHABET[(n & 31) as usize];
        n >>= 5;
    }
    out.extend(buf[i..].iter().map(|&b| b as char));
}

fn decode(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 13 || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    let mut n: u64 = 0;
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u64;
        n = n.checked_mul(32)?.checked_add(v)?;
    }
    Some(n)
}

/// The id string was not of the expected kind or was malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind} id (expected `{prefix}_…`)")]
pub struct InvalidId {
    pub kind: &'static str,
    pub prefix: &'static str,
    pub value: String,
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// Wraps a database key. Keys are positive; storage hands them out.
            pub const fn from_db(key: i64) -> Self {
                Self(key)
            }

            /// The database key, for storage code only.
            pub const fn db_key(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut s = String::with_capacity(20);
                s.push_str($prefix);
                s.push('_');
                encode(self.0 as u64, &mut s);
                f.write_str(&s)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let err = || InvalidId { kind: $kind, prefix: $prefix, value: s.chars().take(64).collect() };
                let rest = s
                    .strip_prefix($prefix)
                    .and_then(|r| r.strip_prefix('_'))
                    .ok_or_else(err)?;
                let n = decode(rest).ok_or_else(err)?;
                if n == 0 || n > i64::MAX as u64 {
                    return Err(err());
                }
                Ok(Self(n as i64))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
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

typed_id!(
    /// A ticket (conversation).
    TicketId, "tkt", "ticket"
);
typed_id!(
    /// A customer.
    CustomerId, "cus", "customer"
);
typed_id!(
    /// A message on a ticket.
    MessageId, "msg", "message"
);
typed_id!(
    /// A support agent (a person who logs in).
    AgentId, "agt", "agent"
);
typed_id!(
    /// An API token.
    TokenId, "tok", "token"
);
typed_id!(
    /// An attachment row (its bytes are addressed by SHA-256).
    AttachmentId, "att", "attachment"
);
typed_id!(
    /// An order imported from a shop.
    OrderId, "ord", "order"
);
typed_id!(
    /// A parcel of an order, with its tracking number.
    ShipmentId, "shp", "shipment"
);
typed_id!(
    /// A promise made to a customer (a deadline with a state).
    PromiseId, "prm", "promise"
);
typed_id!(
    /// A mail kept out of the ticket list: rejected, or a bounce / auto-reply / feedback report
    /// that concerns no ticket we know.
    QuarantineId, "qua", "quarantined mail"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        assert_eq!(TicketId::from_db(1).to_string(), "tkt_1");
        assert_eq!(TicketId::from_db(32).to_string(), "tkt_10");
        assert_eq!(CustomerId::from_db(1042).to_string(), "cus_10j");
    }

    #[test]
    fn rejects_wrong_kind_and_garbage() {
        assert!("cus_1".parse::<TicketId>().is_err());
        assert!("tkt_".parse::<TicketId>().is_err());
        assert!("tkt_0".parse::<TicketId>().is_err());
        assert!("tkt_01".parse::<TicketId>().is_err());
        assert!("tkt_I".parse::<TicketId>().is_err());
        assert!("tkt_zzzzzzzzzzzzz".parse::<TicketId>().is_err());
        assert!("1".parse::<TicketId>().is_err());
    }

    proptest! {
        #[test]
        fn round_trips(n in 1i64..=i64::MAX) {
            let id = TicketId::from_db(n);
            prop_assert_eq!(id.to_string().parse::<TicketId>().unwrap(), id);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = s.parse::<MessageId>();
        }
    }
}
