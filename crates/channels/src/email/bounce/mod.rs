//! Reading a bounce: which recipients failed, what the remote server said, why (sisimai's
//! reasons), hard or soft, and which of our messages came back, so the outbox row it returns
//! can be marked. Standard RFC 3464 reports are read field by field; the non-standard ones
//! (qmail, Exim, old Sendmail, webmail providers, Japanese carriers, Amazon SES notifications)
//! from their text, whose shapes repeat: an address, then the server's answer under it.

mod lhost;
mod reason;

use lhost::{Lhost, rhost_reason};
pub use reason::BounceReason;
use reason::{Command, Evidence, decide};

use super::parse::{ParsedMail, parse};

/// One recipient a bounce reports on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecipient {
    pub address: String,
    /// Enhanced status code (RFC 3463), e.g. `5.1.1`.
    pub status: Option<String>,
    /// The remote server's SMTP reply code, e.g. 550.
    pub reply_code: Option<u16>,
    /// What the remote server (or the reporting MTA) said, whitespace collapsed.
    pub diagnostic: Option<String>,
    pub reason: BounceReason,
    /// Retrying this address will fail again.
    pub hard: bool,
}

/// What a bounce says about the message it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceReport {
    pub recipients: Vec<FailedRecipient>,
    /// Message-ID (without `<>`) of the returned message: the key to the outbox row.
    pub returned_message_id: Option<String>,
    /// Subject of the returned message (carries the ticket tag, e.g. `[#1043]`).
    pub returned_subject: Option<String>,
    pub reporting_mta: Option<String>,
    /// The mail system recognised as the bounce's writer (e.g. "qmail", "Office 365"), when
    /// its reports need rules of their own.
    pub reporting_system: Option<&'static str>,
}

/// One recipient's facts before the reason is decided.
#[derive(Debug, Clone, Default)]
struct Fact {
    address: String,
    status: Option<String>,
    reply_code: Option<u16>,
    diagnostic: String,
    diagnostic_type: Option<String>,
    action: Option<String>,
    command: Option<Command>,
    /// The DSN's Remote-MTA: the server that answered.
    remote_mta: Option<String>,
    /// The reporting system's own classification (PowerMTA's bounce category).
    category: Option<String>,
    /// The answer's usual SMTP command must not be assumed (the reporting system rewrites
    /// answers of any command alike).
    no_implied_command: bool,
}

/// Reads a mail already known to be a bounce. Recipients the bounce does not name cannot be
/// invented: the report is then empty but still carries the returned message's identity.
pub(crate) fn read_bounce(mail: &ParsedMail) -> BounceReport {
    let (returned_message_id, returned_subject) = returned_message(mail);
    let mut reporting_mta = None;
    let mut facts = Vec::new();
    for a in &mail.attachments {
        if is_delivery_status(&a.content_type) {
            let (mta, mut found) = read_delivery_status(&String::from_utf8_lossy(&a.bytes));
            reporting_mta = reporting_mta.or(mta);
            facts.append(&mut found);
        }
    }
    if facts.is_empty() && mail.text.to_ascii_lowercase().contains("final-recipient:") {
        // A DSN pasted into the text (some gateways flatten multipart/report).
        let (mta, found) = read_delivery_status(&mail.text);
        reporting_mta = reporting_mta.or(mta);
        facts = found;
    }
    let error_text = error_region(&mail.text);
    let system = lhost::detect(mail, reporting_mta.as_deref());
    if facts.is_empty() {
        facts = read_amazon_ses(&mail.text);
    }
    if facts.is_empty() {
        facts = system
            .and_then(|s| s.read_recipients(mail, error_text))
            .unwrap_or_else(|| read_text_bounce(error_text, mail));
    } else {
        enrich_from_text(&mut facts, error_text);
    }
    if facts.is_empty()
        && let Some(failed) = mail.header("X-Failed-Recipients")
    {
        for address in failed.split(',').filter_map(bare_address) {
            facts.push(Fact {
                address,
                diagnostic: error_text.to_string(),
                ..Fact::default()
            });
        }
    }
    let recipients = facts
        .into_iter()
        .map(|mut f| {
            if let Some(s) = system {
                s.prepare(mail, &mut f);
            }
            // The system's own meaning first, then the answering server's.
            let own = system
                .and_then(|s| s.reason(mail, &f))
                .or_else(|| rhost_reason(&f, f.status.as_deref().is_none_or(is_generic_status)));
            let mut r = judge(f, error_text);
            if let Some(reason) = own {
                r.reason = reason;
                r.hard = reason.is_hard();
            }
            r
        })
        .collect();
    BounceReport {
        recipients,
        returned_message_id,
        returned_subject,
        reporting_mta,
        reporting_system: system.map(Lhost::name),
    }
}

