//! The first start: an empty database gets one admin agent with a one-time password, so a new
//! installation can be logged into without any set-up step.

use argon2::{Argon2, PasswordHasher};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use trustdesk_domain::{EmailAddress, Role};
use trustdesk_store::{Agent, NewAgent, Store, StoreError};

/// The admin created on the first start, with the only copy of its one-time password.
pub struct FirstAdmin {
    pub agent: Agent,
    pub password: SecretString,
}

impl FirstAdmin {
    /// What `serve` prints, once, on the console (never into the log).
    pub fn instructions(&self, base_url: &str) -> String {
        format!(
            "\n  First start: created the admin agent {email}\n  \
             One-time password: {password}\n  \
             It must be changed at the first log-in to the web app ({base_url}/).\n  \
             For API access now: trustdesk token create --name NAME --role admin\n",
            email = self.agent.email,
            password = self.password.expose_secret(),
        )
    }
}

/// Unambiguous characters (no 0/o, 1/l/i): read off a console and typed by a person.
const PASSWORD_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
/// 20 characters of a 55-letter alphabet: about 115 bits.
const PASSWORD_LEN: usize = 20;

fn one_time_password() -> SecretString {
    let mut rng = rand::rng();
    let pw: String = (0..PASSWORD_LEN)
        .map(|_| PASSWORD_ALPHABET[rng.random_range(0..PASSWORD_ALPHABET.len())] as char)
        .collect();
    SecretString::from(pw)
}

/// An argon2id PHC string (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &SecretString) -> Result<String, StoreError> {
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Other(format!("argon2: {e}").into()))
}

/// Creates the first admin when there are no agents at all. Two nodes starting at once on one
/// PostgreSQL database race here; the loser sees `email_taken` and creates nothing.
#[tracing::instrument(skip_all, err)]
pub async fn ensure_first_admin(
    store: &dyn Store,
    email: &EmailAddress,
) -> Result<Option<FirstAdmin>, StoreError> {
    if store.count_agents().await? > 0 {
        return Ok(None);
    }
    let password = one_time_password();
    let hash = {
        let password = password.clone();
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(StoreError::other)??
    };
    let created = store
        .create_agent(NewAgent {
            email: email.clone(),
            name: "Administrator".into(),
            role: Role::Admin,
            password_hash: Some(hash),
            must_change_password: true,
        })
        .await;
    match created {
        Ok(agent) => {
            tracing::info!(agent = %agent.id, email = %agent.email, "created the first admin agent");
            Ok(Some(FirstAdmin { agent, password }))
        }
        Err(StoreError::Conflict {
            code: "email_taken",
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[test]
    fn passwords_are_random_and_hash_as_argon2id() {
        let a = one_time_password();
        assert_eq!(a.expose_secret().len(), PASSWORD_LEN);
        assert_ne!(a.expose_secret(), one_time_password().expose_secret());
        let hash = hash_password(&a).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        Argon2::default()
            .verify_password(a.expose_secret().as_bytes(), hash.as_str())
            .unwrap();
    }
}
