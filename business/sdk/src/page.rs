//! Paging: which slice of a query's result a caller wants.

/// A validated page request: `number` ≥ 1, `rows` 1..=100 (the app layer checks
/// the ranges and names the bad query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u32,
    pub rows: u32,
}

impl Page {
    pub const MAX_ROWS: u32 = 100;

    pub fn new(number: u32, rows: u32) -> Self {
        Self { number, rows }
    }

    /// Rows to skip in SQL `OFFSET`.
    pub fn offset(&self) -> i64 {
        i64::from(self.number.saturating_sub(1)) * i64::from(self.rows)
    }

    /// Rows to return in SQL `LIMIT`.
    pub fn limit(&self) -> i64 {
        i64::from(self.rows)
    }
}

impl Default for Page {
    fn default() -> Self {
        Self { number: 1, rows: 10 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_counts_from_page_one() {
        assert_eq!(Page::new(1, 10).offset(), 0);
        assert_eq!(Page::new(3, 25).offset(), 50);
        assert_eq!(Page::new(3, 25).limit(), 25);
    }
}
