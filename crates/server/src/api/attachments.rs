//! Attachment downloads. Bytes that came from customers are never rendered by the browser on
//! our origin: always a download, never sniffed, and active types (HTML, SVG, XML, scripts)
//! are sent as opaque bytes.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use trustdesk_domain::{AttachmentId, TicketId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Reader;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, PathId};
use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download))
}

/// Download an attachment
///
/// Always `Content-Disposition: attachment` with `X-Content-Type-Options: nosniff` and a
/// sandboxing Content-Security-Policy; types a browser could execute are sent as
/// `application/octet-stream`.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/attachments/{attachment}",
    tag = "tickets",
    params(
        ("id" = String, Path, description = "A ticket id, `tkt_…`"),
        ("attachment" = String, Path, description = "An attachment id, `att_…`"),
    ),
    responses(
        (status = 200, description = "The attachment's bytes", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "`ticket_not_found`, `attachment_not_found`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(ticket = %ids.0, attachment = %ids.1), err(Display, level = "debug"))]
async fn download(
    State(app): State<AppState>,
    Reader(_caller): Reader,
    ApiPath(ids): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let ticket = TicketId::from_path(&ids.0)?;
    let attachment = AttachmentId::from_path(&ids.1)?;
    // The store finds attachments through their message; the thread is the way there.
    let thread = app.store().get_thread(ticket).await?;
    let meta = thread
        .messages
        .into_iter()
        .flat_map(|m| m.attachments)
        .find(|a| a.id == attachment)
        .map(|a| a.meta)
        .ok_or_else(|| {
            ApiError::not_found(
                "attachment_not_found",
                format!("no attachment {attachment} on ticket {ticket}"),
            )
        })?;
    let bytes = app.store().get_blob(&meta.sha256).await?;
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        served_content_type(&meta.content_type),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(&meta.filename),
    );
    download_only(h);
    Ok(res)
}

/// The headers that keep a stranger's bytes a download: never sniffed, never rendered with our
/// origin's rights, never cached by shared caches.
pub(super) fn download_only(h: &mut axum::http::HeaderMap) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
}

/// The stored type when it is passive content, else `application/octet-stream`.
fn served_content_type(stored: &str) -> HeaderValue {
    let essence = stored.split(';').next().unwrap_or("").trim();
    let passive = matches!(
        essence,
        "image/png"
            | "image/jpeg"
            | "image/gif"
            | "image/webp"
            | "image/avif"
            | "image/bmp"
            | "image/tiff"
            | "application/pdf"
            | "text/plain"
            | "text/csv"
            | "application/zip"
            | "application/gzip"
            | "application/msword"
            | "application/vnd.ms-excel"
    ) || essence.starts_with("audio/")
        || essence.starts_with("video/")
        || essence.starts_with("application/vnd.openxmlformats-officedocument.")
        || essence.starts_with("application/vnd.oasis.opendocument.");
    if passive {
        HeaderValue::from_str(stored)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
    } else {
        HeaderValue::from_static("application/octet-stream")
    }
}

/// `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded` (RFC 6266).
fn content_disposition(filename: &str) -> HeaderValue {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_content_is_never_served_as_itself() {
        for t in [
            "text/html",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/javascript",
            "application/xml",
            "TEXT/HTML",
        ] {
            assert_eq!(served_content_type(t), "application/octet-stream", "{t}");
        }
        assert_eq!(served_content_type("image/png"), "image/png");
        assert_eq!(
            served_content_type("text/plain; charset=utf-8"),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn dispositions_are_always_attachments_and_escape_names() {
        let d = content_disposition("faktura \"1043\".pdf");
        assert_eq!(
            d,
            "attachment; filename=\"faktura _1043_.pdf\"; filename*=UTF-8''faktura%20%221043%22.pdf"
        );
        let d = content_disposition("zdjęcie.jpg");
        assert!(
            d.to_str()
                .unwrap()
                .contains("filename*=UTF-8''zdj%C4%99cie.jpg")
        );
    }
}
