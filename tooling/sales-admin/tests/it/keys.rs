use crate::support::{ADMIN_ID, Sandbox, public_key_of, verify};

#[test]
fn genkey_writes_a_usable_private_pem() {
    let sb = Sandbox::seeded();
    let dir = sb.dir.join("keys");
    let run = sb.run(&["genkey", "--dir", dir.to_str().unwrap()]).ok();
    let kid = run.stdout.trim().to_string();
    uuid::Uuid::parse_str(&kid).unwrap_or_else(|e| panic!("kid is a UUID ({e}): {kid:?}"));
    assert!(
        run.stderr.contains("SALES_AUTH_KEYS_FOLDER") && run.stderr.contains("SALES_AUTH_ACTIVE_KID"),
        "{}",
        run.stderr
    );

    let path = dir.join(format!("{kid}.pem"));
    let pem = std::fs::read_to_string(&path).expect("key file written");
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8: {}", &pem[..40]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "private key must be owner-only");
    }

    // Usable: a token signed with it verifies with its public half.
    let token = sb
        .run(&["gentoken", ADMIN_ID, &kid, "--keys-folder", dir.to_str().unwrap()])
        .ok()
        .stdout;
    let (header_kid, claims) = verify(token.trim(), &public_key_of(&path));
    assert_eq!(header_kid, kid);
    assert_eq!(claims["sub"], ADMIN_ID);
}

#[test]
fn genkey_refuses_to_overwrite() {
    let sb = Sandbox::new();
    let dir = sb.dir.join("keys");
    let dir = dir.to_str().unwrap();
    sb.run(&["genkey", "--dir", dir, "--kid", "k1"]).ok();
    let before = std::fs::read(sb.dir.join("keys/k1.pem")).unwrap();
    let line = sb.run(&["genkey", "--dir", dir, "--kid", "k1"]).fails();
    assert!(line.contains("already exists"), "{line}");
    assert_eq!(
        std::fs::read(sb.dir.join("keys/k1.pem")).unwrap(),
        before,
        "file untouched"
    );
}

#[test]
fn genkey_refuses_small_keys_and_bad_kids() {
    let sb = Sandbox::new();
    assert_eq!(sb.run(&["genkey", "--dir", "k", "--bits", "1024"]).code, Some(2));
    let line = sb.run(&["genkey", "--dir", "k", "--kid", "../escape"]).fails();
    assert!(line.contains("invalid kid"), "{line}");
}
