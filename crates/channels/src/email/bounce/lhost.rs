//! Which mail system wrote a bounce, and what that system means by its own words.
//!
//! The general readers and rules (`super`, `reason`) understand any RFC 3464 report and the
//! common text layouts. Some systems need more: the same "550 Unknown user" is a filter's
//! refusal from one and a missing mailbox from another, and a few write their reports in a
//! layout of their own. So a bounce is first attributed to the system that wrote it
//! ([`detect`], the only place that looks at signatures), and each system's specifics then sit
//! in one `match` arm per hook:
//!
//! - [`Lhost::read_recipients`]: recipients in the system's own layout, when it has one;
//! - [`Lhost::prepare`]: what the system's way of writing says about the SMTP command or the
//!   status code, before the general rules judge;
//! - [`Lhost::reason`]: the system's own meaning of its texts and codes, which wins.
//!
//! [`rhost_reason`] does the same for the *remote* server that answered, where its answers mean
//! something other than their words. Signatures are what each system writes into every report:
//! the daemon's address, X-Mailer and vendor headers, Received and Reporting-MTA names, and its
//! boilerplate sentences.

use super::reason::{BounceReason, Command};
use super::{Fact, QMAIL_GAVE_UP, addresses_in, bare_address, collapse, returned_recipient};
use crate::email::parse::ParsedMail;

/// A mail system whose bounces need more than the general rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lhost {
    /// TransWARE Active!hunter (Japanese mail gateway).
    ActiveHunter,
    /// Amazon SES sending: wraps the remote answer in its own "Unknown address error".
    AmazonSes,
    /// Amazon SES receiving (inbound-smtp.*.amazonaws.com).
    AmazonSesReceiving,
    /// Apache James (Java mail server) and gateways built on it.
    ApacheJames,
    /// DragonFly Mail Agent (dma).
    DragonFly,
    /// Exim.
    Exim,
    /// au by KDDI's EZweb mobile mail.
    Ezweb,
    /// fml mailing-list manager.
    Fml,
    /// Gmail's long "Technical details of permanent failure" form.
    Gmail,
    /// Ipswitch IMail Server.
    IMail,
    /// McAfee Email Gateway.
    McAfee,
    /// Oracle/Sun Messaging Server (and PMDF).
    MessagingServer,
    /// m-FILTER (Japanese mail gateway).
    MFilter,
    /// Microsoft Office 365 / Exchange Online.
    Office365,
    /// Outlook.com / Hotmail.
    Outlook,
    /// Postfix.
    Postfix,
    /// Port25 PowerMTA.
    PowerMta,
    /// qmail and its descendants.
    Qmail,
    /// Sendmail before version 8 ("V5"): one transcript for several recipients.
    V5Sendmail,
    /// Verizon Wireless (vtext.com, vzwpix.com).
    Verizon,
    /// Yahoo! Mail.
    Yahoo,
    /// An unnamed gateway writing "Delivery status notification" with "Technical details".
    TechnicalDetails,
}

impl Lhost {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Lhost::ActiveHunter => "Active!hunter",
            Lhost::AmazonSes => "Amazon SES",
            Lhost::AmazonSesReceiving => "Amazon SES (receiving)",
            Lhost::ApacheJames => "Apache James",
            Lhost::DragonFly => "DragonFly Mail Agent",
            Lhost::Exim => "Exim",
            Lhost::Ezweb => "au EZweb",
            Lhost::Fml => "fml",
            Lhost::Gmail => "Gmail",
            Lhost::IMail => "IMail Server",
            Lhost::McAfee => "McAfee Email Gateway",
            Lhost::MessagingServer => "Messaging Server",
            Lhost::MFilter => "m-FILTER",
            Lhost::Office365 => "Office 365",
            Lhost::Outlook => "Outlook.com",
            Lhost::Postfix => "Postfix",
            Lhost::PowerMta => "PowerMTA",
            Lhost::Qmail => "qmail",
            Lhost::V5Sendmail => "Sendmail V5",
            Lhost::Verizon => "Verizon Wireless",
            Lhost::Yahoo => "Yahoo! Mail",
            Lhost::TechnicalDetails => "unnamed gateway (technical details)",
        }
    }
}

