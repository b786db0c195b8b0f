//! Customers and the identities that point at them on each channel, plus agents' roles and
//! languages. Every identity is parsed into one canonical form, so the same person writing by
//! mail as `Ana@Shop.example` and `ana@shop.example` is one customer.

use std::fmt;

use crate::ticket::{InvalidValue, word_enum};

/// An e-mail address in canonical form: trimmed, lower-cased (mailbox providers treat local
/// parts case-insensitively in practice, and a help desk must not split one customer in two).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Result<EmailAddress, InvalidValue> {
        let err = || InvalidValue {
            what: "email address",
            value: s.chars().take(64).collect(),
            expected: "an address like name@example.com",
        };
        let t = s.trim().to_lowercase();
        if t.len() > 254 {
            return Err(err());
        }
        let (local, domain) = t.rsplit_once('@').ok_or_else(err)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| {
                c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || !c.is_ascii()
            });
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(EmailAddress(t))
        } else {
            Err(err())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for EmailAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        EmailAddress::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A phone number in E.164 form (`+48601234567`). Spaces, dots, dashes and brackets are
/// dropped; a leading `00` is the international prefix. Numbers without a country code are
/// refused rather than guessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<PhoneNumber, InvalidValue> {
        let err = || InvalidValue {
            what: "phone number",
            value: s.chars().take(64).collect(),
            expected: "an international number like +48 601 234 567",
        };
        let t = s.trim();
        let rest = if let Some(r) = t.strip_prefix('+') {
            r
        } else if let Some(r) = t.strip_prefix("00") {
            r
        } else {
            return Err(err());
        };
        let mut digits = String::with_capacity(16);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(err()),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(err());
        }
        Ok(PhoneNumber(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PhoneNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

word_enum!(
    /// The kind of channel identity.
    IdentityKind, "identity kind", {
        Email => "email",
        Phone => "phone",
        WhatsApp => "whatsapp",
        Telegram => "telegram",
        ChatVisitor => "chat_visitor",
    }
);

/// One way of reaching a customer. The value is canonical for its kind, so
/// `(kind, value)` is unique across customers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Identity {
    pub kind: IdentityKind,
    pub value: String,
}

impl Identity {
    pub fn email(e: &EmailAddress) -> Identity {
        Identity {
            kind: IdentityKind::Email,
            value: e.as_str().to_owned(),
        }
    }

    pub fn phone(p: &PhoneNumber) -> Identity {
        Identity {
            kind: IdentityKind::Phone,
            value: p.as_str().to_owned(),
        }
    }

    /// Parses `value` for `kind` into its canonical form.
    pub fn parse(kind: IdentityKind, value: &str) -> Result<Identity, InvalidValue> {
        let value = match kind {
            IdentityKind::Email => EmailAddress::parse(value)?.0,
            // WhatsApp ids are the E.164 number without '+'; we keep them as the bare digits.
            IdentityKind::Phone => PhoneNumber::parse(value)?.0,
            IdentityKind::WhatsApp => {
                let with_plus = if value.trim().starts_with('+') {
                    value.trim().to_owned()
                } else {
                    format!("+{}", value.trim())
                };
                PhoneNumber::parse(&with_plus)?.0[1..].to_owned()
            }
            IdentityKind::Telegram | IdentityKind::ChatVisitor => {
                let t = value.trim();
                let ok = !t.is_empty()
                    && t.len() <= 128
                    && t.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
                if !ok {
                    return Err(InvalidValue {
                        what: "channel id",
                        value: value.chars().take(64).collect(),
                        expected: "1-128 ASCII letters, digits, '-', '_', '.', ':'",
                    });
                }
                t.to_owned()
            }
        };
        Ok(Identity { kind, value })
    }
}

impl<'de> serde::Deserialize<'de> for Identity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            kind: IdentityKind,
            value: String,
        }
        let raw = Raw::deserialize(d)?;
        Identity::parse(raw.kind, &raw.value).map_err(serde::de::Error::custom)
    }
}

/// A language as an ISO 639-1 code (`en`, `id`, `pl`, `ro`, …), lower-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Language([u8; 2]);

