//! Raw RFC 5322 bytes into a [`ParsedMail`]: the headers a help desk threads and filters on,
//! one text body (always), a sanitised HTML body, attachments and nested messages. Built on
//! mail-parser, which never panics and decodes every charset real mail uses; this module adds
//! the normalisation (ids without brackets, one text version) and says what it could not read.

use std::fmt;

use mail_parser::{
    Address, HeaderName, HeaderValue, Message, MessageParser, MimeHeaders, PartType,
};
use sha2::{Digest, Sha256};

use super::html::{escape_as_pre, html_to_text, sanitize_html};

/// Nested message/rfc822 parts are parsed this deep; deeper ones stay attachments (bytes only).
/// A bounce of a forward of a bounce is three levels; nobody needs ten.
const MAX_NESTING: usize = 8;

/// Why a byte string is not a mail at all. Anything with a header block parses, with warnings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the message is empty")]
    Empty,
    #[error("no header block found: this is not an RFC 5322 message")]
    NoHeaders,
}

/// Something in the mail that could not be read as it should; the rest was parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseWarning {
    MissingFrom,
    MissingMessageId,
    /// More than one address in From: (RFC 5322 then wants a Sender:); the first is used.
    MultipleFrom,
    /// The Date: header is missing or not a date; the raw value when there was one.
    BadDate(Option<String>),
    /// A part's transfer encoding was broken; its content may be truncated or garbled.
    EncodingProblem {
        part: usize,
    },
    /// A charset mail-parser does not know; the text was decoded as Latin-1/UTF-8 best effort.
    UnknownCharset {
        part: usize,
        charset: String,
    },
    /// A nested message deeper than we follow; kept as an attachment.
    NestingTooDeep,
    /// A multipart body whose boundary never appears: its parts could not be separated.
    BrokenMultipart {
        part: usize,
    },
    /// The body has neither text nor HTML content.
    NoBody,
}

impl fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseWarning::MissingFrom => f.write_str("no From: address"),
            ParseWarning::MissingMessageId => f.write_str("no Message-ID"),
            ParseWarning::MultipleFrom => f.write_str("several From: addresses, the first is used"),
            ParseWarning::BadDate(Some(raw)) => write!(f, "unreadable Date: {raw:?}"),
            ParseWarning::BadDate(None) => f.write_str("no Date:"),
            ParseWarning::EncodingProblem { part } => {
                write!(f, "part {part}: broken transfer encoding")
            }
            ParseWarning::UnknownCharset { part, charset } => {
                write!(f, "part {part}: unknown charset {charset:?}")
            }
            ParseWarning::NestingTooDeep => f.write_str("nested messages too deep, kept as bytes"),
            ParseWarning::BrokenMultipart { part } => {
                write!(f, "part {part}: multipart body without its parts")
            }
            ParseWarning::NoBody => f.write_str("no text or HTML body"),
        }
    }
}

/// An address with its display name, as written (decoded, trimmed, not lower-cased; use
/// [`Mailbox::canonical`] to match an identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub address: String,
    pub name: Option<String>,
}

impl Mailbox {
    /// The address in the form identities are stored in, when it is a valid address.
    pub fn canonical(&self) -> Option<trustdesk_domain::EmailAddress> {
        trustdesk_domain::EmailAddress::parse(&self.address).ok()
    }
}

/// A part that is not the message's text or HTML body: files, inline images, report parts
/// (message/delivery-status, text/rfc822-headers) and attached messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Decoded (RFC 2231 and encoded-words), as the sender named it. Never trusted as a path.
    pub filename: Option<String>,
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// The decoded content. Text parts are stored as UTF-8 (converted from their charset).
    pub bytes: Vec<u8>,
    /// Shown in the body (Content-Disposition: inline, or an image the HTML refers to).
    pub inline: bool,
    /// Content-ID without brackets: what `cid:` URLs in the HTML body point at.
    pub content_id: Option<String>,
    /// The parsed message when this part is message/rfc822 (a forward, a returned message).
    pub message: Option<Box<ParsedMail>>,
}

