//! trustdesk's domain: the types and rules of a help desk that keeps its promises.
//! Pure: no IO, no async, no database. Everything here is unit- and property-tested.

pub mod calendar;
pub mod country;
pub mod customer;
pub mod event;
pub mod id;
pub mod money;
pub mod order;
pub mod promise;
pub mod sla;
pub mod text;
pub mod ticket;
pub mod time;
pub mod tracking;

pub use customer::{EmailAddress, Identity, IdentityKind, Language, PhoneNumber, Role};
pub use id::{
    AgentId, AttachmentId, CustomerId, InvalidId, MessageId, OrderId, PromiseId, QuarantineId,
    ShipmentId, TicketId, TokenId,
};
pub use money::{Currency, Decimal, Money};
pub use order::{OrderNumber, ShopCode};
pub use promise::{MadeBy, PromiseKind, PromiseState, PromiseText};
pub use ticket::{
    Channel, DeliveryState, Direction, InvalidValue, Priority, Subject, Tag, TicketStatus,
};
pub use time::Timestamp;
pub use tracking::{Courier, TrackingNumber};
