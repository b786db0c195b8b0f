//! Bounce, auto-reply and feedback-report handling against sisimai's set of real bounces
//! (BSD-2, read from the shared corpus). The bar: every mail lands in its class, not one bounce,
//! feedback report or auto-reply would be acknowledged, and the reason and hard/soft of each
//! reported recipient agree with sisimai's expectations on at least 95 % of the rows.

mod common;

use std::collections::BTreeMap;

use trustdesk_channels::email::{self, Kind};

/// Agreement the rules must keep (percent of expected_reasons.tsv rows).
const FLOOR: f64 = 98.3;

/// Rows whose expectation contradicts another row for the same evidence. No rule can satisfy
/// both sides without keying on the sample itself, so these stay misses (they count against
/// the rate) and are printed apart from the others.
const KNOWN_CONTRADICTIONS: &[(&str, &str)] = &[
    (
        "rhost-yahooinc-02.eml#1",
        "Yahoo's \"421 4.7.0 [TSS04] … deferred due to unexpected volume or user complaints\" \
         is expected as rejected here and in lhost-postfix-74, as badreputation in \
         lhost-opensmtpd-13 and lhost-qmail-19 for the same words",
    ),
    (
        "lhost-postfix-74.eml#1",
        "the same TSS04 answer as rhost-yahooinc-02 (rejected here, badreputation elsewhere)",
    ),
    (
        "rfc3464-01.eml#1",
        "\"550 5.1.1 <…>... User Unknown\" is expected as mailboxfull; every other 5.1.1 \
         user-unknown answer in the set is userunknown",
    ),
];

fn sisimai() -> std::path::PathBuf {
    common::corpus().join("sisimai-bounces")
}

fn tsv(name: &str) -> Vec<Vec<String>> {
    let text = String::from_utf8(common::read(&sisimai().join(name))).expect("utf-8 tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn kind_of(file: &str) -> (email::ParsedMail, Kind) {
    let path = sisimai().join(file);
    let mail = email::parse(&common::read(&path)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let kind = email::classify(&mail);
    (mail, kind)
}

fn class_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Normal => "not-bounce",
        Kind::Bounce(_) => "bounce",
        Kind::AutoReply => "auto-reply",
        Kind::FeedbackReport(_) => "feedback-report",
    }
}

#[test]
fn every_mail_lands_in_its_class_and_no_machine_is_acknowledged() {
    let labels = tsv("category_labels.tsv");
    assert_eq!(labels.len(), 632);
    let mut wrong = Vec::new();
    let mut acknowledged = Vec::new();
    let mut per_class: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for row in &labels {
        let (file, expected) = (&row[0], &row[1]);
        let (mail, kind) = kind_of(file);
        let got = class_name(&kind);
        // Two labels come from file names, not from reading the mail: sisimai files Amazon
        // SES's complaint notification under its bounce MTA (our FeedbackReport is what its
        // expected reason, "feedback", says), and its "not a bounce" set holds a postmaster's
        // auto-replied notice, which is no bounce but is an automatic reply.
        let got = match (expected.as_str(), got) {
            ("bounce", "feedback-report") if file == "bsd/lhost-amazonses-11.eml" => "bounce",
            ("not-bounce", "auto-reply") => "not-bounce",
            _ => got,
        };
        let entry = per_class.entry(expected.clone()).or_default();
        entry.0 += 1;
        if got == expected {
            entry.1 += 1;
        } else {
            wrong.push(format!("{file}: {got}, expected {expected}"));
        }
        if expected != "not-bounce" && email::should_acknowledge(&mail, &[]).is_ok() {
            acknowledged.push(file.clone());
        }
    }
    for (class, (total, right)) in &per_class {
        println!("class {class}: {right}/{total}");
    }
    for w in &wrong {
        println!("  misclassified {w}");
    }
    assert!(
        acknowledged.is_empty(),
        "would acknowledge machines: {acknowledged:#?}"
    );
    assert!(wrong.is_empty(), "{} mails misclassified", wrong.len());
}

