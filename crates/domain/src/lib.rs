//! trustdesk's domain: the types and rules of a help desk that keeps its promises.
//! Pure: no IO, no async, no database. Everything here is unit- and property-tested.

pub mod calendar;
pub mod customer;
pub mod event;
pub mod id;
pub mod text;
pub mod ticket;
pub mod time;

pub use customer::{EmailAddress, Identity, IdentityKind, Language, PhoneNumber, Role};
pub use id::{AgentId, AttachmentId, CustomerId, InvalidId, MessageId, TicketId, TokenId};
pub use ticket::{
    Channel, DeliveryState, Direction, InvalidValue, Priority, Subject, Tag, TicketStatus,
};
pub use time::Timestamp;
