//! Customers and their identities: creation, the race-free find-or-create behind new tickets,
//! updates, listing and merges.

use async_trait::async_trait;
use sqlx::{Acquire, PgConnection, Postgres, QueryBuilder};
use trustdesk_domain::event::kind;
use trustdesk_domain::time::{now, to_micros};
use trustdesk_domain::{CustomerId, Identity, TicketId};
use trustdesk_store::{
    Actor, Customer, CustomerFilter, CustomerPatch, CustomerStore, NewCustomer, Page, PageRequest,
    Result, StoreError,
};

use crate::error::{Internal, db};
use crate::events::{self, EventBatch};
use crate::rows::{
    CustomerRow, customer_columns, distinct_identities, identity_arrays, load_customer,
    with_identities,
};
use crate::search::reindex_customer;
use crate::{PgStore, retrying};

/// Rounds of look-up and insert before find-or-create gives up. Each lost round means another
/// transaction committed a customer for one of our identities, so the next look-up finds it;
/// more than two rounds only happen under merges racing the creation.
const FIND_OR_CREATE_ROUNDS: usize = 5;

/// Follows `merged_into` from `id` to the live customer and locks it with `mode`
/// (`FOR SHARE` to read it stably, `FOR NO KEY UPDATE` to change it). NotFound names `id`.
async fn lock_live(conn: &mut PgConnection, id: i64, for_update: bool) -> Result<i64> {
    let mut current = id;
    for _ in 0..FIND_OR_CREATE_ROUNDS {
        let q = if for_update {
            "SELECT merged_into FROM customers WHERE id = $1 FOR NO KEY UPDATE"
        } else {
            "SELECT merged_into FROM customers WHERE id = $1 FOR SHARE"
        };
        let row: Option<Option<i64>> = sqlx::query_scalar(q)
            .bind(current)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        match row {
            None => return Err(StoreError::not_found("customer", CustomerId::from_db(id))),
            Some(None) => return Ok(current),
            Some(Some(next)) => current = next,
        }
    }
    Err(StoreError::other(Internal(format!(
        "customer {} has a merge chain longer than {FIND_OR_CREATE_ROUNDS}",
        CustomerId::from_db(id)
    ))))
}

/// The live customer a new ticket for `id` belongs to (a merged customer's survivor), held
/// with a share lock so a concurrent rename or merge waits until the ticket is indexed.
pub(crate) async fn share_live(conn: &mut PgConnection, id: CustomerId) -> Result<i64> {
    lock_live(conn, id.db_key(), false).await
}

/// Finds the customer owning the first of `new`'s identities that has an owner, or creates
/// one. Returns its id and whether an existing customer was changed (gaps filled, identities
/// added), in which case its tickets need re-indexing.
///
/// Race-free across nodes: a new customer is inserted under a savepoint together with all its
/// identities; when another transaction claimed one of them first (the unique key makes us
/// wait for it, then `ON CONFLICT DO NOTHING` skips), the savepoint is rolled back and the
/// look-up runs again and finds the other customer.
pub(crate) async fn find_or_create(
    conn: &mut PgConnection,
    new: &NewCustomer,
    at: i64,
) -> Result<(i64, bool)> {
    let identities = distinct_identities(&new.identities);
    let (kinds, values) = identity_arrays(&identities);
    for _ in 0..FIND_OR_CREATE_ROUNDS {
        let owner: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT i.customer_id, i.kind, i.value \
             FROM UNNEST($1::text[], $2::text[]) WITH ORDINALITY AS q(kind, value, ord) \
             JOIN customer_identities i ON i.kind = q.kind AND i.value = q.value \
             ORDER BY q.ord LIMIT 1",
        )
        .bind(&kinds)
        .bind(&values)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;

        if let Some((owner, kind, value)) = owner {
            let id = lock_live(conn, owner, true).await?;
            // The identity may have been removed from its owner between the look-up and the
            // lock (a merge moves it along with the customer, which lock_live follows).
            let still_owned: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM customer_identities \
                                WHERE kind = $1 AND value = $2 AND customer_id = $3)",
            )
            .bind(&kind)
            .bind(&value)
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
            if !still_owned {
                continue;
            }
            let filled = sqlx::query(
                "UPDATE customers SET name = COALESCE(name, $2), \
                                      language = COALESCE(language, $3), updated_at = $4 \
                 WHERE id = $1 AND ((name IS NULL AND $2::text IS NOT NULL) \
                                 OR (language IS NULL AND $3::text IS NOT NULL))",
            )
            .bind(id)
            .bind(new.name.as_deref())
            .bind(new.language.map(|l| l.as_str().to_owned()))
            .bind(at)
            .execute(&mut *conn)
            .await
            .map_err(db)?
            .rows_affected();
            // Identities that belong to nobody yet join this customer.
            let added = claim_identities(conn, id, &kinds, &values).await?;
            if added > 0 {
                sqlx::query("UPDATE customers SET updated_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(at)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
            }
            return Ok((id, filled + added > 0));
        }

        let mut savepoint = Acquire::begin(&mut *conn).await.map_err(db)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO customers (name, language, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(new.name.as_deref())
        .bind(new.language.map(|l| l.as_str().to_owned()))
        .bind(at)
        .fetch_one(&mut *savepoint)
        .await
        .map_err(db)?;
        let claimed = claim_identities(&mut savepoint, id, &kinds, &values).await?;
        if claimed as usize == identities.len() {
            savepoint.commit().await.map_err(db)?;
            return Ok((id, false));
        }
        savepoint.rollback().await.map_err(db)?;
        tracing::debug!("another transaction claimed an identity first; looking up again");
    }
    Err(StoreError::other(Internal(format!(
        "could not settle the customer of {} identities in {FIND_OR_CREATE_ROUNDS} rounds",
        identities.len()
    ))))
}

