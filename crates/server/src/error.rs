//! The one error every handler returns: an HTTP status, a stable machine `code` and a `detail`
//! a person can act on. Storage failures and bugs are logged here and leave as an opaque 500,
//! so nothing internal (SQL, paths, hosts) ever reaches a client.

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use trustdesk_store::StoreError;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "ticket_not_found", "detail": "no ticket tkt_1z"}))]
pub struct ErrorBody {
    /// Stable and machine-readable: `malformed_json`, `unauthenticated`, `forbidden`,
    /// `ticket_not_found`, `identity_taken`, `payload_too_large`, `validation_failed`, ….
    #[schema(value_type = String)]
    pub code: &'static str,
    /// What went wrong, for a person.
    pub detail: String,
    /// For `validation_failed`: the request field at fault (`customer.email`,
    /// `attachments[0].content_base64`, `limit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code,
                detail: detail.into(),
                field: None,
            },
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, detail)
    }

    pub fn payload_too_large(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", detail)
    }

    /// 422 naming the request field at fault.
    pub fn invalid_field(field: impl Into<String>, detail: impl Into<String>) -> ApiError {
        let field = field.into();
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("{field}: {}", detail.into()),
        );
        if !field.is_empty() {
            e.body.field = Some(field);
        }
        e
    }

    /// Logs `error` with its causes and returns an opaque 500.
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> ApiError {
        tracing::error!(error = %ErrorChain(error), "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.body.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.body.code,
            self.body.detail
        )
    }
}

/// An error with all its sources, `a: b: c`.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

/// The `{what}_not_found` code for a store's NotFound.
fn not_found_code(what: &str) -> &'static str {
    match what {
        "ticket" => "ticket_not_found",
        "customer" => "customer_not_found",
        "agent" => "agent_not_found",
        "message" => "message_not_found",
        "token" => "token_not_found",
        "promise" => "promise_not_found",
        "attachment" | "blob" => "attachment_not_found",
        "quarantined mail" => "quarantined_mail_not_found",
        _ => "not_found",
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound { what, id } => {
                let what = if what == "blob" { "attachment" } else { what };
                ApiError::not_found(not_found_code(what), format!("no {what} {id}"))
            }
            StoreError::Conflict { code, detail } => {
                ApiError::new(StatusCode::CONFLICT, code, detail)
            }
            StoreError::Other(ref source) => {
                tracing::error!(error = %ErrorChain(source.as_ref()), "storage failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; the server log has the details",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match serde_json::to_vec(&self.body) {
            Ok(b) => b,
            Err(_) => br#"{"code":"internal","detail":"internal error"}"#.to_vec(),
        };
        let mut res = (self.status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="trustdesk""#),
            );
        }
        res
    }
}

/// The fallback for paths no route matches.
pub async fn no_such_route() -> ApiError {
    ApiError::not_found("not_found", "no such route")
}

/// The fallback for a known path with a method it does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

/// Drops the parts of a serde message that only make sense to us (`at line 1 column 40`).
pub fn trim_serde_message(msg: &str) -> Cow<'_, str> {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(" column ") => Cow::Borrowed(&msg[..i]),
        _ => Cow::Borrowed(msg),
    }
}
