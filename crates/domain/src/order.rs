//! Orders and shipments as the shop and the courier report them: what was bought, by whom, for
//! how much, how it was paid (including money a marketplace holds in escrow), when it was paid,
//! shipped or cancelled and why, and every scan of every parcel. These are the facts a
//! complaint is checked against, so an [`Order`] that exists is consistent: one currency, lines
//! with positive quantities, a cancellation with its time.

use std::fmt;

use crate::customer::{EmailAddress, PhoneNumber};
use crate::money::{Currency, Money};
use crate::ticket::{InvalidValue, parsed_text, word_enum};
use crate::time::Timestamp;
use crate::tracking::{Courier, FormatCheck, TrackingNumber, check_format};

/// An order number as the shop shows it to the customer (`1001`, `#1001`, `PL-2024-0042`):
/// trimmed, a leading `#` dropped, letters upper-case, so "#1001" in a mail finds order 1001.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct OrderNumber(String);

impl OrderNumber {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<OrderNumber, InvalidValue> {
        let t = s.trim();
        let t = t.strip_prefix('#').unwrap_or(t).trim_start();
        let ok = !t.is_empty()
            && t.len() <= Self::MAX_LEN
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'.'));
        if ok {
            Ok(OrderNumber(t.to_ascii_uppercase()))
        } else {
            Err(InvalidValue {
                what: "order number",
                value: s.chars().take(64).collect(),
                expected: "1-64 letters, digits, '-', '_', '/', '.' (a leading # is dropped)",
            })
        }
    }
}

parsed_text!(OrderNumber);

/// Which of the desk's shops an order belongs to (`default`, `pl-store`): order numbers are
/// unique per shop only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ShopCode(String);

impl ShopCode {
    pub fn parse(s: &str) -> Result<ShopCode, InvalidValue> {
        let ok = (1..=40).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(ShopCode(s.to_owned()))
        } else {
            Err(InvalidValue {
                what: "shop",
                value: s.chars().take(64).collect(),
                expected: "1-40 lower-case letters, digits, '-' or '_' (like `default`)",
            })
        }
    }

    pub fn default_shop() -> ShopCode {
        ShopCode("default".to_owned())
    }
}

parsed_text!(ShopCode);

word_enum!(
    /// Where the customer's money is.
    PaymentStatus, "payment status", {
        Pending => "pending",
        Authorized => "authorized",
        Paid => "paid",
        PartiallyPaid => "partially_paid",
        PartiallyRefunded => "partially_refunded",
        Refunded => "refunded",
        Voided => "voided",
        Failed => "failed",
    }
);

impl PaymentStatus {
    /// The customer has paid (some of it may since have been refunded).
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            PaymentStatus::Paid | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        )
    }
}

word_enum!(
    /// Money a marketplace or payment provider holds for buyer protection (Allegro, Shopee,
    /// Tokopedia, eMAG, PayPal): held until delivery is confirmed, then released to the shop,
    /// or frozen while the buyer disputes.
    EscrowStatus, "escrow status", {
        Held => "held",
        Released => "released",
        Disputed => "disputed",
    }
);

word_enum!(
    /// How much of the order has left the warehouse.
    FulfillmentStatus, "fulfillment status", {
        Unfulfilled => "unfulfilled",
        Partial => "partial",
        Fulfilled => "fulfilled",
    }
);

word_enum!(
    /// Why an order was cancelled. `out_of_stock` is the one complaints are made of: ordered,
    /// paid, then told it cannot be sent.
    CancelReason, "cancellation reason", {
        Customer => "customer",
        OutOfStock => "out_of_stock",
        Fraud => "fraud",
        PaymentDeclined => "payment_declined",
        Staff => "staff",
        Other => "other",
    }
);

/// A postal address as the shop has it. Free text except the country, an ISO 3166 code.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper-case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        *self == Address::default()
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub name: String,
    pub quantity: u32,
    /// The price of one, in the order's currency.
    pub unit_price: Money,
}

/// Who placed the order, as the shop recorded it. Linked to a desk customer by email, then
/// phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderCustomer {
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    pub name: Option<String>,
}

