//! Message bodies that arrive as HTML: sanitised with ammonia before they are stored (no
//! scripts, handlers, styles that can overlay the page, or `javascript:` links survive), and
//! turned into plain text when no text came with them — search and e-mail need text.

use std::sync::OnceLock;

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        // Links open outside the desk and tell the target nothing about it.
        b.link_rel(Some("noopener noreferrer nofollow"));
        b
    })
}

/// The HTML with everything unsafe removed.
pub fn sanitize(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

/// Readable plain text of (already sanitised) HTML: paragraphs and line breaks kept, tags gone.
pub fn to_text(html: &str) -> String {
    // A very wide width: lines are broken where the HTML breaks them, not to fit a terminal.
    let text = html2text::config::plain_no_decorate()
        .string_from_read(html.as_bytes(), 10_000)
        .unwrap_or_else(|_| {
            // Only reachable for HTML html2text cannot lay out; the tags-stripped form is
            // still searchable.
            ammonia::Builder::empty().clean(html).to_string()
        });
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_what_could_run() {
        let dirty = r#"<p onclick="steal()">Hi <b>Ana</b><script>alert(1)</script>
            <a href="javascript:alert(1)">x</a> <a href="https://shop.example/o/1">order</a>
            <img src=x onerror=alert(1)><iframe src="https://evil.example"></iframe></p>"#;
        let clean = sanitize(dirty);
        for bad in [
            "script",
            "onclick",
            "onerror",
            "javascript:",
            "iframe",
            "alert",
        ] {
            assert!(!clean.contains(bad), "{bad} survived in {clean}");
        }
        assert!(clean.contains("<b>Ana</b>"));
        assert!(
            clean.contains(r#"rel="noopener noreferrer nofollow""#),
            "{clean}"
        );
    }

    #[test]
    fn text_from_html() {
        let text = to_text(&sanitize(
            "<p>Dzień dobry,</p><p>where is <b>order&nbsp;1043</b>?<br>Thanks &amp; bye</p>",
        ));
        assert!(text.starts_with("Dzień dobry,"), "{text}");
        assert!(text.contains("where is order"), "{text}");
        assert!(text.contains("1043?\nThanks & bye"), "{text}");
        assert!(!text.contains('<'), "{text}");
    }
}