/// What a bounce shows of its writer, lower-cased once.
struct Signs<'a> {
    mail: &'a ParsedMail,
    from: String,
    subject: String,
    message_id: String,
    received: String,
    /// The start of the text report.
    text: String,
    /// Reporting-MTA of a delivery-status part.
    reporting_mta: String,
}

impl<'a> Signs<'a> {
    fn of(mail: &'a ParsedMail, reporting_mta: Option<&str>) -> Self {
        let from = mail
            .from
            .as_ref()
            .map(|m| format!("{} <{}>", m.name.as_deref().unwrap_or(""), m.address))
            .unwrap_or_default()
            .to_lowercase();
        let text: String = mail.text.chars().take(4000).collect();
        Signs {
            mail,
            from,
            subject: mail.subject.as_deref().unwrap_or("").to_lowercase(),
            message_id: mail.message_id.as_deref().unwrap_or("").to_lowercase(),
            received: mail
                .header_all("Received")
                .collect::<Vec<_>>()
                .join("\n")
                .to_lowercase(),
            text: text.to_lowercase(),
            reporting_mta: reporting_mta.unwrap_or("").to_lowercase(),
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        self.mail.header(name).map(str::to_lowercase)
    }

    fn sender_domain_is(&self, domain: &str) -> bool {
        let address = self.from.rsplit('<').next().unwrap_or("");
        let host = address
            .trim_end_matches('>')
            .rsplit('@')
            .next()
            .unwrap_or("");
        host == domain || host.ends_with(&format!(".{domain}"))
    }
}

/// The system that wrote a bounce, from its signatures; `None` when nothing specific is known
/// (the general rules then apply alone). Order matters only where signatures overlap: the
/// more specific system comes first.
pub(crate) fn detect(mail: &ParsedMail, reporting_mta: Option<&str>) -> Option<Lhost> {
    let s = Signs::of(mail, reporting_mta);
    let checks: [(Lhost, bool); 22] = [
        (
            Lhost::ActiveHunter,
            s.header("X-AHMAILID").is_some() || s.received.contains("with active!hunter"),
        ),
        (
            Lhost::McAfee,
            s.header("X-NAI-Header")
                .is_some_and(|h| h.contains("mcafee")),
        ),
        (
            Lhost::IMail,
            s.header("X-Mailer")
                .is_some_and(|h| h.starts_with("<smtp32 v")),
        ),
        (
            Lhost::MFilter,
            s.header("X-Mailer").is_some_and(|h| h == "m-filter"),
        ),
        (
            Lhost::PowerMta,
            s.received.contains("(powermta(tm)")
                || s.mail
                    .attachments
                    .iter()
                    .any(|a| contains_ci(&a.bytes, b"x-powermta-")),
        ),
        (
            Lhost::Fml,
            s.header("X-MLServer")
                .is_some_and(|h| h.starts_with("fml ")),
        ),
        (
            Lhost::Ezweb,
            [
                s.from.contains("postmaster@ezweb.ne.jp") || s.from.contains("postmaster@au.com"),
                s.subject == "mail system error - returned mail",
                s.received.contains("ezweb.ne.jp (ezweb mail) with"),
                s.message_id.ends_with(".ezweb.ne.jp") || s.message_id.ends_with(".au.com"),
            ]
            .iter()
            .filter(|b| **b)
            .count()
                >= 2,
        ),
        (
            Lhost::AmazonSesReceiving,
            s.reporting_mta.starts_with("inbound-smtp.")
                && s.reporting_mta.ends_with(".amazonaws.com"),
        ),
        (
            Lhost::AmazonSes,
            s.sender_domain_is("amazonses.com") || s.reporting_mta.ends_with(".amazonses.com"),
        ),
        (
            Lhost::Office365,
            s.text.contains("generating server:")
                && (s.text.contains("office 365") || s.text.contains(".outlook.com")),
        ),
        (
            Lhost::Outlook,
            s.sender_domain_is("hotmail.com") || s.reporting_mta.ends_with(".hotmail.com"),
        ),
        (
            Lhost::Verizon,
            s.sender_domain_is("vtext.com") || s.sender_domain_is("vzwpix.com"),
        ),
        (
            Lhost::ApacheJames,
            s.message_id.contains(".javamail.") && s.text.contains("message details:"),
        ),
        (
            Lhost::Gmail,
            s.text.contains("technical details of permanent failure:")
                && s.text.contains("google tried to deliver your message"),
        ),
        (
            Lhost::MessagingServer,
            s.text.contains(
                "this report relates to a message you sent with the following header fields",
            ),
        ),
        (
            Lhost::DragonFly,
            s.text.contains("this is the dragonfly mail agent"),
        ),
        (
            Lhost::Yahoo,
            s.sender_domain_is("yahoo.com") || s.sender_domain_is("yahoo.co.jp"),
        ),
        (
            Lhost::Qmail,
            s.text.contains("this is the qmail-send program at")
                || s.received.contains("invoked for bounce"),
        ),
        (
            Lhost::Exim,
            s.text
                .contains("recipient addresses that were\nincorrectly constructed")
                || s.text
                    .contains("this message was created automatically by mail delivery software")
                || s.received.contains("with exim"),
        ),
        (
            Lhost::Postfix,
            s.text.starts_with("this is the mail system at host ")
                || s.text.starts_with("this is the postfix program at host "),
        ),
        (
            Lhost::V5Sendmail,
            s.text
                .trim_start()
                .starts_with("----- transcript of session follows -----")
                && s.text.contains("----- unsent message follows -----"),
        ),
        (
            Lhost::TechnicalDetails,
            s.subject == "delivery status notification"
                && s.text
                    .contains("this is an automatically generated delivery status notification")
                && s.text.contains("* "),
        ),
    ];
    checks.into_iter().find(|(_, hit)| *hit).map(|(l, _)| l)
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

impl Lhost {
    /// Recipients in this system's own layout; `None` when the general readers do.
    pub(crate) fn read_recipients(self, mail: &ParsedMail, error_text: &str) -> Option<Vec<Fact>> {
        let facts = match self {
            Lhost::V5Sendmail => v5_sendmail_transcript(error_text),
            // The report lists "<address>:" then the remote answer; the address can be the
            // bounce's own recipient (a message sent to oneself), which the general reader
            // would skip.
            Lhost::Qmail | Lhost::Yahoo => qmail_recipients(error_text),
            Lhost::ApacheJames | Lhost::Verizon => message_details(mail, error_text),
            Lhost::MFilter => m_filter(error_text),
            Lhost::DragonFly => dragonfly(error_text),
            Lhost::Fml => fml(mail, error_text),
            Lhost::ActiveHunter => active_hunter(error_text),
            Lhost::TechnicalDetails => technical_details(error_text),
            Lhost::Postfix => postfix(mail, error_text),
            _ => Vec::new(),
        };
        (!facts.is_empty()).then_some(facts)
    }

    /// Adjusts one recipient's facts to what this system's writing implies.
    pub(crate) fn prepare(self, mail: &ParsedMail, f: &mut Fact) {
        let lower = f.diagnostic.to_lowercase();
        match self {
            // Active!hunter rewrites the remote answer without the command it answered:
            // a phrase's usual command cannot be assumed.
            Lhost::ActiveHunter => f.no_implied_command = true,
            // "5.1.0 - Unknown address error 550-'5.7.1 … Access denied'": SES's own wrapper
            // around the remote answer, which is what counts.
            Lhost::AmazonSes => {
                if let Some(at) = lower.find("unknown address error")
                    && let Some(start) = f.diagnostic[at..].find('\'')
                {
                    let inner = &f.diagnostic[at + start + 1..];
                    let inner = inner.split('\'').next().unwrap_or(inner);
                    f.diagnostic = inner.replacen('-', " ", 1);
                    f.status = None;
                }
            }
            // x.x.351 is Office 365 relaying the remote server's refusal of RCPT TO ("Remote
            // server returned unknown recipient … -> 550 …"): the remote words decide, as an
            // answer to RCPT TO; Office 365's wrapper sentence is no evidence of its own.
            Lhost::Office365 => {
                if lower.contains(".351 ")
                    && let Some(p) = f.diagnostic.find(" -> ")
                {
                    f.command = Some(Command::RcptTo);
                    f.diagnostic = f.diagnostic[p + 4..].trim_end_matches('\'').to_string();
                    f.status = None;
                }
                // "msmx.au.com gave this error:" names the server that answered.
                if f.remote_mta.is_none() {
                    f.remote_mta = mail.text.lines().find_map(|l| {
                        l.trim()
                            .strip_suffix(" gave this error:")
                            .filter(|h| !h.contains(' '))
                            .map(str::to_lowercase)
                    });
                }
            }
            // "SMTP:RCPT host 192.0.2.8: 553 …": the command is written before the host.
            Lhost::TechnicalDetails if lower.starts_with("smtp:rcpt host") => {
                f.command = Some(Command::RcptTo);
            }
            // Yahoo quotes the remote answer as "550: <address>: …" when it answered RCPT TO
            // for that address; "550: : …" (no address) answers the message as a whole.
            Lhost::Yahoo => {
                let echoed = lower
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .windows(2)
                    .any(|w| {
                        w[0].len() == 4
                            && w[0].ends_with(':')
                            && w[0][..3].bytes().all(|b| b.is_ascii_digit())
                            && w[1].starts_with('<')
                            && w[1].ends_with(">:")
                    });
                if echoed {
                    f.command = Some(Command::RcptTo);
                }
            }
            // Verizon's "Message details" name the RCPT TO that was refused.
            Lhost::Verizon if f.command.is_none() && lower.contains("invalid user address") => {
                f.command = Some(Command::RcptTo);
            }
            _ => {}
        }
    }

    /// This system's own meaning of its texts and codes, when it has one.
    pub(crate) fn reason(self, mail: &ParsedMail, f: &Fact) -> Option<BounceReason> {
        use BounceReason::*;
        let lower = f.diagnostic.to_lowercase();
        let has = |phrases: &[&str]| phrases.iter().any(|p| lower.contains(p));
        match self {
            // McAfee's gateway answers for the mailbox lookup of the server behind it.
            Lhost::McAfee => {
                has(&["unknown user", "no such user", "user not exist"]).then_some(UserUnknown)
            }
            Lhost::IMail => {
                if has(&["unknown user", "invalid final delivery userid"]) {
                    Some(UserUnknown)
                } else if has(&["unknown host"]) {
                    Some(HostUnknown)
                } else if has(&["user mailbox exceeds allowed size"]) {
                    Some(MailboxFull)
                } else {
                    None
                }
            }
            // X-SPASIGN: NG marks a refusal by the recipient's own domain filter; the rest
            // are EZweb's fixed sentences.
            Lhost::Ezweb => {
                if mail
                    .header("X-SPASIGN")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("ng"))
                {
                    return Some(Filtered);
                }
                const TABLE: &[(&str, BounceReason)] = &[
                    ("your message was not delivered within ", Expired),
                    ("the user(s) account is temporarily over quota", MailboxFull),
                    ("the user(s) account is disabled.", Suspend),
                    ("the user(s) account is temporarily limited.", Suspend),
                ];
                // The sentence stands above the recipients, for all of them.
                let report = mail.text.to_lowercase();
                TABLE
                    .iter()
                    .find(|(p, _)| lower.contains(p) || report.contains(p))
                    .map(|(_, r)| *r)
            }
            // fml states the reason in the subject of its notice.
            Lhost::Fml => {
                let subject = mail.subject.as_deref().unwrap_or("").to_lowercase();
                let both = format!("{subject} {lower}");
                if [
                    " are not member",
                    "not member article from ",
                    "reject mail ",
                ]
                .iter()
                .any(|p| both.contains(p))
                {
                    Some(Rejected)
                } else if [
                    "loop alert: ",
                    "loop back warning: ",
                    "duplicated message-id",
                ]
                .iter()
                .any(|p| both.contains(p))
                {
                    Some(SystemError)
                } else if both.contains("security alert") {
                    Some(SecurityError)
                } else {
                    None
                }
            }
            // Gmail names the session stage as "(state N)": 6 is the TLS negotiation after
            // EHLO (a fault of the remote system), 18 the end of DATA (a content filter).
            Lhost::Gmail => {
                if lower.contains("(state 6)") || lower.contains("(state 9)") {
                    Some(SystemError)
                } else if lower.contains("(state 17)") || lower.contains("(state 18)") {
                    Some(Filtered)
                } else {
                    None
                }
            }
            // Hotmail answers a missing mailbox with the bare RFC 5321 text.
            Lhost::Outlook => {
                has(&["requested action not taken: mailbox unavailable"]).then_some(UserUnknown)
            }
            // PowerMTA states its own classification in X-PowerMTA-BounceCategory.
            Lhost::PowerMta => f.category.as_deref().and_then(|c| {
                Some(match c {
                    "bad-mailbox" => UserUnknown,
                    "bad-domain" => HostUnknown,
                    "inactive-mailbox" => Suspend,
                    "quota-issues" => MailboxFull,
                    "message-expired" => Expired,
                    "no-answer-from-host" => NetworkError,
                    "policy-related" => PolicyViolation,
                    "routing-errors" => SystemError,
                    "spam-related" => SpamDetected,
                    "virus-related" => VirusDetected,
                    "content-related" => ContentError,
                    "bad-connection" => NetworkError,
                    "protocol-errors" => SystemError,
                    "relaying-issues" => NoRelaying,
                    _ => return None,
                })
            }),
            // SES receiving refuses mail for addresses it holds no rule for with "Mailbox does
            // not exist": its receipt rules filtered the mail; no mailbox was looked up.
            Lhost::AmazonSesReceiving => has(&["mailbox does not exist"]).then_some(Filtered),
            Lhost::Verizon => has(&["no valid recipients for this mm"]).then_some(UserUnknown),
            // A temporary failure that lasted until qmail gave up on the queue: expired.
            Lhost::Qmail | Lhost::Yahoo
                if f.status.as_deref().is_some_and(|s| s.starts_with("4."))
                    || lower.contains("[#4.") =>
            {
                lower.contains(QMAIL_GAVE_UP).then_some(Expired)
            }
            Lhost::Exim => has(&["malformed address:"]).then_some(SyntaxError),
            Lhost::DragonFly => (lower.contains("dns lookup failure")
                && lower.contains("not found"))
            .then_some(HostUnknown),
            _ => None,
        }
    }
}

/// Reasons of the remote server that answered (the DSN's Remote-MTA), where its words mean
/// something other than what they say.
pub(crate) fn rhost_reason(f: &Fact, generic_status: bool) -> Option<BounceReason> {
    let remote = f
        .remote_mta
        .as_deref()
        .and_then(|m| m.split_whitespace().next())
        .map(|m| m.trim_end_matches('.'))
        .unwrap_or("");
    let lower = f.diagnostic.to_ascii_lowercase();
    // Google Groups refuses posts from non-members or to groups that do not exist; its
    // notice names the group and no SMTP answer.
    if f.address
        .to_ascii_lowercase()
        .ends_with("@googlegroups.com")
        && f.status.is_none()
    {
        return Some(BounceReason::Rejected);
    }
    // NTT docomo answers "Unknown user" both for missing mailboxes and when the recipient's
    // own filter refuses the sender; with no status code the refusal is the one it means.
    if remote.ends_with("docomo.ne.jp") && generic_status && lower.contains("unknown user") {
        return Some(BounceReason::Rejected);
    }
    // au (KDDI) answers RCPT TO for a mailbox it does not have with "<address>: User unknown"
    // or a bare "Recipient address rejected."; its filter's refusal is "550 : User unknown",
    // the address left out.
    let kddi = ["ezweb.ne.jp", "auone-net.jp", "au.com"]
        .iter()
        .any(|d| remote == *d || remote.ends_with(&format!(".{d}")));
    if kddi && generic_status {
        if lower.contains(">: user unknown") || lower.contains("recipient address rejected") {
            return Some(BounceReason::UserUnknown);
        }
        if lower.contains(" : user unknown") {
            return Some(BounceReason::Filtered);
        }
    }
    None
}

// ---- layouts of their own ---------------------------------------------------------------------

/// Sendmail V5's transcript: "While talking to host:" blocks (">>> command", "<<< answer")
/// and one "5xx <address>... text" line per recipient. The block's answer belongs to the
/// first recipient after it; later recipients carry their own text.
fn v5_sendmail_transcript(error_text: &str) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    let mut command: Option<Command> = None;
    let mut answer: Option<String> = None;
    for line in error_text.lines().map(str::trim) {
        let lower = line.to_lowercase();
        if lower.starts_with("while talking to ") {
            command = None;
            answer = None;
        } else if let Some(cmd) = lower.strip_prefix(">>> ") {
            command = smtp_command(cmd);
        } else if let Some(reply) = line.strip_prefix("<<< ") {
            answer = Some(reply.to_string());
        } else if let Some((code, rest)) = line.split_once(' ')
            && code.len() == 3
            && code.starts_with(['4', '5'])
            && code.bytes().all(|b| b.is_ascii_digit())
            && rest.starts_with('<')
            && let Some((who, text)) = rest.split_once("...")
            && let Some(address) = bare_address(who)
        {
            let (diagnostic, cmd) = match answer.take() {
                Some(a) => (a, command.take()),
                None => (text.trim().to_string(), None),
            };
            facts.push(Fact {
                address,
                diagnostic,
                command: cmd,
                ..Fact::default()
            });
        }
    }
    facts
}