fn is_delivery_status(content_type: &str) -> bool {
    matches!(
        content_type,
        "message/delivery-status" | "message/global-delivery-status"
    )
}

/// qmail's closing words on every message it gave up on; the cause, when it says one, comes
/// before them.
const QMAIL_GAVE_UP: &str =
    "i'm not going to try again; this message has been in the queue too long.";

fn judge(mut f: Fact, error_text: &str) -> FailedRecipient {
    let diagnostic = unfold_multiline_reply(&collapse(&f.diagnostic));
    let mut lower = diagnostic.to_lowercase();
    if let Some(at) = lower.find(QMAIL_GAVE_UP)
        && !lower[..at].trim().is_empty()
    {
        lower.replace_range(at..at + QMAIL_GAVE_UP.len(), "");
    }
    // A transcript quotes the accepted steps (250 2.1.5) before the failing answer.
    if f.status.as_deref().is_some_and(|s| s.starts_with("2."))
        && f.action.as_deref() != Some("delivered")
        && let Some(s) = failure_status_in(&lower)
    {
        f.status = Some(s);
    }
    if f.status.is_none() || f.status.as_deref().is_some_and(is_generic_status) {
        // The code in the server's own words is usually more precise than the DSN's.
        if let Some(s) = failure_status_in(&lower).filter(|s| !is_generic_status(s)) {
            f.status = Some(s);
        } else if f.status.is_none() {
            f.status = failure_status_in(&lower).or_else(|| status_in(&lower));
        }
    }
    if f.reply_code.is_none() {
        f.reply_code = reply_code_in(&lower);
    }
    if f.command.is_none() {
        f.command = command_in(&lower)
            .or_else(|| command_in(&error_text.to_lowercase()))
            .or_else(|| {
                (!f.no_implied_command)
                    .then(|| implied_command(&lower))
                    .flatten()
            });
    }
    let non_smtp = f
        .diagnostic_type
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("smtp"));
    let program = f
        .diagnostic_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("x-unix"));
    let reason = decide(&Evidence {
        diagnostic: &lower,
        status: f.status.as_deref(),
        reply_code: f.reply_code,
        command: f.command,
        action: f.action.as_deref(),
        non_smtp_diagnostic: non_smtp,
        program_diagnostic: program,
    });
    FailedRecipient {
        address: f.address,
        status: f.status,
        reply_code: f.reply_code,
        diagnostic: (!diagnostic.is_empty()).then_some(diagnostic),
        hard: reason.is_hard(),
        reason,
    }
}

fn is_generic_status(s: &str) -> bool {
    s.ends_with(".0.0") || s == "5.1.0" || s == "4.0.0"
}

// ---- RFC 3464 -------------------------------------------------------------------------------

