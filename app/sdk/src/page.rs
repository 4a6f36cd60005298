//! The JSON shape of every list response.

use serde::Serialize;

/// One page of a list, with the count over all pages.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
        Self { items, total, page: page.number, rows_per_page: page.rows }
    }
}