fn smtp_command(lower: &str) -> Option<Command> {
    let word = lower.split([' ', ':']).next().unwrap_or("");
    match word {
        "helo" | "ehlo" => Some(Command::Helo),
        "mail" => Some(Command::MailFrom),
        "rcpt" => Some(Command::RcptTo),
        "data" => Some(Command::Data),
        _ => None,
    }
}

/// qmail's "<address>:" followed by the answer, up to a blank line.
fn qmail_recipients(error_text: &str) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    for line in error_text.lines().map(str::trim) {
        if line.starts_with('<') && line.ends_with(">:") {
            if let Some(address) = bare_address(line) {
                facts.push(Fact {
                    address,
                    ..Fact::default()
                });
            }
        } else if let Some(f) = facts.last_mut() {
            if line.is_empty() {
                if !f.diagnostic.is_empty() {
                    f.diagnostic.push('\n');
                }
                continue;
            }
            if f.diagnostic.ends_with('\n') {
                continue;
            }
            f.diagnostic.push(' ');
            f.diagnostic.push_str(line);
        }
    }
    for f in &mut facts {
        f.diagnostic = collapse(&f.diagnostic);
    }
    facts
}

/// The "Error: … / Error message below: / Message details: … RCPT TO: address" notice.
fn message_details(mail: &ParsedMail, error_text: &str) -> Vec<Fact> {
    let text = if error_text.trim().is_empty() {
        mail.text.as_str()
    } else {
        error_text
    };
    let lower = text.to_lowercase();
    let details = lower.find("message details:").unwrap_or(lower.len());
    let head = collapse(&text[..details]);
    let mut address = text[details..]
        .lines()
        .find_map(|l| l.trim().strip_prefix("RCPT TO:").and_then(bare_address));
    if address.is_none() {
        // Verizon's MMS notice quotes the original's headers instead.
        let original = lower.find("original message:").unwrap_or(lower.len());
        address = text[original..]
            .lines()
            .find_map(|l| l.trim().strip_prefix("To:").and_then(bare_address));
    }
    address
        .map(|address| Fact {
            address,
            diagnostic: head,
            ..Fact::default()
        })
        .into_iter()
        .collect()
}

