//! Who is calling and what they may do.
//!
//! # API tokens (implemented)
//!
//! Programs call the API with `Authorization: Bearer td_<64 hex digits>`: 32 random bytes from
//! the operating system's CSPRNG. Such a secret cannot be guessed, so it is stored as its
//! SHA-256 only — a fast hash is enough, and no argon2 runs per request. A presented secret is
//! hashed and looked up by that hash; a revoked token is not found.
//!
//! Verified tokens are kept in a small in-process cache for at most [`TOKEN_CACHE_TTL`]
//! (10 s), so the hot path never reads the database. The price: **a token revoked from the
//! CLI or on another node keeps working for up to 10 seconds on a node that used it just
//! before.** Tokens' `last_used_at` is stamped at most once a minute per token and node, off
//! the request path.
//!
//! Roles: `viewer` reads; `agent` also writes tickets, messages and customers; `admin` also
//! merges customers and manages tokens; `mailgate` only delivers raw inbound mail (the token an
//! MTA's pipe transport holds, which must not read anything if it leaks). Handlers state their need with the [`Reader`],
//! [`Writer`] and [`Admin`] extractors; [`authenticate`] runs before any of them on every API
//! route and answers 401 itself.
//!
//! # Browser sessions and CSRF (decided now, built with the web app)
//!
//! - **Log-in** checks the agent's argon2id password hash. A `must_change_password` agent gets a
//!   session that can only change the password. Failed log-ins back off per account and per
//!   client address.
//! - **Sessions live on the server.** The session id is 32 CSPRNG bytes; the database keeps only
//!   its SHA-256 (a copied database holds no usable session) with the agent, creation time,
//!   last use, an idle expiry (12 h) and an absolute expiry (7 days). Log-in always creates a
//!   new id (no fixation); log-out deletes the row; a password change or disabling an agent
//!   deletes all of the agent's sessions. Session look-ups share the token cache's 10 s rule.
//! - **The cookie** is `__Host-trustdesk_session=<id>; Path=/; Secure; HttpOnly;
//!   SameSite=Lax`: `__Host-` pins it to this exact origin (no `Domain`, path `/`, HTTPS only;
//!   browsers treat `http://localhost` as secure), `HttpOnly` keeps it from scripts, `Lax` keeps
//!   it off cross-site sub-requests and POSTs.
//! - **CSRF: synchronizer token per session.** Each session has a second random secret, the
//!   CSRF token, rendered into pages (a hidden `csrf_token` field in forms, a `<meta>` tag for
//!   scripts). Every request with an unsafe method (anything but GET, HEAD, OPTIONS) that is
//!   authenticated by the session cookie must carry it — the form field, or the
//!   `X-CSRF-Token` header for API calls made by the web app — compared in constant time;
//!   otherwise 403 `csrf_failed`. A present `Origin` header must also match the configured
//!   public URL. `SameSite=Lax` alone is not relied on (older browsers, sibling subdomains).
//! - **Bearer requests need no CSRF token**: browsers never attach an `Authorization` header on
//!   their own. A request that carries a bearer token is judged by the token alone, and any
//!   cookie on it is ignored. GET never changes state anywhere in trustdesk.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use trustdesk_domain::{AgentId, Role, TokenId};
use trustdesk_store::{Actor, ApiToken, Author, Store};

use crate::error::{ApiError, ErrorChain};
use crate::startup::AppState;

/// How long a verified token is trusted without asking the database again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(10);
/// How often a token's `last_used_at` is stamped, at most.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);
/// Enough for every token of a large shop; past it new tokens are verified but not cached.
const TOKEN_CACHE_CAPACITY: usize = 10_000;

const SECRET_PREFIX: &str = "td_";
const SECRET_BYTES: usize = 32;
const SECRET_LEN: usize = SECRET_PREFIX.len() + 2 * SECRET_BYTES;

/// A new token secret: `td_` and 64 hex digits of CSPRNG output (ThreadRng is a CSPRNG seeded
/// from the operating system).
pub fn generate_token_secret() -> SecretString {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::from(format!("{SECRET_PREFIX}{}", hex::encode(bytes)))
}