/// Gives `customer` the identities (parallel `kinds`/`values` arrays) that belong to nobody;
/// ones already owned are skipped. Returns how many were claimed.
async fn claim_identities(
    conn: &mut PgConnection,
    customer: i64,
    kinds: &[String],
    values: &[String],
) -> Result<u64> {
    Ok(sqlx::query(
        "INSERT INTO customer_identities (kind, value, customer_id) \
         SELECT q.kind, q.value, $3 FROM UNNEST($1::text[], $2::text[]) AS q(kind, value) \
         ON CONFLICT DO NOTHING",
    )
    .bind(kinds)
    .bind(values)
    .bind(customer)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected())
}

/// Inserts identities for `customer`; one that belongs to anybody already is a Conflict
/// `identity_taken` (through the primary key's name).
async fn insert_identities(conn: &mut PgConnection, customer: i64, ids: &[Identity]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let (kinds, values) = identity_arrays(ids);
    sqlx::query(
        "INSERT INTO customer_identities (kind, value, customer_id) \
         SELECT q.kind, q.value, $3 FROM UNNEST($1::text[], $2::text[]) AS q(kind, value)",
    )
    .bind(&kinds)
    .bind(&values)
    .bind(customer)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// `%text%` for ILIKE, with the pattern characters of `text` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn push_customer_filter(
    qb: &mut QueryBuilder<Postgres>,
    filter: &CustomerFilter,
    before: Option<i64>,
) {
    qb.push(" WHERE TRUE");
    if !filter.include_merged {
        qb.push(" AND c.merged_into IS NULL");
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = contains_pattern(text);
        // Two trigram-indexed look-ups united, rather than one OR across two tables.
        qb.push(" AND c.id IN (SELECT id FROM customers WHERE name ILIKE ");
        qb.push_bind(pattern.clone());
        qb.push(" UNION SELECT customer_id FROM customer_identities WHERE value ILIKE ");
        qb.push_bind(pattern);
        qb.push(")");
    }
    if let Some(before) = before {
        qb.push(" AND c.id < ");
        qb.push_bind(before);
    }
}

