//! Checks on request values that serde alone cannot make: free text the databases can store,
//! message bodies, attachments, page sizes. Every failure names the field.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sha2::{Digest, Sha256};
use trustdesk_domain::Tag;
use trustdesk_store::{AttachmentMeta, PageRequest};

use super::model::AttachmentInput;
use crate::error::ApiError;
use crate::html;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_CHANNEL_MESSAGE_ID_CHARS: usize = 998;
pub const MAX_TAGS: usize = 50;
pub const MAX_ATTACHMENTS: usize = 20;
const MAX_FILENAME_CHARS: usize = 255;
const MAX_CONTENT_TYPE_LEN: usize = 255;

/// Free text that every backend can store: PostgreSQL refuses NUL in text.
pub fn check_text(field: &str, value: &str) -> Result<(), ApiError> {
    if value.contains('\0') {
        return Err(ApiError::invalid_field(
            field,
            "must not contain NUL characters",
        ));
    }
    Ok(())
}

/// An optional short one-line text (names): trimmed, empty means none.
pub fn short_text(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    check_text(field, &v)?;
    if v.chars().any(|c| c.is_control()) {
        return Err(ApiError::invalid_field(
            field,
            "must be one line without control characters",
        ));
    }
    let t = v.trim();
    if t.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid_field(
            field,
            format!("at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

pub fn channel_message_id(value: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    let field = "channel_message_id";
    check_text(field, &v)?;
    let t = v.trim();
    if t.is_empty()
        || t.chars().count() > MAX_CHANNEL_MESSAGE_ID_CHARS
        || t.chars().any(char::is_control)
    {
        return Err(ApiError::invalid_field(
            field,
            format!("1-{MAX_CHANNEL_MESSAGE_ID_CHARS} characters on one line"),
        ));
    }
    Ok(Some(t.to_owned()))
}

/// The tags, de-duplicated and sorted.
pub fn tags(field: &str, mut tags: Vec<Tag>) -> Result<Vec<Tag>, ApiError> {
    tags.sort();
    tags.dedup();
    if tags.len() > MAX_TAGS {
        return Err(ApiError::invalid_field(
            field,
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    Ok(tags)
}

/// A message's text and sanitised HTML. The text comes from `body`, or from the HTML when
/// there is no body. `allow_empty` is for messages that carry attachments.
pub fn message_body(
    body: Option<String>,
    html_in: Option<String>,
    allow_empty: bool,
) -> Result<(String, Option<String>), ApiError> {
    if let Some(b) = &body {
        check_text("body", b)?;
    }
    if let Some(h) = &html_in {
        check_text("html", h)?;
    }
    let html = html_in
        .as_deref()
        .filter(|h| !h.trim().is_empty())
        .map(html::sanitize);
    let text = match body {
        Some(b) if !b.trim().is_empty() => b,
        _ => html.as_deref().map(html::to_text).unwrap_or_default(),
    };
    if text.trim().is_empty() && !allow_empty {
        let field = if html_in.is_some() { "html" } else { "body" };
        return Err(ApiError::invalid_field(
            field,
            "a message needs text: `body`, or `html` with some text in it",
        ));
    }
    Ok((text, html))
}

/// A page size: `default` when absent, otherwise 1..=`max`.
pub fn limit(raw: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid_field(
            "limit",
            format!("`{}` is not a number from 1 to {max}", shown(raw)),
        )),
    }
}

pub fn page(limit_raw: Option<&str>, before: Option<i64>) -> Result<PageRequest, ApiError> {
    Ok(PageRequest {
        limit: limit(limit_raw, 50, PageRequest::MAX_LIMIT)?,
        before,
    })
}

/// A value as echoed in an error: at most 64 characters.
pub fn shown(s: &str) -> String {
    s.chars().take(64).collect()
}

/// A query parameter parsed by `FromStr`, its error naming the parameter.
pub fn param<T: std::str::FromStr>(name: &str, raw: Option<&str>) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    raw.map(|r| {
        r.parse::<T>()
            .map_err(|e| ApiError::invalid_field(name, e.to_string()))
    })
    .transpose()
}

/// An attachment, decoded and checked; its bytes go to the blob store under `meta.sha256`.
pub struct DecodedAttachment {
    pub meta: AttachmentMeta,
    pub bytes: Vec<u8>,
}

const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes and hashes the attachments. CPU-heavy for large files: call off the async threads.
pub fn attachments(
    inputs: Vec<AttachmentInput>,
    max_size: u64,
) -> Result<Vec<DecodedAttachment>, ApiError> {
    if inputs.len() > MAX_ATTACHMENTS {
        return Err(ApiError::invalid_field(
            "attachments",
            format!("at most {MAX_ATTACHMENTS} attachments per message"),
        ));
    }
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, a)| attachment(i, a, max_size))
        .collect()
}

fn attachment(i: usize, a: AttachmentInput, max_size: u64) -> Result<DecodedAttachment, ApiError> {
    let field = |name: &str| format!("attachments[{i}].{name}");
    let filename = filename(&a.filename).ok_or_else(|| {
        ApiError::invalid_field(
            field("filename"),
            format!("1-{MAX_FILENAME_CHARS} characters without control characters"),
        )
    })?;
    let content_type = content_type(&a.content_type).ok_or_else(|| {
        ApiError::invalid_field(
            field("content_type"),
            format!(
                "`{}` is not a media type like application/pdf",
                shown(&a.content_type)
            ),
        )
    })?;
    let too_large = || {
        ApiError::payload_too_large(format!(
            "attachments[{i}] is larger than the {max_size} bytes an attachment may have"
        ))
    };
    // Refuse before decoding: base64 carries 3 bytes in 4 characters.
    if (a.content_base64.len() as u64 / 4).saturating_mul(3) > max_size.saturating_add(3) {
        return Err(too_large());
    }
    let encoded: std::borrow::Cow<'_, str> =
        if a.content_base64.bytes().any(|b| b.is_ascii_whitespace()) {
            a.content_base64
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect::<String>()
                .into()
        } else {
            a.content_base64.as_str().into()
        };
    let bytes = BASE64.decode(encoded.as_bytes()).map_err(|e| {
        ApiError::invalid_field(field("content_base64"), format!("not valid base64 ({e})"))
    })?;
    if bytes.len() as u64 > max_size {
        return Err(too_large());
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(DecodedAttachment {
        meta: AttachmentMeta {
            sha256,
            filename,
            content_type,
            size: bytes.len() as i64,
        },
        bytes,
    })
}

/// The last path component, trimmed; no control characters, at most 255 characters.
fn filename(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let ok = !base.is_empty()
        && base != "."
        && base != ".."
        && base.chars().count() <= MAX_FILENAME_CHARS
        && !base.chars().any(char::is_control);
    ok.then(|| base.to_owned())
}

/// `type/subtype` with optional parameters, lower-cased; printable ASCII only.
fn content_type(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty()
        || t.len() > MAX_CONTENT_TYPE_LEN
        || !t.bytes().all(|b| (0x20..0x7f).contains(&b))
    {
        return None;
    }
    let essence = t.split(';').next()?.trim();
    let (ty, sub) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    (token(ty) && token(sub)).then(|| t.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, ct: &str, b64: &str) -> AttachmentInput {
        AttachmentInput {
            filename: name.into(),
            content_type: ct.into(),
            content_base64: b64.into(),
        }
    }

    #[test]
    fn attachments_are_decoded_hashed_and_checked() {
        let a = attachments(
            vec![input("../../etc/x.txt", "Text/Plain", "aGVsbG8=")],
            100,
        )
        .unwrap();
        assert_eq!(a[0].bytes, b"hello");
        assert_eq!(a[0].meta.filename, "x.txt");
        assert_eq!(a[0].meta.content_type, "text/plain");
        assert_eq!(
            a[0].meta.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        // No padding and line breaks are fine.
        let a = attachments(vec![input("x", "text/plain", "aGVs\nbG8")], 100).unwrap();
        assert_eq!(a[0].bytes, b"hello");

        let e = |r: Result<Vec<DecodedAttachment>, ApiError>| {
            let e = r.err().unwrap();
            (e.code(), format!("{e:?}"))
        };
        let (code, dbg) = e(attachments(vec![input("x", "text/plain", "!!!")], 100));
        assert_eq!(code, "validation_failed");
        assert!(dbg.contains("attachments[0].content_base64"), "{dbg}");
        let (code, _) = e(attachments(vec![input("x", "text/plain", "aGVsbG8=")], 4));
        assert_eq!(code, "payload_too_large");
        let (code, _) = e(attachments(
            vec![input("x", "text/plain", &"A".repeat(4000))],
            100,
        ));
        assert_eq!(code, "payload_too_large");
        let (_, dbg) = e(attachments(vec![input("..", "text/plain", "")], 100));
        assert!(dbg.contains("attachments[0].filename"), "{dbg}");
        let (_, dbg) = e(attachments(vec![input("a", "text plain", "")], 100));
        assert!(dbg.contains("attachments[0].content_type"), "{dbg}");
    }

    #[test]
    fn message_bodies() {
        let (text, html) =
            message_body(None, Some("<p>Hi<script>x</script></p>".into()), false).unwrap();
        assert_eq!(text, "Hi");
        assert_eq!(html.as_deref(), Some("<p>Hi</p>"));
        assert!(message_body(Some("  ".into()), None, false).is_err());
        assert!(message_body(None, Some("<p> </p>".into()), false).is_err());
        assert!(message_body(None, None, true).is_ok());
        assert!(message_body(Some("a\0b".into()), None, false).is_err());
    }

    #[test]
    fn limits_and_names() {
        assert_eq!(limit(None, 50, 500).unwrap(), 50);
        assert_eq!(limit(Some("500"), 50, 500).unwrap(), 500);
        for bad in ["0", "501", "-1", "ten", ""] {
            assert_eq!(
                limit(Some(bad), 50, 500).unwrap_err().code(),
                "validation_failed"
            );
        }
        assert_eq!(
            short_text("name", Some("  Ana ".into()))
                .unwrap()
                .as_deref(),
            Some("Ana")
        );
        assert_eq!(short_text("name", Some("  ".into())).unwrap(), None);
        assert!(short_text("name", Some("a\nb".into())).is_err());
    }
}
