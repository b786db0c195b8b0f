//! The rules of mail intake that need no database: the id a mail is known by, the Message-IDs
//! it answers (in the order they decide its ticket), the ticket tag in its subject, and what
//! of it can be stored as it is (names of attachments, text without NUL).

use std::borrow::Cow;
use std::fmt;

use trustdesk_domain::{Language, Subject};

use super::classify::Kind;
use super::parse::{Attachment, ParsedMail};
use super::reply::split_reply;
use crate::language::detect_language;

/// At most this many Message-IDs of a mail are looked up to find its ticket: a long thread's
/// References list is newest last, and its newest entries decide.
pub const MAX_THREAD_IDS: usize = 50;
/// The longest Message-ID kept as the channel id (a header line's limit); longer ones are
/// replaced by the id made from the raw bytes.
pub const MAX_CHANNEL_ID_CHARS: usize = 998;
const MAX_FILENAME_CHARS: usize = 255;

/// The channel id of a mail that has no usable Message-ID (or could not be parsed): made from
/// the SHA-256 of its raw bytes, so the same bytes delivered again are recognised.
pub fn raw_channel_id(sha256: &str) -> String {
    format!("sha256-{sha256}@trustdesk.invalid")
}

fn usable_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= MAX_CHANNEL_ID_CHARS
        && !id.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The id a mail is known by on the email channel: its Message-ID, or [`raw_channel_id`].
pub fn channel_message_id(mail: &ParsedMail) -> String {
    mail.message_id
        .as_deref()
        .filter(|id| usable_id(id))
        .map_or_else(|| raw_channel_id(&mail.sha256), str::to_owned)
}

/// The Message-IDs this mail concerns, most telling first, each once: for a bounce or a
/// feedback report the message it reports on, then (for every mail) In-Reply-To, then
/// References newest first.
pub fn thread_ids(mail: &ParsedMail, kind: &Kind) -> Vec<String> {
    let mut ids: Vec<&str> = Vec::new();
    let reported = match kind {
        Kind::Bounce(report) => report.returned_message_id.as_deref(),
        Kind::FeedbackReport(report) => report.reported_message_id.as_deref(),
        Kind::Normal | Kind::AutoReply => None,
    };
    if matches!(kind, Kind::Bounce(_) | Kind::FeedbackReport(_)) {
        ids.extend(reported);
        ids.extend(
            mail.attached_messages()
                .filter_map(|m| m.message_id.as_deref()),
        );
    }
    ids.extend(mail.in_reply_to.iter().map(String::as_str));
    ids.extend(mail.references.iter().rev().map(String::as_str));
    let own = mail.message_id.as_deref();
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if usable_id(id) && Some(id) != own && !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
            if out.len() == MAX_THREAD_IDS {
                break;
            }
        }
    }
    out
}

/// The pattern is not `text{number}text`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "subject tag pattern `{0}` must contain `{{number}}` once, with some text before it \
     (like `[#{{number}}]`)"
)]
pub struct InvalidSubjectTag(pub String);

/// The ticket tag our mails carry in their subjects, like `[#1043]`; the pattern is
/// configurable (`[shop.example #{number}]`). Found case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTag {
    prefix: String,
    suffix: String,
}

impl SubjectTag {
    pub const DEFAULT_PATTERN: &'static str = "[#{number}]";

    pub fn parse(pattern: &str) -> Result<SubjectTag, InvalidSubjectTag> {
        let invalid = || InvalidSubjectTag(pattern.to_owned());
        let (prefix, suffix) = pattern.split_once("{number}").ok_or_else(invalid)?;
        if prefix.trim().is_empty()
            || suffix.contains("{number}")
            || prefix.ends_with(|c: char| c.is_ascii_digit())
            || suffix.starts_with(|c: char| c.is_ascii_digit())
            || pattern.chars().any(char::is_control)
        {
            return Err(invalid());
        }
        Ok(SubjectTag {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
        })
    }

