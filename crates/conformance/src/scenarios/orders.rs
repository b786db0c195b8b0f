//! Orders and shipments: idempotent upserts by (shop, number), customers linked by the order's
//! email or phone, shipments and their scans without duplicates, look-ups, and import rejects.

use trustdesk_domain::money::{Currency, Money};
use trustdesk_domain::order::{
    CancelReason, FulfillmentStatus, Order, OrderCustomer, OrderLine, PaymentStatus, ShipmentEvent,
    ShipmentEventKind, ShipmentFlag,
};
use trustdesk_domain::{
    Courier, EmailAddress, OrderId, OrderNumber, PhoneNumber, ShipmentId, ShopCode, Timestamp,
    TrackingNumber,
};
use trustdesk_store::{NewImportReject, NewShipment, Store, Upserted};

use super::*;

fn shop(s: &str) -> ShopCode {
    ShopCode::parse(s).unwrap_or_else(|e| panic!("fixture {s}: {e}"))
}

fn eur(s: &str) -> Money {
    Money::parse(s, Currency::EUR).unwrap_or_else(|e| panic!("fixture {s}: {e}"))
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("fixture {s}: {e}"))
}

/// A paid two-line order placed at `when`.
fn order(number: &str, email: Option<&str>, phone: Option<&str>, when: &str) -> Order {
    Order {
        number: OrderNumber::parse(number).unwrap(),
        external_id: Some(format!("ext-{number}")),
        customer: OrderCustomer {
            email: email.map(|e| EmailAddress::parse(e).unwrap()),
            phone: phone.map(|p| PhoneNumber::parse(p).unwrap()),
            name: Some("Ana Pop".into()),
        },
        billing_address: None,
        shipping_address: None,
        lines: vec![
            OrderLine {
                sku: Some("MUG-1".into()),
                name: "Mug".into(),
                quantity: 2,
                unit_price: eur("9.90"),
            },
            OrderLine {
                sku: None,
                name: "Gift wrap".into(),
                quantity: 1,
                unit_price: eur("0.20"),
            },
        ],
        currency: Currency::EUR,
        total: eur("20.00"),
        subtotal: Some(eur("20.00")),
        shipping: None,
        tax: None,
        discount: None,
        refunded: None,
        payment_method: Some("card".into()),
        payment_status: PaymentStatus::Paid,
        escrow: None,
        fulfillment_status: FulfillmentStatus::Unfulfilled,
        marketplace: None,
        created_at: at(when),
        paid_at: Some(at(when)),
        fulfilled_at: None,
        cancelled_at: None,
        cancel_reason: None,
    }
}

fn scan(kind: ShipmentEventKind, when: &str, location: Option<&str>) -> ShipmentEvent {
    ShipmentEvent {
        kind,
        at: at(when),
        location: location.map(str::to_owned),
        description: None,
    }
}

fn parcel(courier: &str, number: &str, events: Vec<ShipmentEvent>) -> NewShipment {
    NewShipment {
        courier: Courier::parse(courier).unwrap(),
        tracking_number: TrackingNumber::parse(number).unwrap(),
        tracking_url: None,
        flags: Vec::new(),
        events,
    }
}

pub async fn order_upsert_is_idempotent(store: &dyn Store) {
    let main = shop("default");
    let o = order(
        "#1001",
        Some("ana@shop.example"),
        None,
        "2026-03-02T10:00:00Z",
    );
    let (created, how) = ok(store.upsert_order(&main, o.clone()).await, "upsert");
    assert_eq!(how, Upserted::Created);
    assert_eq!(created.order, o, "the order reads back as written");
    assert_eq!(created.shop, main);
    assert!(created.shipments.is_empty());

    let (again, how) = ok(store.upsert_order(&main, o.clone()).await, "upsert again");
    assert_eq!(how, Upserted::Unchanged);
    assert_eq!(again, created, "an unchanged upsert writes nothing");

    let mut cancelled = o.clone();
    cancelled.cancelled_at = Some(at("2026-03-03T08:00:00Z"));
    cancelled.cancel_reason = Some(CancelReason::OutOfStock);
    cancelled.refunded = Some(eur("20.00"));
    cancelled.payment_status = PaymentStatus::Refunded;
    let (updated, how) = ok(store.upsert_order(&main, cancelled.clone()).await, "update");
    assert_eq!(how, Upserted::Updated);
    assert_eq!(
        (updated.id, updated.customer_id),
        (created.id, created.customer_id)
    );
    assert_eq!(updated.order, cancelled);
    assert_eq!(updated.imported_at, created.imported_at);
    assert!(updated.updated_at >= created.updated_at);

    let number = OrderNumber::parse("1001").unwrap();
    let found = ok(store.find_order(&main, &number).await, "find_order");
    assert_eq!(found.as_ref(), Some(&updated));
    assert_eq!(ok(store.get_order(created.id).await, "get_order"), updated);
    let by_ext = ok(
        store.find_order_by_external_id(&main, "ext-#1001").await,
        "find_order_by_external_id",
    );
    assert_eq!(by_ext.as_ref(), Some(&updated));
    assert_eq!(
        ok(
            store.find_order_by_external_id(&main, "ext-1").await,
            "find"
        ),
        None
    );
    let other = OrderNumber::parse("1002").unwrap();
    assert_eq!(ok(store.find_order(&main, &other).await, "find"), None);
    assert_eq!(
        ok(store.find_order(&shop("other"), &number).await, "find"),
        None,
        "order numbers are per shop"
    );
    assert_not_found(
        store.get_order(OrderId::from_db(UNKNOWN_KEY)).await,
        "order",
    );

    // The same number in another shop is another order.
    let (elsewhere, how) = ok(
        store.upsert_order(&shop("other"), o.clone()).await,
        "upsert",
    );
    assert_eq!(how, Upserted::Created);
    assert_ne!(elsewhere.id, created.id);
    assert_eq!(
        elsewhere.customer_id, created.customer_id,
        "same email, same person"
    );
}