impl PgStore {
    async fn create_customer_once(&self, new: &NewCustomer) -> Result<Customer> {
        let at = to_micros(now());
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO customers (name, language, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(new.name.as_deref())
        .bind(new.language.map(|l| l.as_str().to_owned()))
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        insert_identities(&mut tx, id, &distinct_identities(&new.identities)).await?;
        let customer = load_customer(&mut tx, id).await?;
        self.commit(tx).await?;
        Ok(customer)
    }

    async fn update_customer_once(
        &self,
        id: CustomerId,
        patch: &CustomerPatch,
    ) -> Result<Customer> {
        let at = to_micros(now());
        let mut tx = self.begin().await?;
        let merged_into: Option<Option<i64>> =
            sqlx::query_scalar("SELECT merged_into FROM customers WHERE id = $1 FOR NO KEY UPDATE")
                .bind(id.db_key())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        match merged_into {
            None => return Err(StoreError::not_found("customer", id)),
            Some(Some(into)) => {
                return Err(StoreError::conflict(
                    "already_merged",
                    format!(
                        "customer {id} was merged into {}; change that one",
                        CustomerId::from_db(into)
                    ),
                ));
            }
            Some(None) => {}
        }

        let mut changed = 0;
        let mut reindex = false;
        if let Some(name) = &patch.name {
            let n = sqlx::query(
                "UPDATE customers SET name = $2 WHERE id = $1 AND name IS DISTINCT FROM $2",
            )
            .bind(id.db_key())
            .bind(name.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
            changed += n;
            reindex |= n > 0;
        }
        if let Some(language) = &patch.language {
            changed += sqlx::query(
                "UPDATE customers SET language = $2 WHERE id = $1 AND language IS DISTINCT FROM $2",
            )
            .bind(id.db_key())
            .bind(language.map(|l| l.as_str().to_owned()))
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
        if !patch.remove_identities.is_empty() {
            let (kinds, values) = identity_arrays(&patch.remove_identities);
            let n = sqlx::query(
                "DELETE FROM customer_identities i USING UNNEST($2::text[], $3::text[]) AS q(kind, value) \
                 WHERE i.customer_id = $1 AND i.kind = q.kind AND i.value = q.value",
            )
            .bind(id.db_key())
            .bind(&kinds)
            .bind(&values)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
            changed += n;
            reindex |= n > 0;
        }
        if !patch.add_identities.is_empty() {
            let (kinds, values) = identity_arrays(&distinct_identities(&patch.add_identities));
            let n = claim_identities(&mut tx, id.db_key(), &kinds, &values).await?;
            // Skipped rows are either already this customer's (fine) or someone else's.
            let taken: Option<(String, String)> = sqlx::query_as(
                "SELECT i.kind, i.value FROM customer_identities i \
                 JOIN UNNEST($1::text[], $2::text[]) AS q(kind, value) \
                   ON i.kind = q.kind AND i.value = q.value \
                 WHERE i.customer_id <> $3 LIMIT 1",
            )
            .bind(&kinds)
            .bind(&values)
            .bind(id.db_key())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            if let Some((kind, value)) = taken {
                return Err(StoreError::conflict(
                    "identity_taken",
                    format!("{kind} {value} already belongs to another customer"),
                ));
            }
            changed += n;
            reindex |= n > 0;
        }
        if changed > 0 {
            sqlx::query("UPDATE customers SET updated_at = $2 WHERE id = $1")
                .bind(id.db_key())
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        if reindex {
            reindex_customer(&mut tx, id.db_key()).await?;
        }
        let customer = load_customer(&mut tx, id.db_key()).await?;
        self.commit(tx).await?;
        Ok(customer)
    }

    async fn merge_customers_once(
        &self,
        into: CustomerId,
        merged: CustomerId,
        actor: &Actor,
    ) -> Result<Customer> {
        if into == merged {
            return Err(StoreError::conflict(
                "merge_self",
                format!("customer {into} cannot be merged into itself"),
            ));
        }
        let at = to_micros(now());
        let mut tx = self.begin().await?;
        // Both rows locked in id order, as every merge does: two merges never deadlock.
        let rows: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, merged_into FROM customers WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
        )
        .bind(vec![into.db_key(), merged.db_key()])
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for id in [into, merged] {
            match rows.iter().find(|(k, _)| *k == id.db_key()) {
                None => return Err(StoreError::not_found("customer", id)),
                Some((_, Some(target))) => {
                    return Err(StoreError::conflict(
                        "already_merged",
                        format!(
                            "customer {id} is already merged into {}",
                            CustomerId::from_db(*target)
                        ),
                    ));
                }
                Some((_, None)) => {}
            }
        }

        sqlx::query("UPDATE customer_identities SET customer_id = $1 WHERE customer_id = $2")
            .bind(into.db_key())
            .bind(merged.db_key())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "UPDATE customers c SET name = COALESCE(NULLIF(c.name, ''), m.name), \
                                    language = COALESCE(c.language, m.language), updated_at = $3 \
             FROM customers m WHERE c.id = $1 AND m.id = $2",
        )
        .bind(into.db_key())
        .bind(merged.db_key())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("UPDATE customers SET merged_into = $1, updated_at = $3 WHERE id = $2")
            .bind(into.db_key())
            .bind(merged.db_key())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        // Customers merged into `merged` earlier now point at the survivor directly, so a
        // merge chain never grows beyond one step.
        sqlx::query("UPDATE customers SET merged_into = $1 WHERE merged_into = $2")
            .bind(into.db_key())
            .bind(merged.db_key())
            .execute(&mut *tx)
            .await
            .map_err(db)?;

        // Every ticket of both, locked in id order before any is changed or re-indexed.
        let tickets: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, customer_id FROM tickets WHERE customer_id = ANY($1) ORDER BY id FOR UPDATE",
        )
        .bind(vec![into.db_key(), merged.db_key()])
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let moved: Vec<i64> = tickets
            .iter()
            .filter(|(_, owner)| *owner == merged.db_key())
            .map(|(id, _)| *id)
            .collect();
        if !moved.is_empty() {
            sqlx::query(
                "UPDATE tickets SET customer_id = $1, updated_at = $3 WHERE customer_id = $2",
            )
            .bind(into.db_key())
            .bind(merged.db_key())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            let tickets: Vec<TicketId> = moved.iter().copied().map(TicketId::from_db).collect();
            let payload = serde_json::json!({
                "from": merged.to_string(),
                "into": into.to_string(),
            });
            let mut batch = EventBatch::default();
            for mut tail in events::tails(&mut tx, &tickets).await? {
                batch.push(
                    &mut tail,
                    kind::CUSTOMER_MERGED,
                    actor.as_str(),
                    at,
                    &payload,
                );
            }
            batch.insert(&mut tx).await?;
        }
        reindex_customer(&mut tx, into.db_key()).await?;
        let customer = load_customer(&mut tx, into.db_key()).await?;
        self.commit(tx).await?;
        Ok(customer)
    }
}

#[async_trait]
impl CustomerStore for PgStore {
    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn create_customer(&self, new: NewCustomer) -> Result<Customer> {
        retrying(|| self.create_customer_once(&new)).await
    }

