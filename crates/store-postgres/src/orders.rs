//! Orders, their shipments and scans, and import rejects. An order is kept as the domain's JSON
//! text with the columns look-ups need beside it. An upsert locks the order row (or inserts it
//! under its unique key), so concurrent imports of the same order end in one row.

use async_trait::async_trait;
use sqlx::PgConnection;
use trustdesk_domain::order::{Order, ShipmentEvent, ShipmentEventKind, ShipmentFlag};
use trustdesk_domain::time::{from_micros, now, to_micros};
use trustdesk_domain::{
    Courier, CustomerId, Identity, OrderId, OrderNumber, ShipmentId, ShopCode, TrackingNumber,
};
use trustdesk_store::{
    ImportReject, NewCustomer, NewImportReject, NewShipment, OrderRecord, OrderStore, Result,
    Shipment, StoreError, Upserted,
};

use crate::customers::find_or_create;
use crate::error::{corrupt, db, parse_stored};
use crate::search::reindex_customer;
use crate::{PgStore, retrying};

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    shop: String,
    customer_id: i64,
    doc: String,
    imported_at: i64,
    updated_at: i64,
}

macro_rules! order_columns {
    () => {
        "id, shop, customer_id, doc, imported_at, updated_at"
    };
}

impl OrderRow {
    fn into_record(self) -> Result<OrderRecord> {
        Ok(OrderRecord {
            id: OrderId::from_db(self.id),
            shop: ShopCode::parse(&self.shop).map_err(|_| corrupt("shop", &self.shop))?,
            customer_id: CustomerId::from_db(self.customer_id),
            order: serde_json::from_str::<Order>(&self.doc)
                .map_err(|_| corrupt("order document", &self.doc))?,
            shipments: Vec::new(),
            imported_at: from_micros(self.imported_at),
            updated_at: from_micros(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct ShipmentRow {
    id: i64,
    order_id: i64,
    courier: String,
    tracking_number: String,
    tracking_url: Option<String>,
    flags: String,
    created_at: i64,
    updated_at: i64,
}

macro_rules! shipment_columns {
    () => {
        "id, order_id, courier, tracking_number, tracking_url, flags, created_at, updated_at"
    };
}

fn flags_text(flags: &[ShipmentFlag]) -> String {
    let mut words: Vec<&str> = flags.iter().map(|f| f.as_str()).collect();
    words.sort_unstable();
    words.dedup();
    words.join(" ")
}

/// Loads shipments (with their events) for the given rows, in their order.
async fn load_shipments(conn: &mut PgConnection, rows: Vec<ShipmentRow>) -> Result<Vec<Shipment>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let events: Vec<(i64, String, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT shipment_id, kind, at, location, description FROM shipment_events \
         WHERE shipment_id = ANY($1) ORDER BY at, id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let flags = r
            .flags
            .split_ascii_whitespace()
            .map(|f| parse_stored::<ShipmentFlag>("shipment flag", f))
            .collect::<Result<Vec<_>>>()?;
        let mut shipment = Shipment {
            id: ShipmentId::from_db(r.id),
            order_id: OrderId::from_db(r.order_id),
            courier: Courier::parse(&r.courier).map_err(|_| corrupt("courier", &r.courier))?,
            tracking_number: TrackingNumber::parse(&r.tracking_number)
                .map_err(|_| corrupt("tracking number", &r.tracking_number))?,
            tracking_url: r.tracking_url,
            flags,
            events: Vec::new(),
            created_at: from_micros(r.created_at),
            updated_at: from_micros(r.updated_at),
        };
        for (_, kind, at, location, description) in events.iter().filter(|e| e.0 == r.id) {
            shipment.events.push(ShipmentEvent {
                kind: parse_stored::<ShipmentEventKind>("shipment event", kind)?,
                at: from_micros(*at),
                location: (!location.is_empty()).then(|| location.clone()),
                description: description.clone(),
            });
        }
        out.push(shipment);
    }
    Ok(out)
}

async fn shipment_by_id(conn: &mut PgConnection, id: i64) -> Result<Shipment> {
    let rows: Vec<ShipmentRow> = sqlx::query_as(concat!(
        "SELECT ",
        shipment_columns!(),
        " FROM shipments WHERE id = $1"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    load_shipments(conn, rows)
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("shipment", ShipmentId::from_db(id)))
}

/// Order rows with their shipments.
async fn with_shipments(conn: &mut PgConnection, rows: Vec<OrderRow>) -> Result<Vec<OrderRecord>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let shipment_rows: Vec<ShipmentRow> = sqlx::query_as(concat!(
        "SELECT ",
        shipment_columns!(),
        " FROM shipments WHERE order_id = ANY($1) ORDER BY id"
    ))
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut shipments = load_shipments(conn, shipment_rows).await?;
    rows.into_iter()
        .map(|r| {
            let mut record = r.into_record()?;
            let (mine, rest) = shipments
                .drain(..)
                .partition(|s: &Shipment| s.order_id == record.id);
            record.shipments = mine;
            shipments = rest;
            Ok(record)
        })
        .collect()
}

async fn load_order(conn: &mut PgConnection, id: i64) -> Result<OrderRecord> {
    let rows: Vec<OrderRow> = sqlx::query_as(concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders WHERE id = $1"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    with_shipments(conn, rows)
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("order", OrderId::from_db(id)))
}

/// Inserts the scans not recorded yet; how many were new.
async fn insert_events(
    conn: &mut PgConnection,
    shipment: i64,
    events: &[ShipmentEvent],
    at: i64,
) -> Result<u64> {
    if events.is_empty() {
        return Ok(0);
    }
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let times: Vec<i64> = events.iter().map(|e| to_micros(e.at)).collect();
    let locations: Vec<&str> = events
        .iter()
        .map(|e| e.location.as_deref().unwrap_or(""))
        .collect();
    let descriptions: Vec<Option<&str>> = events.iter().map(|e| e.description.as_deref()).collect();
    let added = sqlx::query(
        "INSERT INTO shipment_events (shipment_id, kind, at, location, description) \
         SELECT $1, q.kind, q.at, q.location, q.description \
         FROM UNNEST($2::text[], $3::bigint[], $4::text[], $5::text[]) \
              WITH ORDINALITY AS q(kind, at, location, description, ord) \
         ORDER BY q.ord \
         ON CONFLICT (shipment_id, kind, at, location) DO NOTHING",
    )
    .bind(shipment)
    .bind(&kinds)
    .bind(&times)
    .bind(&locations)
    .bind(&descriptions)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    if added > 0 {
        sqlx::query("UPDATE shipments SET updated_at = $2 WHERE id = $1")
            .bind(shipment)
            .bind(at)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(added)
}

impl PgStore {
    async fn upsert_order_once(
        &self,
        shop: &ShopCode,
        order: &Order,
        doc: &str,
    ) -> Result<(OrderRecord, Upserted)> {
        let at = to_micros(now());
        let mut tx = self.begin().await?;
        let existing: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, customer_id, doc FROM orders WHERE shop = $1 AND number = $2 FOR UPDATE",
        )
        .bind(shop.as_str())
        .bind(order.number.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let c = &order.customer;
        let identities: Vec<Identity> = c
            .email
            .iter()
            .map(Identity::email)
            .chain(c.phone.iter().map(Identity::phone))
            .collect();
        let customer = match (&existing, identities.is_empty()) {
            (Some((_, customer, _)), true) => *customer,
            _ => {
                let new = NewCustomer {
                    name: c.name.clone(),
                    language: None,
                    identities,
                };
                let (id, changed) = find_or_create(&mut tx, &new, at).await?;
                if changed {
                    reindex_customer(&mut tx, id).await?;
                }
                id
            }
        };
        let (id, upserted) = match existing {
            Some((id, old_customer, ref old_doc)) if old_doc == doc && old_customer == customer => {
                (id, Upserted::Unchanged)
            }
            Some((id, _, _)) => {
                sqlx::query(
                    "UPDATE orders SET customer_id = $2, doc = $3, ordered_at = $4, updated_at = $5, \
                                       external_id = $6 \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(customer)
                .bind(doc)
                .bind(to_micros(order.created_at))
                .bind(at)
                .bind(order.external_id.as_deref())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                (id, Upserted::Updated)
            }
            None => {
                // A concurrent import of the same order may insert first: then this one
                // updates it, as if it had come second.
                let (id, inserted): (i64, bool) = sqlx::query_as(
                    "INSERT INTO orders (shop, number, customer_id, doc, ordered_at, imported_at, \
                                         updated_at, external_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
                     ON CONFLICT (shop, number) DO UPDATE \
                        SET customer_id = EXCLUDED.customer_id, doc = EXCLUDED.doc, \
                            external_id = EXCLUDED.external_id, \
                            ordered_at = EXCLUDED.ordered_at, updated_at = EXCLUDED.updated_at \
                     RETURNING id, (xmax = 0)",
                )
                .bind(shop.as_str())
                .bind(order.number.as_str())
                .bind(customer)
                .bind(doc)
                .bind(to_micros(order.created_at))
                .bind(at)
                .bind(order.external_id.as_deref())
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
                let how = if inserted {
                    Upserted::Created
                } else {
                    Upserted::Updated
                };
                (id, how)
            }
        };
        let record = load_order(&mut tx, id).await?;
        if upserted == Upserted::Unchanged {
            tx.rollback().await.map_err(db)?;
        } else {
            self.commit(tx).await?;
        }
        Ok((record, upserted))
    }

    async fn upsert_shipment_once(&self, order: OrderId, new: &NewShipment) -> Result<Shipment> {
        let at = to_micros(now());
        let mut tx = self.begin().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM orders WHERE id = $1 FOR SHARE)")
                .bind(order.db_key())
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        if !exists {
            return Err(StoreError::not_found("order", order));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO shipments AS s (order_id, courier, tracking_number, tracking_url, flags, \
                                         created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (order_id, courier, tracking_number) DO UPDATE \
                SET tracking_url = COALESCE(EXCLUDED.tracking_url, s.tracking_url), \
                    flags = EXCLUDED.flags, \
                    updated_at = CASE WHEN s.tracking_url IS DISTINCT FROM \
                                           COALESCE(EXCLUDED.tracking_url, s.tracking_url) \
                                        OR s.flags IS DISTINCT FROM EXCLUDED.flags \
                                      THEN EXCLUDED.updated_at ELSE s.updated_at END \
             RETURNING id",
        )
        .bind(order.db_key())
        .bind(new.courier.as_str())
        .bind(new.tracking_number.as_str())
        .bind(new.tracking_url.as_deref())
        .bind(flags_text(&new.flags))
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        insert_events(&mut tx, id, &new.events, at).await?;
        let shipment = shipment_by_id(&mut tx, id).await?;
        self.commit(tx).await?;
        Ok(shipment)
    }

    async fn add_events_once(
        &self,
        shipment: ShipmentId,
        events: &[ShipmentEvent],
    ) -> Result<(Shipment, usize)> {
        let at = to_micros(now());
        let mut tx = self.begin().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM shipments WHERE id = $1 FOR UPDATE)")
                .bind(shipment.db_key())
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        if !exists {
            return Err(StoreError::not_found("shipment", shipment));
        }
        let added = insert_events(&mut tx, shipment.db_key(), events, at).await?;
        let loaded = shipment_by_id(&mut tx, shipment.db_key()).await?;
        self.commit(tx).await?;
        Ok((loaded, added as usize))
    }
}

#[async_trait]
impl OrderStore for PgStore {
    #[tracing::instrument(skip_all, fields(shop = %shop, order = %order.number), err(level = "debug"))]
    async fn upsert_order(&self, shop: &ShopCode, order: Order) -> Result<(OrderRecord, Upserted)> {
        let doc = serde_json::to_string(&order).map_err(StoreError::other)?;
        retrying(|| self.upsert_order_once(shop, &order, &doc)).await
    }

    async fn get_order(&self, id: OrderId) -> Result<OrderRecord> {
        let mut conn = self.conn().await?;
        load_order(&mut conn, id.db_key()).await
    }

    async fn find_order(
        &self,
        shop: &ShopCode,
        number: &OrderNumber,
    ) -> Result<Option<OrderRecord>> {
        let mut conn = self.conn().await?;
        let rows: Vec<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE shop = $1 AND number = $2"
        ))
        .bind(shop.as_str())
        .bind(number.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        Ok(with_shipments(&mut conn, rows).await?.pop())
    }

    async fn find_order_by_external_id(
        &self,
        shop: &ShopCode,
        external_id: &str,
    ) -> Result<Option<OrderRecord>> {
        let mut conn = self.conn().await?;
        let rows: Vec<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE shop = $1 AND external_id = $2 \
             ORDER BY id LIMIT 1"
        ))
        .bind(shop.as_str())
        .bind(external_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        Ok(with_shipments(&mut conn, rows).await?.pop())
    }

    async fn list_customer_orders(&self, customer: CustomerId) -> Result<Vec<OrderRecord>> {
        let mut tx = self.begin_snapshot().await?;
        // Orders linked before a merge stay on the merged customer's row; they are the
        // survivor's orders too.
        let rows: Vec<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders \
             WHERE customer_id = $1 \
                OR customer_id IN (SELECT id FROM customers WHERE merged_into = $1) \
             ORDER BY ordered_at DESC, id DESC"
        ))
        .bind(customer.db_key())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let records = with_shipments(&mut tx, rows).await?;
        tx.commit().await.map_err(db)?;
        Ok(records)
    }

    #[tracing::instrument(skip_all, fields(order = %order), err(level = "debug"))]
    async fn upsert_shipment(&self, order: OrderId, shipment: NewShipment) -> Result<Shipment> {
        retrying(|| self.upsert_shipment_once(order, &shipment)).await
    }

    async fn find_shipments(
        &self,
        tracking_number: &TrackingNumber,
        courier: Option<&Courier>,
    ) -> Result<Vec<Shipment>> {
        let mut conn = self.conn().await?;
        let rows: Vec<ShipmentRow> = sqlx::query_as(concat!(
            "SELECT ",
            shipment_columns!(),
            " FROM shipments \
             WHERE tracking_number = $1 AND ($2::text IS NULL OR courier = $2) ORDER BY id"
        ))
        .bind(tracking_number.as_str())
        .bind(courier.map(Courier::as_str))
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        load_shipments(&mut conn, rows).await
    }

    #[tracing::instrument(skip_all, fields(shipment = %shipment), err(level = "debug"))]
    async fn add_shipment_events(
        &self,
        shipment: ShipmentId,
        events: Vec<ShipmentEvent>,
    ) -> Result<(Shipment, usize)> {
        retrying(|| self.add_events_once(shipment, &events)).await
    }

    async fn record_import_reject(&self, reject: NewImportReject) -> Result<ImportReject> {
        let now = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO import_rejects (source, line, reason, raw, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&reject.source)
        .bind(reject.line.map(|l| l as i64))
        .bind(&reject.reason)
        .bind(&reject.raw)
        .bind(to_micros(now))
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        self.count_commit();
        Ok(ImportReject {
            id,
            source: reject.source,
            line: reject.line,
            reason: reject.reason,
            raw: reject.raw,
            created_at: now,
        })
    }

    async fn list_import_rejects(&self, limit: u32) -> Result<Vec<ImportReject>> {
        let rows: Vec<(i64, String, Option<i64>, String, String, i64)> = sqlx::query_as(
            "SELECT id, source, line, reason, raw, created_at FROM import_rejects \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit.clamp(1, 10_000)))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(id, source, line, reason, raw, at)| ImportReject {
                id,
                source,
                line: line.map(|l| l.max(0) as u64),
                reason,
                raw,
                created_at: from_micros(at),
            })
            .collect())
    }
}
