//! The parser against real mail nobody on this team wrote: every message in the shared corpus
//! parses without a panic (a result, or a clear error), stalwart's expected parses hold for the
//! subject, sender, text, HTML and attachment names and sizes we store, and the help-desk cases (a bounce naming a ticket,
//! Polish ISO-8859-2 mail, Japanese charsets, RFC 2231 file names) come out right.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use serde_json::Value;
use trustdesk_channels::email::{self, ParseError, ParsedMail};

const FOLDERS: [&str; 6] = [
    "stalwart-mail-parser",
    "ruby-mail",
    "otrs-postmaster",
    "zammad",
    "mailing-list-iso-8859-2",
    "sisimai-bounces",
];

fn parse_file(path: &Path) -> ParsedMail {
    email::parse(&common::read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_corpus_mail_parses_without_panic() {
    let corpus = common::corpus();
    let (mut parsed, mut refused, mut panicked) = (0, Vec::new(), Vec::new());
    for folder in FOLDERS {
        let files = common::files(&corpus.join(folder), &[".eml", ".box"]);
        assert!(!files.is_empty(), "no mail in {folder}");
        for path in files {
            let raw = common::read(&path);
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let result = email::parse(&raw);
                if let Ok(mail) = &result {
                    // Everything downstream of parse must hold on real input too.
                    let _ = email::split_reply(&mail.text);
                    let _ = email::classify(mail);
                    let _ = email::should_acknowledge(mail, &[]);
                    let _ = email::detect_language(&mail.text);
                }
                result
            }));
            match outcome {
                Ok(Ok(_)) => parsed += 1,
                Ok(Err(e)) => refused.push(format!("{}: {e}", path.display())),
                Err(_) => panicked.push(path.display().to_string()),
            }
        }
    }
    println!("corpus: {parsed} parsed, {} refused", refused.len());
    for r in &refused {
        println!("  refused {r}");
    }
    assert!(panicked.is_empty(), "panicked on {panicked:#?}");
    // Every file in the corpus is a real mail with a header block: none may be refused.
    assert!(refused.is_empty(), "refused real mail: {refused:#?}");
    assert!(parsed > 850, "only {parsed} mails parsed");
}

#[test]
fn non_mail_is_refused_with_a_clear_error() {
    assert_eq!(email::parse(b""), Err(ParseError::Empty));
    assert_eq!(email::parse(b" \r\n\t"), Err(ParseError::Empty));
}

// ---- stalwart's expected parses -------------------------------------------------------------

/// What stalwart's JSON says one mail decodes to.
struct Expected {
    texts: Vec<String>,
    htmls: Vec<String>,
    /// Attachment names, in order; `None` for an unnamed part.
    attachment_names: Vec<Option<String>>,
    /// Decoded size of each attachment whose content the expectation carries (text as UTF-8);
    /// `None` for nested messages, whose expectation is a parse rather than bytes.
    attachment_sizes: Vec<Option<usize>>,
    subject: Option<String>,
    /// The first From address and its display name.
    from: Option<(String, Option<String>)>,
}

/// The first `{name, address}` object anywhere in a stalwart address value.
fn first_address(v: &Value) -> Option<(String, Option<String>)> {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(address)) = map.get("address") {
                let name = map.get("name").and_then(Value::as_str).map(str::to_string);
                return Some((address.clone(), name));
            }
            map.values().find_map(first_address)
        }
        Value::Array(items) => items.iter().find_map(first_address),
        _ => None,
    }
}

/// Size without CR bytes: stalwart's expectations were made from LF copies of the mails the
/// corpus keeps with the wire's CRLF, and undecoded text (BinHex, plain text) keeps its line
/// ends.
fn body_size(body: &Value) -> Option<usize> {
    for key in ["Text", "Html"] {
        if let Some(t) = body.get(key).and_then(Value::as_str) {
            return Some(t.bytes().filter(|&b| b != b'\r').count());
        }
    }
    for key in ["Binary", "InlineBinary"] {
        if let Some(b) = body.get(key).and_then(Value::as_array) {
            return Some(b.iter().filter(|v| v.as_u64() != Some(13)).count());
        }
    }
    None
}

