//! User store conformance: every test runs on SQLite and on PostgreSQL.

use auditbus::{Audit, OrderField as AuditOrder};
use sdk::{Direction, OrderBy, Page, dbtest::TestDb, sqldb::Backend};
use types::{Email, Name, Password, Role, Roles};
use userbus::{Business, Error, NewUser, OrderField, QueryFilter, UpdateUser};
use uuid::Uuid;

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::run(sdk::sqldb::Backend::Sqlite, super::$name).await } )* }
        mod pg { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::run(sdk::sqldb::Backend::Postgres, super::$name).await } )* }
    };
}

both_backends!(
    create_and_read_back,
    unique_email,
    partial_updates_and_versions,
    soft_delete,
    query_filter_order_page,
    authenticate,
    refused_changes_leave_no_audit
);

struct Env {
    _db: TestDb,
    users: Business,
    audits: auditbus::Business,
}

async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(db) = TestDb::new(backend).await else { return };
    let env = Env {
        users: Business::new(userbus::stores::new(&db.pool)),
        audits: auditbus::Business::new(auditbus::stores::new(&db.pool)),
        _db: db,
    };
    test(env).await;
}

fn new_user(name: &str, email: &str, roles: &[Role]) -> NewUser {
    NewUser {
        name: Name::parse(name).unwrap(),
        email: Email::parse(email).unwrap(),
        roles: Roles::new(roles.iter().copied()).unwrap(),
        department: Some("Garage".into()),
        password: Password::parse("garagesale").unwrap(),
    }
}

impl Env {
    async fn audits_of(&self, id: Uuid) -> Vec<Audit> {
        let f = auditbus::QueryFilter {
            obj_id: Some(id),
            ..Default::default()
        };
        self.audits
            .query(
                &f,
                OrderBy::new(AuditOrder::Timestamp, Direction::Asc),
                Page::new(1, 100),
            )
            .await
            .unwrap()
    }
}

async fn create_and_read_back(env: Env) {
    let actor = Uuid::new_v4();
    let u = env
        .users
        .create(
            actor,
            new_user("Ann Seller", "Ann@Example.com", &[Role::User, Role::Admin]),
        )
        .await
        .unwrap();
    assert_eq!(u.version, 1);
    assert!(u.enabled);
    let back = env.users.query_by_id(u.id).await.unwrap();
    assert_eq!(back, u, "times, roles and hash survive the round trip");
    assert_eq!(back.email.as_str(), "ann@example.com");
    assert_eq!(
        env.users
            .query_by_email(&Email::parse("ANN@example.com").unwrap())
            .await
            .unwrap()
            .id,
        u.id
    );
    assert!(matches!(
        env.users.query_by_id(Uuid::new_v4()).await,
        Err(Error::NotFound)
    ));
    let audits = env.audits_of(u.id).await;
    assert_eq!(audits.len(), 1);
    assert_eq!((audits[0].action.as_str(), audits[0].actor_id), ("created", actor));
    assert!(audits[0].data.get("password").is_none() && !audits[0].data.to_string().contains("argon2"));
}

async fn unique_email(env: Env) {
    env.users
        .create(Uuid::nil(), new_user("First One", "dup@example.com", &[Role::User]))
        .await
        .unwrap();
    let e = env
        .users
        .create(Uuid::nil(), new_user("Second One", "DUP@example.com", &[Role::User]))
        .await;
    assert!(matches!(e, Err(Error::UniqueEmail)), "{e:?}");
    let other = env
        .users
        .create(Uuid::nil(), new_user("Third One", "third@example.com", &[Role::User]))
        .await
        .unwrap();
    let uu = UpdateUser {
        email: Some(Email::parse("dup@example.com").unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        env.users.update(Uuid::nil(), &other, uu, None).await,
        Err(Error::UniqueEmail)
    ));
}

