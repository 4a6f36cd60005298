//! Concurrency claims, raced for real: many tasks on a multi-threaded runtime,
//! released together.

use std::sync::Arc;

use salebus::{CreateOutcome, Error};
use tokio::sync::Barrier;

use crate::{Env, new_sale, on_both_backends};

on_both_backends!(
    thirty_buyers_ten_units_no_oversell,
    crossing_two_line_sales_do_not_deadlock,
    same_key_concurrently_sells_once
);

async fn thirty_buyers_ten_units_no_oversell(env: Env) {
    let ann = env.user("Ann Seller").await;
    let mut buyers = Vec::new();
    for i in 0..5 {
        buyers.push(env.user(&format!("Buyer {i}")).await.id);
    }
    let pid = env.product(ann.id, "Hot Item", 1000, 10).await.id;

    let gate = Arc::new(Barrier::new(30));
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (env, gate, buyer) = (env.clone(), gate.clone(), buyers[i % buyers.len()]);
        tasks.push(tokio::spawn(async move {
            gate.wait().await;
            env.buy(buyer, &[(pid, 1)]).await
        }));
    }
    let (mut sold, mut short) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => sold += 1,
            Err(Error::InsufficientStock { lines }) => {
                assert_eq!((lines.len(), lines[0].index, lines[0].requested), (1, 0, 1));
                short += 1;
            }
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!((sold, short), (10, 20));
    assert_eq!(env.stock(pid).await, 0);
    assert_eq!(env.count_rows("sales").await, 10);
    assert_eq!(env.products.query_by_id(pid).await.unwrap().version, 11);
}

async fn crossing_two_line_sales_do_not_deadlock(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await.id;
    let a = env.product(ann.id, "Left", 100, 100).await;
    let b = env.product(ann.id, "Right", 100, 100).await;

    let gate = Arc::new(Barrier::new(40));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (env, gate) = (env.clone(), gate.clone());
        // Half ask A then B, half B then A; quantities differ to check the sums.
        let lines = if i % 2 == 0 {
            [(a.id, 1), (b.id, 2)]
        } else {
            [(b.id, 2), (a.id, 1)]
        };
        tasks.push(tokio::spawn(async move {
            gate.wait().await;
            env.buy(buyer, &lines).await
        }));
    }
    let run = async {
        for t in tasks {
            t.await.unwrap().expect("every sale succeeds");
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("no deadlock or stall");
    assert_eq!(env.stock(a.id).await, 100 - 40);
    assert_eq!(env.stock(b.id).await, 100 - 80);
    assert_eq!(env.count_rows("sales").await, 40);
    assert_eq!(env.count_rows("sale_lines").await, 80);
}

async fn same_key_concurrently_sells_once(env: Env) {
    let ann = env.user("Ann Seller").await;
    let buyer = env.user("Carl Buyer").await.id;
    let pid = env.product(ann.id, "Once Only", 1000, 10).await.id;

    let gate = Arc::new(Barrier::new(10));
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (env, gate) = (env.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            gate.wait().await;
            env.sales
                .create(buyer, new_sale(buyer, &[(pid, 3)], Some("retry-me")))
                .await
        }));
    }
    let (mut created, mut replayed, mut in_flight) = (Vec::new(), Vec::new(), 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(CreateOutcome::Created(s)) => created.push(s.id),
            Ok(CreateOutcome::Replayed(s)) => replayed.push(s.id),
            Err(Error::IdempotencyInFlight) => in_flight += 1,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!(created.len(), 1, "exactly one sale");
    assert!(replayed.iter().all(|id| *id == created[0]), "replays return that sale");
    assert_eq!(created.len() + replayed.len() + in_flight, 10);
    assert_eq!(env.stock(pid).await, 7, "stock decremented once");
    assert_eq!(env.count_rows("sales").await, 1);
    assert_eq!(env.sale_audits().await.len(), 1);
}
