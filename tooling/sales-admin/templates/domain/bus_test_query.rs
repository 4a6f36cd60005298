//! Filters, ordering and paging.

use {{ c.n.bus }}::{OrderField, QueryFilter, {{ c.n.pascal }}};
use sdk::{Direction, OrderBy, Page};
use uuid::Uuid;

use crate::{Env, on_both_backends};

on_both_backends!(filters_match_and_count_agrees, ordering_and_paging);

struct Fixture {
    other: Uuid,
    /// Items 0 and 1 belong to the owner, item 2 to `other`.
    items: Vec<{{ c.n.pascal }}>,
}

async fn fixture(env: &Env) -> Fixture {
    let u = env.three_users().await;
    let mut items = Vec::new();
    for (owner, i) in [(u.owner, 0), (u.owner, 1), (u.other, 2)] {
        items.push(env.create(&u, owner, i).await);
    }
    Fixture { other: u.other, items }
}

/// Ids of the items matching `f`, sorted; asserts that `count` agrees.
async fn ids(env: &Env, f: QueryFilter) -> Vec<Uuid> {
    let got = env.{{ c.n.plural }}.query(&f, {{ c.n.bus }}::DEFAULT_ORDER, Page::new(1, 100)).await.unwrap();
    let n = env.{{ c.n.plural }}.count(&f).await.unwrap();
    assert_eq!(n, got.len() as i64, "count agrees with query for {f:?}");
    got.into_iter().map(|x| x.id).collect()
}

async fn filters_match_and_count_agrees(env: Env) {
    let fx = fixture(&env).await;
    assert_eq!(ids(&env, QueryFilter::default()).await.len(), 3);
    let f = QueryFilter {
        id: Some(fx.items[1].id),
        ..Default::default()
    };
    assert_eq!(ids(&env, f).await, [fx.items[1].id]);
    let f = QueryFilter {
        id: Some(Uuid::new_v4()),
        ..Default::default()
    };
    assert!(ids(&env, f).await.is_empty());
    let f = QueryFilter {
        user_id: Some(fx.other),
        ..Default::default()
    };
    assert_eq!(ids(&env, f).await, [fx.items[2].id]);
{%- for f in c.filters %}

    // {{ f.name }}: {% if f.filter_substring %}case-insensitive substring{% else %}exact{% endif %}, item 0's value.
    let want: Vec<Uuid> = fx.items.iter().filter(|x| {{ f.test_matches }}).map(|x| x.id).collect();
    let f = QueryFilter {
        {{ f.name }}: {{ f.test_filter_value }},
        ..Default::default()
    };
    assert_eq!(ids(&env, f).await, want);
{%- endfor %}
}

async fn ordering_and_paging(env: Env) {
    let fx = fixture(&env).await;
    let all = QueryFilter::default();
    let by_index: Vec<Uuid> = fx.items.iter().map(|x| x.id).collect();
    let mut reversed = by_index.clone();
    reversed.reverse();
    let ordered = |field, direction, page| {
        let {{ c.n.plural }} = env.{{ c.n.plural }}.clone();
        let all = all.clone();
        async move {
            {{ c.n.plural }}
                .query(&all, OrderBy::new(field, direction), page)
                .await
                .unwrap()
                .into_iter()
                .map(|x| x.id)
                .collect::<Vec<_>>()
        }
    };

    // Ids are v7 (creation order); every orderable value grows with the item's index.
    for field in [OrderField::Id, OrderField::DateCreated{% for f in c.orderables %}, OrderField::{{ f.pascal }}{% endfor %}] {
        assert_eq!(ordered(field, Direction::Asc, Page::new(1, 10)).await, by_index, "{field:?} ASC");
        assert_eq!(ordered(field, Direction::Desc, Page::new(1, 10)).await, reversed, "{field:?} DESC");
    }
    let by_owner = ordered(OrderField::UserId, Direction::Asc, Page::new(1, 10)).await;
    assert_eq!(by_owner.len(), 3);

    // Paging: 2 per page over 3 rows.
    let p1 = ordered(OrderField::Id, Direction::Asc, Page::new(1, 2)).await;
    let p2 = ordered(OrderField::Id, Direction::Asc, Page::new(2, 2)).await;
    let p3 = ordered(OrderField::Id, Direction::Asc, Page::new(3, 2)).await;
    assert_eq!([p1, p2].concat(), by_index);
    assert!(p3.is_empty());
    assert_eq!(env.{{ c.n.plural }}.count(&all).await.unwrap(), 3, "the total ignores paging");
}
