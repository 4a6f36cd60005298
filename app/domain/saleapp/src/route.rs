use appsdk::{
    AppError, Auth, ErrCode, FieldError, IfMatch, Json, PageDocument, UuidPath,
    auth::rules::Any,
    extract::entity_response,
    query::QueryParams,
};
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use salebus::{Business, OrderField, QueryFilter, ReportFilter, ReportOrderField, Status};

use crate::model::{AppNewSale, AppReportRow, AppSale, parse_idempotency_key};

pub const ORDER_FIELDS: [(&str, OrderField); 5] = [
    ("date_created", OrderField::DateCreated),
    ("sale_id", OrderField::Id),
    ("user_id", OrderField::UserId),
    ("total", OrderField::Total),
    ("status", OrderField::Status),
];

pub const REPORT_ORDER_FIELDS: [(&str, ReportOrderField); 3] =
    [("revenue", ReportOrderField::Revenue), ("units_sold", ReportOrderField::UnitsSold), ("name", ReportOrderField::Name)];

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
        InsufficientStock { lines } => AppError::new(ErrCode::InsufficientStock, "not enough stock for this sale; nothing was sold").with_fields(
            lines
                .iter()
                .map(|l| FieldError::new(format!("lines[{}].quantity", l.index), format!("requested {}, only {} in stock", l.requested, l.available)))
                .collect(),
        ),
        IdempotencyMismatch => AppError::new(ErrCode::Unprocessable, "Idempotency-Key was already used for a different request"),
        IdempotencyInFlight => AppError::new(ErrCode::Aborted, "a request with this Idempotency-Key is still in progress; retry later"),
        AlreadyCancelled => AppError::new(ErrCode::Aborted, "sale is already cancelled"),
        NotFound => AppError::not_found("sale"),
        VersionConflict => AppError::precondition_failed(),
        Internal(e) => AppError::internal(e),
    }
}

async fn create(auth: Auth<Any>, State(sales): State<Business>, headers: HeaderMap, Json(body): Json<AppNewSale>) -> Result<Response, AppError> {
    let key = parse_idempotency_key(headers.get("idempotency-key"))?;
    let ns = body.to_bus(auth.subject, key)?;
    let outcome = sales.create(auth.subject, ns).await.map_err(to_app_error)?;
    let replayed = outcome.is_replayed();
    let sale = outcome.into_sale();
    let mut resp = entity_response(StatusCode::CREATED, sale.version, &AppSale::from(&sale), Some(format!("/v1/sales/{}", sale.id)));
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

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
    let doc = PageDocument::new(items.iter().map(AppSale::from).collect(), total.map_err(to_app_error)?, page);
    Ok(axum::Json(doc).into_response())
}

async fn query_by_id(auth: Auth<Any>, State(sales): State<Business>, UuidPath(id): UuidPath) -> Result<Response, AppError> {
    let sale = sales.query_by_id(id).await.map_err(to_app_error)?;
    if !(auth.is_admin() || sale.is_buyer(auth.subject) || sale.is_seller(auth.subject)) {
        return Err(AppError::forbidden());
    }
    Ok(entity_response(StatusCode::OK, sale.version, &AppSale::from(&sale), None))
}

async fn cancel(auth: Auth<Any>, State(sales): State<Business>, UuidPath(id): UuidPath, if_match: IfMatch) -> Result<Response, AppError> {
    let sale = sales.query_by_id(id).await.map_err(to_app_error)?;
    if !(auth.is_admin() || sale.is_buyer(auth.subject)) {
        return Err(AppError::forbidden());
    }
    if_match.check(sale.version)?;
    let cancelled = sales.cancel(auth.subject, &sale, if_match.0).await.map_err(to_app_error)?;
    Ok(entity_response(StatusCode::OK, cancelled.version, &AppSale::from(&cancelled), None))
}

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
    let doc = PageDocument::new(items.iter().map(AppReportRow::from).collect(), total.map_err(to_app_error)?, page);
    Ok(axum::Json(doc).into_response())
}
