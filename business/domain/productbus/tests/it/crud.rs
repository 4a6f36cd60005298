//! Create, read, update, delete; versions and audit rows.

use productbus::{Error, QueryFilter, UpdateProduct};
use sdk::Page;
use types::{Money, Name};
use uuid::Uuid;

use crate::{Env, on_both_backends};

on_both_backends!(
    create_then_read_back,
    update_changes_only_given_fields,
    stale_version_is_refused_without_change_or_audit,
    delete_hides_the_product,
    concurrent_updates_with_same_version_have_one_winner,
    seed_products_are_the_documented_ones,
);

async fn create_then_read_back(env: Env) {
    let owner = env.user("Owner One").await;
    let p = env.product(owner.id, "Comic Books", 1999, 7).await;
    assert_eq!(p.version, 1);
    assert_eq!(p.date_created, p.date_updated);

    let got = env.products.query_by_id(p.id).await.unwrap();
    assert_eq!(got, p, "read back equals what was written (times to the microsecond)");

    let audits = env.audits_of(p.id).await;
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].obj_domain, auditbus::Domain::Product);
    assert_eq!(audits[0].action, "created");
    assert_eq!(audits[0].actor_id, owner.id);
    assert_eq!(audits[0].obj_name, "Comic Books");
    assert_eq!(
        audits[0].data,
        serde_json::json!({"userID": owner.id, "name": "Comic Books", "cost": 19.99, "quantity": 7})
    );

    assert!(matches!(
        env.products.query_by_id(Uuid::new_v4()).await,
        Err(Error::NotFound)
    ));
}

async fn update_changes_only_given_fields(env: Env) {
    let owner = env.user("Owner One").await;
    let p = env.product(owner.id, "Lamp", 500, 3).await;

    let up = UpdateProduct {
        cost: Some(Money::from_cents(450)),
        ..Default::default()
    };
    let p2 = env.products.update(owner.id, &p, up, None).await.unwrap();
    assert_eq!(p2.cost, Money::from_cents(450));
    assert_eq!((p2.name.as_str(), p2.quantity, p2.version), ("Lamp", 3, 2));
    assert!(p2.date_updated >= p.date_updated);
    assert_eq!(p2.date_created, p.date_created);

    // With the right version; quantity may go to 0.
    let up = UpdateProduct {
        name: Some(Name::parse("Desk Lamp").unwrap()),
        quantity: Some(0),
        ..Default::default()
    };
    let p3 = env.products.update(owner.id, &p2, up, Some(2)).await.unwrap();
    assert_eq!(
        (p3.name.as_str(), p3.cost.cents(), p3.quantity, p3.version),
        ("Desk Lamp", 450, 0, 3)
    );
    assert_eq!(env.products.query_by_id(p.id).await.unwrap(), p3);

    let audits = env.audits_of(p.id).await;
    let actions: Vec<_> = audits.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["created", "updated", "updated"]);
    assert_eq!(audits[1].data, serde_json::json!({"cost": 4.5}));
    assert_eq!(audits[2].data, serde_json::json!({"name": "Desk Lamp", "quantity": 0}));
    assert_eq!(audits[2].obj_name, "Desk Lamp");
}

async fn stale_version_is_refused_without_change_or_audit(env: Env) {
    let owner = env.user("Owner One").await;
    let p = env.product(owner.id, "Chair", 2500, 4).await;

    let up = UpdateProduct {
        quantity: Some(9),
        ..Default::default()
    };
    let err = env
        .products
        .update(owner.id, &p, up.clone(), Some(7))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::VersionConflict), "{err:?}");
    let err = env.products.delete(owner.id, &p, Some(2)).await.unwrap_err();
    assert!(matches!(err, Error::VersionConflict), "{err:?}");

    assert_eq!(env.products.query_by_id(p.id).await.unwrap(), p, "nothing modified");
    assert_eq!(env.audits_of(p.id).await.len(), 1, "only the create is audited");

    // Unknown product: NotFound, with or without a version.
    let ghost = productbus::Product {
        id: Uuid::new_v4(),
        ..p.clone()
    };
    assert!(matches!(
        env.products.update(owner.id, &ghost, up.clone(), Some(1)).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        env.products.update(owner.id, &ghost, up, None).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        env.products.delete(owner.id, &ghost, None).await,
        Err(Error::NotFound)
    ));
    assert!(env.audits_of(ghost.id).await.is_empty());
}

