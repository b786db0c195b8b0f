//! Agents (people who log in) and API tokens (looked up by the SHA-256 of their secret).

use async_trait::async_trait;
use trustdesk_domain::time::{now, to_micros};
use trustdesk_domain::{AgentId, EmailAddress, TokenId};
use trustdesk_store::{
    Agent, AgentStore, ApiToken, NewAgent, NewApiToken, Result, StoreError, TokenStore,
};

use crate::error::{db, db_or_missing};
use crate::rows::{AgentRow, TokenRow};
use crate::{PgStore, retrying};

/// A token's usage stamp is rewritten at most this often: authentication runs on every
/// request, and a write per request would cost more than the stamp is worth.
const TOUCH_INTERVAL_MICROS: i64 = 60 * 1_000_000;

impl PgStore {
    async fn create_agent_once(&self, new: &NewAgent) -> Result<Agent> {
        let mut tx = self.begin().await?;
        let row: AgentRow = sqlx::query_as(
            "INSERT INTO agents (email, name, role, password_hash, must_change_password, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id, email, name, role, password_hash, must_change_password, disabled, created_at",
        )
        .bind(new.email.as_str())
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(new.password_hash.as_deref())
        .bind(new.must_change_password)
        .bind(to_micros(now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        self.commit(tx).await?;
        row.into_agent()
    }

    async fn create_token_once(&self, new: &NewApiToken) -> Result<ApiToken> {
        let mut tx = self.begin().await?;
        let row: TokenRow = sqlx::query_as(
            "INSERT INTO api_tokens (name, role, agent_id, secret_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, name, role, agent_id, created_at, last_used_at, revoked_at",
        )
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(new.agent_id.map(|a| a.db_key()))
        .bind(&new.secret_sha256[..])
        .bind(to_micros(now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            db_or_missing(e, "api_tokens_agent_id_fkey", || {
                StoreError::not_found(
                    "agent",
                    new.agent_id.map(|a| a.to_string()).unwrap_or_default(),
                )
            })
        })?;
        self.commit(tx).await?;
        row.into_token()
    }
}

#[async_trait]
impl AgentStore for PgStore {
    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn create_agent(&self, new: NewAgent) -> Result<Agent> {
        retrying(|| self.create_agent_once(&new)).await
    }

    #[tracing::instrument(skip_all, fields(agent = %id), err(level = "debug"))]
    async fn get_agent(&self, id: AgentId) -> Result<Agent> {
        let row: Option<AgentRow> = sqlx::query_as(
            "SELECT id, email, name, role, password_hash, must_change_password, disabled, created_at \
             FROM agents WHERE id = $1",
        )
        .bind(id.db_key())
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.ok_or_else(|| StoreError::not_found("agent", id))?
            .into_agent()
    }

    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn find_agent_by_email(&self, email: &EmailAddress) -> Result<Option<Agent>> {
        let row: Option<AgentRow> = sqlx::query_as(
            "SELECT id, email, name, role, password_hash, must_change_password, disabled, created_at \
             FROM agents WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(AgentRow::into_agent).transpose()
    }

    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn list_agents(&self) -> Result<Vec<Agent>> {
        let rows: Vec<AgentRow> = sqlx::query_as(
            "SELECT id, email, name, role, password_hash, must_change_password, disabled, created_at \
             FROM agents ORDER BY id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.into_iter().map(AgentRow::into_agent).collect()
    }

    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn count_agents(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM agents")
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        Ok(n.max(0) as u64)
    }

    #[tracing::instrument(skip_all, fields(agent = %id), err(level = "debug"))]
    async fn set_agent_password(
        &self,
        id: AgentId,
        password_hash: String,
        must_change: bool,
    ) -> Result<()> {
        let updated = sqlx::query(
            "UPDATE agents SET password_hash = $2, must_change_password = $3 WHERE id = $1",
        )
        .bind(id.db_key())
        .bind(&password_hash)
        .bind(must_change)
        .execute(self.pool())
        .await
        .map_err(db)?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::not_found("agent", id));
        }
        self.count_commit();
        Ok(())
    }
}

#[async_trait]
impl TokenStore for PgStore {
    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn create_token(&self, new: NewApiToken) -> Result<ApiToken> {
        retrying(|| self.create_token_once(&new)).await
    }

    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn find_token_by_secret(&self, secret_sha256: &[u8; 32]) -> Result<Option<ApiToken>> {
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT id, name, role, agent_id, created_at, last_used_at, revoked_at \
             FROM api_tokens WHERE secret_sha256 = $1 AND revoked_at IS NULL",
        )
        .bind(&secret_sha256[..])
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(TokenRow::into_token).transpose()
    }

    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, name, role, agent_id, created_at, last_used_at, revoked_at \
             FROM api_tokens ORDER BY id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.into_iter().map(TokenRow::into_token).collect()
    }

    #[tracing::instrument(skip_all, fields(token = %id), err(level = "debug"))]
    async fn revoke_token(&self, id: TokenId) -> Result<ApiToken> {
        let row: Option<TokenRow> = sqlx::query_as(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 \
             RETURNING id, name, role, agent_id, created_at, last_used_at, revoked_at",
        )
        .bind(id.db_key())
        .bind(to_micros(now()))
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        let token = row.ok_or_else(|| StoreError::not_found("token", id))?;
        self.count_commit();
        token.into_token()
    }

    #[tracing::instrument(skip_all, fields(token = %id), err(level = "debug"))]
    async fn touch_token(&self, id: TokenId) -> Result<()> {
        let at = to_micros(now());
        let updated = sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2 - $3)",
        )
        .bind(id.db_key())
        .bind(at)
        .bind(TOUCH_INTERVAL_MICROS)
        .execute(self.pool())
        .await
        .map_err(db)?
        .rows_affected();
        if updated > 0 {
            self.count_commit();
        }
        Ok(())
    }
}
