//! Filters, ordering, paging and the view with the owner's name.

use productbus::{OrderField, Product, QueryFilter};
use sdk::{Direction, OrderBy, Page};
use types::Money;
use uuid::Uuid;

use crate::{Env, on_both_backends};

on_both_backends!(
    filters_match_and_count_agrees,
    ordering_and_paging,
    view_carries_owner_name
);

struct Fixture {
    ann: userbus::User,
    bob: userbus::User,
    /// Ann: Alpha Radio 10.00 x5, Bravo Lamp 20.00 x0, Charlie 100% Cotton 30.00 x2
    /// Bob: delta_radio 20.00 x1, Echo Chair 5.50 x9
    items: Vec<Product>,
}

async fn fixture(env: &Env) -> Fixture {
    let ann = env.user("Ann Seller").await;
    let bob = env.user("Bob Trader").await;
    let mut items = Vec::new();
    for (owner, name, cents, qty) in [
        (ann.id, "Alpha Radio", 1000, 5),
        (ann.id, "Bravo Lamp", 2000, 0),
        (ann.id, "Charlie 100% Cotton", 3000, 2),
        (bob.id, "delta_radio", 2000, 1),
        (bob.id, "Echo Chair", 550, 9),
    ] {
        items.push(env.product(owner, name, cents, qty).await);
    }
    Fixture { ann, bob, items }
}

/// Names of the products matching `f` in default order; asserts that `count` agrees.
async fn names(env: &Env, f: QueryFilter) -> Vec<String> {
    let got = env
        .products
        .query(&f, productbus::DEFAULT_ORDER, Page::new(1, 100))
        .await
        .unwrap();
    let n = env.products.count(&f).await.unwrap();
    assert_eq!(n, got.len() as i64, "count agrees with query for {f:?}");
    let mut names: Vec<String> = got.into_iter().map(|p| p.name.as_str().to_string()).collect();
    names.sort();
    names
}

async fn filters_match_and_count_agrees(env: Env) {
    let fx = fixture(&env).await;
    let m = Money::from_cents;

    assert_eq!(names(&env, QueryFilter::default()).await.len(), 5);
    assert_eq!(
        names(
            &env,
            QueryFilter {
                id: Some(fx.items[2].id),
                ..Default::default()
            }
        )
        .await,
        ["Charlie 100% Cotton"]
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                id: Some(Uuid::new_v4()),
                ..Default::default()
            }
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                user_id: Some(fx.bob.id),
                ..Default::default()
            }
        )
        .await,
        ["Echo Chair", "delta_radio"]
    );

    // Case-insensitive substring; % and _ are literal.
    assert_eq!(
        names(
            &env,
            QueryFilter {
                name: Some("RADIO".into()),
                ..Default::default()
            }
        )
        .await,
        ["Alpha Radio", "delta_radio"]
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                name: Some("0%".into()),
                ..Default::default()
            }
        )
        .await,
        ["Charlie 100% Cotton"]
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                name: Some("a_r".into()),
                ..Default::default()
            }
        )
        .await,
        ["delta_radio"]
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                name: Some("%".into()),
                ..Default::default()
            }
        )
        .await,
        ["Charlie 100% Cotton"]
    );

    assert_eq!(
        names(
            &env,
            QueryFilter {
                cost: Some(m(2000)),
                ..Default::default()
            }
        )
        .await,
        ["Bravo Lamp", "delta_radio"]
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                min_cost: Some(m(2000)),
                ..Default::default()
            }
        )
        .await,
        ["Bravo Lamp", "Charlie 100% Cotton", "delta_radio"],
        "min is inclusive"
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                max_cost: Some(m(1000)),
                ..Default::default()
            }
        )
        .await,
        ["Alpha Radio", "Echo Chair"],
        "max is inclusive"
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                min_cost: Some(m(1000)),
                max_cost: Some(m(2000)),
                ..Default::default()
            }
        )
        .await,
        ["Alpha Radio", "Bravo Lamp", "delta_radio"]
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                quantity: Some(2),
                ..Default::default()
            }
        )
        .await,
        ["Charlie 100% Cotton"]
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                in_stock: Some(false),
                ..Default::default()
            }
        )
        .await,
        ["Bravo Lamp"]
    );
    assert_eq!(
        names(
            &env,
            QueryFilter {
                in_stock: Some(true),
                ..Default::default()
            }
        )
        .await
        .len(),
        4
    );

    // Filters are ANDed.
    let f = QueryFilter {
        user_id: Some(fx.ann.id),
        in_stock: Some(true),
        min_cost: Some(m(1500)),
        ..Default::default()
    };
    assert_eq!(names(&env, f).await, ["Charlie 100% Cotton"]);

    // The owner-name filter also works on the plain listing.
    assert_eq!(
        names(
            &env,
            QueryFilter {
                user_name: Some("bob".into()),
                ..Default::default()
            }
        )
        .await,
        ["Echo Chair", "delta_radio"]
    );
}

