//! Quote and signature folding against the reply bodies of crisp-oss/email-reply-parser (MIT,
//! copied into tests/fixtures/crisp with its licence). The expected visible text of each
//! fixture is ours, read from that project's test expectations where it has one (most assert
//! that the first fragment is the new text) and from the fixture itself otherwise. Two places
//! where we differ on purpose: forwarded messages stay visible, and an inline or bottom-posted
//! answer keeps the quotes it answers.

use std::path::Path;

/// The new text of most fixtures (crisp's COMMON_FIRST_FRAGMENT).
const COMMON: &str = "Fusce bibendum, quam hendrerit sagittis tempor, dui turpis tempus erat, pharetra sodales ante sem sit amet metus.
Nulla malesuada, orci non vulputate lobortis, massa felis pharetra ex, convallis consectetur ex libero eget ante.
Nam vel turpis posuere, rhoncus ligula in, venenatis orci. Duis interdum venenatis ex a rutrum.
Duis ut libero eu lectus consequat consequat ut vel lorem. Vestibulum convallis lectus urna,
et mollis ligula rutrum quis. Fusce sed odio id arcu varius aliquet nec nec nibh.";

enum Expect {
    /// The visible text, compared with trailing spaces off every line.
    Visible(&'static str),
    /// Nothing folds.
    Whole,
    /// The visible text holds all of the first and none of the second.
    Holds(&'static [&'static str], &'static [&'static str]),
}

use Expect::*;

const EXPECTATIONS: &[(&str, Expect)] = &[
    (
        "correct_sig",
        Visible("this is an email with a correct -- signature."),
    ),
    (
        "email_1",
        Visible(
            "Hi folks\n\nWhat is the best way to clear a Riak bucket of all key, values after\nrunning a test?\nI am currently using the Java HTTP API.\n\n-Abhishek Kona",
        ),
    ),
    (
        "email_2",
        Holds(
            &[
                "Hi,",
                "You can list the keys",
                "would do it.",
                "delete them all individually",
            ],
            &["riak-users mailing list", "-Abhishek Kona"],
        ),
    ),
    ("email_2_1", Visible("Outlook with a reply")),
    (
        "email_3",
        Visible("Oh thanks.\n\nHaving the function would be great.\n\n-Abhishek Kona"),
    ),
    (
        "email_4",
        Visible("Awesome! I haven't had another problem with it."),
    ),
    ("email_5", Whole),
    (
        "email_6",
        Holds(
            &["I get proper rendering as well."],
            &["Was this caching", "On Dec 16"],
        ),
    ),
    (
        "email_19",
        Holds(
            &["On Thursday, I get proper rendering."],
            &["Was this caching", "Corey Donohoe"],
        ),
    ),
    ("email_20", Visible("On Thursday.")),
    ("email_21", Whole),
    ("email_blackberry", Visible("Here is another email")),
    ("email_iphone", Visible("Here is another email")),
    (
        "email_multi_word_sent_from_my_mobile_device",
        Visible("Here is another email"),
    ),
    (
        "email_bullets",
        Visible(
            "test 2 this should list second\n\nand have spaces\n\nand retain this formatting\n\n\n   - how about bullets\n   - and another",
        ),
    ),
    ("email_custom_quote_header", Visible("Thank you!")),
    (
        "email_customer_quote_header_2",
        Visible("Thank you very much."),
    ),
    (
        "email_customer_quote_header_3",
        Visible("bonjour,\nje n'ai pas eu de retour sur ma précision..\nmerci d'avance"),
    ),
    (
        "email_emoji",
        Visible("🎉\n\n—\nJohn Doe\nCEO at Pandaland\n\n@pandaland"),
    ),
    ("email_not_a_signature", Whole),
    ("email_not_a_signature_2", Whole),
    (
        "email_one_is_not_on",
        Visible(
            "Thank, this is really helpful.\n\nOne outstanding question I had:\n\nLocally (on development), when I run...",
        ),
    ),
    (
        "email_reply_header",
        Holds(
            &[
                "This is the latest reply.",
                "On the other hand, it could happen TWICE!",
                "\n\nStranger",
            ],
            &[
                "Hey, Stranger",
                "My name is Stranger",
                "mrmister again",
                "Mister Example",
            ],
        ),
    ),
    (
        "email_sent_from",
        Visible(
            "Hi it can happen to any texts you type, as long as you type in between words or paragraphs.",
        ),
    ),
    (
        "email_sent_from_my_not_signature",
        Visible("Here is another email\n\nSent from my desk, is much easier then my mobile phone."),
    ),
    (
        "email_thread",
        Visible("This is new email reply in thread from bellow."),
    ),
    ("email_tricky_1_on_false_positive", Whole),
    (
        "email_tricky_2_url_with_wrote",
        Holds(
            &[
                "Check out this article",
                "https://example.com/blog/on-date-someone-wrote-about-parsing",
                "in them.",
            ],
            &[],
        ),
    ),
    (
        "email_tricky_3_code_block",
        Holds(
            &[
                "function sendEmail",
                "// Sent from my custom mailer",
                "Notice how the code contains",
            ],
            &[],
        ),
    ),
    ("email_tricky_4_from_in_body", Whole),
    ("email_tricky_6_regards_in_sentence", Whole),
    ("email_tricky_7_multiple_dashes", Whole),
    ("email_tricky_8_sent_from_in_content", Whole),
    (
        "email_tricky_9_nested_quotes",
        Visible("I agree with the points below."),
    ),
    (
        "email_tricky_11_double_signature",
        Holds(
            &["Thanks for your help!"],
            &["Senior Developer", "Sent from my iPhone"],
        ),
    ),
    ("email_tricky_13_timestamp_variations", Whole),
    (
        "email_tricky_16_unicode_signatures",
        Holds(&["Thanks for the update!"], &[]),
    ),
    (
        "email_tricky_17_forward_header",
        Holds(
            &[
                "See the forwarded message below.",
                "This is the forwarded content",
            ],
            &[],
        ),
    ),
    (
        "email_tricky_18_inline_reply",
        Holds(
            &["I think option A is great.", "Option C is not suitable"],
            &[],
        ),
    ),
    ("email_tricky_19_quote_without_header", Whole),
    (
        "email_tricky_20_html_entities",
        Visible(
            "The data should be &gt; 100 and &lt; 200.\n\nWe need to ensure that &amp; symbols are handled correctly.",
        ),
    ),
    ("email_unquoted_reply", Visible("This is my reply.")),
    ("email_with_date_headers", Whole),
    ("email_with_from_headers", Whole),
    (
        "email_with_regards",
        Visible("Hi,\n\nI still have the same problem....\n\nCan you help?"),
    ),
    (
        "email_zoho",
        Visible(
            "What is the best way to clear a Riak bucket of all key, values after\nrunning a test?",
        ),
    ),
    (
        "sig_no_empty_line",
        Visible("this is an email with a signature with no empty line above."),
    ),
];