/// One mail as trustdesk understands it. The raw bytes are not copied: the caller keeps them as
/// evidence, and `sha256` proves which bytes this was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMail {
    /// SHA-256 of the raw bytes, lower-case hex.
    pub sha256: String,
    pub size: usize,
    /// Message-ID without `<>`.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub sender: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    /// The envelope sender the final MTA recorded; `Some("")` is the null path `<>` that
    /// bounces and auto-replies carry.
    pub return_path: Option<String>,
    pub subject: Option<String>,
    pub date: Option<jiff::Timestamp>,
    pub auto_submitted: Option<String>,
    pub precedence: Option<String>,
    pub list_id: Option<String>,
    pub list_unsubscribe: Option<String>,
    /// The top-level `Content-Type` as `type/subtype`, lower case (`multipart/report`, …).
    pub content_type: String,
    /// Every top-level header field, in order: name as written, value unfolded and decoded
    /// where the field is unstructured. For the rules that look at vendor headers.
    pub headers: Vec<(String, String)>,
    /// The text body, with `\n` line ends; derived from the HTML when the mail has only HTML.
    pub text: String,
    /// The HTML body, sanitised for display; `None` when the mail has no HTML.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub warnings: Vec<ParseWarning>,
}

impl ParsedMail {
    /// The value of the first top-level header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the top-level headers with this name (case-insensitive), in order.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Attached messages (message/rfc822 parts), outermost first.
    pub fn attached_messages(&self) -> impl Iterator<Item = &ParsedMail> {
        self.attachments.iter().filter_map(|a| a.message.as_deref())
    }
}

/// Parses a raw mail. Never panics; fails only when the bytes hold no header block at all.
/// Anything that could not be read properly is listed in [`ParsedMail::warnings`].
pub fn parse(raw: &[u8]) -> Result<ParsedMail, ParseError> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NoHeaders)?;
    if message.parts.is_empty() || message.root_part().headers.is_empty() {
        return Err(ParseError::NoHeaders);
    }
    Ok(convert(&message, raw, raw, 0))
}