/// An order as the shop reports it. Its serde form is what storage keeps.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Order {
    pub number: OrderNumber,
    /// The shop system's own id of the order (Shopify's and WooCommerce's `id`), which its
    /// fulfilment and refund messages refer to instead of the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub customer: OrderCustomer,
    pub billing_address: Option<Address>,
    pub shipping_address: Option<Address>,
    pub lines: Vec<OrderLine>,
    pub currency: Currency,
    /// What the customer pays in all (after discounts, with shipping and tax).
    pub total: Money,
    pub subtotal: Option<Money>,
    pub shipping: Option<Money>,
    pub tax: Option<Money>,
    pub discount: Option<Money>,
    /// Refunded so far.
    pub refunded: Option<Money>,
    /// `card`, `bank_transfer`, `cod`, `paypal`, a gateway's name: as the shop says it.
    pub payment_method: Option<String>,
    pub payment_status: PaymentStatus,
    pub escrow: Option<EscrowStatus>,
    pub fulfillment_status: FulfillmentStatus,
    /// The marketplace the order came through (`allegro`, `shopee`, `emag`), if any.
    pub marketplace: Option<String>,
    pub created_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    pub fulfilled_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    pub cancel_reason: Option<CancelReason>,
}

/// Why an order is not consistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {detail}")]
pub struct InvalidOrder {
    /// The field at fault (`lines[2].quantity`, `total`).
    pub field: String,
    pub detail: String,
}

fn invalid(field: impl Into<String>, detail: impl Into<String>) -> InvalidOrder {
    InvalidOrder {
        field: field.into(),
        detail: detail.into(),
    }
}

impl Order {
    /// Checks what the types alone cannot: every amount in the order's currency, no negative
    /// totals, quantities of at least one, a cancellation reason only with a cancellation.
    pub fn validate(&self) -> Result<(), InvalidOrder> {
        let amounts = [
            ("total", Some(self.total)),
            ("subtotal", self.subtotal),
            ("shipping", self.shipping),
            ("tax", self.tax),
            ("discount", self.discount),
            ("refunded", self.refunded),
        ];
        for (field, amount) in amounts {
            let Some(m) = amount else { continue };
            if m.currency != self.currency {
                return Err(invalid(
                    field,
                    format!("in {} but the order is in {}", m.currency, self.currency),
                ));
            }
            if m.amount.is_sign_negative() && !m.amount.is_zero() {
                return Err(invalid(field, "must not be negative"));
            }
        }
        for (i, line) in self.lines.iter().enumerate() {
            if line.quantity == 0 {
                return Err(invalid(
                    format!("lines[{i}].quantity"),
                    "must be at least 1",
                ));
            }
            if line.name.trim().is_empty() {
                return Err(invalid(format!("lines[{i}].name"), "must not be empty"));
            }
            if line.unit_price.currency != self.currency {
                return Err(invalid(
                    format!("lines[{i}].unit_price"),
                    format!(
                        "in {} but the order is in {}",
                        line.unit_price.currency, self.currency
                    ),
                ));
            }
        }
        if self.cancel_reason.is_some() && self.cancelled_at.is_none() {
            return Err(invalid(
                "cancel_reason",
                "given for an order that is not cancelled (no cancelled_at)",
            ));
        }
        Ok(())
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// Whether the customer's money has reached the shop (or a marketplace holding it).
    pub fn is_paid(&self) -> bool {
        self.payment_status.is_paid() || self.paid_at.is_some()
    }
}

word_enum!(
    /// A courier's scan, in the words every courier's statuses map to.
    ShipmentEventKind, "shipment event", {
        LabelCreated => "label_created",
        PickedUp => "picked_up",
        InTransit => "in_transit",
        OutForDelivery => "out_for_delivery",
        AvailableForPickup => "available_for_pickup",
        Delivered => "delivered",
        FailedAttempt => "failed_attempt",
        Returned => "returned",
        Exception => "exception",
    }
);

impl ShipmentEventKind {
    /// The parcel is in the courier's hands (or past that).
    pub fn is_picked_up(self) -> bool {
        !matches!(self, ShipmentEventKind::LabelCreated)
    }
}

/// One scan of a parcel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShipmentEvent {
    pub kind: ShipmentEventKind,
    pub at: Timestamp,
    /// "Warszawa, PL", "Louisville KY 40202 US".
    pub location: Option<String>,
    /// The courier's own words ("Shipment arrived at sort facility").
    pub description: Option<String>,
}

