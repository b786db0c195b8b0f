//! Request extractors that turn every kind of bad input into an [`ApiError`] with a clear code:
//! axum's own rejections answer in plain text, which no client can act on.

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use trustdesk_domain::{AttachmentId, CustomerId, QuarantineId, TicketId};

use crate::error::{ApiError, trim_serde_message};

/// A JSON request body: `Content-Type: application/json` (415 otherwise), within the route's
/// size limit (413), UTF-8 (400 `invalid_utf8`), well-formed (400 `malformed_json`), and of the
/// right shape (422 `validation_failed` naming the field).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large("the request body is larger than this route accepts")
            } else {
                ApiError::bad_request("unreadable_body", "the request body could not be read")
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(ct) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .split_once('/')
            .is_some_and(|(t, s)| t.eq_ignore_ascii_case("application") && s.ends_with("+json"))
}

/// Parses a JSON body. The fast path is plain serde; only a body that fails is parsed a second
/// time with path tracking, to name the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ApiError::bad_request(
            "invalid_utf8",
            format!(
                "the request body is not valid UTF-8 (at byte {})",
                e.valid_up_to()
            ),
        )
    })?;
    match serde_json::from_str::<T>(text) {
        Ok(v) => Ok(v),
        Err(e) => Err(json_error::<T>(text, &e)),
    }
}

fn json_error<T: DeserializeOwned>(text: &str, e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::bad_request(
            "malformed_json",
            format!("the request body is not valid JSON: {e}"),
        ),
        Category::Data => {
            // serde stops at the first wrong field; a document that is also malformed further
            // on is reported as malformed.
            if let Err(syntax) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
                return ApiError::bad_request(
                    "malformed_json",
                    format!("the request body is not valid JSON: {syntax}"),
                );
            }
            let mut de = serde_json::Deserializer::from_str(text);
            let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(pe) => (pe.path().to_string(), pe.inner().to_string()),
                Ok(_) => (String::new(), e.to_string()),
            };
            let path = if path == "." { String::new() } else { path };
            let message = trim_serde_message(&message).into_owned();
            let field = match named_field(&message) {
                // Missing and unknown fields are reported at the object holding them.
                Some(name) if path.is_empty() => name.to_owned(),
                Some(name) if !path.ends_with(name) => format!("{path}.{name}"),
                _ if path.is_empty() => "body".to_owned(),
                _ => path,
            };
            ApiError::invalid_field(field, message)
        }
    }
}

/// The field serde names in "missing field `x`" / "unknown field `x`, expected …".
fn named_field(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    rest.split_once('`').map(|(name, _)| name)
}

/// A query string parsed into `T` (whose fields are raw strings the handler parses, so each
/// value error names its parameter). Percent-encoded bytes must decode to UTF-8.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        if !percent_decodes_to_utf8(query) {
            return Err(ApiError::bad_request(
                "invalid_query",
                "the query string is not valid percent-encoded UTF-8",
            ));
        }
        serde_urlencoded::from_str::<T>(query)
            .map(ApiQuery)
            .map_err(|e| {
                ApiError::bad_request(
                    "invalid_query",
                    format!(
                        "invalid query string: {}",
                        trim_serde_message(&e.to_string())
                    ),
                )
            })
    }
}