async fn ordering_and_paging(env: Env) {
    let fx = fixture(&env).await;
    let ids = |ps: Vec<Product>| ps.into_iter().map(|p| p.id).collect::<Vec<_>>();
    let all = QueryFilter::default();
    let q = |field, direction, page| {
        let products = env.products.clone();
        let all = all.clone();
        async move {
            products
                .query(&all, OrderBy::new(field, direction), page)
                .await
                .unwrap()
        }
    };

    // Default: product_id ascending (ids are v7, so creation order).
    let mut by_id: Vec<Uuid> = fx.items.iter().map(|p| p.id).collect();
    by_id.sort();
    assert_eq!(
        ids(env
            .products
            .query(&all, productbus::DEFAULT_ORDER, Page::new(1, 10))
            .await
            .unwrap()),
        by_id
    );
    let mut desc = by_id.clone();
    desc.reverse();
    assert_eq!(ids(q(OrderField::Id, Direction::Desc, Page::new(1, 10)).await), desc);

    // Cost ascending; the two 20.00 products tie and are ordered by id.
    let i = &fx.items;
    let (tie_a, tie_b) = if i[1].id < i[3].id {
        (i[1].id, i[3].id)
    } else {
        (i[3].id, i[1].id)
    };
    assert_eq!(
        ids(q(OrderField::Cost, Direction::Asc, Page::new(1, 10)).await),
        [i[4].id, i[0].id, tie_a, tie_b, i[2].id]
    );
    assert_eq!(
        ids(q(OrderField::Cost, Direction::Desc, Page::new(1, 10)).await),
        [i[2].id, tie_b, tie_a, i[0].id, i[4].id]
    );
    assert_eq!(
        ids(q(OrderField::Quantity, Direction::Desc, Page::new(1, 10)).await),
        [i[4].id, i[0].id, i[2].id, i[3].id, i[1].id]
    );
    // Names starting with upper-case letters only: same order on both backends' collations.
    let named: Vec<Uuid> = q(OrderField::Name, Direction::Asc, Page::new(1, 3))
        .await
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(named, [i[0].id, i[1].id, i[2].id]);
    let by_owner = q(OrderField::UserId, Direction::Asc, Page::new(1, 10)).await;
    assert!(by_owner.windows(2).all(|w| w[0].user_id <= w[1].user_id));
    assert_eq!(
        ids(q(OrderField::DateCreated, Direction::Asc, Page::new(1, 10)).await),
        by_id
    );

    // Paging: 2 per page over 5 rows.
    let p1 = ids(q(OrderField::Id, Direction::Asc, Page::new(1, 2)).await);
    let p2 = ids(q(OrderField::Id, Direction::Asc, Page::new(2, 2)).await);
    let p3 = ids(q(OrderField::Id, Direction::Asc, Page::new(3, 2)).await);
    let p4 = ids(q(OrderField::Id, Direction::Asc, Page::new(4, 2)).await);
    assert_eq!([p1, p2, p3].concat(), by_id);
    assert!(p4.is_empty());
    assert_eq!(env.products.count(&all).await.unwrap(), 5, "the total ignores paging");
}

async fn view_carries_owner_name(env: Env) {
    let fx = fixture(&env).await;
    let views = env
        .products
        .query_view(&QueryFilter::default(), productbus::DEFAULT_ORDER, Page::new(1, 10))
        .await
        .unwrap();
    assert_eq!(views.len(), 5);
    for v in &views {
        let want = if v.product.user_id == fx.ann.id {
            "Ann Seller"
        } else {
            "Bob Trader"
        };
        assert_eq!(v.user_name.as_str(), want);
        let item = fx.items.iter().find(|p| p.id == v.product.id).unwrap();
        assert_eq!(&v.product, item);
    }

    let f = QueryFilter {
        user_name: Some("ann s".into()),
        in_stock: Some(true),
        ..Default::default()
    };
    let views = env
        .products
        .query_view(&f, OrderBy::new(OrderField::Cost, Direction::Desc), Page::new(1, 10))
        .await
        .unwrap();
    let got: Vec<_> = views.iter().map(|v| v.product.name.as_str()).collect();
    assert_eq!(got, ["Charlie 100% Cotton", "Alpha Radio"]);
    assert_eq!(env.products.count_view(&f).await.unwrap(), 2);
    let none = QueryFilter {
        user_name: Some("nobody".into()),
        ..Default::default()
    };
    assert_eq!(env.products.count_view(&none).await.unwrap(), 0);
}
