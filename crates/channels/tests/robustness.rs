//! Hostile and broken input: random bytes, and real mails cut off at any byte (a connection
//! dropped mid-DATA, a disk that filled up). Parsing never panics; whatever it returns, the rest
//! of the pipeline must accept.

mod common;

use std::sync::LazyLock;

use proptest::prelude::*;
use trustdesk_channels::email;

/// A spread of real shapes: multipart/report bounces, nested messages, HTML-only, 8-bit and
/// Japanese charsets, broken boundaries.
static REAL: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let corpus = common::corpus();
    [
        "zammad/mail033-undelivered-mail-returned-to-sender-notification.box",
        "ruby-mail/attachment_emails/attachment_message_rfc822.eml",
        "ruby-mail/multi_charset/japanese_iso_2022.eml",
        "ruby-mail/multipart_report_emails/report_530.eml",
        "ruby-mail/mime_emails/raw_email_with_illegal_boundary.eml",
        "otrs-postmaster/PostMaster-Test20.box",
        "mailing-list-iso-8859-2/git-list-2006-09-14-jnareb-iso-8859-2-qp.eml",
        "stalwart-mail-parser/malformed/020.eml",
        "sisimai-bounces/bsd/arf-01.eml",
        "sisimai-bounces/bsd/lhost-exim-01.eml",
    ]
    .iter()
    .map(|p| common::read(&corpus.join(p)))
    .collect()
});

fn exercise(raw: &[u8]) {
    if let Ok(mail) = email::parse(raw) {
        assert_eq!(mail.size, raw.len());
        let _ = email::detect_language(&mail.text);
        for a in &mail.attachments {
            if let Some(inner) = &a.message {
                let _ = email::detect_language(&inner.text);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        exercise(&raw);
    }

    #[test]
    fn header_like_noise_never_panics(
        lines in proptest::collection::vec("[A-Za-z-]{1,12}: [ -~]{0,60}|[ -~]{0,80}|--[a-z0-9]{1,8}(--)?", 0..40)
    ) {
        exercise(lines.join("\r\n").as_bytes());
    }

    #[test]
    fn truncated_real_mail_never_panics(which in 0usize..10, cut in any::<prop::sample::Index>()) {
        let raw = &REAL[which];
        exercise(&raw[..cut.index(raw.len() + 1)]);
    }

    #[test]
    fn corrupted_real_mail_never_panics(
        which in 0usize..10,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16)
    ) {
        let mut raw = REAL[which].clone();
        for (at, byte) in flips {
            let i = at.index(raw.len());
            raw[i] = byte;
        }
        exercise(&raw);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Folding loses nothing but the blank lines between the two parts, whatever the text.
    #[test]
    fn split_reply_keeps_the_text(
        lines in proptest::collection::vec(
            "(> ?)?(On [0-9]{1,2} [A-Za-z]{3} 2026, [a-z]{1,6}@x\\.example wrote:|-- ?|__|Sent from my [A-Za-z]{1,8}|From: a|Sent: b|To: c|Subject: d|Regards,|[ -~]{0,70}|)",
            0..60,
        )
    ) {
        let text = lines.join("\n");
        let (new, folded) = email::split_reply(&text);
        prop_assert!(text.starts_with(new));
        prop_assert!(text.ends_with(folded));
        prop_assert!(new.len() + folded.len() <= text.len());
        prop_assert!(text[new.len()..text.len() - folded.len()].trim().is_empty());
    }
}

#[test]
fn folding_stays_linear_on_hostile_text() {
    for line in [
        "--",
        "__",
        "Regards,",
        "> q",
        "On 1 Mar 2026, a@x.example wrote:",
        "From: a",
    ] {
        let text = format!("hi\n{}", format!("{line}\n").repeat(20_000));
        let (new, _) = email::split_reply(&text);
        assert!(new.len() < text.len());
    }
}
