//! Agents (the people who log in) and API tokens.

use rusqlite::{Connection, OptionalExtension, params};
use trustdesk_domain::time::to_micros;
use trustdesk_domain::{AgentId, EmailAddress, Role, Timestamp, TokenId};
use trustdesk_store::{Agent, ApiToken, NewAgent, NewApiToken, StoreError};

use crate::error::{Result, opt_time, parsed, time, word};

const AGENT_COLUMNS: &str =
    "id, email, name, role, password_hash, must_change_password, disabled, created_at";

fn agent_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Agent> {
    Ok(Agent {
        id: AgentId::from_db(row.get(0)?),
        email: parsed(row, 1, EmailAddress::parse)?,
        name: row.get(2)?,
        role: word::<Role>(row, 3)?,
        password_hash: row.get(4)?,
        must_change_password: row.get(5)?,
        disabled: row.get(6)?,
        created_at: time(row, 7)?,
    })
}

pub(crate) fn create_agent(conn: &Connection, new: &NewAgent, now: Timestamp) -> Result<Agent> {
    let taken = conn
        .prepare_cached("SELECT 1 FROM agents WHERE email = ?1")?
        .exists([new.email.as_str()])?;
    if taken {
        return Err(StoreError::conflict(
            "email_taken",
            format!(
                "an agent with the e-mail address {} already exists",
                new.email
            ),
        )
        .into());
    }
    conn.prepare_cached(
        "INSERT INTO agents (email, name, role, password_hash, must_change_password, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        new.email.as_str(),
        new.name,
        new.role.as_str(),
        new.password_hash,
        new.must_change_password,
        to_micros(now)
    ])?;
    Ok(Agent {
        id: AgentId::from_db(conn.last_insert_rowid()),
        email: new.email.clone(),
        name: new.name.clone(),
        role: new.role,
        password_hash: new.password_hash.clone(),
        must_change_password: new.must_change_password,
        disabled: false,
        created_at: now,
    })
}

pub(crate) fn get_agent(conn: &Connection, id: AgentId) -> Result<Agent> {
    conn.prepare_cached(&format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = ?1"))?
        .query_row([id.db_key()], agent_from_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("agent", id).into())
}

pub(crate) fn find_agent_by_email(
    conn: &Connection,
    email: &EmailAddress,
) -> Result<Option<Agent>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE email = ?1"
        ))?
        .query_row([email.as_str()], agent_from_row)
        .optional()?)
}

pub(crate) fn list_agents(conn: &Connection) -> Result<Vec<Agent>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {AGENT_COLUMNS} FROM agents ORDER BY id"))?
        .query_map([], agent_from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn count_agents(conn: &Connection) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM agents")?
        .query_row([], |r| r.get(0))?;
    Ok(n as u64)
}

pub(crate) fn set_agent_password(
    conn: &Connection,
    id: AgentId,
    password_hash: &str,
    must_change: bool,
) -> Result<()> {
    let updated = conn
        .prepare_cached(
            "UPDATE agents SET password_hash = ?2, must_change_password = ?3 WHERE id = ?1",
        )?
        .execute(params![id.db_key(), password_hash, must_change])?;
    if updated == 0 {
        return Err(StoreError::not_found("agent", id).into());
    }
    Ok(())
}

const TOKEN_COLUMNS: &str = "id, name, role, agent_id, created_at, last_used_at, revoked_at";

fn token_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: TokenId::from_db(row.get(0)?),
        name: row.get(1)?,
        role: word::<Role>(row, 2)?,
        agent_id: row.get::<_, Option<i64>>(3)?.map(AgentId::from_db),
        created_at: time(row, 4)?,
        last_used_at: opt_time(row, 5)?,
        revoked_at: opt_time(row, 6)?,
    })
}

pub(crate) fn create_token(
    conn: &Connection,
    new: &NewApiToken,
    now: Timestamp,
) -> Result<ApiToken> {
    if let Some(agent) = new.agent_id {
        get_agent(conn, agent)?;
    }
    let clash = conn
        .prepare_cached("SELECT 1 FROM api_tokens WHERE secret_sha256 = ?1")?
        .exists([&new.secret_sha256[..]])?;
    if clash {
        // Secrets are long random values: a clash means the caller reused one.
        return Err(StoreError::conflict(
            "token_exists",
            "a token with this secret already exists",
        )
        .into());
    }
    conn.prepare_cached(
        "INSERT INTO api_tokens (name, role, agent_id, secret_sha256, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        new.name,
        new.role.as_str(),
        new.agent_id.map(AgentId::db_key),
        &new.secret_sha256[..],
        to_micros(now)
    ])?;
    Ok(ApiToken {
        id: TokenId::from_db(conn.last_insert_rowid()),
        name: new.name.clone(),
        role: new.role,
        agent_id: new.agent_id,
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    })
}

pub(crate) fn find_token_by_secret(
    conn: &Connection,
    sha256: &[u8; 32],
) -> Result<Option<ApiToken>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_sha256 = ?1 AND revoked_at IS NULL"
        ))?
        .query_row([&sha256[..]], token_from_row)
        .optional()?)
}

pub(crate) fn list_tokens(conn: &Connection) -> Result<Vec<ApiToken>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"
        ))?
        .query_map([], token_from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

fn get_token(conn: &Connection, id: TokenId) -> Result<ApiToken> {
    conn.prepare_cached(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?1"
    ))?
    .query_row([id.db_key()], token_from_row)
    .optional()?
    .ok_or_else(|| StoreError::not_found("token", id).into())
}

pub(crate) fn revoke_token(conn: &Connection, id: TokenId, now: Timestamp) -> Result<ApiToken> {
    conn.prepare_cached(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    )?
    .execute(params![id.db_key(), to_micros(now)])?;
    get_token(conn, id)
}

pub(crate) fn touch_token(conn: &Connection, id: TokenId, now: Timestamp) -> Result<()> {
    let updated = conn
        .prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1")?
        .execute(params![id.db_key(), to_micros(now)])?;
    if updated == 0 {
        return Err(StoreError::not_found("token", id).into());
    }
    Ok(())
}
