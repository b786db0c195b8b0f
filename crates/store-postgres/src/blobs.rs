//! Attachment bytes in a bytea table, addressed by their SHA-256, so app nodes keep no files.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use trustdesk_domain::time::{now, to_micros};
use trustdesk_store::{BlobStore, Result, StoreError};

use crate::PgStore;
use crate::error::{Internal, db};

#[async_trait]
impl BlobStore for PgStore {
    #[tracing::instrument(skip_all, fields(sha256 = %sha256, size = bytes.len()), err(level = "debug"))]
    async fn put_blob(&self, sha256: &str, bytes: Vec<u8>) -> Result<()> {
        // A blob stored under the wrong name would be served as another file forever.
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != sha256 {
            return Err(StoreError::other(Internal(format!(
                "blob named {sha256} has SHA-256 {actual}"
            ))));
        }
        sqlx::query(
            "INSERT INTO blobs (sha256, bytes, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(bytes)
        .bind(to_micros(now()))
        .execute(self.pool())
        .await
        .map_err(db)?;
        self.count_commit();
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(sha256 = %sha256), err(level = "debug"))]
    async fn get_blob(&self, sha256: &str) -> Result<Vec<u8>> {
        let bytes: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT bytes FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(self.pool())
                .await
                .map_err(db)?;
        bytes.ok_or_else(|| StoreError::not_found("blob", sha256))
    }
}
