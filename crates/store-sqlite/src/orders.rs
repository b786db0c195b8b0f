//! Orders, their shipments and scans, and import rejects. An order is kept as the domain's JSON
//! with the columns lists and look-ups need beside it.

use rusqlite::{Connection, OptionalExtension, params};
use trustdesk_domain::order::{Order, ShipmentEvent, ShipmentFlag};
use trustdesk_domain::time::to_micros;
use trustdesk_domain::{
    Courier, CustomerId, Identity, OrderId, OrderNumber, ShipmentId, ShopCode, Timestamp,
    TrackingNumber,
};
use trustdesk_store::{
    CustomerRef, ImportReject, NewCustomer, NewImportReject, NewShipment, OrderRecord, Shipment,
    StoreError, Upserted,
};

use crate::customers;
use crate::error::{Result, parsed, time, word};

/// The identities an order links its customer by, email first.
pub(crate) fn order_identities(order: &Order) -> Vec<Identity> {
    let c = &order.customer;
    c.email
        .iter()
        .map(Identity::email)
        .chain(c.phone.iter().map(Identity::phone))
        .collect()
}

fn to_doc(order: &Order) -> Result<String> {
    serde_json::to_string(order).map_err(|e| StoreError::other(e).into())
}

fn corrupt(column: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
}

const ORDER_COLUMNS: &str = "id, shop, customer_id, doc, imported_at, updated_at";

fn order_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OrderRecord> {
    let doc: String = row.get(3)?;
    Ok(OrderRecord {
        id: OrderId::from_db(row.get(0)?),
        shop: parsed(row, 1, ShopCode::parse)?,
        customer_id: CustomerId::from_db(row.get(2)?),
        order: serde_json::from_str(&doc).map_err(|e| corrupt(3, e))?,
        shipments: Vec::new(),
        imported_at: time(row, 4)?,
        updated_at: time(row, 5)?,
    })
}

fn with_shipments(conn: &Connection, mut record: OrderRecord) -> Result<OrderRecord> {
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM shipments WHERE order_id = ?1 ORDER BY id")?
        .query_map([record.id.db_key()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    record.shipments = ids
        .into_iter()
        .map(|id| get_shipment(conn, ShipmentId::from_db(id)))
        .collect::<Result<_>>()?;
    Ok(record)
}

pub(crate) fn get(conn: &Connection, id: OrderId) -> Result<OrderRecord> {
    let record = conn
        .prepare_cached(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1"))?
        .query_row([id.db_key()], order_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("order", id))?;
    with_shipments(conn, record)
}

pub(crate) fn find(
    conn: &Connection,
    shop: &ShopCode,
    number: &OrderNumber,
) -> Result<Option<OrderRecord>> {
    let record = conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE shop = ?1 AND number = ?2"
        ))?
        .query_row(params![shop.as_str(), number.as_str()], order_row)
        .optional()?;
    record.map(|r| with_shipments(conn, r)).transpose()
}

pub(crate) fn find_by_external_id(
    conn: &Connection,
    shop: &ShopCode,
    external_id: &str,
) -> Result<Option<OrderRecord>> {
    let record = conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE shop = ?1 AND external_id = ?2
              ORDER BY id LIMIT 1"
        ))?
        .query_row(params![shop.as_str(), external_id], order_row)
        .optional()?;
    record.map(|r| with_shipments(conn, r)).transpose()
}

pub(crate) fn list_for_customer(
    conn: &Connection,
    customer: CustomerId,
) -> Result<Vec<OrderRecord>> {
    // Orders linked before a merge stay on the merged customer's row; they are the
    // survivor's orders too.
    let records: Vec<OrderRecord> = conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders
              WHERE customer_id = ?1
                 OR customer_id IN (SELECT id FROM customers WHERE merged_into = ?1)
              ORDER BY ordered_at DESC, id DESC"
        ))?
        .query_map([customer.db_key()], order_row)?
        .collect::<rusqlite::Result<_>>()?;
    records
        .into_iter()
        .map(|r| with_shipments(conn, r))
        .collect()
}