/// `raw` is the buffer the message's offsets point into (for a nested message mail-parser
/// keeps the outer buffer); `own` is this message's bytes alone, which its hash is over.
fn convert(message: &Message<'_>, raw: &[u8], own: &[u8], depth: usize) -> ParsedMail {
    let mut warnings = Vec::new();
    let root = message.root_part();

    let headers: Vec<(String, String)> = root
        .headers
        .iter()
        .map(|h| (h.name.as_str().to_string(), header_text(&h.value, raw, h)))
        .collect();
    let raw_header = |name: &str| -> Option<String> {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };

    let message_id = message
        .message_id()
        .and_then(normalise_id)
        .or_else(|| raw_header("Message-ID").and_then(|v| ids_in(&v).into_iter().next()));
    if message_id.is_none() {
        warnings.push(ParseWarning::MissingMessageId);
    }

    let from_list = mailboxes(message.from());
    if from_list.is_empty() {
        warnings.push(ParseWarning::MissingFrom);
    } else if from_list.len() > 1 {
        warnings.push(ParseWarning::MultipleFrom);
    }
    let from = from_list.into_iter().next();

    let date = match message.date() {
        Some(d) if d.is_valid() => jiff::Timestamp::from_second(d.to_timestamp()).ok(),
        _ => None,
    };
    if date.is_none() {
        warnings.push(ParseWarning::BadDate(raw_header("Date")));
    }

    let return_path = raw_header("Return-Path").map(|v| {
        let v = v.trim();
        let inner = match (v.find('<'), v.rfind('>')) {
            (Some(a), Some(b)) if a < b => &v[a + 1..b],
            _ => v,
        };
        inner.trim().to_string()
    });

    let content_type = root
        .content_type()
        .map(|ct| mime_name(ct.ctype(), ct.subtype()))
        .unwrap_or_else(|| "text/plain".to_string());

    for (i, part) in message.parts.iter().enumerate() {
        if part.is_encoding_problem {
            warnings.push(ParseWarning::EncodingProblem { part: i });
        }
        if let Some(charset) = part.content_type().and_then(|ct| ct.attribute("charset"))
            && !known_charset(charset)
        {
            warnings.push(ParseWarning::UnknownCharset {
                part: i,
                charset: charset.chars().take(64).collect(),
            });
        }
    }

    let mut texts: Vec<String> = Vec::new();
    for &id in &message.text_body {
        match message.parts.get(id as usize).map(|p| &p.body) {
            Some(PartType::Text(t)) => texts.push(lf(t)),
            Some(PartType::Html(h)) => texts.push(html_to_text(&lf(h))),
            _ => {}
        }
    }
    let mut html_parts: Vec<String> = Vec::new();
    let mut has_html = false;
    for &id in &message.html_body {
        match message.parts.get(id as usize).map(|p| &p.body) {
            Some(PartType::Html(h)) => {
                has_html = true;
                html_parts.push(sanitize_html(&lf(h)));
            }
            Some(PartType::Text(t)) => html_parts.push(escape_as_pre(&lf(t))),
            _ => {}
        }
    }
    if texts.is_empty() && has_html {
        texts = message
            .html_body
            .iter()
            .filter_map(
                |&id| match message.parts.get(id as usize).map(|p| &p.body) {
                    Some(PartType::Html(h)) => Some(html_to_text(&lf(h))),
                    Some(PartType::Text(t)) => Some(lf(t)),
                    _ => None,
                },
            )
            .collect();
    }
    let text = texts.join("\n");
    let html = has_html.then(|| html_parts.join("\n"));

    let mut attachments = Vec::new();
    let mut broken_multipart_text = String::new();
    for &id in &message.attachments {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        let (bytes, nested): (Vec<u8>, Option<&Message<'_>>) = match &part.body {
            PartType::Text(t) | PartType::Html(t) => (t.as_bytes().to_vec(), None),
            PartType::Binary(b) | PartType::InlineBinary(b) => (b.to_vec(), None),
            PartType::Message(m) => (nested_bytes(raw, part, m).to_vec(), Some(m)),
            PartType::Multipart(_) => continue,
        };
        let content_type = part
            .content_type()
            .map(|ct| mime_name(ct.ctype(), ct.subtype()))
            .unwrap_or_else(|| match &part.body {
                PartType::Text(_) => "text/plain".to_string(),
                PartType::Html(_) => "text/html".to_string(),
                PartType::Message(_) => "message/rfc822".to_string(),
                _ => "application/octet-stream".to_string(),
            });
        if content_type.starts_with("multipart/") {
            warnings.push(ParseWarning::BrokenMultipart { part: id as usize });
            broken_multipart_text.push_str(&salvage_text(&bytes));
            continue;
        }
        let message = match nested {
            Some(m)
                if depth + 1 < MAX_NESTING
                    && !m.parts.is_empty()
                    && !m.root_part().headers.is_empty() =>
            {
                Some(Box::new(convert(
                    m,
                    &m.raw_message,
                    nested_bytes(raw, part, m),
                    depth + 1,
                )))
            }
            Some(_) if depth + 1 >= MAX_NESTING => {
                warnings.push(ParseWarning::NestingTooDeep);
                None
            }
            _ => None,
        };
        let content_id = part.content_id().and_then(normalise_id);
        let inline = matches!(part.body, PartType::InlineBinary(_))
            || part.content_disposition().is_some_and(|d| d.is_inline());
        attachments.push(Attachment {
            filename: part
                .attachment_name()
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
            content_type,
            bytes,
            inline,
            content_id,
            message,
        });
    }

    // A multipart whose boundary could not be read (a header folded without indentation)
    // still holds the sender's words; without any other text, show them rather than nothing.
    let text = if text.trim().is_empty() && !broken_multipart_text.trim().is_empty() {
        broken_multipart_text
    } else {
        text
    };
    if text.trim().is_empty() && html.is_none() && attachments.is_empty() {
        warnings.push(ParseWarning::NoBody);
    }

    ParsedMail {
        sha256: hex::encode(Sha256::digest(own)),
        size: own.len(),
        message_id,
        in_reply_to: id_list(message.in_reply_to(), raw_header("In-Reply-To")),
        references: id_list(message.references(), raw_header("References")),
        from,
        sender: mailboxes(message.sender()).into_iter().next(),
        to: all(message.header_values(HeaderName::To)),
        cc: all(message.header_values(HeaderName::Cc)),
        reply_to: mailboxes(message.reply_to()),
        return_path,
        subject: message.subject().map(|s| s.trim().to_string()),
        date,
        auto_submitted: raw_header("Auto-Submitted"),
        precedence: raw_header("Precedence"),
        list_id: raw_header("List-Id"),
        list_unsubscribe: raw_header("List-Unsubscribe"),
        content_type,
        headers,
        text,
        html,
        attachments,
        warnings,
    }
}

