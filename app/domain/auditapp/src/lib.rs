//! HTTP edge of the audit trail: `GET /v1/audits` (ADMIN).

use appsdk::{AppError, Auth, PageDocument, auth::rules::AdminOnly, query::QueryParams};
use auditbus::{Business, Domain, OrderField, QueryFilter};
use axum::{Router, extract::State, routing::get};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

pub const ORDER_FIELDS: [(&str, OrderField); 6] = [
    ("timestamp", OrderField::Timestamp),
    ("obj_id", OrderField::ObjId),
    ("obj_domain", OrderField::ObjDomain),
    ("obj_name", OrderField::ObjName),
    ("actor_id", OrderField::ActorId),
    ("action", OrderField::Action),
];

/// The OpenAPI description of `/v1/audits`, merged into the service's document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(query),
    tags((name = "audits", description = "The audit trail: one row per change, written in the same transaction as \
        the change."))
)]
pub struct ApiDoc;

appsdk::order_by_params!(AuditOrderBy, ORDER_FIELDS, auditbus::DEFAULT_ORDER);

/// One audited change.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Audit)]
pub struct AppAudit {
    pub id: Uuid,
    /// The id of the changed entity.
    #[serde(rename = "objID")]
    pub obj_id: Uuid,
    /// The entity's domain: `USER`, `PRODUCT` or `SALE` (one value per audited domain).
    #[schema(value_type = String, example = "USER")]
    pub obj_domain: Domain,
    /// The entity's name when changed (a user's or product's name, or a sale id).
    pub obj_name: String,
    /// The user who made the change.
    #[serde(rename = "actorID")]
    pub actor_id: Uuid,
    /// E.g. `created`, `updated`, `deleted`, `role_changed`, `cancelled`.
    pub action: String,
    /// What changed, with secrets (passwords, hashes, tokens) removed.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub message: String,
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
}

impl From<auditbus::Audit> for AppAudit {
    fn from(a: auditbus::Audit) -> Self {
        AppAudit {
            id: a.id,
            obj_id: a.obj_id,
            obj_domain: a.obj_domain,
            obj_name: a.obj_name,
            actor_id: a.actor_id,
            action: a.action,
            data: a.data,
            message: a.message,
            timestamp: a.timestamp,
        }
    }
}

pub fn routes(audits: Business) -> Router {
    Router::new().route("/v1/audits", get(query)).with_state(audits)
}

/// List audit rows.
///
/// **Rule: ADMIN.** Filters are ANDed; `since`/`until` are inclusive.
#[utoipa::path(
    get,
    path = "/v1/audits",
    operation_id = "queryAudits",
    tag = "audits",
    security(("bearerAuth" = [])),
    params(
        appsdk::docs::PageQuery,
        AuditOrderBy,
        ("obj_id" = Option<Uuid>, Query, description = "Changes of this entity."),
        ("obj_domain" = Option<String>, Query, description = "`USER`, `PRODUCT` or `SALE`."),
        ("obj_name" = Option<String>, Query, description = "Entity name (as stored in the row)."),
        ("actor_id" = Option<Uuid>, Query, description = "Changes made by this user."),
        ("action" = Option<String>, Query, description = "E.g. `created`."),
        ("since" = Option<OffsetDateTime>, Query, description = "At or after (RFC 3339)."),
        ("until" = Option<OffsetDateTime>, Query, description = "At or before (RFC 3339)."),
    ),
    responses(
        (status = 200, description = "One page of audit rows.", body = PageDocument<AppAudit>),
        (status = 400, description = "`invalid_argument`: bad `page`, `rows`, `orderBy` or filter value; `fields` \
            names the parameter.", body = appsdk::errs::ErrorBody),
        (status = 401, response = appsdk::docs::Unauthenticated),
        (status = 403, description = "`permission_denied`: the caller is not an ADMIN.", body = appsdk::errs::ErrorBody),
    )
)]
async fn query(
    _: Auth<AdminOnly>,
    State(audits): State<Business>,
    q: QueryParams,
) -> Result<axum::Json<PageDocument<AppAudit>>, AppError> {
    let page = q.page()?;
    let order = q.order_by(&ORDER_FIELDS, auditbus::DEFAULT_ORDER)?;
    let filter = QueryFilter {
        obj_id: q.uuid("obj_id")?,
        obj_domain: q.parse_with("obj_domain", |s| {
            Domain::parse(s).ok_or("must be USER, PRODUCT or SALE")
        })?,
        obj_name: q.string("obj_name")?,
        actor_id: q.uuid("actor_id")?,
        action: q.string("action")?,
        since: q.time("since")?,
        until: q.time("until")?,
    };
    let (items, total) = tokio::join!(audits.query(&filter, order, page), audits.count(&filter));
    let items = items.map_err(|auditbus::Error::Internal(e)| AppError::internal(e))?;
    let total = total.map_err(|auditbus::Error::Internal(e)| AppError::internal(e))?;
    Ok(axum::Json(PageDocument::new(
        items.into_iter().map(AppAudit::from).collect(),
        total,
        page,
    )))
}
