//! The unfiltered `count` comes from the trigger-maintained `product_counts`
//! (migration 0006): it must equal a real COUNT(*) after anything that adds or
//! removes live products, including concurrent creates and the user-deletion cascade.

use productbus::QueryFilter;

use crate::{Env, on_both_backends};

on_both_backends!(unfiltered_count_is_exact_after_every_change);

async fn real_count(env: &Env) -> i64 {
    let sql = "SELECT COUNT(*) FROM products WHERE date_deleted IS NULL";
    match &env.db.pool {
        sdk::DbPool::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        sdk::DbPool::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

async fn assert_counts(env: &Env, expected: i64, after: &str) {
    let counted = env.products.count(&QueryFilter::default()).await.unwrap();
    assert_eq!(real_count(env).await, expected, "COUNT(*) after {after}");
    assert_eq!(counted, expected, "maintained count after {after}");
}

async fn unfiltered_count_is_exact_after_every_change(env: Env) {
    let start = real_count(&env).await;
    assert_counts(&env, start, "migration and seed").await;

    let seller = env.user("Counting Seller").await;
    let other = env.user("Other Seller").await;

    // 24 creates at once (separate transactions on separate connections).
    let mut creates = tokio::task::JoinSet::new();
    for i in 0..24 {
        let owner = if i % 2 == 0 { seller.id } else { other.id };
        let products = env.products.clone();
        creates.spawn(async move {
            let np = productbus::NewProduct {
                user_id: owner,
                name: types::Name::parse(&format!("Item {i}")).unwrap(),
                cost: types::Money::from_cents(100 + i),
                quantity: 1,
            };
            products.create(owner, np).await.expect("create")
        });
    }
    let made = creates.join_all().await;
    let p = made.iter().find(|p| p.user_id == seller.id).unwrap().clone();
    assert_counts(&env, start + 24, "24 concurrent creates").await;

    // Updates that keep a product live change nothing.
    let up = productbus::UpdateProduct {
        quantity: Some(5),
        ..Default::default()
    };
    let p = env.products.update(seller.id, &p, up, None).await.unwrap();
    assert_counts(&env, start + 24, "an update").await;

    // A soft delete counts one less.
    env.products.delete(seller.id, &p, None).await.unwrap();
    assert_counts(&env, start + 23, "a delete").await;

    // Deleting a user takes their 12 products off sale in one statement.
    env.users.delete(other.id, &other, None).await.unwrap();
    assert_counts(&env, start + 23 - 12, "the user-deletion cascade").await;

    // A filtered count still counts rows.
    let mine = QueryFilter {
        user_id: Some(seller.id),
        ..Default::default()
    };
    assert_eq!(env.products.count(&mine).await.unwrap(), 11);
}
