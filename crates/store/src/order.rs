//! Orders and shipments imported from shops and couriers, linked to the desk's customers, and
//! the input that could not be imported, kept for a person to look at.

use async_trait::async_trait;
use trustdesk_domain::order::{Order, ShipmentEvent, ShipmentEventKind, ShipmentFlag};
use trustdesk_domain::{
    Courier, CustomerId, OrderId, OrderNumber, ShipmentId, ShopCode, Timestamp, TrackingNumber,
};

use crate::Result;

/// An order as the desk keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: OrderId,
    pub shop: ShopCode,
    /// The desk customer the order is linked to (by the order's email, then phone).
    pub customer_id: CustomerId,
    pub order: Order,
    /// Oldest first.
    pub shipments: Vec<Shipment>,
    /// When the desk first saw the order, and last saw it change.
    pub imported_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A parcel and its scans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub id: ShipmentId,
    pub order_id: OrderId,
    pub courier: Courier,
    pub tracking_number: TrackingNumber,
    pub tracking_url: Option<String>,
    /// Sorted; what a person should look at (a courier the shop does not use, a number of the
    /// wrong format).
    pub flags: Vec<ShipmentFlag>,
    /// By time, then in the order received.
    pub events: Vec<ShipmentEvent>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Shipment {
    /// The latest scan's kind, if there was any scan.
    pub fn status(&self) -> Option<ShipmentEventKind> {
        self.events.last().map(|e| e.kind)
    }
}

#[derive(Debug, Clone)]
pub struct NewShipment {
    pub courier: Courier,
    pub tracking_number: TrackingNumber,
    pub tracking_url: Option<String>,
    pub flags: Vec<ShipmentFlag>,
    pub events: Vec<ShipmentEvent>,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    /// The same content was there already: nothing was written.
    Unchanged,
}

/// Input that could not be imported, kept with the reason so nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReject {
    pub id: i64,
    /// Where it came from: `shopify-csv:orders.csv`, `webhook:shopify`, `webhook:shipments`.
    pub source: String,
    /// The line of the file (first line 1), for file imports.
    pub line: Option<u64>,
    pub reason: String,
    /// The row or payload exactly as received.
    pub raw: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewImportReject {
    pub source: String,
    pub line: Option<u64>,
    pub reason: String,
    pub raw: String,
}

#[async_trait]
pub trait OrderStore {
    /// Creates or replaces the order `(shop, order.number)`; idempotent. The order is linked
    /// to the customer owning its email identity, else its phone identity, else a new customer
    /// with those identities (the order's name fills an empty name); an order without either
    /// keeps its customer, or gets a new one. Shipments are left alone.
    async fn upsert_order(&self, shop: &ShopCode, order: Order) -> Result<(OrderRecord, Upserted)>;
    /// NotFound `order`.
    async fn get_order(&self, id: OrderId) -> Result<OrderRecord>;
    async fn find_order(
        &self,
        shop: &ShopCode,
        number: &OrderNumber,
    ) -> Result<Option<OrderRecord>>;
    /// By the shop system's own id (`Order::external_id`).
    async fn find_order_by_external_id(
        &self,
        shop: &ShopCode,
        external_id: &str,
    ) -> Result<Option<OrderRecord>>;
    /// The customer's orders, newest (by order time) first, each with its shipments.
    async fn list_customer_orders(&self, customer: CustomerId) -> Result<Vec<OrderRecord>>;
    /// Adds the shipment `(order, courier, tracking_number)` or updates its url and flags, and
    /// adds its events that are not there yet (same kind, time and location). NotFound `order`.
    async fn upsert_shipment(&self, order: OrderId, shipment: NewShipment) -> Result<Shipment>;
    /// Shipments with this tracking number (of any order, any courier when `courier` is None).
    async fn find_shipments(
        &self,
        tracking_number: &TrackingNumber,
        courier: Option<&Courier>,
    ) -> Result<Vec<Shipment>>;
    /// Adds the events not recorded yet to a shipment; returns it and how many were new.
    /// NotFound `shipment`.
    async fn add_shipment_events(
        &self,
        shipment: ShipmentId,
        events: Vec<ShipmentEvent>,
    ) -> Result<(Shipment, usize)>;
    async fn record_import_reject(&self, reject: NewImportReject) -> Result<ImportReject>;
    /// Newest first.
    async fn list_import_rejects(&self, limit: u32) -> Result<Vec<ImportReject>>;
}
