use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{ADMIN_ID, DEV_KID, TestApp};

crate::both_backends!(
    token_endpoint_basic_auth,
    login_refresh_rotation_and_reuse_detection,
    logout_ends_the_session,
    unknown_email_and_wrong_password_look_the_same,
    unknown_email_and_wrong_password_take_the_same_time,
    forged_tokens_are_refused,
    jwks_publishes_the_keys
);

fn basic(email: &str, pw: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{email}:{pw}"))
    )
}

async fn token_endpoint_basic_auth(app: TestApp) {
    let path = format!("/v1/auth/token/{DEV_KID}");
    let r = app
        .send(
            app.client
                .get(app.url(&path))
                .header("Authorization", basic("admin@example.com", "garagesale")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_string();
    // The token works.
    assert_eq!(app.get("/v1/users", Some(&token)).await.status, 200);

    let r = app
        .send(
            app.client
                .get(app.url(&path))
                .header("Authorization", basic("admin@example.com", "wrong-pass")),
        )
        .await;
    r.assert_error(401, "unauthenticated", None);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"sales-api\""),
        "the token endpoint asks for Basic credentials"
    );
    app.get(&path, None).await.assert_error(401, "unauthenticated", None);
    let r = app
        .send(
            app.client
                .get(app.url("/v1/auth/token/no-such-kid"))
                .header("Authorization", basic("admin@example.com", "garagesale")),
        )
        .await;
    r.assert_error(404, "not_found", None);
}

async fn login(app: &TestApp, email: &str, pw: &str) -> crate::harness::Resp {
    app.post("/v1/auth/login", None, json!({"email": email, "password": pw}))
        .await
}

async fn refresh(app: &TestApp, token: &str) -> crate::harness::Resp {
    app.post("/v1/auth/refresh", None, json!({"refreshToken": token})).await
}

