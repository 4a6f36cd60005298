use crate::support::{ADMIN_ID, DEV_KID, Sandbox, dev_keys, public_key_of, verify};

fn keys_arg() -> String {
    dev_keys().display().to_string()
}

#[test]
fn gentoken_prints_a_jwt_that_verifies_with_the_dev_key() {
    let sb = Sandbox::seeded();
    let run = sb.run(&["gentoken", ADMIN_ID, "--keys-folder", &keys_arg()]).ok();
    let token = run.stdout.trim_end_matches('\n');
    assert!(
        !token.contains('\n') && token.split('.').count() == 3,
        "stdout is just the token: {:?}",
        run.stdout
    );
    assert!(
        run.stderr.contains("admin@example.com"),
        "details on stderr: {}",
        run.stderr
    );

    let (kid, claims) = verify(token, &public_key_of(&dev_keys().join(format!("{DEV_KID}.pem"))));
    assert_eq!(kid, DEV_KID);
    assert_eq!(claims["sub"], ADMIN_ID);
    assert_eq!(claims["iss"], "sales-api");
    assert_eq!(claims["roles"], serde_json::json!(["ADMIN", "USER"]));
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let ttl = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(ttl, 8 * 3600, "default lifetime 8h");
}

#[test]
fn gentoken_honours_kid_issuer_and_ttl() {
    let sb = Sandbox::seeded();
    let run = sb
        .run(&[
            "gentoken",
            ADMIN_ID,
            DEV_KID,
            "--keys-folder",
            &keys_arg(),
            "--ttl",
            "1h30m",
            "--issuer",
            "other",
        ])
        .ok();
    let token = run.stdout.trim();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(DEV_KID));
    // Read the claims without checking the issuer, which is deliberately not sales-api.
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_issuer(&["other"]);
    let key = public_key_of(&dev_keys().join(format!("{DEV_KID}.pem")));
    let claims = jsonwebtoken::decode::<serde_json::Value>(token, &key, &v)
        .unwrap()
        .claims;
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 5400);
}

#[test]
fn gentoken_for_an_unknown_user_fails_clearly() {
    let sb = Sandbox::seeded();
    let missing = uuid::Uuid::new_v4().to_string();
    let line = sb.run(&["gentoken", &missing, "--keys-folder", &keys_arg()]).fails();
    assert!(line.contains(&missing) && line.contains("sales-admin users"), "{line}");
}

#[test]
fn gentoken_with_an_unknown_kid_lists_the_known_ones() {
    let sb = Sandbox::seeded();
    let line = sb
        .run(&["gentoken", ADMIN_ID, "no-such-kid", "--keys-folder", &keys_arg()])
        .fails();
    assert!(line.contains("no-such-kid") && line.contains(DEV_KID), "{line}");
}

#[test]
fn gentoken_without_keys_says_where_it_looked() {
    let sb = Sandbox::seeded();
    // The sandbox has no zarf/keys, which is the default folder.
    let line = sb.run(&["gentoken", ADMIN_ID]).fails();
    assert!(
        line.contains("zarf/keys") && line.contains("SALES_AUTH_KEYS_FOLDER"),
        "{line}"
    );
}

#[test]
fn gentoken_takes_keys_from_json_like_the_service() {
    let sb = Sandbox::seeded();
    let pem = std::fs::read_to_string(dev_keys().join(format!("{DEV_KID}.pem"))).unwrap();
    let json = serde_json::json!({ "json-kid": pem }).to_string();
    // The folder does not exist: the JSON must win.
    let run = sb
        .run_env(
            &["gentoken", ADMIN_ID, "--keys-folder", "/nonexistent"],
            &[("SALES_AUTH_KEYS_JSON", &json)],
        )
        .ok();
    let (kid, claims) = verify(
        run.stdout.trim(),
        &public_key_of(&dev_keys().join(format!("{DEV_KID}.pem"))),
    );
    assert_eq!(kid, "json-kid");
    assert_eq!(claims["sub"], ADMIN_ID);
}