/// The SHA-256 the store keeps for a secret.
pub fn hash_token_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether `s` has the shape of a token secret; anything else is refused without hashing or a
/// database look-up.
fn looks_like_secret(s: &str) -> bool {
    s.len() == SECRET_LEN
        && s.starts_with(SECRET_PREFIX)
        && s.as_bytes()[SECRET_PREFIX.len()..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// The caller of a request, as proven by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token: TokenId,
    pub role: Role,
    /// The agent the token acts for, if any.
    pub agent: Option<AgentId>,
    /// What goes into the event log: the token (`tok_…`), which names its agent in turn.
    pub actor: Actor,
}

impl Principal {
    fn from_token(t: &ApiToken) -> Principal {
        Principal {
            token: t.id,
            role: t.role,
            agent: t.agent_id,
            actor: Actor::token(t.id),
        }
    }

    /// Who wrote a message this caller posts: its agent, or trustdesk itself for an
    /// integration's token.
    pub fn author(&self) -> Author {
        match self.agent {
            Some(a) => Author::Agent(a),
            None => Author::System,
        }
    }
}

struct Cached {
    principal: Arc<Principal>,
    verified_at: Instant,
    /// Milliseconds since the cache's epoch when `last_used_at` was last stamped.
    touched_ms: AtomicU64,
}

/// Verifies bearer tokens, remembering good ones for [`TOKEN_CACHE_TTL`].
pub struct TokenVerifier {
    store: Arc<dyn Store>,
    cache: RwLock<HashMap<[u8; 32], Cached>>,
    epoch: Instant,
}

impl TokenVerifier {
    pub fn new(store: Arc<dyn Store>) -> TokenVerifier {
        TokenVerifier {
            store,
            cache: RwLock::new(HashMap::new()),
            epoch: Instant::now(),
        }
    }

    /// The caller of a request with these headers, or 401.
    pub async fn verify(&self, headers: &HeaderMap) -> Result<Arc<Principal>, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthenticated(
                "this route needs an API token: Authorization: Bearer td_…",
            ));
        };
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|s| looks_like_secret(s))
            .ok_or_else(|| {
                ApiError::unauthenticated("the Authorization header is not `Bearer td_…`")
            })?;
        self.verify_secret(secret).await
    }

    async fn verify_secret(&self, secret: &str) -> Result<Arc<Principal>, ApiError> {
        let hash = hash_token_secret(secret);
        let mut previous_touch = None;
        {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            if let Some(c) = cache.get(&hash) {
                if c.verified_at.elapsed() < TOKEN_CACHE_TTL {
                    self.touch_if_due(c);
                    return Ok(c.principal.clone());
                }
                previous_touch = Some(c.touched_ms.load(Ordering::Relaxed));
            }
        }
        let token = match self.store.find_token_by_secret(&hash).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                self.cache
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&hash);
                return Err(ApiError::unauthenticated("unknown or revoked API token"));
            }
            Err(e) => return Err(e.into()),
        };
        let principal = Arc::new(Principal::from_token(&token));
        let entry = Cached {
            principal: principal.clone(),
            verified_at: Instant::now(),
            // A first sighting is stamped now; a re-verification keeps the old stamp time.
            touched_ms: AtomicU64::new(previous_touch.unwrap_or(u64::MAX)),
        };
        self.touch_if_due(&entry);
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= TOKEN_CACHE_CAPACITY && !cache.contains_key(&hash) {
            cache.retain(|_, c| c.verified_at.elapsed() < TOKEN_CACHE_TTL);
        }
        if cache.len() < TOKEN_CACHE_CAPACITY || cache.contains_key(&hash) {
            cache.insert(hash, entry);
        }
        Ok(principal)
    }

    /// Stamps `last_used_at` in the background when the last stamp is over a minute old.
    fn touch_if_due(&self, c: &Cached) {
        let now_ms = self.epoch.elapsed().as_millis() as u64;
        let last = c.touched_ms.load(Ordering::Relaxed);
        let due =
            last == u64::MAX || now_ms.saturating_sub(last) >= TOUCH_INTERVAL.as_millis() as u64;
        // Only the request that wins the exchange stamps; the others go on.
        if due
            && c.touched_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let store = self.store.clone();
            let id = c.principal.token;
            tokio::spawn(async move {
                if let Err(e) = store.touch_token(id).await {
                    tracing::debug!(token = %id, error = %ErrorChain(&e), "could not stamp token use");
                }
            });
        }
    }

    /// Forgets every cached token (after a revocation on this node).
    pub fn forget_all(&self) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

/// Middleware on every API route: 401 unless the request carries a live token; otherwise the
/// [`Principal`] is put into the request for the role extractors.
pub async fn authenticate(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    match app.tokens().verify(req.headers()).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

fn principal(parts: &Parts) -> Result<Arc<Principal>, ApiError> {
    parts
        .extensions
        .get::<Arc<Principal>>()
        .cloned()
        .ok_or_else(|| ApiError::unauthenticated("this route needs an API token"))
}

/// A caller that may read: viewers, agents and admins (not `mailgate`).
pub struct Reader(pub Arc<Principal>);
/// A caller that may hand raw inbound mail to the intake: `mailgate`, agents, admins.
pub struct MailDeliverer(pub Arc<Principal>);
/// A caller that may change tickets, messages and customers (agent or admin).
pub struct Writer(pub Arc<Principal>);
/// A caller that may administer (admin).
pub struct Admin(pub Arc<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for Reader {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let p = principal(parts)?;
        if p.role.can_read() {
            Ok(Reader(p))
        } else {
            Err(ApiError::forbidden(format!(
                "a {} token may only deliver mail",
                p.role.as_str()
            )))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MailDeliverer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let p = principal(parts)?;
        if p.role.can_deliver_mail() {
            Ok(MailDeliverer(p))
        } else {
            Err(ApiError::forbidden(format!(
                "a {} token may not deliver mail; use a mailgate, agent or admin token",
                p.role.as_str()
            )))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Writer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let p = principal(parts)?;
        if p.role.can_write() {
            Ok(Writer(p))
        } else {
            Err(ApiError::forbidden(format!(
                "a {} token may only read",
                p.role.as_str()
            )))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let p = principal(parts)?;
        if p.role.can_administer() {
            Ok(Admin(p))
        } else {
            Err(ApiError::forbidden(format!(
                "this needs an admin token; this one is {}",
                p.role.as_str()
            )))
        }
    }
}

/// Shows a secret once, e.g. on the CLI; never used in logs.
pub fn reveal(secret: &SecretString) -> &str {
    secret.expose_secret()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_recognised() {
        let a = generate_token_secret();
        let b = generate_token_secret();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(a.expose_secret().len(), SECRET_LEN);
        assert!(looks_like_secret(a.expose_secret()));
        assert!(!looks_like_secret("td_short"));
        assert!(!looks_like_secret(&a.expose_secret().to_uppercase()));
        assert!(!looks_like_secret(&a.expose_secret().replace("td_", "xx_")));
        assert_eq!(
            hex::encode(hash_token_secret("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
