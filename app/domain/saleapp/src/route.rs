use appsdk::{
    AppError, Auth, ErrCode, FieldError, IfMatch, Json, PageDocument, UuidPath, auth::rules::Any,
    extract::entity_response, query::QueryParams,
};
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use salebus::{Business, OrderField, QueryFilter, ReportFilter, ReportOrderField, Status};

use crate::model::{AppNewSale, AppReportRow, AppSale, SaleStatus, parse_idempotency_key};

/// The OpenAPI description of `/v1/sales` and `/v1/reports/sales`, merged into the
/// service's document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create, query, query_by_id, cancel, report),
    tags((name = "sales", description = "Sales: a buyer buys lines of products in one transaction; stock never \
        goes below zero. Reports sum COMPLETED sales per product."))
)]
pub struct ApiDoc;

appsdk::order_by_params!(SaleOrderBy, ORDER_FIELDS, salebus::DEFAULT_ORDER);
appsdk::order_by_params!(ReportOrderBy, REPORT_ORDER_FIELDS, salebus::DEFAULT_REPORT_ORDER);

pub const ORDER_FIELDS: [(&str, OrderField); 5] = [
    ("date_created", OrderField::DateCreated),
    ("sale_id", OrderField::Id),
    ("user_id", OrderField::UserId),
    ("total", OrderField::Total),
    ("status", OrderField::Status),
];

pub const REPORT_ORDER_FIELDS: [(&str, ReportOrderField); 3] = [
    ("revenue", ReportOrderField::Revenue),
    ("units_sold", ReportOrderField::UnitsSold),
    ("name", ReportOrderField::Name),
];

pub fn routes(sales: Business) -> Router {
    Router::new()
        .route("/v1/sales", get(query).post(create))
        .route("/v1/sales/{sale_id}", get(query_by_id))
        .route("/v1/sales/{sale_id}/cancel", post(cancel))
        .route("/v1/reports/sales", get(report))
        .with_state(sales)
}

pub fn to_app_error(e: salebus::Error) -> AppError {
    use salebus::Error::*;
    match e {
        ProductNotFound { index } => AppError::invalid(format!("lines[{index}].productID"), "product not found"),
        InsufficientStock { lines } => AppError::new(
            ErrCode::InsufficientStock,
            "not enough stock for this sale; nothing was sold",
        )
        .with_fields(
            lines
                .iter()
                .map(|l| {
                    FieldError::new(
                        format!("lines[{}].quantity", l.index),
                        format!("requested {}, only {} in stock", l.requested, l.available),
                    )
                })
                .collect(),
        ),
        IdempotencyMismatch => AppError::new(
            ErrCode::Unprocessable,
            "Idempotency-Key was already used for a different request",
        ),
        IdempotencyInFlight => AppError::new(
            ErrCode::Aborted,
            "a request with this Idempotency-Key is still in progress; retry later",
        ),
        AlreadyCancelled => AppError::new(ErrCode::Aborted, "sale is already cancelled"),
        NotFound => AppError::not_found("sale"),
        VersionConflict => AppError::precondition_failed(),
        Internal(e) => AppError::internal(e),
    }
}