/// Fixtures we fold differently from crisp, and why. email_7: the quote ends with an unquoted
/// line right under a full sentence ("…quis orci.\nrhoncus tortor in."); we cannot tell it from
/// an answer typed under the quote, and showing a line too many beats hiding an answer.
const KNOWN_MISSES: &[&str] = &["email_7"];

fn normalise(s: &str) -> String {
    s.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[test]
fn crisp_reply_bodies() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crisp");
    let mut fixtures: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".txt").map(str::to_string))
        .collect();
    fixtures.sort();
    assert_eq!(fixtures.len(), 90, "crisp has 90 reply bodies");

    let (mut passed, mut failed) = (0, Vec::new());
    for name in &fixtures {
        let text = std::fs::read_to_string(dir.join(format!("{name}.txt"))).expect("utf-8 fixture");
        let text = text.replace("\r\n", "\n");
        let (visible, folded) = trustdesk_channels::email::split_reply(&text);
        // Nothing is lost: the two parts are the text, less the blank lines between them.
        assert!(
            text.starts_with(visible) && text.ends_with(folded),
            "{name}"
        );
        let visible_n = normalise(visible);
        let expectation = EXPECTATIONS.iter().find(|(n, _)| n == name).map(|(_, e)| e);
        let ok = match expectation {
            Some(Visible(v)) => visible_n == normalise(v),
            Some(Whole) => visible_n == normalise(&text),
            Some(Holds(all, none)) => {
                all.iter().all(|s| visible.contains(s)) && none.iter().all(|s| !visible.contains(s))
            }
            // Every other fixture is a reply whose new text is crisp's common first fragment.
            None => {
                assert!(text.contains(COMMON), "{name} has no expectation");
                visible_n == COMMON
            }
        };
        if ok {
            passed += 1;
        } else {
            failed.push(name.clone());
            println!("  miss {name}: visible {visible:?}");
        }
    }
    let rate = 100.0 * passed as f64 / fixtures.len() as f64;
    println!(
        "crisp: {passed}/{} reply bodies fold as expected ({rate:.1} %)",
        fixtures.len()
    );
    assert_eq!(
        failed, KNOWN_MISSES,
        "the misses changed: fix the folding or the list"
    );
}
