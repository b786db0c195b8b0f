//! Customers and their identities: creation, the find-or-create a new ticket uses, updates,
//! listing, and merging two customers into one.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde_json::json;
use trustdesk_domain::event::kind;
use trustdesk_domain::text::index_text;
use trustdesk_domain::time::to_micros;
use trustdesk_domain::{CustomerId, Identity, IdentityKind, Language, TicketId, Timestamp};
use trustdesk_store::{
    Actor, Customer, CustomerFilter, CustomerPatch, NewCustomer, Page, PageRequest, StoreError,
};

use crate::error::{Result, opt_parsed, time, word};
use crate::sql::SqlFilter;
use crate::{events, search_index};

/// What a customer's name and identities look like to list filters and to search, worked out
/// once when they change (outside the writer when the caller already knows them).
#[derive(Debug, Clone)]
pub(crate) struct CustomerText {
    pub filter_text: String,
    pub search_terms: String,
}

impl CustomerText {
    pub(crate) fn of(name: Option<&str>, identities: &[Identity]) -> CustomerText {
        let mut filter = String::new();
        let mut searchable = String::new();
        if let Some(name) = name {
            filter.push_str(&name.to_lowercase());
            searchable.push_str(name);
        }
        for id in identities {
            filter.push('\n');
            filter.push_str(&id.value.to_lowercase());
            searchable.push(' ');
            searchable.push_str(&id.value);
        }
        CustomerText {
            filter_text: filter,
            // Names are written in any language: indexed with every served stemmer.
            search_terms: index_text(&searchable, None),
        }
    }
}

const COLUMNS: &str = "id, name, language, merged_into, created_at, updated_at";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: CustomerId::from_db(row.get(0)?),
        name: row.get(1)?,
        language: opt_parsed(row, 2, Language::parse)?,
        identities: Vec::new(),
        merged_into: row.get::<_, Option<i64>>(3)?.map(CustomerId::from_db),
        created_at: time(row, 4)?,
        updated_at: time(row, 5)?,
    })
}