/// m-FILTER: the recipient under "以下のメールアドレス…", then "-------server message" and
/// "-------SMTP command" sections.
fn m_filter(error_text: &str) -> Vec<Fact> {
    let mut address = None;
    let mut diagnostic = String::new();
    let mut command = None;
    let mut section = "";
    for line in error_text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("-------") {
            section = if name.eq_ignore_ascii_case("server message") {
                "server"
            } else if name.eq_ignore_ascii_case("smtp command") {
                "command"
            } else {
                ""
            };
            continue;
        }
        match section {
            "server" if !line.is_empty() => {
                diagnostic.push_str(line);
                diagnostic.push(' ');
            }
            "command" if !line.is_empty() && command.is_none() => {
                command = smtp_command(&line.to_lowercase());
            }
            "" if address.is_none() => address = addresses_in(line).into_iter().next(),
            _ => {}
        }
    }
    address
        .map(|address| Fact {
            address,
            diagnostic: diagnostic.trim().to_string(),
            command,
            ..Fact::default()
        })
        .into_iter()
        .collect()
}

/// DragonFly: "There was an error delivering your mail to <address>." then the cause.
fn dragonfly(error_text: &str) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    for para in error_text.split("\n\n") {
        let p = collapse(para);
        if let Some(rest) = p.strip_prefix("There was an error delivering your mail to ") {
            if let Some(address) = bare_address(rest) {
                facts.push(Fact {
                    address,
                    ..Fact::default()
                });
            }
        } else if let Some(f) = facts.last_mut()
            && f.diagnostic.is_empty()
            && !p.is_empty()
        {
            f.diagnostic = p;
        }
    }
    facts
}

