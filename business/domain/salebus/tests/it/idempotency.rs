//! Idempotency keys: replay, mismatch, scope, expiry, in flight.

use salebus::{CreateOutcome, Error, NewSale};
use sdk::DbPool;

use crate::{Env, new_sale, on_both_backends};

on_both_backends!(
    same_key_same_request_replays_the_sale,
    same_key_other_request_is_a_mismatch,
    keys_are_scoped_per_buyer,
    a_key_older_than_a_day_is_new_again,
    a_key_without_a_finished_sale_is_in_flight,
);

async fn same_key_same_request_replays_the_sale(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let a = env.product(ann.id, "Radio", 1000, 5).await;

    let first = env
        .sales
        .create(buyer.id, new_sale(buyer.id, &[(a.id, 2)], Some("key-1")))
        .await
        .unwrap();
    let CreateOutcome::Created(sale) = first else {
        panic!("first use creates")
    };
    let again = env
        .sales
        .create(buyer.id, new_sale(buyer.id, &[(a.id, 2)], Some("key-1")))
        .await
        .unwrap();
    assert!(again.is_replayed());
    assert_eq!(again.into_sale(), sale);

    assert_eq!(env.stock(a.id).await, 3, "sold once");
    assert_eq!(env.count_rows("sales").await, 1);
    assert_eq!(env.sale_audits().await.len(), 1);

    // A caller-computed hash is what is compared, when given.
    let with_hash = |hash: &str| NewSale {
        request_hash: Some(hash.into()),
        ..new_sale(buyer.id, &[(a.id, 1)], Some("key-2"))
    };
    let s2 = env.sales.create(buyer.id, with_hash("h1")).await.unwrap();
    assert!(!s2.is_replayed());
    assert!(env.sales.create(buyer.id, with_hash("h1")).await.unwrap().is_replayed());
    assert!(matches!(
        env.sales.create(buyer.id, with_hash("h2")).await,
        Err(Error::IdempotencyMismatch)
    ));
}

async fn same_key_other_request_is_a_mismatch(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let a = env.product(ann.id, "Radio", 1000, 5).await;
    env.sales
        .create(buyer.id, new_sale(buyer.id, &[(a.id, 1)], Some("k")))
        .await
        .unwrap();

    let err = env
        .sales
        .create(buyer.id, new_sale(buyer.id, &[(a.id, 2)], Some("k")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IdempotencyMismatch), "{err:?}");
    assert_eq!(env.stock(a.id).await, 4);
    assert_eq!(env.count_rows("sales").await, 1);

    // A refused sale does not burn its key: it can be retried once stock is there.
    let b = env.product(ann.id, "Lamp", 100, 0).await;
    let err = env
        .sales
        .create(buyer.id, new_sale(buyer.id, &[(b.id, 1)], Some("k2")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InsufficientStock { .. }), "{err:?}");
    assert_eq!(
        env.count_rows("sale_idempotency").await,
        1,
        "the failed claim was rolled back"
    );
    let b = env.products.query_by_id(b.id).await.unwrap();
    let up = productbus::UpdateProduct {
        quantity: Some(1),
        ..Default::default()
    };
    env.products.update(ann.id, &b, up, None).await.unwrap();
    let ok = env
        .sales
        .create(buyer.id, new_sale(buyer.id, &[(b.id, 1)], Some("k2")))
        .await
        .unwrap();
    assert!(!ok.is_replayed());
}

async fn keys_are_scoped_per_buyer(env: Env) {
    let ann = env.user("Ann Seller").await;
    let carl = env.user("Carl Buyer").await;
    let dora = env.user("Dora Buyer").await;
    let a = env.product(ann.id, "Radio", 1000, 5).await;

    let s1 = env
        .sales
        .create(carl.id, new_sale(carl.id, &[(a.id, 1)], Some("same")))
        .await
        .unwrap();
    let s2 = env
        .sales
        .create(dora.id, new_sale(dora.id, &[(a.id, 1)], Some("same")))
        .await
        .unwrap();
    assert!(!s1.is_replayed() && !s2.is_replayed());
    assert_ne!(s1.sale().id, s2.sale().id);
    assert_eq!(env.stock(a.id).await, 3);
}

async fn a_key_older_than_a_day_is_new_again(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let a = env.product(ann.id, "Radio", 1000, 5).await;
    let old = env
        .sales
        .create(buyer.id, new_sale(buyer.id, &[(a.id, 1)], Some("k")))
        .await
        .unwrap()
        .into_sale();

    // 23 h old: still remembered.
    age_keys(&env, time::Duration::hours(23)).await;
    assert!(
        env.sales
            .create(buyer.id, new_sale(buyer.id, &[(a.id, 1)], Some("k")))
            .await
            .unwrap()
            .is_replayed()
    );

    // 25 h old: forgotten, even for a different request.
    age_keys(&env, time::Duration::hours(25)).await;
    let new = env
        .sales
        .create(buyer.id, new_sale(buyer.id, &[(a.id, 3)], Some("k")))
        .await
        .unwrap();
    assert!(!new.is_replayed());
    assert_ne!(new.sale().id, old.id);
    assert_eq!(env.stock(a.id).await, 1);
    assert_eq!(
        env.count_rows("sale_idempotency").await,
        1,
        "the stale row was taken over"
    );
    // And the new use is remembered under the new request.
    let replay = env
        .sales
        .create(buyer.id, new_sale(buyer.id, &[(a.id, 3)], Some("k")))
        .await
        .unwrap();
    assert_eq!(replay.sale().id, new.sale().id);
}

async fn a_key_without_a_finished_sale_is_in_flight(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let a = env.product(ann.id, "Radio", 1000, 5).await;
    // Turn a finished key back into a claimed one without a sale: what a sale
    // still running would hold (visible only if a claim ever committed alone).
    let now = sdk::sqldb::now();
    let ns = new_sale(buyer.id, &[(a.id, 1)], Some("busy"));
    env.sales.create(buyer.id, ns.clone()).await.unwrap();
    match env.pool() {
        DbPool::Postgres(p) => {
            sqlx::query("UPDATE sale_idempotency SET state = 'IN_FLIGHT', sale_id = NULL, date_created = $1")
                .bind(now)
                .execute(p)
                .await
                .unwrap();
        }
        DbPool::Sqlite(p) => {
            sqlx::query("UPDATE sale_idempotency SET state = 'IN_FLIGHT', sale_id = NULL, date_created = ?1")
                .bind(sdk::sqldb::sqlite_time(now))
                .execute(p)
                .await
                .unwrap();
        }
    }
    let err = env.sales.create(buyer.id, ns).await.unwrap_err();
    assert!(matches!(err, Error::IdempotencyInFlight), "{err:?}");
    assert_eq!(env.stock(a.id).await, 4, "only the probe sold");
    assert_eq!(env.count_rows("sales").await, 1);
}

/// Moves every idempotency key's creation time `by` into the past.
async fn age_keys(env: &Env, by: time::Duration) {
    let at = sdk::sqldb::now() - by;
    match env.pool() {
        DbPool::Postgres(p) => {
            sqlx::query("UPDATE sale_idempotency SET date_created = $1")
                .bind(at)
                .execute(p)
                .await
                .unwrap();
        }
        DbPool::Sqlite(p) => {
            sqlx::query("UPDATE sale_idempotency SET date_created = ?1")
                .bind(sdk::sqldb::sqlite_time(at))
                .execute(p)
                .await
                .unwrap();
        }
    }
}
