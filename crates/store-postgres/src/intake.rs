//! Mail intake: messages by their channel ids (what a new mail answers) and the quarantine.

use async_trait::async_trait;
use trustdesk_domain::time::{from_micros, now, to_micros};
use trustdesk_domain::{Channel, MessageId, QuarantineId, TicketId};
use trustdesk_store::{
    ChannelMessageRef, IntakeStore, NewQuarantined, Page, PageRequest, QuarantineKind, Quarantined,
    Result, StoreError,
};

use crate::PgStore;
use crate::error::{corrupt, db, parse_stored};

#[derive(sqlx::FromRow)]
struct QuarantineRow {
    id: i64,
    channel: String,
    channel_message_id: String,
    kind: String,
    reason: String,
    raw_sha256: String,
    size: i64,
    sender: Option<String>,
    subject: Option<String>,
    received_at: i64,
}

macro_rules! columns {
    () => {
        "id, channel, channel_message_id, kind, reason, raw_sha256, size, sender, subject, \
         received_at"
    };
}

impl QuarantineRow {
    fn into_record(self) -> Result<Quarantined> {
        Ok(Quarantined {
            id: QuarantineId::from_db(self.id),
            mail: NewQuarantined {
                channel: parse_stored("channel", &self.channel)?,
                kind: QuarantineKind::parse(&self.kind)
                    .ok_or_else(|| corrupt("quarantine kind", &self.kind))?,
                channel_message_id: self.channel_message_id,
                reason: self.reason,
                raw_sha256: self.raw_sha256,
                size: self.size,
                sender: self.sender,
                subject: self.subject,
            },
            received_at: from_micros(self.received_at),
        })
    }
}

#[async_trait]
impl IntakeStore for PgStore {
    #[tracing::instrument(skip_all, fields(ids = ids.len()), err(level = "debug"))]
    async fn find_messages_by_channel_ids(
        &self,
        channel: Channel,
        ids: &[String],
    ) -> Result<Vec<ChannelMessageRef>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT channel_message_id, ticket_id, id FROM messages \
             WHERE channel = $1 AND channel_message_id = ANY($2)",
        )
        .bind(channel.as_str())
        .bind(ids)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(cmid, ticket, message)| ChannelMessageRef {
                channel_message_id: cmid,
                ticket_id: TicketId::from_db(ticket),
                message_id: MessageId::from_db(message),
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(kind = %mail.kind), err(level = "debug"))]
    async fn quarantine(&self, mail: NewQuarantined) -> Result<Quarantined> {
        let at = to_micros(now());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO quarantine (channel, channel_message_id, kind, reason, raw_sha256, size, \
                                     sender, subject, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(mail.channel.as_str())
        .bind(&mail.channel_message_id)
        .bind(mail.kind.as_str())
        .bind(&mail.reason)
        .bind(&mail.raw_sha256)
        .bind(mail.size)
        .bind(mail.sender.as_deref())
        .bind(mail.subject.as_deref())
        .bind(at)
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        self.count_commit();
        Ok(Quarantined {
            id: QuarantineId::from_db(id),
            mail,
            received_at: from_micros(at),
        })
    }

    async fn find_quarantined(
        &self,
        channel: Channel,
        channel_message_id: &str,
    ) -> Result<Option<Quarantined>> {
        let row: Option<QuarantineRow> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM quarantine WHERE channel = $1 AND channel_message_id = $2"
        ))
        .bind(channel.as_str())
        .bind(channel_message_id)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(QuarantineRow::into_record).transpose()
    }

    async fn get_quarantined(&self, id: QuarantineId) -> Result<Quarantined> {
        let row: Option<QuarantineRow> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM quarantine WHERE id = $1"
        ))
        .bind(id.db_key())
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.ok_or_else(|| StoreError::not_found("quarantined mail", id))?
            .into_record()
    }

    async fn list_quarantine(&self, page: PageRequest) -> Result<Page<Quarantined>> {
        let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
        let mut tx = self.begin_snapshot().await?;
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM quarantine")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut rows: Vec<QuarantineRow> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM quarantine WHERE id < $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(page.before.unwrap_or(i64::MAX))
        .bind(i64::from(limit) + 1)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let next = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.id)
        } else {
            None
        };
        Ok(Page {
            items: rows
                .into_iter()
                .map(QuarantineRow::into_record)
                .collect::<Result<_>>()?,
            total: total.max(0) as u64,
            next,
        })
    }
}