/// fml: the notice concerns the list itself (named in the first sentence); the rest of the
/// text is advice, full of the list's other addresses.
fn fml(mail: &ParsedMail, error_text: &str) -> Vec<Fact> {
    let first = error_text
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty())
        .unwrap_or("");
    addresses_in(first)
        .into_iter()
        .next()
        .map(|address| Fact {
            address,
            diagnostic: format!(
                "{} {}",
                mail.subject.as_deref().unwrap_or(""),
                collapse(first)
            ),
            ..Fact::default()
        })
        .into_iter()
        .collect()
}

/// Active!hunter: ">>> address <address>" under "The following addresses had permanent fatal
/// errors", the remote answer under "Transcript of session follows".
fn active_hunter(error_text: &str) -> Vec<Fact> {
    listed_then_answered(error_text, ">>> ", |l| {
        l.contains("----- Transcript of session follows -----")
    })
}

/// "Delivery to the following recipients failed permanently: * address", then the answer
/// under "Technical details:" (absent when the gateway knew none).
fn technical_details(error_text: &str) -> Vec<Fact> {
    listed_then_answered(error_text, "* ", |l| {
        l.eq_ignore_ascii_case("technical details:")
    })
}

/// Reports that list the recipients (each on a line opened by `marker`) and then give one
/// answer for all of them under a heading; rules of `=` are decoration.
fn listed_then_answered(
    error_text: &str,
    marker: &str,
    is_answer_heading: impl Fn(&str) -> bool,
) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    let mut answer = String::new();
    let mut in_answer = false;
    for line in error_text.lines().map(str::trim) {
        if is_answer_heading(line) {
            in_answer = true;
        } else if line.starts_with("=====") {
            continue;
        } else if in_answer {
            answer.push_str(line);
            answer.push(' ');
        } else if let Some(rest) = line.strip_prefix(marker)
            && let Some(address) = bare_address(rest)
        {
            facts.push(Fact {
                address,
                ..Fact::default()
            });
        }
    }
    for f in &mut facts {
        f.diagnostic = collapse(&answer);
    }
    facts
}

/// Postfix names each recipient at the start of a line, "<address>: " or "<address> (expanded
/// from <alias>): ", the answer folded under it; other addresses in its report are advice
/// (whom to contact). A report naming nobody says nothing about the returned recipient.
fn postfix(mail: &ParsedMail, error_text: &str) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    for line in error_text.lines() {
        let trimmed = line.trim_end();
        if trimmed.starts_with('<')
            && let Some((who, rest)) = trimmed.split_once(">: ").or_else(|| {
                trimmed
                    .split_once("): ")
                    .filter(|(w, _)| w.contains("> (expanded from <"))
            })
            && let Some(address) = bare_address(who)
        {
            facts.push(Fact {
                address,
                diagnostic: rest.to_string(),
                ..Fact::default()
            });
        } else if let Some(f) = facts.last_mut()
            && line.starts_with([' ', '\t'])
        {
            f.diagnostic.push(' ');
            f.diagnostic.push_str(line.trim());
        }
    }
    if facts.is_empty()
        && let Some(address) = returned_recipient(mail)
    {
        facts.push(Fact {
            address,
            ..Fact::default()
        });
    }
    facts
}
