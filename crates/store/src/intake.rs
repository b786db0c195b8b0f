//! What the intake of raw channel messages (mail) needs beyond tickets: finding the message a
//! new one answers by its channel id, and a quarantine for what must not become a ticket.

use async_trait::async_trait;
use trustdesk_domain::{Channel, MessageId, QuarantineId, TicketId, Timestamp};

use crate::{Page, PageRequest, Result};

/// A stored message found by its channel id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMessageRef {
    pub channel_message_id: String,
    pub ticket_id: TicketId,
    pub message_id: MessageId,
}

/// Why a mail sits in the quarantine instead of on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuarantineKind {
    /// Could not be read or was refused (no sender, our own mail, …); `reason` says why.
    Rejected,
    /// A delivery report about a message we cannot find.
    Bounce,
    /// An automatic reply that answers nothing we know.
    AutoReply,
    /// An abuse / opt-out report about a message we cannot find.
    FeedbackReport,
}

impl QuarantineKind {
    pub const ALL: &'static [QuarantineKind] = &[
        QuarantineKind::Rejected,
        QuarantineKind::Bounce,
        QuarantineKind::AutoReply,
        QuarantineKind::FeedbackReport,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            QuarantineKind::Rejected => "rejected",
            QuarantineKind::Bounce => "bounce",
            QuarantineKind::AutoReply => "auto_reply",
            QuarantineKind::FeedbackReport => "feedback_report",
        }
    }

    pub fn parse(s: &str) -> Option<QuarantineKind> {
        QuarantineKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for QuarantineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mail to keep for a person to look at. Its raw bytes are in the blob store under
/// `raw_sha256` (stored before this record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuarantined {
    pub channel: Channel,
    /// The Message-ID, or the stable id made from the raw bytes' SHA-256 when there is none:
    /// a redelivery finds the first copy by it.
    pub channel_message_id: String,
    pub kind: QuarantineKind,
    pub reason: String,
    pub raw_sha256: String,
    /// Bytes of the raw mail.
    pub size: i64,
    /// The From: address as written, if there was one.
    pub sender: Option<String>,
    pub subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    pub id: QuarantineId,
    pub mail: NewQuarantined,
    pub received_at: Timestamp,
}

#[async_trait]
pub trait IntakeStore {
    /// The stored messages (inbound, outbound or notes) whose channel id on `channel` is one
    /// of `ids`, in no particular order; ids nothing has are left out.
    async fn find_messages_by_channel_ids(
        &self,
        channel: Channel,
        ids: &[String],
    ) -> Result<Vec<ChannelMessageRef>>;
    /// Conflict `duplicate_message` when this channel id is already in the quarantine.
    async fn quarantine(&self, mail: NewQuarantined) -> Result<Quarantined>;
    async fn find_quarantined(
        &self,
        channel: Channel,
        channel_message_id: &str,
    ) -> Result<Option<Quarantined>>;
    /// NotFound `quarantined mail`.
    async fn get_quarantined(&self, id: QuarantineId) -> Result<Quarantined>;
    /// Newest first; `total` counts all of them.
    async fn list_quarantine(&self, page: PageRequest) -> Result<Page<Quarantined>>;
}
