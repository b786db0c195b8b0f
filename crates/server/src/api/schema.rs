//! OpenAPI schemas for the domain's types. The domain crate knows nothing of OpenAPI, so each
//! gets a stand-in here, built from the domain's own word lists so the document cannot drift
//! from what the API accepts.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

macro_rules! word_schema {
    ($name:ident, $domain:ty, $doc:literal) => {
        #[doc = $doc]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($doc))
                    .enum_values(Some(<$domain>::ALL.iter().map(|w| w.as_str())))
                    .into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($domain))
            }
        }
    };
}

word_schema!(StatusSchema, TicketStatus, "Where a ticket stands.");
word_schema!(PrioritySchema, Priority, "How urgent a ticket is.");
word_schema!(
    ChannelSchema,
    Channel,
    "The door a conversation came through."
);
word_schema!(
    DirectionSchema,
    Direction,
    "`in` from the customer, `out` to the customer, `note` internal."
);
word_schema!(
    DeliveryStateSchema,
    DeliveryState,
    "Where a message is on its way; inbound messages are `received`, notes `internal`."
);
word_schema!(
    IdentityKindSchema,
    IdentityKind,
    "The kind of a customer's channel identity."
);
word_schema!(RoleSchema, Role, "What a token may do.");
word_schema!(
    PromiseKindSchema,
    PromiseKind,
    "What was promised: SLA targets (`first_response`, `next_response`, `resolution`) or what was said (`callback`, `agent_promise`, `refund_by`, …)."
);
word_schema!(
    PromiseStateSchema,
    PromiseState,
    "`pending` until `kept`, `broken` or `cancelled`."
);

use trustdesk_domain::{
    Channel, DeliveryState, Direction, IdentityKind, Priority, PromiseKind, PromiseState, Role,
    TicketStatus,
};

macro_rules! id_schema {
    ($name:ident, $title:literal, $prefix:literal, $what:literal) => {
        #[doc = concat!("A ", $what, " id, `", $prefix, "_…`.")]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(concat!("A ", $what, " id.")))
                    .pattern(Some(concat!("^", $prefix, "_[0-9a-hjkmnp-tv-z]{1,13}$")))
                    .examples([concat!($prefix, "_1")])
                    .into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($title)
            }
        }
    };
}

id_schema!(TicketIdSchema, "TicketId", "tkt", "ticket");
id_schema!(CustomerIdSchema, "CustomerId", "cus", "customer");
id_schema!(MessageIdSchema, "MessageId", "msg", "message");
id_schema!(AgentIdSchema, "AgentId", "agt", "agent");
id_schema!(AttachmentIdSchema, "AttachmentId", "att", "attachment");
id_schema!(PromiseIdSchema, "PromiseId", "prm", "promise");
id_schema!(
    QuarantineIdSchema,
    "QuarantineId",
    "qua",
    "quarantined mail"
);

#[cfg(test)]
mod tests {
    #[test]
    fn id_pattern_matches_what_ids_look_like() {
        // The pattern's alphabet is Crockford's lower-case base32: no i, l, o, u.
        let id = trustdesk_domain::TicketId::from_db(i64::MAX).to_string();
        let body = id.strip_prefix("tkt_").unwrap();
        assert!(body.len() <= 13);
        assert!(
            body.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        );
        assert!(!body.contains(['i', 'l', 'o', 'u']));
    }
}
