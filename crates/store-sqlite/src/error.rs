//! Errors inside the crate: SQL code returns [`Error`], which carries either a rule the store
//! enforces (already a [`StoreError`]) or a driver failure, and becomes a [`StoreError`] at the
//! trait boundary. Also the small helpers that read typed domain values out of rows.

use std::str::FromStr;

use rusqlite::types::Type;
use trustdesk_domain::Timestamp;
use trustdesk_domain::time::from_micros;
use trustdesk_store::StoreError;

#[derive(Debug)]
pub(crate) enum Error {
    Store(StoreError),
    Sql(rusqlite::Error),
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        Error::Store(e)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Sql(e)
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> StoreError {
        match e {
            Error::Store(e) => e,
            Error::Sql(e) => StoreError::other(e),
        }
    }
}

/// A failure of the store's own machinery (closed store, stopped thread, broken file).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Failure(pub String);

pub(crate) fn failure(msg: impl Into<String>) -> StoreError {
    StoreError::other(Failure(msg.into()))
}

pub(crate) fn closed() -> StoreError {
    failure("the SQLite store is closed")
}

/// Reads a text column through a domain parser (`Language::parse`, `TicketStatus::from_str`, …).
pub(crate) fn parsed<T, E>(
    row: &rusqlite::Row<'_>,
    idx: usize,
    parse: impl FnOnce(&str) -> std::result::Result<T, E>,
) -> rusqlite::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let text = row.get_ref(idx)?.as_str()?;
    parse(text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

/// Like [`parsed`] for a nullable column.
pub(crate) fn opt_parsed<T, E>(
    row: &rusqlite::Row<'_>,
    idx: usize,
    parse: impl FnOnce(&str) -> std::result::Result<T, E>,
) -> rusqlite::Result<Option<T>>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match row.get_ref(idx)?.as_str_or_null()? {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))),
    }
}

/// Reads a column holding one of the domain's words (`status`, `role`, …).
pub(crate) fn word<T>(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    parsed(row, idx, str::parse)
}

pub(crate) fn time(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Timestamp> {
    Ok(from_micros(row.get(idx)?))
}

pub(crate) fn opt_time(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(idx)?.map(from_micros))
}
