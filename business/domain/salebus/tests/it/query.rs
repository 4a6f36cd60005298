//! Listing sales: who may see what, filters, ordering, paging.

use salebus::{OrderField, QueryFilter, Sale, Status};
use sdk::{Direction, OrderBy, Page};
use uuid::Uuid;

use crate::{Env, on_both_backends};

on_both_backends!(visibility_and_filters, ordering_and_paging);

struct Fixture {
    ann: Uuid,
    bob: Uuid,
    carl: Uuid,
    dora: Uuid,
    a1: Uuid,
    /// s1 carl: A1 x1 (10.00); s2 dora: B1 x2 (10.00); s3 carl: A2 x1 + B1 x1 (8.00);
    /// s4 dora: A1 x3 (30.00), cancelled.
    s: [Sale; 4],
}

async fn fixture(env: &Env) -> Fixture {
    let ann = env.user("Ann Seller").await.id;
    let bob = env.user("Bob Seller").await.id;
    let carl = env.user("Carl Buyer").await.id;
    let dora = env.user("Dora Buyer").await.id;
    let a1 = env.product(ann, "Radio", 1000, 50).await.id;
    let a2 = env.product(ann, "Lamp", 300, 50).await.id;
    let b1 = env.product(bob, "Chair", 500, 50).await.id;
    let s1 = env.buy(carl, &[(a1, 1)]).await.unwrap();
    let s2 = env.buy(dora, &[(b1, 2)]).await.unwrap();
    let s3 = env.buy(carl, &[(a2, 1), (b1, 1)]).await.unwrap();
    let s4 = env.buy(dora, &[(a1, 3)]).await.unwrap();
    let s4 = env.sales.cancel(dora, &s4, None).await.unwrap();
    Fixture {
        ann,
        bob,
        carl,
        dora,
        a1,
        s: [s1, s2, s3, s4],
    }
}

/// Ids of the sales matching `f` (default order); asserts that `count` agrees.
async fn ids(env: &Env, f: QueryFilter) -> Vec<Uuid> {
    let got = env
        .sales
        .query(&f, salebus::DEFAULT_ORDER, Page::new(1, 100))
        .await
        .unwrap();
    assert_eq!(
        env.sales.count(&f).await.unwrap(),
        got.len() as i64,
        "count agrees with query for {f:?}"
    );
    let mut ids: Vec<Uuid> = got.into_iter().map(|s| s.id).collect();
    ids.sort();
    ids
}

fn sorted(sales: &[&Sale]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = sales.iter().map(|s| s.id).collect();
    ids.sort();
    ids
}