/// The per-message Reporting-MTA and the per-recipient facts of a delivery-status body.
fn read_delivery_status(text: &str) -> (Option<String>, Vec<Fact>) {
    let mut reporting_mta = None;
    let mut facts: Vec<Fact> = Vec::new();
    let mut current: Option<Fact> = None;
    let mut opened_by_original = false;
    for (name, value) in fields(text) {
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "reporting-mta" => reporting_mta = Some(after_type(value).to_string()),
            "final-recipient" | "original-recipient" | "x-actual-recipient" => {
                let address = bare_address(after_type(value));
                let Some(address) = address else { continue };
                let is_final = name.eq_ignore_ascii_case("final-recipient");
                match current.as_mut() {
                    // Final-Recipient after an Original-Recipient that opened the block (Sun
                    // Messaging Server writes them in that order): the same recipient.
                    Some(c) if opened_by_original && is_final => {
                        c.address = address;
                        opened_by_original = false;
                    }
                    // Original-Recipient after Final-Recipient describes the same recipient.
                    Some(c)
                        if c.address.is_empty()
                            || name.eq_ignore_ascii_case("original-recipient")
                            || name.eq_ignore_ascii_case("x-actual-recipient") =>
                    {
                        if c.address.is_empty() {
                            c.address = address;
                        }
                    }
                    _ => {
                        if let Some(done) = current.take() {
                            facts.push(done);
                        }
                        opened_by_original = !is_final;
                        current = Some(Fact {
                            address,
                            ..Fact::default()
                        });
                    }
                }
            }
            "action" => {
                current.get_or_insert_with(Fact::default).action = Some(value.to_ascii_lowercase());
            }
            "status" => {
                let c = current.get_or_insert_with(Fact::default);
                c.status = status_in(value).or(c.status.take());
            }
            "diagnostic-code" => {
                let c = current.get_or_insert_with(Fact::default);
                let (kind, text) = match value.split_once(';') {
                    Some((k, t)) => (Some(k.trim().to_string()), t.trim()),
                    None => (None, value),
                };
                c.diagnostic_type = kind;
                c.diagnostic = text.to_string();
            }
            "x-powermta-bouncecategory" => {
                current.get_or_insert_with(Fact::default).category =
                    Some(value.to_ascii_lowercase());
            }
            "remote-mta" => {
                current.get_or_insert_with(Fact::default).remote_mta =
                    Some(after_type(value).to_ascii_lowercase());
            }
            _ => {}
        }
    }
    if let Some(done) = current.take() {
        facts.push(done);
    }
    facts.retain(|f| !f.address.is_empty());
    // Relayed and expanded recipients were delivered onward; they are not failures.
    facts.retain(|f| !matches!(f.action.as_deref(), Some("relayed" | "expanded")));
    (reporting_mta, facts)
}

/// `Name: value` fields of a header-like block, continuation lines unfolded.
fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && !name.contains(' ') && name.len() < 40 {
                out.push((name.to_string(), value.to_string()));
            }
        }
    }
    out
}

/// `rfc822; a@b` → `a@b`.
fn after_type(value: &str) -> &str {
    value.split_once(';').map_or(value, |(_, v)| v).trim()
}

// ---- non-standard bounces -------------------------------------------------------------------

/// Lines that start the copy of the returned message in a text bounce; the error report is
/// what comes before.
const RETURNED_MESSAGE_MARKERS: &[&str] = &[
    "--- below this line is a copy of the message",
    "------ this is a copy of the message",
    "----- original message -----",
    "----- unsent message follows -----",
    "-----unsent message follows-----",
    "--- the header of the original message is following",
    "----- the following is a copy of the message",
    "original message follows",
    "message headers follow",
    "below is a copy of the original message",
    "the original message was received at",
    "------ original message headers ------",
    "----- message header follows -----",
    "--- original message ---",
    "content-type: message/rfc822",
    "---------- original message",
    "------------------ original message",
    "----- original message follows -----",
    "--------message header follows",
    "the original message headers are included",
    "the headers of your message follow",
    "your message reads (in part)",
    "------- returned message --------",
    "-- begin message --",
];

/// The part of a text bounce before the copy of the returned message.
fn error_region(text: &str) -> &str {
    let lower = text.to_lowercase();
    let mut end = text.len();
    for marker in RETURNED_MESSAGE_MARKERS {
        // Sendmail and its descendants open the report with "The original message was
        // received at …": a marker with nothing before it starts the report, not the copy.
        let found = lower
            .match_indices(marker)
            .map(|(p, _)| p)
            .find(|&p| !lower[..p].trim().is_empty());
        if let Some(p) = found
            && p < end
            && text.is_char_boundary(p)
        {
            end = p;
        }
    }
    // A header block of the returned message pasted without a marker.
    if let Some(p) = find_header_block(text)
        && p < end
    {
        end = p;
    }
    &text[..end]
}

