//! Database errors mapped to [`StoreError`] at the edge: unique violations by constraint name
//! to the stable conflict codes of the Store contract, everything unexpected to `Other`.

use trustdesk_store::StoreError;

/// Unique constraints (and unique indexes) whose violation is a caller-visible conflict.
fn conflict_for(constraint: &str) -> Option<(&'static str, &'static str)> {
    Some(match constraint {
        "customer_identities_pkey" => (
            "identity_taken",
            "this identity already belongs to another customer",
        ),
        "messages_channel_message_id_key" => (
            "duplicate_message",
            "a message with this channel id was already received on this channel",
        ),
        "quarantine_channel_message_id_key" => (
            "duplicate_message",
            "a mail with this channel id is already in the quarantine",
        ),
        "agents_email_key" => ("email_taken", "an agent with this email address exists"),
        "api_tokens_secret_sha256_key" => ("token_exists", "a token with this secret exists"),
        _ => return None,
    })
}

/// Maps a driver error to the store's error.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    if let Some(dbe) = e.as_database_error()
        && dbe.is_unique_violation()
        && let Some((code, detail)) = dbe.constraint().and_then(conflict_for)
    {
        return StoreError::conflict(code, detail);
    }
    StoreError::other(e)
}

/// Like [`db`], but a foreign-key violation of `constraint` means the referenced thing is
/// missing: `not_found` is returned instead.
pub(crate) fn db_or_missing(
    e: sqlx::Error,
    constraint: &str,
    not_found: impl FnOnce() -> StoreError,
) -> StoreError {
    if let Some(dbe) = e.as_database_error()
        && dbe.is_foreign_key_violation()
        && dbe.constraint() == Some(constraint)
    {
        return not_found();
    }
    db(e)
}

/// Serialization failures and deadlocks: the transaction did nothing and may simply be run
/// again.
pub(crate) fn is_transient(e: &StoreError) -> bool {
    let StoreError::Other(inner) = e else {
        return false;
    };
    inner
        .downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .and_then(|dbe| dbe.code())
        .is_some_and(|code| code == "40001" || code == "40P01")
}

/// A stored value that no longer parses: the database was changed behind our back.
#[derive(Debug, thiserror::Error)]
#[error("unreadable {what} `{value}` in the database")]
pub(crate) struct Corrupt {
    what: &'static str,
    value: String,
}

pub(crate) fn corrupt(what: &'static str, value: impl ToString) -> StoreError {
    StoreError::other(Corrupt {
        what,
        value: value.to_string().chars().take(80).collect(),
    })
}

/// Parses a stored word (status, role, …) into its domain type.
pub(crate) fn parse_stored<T: std::str::FromStr>(
    what: &'static str,
    s: &str,
) -> Result<T, StoreError> {
    s.parse().map_err(|_| corrupt(what, s))
}

/// A failure of ours that is not the database's, such as a broken invariant.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Internal(pub(crate) String);
