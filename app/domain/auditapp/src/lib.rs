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

#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppAudit {
    pub id: Uuid,
    #[serde(rename = "objID")]
    pub obj_id: Uuid,
    pub obj_domain: Domain,
    pub obj_name: String,
    #[serde(rename = "actorID")]
    pub actor_id: Uuid,
    pub action: String,
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

async fn query(_: Auth<AdminOnly>, State(audits): State<Business>, q: QueryParams) -> Result<axum::Json<PageDocument<AppAudit>>, AppError> {
    let page = q.page()?;
    let order = q.order_by(&ORDER_FIELDS, auditbus::DEFAULT_ORDER)?;
    let filter = QueryFilter {
        obj_id: q.uuid("obj_id")?,
        obj_domain: q.parse_with("obj_domain", |s| Domain::parse(s).ok_or("must be USER, PRODUCT or SALE"))?,
        obj_name: q.string("obj_name"),
        actor_id: q.uuid("actor_id")?,
        action: q.string("action"),
        since: q.time("since")?,
        until: q.time("until")?,
    };
    let (items, total) = tokio::join!(audits.query(&filter, order, page), audits.count(&filter));
    let items = items.map_err(|auditbus::Error::Internal(e)| AppError::internal(e))?;
    let total = total.map_err(|auditbus::Error::Internal(e)| AppError::internal(e))?;
    Ok(axum::Json(PageDocument::new(items.into_iter().map(AppAudit::from).collect(), total, page)))
}