/// Where a pasted header block (Received:/Return-Path: … lines) starts in a text.
fn find_header_block(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end();
        if (l.starts_with("Return-Path: ") || l.starts_with("Received: from ")) && offset > 0 {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// Recipients of a bounce without a delivery-status part: each address in the error report
/// with the server's answer written under or after it.
fn read_text_bounce(error_text: &str, mail: &ParsedMail) -> Vec<Fact> {
    // The bounce's own parties and the returned message's sender are not failed recipients.
    let returned_from = mail
        .attached_messages()
        .next()
        .and_then(|m| m.from.clone())
        .or_else(|| inline_returned_message(&mail.text).and_then(|m| m.from));
    let ours: Vec<String> = mail
        .from
        .iter()
        .chain(mail.to.iter())
        .chain(returned_from.iter())
        .map(|m| m.address.to_lowercase())
        .collect();
    let lines: Vec<&str> = error_text.lines().collect();
    let mut facts: Vec<Fact> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let Some(address) = recipient_on_line(line) else {
            i += 1;
            continue;
        };
        let lower = address.to_lowercase();
        // Exim names the sender under "A message sent by".
        let named_as_sender = lines[..i]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| l.trim_end().to_lowercase().ends_with("sent by"));
        if ours.contains(&lower) || is_system_address(&lower) || named_as_sender {
            i += 1;
            continue;
        }
        // The answer: the rest of this line, then the lines under it up to a blank line or
        // the next recipient.
        let mut diagnostic = String::new();
        let rest = line
            .split_once(address.as_str())
            .map(|(_, r)| r.trim_start_matches(['>', ':', ' ', '\t', ',', '.']))
            .unwrap_or("");
        // A recipient that is a program (Exim's "pipe to |…") says so before the address, and
        // a one-line report may put the reason first ("User's mailbox is full: <a@b>").
        if let Some((before, _)) = line.split_once(address.as_str())
            && (before.contains("pipe to |")
                || (before.trim_end_matches(['<', ' ']).ends_with(':')
                    && before.split_whitespace().count() > 1))
        {
            diagnostic.push_str(before.trim());
            diagnostic.push(' ');
        }
        diagnostic.push_str(rest);
        let mut j = i + 1;
        let mut blank_run = 0;
        while j < lines.len() {
            let next = lines[j];
            if next.trim().is_empty() {
                blank_run += 1;
                // The answer may sit one blank line under a bare address, or under a line
                // that introduces it ("For the following reason:").
                let introduces = diagnostic.trim_end().ends_with(':')
                    || lines[j..]
                        .iter()
                        .find(|l| !l.trim().is_empty())
                        .is_some_and(|l| l.trim_end().ends_with("returned was:"));
                if blank_run > 1 || (!diagnostic.trim().is_empty() && !introduces) {
                    break;
                }
                j += 1;
                continue;
            }
            if recipient_on_line(next).is_some_and(|a| starts_with_address(next, &a)) {
                break;
            }
            blank_run = 0;
            diagnostic.push(' ');
            diagnostic.push_str(next.trim());
            j += 1;
        }
        match facts
            .iter_mut()
            .find(|f| f.address.eq_ignore_ascii_case(&address))
        {
            Some(f) => {
                if !diagnostic.trim().is_empty() {
                    f.diagnostic.push(' ');
                    f.diagnostic.push_str(&diagnostic);
                }
            }
            None => facts.push(Fact {
                address,
                diagnostic,
                ..Fact::default()
            }),
        }
        i = j.max(i + 1);
    }
    // A report naming nobody, or whose recipients carry no words: the whole report is the
    // diagnostic (single-recipient bounces often say the reason in a sentence above).
    let whole = collapse(error_text);
    for f in &mut facts {
        if f.diagnostic.trim().is_empty() {
            f.diagnostic = whole.clone();
        }
    }
    if facts.is_empty()
        && let Some(address) = returned_recipient(mail)
    {
        facts.push(Fact {
            address,
            diagnostic: whole,
            ..Fact::default()
        });
    }
    facts
}

/// Adds the text report's words to DSN facts that carry none.
fn enrich_from_text(facts: &mut [Fact], error_text: &str) {
    for f in facts.iter_mut() {
        if !f.diagnostic.trim().is_empty() {
            continue;
        }
        let lower_addr = f.address.to_lowercase();
        let lines: Vec<&str> = error_text.lines().collect();
        let mut words = String::new();
        for (i, line) in lines.iter().enumerate() {
            if line.to_lowercase().contains(&lower_addr) {
                words.push_str(line.trim());
                for next in lines.iter().skip(i + 1).take(6) {
                    // Stop at a blank line or at the next recipient's line.
                    if next.trim().is_empty()
                        || recipient_on_line(next).is_some_and(|a| {
                            starts_with_address(next, &a) && !a.eq_ignore_ascii_case(&f.address)
                        })
                    {
                        break;
                    }
                    words.push(' ');
                    words.push_str(next.trim());
                }
                words.push(' ');
            }
        }
        f.diagnostic = if words.trim().is_empty() {
            collapse(error_text)
        } else {
            words
        };
    }
}