async fn delete_hides_the_product(env: Env) {
    let owner = env.user("Owner One").await;
    let admin = Uuid::new_v4();
    let keep = env.product(owner.id, "Keeper", 100, 1).await;
    let p = env.product(owner.id, "Goner", 100, 1).await;

    env.products.delete(admin, &p, Some(1)).await.unwrap();

    assert!(matches!(env.products.query_by_id(p.id).await, Err(Error::NotFound)));
    let all = env
        .products
        .query(&QueryFilter::default(), productbus::DEFAULT_ORDER, Page::default())
        .await
        .unwrap();
    assert_eq!(all.iter().map(|p| p.id).collect::<Vec<_>>(), [keep.id]);
    assert_eq!(env.products.count(&QueryFilter::default()).await.unwrap(), 1);
    assert_eq!(
        env.products
            .count(&QueryFilter {
                id: Some(p.id),
                ..Default::default()
            })
            .await
            .unwrap(),
        0
    );
    assert_eq!(env.products.count_view(&QueryFilter::default()).await.unwrap(), 1);

    // A deleted product can be neither changed nor deleted again.
    let up = UpdateProduct {
        quantity: Some(5),
        ..Default::default()
    };
    assert!(matches!(
        env.products.update(admin, &p, up, None).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        env.products.delete(admin, &p, None).await,
        Err(Error::NotFound)
    ));

    let audits = env.audits_of(p.id).await;
    let actions: Vec<_> = audits.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["created", "deleted"]);
    assert_eq!(audits[1].actor_id, admin);
    assert_eq!(audits[1].data, serde_json::json!({"userID": owner.id, "name": "Goner"}));
}

async fn concurrent_updates_with_same_version_have_one_winner(env: Env) {
    let owner = env.user("Owner One").await;
    let p = env.product(owner.id, "Contested", 100, 1).await;

    let mut tasks = Vec::new();
    for i in 0..10 {
        let (products, p) = (env.products.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            let up = UpdateProduct {
                quantity: Some(100 + i),
                ..Default::default()
            };
            products.update(owner.id, &p, up, Some(1)).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(Error::VersionConflict) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(env.products.query_by_id(p.id).await.unwrap().version, 2);
    assert_eq!(env.audits_of(p.id).await.len(), 2, "one create, one update");
}

async fn seed_products_are_the_documented_ones(env: Env) {
    env.db.pool.seed().await.unwrap();
    env.db.pool.seed().await.expect("seeding twice is harmless");
    let user = Uuid::parse_str("45b5fbd3-755f-4379-8f07-a58d4a30fa2f").unwrap();
    let admin = Uuid::parse_str("5cf37266-3473-4006-984f-9325122678b7").unwrap();
    let expected = [
        ("0c2562e6-437b-4d2f-ab6e-68bfb7df24cc", user, "Comic Books", 5000, 42),
        (
            "7267d403-fd2c-4aec-9612-0fdd4cec6c39",
            user,
            "McDonalds Toys",
            7500,
            120,
        ),
        ("d104e1eb-884d-48da-a4f0-e0c624ee7c3a", admin, "Road Bicycle", 12000, 1),
        ("617f6a5e-db18-465f-ae03-63d2f984ee70", admin, "Coffee Mug", 350, 10),
    ];
    for (id, owner, name, cents, qty) in expected {
        let p = env.products.query_by_id(Uuid::parse_str(id).unwrap()).await.unwrap();
        assert_eq!(
            (p.user_id, p.name.as_str(), p.cost.cents(), p.quantity, p.version),
            (owner, name, cents, qty, 1)
        );
        assert_eq!(p.date_created, time::macros::datetime!(2026-01-01 00:00:00 UTC));
    }
    assert_eq!(env.products.count(&QueryFilter::default()).await.unwrap(), 4);
    let views = env
        .products
        .query_view(&QueryFilter::default(), productbus::DEFAULT_ORDER, Page::default())
        .await
        .unwrap();
    assert!(
        views
            .iter()
            .all(|v| ["Admin Gopher", "User Gopher"].contains(&v.user_name.as_str()))
    );
}