    /// The tag for ticket `number`, to put in a subject.
    pub fn render(&self, number: i64) -> String {
        format!("{}{number}{}", self.prefix, self.suffix)
    }

    /// The ticket number of the first tag in `subject`, if any.
    pub fn find(&self, subject: &str) -> Option<i64> {
        // ASCII lower-casing keeps byte offsets, so positions found in the folded copies are
        // positions in the subject.
        let hay = subject.to_ascii_lowercase();
        let prefix = self.prefix.to_ascii_lowercase();
        let suffix = self.suffix.to_ascii_lowercase();
        let mut from = 0;
        while let Some(at) = hay[from..].find(&prefix) {
            let digits_start = from + at + prefix.len();
            let digits_len = hay[digits_start..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let rest = &hay[digits_start + digits_len..];
            if (1..=18).contains(&digits_len) && rest.starts_with(&suffix) {
                return hay[digits_start..digits_start + digits_len].parse().ok();
            }
            from = digits_start;
        }
        None
    }
}

impl Default for SubjectTag {
    fn default() -> Self {
        SubjectTag::parse(SubjectTag::DEFAULT_PATTERN).expect("the default pattern is valid")
    }
}

impl fmt::Display for SubjectTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{{number}}{}", self.prefix, self.suffix)
    }
}