/// The recipient of the returned message, for bounces that name nobody in their text.
fn returned_recipient(mail: &ParsedMail) -> Option<String> {
    for inner in mail.attached_messages() {
        if let Some(to) = inner.to.first() {
            return Some(to.address.clone());
        }
    }
    let returned = mail
        .attachments
        .iter()
        .find(|a| a.content_type == "text/rfc822-headers")
        .and_then(|a| parse(&a.bytes).ok())
        .or_else(|| inline_returned_message(&mail.text))?;
    returned.to.first().map(|m| m.address.clone())
}

fn is_system_address(lower: &str) -> bool {
    let local = lower.split('@').next().unwrap_or("");
    matches!(
        local,
        "mailer-daemon" | "postmaster" | "root" | "noreply" | "no-reply" | "double-bounce"
    )
}

/// An address written on a line as a recipient (`<a@b>`, `a@b:`, an indented bare address).
fn recipient_on_line(line: &str) -> Option<String> {
    let t = line.trim();
    if t.is_empty() || t.len() > 400 {
        return None;
    }
    let lower = t.to_lowercase();
    // Header-ish lines of the report (From:, To:, Subject:) are not recipients.
    for skip in [
        "from:",
        "to:",
        "subject:",
        "reply-to:",
        "return-path:",
        "sender:",
        "by ",
        "for ",
    ] {
        if lower.starts_with(skip) {
            return None;
        }
    }
    let candidates = addresses_in(t);
    let first = candidates.into_iter().next()?;
    Some(first)
}

fn starts_with_address(line: &str, address: &str) -> bool {
    let t = line.trim_start().trim_start_matches(['<', '"', '\'']);
    t.to_lowercase().starts_with(&address.to_lowercase())
}

/// The addresses in a text, in order, without brackets.
fn addresses_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices('@') {
        let before = &text[..i];
        let after = &text[i + 1..];
        let local_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || "._%+-=/!#$&'*?^`{|}~".contains(*c))
            .last()
            .map_or(i, |(p, _)| p);
        let local = &before[local_start..];
        let domain_len = after
            .char_indices()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .last()
            .map_or(0, |(p, c)| p + c.len_utf8());
        let domain = after[..domain_len].trim_end_matches(['.', '-']);
        let local = local.trim_start_matches(['.', '\'', '=', '/']);
        if local.is_empty() || !domain.contains('.') {
            continue;
        }
        let address = format!("{local}@{domain}");
        if !out.contains(&address) {
            out.push(address);
        }
    }
    out
}

fn bare_address(value: &str) -> Option<String> {
    addresses_in(value).into_iter().next().or_else(|| {
        let v = value.trim().trim_matches(['<', '>', '"']).trim();
        (v.contains('@') && !v.contains(' ')).then(|| v.to_string())
    })
}

// ---- Amazon SES notifications (JSON bodies) ------------------------------------------------

fn read_amazon_ses(text: &str) -> Vec<Fact> {
    let Some(start) = text.find('{') else {
        return Vec::new();
    };
    let Some(end) = text.rfind('}') else {
        return Vec::new();
    };
    if end <= start {
        return Vec::new();
    }
    // Mail transport wraps long lines, also inside JSON strings: unwrap before parsing.
    let unwrapped: String = text[start..=end]
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&unwrapped) else {
        return Vec::new();
    };
    // SNS wraps the notification as a JSON string in "Message".
    let json = match json.get("Message").and_then(|m| m.as_str()) {
        Some(inner) => serde_json::from_str(inner).unwrap_or(json),
        None => json,
    };
    let mut facts = Vec::new();
    if let Some(bounce) = json.get("bounce") {
        let kind = bounce
            .get("bounceType")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        for r in bounce
            .get("bouncedRecipients")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let Some(address) = r.get("emailAddress").and_then(|v| v.as_str()) else {
                continue;
            };
            let mut diagnostic = r
                .get("diagnosticCode")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            if diagnostic.is_empty() && kind == "Transient" {
                diagnostic = "delivery expired".to_string();
            }
            facts.push(Fact {
                address: address.to_string(),
                status: r.get("status").and_then(|v| v.as_str()).and_then(status_in),
                diagnostic,
                action: r
                    .get("action")
                    .and_then(|v| v.as_str())
                    .map(str::to_lowercase),
                ..Fact::default()
            });
        }
    }
    if let Some(delivery) = json.get("delivery") {
        for r in delivery
            .get("recipients")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
        {
            facts.push(Fact {
                address: r.to_string(),
                status: Some("2.6.0".to_string()),
                reply_code: Some(250),
                diagnostic: delivery
                    .get("smtpResponse")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string(),
                ..Fact::default()
            });
        }
    }
    facts
}

