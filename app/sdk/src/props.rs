//! Property tests of what reads untrusted text: the query-string parser (paging,
//! `orderBy`, typed filters, through the real extractor) and the `Authorization`
//! header / JWT parsing. Whatever comes in, the answer is a value or a 4xx naming
//! the problem; never a panic, a 500, or an accepted forgery.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use axum::{Router, body::Body, http::Request, routing::get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use proptest::prelude::*;
use sdk::{Direction, OrderBy, Page, dbtest::TestDb, sqldb::Backend};
use tower::ServiceExt;

use crate::{AppError, Authenticator, ErrCode, auth::TokenConfig, query::QueryParams};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Name,
    Cost,
}

const FIELDS: &[(&str, Field)] = &[("name", Field::Name), ("cost", Field::Cost)];

fn params(pairs: &[(&str, &str)]) -> QueryParams {
    QueryParams(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn field_of(e: &AppError) -> Option<&str> {
    e.fields.first().map(|f| f.field.as_str())
}

/// A 400 naming `field`.
fn is_invalid(e: &AppError, field: &str) -> bool {
    e.code == ErrCode::InvalidArgument && field_of(e) == Some(field) && !e.fields[0].error.is_empty()
}

/// Text a client might send: mostly digits, signs, commas and names, some noise.
fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        r"[ +-]?[0-9]{0,12}[ ]?",
        r"[a-zA-Z_ ]{0,8}(,[ ]?[a-zA-Z]{0,5})?",
        Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn paging_is_a_page_or_a_400_naming_the_parameter(page in query_value(), rows in query_value()) {
        match params(&[("page", &page), ("rows", &rows)]).page() {
            Ok(p) => {
                prop_assert!(p.number >= 1);
                prop_assert!((1..=Page::MAX_ROWS).contains(&p.rows));
                // What was given is what was used (a missing or blank value takes the default).
                if let Ok(n) = page.trim().parse::<u32>() { prop_assert_eq!(p.number, n); }
                if let Ok(n) = rows.trim().parse::<u32>() { prop_assert_eq!(p.rows, n); }
            }
            Err(e) => prop_assert!(is_invalid(&e, "page") || is_invalid(&e, "rows"), "{e:?}"),
        }
    }

    #[test]
    fn order_by_is_a_known_field_or_a_400(raw in query_value()) {
        let default = OrderBy::new(Field::Cost, Direction::Desc);
        match params(&[("orderBy", &raw)]).order_by(FIELDS, default) {
            Ok(o) => {
                let name = raw.split(',').next().unwrap().trim();
                if name.is_empty() && !raw.contains(',') {
                    prop_assert_eq!(o, default);
                } else {
                    prop_assert!(FIELDS.iter().any(|(n, f)| *n == name && *f == o.field), "{raw:?} -> {o:?}");
                }
            }
            Err(e) => prop_assert!(is_invalid(&e, "orderBy"), "{e:?}"),
        }
    }

    #[test]
    fn typed_filters_are_values_or_400s_naming_the_filter(raw in query_value()) {
        let q = params(&[("f", &raw)]);
        for result in [
            q.uuid("f").map(|v| v.is_some()),
            q.bool("f").map(|v| v.is_some()),
            q.i64("f").map(|v| v.is_some()),
            q.time("f").map(|v| v.is_some()),
        ] {
            match result {
                Ok(present) => prop_assert_eq!(present, !raw.trim().is_empty()),
                Err(e) => prop_assert!(is_invalid(&e, "f"), "{e:?}"),
            }
        }
    }

    /// The whole path a query string takes: URI, percent-decoding, the extractor.
    #[test]
    fn any_query_string_through_the_extractor(raw in r"[a-zA-Z0-9=&%+,._~ -]{0,40}") {
        let Ok(uri) = format!("/?{}", raw.replace(' ', "+")).parse::<axum::http::Uri>() else {
            return Ok(());
        };
        let app = Router::new().route(
            "/",
            get(|q: QueryParams| async move {
                let page = q.page()?;
                let order = q.order_by(FIELDS, OrderBy::new(Field::Name, Direction::Asc))?;
                q.i64("cost")?;
                Ok::<_, AppError>(format!("{} {} {:?}", page.number, page.rows, order.field))
            }),
        );
        let status = rt().block_on(async {
            let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
            app.oneshot(req).await.unwrap().status().as_u16()
        });
        prop_assert!(status == 200 || status == 400, "{raw:?} -> {status}");
    }
}

// ---------------------------------------------------------------------------
// Authorization header and JWT parsing

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

pub(crate) struct AuthFixture {
    pub(crate) auth: Authenticator,
    /// A real token of the seeded admin: the control that must pass.
    pub(crate) valid: String,
    _db: TestDb,
}

const ADMIN_ID: &str = "5cf37266-3473-4006-984f-9325122678b7";
const DEV_KID: &str = "54bb2165-71e1-41a6-af3e-7da4a0e1e2c1";

pub(crate) fn fixture() -> &'static AuthFixture {
    static F: OnceLock<AuthFixture> = OnceLock::new();
    F.get_or_init(|| {
        rt().block_on(async {
            let db = TestDb::seeded(Backend::Sqlite).await.expect("SQLite test database");
            let keys = keystore::KeyStore::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../zarf/keys"))
                .expect("dev keys");
            let users = userbus::Business::new(userbus::stores::new(&db.pool));
            let config = TokenConfig {
                issuer: "sales-api".into(),
                active_kid: DEV_KID.into(),
                access_ttl: time::Duration::hours(1),
            };
            let auth = Authenticator::new(Arc::new(keys), config, users.clone())
                .await
                .expect("authenticator");
            let admin = users
                .query_by_id(ADMIN_ID.parse().unwrap())
                .await
                .expect("seeded admin");
            let valid = auth.issue(&admin, None).expect("issue").0;
            AuthFixture { auth, valid, _db: db }
        })
    })
}

