//! Mail intake: messages by their channel ids (what a new mail answers) and the quarantine.

use rusqlite::{Connection, OptionalExtension, params};
use trustdesk_domain::time::to_micros;
use trustdesk_domain::{Channel, MessageId, QuarantineId, TicketId, Timestamp};
use trustdesk_store::{
    ChannelMessageRef, NewQuarantined, Page, PageRequest, QuarantineKind, Quarantined, StoreError,
};

use crate::error::{Result, time, word};

pub(crate) fn find_messages(
    conn: &Connection,
    channel: Channel,
    ids: &[String],
) -> Result<Vec<ChannelMessageRef>> {
    let mut st = conn.prepare_cached(
        "SELECT ticket_id, id FROM messages WHERE channel = ?1 AND channel_message_id = ?2",
    )?;
    let mut found = Vec::new();
    for id in ids {
        if let Some((ticket, message)) = st
            .query_row(params![channel.as_str(), id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })
            .optional()?
        {
            found.push(ChannelMessageRef {
                channel_message_id: id.clone(),
                ticket_id: TicketId::from_db(ticket),
                message_id: MessageId::from_db(message),
            });
        }
    }
    Ok(found)
}

const COLUMNS: &str = "id, channel, channel_message_id, kind, reason, raw_sha256, size, sender, \
                       subject, received_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Quarantined> {
    let kind: String = r.get(3)?;
    let kind = QuarantineKind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            3,
            rusqlite::types::Type::Text,
            format!("unknown quarantine kind {kind}").into(),
        )
    })?;
    Ok(Quarantined {
        id: QuarantineId::from_db(r.get(0)?),
        mail: NewQuarantined {
            channel: word(r, 1)?,
            channel_message_id: r.get(2)?,
            kind,
            reason: r.get(4)?,
            raw_sha256: r.get(5)?,
            size: r.get(6)?,
            sender: r.get(7)?,
            subject: r.get(8)?,
        },
        received_at: time(r, 9)?,
    })
}

pub(crate) fn quarantine(
    conn: &Connection,
    mail: NewQuarantined,
    now: Timestamp,
) -> Result<Quarantined> {
    if find_quarantined(conn, mail.channel, &mail.channel_message_id)?.is_some() {
        return Err(StoreError::conflict(
            "duplicate_message",
            format!(
                "message {} was already received on {}",
                mail.channel_message_id, mail.channel
            ),
        )
        .into());
    }
    conn.prepare_cached(
        "INSERT INTO quarantine (channel, channel_message_id, kind, reason, raw_sha256, size,
                                 sender, subject, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        mail.channel.as_str(),
        mail.channel_message_id,
        mail.kind.as_str(),
        mail.reason,
        mail.raw_sha256,
        mail.size,
        mail.sender,
        mail.subject,
        to_micros(now)
    ])?;
    Ok(Quarantined {
        id: QuarantineId::from_db(conn.last_insert_rowid()),
        mail,
        received_at: now,
    })
}

pub(crate) fn find_quarantined(
    conn: &Connection,
    channel: Channel,
    channel_message_id: &str,
) -> Result<Option<Quarantined>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM quarantine WHERE channel = ?1 AND channel_message_id = ?2"
        ))?
        .query_row(params![channel.as_str(), channel_message_id], from_row)
        .optional()?)
}

pub(crate) fn get_quarantined(conn: &Connection, id: QuarantineId) -> Result<Quarantined> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM quarantine WHERE id = ?1"))?
        .query_row([id.db_key()], from_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("quarantined mail", id).into())
}

pub(crate) fn list_quarantine(conn: &Connection, page: PageRequest) -> Result<Page<Quarantined>> {
    let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
    let tx = conn.unchecked_transaction()?;
    let total: i64 = tx
        .prepare_cached("SELECT count(*) FROM quarantine")?
        .query_row([], |r| r.get(0))?;
    let before = page.before.unwrap_or(i64::MAX);
    let mut items = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM quarantine WHERE id < ?1 ORDER BY id DESC LIMIT ?2"
        ))?
        .query_map(params![before, i64::from(limit) + 1], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|q| q.id.db_key())
    } else {
        None
    };
    Ok(Page {
        items,
        total: total.max(0) as u64,
        next,
    })
}