// ---- the returned message -------------------------------------------------------------------

/// Message-ID and Subject of the message a bounce returns: from the attached message, the
/// attached headers, or the headers quoted in a text bounce.
fn returned_message(mail: &ParsedMail) -> (Option<String>, Option<String>) {
    if let Some(inner) = mail.attached_messages().next() {
        return (inner.message_id.clone(), inner.subject.clone());
    }
    for a in &mail.attachments {
        if (a.content_type == "text/rfc822-headers" || a.content_type == "message/rfc822-headers")
            && let Ok(headers) = parse(&a.bytes)
        {
            return (headers.message_id, headers.subject);
        }
    }
    match inline_returned_message(&mail.text) {
        Some(m) => (m.message_id, m.subject),
        None => (None, None),
    }
}

/// The returned message quoted in a text bounce, parsed from its first header line.
fn inline_returned_message(text: &str) -> Option<ParsedMail> {
    let region_end = error_region(text).len();
    let rest = &text[region_end..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let l = line.trim_start();
        if let Some((name, _)) = l.split_once(':')
            && !name.is_empty()
            && !name.contains(' ')
            && name.len() < 40
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            let block = rest[offset..].trim_start();
            let parsed = parse(block.as_bytes()).ok()?;
            if parsed.message_id.is_some() || parsed.subject.is_some() {
                return Some(parsed);
            }
            return None;
        }
        offset += line.len();
    }
    None
}

// ---- small readers --------------------------------------------------------------------------

/// Whitespace collapsed to single spaces.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A multi-line SMTP reply (`550-5.2.1 The user … 550-5.2.1 prevents …`) as one sentence:
/// the code prefixes of the continuation lines removed, the first one kept.
fn unfold_multiline_reply(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut prefix: Option<&str> = None;
    for word in text.split(' ') {
        let is_prefix = word.len() > 4
            && word.as_bytes()[..3].iter().all(u8::is_ascii_digit)
            && word.as_bytes()[3] == b'-'
            && status_in(&word[4..]).is_some_and(|s| s.len() == word.len() - 4);
        if is_prefix {
            match prefix {
                None => prefix = Some(&word[..3]),
                Some(p) if word.starts_with(p) => continue,
                Some(_) => {}
            }
        }
        out.push(word);
    }
    out.join(" ")
}

/// The first failure status code (4.x.x or 5.x.x) in a text.
fn failure_status_in(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(s) = status_in(rest) {
        if !s.starts_with("2.") {
            return Some(s);
        }
        let at = rest.find(&s).map_or(rest.len(), |p| p + s.len());
        rest = &rest[at..];
    }
    None
}

/// The first enhanced status code (`5.1.1`, `4.7.26`) in a text.
fn status_in(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if matches!(b[i], b'2' | b'4' | b'5')
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
            && b.get(i + 1) == Some(&b'.')
        {
            let mut j = i + 2;
            let d1 = j;
            while j < b.len() && b[j].is_ascii_digit() && j - d1 < 3 {
                j += 1;
            }
            if j > d1 && b.get(j) == Some(&b'.') {
                let d2 = j + 1;
                let mut k = d2;
                while k < b.len() && b[k].is_ascii_digit() && k - d2 < 3 {
                    k += 1;
                }
                let ends_clean = k == b.len()
                    || !(b[k].is_ascii_alphanumeric()
                        || (b[k] == b'.' && b.get(k + 1).is_some_and(u8::is_ascii_digit)));
                if k > d2 && ends_clean {
                    return Some(text[i..k].to_string());
                }
            }
        }
        i += 1;
    }
    None
}