pub(crate) fn upsert(
    conn: &Connection,
    shop: &ShopCode,
    order: &Order,
    now: Timestamp,
) -> Result<(OrderRecord, Upserted)> {
    let doc = to_doc(order)?;
    let existing: Option<(i64, i64, String)> = conn
        .prepare_cached("SELECT id, customer_id, doc FROM orders WHERE shop = ?1 AND number = ?2")?
        .query_row(params![shop.as_str(), order.number.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let identities = order_identities(order);
    let customer = match (&existing, identities.is_empty()) {
        (Some((_, customer, _)), true) => CustomerId::from_db(*customer),
        _ => {
            let new = NewCustomer {
                name: order.customer.name.clone(),
                language: None,
                identities,
            };
            customers::resolve_for_ticket(conn, &CustomerRef::FindOrCreate(new), None, now)?.id
        }
    };
    let at = to_micros(now);
    let (id, upserted) = match existing {
        Some((id, old_customer, old_doc))
            if old_doc == doc && old_customer == customer.db_key() =>
        {
            (id, Upserted::Unchanged)
        }
        Some((id, _, _)) => {
            conn.prepare_cached(
                "UPDATE orders SET customer_id = ?2, doc = ?3, ordered_at = ?4, updated_at = ?5,
                                   external_id = ?6
                  WHERE id = ?1",
            )?
            .execute(params![
                id,
                customer.db_key(),
                doc,
                to_micros(order.created_at),
                at,
                order.external_id
            ])?;
            (id, Upserted::Updated)
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO orders (shop, number, customer_id, doc, ordered_at, imported_at,
                                     updated_at, external_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
            )?
            .execute(params![
                shop.as_str(),
                order.number.as_str(),
                customer.db_key(),
                doc,
                to_micros(order.created_at),
                at,
                order.external_id
            ])?;
            (conn.last_insert_rowid(), Upserted::Created)
        }
    };
    Ok((get(conn, OrderId::from_db(id))?, upserted))
}

fn flags_text(flags: &[ShipmentFlag]) -> String {
    let mut words: Vec<&str> = flags.iter().map(|f| f.as_str()).collect();
    words.sort_unstable();
    words.dedup();
    words.join(" ")
}

fn shipment_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Shipment> {
    let flags: String = row.get(5)?;
    Ok(Shipment {
        id: ShipmentId::from_db(row.get(0)?),
        order_id: OrderId::from_db(row.get(1)?),
        courier: parsed(row, 2, Courier::parse)?,
        tracking_number: parsed(row, 3, TrackingNumber::parse)?,
        tracking_url: row.get(4)?,
        flags: flags
            .split_ascii_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt(5, e))?,
        events: Vec::new(),
        created_at: time(row, 6)?,
        updated_at: time(row, 7)?,
    })
}

const SHIPMENT_COLUMNS: &str =
    "id, order_id, courier, tracking_number, tracking_url, flags, created_at, updated_at";

pub(crate) fn get_shipment(conn: &Connection, id: ShipmentId) -> Result<Shipment> {
    let mut shipment = conn
        .prepare_cached(&format!(
            "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE id = ?1"
        ))?
        .query_row([id.db_key()], shipment_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("shipment", id))?;
    shipment.events = conn
        .prepare_cached(
            "SELECT kind, at, location, description FROM shipment_events
              WHERE shipment_id = ?1 ORDER BY at, id",
        )?
        .query_map([id.db_key()], |r| {
            let location: String = r.get(2)?;
            Ok(ShipmentEvent {
                kind: word(r, 0)?,
                at: time(r, 1)?,
                location: (!location.is_empty()).then_some(location),
                description: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(shipment)
}

/// Inserts the events not there yet; how many were new.
fn insert_events(
    conn: &Connection,
    shipment: ShipmentId,
    events: &[ShipmentEvent],
    now: Timestamp,
) -> Result<usize> {
    let mut added = 0;
    for e in events {
        added += conn
            .prepare_cached(
                "INSERT INTO shipment_events (shipment_id, kind, at, location, description)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (shipment_id, kind, at, location) DO NOTHING",
            )?
            .execute(params![
                shipment.db_key(),
                e.kind.as_str(),
                to_micros(e.at),
                e.location.as_deref().unwrap_or(""),
                e.description
            ])?;
    }
    if added > 0 {
        conn.prepare_cached("UPDATE shipments SET updated_at = ?2 WHERE id = ?1")?
            .execute(params![shipment.db_key(), to_micros(now)])?;
    }
    Ok(added)
}

pub(crate) fn upsert_shipment(
    conn: &Connection,
    order: OrderId,
    new: &NewShipment,
    now: Timestamp,
) -> Result<Shipment> {
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM orders WHERE id = ?1)")?
        .query_row([order.db_key()], |r| r.get(0))?;
    if !exists {
        return Err(StoreError::not_found("order", order).into());
    }
    let at = to_micros(now);
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO shipments (order_id, courier, tracking_number, tracking_url, flags,
                                    created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (order_id, courier, tracking_number) DO UPDATE
                SET tracking_url = coalesce(excluded.tracking_url, tracking_url),
                    flags = excluded.flags,
                    updated_at = CASE WHEN tracking_url IS NOT coalesce(excluded.tracking_url, tracking_url)
                                        OR flags IS NOT excluded.flags
                                      THEN excluded.updated_at ELSE updated_at END
             RETURNING id",
        )?
        .query_row(
            params![
                order.db_key(),
                new.courier.as_str(),
                new.tracking_number.as_str(),
                new.tracking_url,
                flags_text(&new.flags),
                at
            ],
            |r| r.get(0),
        )?;
    let id = ShipmentId::from_db(id);
    insert_events(conn, id, &new.events, now)?;
    get_shipment(conn, id)
}

pub(crate) fn find_shipments(
    conn: &Connection,
    number: &TrackingNumber,
    courier: Option<&Courier>,
) -> Result<Vec<Shipment>> {
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM shipments WHERE tracking_number = ?1 AND (?2 IS NULL OR courier = ?2)
              ORDER BY id",
        )?
        .query_map(
            params![number.as_str(), courier.map(Courier::as_str)],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    ids.into_iter()
        .map(|id| get_shipment(conn, ShipmentId::from_db(id)))
        .collect()
}

pub(crate) fn add_events(
    conn: &Connection,
    shipment: ShipmentId,
    events: &[ShipmentEvent],
    now: Timestamp,
) -> Result<(Shipment, usize)> {
    get_shipment(conn, shipment)?;
    let added = insert_events(conn, shipment, events, now)?;
    Ok((get_shipment(conn, shipment)?, added))
}

fn reject_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ImportReject> {
    Ok(ImportReject {
        id: row.get(0)?,
        source: row.get(1)?,
        line: row.get::<_, Option<i64>>(2)?.map(|l| l.max(0) as u64),
        reason: row.get(3)?,
        raw: row.get(4)?,
        created_at: time(row, 5)?,
    })
}

pub(crate) fn record_reject(
    conn: &Connection,
    reject: &NewImportReject,
    now: Timestamp,
) -> Result<ImportReject> {
    conn.prepare_cached(
        "INSERT INTO import_rejects (source, line, reason, raw, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        reject.source,
        reject.line.map(|l| l as i64),
        reject.reason,
        reject.raw,
        to_micros(now)
    ])?;
    Ok(ImportReject {
        id: conn.last_insert_rowid(),
        source: reject.source.clone(),
        line: reject.line,
        reason: reject.reason.clone(),
        raw: reject.raw.clone(),
        created_at: now,
    })
}

pub(crate) fn list_rejects(conn: &Connection, limit: u32) -> Result<Vec<ImportReject>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, source, line, reason, raw, created_at FROM import_rejects
              ORDER BY id DESC LIMIT ?1",
        )?
        .query_map([i64::from(limit.clamp(1, 10_000))], reject_row)?
        .collect::<rusqlite::Result<_>>()?)
}