/// Authenticates `header`; every rejection must be a 401 (never a 500).
fn authenticate(header: &str) -> Result<(), TestCaseError> {
    let f = fixture();
    match rt().block_on(f.auth.authenticate(Some(header))) {
        Ok(claims) => Err(TestCaseError::fail(format!(
            "accepted {header:?} as {}",
            claims.subject
        ))),
        Err(e) if e.code == ErrCode::Unauthenticated && !e.message.is_empty() => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!("{header:?} -> {e:?}, not a 401"))),
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT header as a forger might write it.
fn jwt_header() -> impl Strategy<Value = String> {
    let alg = prop_oneof![
        Just("none".to_string()),
        Just("RS256".to_string()),
        Just("HS256".to_string()),
        Just("ES256".to_string()),
        Just("EdDSA".to_string()),
        "[A-Za-z0-9]{0,6}",
    ];
    let kid = prop_oneof![Just(DEV_KID.to_string()), "[a-z0-9-]{0,36}"];
    (alg, kid, any::<bool>()).prop_map(|(alg, kid, with_kid)| {
        if with_kid {
            serde_json::json!({"alg": alg, "typ": "JWT", "kid": kid}).to_string()
        } else {
            serde_json::json!({"alg": alg}).to_string()
        }
    })
}

/// Claims that would pass every check but the signature.
fn jwt_claims() -> impl Strategy<Value = String> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    (any::<i64>(), any::<bool>()).prop_map(move |(skew, sane)| {
        let exp = if sane { now + 3600 } else { skew };
        serde_json::json!({"iss": "sales-api", "sub": ADMIN_ID, "iat": now, "exp": exp,
                           "jti": "x", "roles": ["ADMIN", "USER"]})
        .to_string()
    })
}

#[test]
fn the_control_token_is_accepted() {
    // Without this the properties below could pass by rejecting everything.
    let f = fixture();
    let claims = rt()
        .block_on(f.auth.authenticate(Some(&format!("Bearer {}", f.valid))))
        .expect("a real token authenticates");
    assert_eq!(claims.subject.to_string(), ADMIN_ID);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn any_authorization_header_is_rejected(header in any::<String>()) {
        authenticate(&header)?;
    }

    #[test]
    fn any_bearer_text_is_rejected(token in any::<String>()) {
        authenticate(&format!("Bearer {token}"))?;
    }

    #[test]
    fn three_segments_of_junk_are_rejected(a in any::<Vec<u8>>(), b in any::<Vec<u8>>(), c in any::<Vec<u8>>()) {
        authenticate(&format!("Bearer {}.{}.{}", b64(&a), b64(&b), b64(&c)))?;
    }

    #[test]
    fn forged_tokens_are_rejected(header in jwt_header(), claims in jwt_claims(), sig in any::<Vec<u8>>()) {
        authenticate(&format!("Bearer {}.{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()), b64(&sig)))?;
    }

    #[test]
    fn a_valid_token_with_any_one_character_changed_is_rejected(
        at in any::<prop::sample::Index>(),
        with in prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ".chars().collect::<Vec<_>>()
        ),
    ) {
        let valid = &fixture().valid;
        let i = at.index(valid.len());
        let mut chars: Vec<char> = valid.chars().collect();
        prop_assume!(chars[i] != with);
        chars[i] = with;
        let forged: String = chars.into_iter().collect();
        authenticate(&format!("Bearer {forged}"))?;
    }

    #[test]
    fn a_valid_signature_on_other_claims_is_rejected(claims in jwt_claims()) {
        // Header and signature of a real token, claims of the forger's choosing.
        let valid = &fixture().valid;
        let parts: Vec<&str> = valid.split('.').collect();
        authenticate(&format!("Bearer {}.{}.{}", parts[0], b64(claims.as_bytes()), parts[2]))?;
    }
}

#[test]
fn query_params_keep_the_raw_map() {
    let q = QueryParams(HashMap::from([("rows".to_string(), " 7 ".to_string())]));
    assert_eq!(q.page().unwrap().rows, 7);
}