/// Buy products.
///
/// **Rule: ANY** authenticated user; the caller is the buyer. All or nothing, in
/// one transaction: every line's stock is taken, or (when any line is short)
/// nothing is sold and the 409 names every short line. `unitCost` is the
/// product's cost now. Buying one's own products is allowed.
///
/// **Idempotency:** with an `Idempotency-Key`, a retry by the same buyer with the
/// same key and body within 24 h returns the original sale (201 and
/// `Idempotent-Replayed: true`) and sells nothing again. Keys are scoped per
/// buyer; the body is compared after parsing (whitespace and key order do not
/// matter).
#[utoipa::path(
    post,
    path = "/v1/sales",
    operation_id = "createSale",
    tag = "sales",
    security(("bearerAuth" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "1 to 255 visible ASCII characters, no spaces. An empty or invalid key is a 400."),
    ),
    request_body = AppNewSale,
    responses(
        (status = 201, description = "The sale (new, or the original one when replayed).", body = AppSale, headers(
            ("ETag" = String, description = "The quoted version, `\"1\"` for a new sale."),
            ("Location" = String, description = "`/v1/sales/{sale_id}` of the sale."),
            ("Idempotent-Replayed" = String, description = "`true` when this is the stored response of an \
                earlier request with the same `Idempotency-Key`; absent otherwise."),
        )),
        (status = 400, description = "`invalid_argument`: malformed JSON, an unknown or mistyped field, 0 or more \
            than 50 lines, a quantity out of range, a product twice, a product that does not exist or was deleted \
            (`lines[i].productID`), or a bad `Idempotency-Key`; `fields` lists them.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 409, description = "`insufficient_stock`: a line asks for more than is in stock; `fields` names \
            every short line (`lines[i].quantity`) and nothing was sold. Or `aborted`: a request with the same \
            `Idempotency-Key` is still running; retry later.", body = appsdk::errs::ErrorBody),
        (status = 413, response = appsdk::docs::PayloadTooLarge),
        (status = 415, response = appsdk::docs::UnsupportedMediaType),
        (status = 422, description = "`unprocessable`: this `Idempotency-Key` was used by this buyer for a \
            different request.", body = appsdk::errs::ErrorBody),
    )
)]
async fn create(
    auth: Auth<Any>,
    State(sales): State<Business>,
    headers: HeaderMap,
    Json(body): Json<AppNewSale>,
) -> Result<Response, AppError> {
    let key = parse_idempotency_key(headers.get("idempotency-key"))?;
    let ns = body.to_bus(auth.subject, key)?;
    let outcome = sales.create(auth.subject, ns).await.map_err(to_app_error)?;
    let replayed = outcome.is_replayed();
    let sale = outcome.into_sale();
    let mut resp = entity_response(
        StatusCode::CREATED,
        sale.version,
        &AppSale::from(&sale),
        Some(format!("/v1/sales/{}", sale.id)),
    );
    if replayed {
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// List sales.
///
/// **Rule: ANY**, with visibility: an ADMIN sees every sale; anyone else sees the
/// sales they bought and the sales holding at least one line of their products
/// (the whole sale, every line). Filters are ANDed.
#[utoipa::path(
    get,
    path = "/v1/sales",
    operation_id = "querySales",
    tag = "sales",
    security(("bearerAuth" = [])),
    params(
        appsdk::docs::PageQuery,
        SaleOrderBy,
        ("sale_id" = Option<uuid::Uuid>, Query, description = "Exactly this sale."),
        ("user_id" = Option<uuid::Uuid>, Query, description = "Sales bought by this user."),
        ("product_id" = Option<uuid::Uuid>, Query, description = "Sales with a line of this product."),
        ("status" = Option<SaleStatus>, Query, description = "`COMPLETED` or `CANCELLED`."),
        ("start_created_date" = Option<time::OffsetDateTime>, Query, description = "Made at or after (RFC 3339)."),
        ("end_created_date" = Option<time::OffsetDateTime>, Query, description = "Made at or before (RFC 3339)."),
    ),
    responses(
        (status = 200, description = "One page of sales.", body = PageDocument<AppSale>),
        (status = 400, description = "`invalid_argument`: bad `page`, `rows`, `orderBy` or filter value; `fields` \
            names the parameter.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
    )
)]
async fn query(auth: Auth<Any>, State(sales): State<Business>, q: QueryParams) -> Result<Response, AppError> {
    let page = q.page()?;
    let order = q.order_by(&ORDER_FIELDS, salebus::DEFAULT_ORDER)?;
    let filter = QueryFilter {
        id: q.uuid("sale_id")?,
        user_id: q.uuid("user_id")?,
        product_id: q.uuid("product_id")?,
        status: q.parse_with("status", |s| Status::parse(s).ok_or("must be COMPLETED or CANCELLED"))?,
        start_created_date: q.time("start_created_date")?,
        end_created_date: q.time("end_created_date")?,
        visible_to: (!auth.is_admin()).then_some(auth.subject),
    };
    let (items, total) = tokio::join!(sales.query(&filter, order, page), sales.count(&filter));
    let items = items.map_err(to_app_error)?;
    let doc = PageDocument::new(
        items.iter().map(AppSale::from).collect(),
        total.map_err(to_app_error)?,
        page,
    );
    Ok(axum::Json(doc).into_response())
}

/// Get a sale.
///
/// **Rule: the buyer, the seller of one of its lines, or an ADMIN**; anyone else
/// gets 403 (the sale's existence is not hidden from them).
#[utoipa::path(
    get,
    path = "/v1/sales/{sale_id}",
    operation_id = "querySaleById",
    tag = "sales",
    security(("bearerAuth" = [])),
    params(("sale_id" = uuid::Uuid, Path, description = "The sale's id.")),
    responses(
        (status = 200, description = "The sale.", body = AppSale,
            headers(("ETag" = String, description = "The quoted version, e.g. `\"1\"`."))),
        (status = 400, description = "`invalid_argument`: `sale_id` is not a UUID.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: neither the buyer, a seller in the sale, nor an ADMIN.",
            body = appsdk::errs::ErrorBody),
        (status = 404, description = "`not_found`: no such sale.", body = appsdk::errs::ErrorBody),
    )
)]
async fn query_by_id(
    auth: Auth<Any>,
    State(sales): State<Business>,
    UuidPath(id): UuidPath,
) -> Result<Response, AppError> {
    let sale = sales.query_by_id(id).await.map_err(to_app_error)?;
    if !(auth.is_admin() || sale.is_buyer(auth.subject) || sale.is_seller(auth.subject)) {
        return Err(AppError::forbidden());
    }
    Ok(entity_response(
        StatusCode::OK,
        sale.version,
        &AppSale::from(&sale),
        None,
    ))
}