/// The bytes of an attached message. Unencoded, it sits in the outer buffer between the part's
/// offsets; base64- or QP-encoded, mail-parser decoded it into a buffer of its own.
fn nested_bytes<'a>(
    outer: &'a [u8],
    part: &mail_parser::MessagePart<'_>,
    nested: &'a Message<'_>,
) -> &'a [u8] {
    if part.encoding != mail_parser::Encoding::None {
        return &nested.raw_message;
    }
    let start = part.offset_body as usize;
    let end = part.offset_end as usize;
    outer
        .get(start..end)
        .filter(|b| !b.is_empty())
        .or_else(|| outer.get(start..))
        .unwrap_or_default()
}

fn all<'a, 'x: 'a>(values: impl Iterator<Item = &'a HeaderValue<'x>>) -> Vec<Mailbox> {
    values
        .filter_map(|v| v.as_address())
        .flat_map(|a| mailboxes(Some(a)))
        .collect()
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|a| {
            let addr = a.address.as_deref()?.trim();
            if addr.is_empty() {
                return None;
            }
            let name = a
                .name
                .as_deref()
                .map(|n| n.trim().trim_matches('"').trim().to_string())
                .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(addr));
            Some(Mailbox {
                address: addr.to_string(),
                name,
            })
        })
        .collect()
}

/// A header's value as text: decoded for unstructured fields, the raw (unfolded) bytes for the
/// rest, so rules can match vendor headers mail-parser does not know.
fn header_text(value: &HeaderValue<'_>, raw: &[u8], h: &mail_parser::Header<'_>) -> String {
    match value {
        HeaderValue::Text(t) => unfold(t),
        _ => {
            let start = (h.offset_start as usize).min(raw.len());
            let end = (h.offset_end as usize).clamp(start, raw.len());
            unfold(&String::from_utf8_lossy(&raw[start..end]))
        }
    }
}

fn unfold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        let line = line.trim_end_matches('\r');
        if i > 0 {
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                continue;
            }
            out.push(' ');
            out.push_str(trimmed);
        } else {
            out.push_str(line);
        }
    }
    out.trim().to_string()
}

fn mime_name(ctype: &str, subtype: Option<&str>) -> String {
    let mut s = ctype.trim().to_ascii_lowercase();
    s.push('/');
    s.push_str(
        &subtype
            .unwrap_or("octet-stream")
            .trim()
            .to_ascii_lowercase(),
    );
    s
}

