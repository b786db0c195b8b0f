//! HTML bodies made safe to show an agent, and turned into text when a mail has no text part.
//! Safe means: no script, no event handlers, no forms, and nothing that loads from the network
//! when the mail is opened (remote images and CSS are tracking pixels); images the mail carries
//! itself stay addressable by `cid:`.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Lines are not re-wrapped: the text is stored and searched, and the UI wraps for display.
const TEXT_WIDTH: usize = 10_000;

/// HTML nested deeper than this is never handed to an HTML parser: html5ever's tree building
/// grows quadratically with the depth of open elements (50 000 nested divs take minutes) and
/// html2text walks the tree recursively. Real mail stays far below; such a body is shown as
/// escaped text from the tag stripper instead.
const MAX_NESTING: usize = 400;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "font", "center", "span", "div", "u", "s", "strike", "small", "big",
    ])
    .add_generic_attributes(["align", "valign", "width", "height", "dir", "style"])
    .add_tag_attributes("font", ["color", "face", "size"])
    .add_tag_attributes("table", ["border", "cellpadding", "cellspacing", "bgcolor"])
    .add_tag_attributes("td", ["bgcolor", "nowrap"])
    .add_tag_attributes("th", ["bgcolor", "nowrap"])
    .add_tag_attributes("tr", ["bgcolor"])
    .add_tag_attributes("img", ["alt", "src", "title"])
    .url_schemes(HashSet::from([
        "http", "https", "mailto", "tel", "cid", "data",
    ]))
    .link_rel(Some("noopener noreferrer nofollow"))
    // Only properties that cannot name a URL: no background(-image), no list-style-image,
    // no content, no cursor, no @import. Remote CSS would load on open.
    .filter_style_properties(HashSet::from([
        "color",
        "background-color",
        "font",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "text-align",
        "text-decoration",
        "text-indent",
        "text-transform",
        "line-height",
        "letter-spacing",
        "white-space",
        "vertical-align",
        "margin",
        "margin-top",
        "margin-bottom",
        "margin-left",
        "margin-right",
        "padding",
        "padding-top",
        "padding-bottom",
        "padding-left",
        "padding-right",
        "border",
        "border-color",
        "border-style",
        "border-width",
        "border-collapse",
        "width",
        "height",
        "max-width",
        "min-width",
        "display",
    ]))
    .attribute_filter(|element, attribute, value| match (element, attribute) {
        ("img", "src") => {
            let v = value.trim();
            let lower = v.to_ascii_lowercase();
            if lower.starts_with("cid:") || is_inline_raster_image(&lower) {
                Some(v.to_string().into())
            } else {
                // Remote images are tracking pixels; dropping src leaves the alt text.
                None
            }
        }
        // data: URLs are only for embedded raster images, never links (phishing pages).
        (_, "href") if value.trim_start().to_ascii_lowercase().starts_with("data:") => None,
        _ => Some(value.into()),
    });
    b
});

fn is_inline_raster_image(lower: &str) -> bool {
    [
        "data:image/png",
        "data:image/jpeg",
        "data:image/gif",
        "data:image/webp",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// Sanitises an HTML body for display: no script, style sheets, event handlers, forms, frames
/// or remote resources; `cid:` and embedded raster images stay.
pub fn sanitize_html(html: &str) -> String {
    if nesting_depth(html) > MAX_NESTING {
        return escape_as_pre(&tidy(&strip_tags(html)));
    }
    SANITIZER.clean(html).to_string()
}

/// Plain text as HTML that shows it verbatim.
pub(crate) fn escape_as_pre(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str("<pre>");
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out.push_str("</pre>");
    out
}

/// Turns an HTML body into readable text: paragraphs and line breaks kept, links as
/// `text [url]` footnotes dropped, tables laid out, entities decoded.
pub fn html_to_text(html: &str) -> String {
    if nesting_depth(html) <= MAX_NESTING {
        let rendered = html2text::config::plain_no_decorate()
            .no_table_borders()
            .link_footnotes(false)
            .allow_width_overflow()
            .string_from_read(html.as_bytes(), TEXT_WIDTH);
        if let Ok(text) = rendered {
            return tidy(&text);
        }
    }
    tidy(&strip_tags(html))
}

/// A rough count of open elements, enough to refuse pathological nesting before layout.
fn nesting_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'<' {
            let next = bytes[i + 1];
            if next == b'/' {
                depth = depth.saturating_sub(1);
            } else if next.is_ascii_alphabetic() {
                let name_end = bytes[i + 1..]
                    .iter()
                    .position(|b| !b.is_ascii_alphanumeric())
                    .map_or(bytes.len(), |p| i + 1 + p);
                let name = html[i + 1..name_end].to_ascii_lowercase();
                let void = matches!(
                    name.as_str(),
                    "br" | "img"
                        | "hr"
                        | "meta"
                        | "link"
                        | "input"
                        | "area"
                        | "base"
                        | "col"
                        | "wbr"
                        | "source"
                        | "p"
                        | "li"
                        | "td"
                        | "tr"
                        | "th"
                        | "option"
                );
                if !void {
                    depth += 1;
                    max = max.max(depth);
                }
            }
        }
        i += 1;
    }
    max
}