async fn partial_updates_and_versions(env: Env) {
    let u = env
        .users
        .create(Uuid::nil(), new_user("Bill Kennedy", "bill@example.com", &[Role::User]))
        .await
        .unwrap();
    let u2 = env
        .users
        .update(
            u.id,
            &u,
            UpdateUser {
                name: Some(Name::parse("William").unwrap()),
                ..Default::default()
            },
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!(
        (u2.name.as_str(), u2.email.as_str(), u2.version),
        ("William", "bill@example.com", 2)
    );
    assert_eq!(u2.department.as_deref(), Some("Garage"), "untouched fields stay");
    assert!(u2.date_updated >= u.date_updated);
    let stale = env
        .users
        .update(
            u.id,
            &u,
            UpdateUser {
                enabled: Some(false),
                ..Default::default()
            },
            Some(1),
        )
        .await;
    assert!(matches!(stale, Err(Error::VersionConflict)), "{stale:?}");
    let u3 = env
        .users
        .update(
            u.id,
            &u2,
            UpdateUser {
                department: Some(None),
                roles: Some(Roles::new([Role::Admin]).unwrap()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (u3.department.clone(), u3.version, u3.name.as_str()),
        (None, 3, "William")
    );
    assert!(u3.roles.contains(Role::Admin) && !u3.roles.contains(Role::User));
    let pw = UpdateUser {
        password: Some(Password::parse("new-password").unwrap()),
        ..Default::default()
    };
    env.users.update(u.id, &u3, pw, None).await.unwrap();
    assert!(env.users.authenticate("bill@example.com", "new-password").await.is_ok());
    let missing = env
        .users
        .update(
            Uuid::nil(),
            &userbus::User {
                id: Uuid::new_v4(),
                ..u3
            },
            UpdateUser::default(),
            None,
        )
        .await;
    assert!(matches!(missing, Err(Error::NotFound)), "{missing:?}");
    let actions: Vec<String> = env.audits_of(u.id).await.into_iter().map(|a| a.action).collect();
    assert_eq!(actions, ["created", "updated", "updated", "updated"]);
}

async fn soft_delete(env: Env) {
    let u = env
        .users
        .create(Uuid::nil(), new_user("Gone Soon", "gone@example.com", &[Role::User]))
        .await
        .unwrap();
    assert!(matches!(
        env.users.delete(Uuid::nil(), &u, Some(9)).await,
        Err(Error::VersionConflict)
    ));
    env.users.delete(Uuid::nil(), &u, Some(1)).await.unwrap();
    assert!(matches!(env.users.query_by_id(u.id).await, Err(Error::NotFound)));
    assert!(matches!(
        env.users.delete(Uuid::nil(), &u, None).await,
        Err(Error::NotFound)
    ));
    assert_eq!(env.users.count(&QueryFilter::default()).await.unwrap(), 0);
    assert!(matches!(
        env.users.authenticate("gone@example.com", "garagesale").await,
        Err(Error::AuthFailed)
    ));
    // The address is free again once its user is deleted.
    env.users
        .create(Uuid::nil(), new_user("Back Again", "gone@example.com", &[Role::User]))
        .await
        .unwrap();
}

async fn query_filter_order_page(env: Env) {
    for (name, email, roles) in [
        ("Alice Admin", "alice@example.com", vec![Role::Admin]),
        ("bob user", "bob@example.com", vec![Role::User]),
        ("Carol User", "carol@example.com", vec![Role::User, Role::Admin]),
    ] {
        env.users
            .create(Uuid::nil(), new_user(name, email, &roles))
            .await
            .unwrap();
    }
    let all = QueryFilter::default();
    let by = |f, d| OrderBy::new(f, d);
    let names = |v: Vec<userbus::User>| v.into_iter().map(|u| u.name.to_string()).collect::<Vec<_>>();
    assert_eq!(
        names(
            env.users
                .query(&all, by(OrderField::Email, Direction::Desc), Page::new(1, 10))
                .await
                .unwrap()
        ),
        ["Carol User", "bob user", "Alice Admin"]
    );
    assert_eq!(
        names(
            env.users
                .query(&all, by(OrderField::Email, Direction::Asc), Page::new(2, 2))
                .await
                .unwrap()
        ),
        ["Carol User"]
    );
    let admins = QueryFilter {
        role: Some(Role::Admin),
        ..Default::default()
    };
    assert_eq!(env.users.count(&admins).await.unwrap(), 2);
    let named = QueryFilter {
        name: Some("USER".into()),
        ..Default::default()
    };
    assert_eq!(env.users.count(&named).await.unwrap(), 2, "case-insensitive substring");
    let literal = QueryFilter {
        name: Some("_".into()),
        ..Default::default()
    };
    assert_eq!(env.users.count(&literal).await.unwrap(), 0, "_ is not a wildcard");
    let email = QueryFilter {
        email: Some(Email::parse("BOB@example.com").unwrap()),
        ..Default::default()
    };
    assert_eq!(
        names(
            env.users
                .query(&email, userbus::DEFAULT_ORDER, Page::default())
                .await
                .unwrap()
        ),
        ["bob user"]
    );
    let now = sdk::sqldb::now();
    let future = QueryFilter {
        start_created_date: Some(now + time::Duration::hours(1)),
        ..Default::default()
    };
    assert_eq!(env.users.count(&future).await.unwrap(), 0);
    let past = QueryFilter {
        end_created_date: Some(now + time::Duration::hours(1)),
        start_created_date: Some(now - time::Duration::hours(1)),
        ..Default::default()
    };
    assert_eq!(env.users.count(&past).await.unwrap(), 3);
}

async fn authenticate(env: Env) {
    let u = env
        .users
        .create(Uuid::nil(), new_user("Dana Doe", "dana@example.com", &[Role::User]))
        .await
        .unwrap();
    assert_eq!(
        env.users
            .authenticate("DANA@example.com", "garagesale")
            .await
            .unwrap()
            .id,
        u.id
    );
    for (email, pw) in [
        ("dana@example.com", "wrong-password"),
        ("nobody@example.com", "garagesale"),
        ("not-an-email", "garagesale"),
    ] {
        assert!(
            matches!(env.users.authenticate(email, pw).await, Err(Error::AuthFailed)),
            "{email}"
        );
    }
    env.users
        .update(
            Uuid::nil(),
            &u,
            UpdateUser {
                enabled: Some(false),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(
        matches!(
            env.users.authenticate("dana@example.com", "garagesale").await,
            Err(Error::AuthFailed)
        ),
        "disabled"
    );
}

async fn refused_changes_leave_no_audit(env: Env) {
    let u = env
        .users
        .create(Uuid::nil(), new_user("Eve Audit", "eve@example.com", &[Role::User]))
        .await
        .unwrap();
    let _ = env
        .users
        .update(
            Uuid::nil(),
            &u,
            UpdateUser {
                name: Some(Name::parse("Nope").unwrap()),
                ..Default::default()
            },
            Some(5),
        )
        .await;
    let _ = env.users.delete(Uuid::nil(), &u, Some(5)).await;
    env.users
        .create(Uuid::nil(), new_user("Other", "other@example.com", &[Role::User]))
        .await
        .unwrap();
    let _ = env
        .users
        .update(
            Uuid::nil(),
            &u,
            UpdateUser {
                email: Some(Email::parse("other@example.com").unwrap()),
                ..Default::default()
            },
            None,
        )
        .await;
    assert_eq!(env.audits_of(u.id).await.len(), 1, "only the create");
}
