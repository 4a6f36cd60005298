//! The sales report: units and revenue per product over completed sales.

use productbus::UpdateProduct;
use salebus::{ReportFilter, ReportOrderField, ReportRow};
use sdk::{Direction, OrderBy, Page};
use types::{Money, Name};
use uuid::Uuid;

use crate::{Env, on_both_backends};

on_both_backends!(report_sums_completed_sales_per_product);

async fn report_sums_completed_sales_per_product(env: Env) {
    let ann = env.user("Ann Seller").await.id;
    let bob = env.user("Bob Seller").await.id;
    let carl = env.user("Carl Buyer").await.id;
    let dora = env.user("Dora Buyer").await.id;
    let radio = env.product(ann, "Radio", 1000, 50).await;
    let lamp = env.product(ann, "Lamp", 300, 50).await;
    let chair = env.product(bob, "Chair", 500, 50).await;
    env.product(bob, "Never Sold", 100, 50).await;

    let first = env.buy(carl, &[(radio.id, 2), (chair.id, 1)]).await.unwrap();
    env.buy(dora, &[(radio.id, 1), (lamp.id, 4)]).await.unwrap();
    let cancelled = env.buy(dora, &[(chair.id, 10)]).await.unwrap();
    env.sales.cancel(dora, &cancelled, None).await.unwrap();
    env.buy(carl, &[(chair.id, 3)]).await.unwrap();

    // History survives renames (current name shown) and deletion.
    let lamp = env.products.query_by_id(lamp.id).await.unwrap();
    let up = UpdateProduct {
        name: Some(Name::parse("Desk Lamp").unwrap()),
        ..Default::default()
    };
    let lamp = env.products.update(ann, &lamp, up, None).await.unwrap();
    env.products.delete(ann, &lamp, None).await.unwrap();

    let row = |p: Uuid, name: &str, seller: Uuid, seller_name: &str, units: i64, cents: i64| ReportRow {
        product_id: p,
        name: Name::parse(name).unwrap(),
        user_id: seller,
        user_name: Name::parse(seller_name).unwrap(),
        units_sold: units,
        revenue: Money::from_cents(cents),
    };
    let radio_row = row(radio.id, "Radio", ann, "Ann Seller", 3, 3000);
    let chair_row = row(chair.id, "Chair", bob, "Bob Seller", 4, 2000);
    let lamp_row = row(lamp.id, "Desk Lamp", ann, "Ann Seller", 4, 1200);

    let all = ReportFilter::default();
    let report = |f: ReportFilter, order: OrderBy<ReportOrderField>, page: Page| {
        let sales = env.sales.clone();
        async move {
            let rows = sales.report(&f, order, page).await.unwrap();
            let n = sales.report_count(&f).await.unwrap();
            (rows, n)
        }
    };

    let (rows, n) = report(all.clone(), salebus::DEFAULT_REPORT_ORDER, Page::new(1, 10)).await;
    assert_eq!(rows, [radio_row.clone(), chair_row.clone(), lamp_row.clone()]);
    assert_eq!(n, 3, "products never sold are not in the report");

    // Units tie (4 and 4): broken by product id in the same direction.
    let (rows, _) = report(
        all.clone(),
        OrderBy::new(ReportOrderField::UnitsSold, Direction::Desc),
        Page::new(1, 10),
    )
    .await;
    let (hi, lo) = if chair.id > lamp.id {
        (chair.id, lamp.id)
    } else {
        (lamp.id, chair.id)
    };
    assert_eq!(
        rows.iter().map(|r| r.product_id).collect::<Vec<_>>(),
        [hi, lo, radio.id]
    );
    let (rows, _) = report(
        all.clone(),
        OrderBy::new(ReportOrderField::Name, Direction::Asc),
        Page::new(1, 10),
    )
    .await;
    assert_eq!(
        rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["Chair", "Desk Lamp", "Radio"]
    );

    let (rows, n) = report(all.clone(), salebus::DEFAULT_REPORT_ORDER, Page::new(2, 2)).await;
    assert_eq!((rows, n), (vec![lamp_row.clone()], 3), "paging");

    let mine = ReportFilter {
        visible_to: Some(ann),
        ..Default::default()
    };
    let (rows, n) = report(mine, salebus::DEFAULT_REPORT_ORDER, Page::new(1, 10)).await;
    assert_eq!(
        (rows, n),
        (vec![radio_row.clone(), lamp_row.clone()], 2),
        "a seller sees only their products"
    );
    let (rows, n) = report(
        ReportFilter {
            user_id: Some(bob),
            ..Default::default()
        },
        salebus::DEFAULT_REPORT_ORDER,
        Page::new(1, 10),
    )
    .await;
    assert_eq!((rows, n), (vec![chair_row.clone()], 1));
    let (rows, n) = report(
        ReportFilter {
            visible_to: Some(carl),
            ..Default::default()
        },
        salebus::DEFAULT_REPORT_ORDER,
        Page::new(1, 10),
    )
    .await;
    assert_eq!((rows.len(), n), (0, 0), "a buyer who sells nothing sees nothing");

    let until_first = ReportFilter {
        end_created_date: Some(first.date_created),
        ..Default::default()
    };
    let (rows, n) = report(until_first, salebus::DEFAULT_REPORT_ORDER, Page::new(1, 10)).await;
    let first_only = vec![
        row(radio.id, "Radio", ann, "Ann Seller", 2, 2000),
        row(chair.id, "Chair", bob, "Bob Seller", 1, 500),
    ];
    assert_eq!((rows, n), (first_only, 2));
    let after_first = ReportFilter {
        start_created_date: Some(first.date_created + time::Duration::microseconds(1)),
        ..Default::default()
    };
    let (rows, _) = report(after_first, salebus::DEFAULT_REPORT_ORDER, Page::new(1, 10)).await;
    assert_eq!(
        rows.iter().map(|r| (r.product_id, r.units_sold)).collect::<Vec<_>>(),
        [(chair.id, 3), (lamp.id, 4), (radio.id, 1)]
    );
}
