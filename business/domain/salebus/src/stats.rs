//! Process-wide counts of what was sold, for the service's metrics (`/metrics`
//! `sales_total`, `sales_units_sold_total`). Plain atomics like Go's expvar: the
//! business layer stays free of any metrics library, and the service reads them.

use std::sync::atomic::{AtomicU64, Ordering};

static SALES: AtomicU64 = AtomicU64::new(0);
static UNITS: AtomicU64 = AtomicU64::new(0);

/// Completed sales since the process started (idempotent replays not counted).
pub fn sales() -> u64 {
    SALES.load(Ordering::Relaxed)
}

/// Units sold by those sales.
pub fn units_sold() -> u64 {
    UNITS.load(Ordering::Relaxed)
}

pub(crate) fn record(sale: &crate::Sale) {
    let units: i64 = sale.lines.iter().map(|l| l.quantity).sum();
    SALES.fetch_add(1, Ordering::Relaxed);
    UNITS.fetch_add(u64::try_from(units).unwrap_or(0), Ordering::Relaxed);
}