/// Cancel a sale.
///
/// **Rule: the buyer or an ADMIN** (a seller cannot cancel). Puts every line's
/// quantity back in stock (also for products deleted since), in one
/// transaction, and is audited. No request body. Honours `If-Match` like the
/// updates of users and products (an addition to the Go kit).
#[utoipa::path(
    post,
    path = "/v1/sales/{sale_id}/cancel",
    operation_id = "cancelSale",
    tag = "sales",
    security(("bearerAuth" = [])),
    params(
        ("sale_id" = uuid::Uuid, Path, description = "The sale's id."),
        appsdk::docs::IfMatchHeader,
    ),
    responses(
        (status = 200, description = "The cancelled sale.", body = AppSale,
            headers(("ETag" = String, description = "The new quoted version."))),
        (status = 400, description = "`invalid_argument`: `sale_id` is not a UUID, or a malformed `If-Match`.",
            body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: neither the buyer nor an ADMIN.", body = appsdk::errs::ErrorBody),
        (status = 404, description = "`not_found`: no such sale.", body = appsdk::errs::ErrorBody),
        (status = 409, description = "`aborted`: the sale is already cancelled.", body = appsdk::errs::ErrorBody),
        (status = 412, response = appsdk::docs::FailedPrecondition),
    )
)]
async fn cancel(
    auth: Auth<Any>,
    State(sales): State<Business>,
    UuidPath(id): UuidPath,
    if_match: IfMatch,
) -> Result<Response, AppError> {
    let sale = sales.query_by_id(id).await.map_err(to_app_error)?;
    if !(auth.is_admin() || sale.is_buyer(auth.subject)) {
        return Err(AppError::forbidden());
    }
    if_match.check(sale.version)?;
    let cancelled = sales
        .cancel(auth.subject, &sale, if_match.0)
        .await
        .map_err(to_app_error)?;
    Ok(entity_response(
        StatusCode::OK,
        cancelled.version,
        &AppSale::from(&cancelled),
        None,
    ))
}

/// Sales report per product.
///
/// **Rule: ANY**, with visibility: an ADMIN sees every product; anyone else their
/// own products. One row per product with at least one unit sold in a
/// COMPLETED sale in the period; cancelled sales do not count.
#[utoipa::path(
    get,
    path = "/v1/reports/sales",
    operation_id = "querySalesReport",
    tag = "sales",
    security(("bearerAuth" = [])),
    params(
        appsdk::docs::PageQuery,
        ReportOrderBy,
        ("user_id" = Option<uuid::Uuid>, Query, description = "Products of this seller."),
        ("start_created_date" = Option<time::OffsetDateTime>, Query, description = "Sales made at or after (RFC 3339)."),
        ("end_created_date" = Option<time::OffsetDateTime>, Query, description = "Sales made at or before (RFC 3339)."),
    ),
    responses(
        (status = 200, description = "One page of report rows.", body = PageDocument<AppReportRow>),
        (status = 400, description = "`invalid_argument`: bad `page`, `rows`, `orderBy` or filter value; `fields` \
            names the parameter.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
    )
)]
async fn report(auth: Auth<Any>, State(sales): State<Business>, q: QueryParams) -> Result<Response, AppError> {
    let page = q.page()?;
    let order = q.order_by(&REPORT_ORDER_FIELDS, salebus::DEFAULT_REPORT_ORDER)?;
    let filter = ReportFilter {
        user_id: q.uuid("user_id")?,
        start_created_date: q.time("start_created_date")?,
        end_created_date: q.time("end_created_date")?,
        visible_to: (!auth.is_admin()).then_some(auth.subject),
    };
    let (items, total) = tokio::join!(sales.report(&filter, order, page), sales.report_count(&filter));
    let items = items.map_err(to_app_error)?;
    let doc = PageDocument::new(
        items.iter().map(AppReportRow::from).collect(),
        total.map_err(to_app_error)?,
        page,
    );
    Ok(axum::Json(doc).into_response())
}