/// Whether every `%XX` escape is well-formed and the decoded bytes are UTF-8 (`+` is a space).
fn percent_decodes_to_utf8(s: &str) -> bool {
    let bytes = s.as_bytes();
    if !bytes.contains(&b'%') {
        return true;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                _ => return false,
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    std::str::from_utf8(&out).is_ok()
}

/// A typed id as it appears in a URL path. A malformed id names nothing that exists: 404.
pub trait PathId: FromStr + Sized {
    const WHAT: &'static str;
    const NOT_FOUND: &'static str;

    fn from_path(raw: &str) -> Result<Self, ApiError> {
        raw.parse().map_err(|_| {
            let shown: String = raw.chars().take(64).collect();
            ApiError::not_found(Self::NOT_FOUND, format!("no {} {shown}", Self::WHAT))
        })
    }
}

impl PathId for TicketId {
    const WHAT: &'static str = "ticket";
    const NOT_FOUND: &'static str = "ticket_not_found";
}

impl PathId for CustomerId {
    const WHAT: &'static str = "customer";
    const NOT_FOUND: &'static str = "customer_not_found";
}

impl PathId for QuarantineId {
    const WHAT: &'static str = "quarantined mail";
    const NOT_FOUND: &'static str = "quarantined_mail_not_found";
}

impl PathId for AttachmentId {
    const WHAT: &'static str = "attachment";
    const NOT_FOUND: &'static str = "attachment_not_found";
}

/// Path parameters as raw strings; axum's rejection (bad percent-encoding) becomes a 400.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| ApiError::bad_request("invalid_path", "the URL path is malformed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        email: trustdesk_domain::EmailAddress,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        subject: String,
        customer: Inner,
        #[serde(default)]
        tags: Vec<trustdesk_domain::Tag>,
    }

    fn err(body: &[u8]) -> (StatusCode, &'static str, String) {
        let e = parse_json::<Outer>(body).unwrap_err();
        (e.status(), e.code(), format!("{e:?}"))
    }

    #[test]
    fn classifies_bad_bodies() {
        assert_eq!(err(b"{\"subject\": ").1, "malformed_json");
        assert_eq!(err(br#"{"subject" "x"}"#).1, "malformed_json");
        assert_eq!(err(b"[1,2]").1, "validation_failed");
        assert_eq!(err(b"{\"subject\": \"\xff\"}").1, "invalid_utf8");

        let (status, code, dbg) = err(br#"{"subject": "s", "customer": {"email": "nope"}}"#);
        assert_eq!(
            (status, code),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
        );
        assert!(dbg.contains("customer.email"), "{dbg}");
        assert!(!dbg.contains("line 1"), "{dbg}");

        let (_, code, dbg) =
            err(br#"{"subject": "s", "customer": {"email": "a@b.example"}, "x": 1}"#);
        assert_eq!(code, "validation_failed");
        assert!(
            dbg.contains("unknown field `x`") && dbg.contains("field: Some(\"x\")"),
            "{dbg}"
        );
        let (_, _, dbg) = err(br#"{"subject": "s", "customer": {"email": "a@b.example", "y": 1}}"#);
        assert!(dbg.contains("field: Some(\"customer.y\")"), "{dbg}");

        let (_, _, dbg) =
            err(br#"{"subject": "s", "customer": {"email": "a@b.example"}, "tags": ["ok", "two words"]}"#);
        assert!(dbg.contains("tags[1]"), "{dbg}");

        let (_, _, dbg) = err(br#"{"customer": {"email": "a@b.example"}}"#);
        assert!(dbg.contains("missing field `subject`"), "{dbg}");
        assert!(dbg.contains("field: Some(\"subject\")"), "{dbg}");
        let (_, _, dbg) = err(br#"{"subject": "s", "customer": {}}"#);
        assert!(dbg.contains("field: Some(\"customer.email\")"), "{dbg}");
    }

    #[test]
    fn content_types() {
        let v = |s: &'static str| header::HeaderValue::from_static(s);
        assert!(is_json(Some(&v("application/json"))));
        assert!(is_json(Some(&v("application/json; charset=utf-8"))));
        assert!(is_json(Some(&v("application/merge-patch+json"))));
        assert!(!is_json(Some(&v("text/plain"))));
        assert!(!is_json(None));
    }

    #[test]
    fn percent_encoding() {
        assert!(percent_decodes_to_utf8("q=zwrot+pieni%C4%99dzy"));
        assert!(!percent_decodes_to_utf8("q=%FF"));
        assert!(!percent_decodes_to_utf8("q=%4"));
        assert!(!percent_decodes_to_utf8("q=%zz"));
    }
}
