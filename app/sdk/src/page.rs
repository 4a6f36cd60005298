//! The JSON shape of every list response.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::{
    ToSchema,
    openapi::{ArrayBuilder, KnownFormat, ObjectBuilder, Ref, RefOr, Schema, SchemaFormat, Type},
};

/// One page of a list, with the count over all pages.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageDocument<T> {
    pub items: Vec<T>,
    /// Rows matching the filter, over all pages.
    pub total: i64,
    /// The page number asked for (`page`).
    pub page: u32,
    /// The page size asked for (`rows`).
    pub rows_per_page: u32,
}

impl<T> PageDocument<T> {
    pub fn new(items: Vec<T>, total: i64, page: sdk::Page) -> Self {
        Self {
            items,
            total,
            page: page.number,
            rows_per_page: page.rows,
        }
    }
}

// The schema is written by hand because utoipa's derive copies the item schema
// into every page (`PageDocument_User` would hold a second `User`); here `items`
// refers to the named schema. utoipa builds schemas of generic types through its
// hidden `ComposeSchema` trait; a change there is a compile error, not a silently
// different document. A test below keeps this in step with the struct.
impl<T: ToSchema> utoipa::__dev::ComposeSchema for PageDocument<T> {
    fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        let int = |format: KnownFormat, description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(format)))
                .minimum(Some(0))
                .description(Some(description))
        };
        ObjectBuilder::new()
            .description(Some("One page of a list, with the count over all pages."))
            .property("items", ArrayBuilder::new().items(Ref::from_schema_name(T::name())))
            .property(
                "total",
                int(KnownFormat::Int64, "Rows matching the filter, over all pages."),
            )
            .property("page", int(KnownFormat::Int32, "The page number asked for (`page`)."))
            .property(
                "rowsPerPage",
                int(KnownFormat::Int32, "The page size asked for (`rows`)."),
            )
            .required("items")
            .required("total")
            .required("page")
            .required("rowsPerPage")
            .into()
    }
}

impl<T: ToSchema> ToSchema for PageDocument<T> {
    fn name() -> Cow<'static, str> {
        "PageDocument".into()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    #[derive(Serialize, ToSchema)]
    struct Item {
        n: i32,
    }

    #[test]
    fn schema_matches_the_serialized_shape() {
        let doc = PageDocument::new(vec![Item { n: 1 }], 1, sdk::Page::new(1, 10));
        let json = serde_json::to_value(&doc).unwrap();
        let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        keys.sort();

        let schema = serde_json::to_value(PageDocument::<Item>::schema()).unwrap();
        let mut props: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        props.sort();
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        required.sort();
        assert_eq!(keys, props);
        assert_eq!(keys.iter().map(|k| k.as_str()).collect::<Vec<_>>(), required);
        assert_eq!(
            schema["properties"]["items"]["items"]["$ref"],
            "#/components/schemas/Item"
        );
    }
}
