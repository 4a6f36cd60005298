//! Ordering: a domain's typed order field plus a direction.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

impl Direction {
    pub fn as_sql(self) -> &'static str {
        match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        }
    }
}

/// `F` is the domain's closed enum of orderable fields; each store maps it to a
/// column, so no caller-supplied text ever reaches SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderBy<F> {
    pub field: F,
    pub direction: Direction,
}

impl<F> OrderBy<F> {
    pub fn new(field: F, direction: Direction) -> Self {
        Self { field, direction }
    }
}
