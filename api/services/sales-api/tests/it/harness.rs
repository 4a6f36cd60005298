//! Test harness in the spirit of ardanlabs' apitest: a running service per test
//! and typed helpers; `cases!` runs table-driven cases asserting status and body.

use std::{net::SocketAddr, path::PathBuf};

use reqwest::{Method, StatusCode};
use sales_api::{App, Config, Deps};
use sdk::{dbtest::TestDb, sqldb::Backend};
use serde_json::{Value, json};
use types::{Email, Name, Password, Role, Roles};
use uuid::Uuid;

pub const ADMIN_ID: &str = "5cf37266-3473-4006-984f-9325122678b7";
pub const USER_ID: &str = "45b5fbd3-755f-4379-8f07-a58d4a30fa2f";
pub const DEV_KID: &str = sales_api::config::DEV_KID;

/// Declares `async fn name(app: TestApp)` as one test per backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::harness::TestApp::start(sdk::sqldb::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
        mod pg {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::harness::TestApp::start(sdk::sqldb::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub deps: Deps,
    pub db: TestDb,
    pub shutdown: web::Shutdown,
}

/// A response with its parsed JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an error response: status, `code`, and (optionally) the first field.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, field: Option<&str>) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message missing: {}",
            self.body
        );
        match field {
            Some(f) => {
                let fields: Vec<&str> = self.body["fields"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|x| x["field"].as_str()).collect())
                    .unwrap_or_default();
                assert!(fields.contains(&f), "expected field {f:?} in {}", self.body);
            }
            None => assert!(self.body.get("fields").is_none(), "unexpected fields: {}", self.body),
        }
    }
}

pub fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../zarf/keys")
}

impl TestApp {
    /// A seeded database on `backend` and the service listening on a free port.
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let db = TestDb::seeded(backend).await?;
        let mut config = Config::default();
        config.db.url = db.config.url.clone();
        config.auth.keys_folder = keys_dir().display().to_string();
        tweak(&mut config);
        let keys = keystore::KeyStore::from_dir(&config.auth.keys_folder).expect("dev keys");
        let shutdown = web::Shutdown::new();
        let deps = Deps::new(config, db.pool.clone(), keys, shutdown.clone())
            .await
            .expect("deps");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(web::serve(listener, App::router(&deps), shutdown.clone()));
        let client = reqwest::Client::builder().no_proxy().build().expect("client");
        Some(TestApp {
            addr,
            client,
            deps,
            db,
            shutdown,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, headers, body }
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.call(Method::DELETE, path, token, None).await
    }

    /// A token for an existing user, signed like the service signs them.
    pub async fn token_for(&self, user_id: &str) -> String {
        let user = self
            .deps
            .users
            .query_by_id(user_id.parse().unwrap())
            .await
            .expect("user exists");
        self.deps.auth.issue(&user, None).expect("issue").0
    }

    pub async fn admin_token(&self) -> String {
        self.token_for(ADMIN_ID).await
    }

    pub async fn user_token(&self) -> String {
        self.token_for(USER_ID).await
    }

    /// Creates a user directly through the business layer; returns (id, token).
    pub async fn create_user(&self, roles: &[Role]) -> (Uuid, String) {
        let n = Uuid::new_v4().simple().to_string();
        let nu = userbus::NewUser {
            name: Name::parse(&format!("Tester {}", &n[..8])).unwrap(),
            email: Email::parse(&format!("t{}@example.com", &n[..12])).unwrap(),
            roles: Roles::new(roles.iter().copied()).unwrap(),
            department: None,
            password: Password::parse("password123").unwrap(),
        };
        let user = self.deps.users.create(Uuid::nil(), nu).await.expect("create user");
        let token = self.deps.auth.issue(&user, None).expect("issue").0;
        (user.id, token)
    }

    pub fn new_user_body(email: &str) -> Value {
        json!({"name": "Bill Kennedy", "email": email, "roles": ["USER"], "department": "IT",
               "password": "gophers123", "passwordConfirm": "gophers123"})
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

/// Inspects a success body.
pub type BodyCheck = Box<dyn Fn(&Value) + Send + Sync>;

/// One row of a table-driven test.
pub struct Case {
    pub name: &'static str,
    pub method: Method,
    pub path: String,
    pub token: Option<String>,
    pub body: Option<Value>,
    pub status: u16,
    /// Expected error code, or `None` for a success whose body `check` inspects.
    pub code: Option<&'static str>,
    pub field: Option<&'static str>,
    pub check: Option<BodyCheck>,
}

impl Case {
    pub fn new(name: &'static str, method: Method, path: impl Into<String>, token: Option<&str>) -> Case {
        Case {
            name,
            method,
            path: path.into(),
            token: token.map(str::to_string),
            body: None,
            status: 200,
            code: None,
            field: None,
            check: None,
        }
    }

    pub fn body(mut self, b: Value) -> Case {
        self.body = Some(b);
        self
    }

    pub fn ok(mut self, status: u16, check: impl Fn(&Value) + Send + Sync + 'static) -> Case {
        self.status = status;
        self.check = Some(Box::new(check));
        self
    }

    pub fn err(mut self, status: u16, code: &'static str, field: Option<&'static str>) -> Case {
        self.status = status;
        self.code = Some(code);
        self.field = field;
        self
    }
}

/// Runs every case in order, asserting status and body.
pub async fn run_cases(app: &TestApp, cases: Vec<Case>) {
    for c in cases {
        let r = app
            .call(c.method.clone(), &c.path, c.token.as_deref(), c.body.clone())
            .await;
        match c.code {
            Some(code) => {
                assert_eq!(r.status.as_u16(), c.status, "case {:?}: body {}", c.name, r.body);
                assert_eq!(r.body["code"], code, "case {:?}: body {}", c.name, r.body);
                if let Some(f) = c.field {
                    let fields: Vec<&str> = r.body["fields"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|x| x["field"].as_str()).collect())
                        .unwrap_or_default();
                    assert!(
                        fields.contains(&f),
                        "case {:?}: expected field {f:?} in {}",
                        c.name,
                        r.body
                    );
                }
            }
            None => {
                assert_eq!(r.status.as_u16(), c.status, "case {:?}: body {}", c.name, r.body);
                if let Some(check) = &c.check {
                    check(&r.body);
                }
            }
        }
    }
}