fn known_charset(charset: &str) -> bool {
    let c = charset.trim().trim_matches('"');
    let lower = c.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "utf-8" | "utf8" | "us-ascii" | "ascii" | "" | "unicode-1-1-utf-8"
    ) || mail_parser::decoders::charsets::map::charset_decoder(c.as_bytes()).is_some()
}

/// An id as threading compares it: no angle brackets, no whitespace.
fn normalise_id(id: &str) -> Option<String> {
    let id: String = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Every `<…>` id in a header value; a value without brackets counts as one id when it looks
/// like one (some clients write `In-Reply-To: abc@host`).
fn ids_in(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else { break };
        if let Some(id) = normalise_id(&after[..end])
            && !out.contains(&id)
        {
            out.push(id);
        }
        rest = &after[end + 1..];
    }
    if out.is_empty() {
        let bare = value.trim();
        if bare.contains('@')
            && !bare.contains(char::is_whitespace)
            && let Some(id) = normalise_id(bare)
        {
            out.push(id);
        }
    }
    out
}

fn id_list(parsed: &HeaderValue<'_>, raw: Option<String>) -> Vec<String> {
    let from_parser: Vec<String> = match parsed {
        HeaderValue::Text(t) => normalise_id(t).into_iter().collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|t| normalise_id(t)).collect(),
        _ => Vec::new(),
    };
    let mut ids = if from_parser.is_empty() {
        raw.map(|r| ids_in(&r)).unwrap_or_default()
    } else {
        from_parser
    };
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    ids
}

/// The readable lines of a multipart body that could not be split: boundary lines and part
/// headers dropped.
fn salvage_text(bytes: &[u8]) -> String {
    let raw = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut in_headers = false;
    for line in raw.lines() {
        let t = line.trim_end();
        if t.starts_with("--") && !t.contains(' ') {
            in_headers = true;
            continue;
        }
        if in_headers {
            let looks_like_header = t.split_once(':').is_some_and(|(n, _)| {
                !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }) || t.starts_with([' ', '\t'])
                || t.to_ascii_lowercase().starts_with("boundary=");
            if t.is_empty() {
                in_headers = false;
            } else if looks_like_header {
                continue;
            }
        }
        out.push_str(t);
        out.push('\n');
    }
    out.trim().to_string() + "\n"
}