    #[tracing::instrument(skip_all, fields(customer = %id), err(level = "debug"))]
    async fn get_customer(&self, id: CustomerId) -> Result<Customer> {
        let mut conn = self.conn().await?;
        load_customer(&mut conn, id.db_key()).await
    }

    #[tracing::instrument(skip_all, fields(kind = %identity.kind), err(level = "debug"))]
    async fn find_customer_by_identity(&self, identity: &Identity) -> Result<Option<Customer>> {
        let mut conn = self.conn().await?;
        let owner: Option<i64> = sqlx::query_scalar(
            "SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2",
        )
        .bind(identity.kind.as_str())
        .bind(&identity.value)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        match owner {
            Some(id) => match load_customer(&mut conn, id).await {
                Ok(c) => Ok(Some(c)),
                // Merged away between the two reads: as if looked up a moment earlier.
                Err(StoreError::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            },
            None => Ok(None),
        }
    }

    #[tracing::instrument(skip_all, fields(customer = %id), err(level = "debug"))]
    async fn update_customer(&self, id: CustomerId, patch: CustomerPatch) -> Result<Customer> {
        retrying(|| self.update_customer_once(id, &patch)).await
    }

    #[tracing::instrument(skip_all, err(level = "debug"))]
    async fn list_customers(
        &self,
        filter: &CustomerFilter,
        page: PageRequest,
    ) -> Result<Page<Customer>> {
        let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
        let mut conn = self.conn().await?;

        let mut qb = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            customer_columns!(),
            " FROM customers c"
        ));
        push_customer_filter(&mut qb, filter, page.before);
        qb.push(" ORDER BY c.id DESC LIMIT ");
        qb.push_bind(i64::from(limit) + 1);
        let mut rows: Vec<CustomerRow> = qb
            .build_query_as()
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;

        let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM customers c");
        push_customer_filter(&mut count, filter, None);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;

        let next = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.id)
        } else {
            None
        };
        Ok(Page {
            items: with_identities(&mut conn, rows).await?,
            total: total.max(0) as u64,
            next,
        })
    }

    #[tracing::instrument(skip_all, fields(into = %into, merged = %merged), err(level = "debug"))]
    async fn merge_customers(
        &self,
        into: CustomerId,
        merged: CustomerId,
        actor: &Actor,
    ) -> Result<Customer> {
        retrying(|| self.merge_customers_once(into, merged, actor)).await
    }
}