fn identities(conn: &Connection, id: CustomerId) -> Result<Vec<Identity>> {
    let mut st = conn.prepare_cached(
        "SELECT kind, value FROM customer_identities WHERE customer_id = ?1 ORDER BY kind, value",
    )?;
    let rows = st.query_map([id.db_key()], |row| {
        Ok(Identity {
            kind: word::<IdentityKind>(row, 0)?,
            value: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn get(conn: &Connection, id: CustomerId) -> Result<Customer> {
    let mut customer = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM customers WHERE id = ?1"))?
        .query_row([id.db_key()], from_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("customer", id))?;
    customer.identities = identities(conn, id)?;
    Ok(customer)
}

fn owner(conn: &Connection, identity: &Identity) -> Result<Option<CustomerId>> {
    Ok(conn
        .prepare_cached(
            "SELECT customer_id FROM customer_identities WHERE kind = ?1 AND value = ?2",
        )?
        .query_row(params![identity.kind.as_str(), identity.value], |r| {
            r.get(0).map(CustomerId::from_db)
        })
        .optional()?)
}

pub(crate) fn find_by_identity(conn: &Connection, identity: &Identity) -> Result<Option<Customer>> {
    match owner(conn, identity)? {
        Some(id) => get(conn, id).map(Some),
        None => Ok(None),
    }
}

/// Gives `identity` to `customer`; true when it was new to them. Conflict `identity_taken` when
/// someone else has it.
fn claim_identity(conn: &Connection, customer: CustomerId, identity: &Identity) -> Result<bool> {
    match owner(conn, identity)? {
        Some(c) if c == customer => Ok(false),
        Some(_) => Err(StoreError::conflict(
            "identity_taken",
            format!(
                "the {} {} already belongs to another customer",
                identity.kind, identity.value
            ),
        )
        .into()),
        None => {
            conn.prepare_cached(
                "INSERT INTO customer_identities (kind, value, customer_id) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![
                identity.kind.as_str(),
                identity.value,
                customer.db_key()
            ])?;
            Ok(true)
        }
    }
}

pub(crate) fn create(
    conn: &Connection,
    new: &NewCustomer,
    text: &CustomerText,
    now: Timestamp,
) -> Result<Customer> {
    let at = to_micros(now);
    conn.prepare_cached(
        "INSERT INTO customers (name, language, filter_text, search_terms, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![
        new.name,
        new.language.as_ref().map(Language::as_str),
        text.filter_text,
        text.search_terms,
        at
    ])?;
    let id = CustomerId::from_db(conn.last_insert_rowid());
    for identity in &new.identities {
        claim_identity(conn, id, identity)?;
    }
    let mut identities = new.identities.clone();
    identities.sort_by(|a, b| (a.kind.as_str(), &a.value).cmp(&(b.kind.as_str(), &b.value)));
    identities.dedup();
    Ok(Customer {
        id,
        name: new.name.clone(),
        language: new.language,
        identities,
        merged_into: None,
        created_at: now,
        updated_at: now,
    })
}

/// Recomputes the derived text after the name or identities changed; true when what search
/// sees of the customer changed, so that their tickets need re-indexing.
fn refresh_text(conn: &Connection, customer: &Customer) -> Result<bool> {
    let text = CustomerText::of(customer.name.as_deref(), &customer.identities);
    let old_terms: String = conn
        .prepare_cached("SELECT search_terms FROM customers WHERE id = ?1")?
        .query_row([customer.id.db_key()], |r| r.get(0))?;
    conn.prepare_cached("UPDATE customers SET filter_text = ?2, search_terms = ?3 WHERE id = ?1")?
        .execute(params![
            customer.id.db_key(),
            text.filter_text,
            text.search_terms
        ])?;
    Ok(old_terms != text.search_terms)
}

fn refresh_text_and_index(conn: &Connection, customer: &Customer) -> Result<()> {
    if refresh_text(conn, customer)? {
        search_index::customer_changed(conn, customer.id)?;
    }
    Ok(())
}

/// The live customer `id` stands for: a merged customer's tickets went to the one it was
/// merged into, and so do new ones.
fn live(conn: &Connection, id: CustomerId) -> Result<Customer> {
    let mut customer = get(conn, id)?;
    // Merges are never chained back onto a merged customer, but a bound keeps a corrupt
    // file from looping.
    for _ in 0..64 {
        match customer.merged_into {
            Some(into) => customer = get(conn, into)?,
            None => return Ok(customer),
        }
    }
    Err(crate::error::failure(format!("customer {id} has a merge cycle")).into())
}

/// The customer a new ticket belongs to: an existing one (followed through merges), or found by
/// the first identity that matches (taking over identities nobody has and filling an empty
/// name or language), or created. It can only fail before its first change (the identities it
/// claims are ones nobody owns): ticket creation runs without a savepoint and relies on that.
pub(crate) fn resolve_for_ticket(
    conn: &Connection,
    reference: &trustdesk_store::CustomerRef,
    text: Option<&CustomerText>,
    now: Timestamp,
) -> Result<Customer> {
    use trustdesk_store::CustomerRef;
    let new = match reference {
        CustomerRef::Existing(id) => return live(conn, *id),
        CustomerRef::FindOrCreate(new) => new,
    };
    let owners = new
        .identities
        .iter()
        .map(|identity| owner(conn, identity))
        .collect::<Result<Vec<_>>>()?;
    let Some(id) = owners.iter().flatten().next().copied() else {
        let computed;
        let text = match text {
            Some(t) => t,
            None => {
                computed = CustomerText::of(new.name.as_deref(), &new.identities);
                &computed
            }
        };
        return create(conn, new, text, now);
    };
    let mut customer = live(conn, id)?;
    let mut changed = false;
    for (identity, owner) in new.identities.iter().zip(&owners) {
        if owner.is_none() {
            // Listed twice in `new`: claimed by the first listing already.
            changed |= claim_identity(conn, customer.id, identity)?;
        }
    }
    if customer.name.is_none() && new.name.is_some() {
        customer.name = new.name.clone();
        changed = true;
    }
    if customer.language.is_none() && new.language.is_some() {
        customer.language = new.language;
        changed = true;
    }
    if changed {
        customer.updated_at = now;
        conn.prepare_cached(
            "UPDATE customers SET name = ?2, language = ?3, updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![
            customer.id.db_key(),
            customer.name,
            customer.language.as_ref().map(Language::as_str),
            to_micros(now)
        ])?;
        customer.identities = identities(conn, customer.id)?;
        refresh_text_and_index(conn, &customer)?;
    }
    Ok(customer)
}

fn refuse_merged(customer: &Customer) -> Result<()> {
    match customer.merged_into {
        Some(into) => Err(StoreError::conflict(
            "already_merged",
            format!("customer {} was merged into {into}", customer.id),
        )
        .into()),
        None => Ok(()),
    }
}

pub(crate) fn update(
    conn: &Connection,
    id: CustomerId,
    patch: &CustomerPatch,
    now: Timestamp,
) -> Result<Customer> {
    let mut customer = get(conn, id)?;
    refuse_merged(&customer)?;
    let mut changed = false;
    if let Some(name) = &patch.name {
        changed |= customer.name != *name;
        customer.name = name.clone();
    }
    if let Some(language) = patch.language {
        changed |= customer.language != language;
        customer.language = language;
    }
    for identity in &patch.remove_identities {
        changed |= conn
            .prepare_cached(
                "DELETE FROM customer_identities WHERE kind = ?1 AND value = ?2 AND customer_id = ?3",
            )?
            .execute(params![identity.kind.as_str(), identity.value, id.db_key()])?
            > 0;
    }
    for identity in &patch.add_identities {
        changed |= claim_identity(conn, id, identity)?;
    }
    if !changed {
        return Ok(customer);
    }
    customer.updated_at = now;
    conn.prepare_cached(
        "UPDATE customers SET name = ?2, language = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![
        id.db_key(),
        customer.name,
        customer.language.as_ref().map(Language::as_str),
        to_micros(now)
    ])?;
    customer.identities = identities(conn, id)?;
    refresh_text_and_index(conn, &customer)?;
    Ok(customer)
}

pub(crate) fn list(
    conn: &Connection,
    filter: &CustomerFilter,
    page: PageRequest,
) -> Result<Page<Customer>> {
    let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
    let needle = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase);
    let mut sql = SqlFilter::default();
    if !filter.include_merged {
        sql.push("merged_into IS NULL", None);
    }
    if let Some(needle) = needle {
        sql.push("instr(filter_text, ?) > 0", Some(Value::Text(needle)));
    }
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM customers{}",
            sql.where_clause()
        ))?
        .query_row(params_from_iter(sql.values()), |r| r.get(0))?;
    if let Some(before) = page.before {
        sql.push("id < ?", Some(Value::Integer(before)));
    }
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM customers{} ORDER BY id DESC LIMIT {}",
        sql.where_clause(),
        limit + 1
    ))?;
    let mut items = st
        .query_map(params_from_iter(sql.values()), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|c| c.id.db_key())
    } else {
        None
    };
    for c in &mut items {
        c.identities = identities(conn, c.id)?;
    }
    Ok(Page {
        items,
        total: total as u64,
        next,
    })
}

