//! Selling: every line or nothing.

use productbus::UpdateProduct;
use salebus::{Error, ShortLine, Status};
use types::Money;
use uuid::Uuid;

use crate::{Env, on_both_backends};

on_both_backends!(
    sale_takes_stock_and_records_lines,
    insufficient_stock_changes_nothing,
    missing_or_deleted_product_names_the_line,
    lines_keep_the_price_and_name_at_sale_time,
);

async fn sale_takes_stock_and_records_lines(env: Env) {
    let ann = env.user("Ann Seller").await;
    let bob = env.user("Bob Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let radio = env.product(ann.id, "Radio", 1250, 5).await;
    let lamp = env.product(bob.id, "Lamp", 399, 3).await;

    // Request order deliberately not sorted by id.
    let (first, second) = if radio.id > lamp.id {
        (&radio, &lamp)
    } else {
        (&lamp, &radio)
    };
    let sale = env.buy(buyer.id, &[(first.id, 2), (second.id, 1)]).await.unwrap();

    assert_eq!(sale.user_id, buyer.id);
    assert_eq!(sale.status, Status::Completed);
    assert_eq!(sale.version, 1);
    assert_eq!(sale.lines.len(), 2);
    assert_eq!(sale.lines[0].product_id, first.id, "lines stay in request order");
    assert_eq!(sale.lines[1].product_id, second.id);
    for (line, p, q) in [(&sale.lines[0], first, 2), (&sale.lines[1], second, 1)] {
        assert_eq!(line.name, p.name);
        assert_eq!(line.seller_id, p.user_id);
        assert_eq!(line.quantity, q);
        assert_eq!(line.unit_cost, p.cost);
        assert_eq!(line.line_total, Money::from_cents(p.cost.cents() * q));
    }
    assert_eq!(
        sale.total,
        Money::from_cents(first.cost.cents() * 2 + second.cost.cents())
    );
    assert!(sale.is_buyer(buyer.id) && !sale.is_buyer(ann.id));
    assert!(sale.is_seller(ann.id) && sale.is_seller(bob.id) && !sale.is_seller(buyer.id));

    assert_eq!(
        env.sales.query_by_id(sale.id).await.unwrap(),
        sale,
        "read back equals what was returned"
    );
    assert_eq!(env.stock(first.id).await, first.quantity - 2);
    assert_eq!(env.stock(second.id).await, second.quantity - 1);
    let after = env.products.query_by_id(first.id).await.unwrap();
    assert_eq!(
        after.version, 2,
        "a stock change is a change: If-Match holders must re-read"
    );

    let audits = env.sale_audits().await;
    assert_eq!(audits.len(), 1);
    assert_eq!(
        (audits[0].obj_id, audits[0].action.as_str(), audits[0].actor_id),
        (sale.id, "created", buyer.id)
    );
    assert_eq!(audits[0].data["total"], serde_json::json!(sale.total.to_f64()));
    assert_eq!(audits[0].data["lines"].as_array().unwrap().len(), 2);

    assert!(matches!(
        env.sales.query_by_id(Uuid::new_v4()).await,
        Err(Error::NotFound)
    ));
}

async fn insufficient_stock_changes_nothing(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let a = env.product(ann.id, "Plenty", 100, 10).await;
    let b = env.product(ann.id, "Scarce", 100, 2).await;
    let c = env.product(ann.id, "Sold Out", 100, 1).await;
    let audits_before = env.count_rows("audits").await;
    env.buy(buyer.id, &[(c.id, 1)]).await.unwrap();
    assert_eq!(env.stock(c.id).await, 0);

    let err = env.buy(buyer.id, &[(a.id, 3), (b.id, 5), (c.id, 1)]).await.unwrap_err();
    let Error::InsufficientStock { lines } = err else {
        panic!("expected InsufficientStock, got {err:?}")
    };
    assert_eq!(
        lines,
        [
            ShortLine {
                index: 1,
                product_id: b.id,
                requested: 5,
                available: 2
            },
            ShortLine {
                index: 2,
                product_id: c.id,
                requested: 1,
                available: 0
            },
        ]
    );

    assert_eq!(env.stock(a.id).await, 10, "the line that fitted was rolled back too");
    assert_eq!(env.stock(b.id).await, 2);
    assert_eq!(env.products.query_by_id(a.id).await.unwrap().version, 1);
    assert_eq!(env.count_rows("sales").await, 1, "only the first sale");
    assert_eq!(env.count_rows("sale_lines").await, 1);
    assert_eq!(
        env.count_rows("audits").await,
        audits_before + 1,
        "only the first sale is audited"
    );

    // Exactly what is left can be sold.
    env.buy(buyer.id, &[(a.id, 10), (b.id, 2)]).await.unwrap();
    assert_eq!((env.stock(a.id).await, env.stock(b.id).await), (0, 0));
}

async fn missing_or_deleted_product_names_the_line(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let a = env.product(ann.id, "Here", 100, 5).await;
    let gone = env.product(ann.id, "Gone", 100, 5).await;
    env.products.delete(ann.id, &gone, None).await.unwrap();
    let short = env.product(ann.id, "Short", 100, 0).await;

    let err = env.buy(buyer.id, &[(a.id, 1), (Uuid::new_v4(), 1)]).await.unwrap_err();
    assert!(matches!(err, Error::ProductNotFound { index: 1 }), "{err:?}");
    let err = env
        .buy(buyer.id, &[(a.id, 1), (short.id, 1), (gone.id, 1)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ProductNotFound { index: 2 }),
        "a missing product wins over a short one: {err:?}"
    );
    let err = env
        .buy(buyer.id, &[(Uuid::max(), 1), (Uuid::nil(), 1)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ProductNotFound { index: 0 }),
        "the first missing line in request order: {err:?}"
    );

    assert_eq!(env.stock(a.id).await, 5);
    assert_eq!(env.stock(gone.id).await, 5, "a deleted product is never sold");
    assert_eq!(env.count_rows("sales").await, 0);
    assert!(env.sale_audits().await.is_empty());
}

async fn lines_keep_the_price_and_name_at_sale_time(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let p = env.product(ann.id, "Old Name", 1000, 5).await;
    let sale = env.buy(buyer.id, &[(p.id, 2)]).await.unwrap();

    let p = env.products.query_by_id(p.id).await.unwrap();
    let up = UpdateProduct {
        name: Some(types::Name::parse("New Name").unwrap()),
        cost: Some(Money::from_cents(9999)),
        ..Default::default()
    };
    env.products.update(ann.id, &p, up, None).await.unwrap();

    let again = env.sales.query_by_id(sale.id).await.unwrap();
    assert_eq!(again.lines[0].unit_cost, Money::from_cents(1000));
    assert_eq!(again.lines[0].name.as_str(), "Old Name");
    assert_eq!(again.total, Money::from_cents(2000));
    let next = env.buy(buyer.id, &[(p.id, 1)]).await.unwrap();
    assert_eq!(next.lines[0].unit_cost, Money::from_cents(9999));
}
