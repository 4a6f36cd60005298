//! List columns on both backends: a PostgreSQL array (`TEXT[]`, `BIGINT[]`,
//! `UUID[]`, `BOOLEAN[]`), and JSON text in SQLite, which has no array type.
//! Stores bind with [`ArrayBind::bind_array`] and read the column as [`DbArray`].
//! Used by domains made with `sales-admin domain new ... --field tags:string[]`.

use serde::{Serialize, de::DeserializeOwned};
use sqlx::{
    Decode, Encode, Postgres, Sqlite, Type,
    encode::IsNull,
    error::BoxDynError,
    postgres::{PgHasArrayType, PgTypeInfo, PgValueRef},
    sqlite::{SqliteTypeInfo, SqliteValueRef},
};

use crate::sqldb::Dialect;

/// A list held in one column; `.0` is the list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DbArray<T>(pub Vec<T>);

/// An element type both backends can hold in a list column.
pub trait ArrayElement:
    Serialize
    + DeserializeOwned
    + PgHasArrayType
    + for<'q> Encode<'q, Postgres>
    + for<'r> Decode<'r, Postgres>
    + Type<Postgres>
    + Send
    + Sync
    + 'static
{
}

impl ArrayElement for String {}
impl ArrayElement for i64 {}
impl ArrayElement for bool {}
impl ArrayElement for uuid::Uuid {}

/// Binding a list, for the store code that is generic over [`Dialect`].
pub trait ArrayBind: Dialect {
    fn bind_array<T: ArrayElement>(qb: &mut sqlx::QueryBuilder<Self>, v: Vec<T>);
}

impl ArrayBind for Postgres {
    fn bind_array<T: ArrayElement>(qb: &mut sqlx::QueryBuilder<Self>, v: Vec<T>) {
        qb.push_bind(DbArray(v));
    }
}

impl ArrayBind for Sqlite {
    fn bind_array<T: ArrayElement>(qb: &mut sqlx::QueryBuilder<Self>, v: Vec<T>) {
        qb.push_bind(DbArray(v));
    }
}

impl<T: ArrayElement> Type<Postgres> for DbArray<T> {
    fn type_info() -> PgTypeInfo {
        <Vec<T> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <Vec<T> as Type<Postgres>>::compatible(ty)
    }
}

impl<T: ArrayElement> Encode<'_, Postgres> for DbArray<T> {
    fn encode_by_ref(&self, buf: &mut <Postgres as sqlx::Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Vec<T> as Encode<'_, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r, T: ArrayElement> Decode<'r, Postgres> for DbArray<T> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(DbArray(<Vec<T> as Decode<'r, Postgres>>::decode(value)?))
    }
}

impl<T> Type<Sqlite> for DbArray<T> {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<T: Serialize> Encode<'_, Sqlite> for DbArray<T> {
    fn encode_by_ref(&self, buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        let json = serde_json::to_string(&self.0)?;
        <String as Encode<'_, Sqlite>>::encode(json, buf)
    }
}

impl<'r, T: DeserializeOwned> Decode<'r, Sqlite> for DbArray<T> {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<'r, Sqlite>>::decode(value)?;
        Ok(DbArray(serde_json::from_str(text)?))
    }
}