/// Bodies are stored with `\n` line ends whatever the wire used: search, snippets and the
/// quote folding then see one kind of line. The raw bytes keep the original.
fn lf(s: &str) -> String {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMER: &[u8] = b"Return-Path: <>\r\n\
From: =?ISO-8859-2?Q?Micha=B3_Nowak?= <Michal.Nowak@Example.PL>\r\n\
To: Sklep <sklep@shop.example>, \"Obs\xc5\x82uga\" <pomoc@shop.example>\r\n\
Cc: undisclosed-recipients:;\r\n\
Subject: =?UTF-8?B?UmU6IFphbcOzd2llbmllICMxMDQz?=\r\n\
Date: Tue, 3 Mar 2026 10:15:00 +0100\r\n\
Message-ID: < abc.123@mail.example.pl >\r\n\
In-Reply-To: <out-1@shop.example>\r\n\
References: <out-0@shop.example>\r\n <out-1@shop.example> <out-0@shop.example>\r\n\
Auto-Submitted: no\r\n\
X-Mailer: Thunderbird\r\n\
Content-Type: multipart/related; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/html; charset=windows-1250\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
<p onmouseover=3D\"x()\">Dzie=F1 dobry, paczka nie dotar=B3a.</p><img src=3D\"cid:logo@x\"><img src=3D\"https://t.example/p.gif\">\r\n\
--b1\r\n\
Content-Type: image/png; name*=utf-8''zdj%C4%99cie.png\r\n\
Content-ID: <logo@x>\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
iVBORw0KGgo=\r\n\
--b1--\r\n";

    #[test]
    fn headers_are_normalised() {
        let m = parse(CUSTOMER).expect("parses");
        assert_eq!(m.message_id.as_deref(), Some("abc.123@mail.example.pl"));
        assert_eq!(m.in_reply_to, ["out-1@shop.example"]);
        assert_eq!(m.references, ["out-0@shop.example", "out-1@shop.example"]);
        let from = m.from.as_ref().expect("from");
        assert_eq!(from.name.as_deref(), Some("Michał Nowak"));
        assert_eq!(from.address, "Michal.Nowak@Example.PL");
        assert_eq!(
            from.canonical().map(|a| a.to_string()).as_deref(),
            Some("michal.nowak@example.pl")
        );
        assert_eq!(m.to.len(), 2);
        assert_eq!(m.to[1].name.as_deref(), Some("Obsługa"));
        assert!(m.cc.is_empty());
        assert_eq!(m.subject.as_deref(), Some("Re: Zamówienie #1043"));
        assert_eq!(m.date.map(|d| d.as_second()), Some(1_772_529_300));
        assert_eq!(m.return_path.as_deref(), Some(""));
        assert_eq!(m.auto_submitted.as_deref(), Some("no"));
        assert_eq!(m.header("x-mailer"), Some("Thunderbird"));
        assert_eq!(m.content_type, "multipart/related");
        assert_eq!(m.sha256, hex::encode(Sha256::digest(CUSTOMER)));
        assert_eq!(m.size, CUSTOMER.len());
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    }

    #[test]
    fn html_only_mail_gets_a_text_and_a_safe_html_with_cid_images() {
        let m = parse(CUSTOMER).expect("parses");
        assert_eq!(m.text, "Dzień dobry, paczka nie dotarła.");
        let html = m.html.as_deref().expect("html");
        assert!(html.contains("Dzień dobry"), "{html}");
        assert!(html.contains("cid:logo@x"), "{html}");
        assert!(
            !html.contains("t.example") && !html.contains("onmouseover"),
            "{html}"
        );
        let image = &m.attachments[0];
        assert_eq!(image.filename.as_deref(), Some("zdjęcie.png"));
        assert_eq!(image.content_type, "image/png");
        assert_eq!(image.content_id.as_deref(), Some("logo@x"));
        assert_eq!(image.bytes, b"\x89PNG\r\n\x1a\n");
        assert!(image.message.is_none());
    }

    #[test]
    fn missing_pieces_are_warnings_not_errors() {
        let m = parse(b"Subject: hello\n\nbody\n").expect("parses");
        assert_eq!(m.text, "body\n");
        assert!(m.warnings.contains(&ParseWarning::MissingFrom));
        assert!(m.warnings.contains(&ParseWarning::MissingMessageId));
        assert!(m.warnings.contains(&ParseWarning::BadDate(None)));

        let m = parse(b"From: a@b.example\nDate: yesterday\nContent-Type: text/plain; charset=x-klingon\n\nqapla'\n")
            .expect("parses");
        assert!(
            m.warnings
                .contains(&ParseWarning::BadDate(Some("yesterday".into())))
        );
        assert!(m.warnings.iter().any(
            |w| matches!(w, ParseWarning::UnknownCharset { charset, .. } if charset == "x-klingon")
        ));
    }

    #[test]
    fn bare_ids_and_garbage_references() {
        let m = parse(b"From: a@b.example\nIn-Reply-To: abc@host.example\nReferences: junk <r1@x> <r1@x> more <r2@y>\n\nhi")
            .expect("parses");
        assert_eq!(m.in_reply_to, ["abc@host.example"]);
        assert_eq!(m.references, ["r1@x", "r2@y"]);
    }

    #[test]
    fn nothing_mail_like_is_refused() {
        assert_eq!(parse(b""), Err(ParseError::Empty));
        assert_eq!(parse(b"\r\n\r\n"), Err(ParseError::Empty));
    }
}