/// Text every backend can store: PostgreSQL refuses NUL in text, so it becomes U+FFFD.
pub fn storable(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The subject of a ticket opened by this mail: its own, or "(no subject)".
pub fn ticket_subject(mail: &ParsedMail) -> Subject {
    let raw = mail.subject.as_deref().unwrap_or("");
    let clean: String = storable(raw)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(Subject::MAX_CHARS)
        .collect();
    Subject::parse(&clean)
        .unwrap_or_else(|_| Subject::parse("(no subject)").expect("a constant subject is valid"))
}

/// The sender's language, judged from what they wrote now (the quoted history is someone
/// else's words), else from the subject.
pub fn sender_language(mail: &ParsedMail) -> Option<Language> {
    let (new, _) = split_reply(&mail.text);
    detect_language(new).or_else(|| mail.subject.as_deref().and_then(detect_language))
}

/// A safe file name for an attachment: the sender's (last path component, no control
/// characters, at most 255 characters), else `attachment-N.ext` from its type.
pub fn attachment_filename(attachment: &Attachment, index: usize) -> String {
    let given = attachment.filename.as_deref().and_then(|raw| {
        let base = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
        let clean: String = base.chars().filter(|c| !c.is_control()).collect();
        let ok = !clean.is_empty()
            && clean != "."
            && clean != ".."
            && clean.chars().count() <= MAX_FILENAME_CHARS;
        ok.then_some(clean)
    });
    given.unwrap_or_else(|| {
        let ext = match attachment.content_type.as_str() {
            "message/rfc822" | "message/global" => "eml",
            "text/html" => "html",
            "application/pdf" => "pdf",
            "image/png" => "png",
            "image/jpeg" => "jpg",
            "image/gif" => "gif",
            t if t.starts_with("text/") || t.starts_with("message/") => "txt",
            _ => "bin",
        };
        format!("attachment-{}.{ext}", index + 1)
    })
}

/// A content type the API will hand back as it is: printable ASCII `type/subtype`, else
/// `application/octet-stream`.
pub fn attachment_content_type(attachment: &Attachment) -> String {
    let t = attachment.content_type.trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match t.split_once('/') {
        Some((ty, sub)) if t.len() <= 255 && token(ty) && token(sub) => t.to_ascii_lowercase(),
        _ => "application/octet-stream".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::{classify, parse};

    fn mail(headers: &str, body: &str) -> ParsedMail {
        parse(format!("{headers}\r\n\r\n{body}").as_bytes()).unwrap()
    }

    #[test]
    fn channel_ids() {
        let m = mail("From: a@b.example\r\nMessage-ID: <x.1@b.example>", "hi");
        assert_eq!(channel_message_id(&m), "x.1@b.example");
        let m = mail("From: a@b.example\r\nSubject: none", "hi");
        assert_eq!(
            channel_message_id(&m),
            format!("sha256-{}@trustdesk.invalid", m.sha256)
        );
        let long = format!(
            "From: a@b.example\r\nMessage-ID: <{}@b.example>",
            "x".repeat(1000)
        );
        let m = mail(&long, "hi");
        assert!(channel_message_id(&m).starts_with("sha256-"));
    }

    #[test]
    fn thread_ids_in_order_without_duplicates_or_self() {
        let m = mail(
            "From: a@b.example\r\nMessage-ID: <me@b.example>\r\n\
             In-Reply-To: <ack-2@desk.example>\r\n\
             References: <first@b.example> <ack-1@desk.example> <ack-2@desk.example> <me@b.example>",
            "hi",
        );
        assert_eq!(
            thread_ids(&m, &classify(&m)),
            [
                "ack-2@desk.example",
                "ack-1@desk.example",
                "first@b.example"
            ]
        );
    }

    #[test]
    fn subject_tags() {
        let tag = SubjectTag::default();
        assert_eq!(tag.render(1043), "[#1043]");
        assert_eq!(tag.find("Re: [#1043] Where is my parcel?"), Some(1043));
        assert_eq!(tag.find("Re: Order #1043"), None);
        assert_eq!(tag.find("[#] [#x] [#12a] then [#7]"), Some(7));
        assert_eq!(tag.find("[#99999999999999999999]"), None);
        let rt = SubjectTag::parse("[Shop.example #{number}]").unwrap();
        assert_eq!(rt.find("RE: [shop.EXAMPLE #55] x"), Some(55));
        assert_eq!(rt.to_string(), "[Shop.example #{number}]");
        for bad in [
            "",
            "#",
            "{number}",
            "[#{number}]{number}",
            "[1{number}]",
            "[#{number}2]",
        ] {
            assert!(SubjectTag::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(tag.find("Zamówienie ąę [#5]"), Some(5));
    }

    #[test]
    fn subjects_and_text() {
        let m = mail("From: a@b.example", "hi");
        assert_eq!(ticket_subject(&m).as_str(), "(no subject)");
        let m = mail(
            "From: a@b.example\r\nSubject: =?UTF-8?Q?Zam=C3=B3wienie?= 1043",
            "hi",
        );
        assert_eq!(ticket_subject(&m).as_str(), "Zamówienie 1043");
        assert_eq!(storable("a\0b"), "a\u{FFFD}b");
    }

    #[test]
    fn language_from_the_new_part() {
        let m = mail(
            "From: a@b.example\r\nSubject: Re: order",
            "Dzień dobry, moja paczka jeszcze nie dotarła. Proszę o informację.\r\n\r\n\
             On Mon, 2 Nov 2026 at 10:00, Shop <desk@shop.example> wrote:\r\n\
             > Thank you for your message. We will answer within one business day.\r\n",
        );
        assert_eq!(sender_language(&m), Some(Language::PL));
    }

    #[test]
    fn attachment_names() {
        let a = |name: Option<&str>, ct: &str| Attachment {
            filename: name.map(str::to_owned),
            content_type: ct.to_owned(),
            bytes: Vec::new(),
            inline: false,
            content_id: None,
            message: None,
        };
        assert_eq!(
            attachment_filename(&a(Some("../../etc/passwd"), "text/plain"), 0),
            "passwd"
        );
        assert_eq!(
            attachment_filename(&a(None, "message/rfc822"), 1),
            "attachment-2.eml"
        );
        assert_eq!(
            attachment_filename(&a(Some(".."), "x/y"), 0),
            "attachment-1.bin"
        );
        assert_eq!(
            attachment_content_type(&a(None, "Text/Plain")),
            "text/plain"
        );
        assert_eq!(
            attachment_content_type(&a(None, "weird")),
            "application/octet-stream"
        );
    }
}