async fn login_refresh_rotation_and_reuse_detection(app: TestApp) {
    let r = login(&app, "ADMIN@example.com", "garagesale").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tokenType"], "Bearer");
    assert_eq!(r.body["user"]["id"], ADMIN_ID);
    assert!(r.body["user"].get("passwordHash").is_none() && r.body["user"].get("password").is_none());
    for k in [
        "accessToken",
        "accessTokenExpiresAt",
        "refreshToken",
        "refreshTokenExpiresAt",
    ] {
        assert!(
            r.body[k].as_str().is_some_and(|s| !s.is_empty()),
            "{k} missing: {}",
            r.body
        );
    }
    let access = r.body["accessToken"].as_str().unwrap();
    assert_eq!(app.get("/v1/users", Some(access)).await.status, 200);

    let first = r.body["refreshToken"].as_str().unwrap().to_string();
    let r2 = refresh(&app, &first).await;
    assert_eq!(r2.status, 200, "{}", r2.body);
    let second = r2.body["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(first, second, "refresh token rotates");
    assert_eq!(
        app.get("/v1/users", Some(r2.body["accessToken"].as_str().unwrap()))
            .await
            .status,
        200
    );

    // Presenting the used token again revokes the whole session family.
    refresh(&app, &first).await.assert_error(401, "unauthenticated", None);
    refresh(&app, &second).await.assert_error(401, "unauthenticated", None);
    refresh(&app, "garbage")
        .await
        .assert_error(401, "unauthenticated", None);
}

async fn logout_ends_the_session(app: TestApp) {
    let r = login(&app, "user@example.com", "garagesale").await;
    let rt = r.body["refreshToken"].as_str().unwrap().to_string();
    let out = app.post("/v1/auth/logout", None, json!({"refreshToken": rt})).await;
    assert_eq!(out.status, 204);
    refresh(&app, &rt).await.assert_error(401, "unauthenticated", None);
    app.post("/v1/auth/logout", None, json!({"refreshToken": "unknown"}))
        .await
        .assert_error(401, "unauthenticated", None);
    app.post("/v1/auth/logout", None, json!({"refresh": "x"}))
        .await
        .assert_error(400, "invalid_argument", Some("refresh"));
}

async fn unknown_email_and_wrong_password_look_the_same(app: TestApp) {
    let a = login(&app, "nobody@example.com", "garagesale").await;
    let b = login(&app, "admin@example.com", "not-the-password").await;
    a.assert_error(401, "unauthenticated", None);
    assert_eq!(a.status, b.status);
    assert_eq!(a.body, b.body);
    assert!(!a.body.to_string().contains("not-the-password"));
}

/// Without the dummy hash an unknown email would answer as fast as a request that
/// fails validation, telling an attacker which emails exist. Medians of interleaved
/// samples; the bound is loose (a shared 2-core CI machine) but the difference it
/// guards against is an order of magnitude.
async fn unknown_email_and_wrong_password_take_the_same_time(app: TestApp) {
    use std::time::{Duration, Instant};
    async fn timed(app: &TestApp, email: &str, pw: &str, status: u16) -> Duration {
        let started = Instant::now();
        let r = if pw.is_empty() {
            app.post("/v1/auth/login", None, json!({"email": email})).await
        } else {
            login(app, email, pw).await
        };
        assert_eq!(r.status, status, "{}", r.body);
        started.elapsed()
    }
    fn median(mut v: Vec<Duration>) -> Duration {
        v.sort();
        v[v.len() / 2]
    }
    timed(&app, "admin@example.com", "not-the-password", 401).await; // warm-up
    let (mut unknown, mut wrong, mut no_hash) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..16 {
        // Which of the two goes first alternates: a hash's 19 MiB are either
        // already mapped in the blocking thread that runs it or faulted in anew,
        // and under a busy test binary that split by position (15 vs 26 ms).
        if i % 2 == 0 {
            unknown.push(timed(&app, "nobody@example.com", "garagesale", 401).await);
            wrong.push(timed(&app, "admin@example.com", "not-the-password", 401).await);
        } else {
            wrong.push(timed(&app, "admin@example.com", "not-the-password", 401).await);
            unknown.push(timed(&app, "nobody@example.com", "garagesale", 401).await);
        }
        // Refused before any hashing: no password at all is a 400.
        no_hash.push(timed(&app, "admin@example.com", "", 400).await);
    }
    // Each unknown-email login is compared with the wrong-password login made
    // beside it: the two see the same moment of the machine (other tests share
    // the cores; whole-set medians once differed by more than 1.5x).
    let mut paired: Vec<f64> = unknown
        .iter()
        .zip(&wrong)
        .map(|(u, w)| u.as_secs_f64() / w.as_secs_f64())
        .collect();
    paired.sort_by(f64::total_cmp);
    let ratio = paired[paired.len() / 2];
    let (unknown, wrong, no_hash) = (median(unknown), median(wrong), median(no_hash));
    eprintln!(
        "login medians: unknown email {unknown:?}, wrong password {wrong:?}, no hash {no_hash:?}; paired ratio {ratio:.2}"
    );
    assert!(
        unknown > no_hash * 3 && wrong > no_hash * 3,
        "both paths verify a hash: unknown {unknown:?}, wrong {wrong:?}, no hash {no_hash:?}"
    );
    assert!(
        (1.0 / 1.5..1.5).contains(&ratio),
        "unknown email vs wrong password, median of paired ratios {ratio:.2} (medians {unknown:?} vs {wrong:?})"
    );
}

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

async fn forged_tokens_are_refused(app: TestApp) {
    let good = app.admin_token().await;
    let parts: Vec<&str> = good.split('.').collect();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = |iss: &str, iat: i64, exp: i64| json!({"iss": iss, "sub": ADMIN_ID, "iat": iat, "exp": exp, "jti": uuid::Uuid::new_v4(), "roles": ["ADMIN"]});
    let keys = keystore::KeyStore::from_dir(crate::harness::keys_dir()).unwrap();
    let sign = |claims: Value, kid: &str| {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        h.kid = Some(kid.into());
        jsonwebtoken::encode(&h, &claims, keys.encoding_key(DEV_KID).unwrap()).unwrap()
    };
    let forged = [
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT", "kid": DEV_KID})),
                parts[1]
            ),
        ),
        (
            "tampered payload",
            format!(
                "{}.{}.{}",
                parts[0],
                b64(&claims("sales-api", now, now + 3600)),
                parts[2]
            ),
        ),
        ("unknown kid", sign(claims("sales-api", now, now + 3600), "other-kid")),
        ("wrong issuer", sign(claims("evil", now, now + 3600), DEV_KID)),
        ("expired", sign(claims("sales-api", now - 7200, now - 3600), DEV_KID)),
        ("not a jwt", "abc".to_string()),
        ("not yet valid", {
            let mut c = claims("sales-api", now, now + 7200);
            c["nbf"] = json!(now + 3600);
            sign(c, DEV_KID)
        }),
        ("missing exp", {
            let mut c = claims("sales-api", now, now + 3600);
            c.as_object_mut().unwrap().remove("exp");
            sign(c, DEV_KID)
        }),
        ("HS256 signed with the public key", {
            let public_pem = rsa::pkcs8::EncodePublicKey::to_public_key_pem(
                &rsa::RsaPublicKey::from(
                    &<rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(
                        &std::fs::read_to_string(crate::harness::keys_dir().join(format!("{DEV_KID}.pem"))).unwrap(),
                    )
                    .unwrap(),
                ),
                rsa::pkcs8::LineEnding::LF,
            )
            .unwrap();
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            h.kid = Some(DEV_KID.into());
            jsonwebtoken::encode(
                &h,
                &claims("sales-api", now, now + 3600),
                &jsonwebtoken::EncodingKey::from_secret(public_pem.as_bytes()),
            )
            .unwrap()
        }),
    ];
    for (name, token) in forged {
        let r = app.get("/v1/users", Some(&token)).await;
        assert_eq!(r.status, 401, "{name}: {}", r.body);
        assert_eq!(r.body["code"], "unauthenticated", "{name}");
    }
    let r = app
        .send(
            app.client
                .request(Method::GET, app.url("/v1/users"))
                .header("Authorization", format!("Token {good}")),
        )
        .await;
    r.assert_error(401, "unauthenticated", None);
}

async fn jwks_publishes_the_keys(app: TestApp) {
    let r = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(r.status, 200);
    let keys = r.body["keys"].as_array().unwrap();
    let k = keys.iter().find(|k| k["kid"] == DEV_KID).expect("dev kid published");
    assert_eq!(k["kty"], "RSA");
    assert_eq!(k["alg"], "RS256");
    assert!(k.get("d").is_none(), "no private parts");
}