/// The fallback conversion: tags out, block tags to line breaks, entities decoded.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            out.push_str(&decode_entities(&rest[..lt]));
        }
        let after = &rest[lt..];
        let gt = after.find('>').map_or(after.len(), |p| p + 1);
        let tag = after[..gt].to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('<')
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if let Some(end) = skip_until {
            if tag.starts_with("</") && name == end {
                skip_until = None;
            }
        } else if matches!(name.as_str(), "script" | "style" | "head" | "title")
            && !tag.starts_with("</")
        {
            skip_until = Some(match name.as_str() {
                "script" => "script",
                "style" => "style",
                "head" => "head",
                _ => "title",
            });
        } else if matches!(
            name.as_str(),
            "br" | "p"
                | "div"
                | "tr"
                | "li"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "table"
                | "blockquote"
                | "pre"
                | "hr"
        ) {
            out.push('\n');
        }
        rest = &after[gt..];
    }
    if skip_until.is_none() {
        out.push_str(&decode_entities(rest));
    }
    out
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let ent = &after[..e];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                    u32::from_str_radix(&ent[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Trailing spaces off every line (html2text pads), non-breaking spaces to spaces, no more than
/// one empty line in a row, no leading or trailing empty lines.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.replace('\u{a0}', " ");
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run > 0 {
                out.push('\n');
            }
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_remote_images_go_cid_images_stay() {
        let html = r#"<p onclick="steal()">Hi<script>alert(1)</script></p>
            <img src="http://tracker.example/p.gif" alt="logo">
            <img src="cid:part1.abc@x" alt="photo">
            <a href="javascript:alert(1)">x</a>
            <a href="https://shop.example/o/1">order</a>
            <div style="color: red; background-image: url(http://t.example/x.png)">styled</div>
            <iframe src="https://evil.example"></iframe><form action="/x"><input></form>"#;
        let clean = sanitize_html(html);
        assert!(
            !clean.contains("script") && !clean.contains("alert"),
            "{clean}"
        );
        assert!(!clean.contains("onclick"), "{clean}");
        assert!(!clean.contains("tracker.example"), "{clean}");
        assert!(clean.contains(r#"src="cid:part1.abc@x""#), "{clean}");
        assert!(clean.contains(r#"alt="logo""#), "{clean}");
        assert!(!clean.contains("javascript"), "{clean}");
        assert!(clean.contains("https://shop.example/o/1"), "{clean}");
        assert!(
            clean.contains("color:red") || clean.contains("color: red"),
            "{clean}"
        );
        assert!(!clean.contains("t.example"), "{clean}");
        assert!(
            !clean.contains("iframe") && !clean.contains("<form"),
            "{clean}"
        );
    }

    #[test]
    fn data_links_are_dropped_but_embedded_images_stay() {
        let clean = sanitize_html(
            r#"<a href="data:text/html;base64,PHNjcmlwdD4=">x</a><img src="data:image/png;base64,iVBORw0KGgo=">"#,
        );
        assert!(!clean.contains("data:text"), "{clean}");
        assert!(clean.contains("data:image/png"), "{clean}");
        let svg = sanitize_html(r#"<img src="data:image/svg+xml;base64,PHN2Zz4=">"#);
        assert!(!svg.contains("svg"), "{svg}");
    }

    #[test]
    fn html_becomes_readable_text() {
        let text = html_to_text(
            "<html><head><style>p{color:red}</style></head><body><p>Dzień dobry,</p>\
             <p>zamówienie <b>#1043</b> nie dotarło&nbsp;&amp; proszę o zwrot.</p>\
             <table><tr><td>Produkt</td><td>Cena</td></tr></table><br>Pozdrawiam</body></html>",
        );
        assert!(text.starts_with("Dzień dobry,"), "{text}");
        assert!(
            text.contains("zamówienie #1043 nie dotarło & proszę o zwrot."),
            "{text}"
        );
        assert!(text.contains("Produkt") && text.contains("Cena"), "{text}");
        assert!(text.trim_end().ends_with("Pozdrawiam"), "{text}");
        assert!(!text.contains("color:red"), "{text}");
    }

    #[test]
    fn pathological_nesting_falls_back_to_the_tag_stripper() {
        let html = format!("{}deep{}", "<div>".repeat(50_000), "</div>".repeat(50_000));
        assert_eq!(html_to_text(&html), "deep");
        assert_eq!(sanitize_html(&html), "<pre>deep</pre>");
        let unclosed = format!("{}x", "<b>".repeat(100_000));
        assert_eq!(html_to_text(&unclosed), "x");
    }

    #[test]
    fn strip_tags_decodes_entities_and_skips_scripts() {
        assert_eq!(
            tidy(&strip_tags(
                "<p>a &lt;b&gt; &#x41;&#66;</p><script>x()</script><p>c &bogus; d</p>"
            )),
            "a <b> AB\n\nc &bogus; d"
        );
    }
}
