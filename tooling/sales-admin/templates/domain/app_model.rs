use appsdk::{AppError, errs::from_validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
{%- if c.has_money %}
use types::Money;
{%- endif %}
use uuid::Uuid;
{%- if c.has_money %}
use validator::{Validate, ValidationError};
{%- else %}
use validator::Validate;
{%- endif %}

/// A {{ c.n.name }}.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = {{ c.n.pascal }})]
pub struct App{{ c.n.pascal }} {
    pub id: Uuid,
    /// The owner: the user who created it.
    #[serde(rename = "userID")]
    pub user_id: Uuid,
{%- for f in c.fields %}
    {{ f.serde_resp }} {{ f.schema }} pub {{ f.name }}: {{ f.ty }},
{%- endfor %}
    /// Starts at 1, incremented by every change; the `ETag` is this number quoted.
    #[schema(example = 1)]
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub date_created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub date_updated: OffsetDateTime,
}

impl From<&{{ c.n.bus }}::{{ c.n.pascal }}> for App{{ c.n.pascal }} {
    fn from(x: &{{ c.n.bus }}::{{ c.n.pascal }}) -> Self {
        App{{ c.n.pascal }} {
            id: x.id,
            user_id: x.user_id,
{%- for f in c.fields %}
            {{ f.name }}: x.{{ f.name }}{{ f.clone_suffix }},
{%- endfor %}
            version: x.version,
            date_created: x.date_created,
            date_updated: x.date_updated,
        }
    }
}
{%- if c.has_money %}

fn not_negative(m: &Money) -> Result<(), ValidationError> {
    if m.cents() < 0 {
        return Err(ValidationError::new("range").with_message("must be 0 or more".into()));
    }
    Ok(())
}
{%- endif %}

fn check(v: Result<(), validator::ValidationErrors>) -> Result<(), AppError> {
    v.map_err(|e| from_validation(&e))
}

/// The body of `POST /v1/{{ c.n.plural }}`. Every bad field is listed in one 400.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = New{{ c.n.pascal }})]
pub struct AppNew{{ c.n.pascal }} {
{%- for f in c.fields %}
    /// {{ f.doc }}
    {{ f.serde_req }} {{ f.validate }} {{ f.schema }} pub {{ f.name }}: {{ f.ty }},
{%- endfor %}
}

impl AppNew{{ c.n.pascal }} {
    /// The business value, owned by `owner` (the caller).
    pub fn to_bus(self, owner: Uuid) -> Result<{{ c.n.bus }}::New{{ c.n.pascal }}, AppError> {
        check(self.validate())?;
        Ok({{ c.n.bus }}::New{{ c.n.pascal }} {
            user_id: owner,
{%- for f in c.fields %}
            {{ f.name }}: self.{{ f.name }},
{%- endfor %}
        })
    }
}

/// The body of `PUT /v1/{{ c.n.plural }}/{ {{- c.n.name }}_id}`: each field optional and
/// independent; absent or null means unchanged.
#[derive(Debug, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Update{{ c.n.pascal }})]
pub struct AppUpdate{{ c.n.pascal }} {
{%- for f in c.fields %}
    /// {{ f.doc }}
    {{ f.serde_req_update }} {{ f.validate }} {{ f.schema_update }} pub {{ f.name }}: Option<{{ f.inner_ty }}>,
{%- endfor %}
}

impl AppUpdate{{ c.n.pascal }} {
    pub fn to_bus(self) -> Result<{{ c.n.bus }}::Update{{ c.n.pascal }}, AppError> {
        check(self.validate())?;
        Ok({{ c.n.bus }}::Update{{ c.n.pascal }} {
{%- for f in c.fields %}
            {{ f.name }}: self.{{ f.name }},
{%- endfor %}
        })
    }
}