/// The first SMTP reply code (4xx/5xx) in a text: at its start or after "said:", "<<<" and
/// similar, or written as `550-5.1.1` / `550 5.1.1`.
fn reply_code_in(text: &str) -> Option<u16> {
    let b = text.as_bytes();
    for i in 0..b.len().saturating_sub(2) {
        if !(b[i] == b'4' || b[i] == b'5')
            || !b[i + 1].is_ascii_digit()
            || !b[i + 2].is_ascii_digit()
        {
            continue;
        }
        let before_ok = i == 0
            || matches!(
                b[i - 1],
                b' ' | b'\t' | b':' | b'(' | b'\'' | b'"' | b'<' | b'#' | b'=' | b'['
            );
        let after = b.get(i + 3).copied();
        let after_ok = matches!(
            after,
            None | Some(b' ' | b'-' | b'.' | b')' | b',' | b';' | b']')
        );
        // "5.1.1" is a status code, not a reply code.
        let is_status = after == Some(b'.') && b.get(i + 4).is_some_and(u8::is_ascii_digit);
        if before_ok && after_ok && !is_status {
            let code: u16 = text[i..i + 3].parse().ok()?;
            if (421..=559).contains(&code) {
                return Some(code);
            }
        }
    }
    None
}

/// The SMTP command a rejection answered, from the words around it.
fn command_in(lower: &str) -> Option<Command> {
    const RULES: &[(&str, Command)] = &[
        ("in reply to rcpt to", Command::RcptTo),
        ("after rcpt to", Command::RcptTo),
        (">>> rcpt to", Command::RcptTo),
        ("rcpt to response", Command::RcptTo),
        ("does not like recipient", Command::RcptTo),
        ("did not like our rcpt to", Command::RcptTo),
        ("after rcpt command", Command::RcptTo),
        ("[rcpt_to]", Command::RcptTo),
        ("in reply to end of data", Command::Data),
        ("after end of data", Command::Data),
        ("in reply to data", Command::Data),
        ("after data", Command::Data),
        (">>> data", Command::Data),
        ("did not like our final data", Command::Data),
        ("did not like our data", Command::Data),
        ("in reply to mail from", Command::MailFrom),
        ("after mail from", Command::MailFrom),
        (">>> mail from", Command::MailFrom),
        ("did not like our mail from", Command::MailFrom),
        ("in reply to ehlo", Command::Helo),
        ("in reply to helo", Command::Helo),
        ("after ehlo", Command::Helo),
        ("after helo", Command::Helo),
        ("after initial connection", Command::Connect),
        ("greeting", Command::Connect),
        ("but my name was rejected", Command::Helo),
    ];
    first_of(RULES, lower)
}

/// The SMTP command implied by answers a server gives to one command only, for reports that
/// do not say which command failed.
fn implied_command(lower: &str) -> Option<Command> {
    // Postfix says these only in answer to RCPT TO.
    const RULES: &[(&str, Command)] = &[
        ("recipient address rejected", Command::RcptTo),
        ("in local recipient table", Command::RcptTo),
        ("in virtual mailbox table", Command::RcptTo),
        ("in virtual alias table", Command::RcptTo),
    ];
    first_of(RULES, lower)
}

fn first_of(rules: &[(&str, Command)], lower: &str) -> Option<Command> {
    rules
        .iter()
        .filter_map(|(p, c)| lower.find(p).map(|at| (at, *c)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_text() {
        assert_eq!(
            status_in("550 5.1.1 <a@b>: user unknown").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(status_in("#5.7.26 dmarc").as_deref(), Some("5.7.26"));
        assert_eq!(status_in("ip 192.5.1.1 said"), None);
        assert_eq!(reply_code_in("host x said: 550 5.1.1 nope"), Some(550));
        assert_eq!(reply_code_in("550-5.7.26 unauthenticated"), Some(550));
        assert_eq!(reply_code_in("5.1.1 only"), None);
        assert_eq!(
            command_in("(in reply to rcpt to command)"),
            Some(Command::RcptTo)
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(
            addresses_in("<kijitora@example.jp>: host said"),
            ["kijitora@example.jp"]
        );
        assert_eq!(
            addresses_in("rfc822; a.b+c@x.example."),
            ["a.b+c@x.example"]
        );
        assert!(addresses_in("no address @ here").is_empty());
    }
}