#[test]
fn bounce_reasons_agree_with_sisimai() {
    let rows = tsv("expected_reasons.tsv");
    assert_eq!(rows.len(), 593);
    let mut cache: BTreeMap<String, Vec<(String, bool, String)>> = BTreeMap::new();
    let (mut agree, mut misses) = (0usize, Vec::new());
    // expected reason → (rows, agreeing rows, what we said instead → count)
    let mut confusion: BTreeMap<String, (usize, usize, BTreeMap<String, usize>)> = BTreeMap::new();
    for row in &rows {
        let (file, n, reason, hard) = (&row[0], &row[1], &row[4], &row[5]);
        let n: usize = n.parse().expect("recipient number");
        let ours = cache.entry(file.clone()).or_insert_with(|| {
            let (_, kind) = kind_of(&format!("bsd/{file}"));
            match kind {
                Kind::Bounce(report) => report
                    .recipients
                    .iter()
                    .map(|r| {
                        (
                            r.reason.as_str().to_string(),
                            r.hard,
                            format!(
                                "{} {:?} {:?} {}",
                                r.address,
                                r.status,
                                r.reply_code,
                                r.diagnostic
                                    .as_deref()
                                    .unwrap_or("")
                                    .chars()
                                    .take(160)
                                    .collect::<String>()
                            ),
                        )
                    })
                    .collect(),
                Kind::FeedbackReport(f) => {
                    vec![("feedback".into(), false, String::new()); f.recipients.len().max(1)]
                }
                Kind::AutoReply => vec![("vacation".into(), false, String::new())],
                Kind::Normal => Vec::new(),
            }
        });
        let expected_hard = hard == "1";
        let entry = confusion.entry(reason.clone()).or_default();
        entry.0 += 1;
        match ours.get(n - 1) {
            Some((r, h, _)) if r == reason && *h == expected_hard => entry.1 += 1,
            Some((r, _, _)) => *entry.2.entry(r.clone()).or_default() += 1,
            None => *entry.2.entry("(no recipient)".into()).or_default() += 1,
        }
        match ours.get(n - 1) {
            Some((r, h, _)) if r == reason && *h == expected_hard => agree += 1,
            Some((r, h, detail)) => misses.push(format!(
                "{file}#{n}: {r}/{} expected {reason}/{hard} [{}] {detail}",
                u8::from(*h),
                row[2]
            )),
            None => misses.push(format!(
                "{file}#{n}: no recipient, expected {reason}/{hard}"
            )),
        }
    }
    let rate = 100.0 * agree as f64 / rows.len() as f64;
    println!(
        "sisimai reasons: {agree}/{} rows agree on reason and hard/soft ({rate:.1} %)",
        rows.len()
    );
    for m in &misses {
        match KNOWN_CONTRADICTIONS
            .iter()
            .find(|(row, _)| m.starts_with(&format!("{row}:")))
        {
            Some((_, why)) => println!("  known contradiction {m}\n      ({why})"),
            None => println!("  miss {m}"),
        }
    }
    let summary = confusion_summary(&confusion);
    println!("{summary}");
    // The bar is 95 %; this floor is what the rules reach today and only goes up.
    assert!(
        rate >= FLOOR,
        "agreement {rate:.1} % fell below {FLOOR} %\n{summary}"
    );
}

/// Per expected reason: rows, how many agree, and what the rules said instead.
fn confusion_summary(
    confusion: &BTreeMap<String, (usize, usize, BTreeMap<String, usize>)>,
) -> String {
    let mut out = String::from("per expected reason (agree/rows, then what we said instead):\n");
    for (reason, (rows, right, instead)) in confusion {
        let instead: Vec<String> = instead.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
        out.push_str(&format!(
            "  {reason:<16} {right:>3}/{rows:<3} {}\n",
            instead.join(", ")
        ));
    }
    out
}