pub async fn order_links_customer_by_identity(store: &dyn Store) {
    let main = shop("default");
    let known = customer(store, Some("Known"), vec![email("known@shop.example")]).await;
    let by_phone = customer(store, None, vec![phone("+48 601 000 001")]).await;

    let (a, _) = ok(
        store
            .upsert_order(
                &main,
                order(
                    "A1",
                    Some("Known@Shop.example"),
                    None,
                    "2026-01-01T00:00:00Z",
                ),
            )
            .await,
        "upsert",
    );
    assert_eq!(a.customer_id, known.id, "found by email");

    let (b, _) = ok(
        store
            .upsert_order(
                &main,
                order(
                    "B1",
                    Some("new@shop.example"),
                    Some("+48601000001"),
                    "2026-01-02T00:00:00Z",
                ),
            )
            .await,
        "upsert",
    );
    assert_eq!(
        b.customer_id, by_phone.id,
        "found by phone when the email is new"
    );
    let owner = ok(store.get_customer(by_phone.id).await, "get_customer");
    assert!(
        owner.identities.contains(&email("new@shop.example")),
        "the new email joins the customer found: {:?}",
        owner.identities
    );
    assert_eq!(
        owner.name.as_deref(),
        Some("Ana Pop"),
        "the order's name fills a gap"
    );

    let before = live_customer_count(store).await;
    let (c, _) = ok(
        store
            .upsert_order(
                &main,
                order(
                    "C1",
                    Some("fresh@shop.example"),
                    Some("+40 721 000 111"),
                    "2026-01-03T00:00:00Z",
                ),
            )
            .await,
        "upsert",
    );
    assert_eq!(
        live_customer_count(store).await,
        before + 1,
        "a new customer"
    );
    let fresh = ok(store.get_customer(c.customer_id).await, "get_customer");
    assert_eq!(
        fresh.identities,
        vec![email("fresh@shop.example"), phone("+40721000111")]
    );
    let (c2, _) = ok(
        store
            .upsert_order(
                &main,
                order(
                    "C2",
                    Some("fresh@shop.example"),
                    None,
                    "2026-01-04T00:00:00Z",
                ),
            )
            .await,
        "upsert",
    );
    assert_eq!(c2.customer_id, c.customer_id);

    // An update without identities keeps the order's customer.
    let (c2b, how) = ok(
        store
            .upsert_order(&main, order("C2", None, None, "2026-01-04T00:00:00Z"))
            .await,
        "upsert",
    );
    assert_eq!(how, Upserted::Updated);
    assert_eq!(c2b.customer_id, c.customer_id);

    let listed = ok(store.list_customer_orders(c.customer_id).await, "list");
    let numbers: Vec<&str> = listed.iter().map(|r| r.order.number.as_str()).collect();
    assert_eq!(numbers, ["C2", "C1"], "newest order first");
    assert!(ok(store.list_customer_orders(known.id).await, "list").len() == 1);

    // After a merge the survivor sees the merged customer's orders.
    ok(
        store
            .merge_customers(known.id, c.customer_id, &Actor::system())
            .await,
        "merge",
    );
    let merged = ok(store.list_customer_orders(known.id).await, "list");
    let numbers: Vec<&str> = merged.iter().map(|r| r.order.number.as_str()).collect();
    assert_eq!(numbers, ["C2", "C1", "A1"]);
}

