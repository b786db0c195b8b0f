//! trustdesk's channel adapters. Each channel turns what arrives (a raw mail, a webhook) into
//! something the desk understands; this crate holds the pure part of that work, no IO.

pub mod email;
pub mod language;