fn json_attr<'a>(header_value: &'a Value, attr: &str) -> Option<&'a str> {
    let attrs = header_value
        .get("ContentType")?
        .get("attributes")?
        .as_array()?;
    attrs
        .iter()
        .find(|a| a.get("name").and_then(Value::as_str) == Some(attr))
        .and_then(|a| a.get("value")?.as_str())
}

fn expected_from(json: &Value) -> Expected {
    let parts = json["parts"].as_array().expect("parts");
    let body = |id: &Value| -> &Value {
        let i = id.as_u64().expect("part index") as usize;
        &parts[i]["body"]
    };
    let ids = |key: &str| -> Vec<Value> { json[key].as_array().cloned().unwrap_or_default() };
    let texts = ids("text_body")
        .iter()
        .filter_map(|id| body(id).get("Text").and_then(Value::as_str).map(lf))
        .collect();
    let htmls = ids("html_body")
        .iter()
        .filter_map(|id| body(id).get("Html").and_then(Value::as_str).map(lf))
        .collect();
    let attachment_ids: Vec<usize> = ids("attachments")
        .iter()
        .filter(|id| {
            // A multipart leaf is a broken part we report as a warning, not a file.
            let i = id.as_u64().expect("part index") as usize;
            !parts[i]["headers"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|h| {
                    h["name"] == "content_type"
                        && h["value"]["ContentType"]["c_type"].as_str() == Some("multipart")
                })
        })
        .map(|id| id.as_u64().expect("part index") as usize)
        .collect();
    let attachment_names = attachment_ids
        .iter()
        .map(|&i| {
            let headers = parts[i]["headers"].as_array().cloned().unwrap_or_default();
            let find = |name: &str, attr: &str| {
                headers
                    .iter()
                    .filter(|h| h["name"] == name)
                    .find_map(|h| json_attr(&h["value"], attr).map(str::to_string))
            };
            find("content_disposition", "filename")
                .or_else(|| find("content_type", "name"))
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
        })
        .collect();
    let attachment_sizes = attachment_ids
        .iter()
        .map(|&i| body_size(&parts[i]["body"]))
        .collect();
    let top = parts[0]["headers"].as_array().cloned().unwrap_or_default();
    let header = |name: &str| top.iter().find(|h| h["name"] == name).map(|h| &h["value"]);
    let subject = header("subject")
        .and_then(|v| v.get("Text"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let from = header("from").and_then(first_address);
    Expected {
        texts,
        htmls,
        attachment_names,
        attachment_sizes,
        subject,
        from,
    }
}

#[test]
fn stalwart_expected_parses_hold_for_what_we_store() {
    let dir = common::corpus().join("stalwart-mail-parser");
    let (mut checked, mut agree, mut misses) = (0, 0, Vec::new());
    for eml in common::files(&dir, &[".eml"]) {
        let json_path = eml.with_extension("json");
        let json: Value = serde_json::from_slice(&common::read(&json_path))
            .unwrap_or_else(|e| panic!("{}: {e}", json_path.display()));
        let expected = expected_from(&json);
        let mail = parse_file(&eml);
        checked += 1;
        let mut problems = Vec::new();
        for t in &expected.texts {
            if !mail.text.contains(t.as_str()) {
                problems.push(format!("text part {:?} not in our text", clip(t)));
            }
        }
        for h in &expected.htmls {
            let ours = mail.html.as_deref().unwrap_or("");
            if !ours.contains(&email::sanitize_html(h)) {
                problems.push(format!("html part {:?} not in our html", clip(h)));
            }
            // An HTML-only mail still has a text version.
            if expected.texts.is_empty() && !h.trim().is_empty() && mail.text.trim().is_empty() {
                problems.push("no text derived from the html".into());
            }
        }
        let ours: Vec<Option<String>> = mail
            .attachments
            .iter()
            .map(|a| a.filename.clone())
            .collect();
        if ours != expected.attachment_names {
            problems.push(format!(
                "attachments {ours:?}, expected {:?}",
                expected.attachment_names
            ));
        }
        for (a, size) in mail.attachments.iter().zip(&expected.attachment_sizes) {
            let ours = a.bytes.iter().filter(|&&b| b != b'\r').count();
            if let Some(size) = *size
                && ours != size
            {
                problems.push(format!(
                    "attachment {:?} has {ours} bytes, expected {size}",
                    a.filename
                ));
            }
        }
        if mail.subject.as_deref().map(str::trim) != expected.subject.as_deref().map(str::trim) {
            problems.push(format!(
                "subject {:?}, expected {:?}",
                mail.subject, expected.subject
            ));
        }
        let our_from = mail
            .from
            .as_ref()
            .map(|m| (m.address.clone(), m.name.clone()));
        if our_from != expected.from {
            problems.push(format!("from {our_from:?}, expected {:?}", expected.from));
        }
        if problems.is_empty() {
            agree += 1;
        } else {
            misses.push(format!("{}: {}", eml.display(), problems.join("; ")));
        }
    }
    println!(
        "stalwart: {agree}/{checked} mails agree on subject, from, text, html, attachment names and sizes"
    );
    for m in &misses {
        println!("  {m}");
    }
    assert_eq!(checked, 107, "stalwart has 107 mails with expected parses");
    assert!(misses.is_empty(), "{} mails disagree", misses.len());
}

/// The one deviation we accept on purpose: bodies are stored with `\n` line ends (the raw
/// bytes keep the wire's CRLF), so the expectation is compared the same way.
fn lf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

// ---- help-desk cases ------------------------------------------------------------------------

#[test]
fn zammad_bounce_of_a_ticket_notification() {
    let dir = common::corpus().join("zammad");
    let mail =
        parse_file(&dir.join("mail033-undelivered-mail-returned-to-sender-notification.box"));
    let expected: Value = serde_json::from_slice(&common::read(
        &dir.join("mail033-undelivered-mail-returned-to-sender-notification.expected.json"),
    ))
    .expect("zammad expectation");
    let from = mail.from.as_ref().expect("from");
    assert_eq!(
        from.address,
        expected["from_email"].as_str().expect("from_email")
    );
    assert_eq!(from.name.as_deref(), expected["from_display_name"].as_str());
    assert_eq!(mail.to[0].address, expected["to"].as_str().expect("to"));
    assert_eq!(mail.subject.as_deref(), expected["subject"].as_str());
    assert_eq!(
        mail.text.trim_end(),
        expected["body"].as_str().expect("body").trim_end()
    );
    assert_eq!(mail.attachments.len(), 2);
    for (ours, theirs) in mail
        .attachments
        .iter()
        .zip(expected["attachments"].as_array().expect("attachments"))
    {
        assert_eq!(
            ours.content_type,
            theirs["Content-Type"].as_str().expect("type")
        );
        let data = String::from_utf8_lossy(&ours.bytes);
        assert!(
            data.starts_with(theirs["data_starts_with"].as_str().expect("start")),
            "{data}"
        );
        for needle in theirs["contains"].as_array().expect("contains") {
            assert!(
                data.contains(needle.as_str().expect("needle")),
                "{needle} in {data}"
            );
        }
    }
    let returned = mail.attachments[1]
        .message
        .as_deref()
        .expect("the returned message is parsed");
    assert_eq!(returned.subject.as_deref(), Some("test [Ticket#10010]"));

    // As a bounce: the failed recipient, and the returned message's subject with its tag.
    let email::Kind::Bounce(report) = email::classify(&mail) else {
        panic!("mail033 is a bounce")
    };
    assert_eq!(
        report.returned_subject.as_deref(),
        Some("test [Ticket#10010]")
    );
    assert!(report.returned_message_id.is_some());
    let r = &report.recipients[0];
    assert_eq!(r.address, "not_existing@znuny.com");
    assert_eq!(r.status.as_deref(), Some("5.1.1"));
    assert_eq!(r.reason, email::BounceReason::UserUnknown);
    assert!(r.hard);
    assert!(email::should_acknowledge(&mail, &[]).is_err());
}

#[test]
fn polish_iso_8859_2_mail_decodes_and_threads() {
    let dir = common::corpus().join("mailing-list-iso-8859-2");
    let qp = parse_file(&dir.join("git-list-2006-09-14-jnareb-iso-8859-2-qp.eml"));
    assert!(
        qp.text
            .starts_with("Dnia czwartek 14. września 2006 11:40, napisałeś:"),
        "{}",
        qp.text
    );
    assert_eq!(
        qp.message_id.as_deref(),
        Some("200609141201.41711.jnareb@gmail.com")
    );
    assert_eq!(qp.in_reply_to, ["7vvenq4wgp.fsf@assigned-by-dhcp.cox.net"]);
    assert_eq!(qp.references.len(), 3);

    let signed =
        parse_file(&dir.join("linux-tegra-2021-04-08-iso-8859-2-8bit-polish-signature.eml"));
    let from = signed.from.as_ref().expect("from");
    assert_eq!(from.name.as_deref(), Some("Michał Mirosław"));
    assert!(
        signed
            .text
            .trim_end()
            .ends_with("Best Regards\nMichał Mirosław"),
        "{}",
        signed.text
    );
    assert_eq!(
        signed.in_reply_to,
        ["1617777259-27463-1-git-send-email-tiantao6@hisilicon.com"]
    );
    assert_eq!(signed.references, signed.in_reply_to);

    let eight_bit = parse_file(&dir.join("linux-bluetooth-2019-05-13-iso-8859-2-8bit.eml"));
    assert!(!eight_bit.text.contains('\u{fffd}'), "{}", eight_bit.text);
    assert!(!eight_bit.in_reply_to.is_empty());
}

#[test]
fn japanese_korean_and_cyrillic_charsets_decode() {
    let ruby = common::corpus().join("ruby-mail/multi_charset");
    let iso2022 = parse_file(&ruby.join("japanese_iso_2022.eml"));
    assert_eq!(iso2022.subject.as_deref(), Some("まみむめも"));
    assert_eq!(iso2022.text.trim(), "すみません。");
    assert_eq!(iso2022.to[0].name.as_deref(), Some("みける"));
    let sjis = parse_file(&ruby.join("japanese_shift_jis.eml"));
    assert!(
        sjis.text.contains("このメールはテスト用のメールです。"),
        "{}",
        sjis.text
    );
    let korean = parse_file(&ruby.join("ks_c_5601-1987.eml"));
    assert_eq!(korean.text.trim(), "스티해");

    let otrs = common::corpus().join("otrs-postmaster");
    let koi = parse_file(&otrs.join("PostMaster-Test12.box"));
    assert_eq!(
        koi.from.as_ref().and_then(|f| f.name.as_deref()),
        Some("Сапожников Борис")
    );
}

#[test]
fn attachment_names_rfc2231_and_encoded_words() {
    let ruby = common::corpus().join("ruby-mail");
    let names = |path: &str| -> Vec<Option<String>> {
        parse_file(&ruby.join(path))
            .attachments
            .into_iter()
            .map(|a| a.filename)
            .collect()
    };
    assert_eq!(
        names("attachment_emails/attachment_with_quoted_filename.eml"),
        [Some("Eelanalüüsi päring.jpg".to_string())]
    );
    assert_eq!(
        names("attachment_emails/attachment_nonascii_filename.eml"),
        [Some("ciële.txt".to_string())]
    );
    assert_eq!(
        names("attachment_emails/attachment_with_base64_encoded_name.eml"),
        [Some("This is a test.pdf".to_string())]
    );
    assert_eq!(
        names("multi_charset/japanese_attachment.eml"),
        [Some("てすと.txt".to_string())]
    );
    assert_eq!(
        names("multi_charset/japanese_attachment_long_name.eml"),
        [Some(
            "かきくけこかきくけこかきくけこかきくけこかきくけこ.txt".to_string()
        )]
    );
    let otrs = parse_file(&common::corpus().join("otrs-postmaster/PostMaster-Test12.box"));
    let otrs_names: Vec<&str> = otrs
        .attachments
        .iter()
        .filter_map(|a| a.filename.as_deref())
        .collect();
    assert!(otrs_names.contains(&"Обяснительная.jpg"), "{otrs_names:?}");
    assert!(
        otrs_names.contains(&"attachment-äöüß-iso.txt"),
        "{otrs_names:?}"
    );
}

#[test]
fn nested_message_rfc822_is_parsed() {
    let mail = parse_file(
        &common::corpus().join("ruby-mail/attachment_emails/attachment_message_rfc822.eml"),
    );
    let forwarded = &mail.attachments[0];
    assert_eq!(forwarded.content_type, "message/rfc822");
    assert_eq!(forwarded.filename.as_deref(), Some("ForwardedMessage.eml"));
    let inner = forwarded.message.as_deref().expect("parsed forward");
    assert!(inner.from.is_some() && inner.subject.is_some(), "{inner:?}");
    assert_eq!(mail.attached_messages().count(), 1);
}