pub async fn shipments_and_scans(store: &dyn Store) {
    let main = shop("default");
    let (o, _) = ok(
        store
            .upsert_order(
                &main,
                order(
                    "S1",
                    Some("ship@shop.example"),
                    None,
                    "2026-02-01T09:00:00Z",
                ),
            )
            .await,
        "upsert",
    );
    use ShipmentEventKind::*;
    let label = scan(LabelCreated, "2026-02-01T12:00:00Z", None);
    let picked = scan(PickedUp, "2026-02-02T08:00:00Z", Some("Warszawa, PL"));
    let mut new = parcel(
        "InPost",
        "620000000000000000000001",
        vec![picked.clone(), label.clone(), label.clone()],
    );
    new.flags = vec![
        ShipmentFlag::TrackingNumberInvalid,
        ShipmentFlag::CourierNotListed,
    ];
    new.tracking_url = Some("https://inpost.pl/sledzenie?number=620000000000000000000001".into());
    let s = ok(
        store.upsert_shipment(o.id, new.clone()).await,
        "upsert_shipment",
    );
    assert_eq!(s.order_id, o.id);
    assert_eq!(s.courier.as_str(), "inpost");
    assert_eq!(
        s.events,
        vec![label.clone(), picked.clone()],
        "by time, repeats dropped"
    );
    assert_eq!(s.status(), Some(PickedUp));
    assert_eq!(
        s.flags,
        vec![
            ShipmentFlag::CourierNotListed,
            ShipmentFlag::TrackingNumberInvalid
        ],
        "sorted"
    );

    // The same shipment again: same id, only new scans added, url kept when not sent.
    let delivered = ShipmentEvent {
        description: Some("Delivered to parcel locker".into()),
        ..scan(Delivered, "2026-02-03T15:30:00Z", Some("Kraków, PL"))
    };
    let mut again = parcel(
        "inpost",
        "620000000000000000000001",
        vec![picked.clone(), delivered.clone()],
    );
    again.flags = vec![ShipmentFlag::CourierNotListed];
    let s2 = ok(
        store.upsert_shipment(o.id, again).await,
        "upsert_shipment again",
    );
    assert_eq!(s2.id, s.id);
    assert_eq!(
        s2.events,
        vec![label.clone(), picked.clone(), delivered.clone()]
    );
    assert_eq!(s2.tracking_url, s.tracking_url);
    assert_eq!(s2.flags, vec![ShipmentFlag::CourierNotListed]);
    assert_eq!(s2.status(), Some(Delivered));

    // Scans for a known shipment; a repeat counts as nothing new.
    let returned = scan(Returned, "2026-02-10T10:00:00Z", None);
    let (s3, added) = ok(
        store
            .add_shipment_events(s.id, vec![delivered.clone(), returned.clone()])
            .await,
        "add_shipment_events",
    );
    assert_eq!(added, 1);
    assert_eq!(s3.events.len(), 4);
    assert_eq!(s3.status(), Some(Returned));
    let (_, added) = ok(
        store.add_shipment_events(s.id, vec![returned]).await,
        "add_shipment_events again",
    );
    assert_eq!(added, 0);
    assert_not_found(
        store
            .add_shipment_events(ShipmentId::from_db(UNKNOWN_KEY), vec![label.clone()])
            .await,
        "shipment",
    );
    assert_not_found(
        store
            .upsert_shipment(
                OrderId::from_db(UNKNOWN_KEY),
                parcel("ups", "1Z5R89390357567127", vec![]),
            )
            .await,
        "order",
    );

    // A second parcel on the same order; look-ups by tracking number.
    let ups = ok(
        store
            .upsert_shipment(o.id, parcel("UPS", "1z5r89390357567127", vec![]))
            .await,
        "second shipment",
    );
    assert_ne!(ups.id, s.id);
    assert_eq!(ups.status(), None);
    let number = TrackingNumber::parse("620000000000000000000001").unwrap();
    let found = ok(store.find_shipments(&number, None).await, "find_shipments");
    assert_eq!(found, vec![s3.clone()]);
    let inpost = Courier::parse("inpost").unwrap();
    assert_eq!(
        ok(store.find_shipments(&number, Some(&inpost)).await, "find").len(),
        1
    );
    let dhl = Courier::parse("dhl").unwrap();
    assert!(ok(store.find_shipments(&number, Some(&dhl)).await, "find").is_empty());

    let record = ok(store.get_order(o.id).await, "get_order");
    assert_eq!(record.shipments, vec![s3, ups]);
    let listed = ok(store.list_customer_orders(o.customer_id).await, "list");
    assert_eq!(listed, vec![record.clone()]);
    // Re-importing the order leaves its shipments alone.
    let (re, how) = ok(
        store.upsert_order(&main, record.order.clone()).await,
        "re-upsert",
    );
    assert_eq!(how, Upserted::Unchanged);
    assert_eq!(re.shipments, record.shipments);
}

pub async fn import_rejects_are_kept(store: &dyn Store) {
    assert!(ok(store.list_import_rejects(10).await, "list").is_empty());
    let first = ok(
        store
            .record_import_reject(NewImportReject {
                source: "shopify-csv:orders.csv".into(),
                line: Some(7),
                reason: "Total: `12,50` is not a valid amount".into(),
                raw: "#1007,ana@shop.example,12,50\r\n".into(),
            })
            .await,
        "record",
    );
    let second = ok(
        store
            .record_import_reject(NewImportReject {
                source: "webhook:shipments".into(),
                line: None,
                reason: "no shipment with tracking number X".into(),
                raw: "{\"tracking_number\": \"X\"} — zażółć".into(),
            })
            .await,
        "record",
    );
    assert_eq!(first.line, Some(7));
    let listed = ok(store.list_import_rejects(10).await, "list");
    assert_eq!(listed, vec![second.clone(), first]);
    assert_eq!(ok(store.list_import_rejects(1).await, "list"), vec![second]);
}
