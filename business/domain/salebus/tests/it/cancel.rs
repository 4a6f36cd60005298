//! Cancelling: stock back, once.

use salebus::{Error, Status};
use uuid::Uuid;

use crate::{Env, on_both_backends};

on_both_backends!(
    cancel_restores_stock_once,
    cancel_checks_version_and_existence,
    cancel_restocks_a_deleted_product
);

async fn cancel_restores_stock_once(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let admin = Uuid::new_v4();
    let a = env.product(ann.id, "Radio", 1000, 5).await;
    let b = env.product(ann.id, "Lamp", 500, 3).await;
    let sale = env.buy(buyer.id, &[(b.id, 3), (a.id, 2)]).await.unwrap();
    assert_eq!((env.stock(a.id).await, env.stock(b.id).await), (3, 0));

    let cancelled = env.sales.cancel(admin, &sale, None).await.unwrap();
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(cancelled.version, 2);
    assert!(cancelled.date_updated >= sale.date_updated);
    assert_eq!(cancelled.lines, sale.lines, "lines stay as history");
    assert_eq!(env.sales.query_by_id(sale.id).await.unwrap(), cancelled);
    assert_eq!((env.stock(a.id).await, env.stock(b.id).await), (5, 3));

    let err = env.sales.cancel(admin, &cancelled, None).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyCancelled), "{err:?}");
    let err = env.sales.cancel(admin, &cancelled, Some(2)).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyCancelled), "{err:?}");
    assert_eq!(
        (env.stock(a.id).await, env.stock(b.id).await),
        (5, 3),
        "nothing restocked twice"
    );

    let audits = env.sale_audits().await;
    let actions: Vec<_> = audits.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["created", "cancelled"]);
    assert_eq!(audits[1].actor_id, admin);
    assert_eq!(audits[1].data["status"], "CANCELLED");
}

async fn cancel_checks_version_and_existence(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let a = env.product(ann.id, "Radio", 1000, 5).await;
    let sale = env.buy(buyer.id, &[(a.id, 1)]).await.unwrap();

    let err = env.sales.cancel(buyer.id, &sale, Some(9)).await.unwrap_err();
    assert!(matches!(err, Error::VersionConflict), "{err:?}");
    assert_eq!(env.sales.query_by_id(sale.id).await.unwrap().status, Status::Completed);
    assert_eq!(env.stock(a.id).await, 4);
    assert_eq!(env.sale_audits().await.len(), 1, "a refused cancel is not audited");

    let ghost = salebus::Sale {
        id: Uuid::new_v4(),
        ..sale.clone()
    };
    assert!(matches!(
        env.sales.cancel(buyer.id, &ghost, None).await,
        Err(Error::NotFound)
    ));

    env.sales.cancel(buyer.id, &sale, Some(1)).await.unwrap();
    assert_eq!(env.stock(a.id).await, 5);
}

async fn cancel_restocks_a_deleted_product(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await;
    let a = env.product(ann.id, "Radio", 1000, 5).await;
    let sale = env.buy(buyer.id, &[(a.id, 2)]).await.unwrap();
    let a = env.products.query_by_id(a.id).await.unwrap();
    env.products.delete(ann.id, &a, None).await.unwrap();

    env.sales.cancel(buyer.id, &sale, None).await.unwrap();
    assert_eq!(env.stock(a.id).await, 5);
    assert!(env.products.query_by_id(a.id).await.is_err(), "still deleted");
}