pub(crate) fn merge(
    conn: &Connection,
    into: CustomerId,
    merged: CustomerId,
    actor: &Actor,
    now: Timestamp,
) -> Result<Customer> {
    if into == merged {
        return Err(
            StoreError::conflict("merge_self", "a customer cannot be merged into itself").into(),
        );
    }
    let mut target = get(conn, into)?;
    let source = get(conn, merged)?;
    refuse_merged(&target)?;
    refuse_merged(&source)?;
    let at = to_micros(now);

    conn.prepare_cached("UPDATE customer_identities SET customer_id = ?1 WHERE customer_id = ?2")?
        .execute(params![into.db_key(), merged.db_key()])?;
    let moved: Vec<TicketId> = conn
        .prepare_cached("SELECT id FROM tickets WHERE customer_id = ?1 ORDER BY id")?
        .query_map([merged.db_key()], |r| r.get(0).map(TicketId::from_db))?
        .collect::<rusqlite::Result<_>>()?;
    conn.prepare_cached(
        "UPDATE tickets SET customer_id = ?1, updated_at = ?3 WHERE customer_id = ?2",
    )?
    .execute(params![into.db_key(), merged.db_key(), at])?;
    let payload = json!({ "from": merged.to_string(), "into": into.to_string() }).to_string();
    for ticket in &moved {
        events::Chain::head(conn, *ticket)?.append(
            conn,
            kind::CUSTOMER_MERGED,
            actor.as_str(),
            &payload,
            at,
        )?;
    }

    if target.name.is_none() {
        target.name = source.name.clone();
    }
    if target.language.is_none() {
        target.language = source.language;
    }
    target.updated_at = now;
    conn.prepare_cached(
        "UPDATE customers SET name = ?2, language = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![
        into.db_key(),
        target.name,
        target.language.as_ref().map(Language::as_str),
        at
    ])?;
    // The merged record stays for the audit trail, without identities to be found by.
    conn.prepare_cached(
        "UPDATE customers SET merged_into = ?2, updated_at = ?3, filter_text = lower(coalesce(name, '')),
                search_terms = '' WHERE id = ?1",
    )?
    .execute(params![merged.db_key(), into.db_key(), at])?;
    target.identities = identities(conn, into)?;
    // Moved tickets now carry the target's name and identities, and the target's own tickets
    // gained the moved identities: every one of them is re-indexed.
    refresh_text(conn, &target)?;
    search_index::customer_changed(conn, into)?;
    Ok(target)
}
