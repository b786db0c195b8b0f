//! `trustdesk mailgate`: one mail on stdin, posted to the inbound endpoint, answered with a
//! sysexits code an MTA understands. 0 only once the server says the mail is stored (whatever
//! it did with it, rejected-and-quarantined included); 75 (EX_TEMPFAIL) whenever trying again
//! later can help, so the MTA keeps the mail queued rather than losing or bouncing it.

use std::io::Read;
use std::time::Duration;

/// sysexits.h
pub const EX_OK: u8 = 0;
pub const EX_USAGE: u8 = 64;
pub const EX_DATAERR: u8 = 65;
pub const EX_NOINPUT: u8 = 66;
pub const EX_TEMPFAIL: u8 = 75;

const INBOUND_PATH: &str = "/api/v1/channels/email/inbound";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A large mail on a busy server; past this the MTA retries (the intake recognises the copy).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// What happened, for the exit code and the one line on stderr.
#[derive(Debug)]
pub struct Delivery {
    pub code: u8,
    pub message: String,
}

impl Delivery {
    fn new(code: u8, message: impl Into<String>) -> Delivery {
        Delivery {
            code,
            message: message.into(),
        }
    }
}

/// The endpoint for a server's base URL (`http://127.0.0.1:8080`, with or without a path
/// prefix or trailing slash).
pub fn inbound_url(base: &str) -> Result<url::Url, String> {
    let mut u = url::Url::parse(base.trim()).map_err(|e| format!("--url {base}: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("--url {base}: use http:// or https://"));
    }
    let path = format!("{}{INBOUND_PATH}", u.path().trim_end_matches('/'));
    u.set_path(&path);
    Ok(u)
}

/// The exit code for an HTTP status the server answered with.
pub fn exit_code_for(status: u16) -> u8 {
    match status {
        200..=299 => EX_OK,
        // The mail itself is refused (empty, too large, not a mail type): retrying cannot help;
        // the MTA returns it to the sender with our reason.
        400 | 413 | 415 | 422 => EX_DATAERR,
        // A wrong or revoked token, a proxy in the way, a server starting or overloaded: a
        // person can fix it, so the mail waits in the queue instead of bouncing.
        _ => EX_TEMPFAIL,
    }
}

pub async fn deliver(base_url: &str, token: &str) -> Delivery {
    let url = match inbound_url(base_url) {
        Ok(u) => u,
        Err(e) => return Delivery::new(EX_USAGE, e),
    };
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut raw) {
        return Delivery::new(EX_TEMPFAIL, format!("cannot read the mail from stdin: {e}"));
    }
    post(url, token, raw).await
}

pub async fn post(url: url::Url, token: &str, raw: Vec<u8>) -> Delivery {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Delivery::new(EX_NOINPUT, "no mail on stdin");
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = match reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
    {
        Ok(c) => c,
        Err(e) => return Delivery::new(EX_TEMPFAIL, format!("HTTP client: {e}")),
    };
    let shown = url.clone();
    let sent = client
        .post(url)
        .bearer_auth(token.trim())
        .header(reqwest::header::CONTENT_TYPE, "message/rfc822")
        .body(raw)
        .send()
        .await;
    let res = match sent {
        Ok(r) => r,
        Err(e) => {
            return Delivery::new(
                EX_TEMPFAIL,
                format!("cannot reach trustdesk at {shown}: {e}"),
            );
        }
    };
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let code = exit_code_for(status);
    let message = if code == EX_OK {
        let mut line = format!("trustdesk: {}", json["action"].as_str().unwrap_or("stored"));
        if let Some(n) = json["ticket_number"].as_i64() {
            line.push_str(&format!(" ticket #{n}"));
        }
        if let Some(r) = json["reason"].as_str() {
            line.push_str(&format!(" ({r})"));
        }
        line
    } else {
        let detail = json["detail"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| body.chars().take(200).collect());
        format!("trustdesk refused the mail: HTTP {status}: {detail}")
    };
    Delivery::new(code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_codes() {
        assert_eq!(
            inbound_url("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080/api/v1/channels/email/inbound"
        );
        assert_eq!(
            inbound_url("https://desk.example/td/").unwrap().as_str(),
            "https://desk.example/td/api/v1/channels/email/inbound"
        );
        assert!(inbound_url("ftp://x").is_err());
        assert!(inbound_url("not a url").is_err());
        assert_eq!(exit_code_for(200), EX_OK);
        assert_eq!(exit_code_for(413), EX_DATAERR);
        assert_eq!(exit_code_for(415), EX_DATAERR);
        assert_eq!(exit_code_for(401), EX_TEMPFAIL);
        assert_eq!(exit_code_for(500), EX_TEMPFAIL);
        assert_eq!(exit_code_for(503), EX_TEMPFAIL);
    }
}
