//! Understanding an e-mail: parse the raw bytes into what a ticket needs, fold the quoted
//! history away for display, tell a customer's mail from a bounce or an auto-reply, and decide
//! whether it deserves an acknowledgement. Pure functions over bytes: no database, no network.

mod bounce;
mod classify;
mod html;
mod intake;
mod parse;
mod reply;

pub use bounce::{BounceReason, BounceReport, FailedRecipient};
pub use classify::{FeedbackReport, Kind, NoAckReason, classify, should_acknowledge};
pub use html::{html_to_text, sanitize_html};
pub use intake::{
    InvalidSubjectTag, MAX_THREAD_IDS, SubjectTag, attachment_content_type, attachment_filename,
    channel_message_id, raw_channel_id, sender_language, storable, thread_ids, ticket_subject,
};
pub use parse::{Attachment, Mailbox, ParseError, ParseWarning, ParsedMail, parse};
pub use reply::split_reply;

pub use crate::language::detect_language;