impl Language {
    pub const EN: Language = Language(*b"en");
    pub const ID: Language = Language(*b"id");
    pub const PL: Language = Language(*b"pl");
    pub const RO: Language = Language(*b"ro");

    /// The languages trustdesk serves with templates, stemming and a bot.
    pub const SERVED: [Language; 4] = [Self::EN, Self::ID, Self::PL, Self::RO];

    /// Accepts `pl`, `PL`, `pl-PL`, `pl_PL`.
    pub fn parse(s: &str) -> Result<Language, InvalidValue> {
        let t = s.trim();
        let primary = t.split(['-', '_']).next().unwrap_or("");
        let b = primary.as_bytes();
        if b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic) {
            Ok(Language([
                b[0].to_ascii_lowercase(),
                b[1].to_ascii_lowercase(),
            ]))
        } else {
            Err(InvalidValue {
                what: "language",
                value: s.chars().take(64).collect(),
                expected: "an ISO 639-1 code such as en, id, pl, ro",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("en")
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Language {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Language {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Language::parse(&s).map_err(serde::de::Error::custom)
    }
}

word_enum!(
    /// What an agent (or a token acting for one) may do.
    Role, "role", {
        Admin => "admin",
        Agent => "agent",
        Viewer => "viewer",
        Mailgate => "mailgate",
    }
);

impl Role {
    /// Read tickets, customers, search. Not `mailgate`: its token sits in an MTA's
    /// configuration, and a leaked one must not open every customer's conversations.
    pub fn can_read(self) -> bool {
        self != Role::Mailgate
    }

    /// Hand raw inbound mail to the intake (an MTA's pipe, a mail provider's webhook).
    pub fn can_deliver_mail(self) -> bool {
        matches!(self, Role::Admin | Role::Agent | Role::Mailgate)
    }

    /// Create and change tickets, customers and messages.
    pub fn can_write(self) -> bool {
        matches!(self, Role::Admin | Role::Agent)
    }

    /// Manage agents, tokens, settings; merge customers.
    pub fn can_administer(self) -> bool {
        self == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails() {
        assert_eq!(
            EmailAddress::parse(" Ana.Pop@Shop.EXAMPLE ")
                .unwrap()
                .as_str(),
            "ana.pop@shop.example"
        );
        for bad in [
            "",
            "ana",
            "@shop.example",
            "ana@",
            "ana@shop",
            "a..b@shop.example",
            "ana@-shop.example",
            "ana @shop.example",
            "ana@shop..example",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert!(EmailAddress::parse("zażółć@sklep.pl").is_ok());
    }

    #[test]
    fn phones() {
        assert_eq!(
            PhoneNumber::parse("+48 601-234-567").unwrap().as_str(),
            "+48601234567"
        );
        assert_eq!(
            PhoneNumber::parse("0062 (812) 3456 7890").unwrap().as_str(),
            "+6281234567890"
        );
        for bad in [
            "601234567",
            "+48 601 234 567 890 123 4",
            "+0123456789",
            "+48abc",
            "+",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identities_and_languages() {
        let wa = Identity::parse(IdentityKind::WhatsApp, "6281234567890").unwrap();
        assert_eq!(wa.value, "6281234567890");
        assert!(Identity::parse(IdentityKind::Telegram, "12 34").is_err());
        assert_eq!(Language::parse("pl-PL").unwrap(), Language::PL);
        assert!(Language::parse("polish").is_err());
        assert!(Role::Viewer.can_read() && !Role::Viewer.can_write());
        assert!(Role::Agent.can_write() && !Role::Agent.can_administer());
        let gate = Role::Mailgate;
        assert!(gate.can_deliver_mail() && !gate.can_read() && !gate.can_write());
        assert!(!Role::Viewer.can_deliver_mail());
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_is_idempotent(s in "\\PC{0,40}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert_eq!(EmailAddress::parse(e.as_str()).unwrap(), e);
            }
            if let Ok(p) = PhoneNumber::parse(&s) {
                prop_assert_eq!(PhoneNumber::parse(p.as_str()).unwrap(), p);
            }
        }
    }
}
