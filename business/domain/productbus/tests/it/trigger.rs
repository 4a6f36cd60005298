//! Deleting a user takes their products off sale, in the same transaction.

use productbus::{Error, QueryFilter};
use sdk::Page;

use crate::{Env, on_both_backends};

on_both_backends!(deleting_a_user_removes_their_products);

async fn deleting_a_user_removes_their_products(env: Env) {
    let gone = env.user("Leaving User").await;
    let stays = env.user("Staying User").await;
    let a = env.product(gone.id, "Old Radio", 1000, 2).await;
    let b = env.product(gone.id, "Old Lamp", 500, 1).await;
    let c = env.product(stays.id, "New Chair", 700, 3).await;
    // Deleted before the user: untouched by the cascade (keeps its own time and version).
    let d = env.product(gone.id, "Already Gone", 100, 1).await;
    env.products.delete(gone.id, &d, None).await.unwrap();

    env.users.delete(gone.id, &gone, None).await.unwrap();

    for p in [&a, &b, &d] {
        assert!(
            matches!(env.products.query_by_id(p.id).await, Err(Error::NotFound)),
            "{} still readable",
            p.name
        );
    }
    assert_eq!(env.products.query_by_id(c.id).await.unwrap(), c);
    let all = env
        .products
        .query(&QueryFilter::default(), productbus::DEFAULT_ORDER, Page::default())
        .await
        .unwrap();
    assert_eq!(all.iter().map(|p| p.id).collect::<Vec<_>>(), [c.id]);
    assert_eq!(
        env.products
            .count(&QueryFilter {
                user_id: Some(gone.id),
                ..Default::default()
            })
            .await
            .unwrap(),
        0
    );
    assert_eq!(env.products.count_view(&QueryFilter::default()).await.unwrap(), 1);

    // The cascade stamps the user's deletion time and bumps the version.
    let (deleted_at_a, version_a, deleted_at_d, version_d) = match &env.db.pool {
        sdk::DbPool::Postgres(p) => {
            let q = "SELECT date_deleted, version FROM products WHERE product_id = $1";
            let (ta, va): (time::OffsetDateTime, i64) = sqlx::query_as(q).bind(a.id).fetch_one(p).await.unwrap();
            let (td, vd): (time::OffsetDateTime, i64) = sqlx::query_as(q).bind(d.id).fetch_one(p).await.unwrap();
            (ta, va, td, vd)
        }
        sdk::DbPool::Sqlite(p) => {
            let q = "SELECT date_deleted, version FROM products WHERE product_id = ?1";
            let (ta, va): (time::OffsetDateTime, i64) = sqlx::query_as(q).bind(a.id).fetch_one(p).await.unwrap();
            let (td, vd): (time::OffsetDateTime, i64) = sqlx::query_as(q).bind(d.id).fetch_one(p).await.unwrap();
            (ta, va, td, vd)
        }
    };
    assert_eq!(version_a, 2);
    assert_eq!(version_d, 2, "deleted once, by its owner");
    assert!(deleted_at_d < deleted_at_a);
}