word_enum!(
    /// Something about a shipment a person should look at.
    ShipmentFlag, "shipment flag", {
        CourierNotListed => "courier_not_listed",
        TrackingNumberInvalid => "tracking_number_invalid",
    }
);

/// What needs a look about a shipment: a courier the shop does not name among its couriers
/// ("we ship only with the couriers named on the site"), a tracking number that fits none of
/// the courier's formats. An empty `listed` means the shop named no couriers: nothing to
/// flag there.
pub fn shipment_flags(
    courier: &Courier,
    number: &TrackingNumber,
    listed: &[Courier],
) -> Vec<ShipmentFlag> {
    let mut flags = Vec::new();
    if !listed.is_empty() && !listed.contains(courier) {
        flags.push(ShipmentFlag::CourierNotListed);
    }
    if let FormatCheck::Invalid { .. } = check_format(courier, number) {
        flags.push(ShipmentFlag::TrackingNumberInvalid);
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use proptest::prelude::*;

    fn order() -> Order {
        let usd = |s: &str| Money::parse(s, Currency::USD).unwrap();
        Order {
            number: OrderNumber::parse("#1001").unwrap(),
            external_id: None,
            customer: OrderCustomer::default(),
            billing_address: None,
            shipping_address: None,
            lines: vec![OrderLine {
                sku: Some("IPOD2008GREEN".into()),
                name: "IPod Nano - 8gb - green".into(),
                quantity: 2,
                unit_price: usd("199.00"),
            }],
            currency: Currency::USD,
            total: usd("409.94"),
            subtotal: Some(usd("398")),
            shipping: None,
            tax: Some(usd("11.94")),
            discount: None,
            refunded: None,
            payment_method: None,
            payment_status: PaymentStatus::Paid,
            escrow: None,
            fulfillment_status: FulfillmentStatus::Unfulfilled,
            marketplace: None,
            created_at: Timestamp::UNIX_EPOCH,
            paid_at: None,
            fulfilled_at: None,
            cancelled_at: None,
            cancel_reason: None,
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(OrderNumber::parse(" #1001 ").unwrap().as_str(), "1001");
        assert_eq!(
            OrderNumber::parse("pl-2024/0042").unwrap().as_str(),
            "PL-2024/0042"
        );
        for bad in ["", "#", "10 01", "1001<", &"9".repeat(65)] {
            assert!(OrderNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(ShopCode::parse("pl-store").is_ok());
        assert!(ShopCode::parse("PL Store").is_err());
    }

    #[test]
    fn validation() {
        assert_eq!(order().validate(), Ok(()));
        let mut o = order();
        o.lines[0].quantity = 0;
        assert_eq!(o.validate().unwrap_err().field, "lines[0].quantity");
        let mut o = order();
        o.tax = Some(Money::parse("1", Currency::EUR).unwrap());
        assert_eq!(o.validate().unwrap_err().field, "tax");
        let mut o = order();
        o.cancel_reason = Some(CancelReason::OutOfStock);
        assert_eq!(o.validate().unwrap_err().field, "cancel_reason");
        o.cancelled_at = Some(Timestamp::UNIX_EPOCH);
        assert_eq!(o.validate(), Ok(()));
        assert!(o.is_cancelled() && o.is_paid());
    }

    #[test]
    fn flags() {
        let ups = Courier::parse("UPS").unwrap();
        let inpost = Courier::parse("InPost").unwrap();
        let good = TrackingNumber::parse("1Z5R89390357567127").unwrap();
        let bad = TrackingNumber::parse("1Z2345").unwrap();
        assert!(shipment_flags(&ups, &good, std::slice::from_ref(&ups)).is_empty());
        assert!(shipment_flags(&ups, &good, &[]).is_empty());
        assert_eq!(
            shipment_flags(&ups, &bad, std::slice::from_ref(&inpost)),
            vec![
                ShipmentFlag::CourierNotListed,
                ShipmentFlag::TrackingNumberInvalid
            ]
        );
    }

    proptest! {
        #[test]
        fn order_numbers_parse_idempotently(s in "\\PC{0,40}") {
            if let Ok(n) = OrderNumber::parse(&s) {
                prop_assert_eq!(OrderNumber::parse(n.as_str()).unwrap(), n);
            }
        }
    }
}