async fn visibility_and_filters(env: Env) {
    let fx = fixture(&env).await;
    let [s1, s2, s3, s4] = &fx.s;
    let f = QueryFilter::default;

    assert_eq!(ids(&env, f()).await, sorted(&[s1, s2, s3, s4]), "an admin sees all");
    // Buyers see what they bought; sellers the sales with their products.
    assert_eq!(
        ids(
            &env,
            QueryFilter {
                visible_to: Some(fx.carl),
                ..f()
            }
        )
        .await,
        sorted(&[s1, s3])
    );
    assert_eq!(
        ids(
            &env,
            QueryFilter {
                visible_to: Some(fx.dora),
                ..f()
            }
        )
        .await,
        sorted(&[s2, s4])
    );
    assert_eq!(
        ids(
            &env,
            QueryFilter {
                visible_to: Some(fx.ann),
                ..f()
            }
        )
        .await,
        sorted(&[s1, s3, s4])
    );
    assert_eq!(
        ids(
            &env,
            QueryFilter {
                visible_to: Some(fx.bob),
                ..f()
            }
        )
        .await,
        sorted(&[s2, s3])
    );
    assert_eq!(
        ids(
            &env,
            QueryFilter {
                visible_to: Some(Uuid::new_v4()),
                ..f()
            }
        )
        .await,
        sorted(&[])
    );

    assert_eq!(ids(&env, QueryFilter { id: Some(s2.id), ..f() }).await, sorted(&[s2]));
    assert_eq!(
        ids(
            &env,
            QueryFilter {
                user_id: Some(fx.carl),
                ..f()
            }
        )
        .await,
        sorted(&[s1, s3])
    );
    assert_eq!(
        ids(
            &env,
            QueryFilter {
                product_id: Some(fx.a1),
                ..f()
            }
        )
        .await,
        sorted(&[s1, s4])
    );
    assert_eq!(
        ids(
            &env,
            QueryFilter {
                status: Some(Status::Cancelled),
                ..f()
            }
        )
        .await,
        sorted(&[s4])
    );
    assert_eq!(
        ids(
            &env,
            QueryFilter {
                status: Some(Status::Completed),
                ..f()
            }
        )
        .await,
        sorted(&[s1, s2, s3])
    );
    assert_eq!(
        ids(
            &env,
            QueryFilter {
                start_created_date: Some(s2.date_created),
                end_created_date: Some(s3.date_created),
                ..f()
            }
        )
        .await,
        sorted(&[s2, s3]),
        "date range is inclusive"
    );
    let combined = QueryFilter {
        visible_to: Some(fx.ann),
        user_id: Some(fx.dora),
        ..f()
    };
    assert_eq!(ids(&env, combined).await, sorted(&[s4]), "filters are ANDed");

    // Listed sales carry their lines.
    let listed = env
        .sales
        .query(
            &QueryFilter { id: Some(s3.id), ..f() },
            salebus::DEFAULT_ORDER,
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed, std::slice::from_ref(s3));
}

async fn ordering_and_paging(env: Env) {
    let fx = fixture(&env).await;
    let [s1, s2, s3, s4] = &fx.s;
    let all = QueryFilter::default();
    let list = |order: OrderBy<OrderField>, page: Page| {
        let (sales, all) = (env.sales.clone(), all.clone());
        async move {
            sales
                .query(&all, order, page)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect::<Vec<_>>()
        }
    };

    // Default: newest first.
    assert_eq!(
        list(salebus::DEFAULT_ORDER, Page::new(1, 10)).await,
        [s4.id, s3.id, s2.id, s1.id]
    );
    assert_eq!(
        list(OrderBy::new(OrderField::DateCreated, Direction::Asc), Page::new(1, 10)).await,
        [s1.id, s2.id, s3.id, s4.id]
    );
    assert_eq!(
        list(OrderBy::new(OrderField::Id, Direction::Asc), Page::new(1, 10)).await,
        [s1.id, s2.id, s3.id, s4.id]
    );
    // Totals 10.00, 10.00, 8.00, 30.00: the tie is broken by id.
    assert_eq!(
        list(OrderBy::new(OrderField::Total, Direction::Asc), Page::new(1, 10)).await,
        [s3.id, s1.id, s2.id, s4.id]
    );
    assert_eq!(
        list(OrderBy::new(OrderField::Total, Direction::Desc), Page::new(1, 10)).await,
        [s4.id, s2.id, s1.id, s3.id]
    );
    assert_eq!(
        list(OrderBy::new(OrderField::Status, Direction::Asc), Page::new(1, 1)).await,
        [s4.id],
        "CANCELLED < COMPLETED"
    );
    let by_buyer = env
        .sales
        .query(
            &all,
            OrderBy::new(OrderField::UserId, Direction::Desc),
            Page::new(1, 10),
        )
        .await
        .unwrap();
    assert!(by_buyer.windows(2).all(|w| w[0].user_id >= w[1].user_id));

    let p1 = list(salebus::DEFAULT_ORDER, Page::new(1, 3)).await;
    let p2 = list(salebus::DEFAULT_ORDER, Page::new(2, 3)).await;
    assert_eq!((p1, p2), (vec![s4.id, s3.id, s2.id], vec![s1.id]));
    assert!(list(salebus::DEFAULT_ORDER, Page::new(3, 3)).await.is_empty());
    assert_eq!(env.sales.count(&all).await.unwrap(), 4);
}
