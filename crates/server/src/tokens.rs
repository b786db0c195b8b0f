//! Managing API tokens: what `trustdesk token create|list|revoke` does. The secret of a new
//! token is returned once and never stored.

use secrecy::SecretString;
use trustdesk_domain::{AgentId, Role, TokenId};
use trustdesk_store::{ApiToken, NewApiToken, Store, StoreError};

use crate::auth::{generate_token_secret, hash_token_secret, reveal};

/// A token just created, with the only copy of its secret.
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token name: {0}")]
    InvalidName(&'static str),
    #[error("`{0}` is not a token id (they look like tok_1)")]
    InvalidId(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A token name: what the token is for, shown in listings.
fn check_name(name: &str) -> Result<String, TokenError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(TokenError::InvalidName("must not be empty"));
    }
    if name.chars().count() > 100 {
        return Err(TokenError::InvalidName("at most 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(TokenError::InvalidName("no control characters"));
    }
    Ok(name.to_owned())
}

#[tracing::instrument(skip_all, fields(role = role.as_str()), err)]
pub async fn create_token(
    store: &dyn Store,
    name: &str,
    role: Role,
    agent: Option<AgentId>,
) -> Result<IssuedToken, TokenError> {
    let name = check_name(name)?;
    let secret = generate_token_secret();
    let token = store
        .create_token(NewApiToken {
            name,
            role,
            agent_id: agent,
            secret_sha256: hash_token_secret(reveal(&secret)),
        })
        .await?;
    tracing::info!(token = %token.id, "API token created");
    Ok(IssuedToken { token, secret })
}

pub async fn list_tokens(store: &dyn Store) -> Result<Vec<ApiToken>, TokenError> {
    Ok(store.list_tokens().await?)
}

/// Revokes a token. Nodes that verified it in the last 10 seconds accept it until their cache
/// entry runs out.
#[tracing::instrument(skip_all, fields(token = id), err)]
pub async fn revoke_token(store: &dyn Store, id: &str) -> Result<ApiToken, TokenError> {
    let id: TokenId = id
        .trim()
        .parse()
        .map_err(|_| TokenError::InvalidId(id.chars().take(64).collect()))?;
    let token = store.revoke_token(id).await?;
    tracing::info!(token = %token.id, "API token revoked");
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(check_name("  ci  ").unwrap(), "ci");
        assert!(check_name(" ").is_err());
        assert!(check_name("a\u{7}b").is_err());
        assert!(check_name(&"x".repeat(101)).is_err());
    }
}
