//! `/api/v1/customers`: create, read, change, list and merge customers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use trustdesk_domain::{CustomerId, Identity};
use trustdesk_store::{CustomerFilter, CustomerPatch, NewCustomer, StoreError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cursor::{self, CursorKind};
use super::input;
use super::model::*;
use crate::auth::{Admin, Reader, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, PathId};
use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_customer, list_customers))
        .routes(routes!(get_customer, update_customer))
        .routes(routes!(merge_customers))
}

/// Create a customer
#[utoipa::path(
    post,
    path = "/api/v1/customers",
    tag = "customers",
    request_body = CreateCustomer,
    responses(
        (status = 201, description = "The new customer", body = CustomerView),
        (status = 409, description = "`identity_taken`: an identity belongs to another customer", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, err(Display, level = "debug"))]
async fn create_customer(
    State(app): State<AppState>,
    Writer(_caller): Writer,
    ApiJson(req): ApiJson<CreateCustomer>,
) -> ApiResult<(StatusCode, Json<CustomerView>)> {
    let name = input::short_text("name", req.name)?;
    let mut identities = req.identities;
    identities.extend(req.email.as_ref().map(Identity::email));
    identities.extend(req.phone.as_ref().map(Identity::phone));
    identities.sort_by(|a, b| (a.kind.as_str(), &a.value).cmp(&(b.kind.as_str(), &b.value)));
    identities.dedup();
    if name.is_none() && identities.is_empty() {
        return Err(ApiError::invalid_field(
            "body",
            "a customer needs a `name` or at least one identity",
        ));
    }
    let customer = app
        .store()
        .create_customer(NewCustomer {
            name,
            language: req.language,
            identities,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(customer.into())))
}

/// List customers
///
/// Newest first; `q` matches part of a name or of any identity value.
#[utoipa::path(
    get,
    path = "/api/v1/customers",
    tag = "customers",
    params(CustomerListQuery),
    responses((status = 200, description = "One page of customers", body = CustomerList))
)]
#[tracing::instrument(level = "debug", skip_all, err(Display, level = "debug"))]
async fn list_customers(
    State(app): State<AppState>,
    Reader(_caller): Reader,
    ApiQuery(q): ApiQuery<CustomerListQuery>,
) -> ApiResult<Json<CustomerList>> {
    if let Some(text) = &q.q {
        input::check_text("q", text)?;
    }
    let include_merged = match q.include_merged.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::invalid_field(
                "include_merged",
                format!("`{}` is not `true` or `false`", input::shown(other)),
            ));
        }
    };
    let filter = CustomerFilter {
        text: q.q.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
        include_merged,
    };
    let before = q
        .cursor
        .as_deref()
        .map(|c| cursor::decode(CursorKind::Customers, c))
        .transpose()?;
    let page = input::page(q.limit.as_deref(), before)?;
    let result = app.store().list_customers(&filter, page).await?;
    Ok(Json(CustomerList {
        items: result.items.into_iter().map(Into::into).collect(),
        total: result.total,
        next_cursor: result
            .next
            .map(|n| cursor::encode(CursorKind::Customers, n)),
    }))
}

/// Read a customer
///
/// A merged customer is still returned, with `merged_into` naming the survivor.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}",
    tag = "customers",
    params(("id" = String, Path, description = "A customer id, `cus_…`")),
    responses(
        (status = 200, description = "The customer", body = CustomerView),
        (status = 404, description = "`customer_not_found`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(customer = %id), err(Display, level = "debug"))]
async fn get_customer(
    State(app): State<AppState>,
    Reader(_caller): Reader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CustomerView>> {
    let id = CustomerId::from_path(&id)?;
    Ok(Json(app.store().get_customer(id).await?.into()))
}

/// Change a customer
///
/// Name and language (`null` clears), identities added and removed. Tickets of the customer
/// are re-indexed for search.
#[utoipa::path(
    patch,
    path = "/api/v1/customers/{id}",
    tag = "customers",
    params(("id" = String, Path, description = "A customer id, `cus_…`")),
    request_body = UpdateCustomer,
    responses(
        (status = 200, description = "The customer after the change", body = CustomerView),
        (status = 404, description = "`customer_not_found`", body = ErrorBody),
        (status = 409, description = "`identity_taken`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(customer = %id), err(Display, level = "debug"))]
async fn update_customer(
    State(app): State<AppState>,
    Writer(_caller): Writer,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateCustomer>,
) -> ApiResult<Json<CustomerView>> {
    let id = CustomerId::from_path(&id)?;
    let name = match req.name {
        None => None,
        Some(None) => Some(None),
        Some(Some(n)) => Some(input::short_text("name", Some(n))?),
    };
    let patch = CustomerPatch {
        name,
        language: req.language,
        add_identities: req.add_identities,
        remove_identities: req.remove_identities,
    };
    Ok(Json(app.store().update_customer(id, patch).await?.into()))
}

/// Merge two customers (admin)
///
/// `from` is merged into the customer in the path: its identities and tickets move over, gaps
/// in name and language are filled, and `from` is marked as merged. Each moved ticket records a
/// `customer.merged` event.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{id}/merge",
    tag = "customers",
    params(("id" = String, Path, description = "The customer that remains, `cus_…`")),
    request_body = MergeCustomers,
    responses(
        (status = 200, description = "The customer that remains", body = CustomerView),
        (status = 404, description = "`customer_not_found` (the one in the path)", body = ErrorBody),
        (status = 409, description = "`merge_self`, `already_merged`", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(customer = %id), err(Display, level = "debug"))]
async fn merge_customers(
    State(app): State<AppState>,
    Admin(auth): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<MergeCustomers>,
) -> ApiResult<Json<CustomerView>> {
    let into = CustomerId::from_path(&id)?;
    let from = req.from;
    let merged = app
        .store()
        .merge_customers(into, from, &auth.actor)
        .await
        .map_err(|e| match e {
            // The path names the resource; a missing `from` is a bad value in the body.
            StoreError::NotFound {
                what: "customer",
                ref id,
            } if *id == from.to_string() && from != into => {
                ApiError::invalid_field("from", format!("no customer {from}"))
            }
            e => e.into(),
        })?;
    Ok(Json(merged.into()))
}
