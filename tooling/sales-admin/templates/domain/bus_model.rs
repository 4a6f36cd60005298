use sdk::OrderBy;
use time::OffsetDateTime;
{%- if c.has_time %}
use time::format_description::well_known::Rfc3339;
{%- endif %}
{%- if c.has_money %}
use types::Money;
{%- endif %}
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct {{ c.n.pascal }} {
    pub id: Uuid,
    /// The owner: the user who created it.
    pub user_id: Uuid,
{%- for f in c.fields %}
    pub {{ f.name }}: {{ f.ty }},
{%- endfor %}
    pub version: i64,
    pub date_created: OffsetDateTime,
    pub date_updated: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct New{{ c.n.pascal }} {
    pub user_id: Uuid,
{%- for f in c.fields %}
    pub {{ f.name }}: {{ f.ty }},
{%- endfor %}
}

/// Each field is independent: `None` leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct Update{{ c.n.pascal }} {
{%- for f in c.fields %}
    pub {{ f.name }}: Option<{{ f.inner_ty }}>,
{%- endfor %}
}

/// An update ready for the store, stamped with its time.
#[derive(Debug, Clone)]
pub struct {{ c.n.pascal }}Changes {
{%- for f in c.fields %}
    pub {{ f.name }}: Option<{{ f.inner_ty }}>,
{%- endfor %}
    pub date_updated: OffsetDateTime,
}

impl {{ c.n.pascal }}Changes {
    /// What changed, for the audit row.
    pub(crate) fn audit_data(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
{%- for f in c.fields %}
        if let Some(v) = &self.{{ f.name }} {
            m.insert("{{ f.json }}".into(), {{ f.audit_ref }});
        }
{%- endfor %}
        serde_json::Value::Object(m)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryFilter {
    pub id: Option<Uuid>,
    /// The owner.
    pub user_id: Option<Uuid>,
{%- for f in c.filters %}
{%- if f.filter_substring %}
    /// Case-insensitive substring.
{%- else %}
    /// Exact.
{%- endif %}
    pub {{ f.name }}: Option<{{ f.filter_ty }}>,
{%- endfor %}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    Id,
    UserId,
{%- for f in c.orderables %}
    {{ f.pascal }},
{%- endfor %}
    DateCreated,
}

pub const DEFAULT_ORDER: OrderBy<OrderField> = OrderBy {
    field: OrderField::Id,
    direction: sdk::Direction::Asc,
};
