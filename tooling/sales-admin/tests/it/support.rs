//! Running the binary in a clean, throw-away environment.

use std::path::{Path, PathBuf};
use std::process::Command;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use uuid::Uuid;

pub const ADMIN_ID: &str = "5cf37266-3473-4006-984f-9325122678b7";
pub const USER_ID: &str = "45b5fbd3-755f-4379-8f07-a58d4a30fa2f";
pub const DEV_KID: &str = "54bb2165-71e1-41a6-af3e-7da4a0e1e2c1";

/// Variables the binary reads; cleared so the developer's shell cannot change a result.
const OWN_ENV: &[&str] = &[
    "SALES_DB_URL",
    "SALES_AUTH_KEYS_FOLDER",
    "SALES_AUTH_ACTIVE_KID",
    "SALES_AUTH_ISSUER",
    "SALES_ADMIN_PASSWORD",
    "RUST_LOG",
];

/// The committed development keys.
pub fn dev_keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../zarf/keys")
}

/// A temp folder (the binary's working directory) holding a SQLite database;
/// removed when dropped.
pub struct Sandbox {
    pub dir: PathBuf,
    pub db_url: String,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = std::env::temp_dir().join(format!("sales-admin-it-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create sandbox");
        let db_url = format!("sqlite://{}", dir.join("sales.db").display());
        Sandbox { dir, db_url }
    }

    /// A sandbox whose database has been migrated and seeded.
    pub fn seeded() -> Sandbox {
        let sb = Sandbox::new();
        sb.run(&["migrate-seed"]).ok();
        sb
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sales-admin"));
        for var in OWN_ENV {
            cmd.env_remove(var);
        }
        cmd.env("SALES_DB_URL", &self.db_url).current_dir(&self.dir).args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(&mut self.cmd(args), args)
    }

    /// [`Sandbox::run`] with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.cmd(args);
        cmd.envs(env.iter().copied());
        Run::of(&mut cmd, args)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The outcome of one run of the binary.
pub struct Run {
    pub args: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn of(cmd: &mut Command, args: &[&str]) -> Run {
        let out = cmd.output().expect("run sales-admin");
        Run {
            args: args.join(" "),
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
        }
    }

    /// Asserts success.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code,
            Some(0),
            "`sales-admin {}` failed\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts exit status 1 and returns the single `error:` line.
    #[track_caller]
    pub fn fails(self) -> String {
        assert_eq!(
            self.code,
            Some(1),
            "`sales-admin {}` should fail with 1\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.stdout,
            self.stderr
        );
        assert!(
            self.stdout.is_empty(),
            "a failure prints nothing on stdout: {}",
            self.stdout
        );
        let errors: Vec<&str> = self.stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "exactly one error line expected:\n{}", self.stderr);
        errors[0].to_string()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// The public half of the PEM private key at `path`, built with the `rsa` crate
/// (not the code under test) for verifying tokens.
pub fn public_key_of(path: &Path) -> DecodingKey {
    let pem = std::fs::read_to_string(path).expect("read key file");
    let key = RsaPrivateKey::from_pkcs8_pem(&pem).expect("PKCS#8 RSA private key");
    DecodingKey::from_rsa_raw_components(&key.n().to_bytes_be(), &key.e().to_bytes_be())
}

/// Verifies `token` (RS256, issuer `sales-api`, not expired) and returns its header
/// kid and claims.
pub fn verify(token: &str, key: &DecodingKey) -> (String, serde_json::Value) {
    let header = jsonwebtoken::decode_header(token).expect("JWT header");
    assert_eq!(header.alg, Algorithm::RS256);
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&["sales-api"]);
    v.set_required_spec_claims(&["exp", "iss", "sub", "iat"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(token, key, &v).expect("token verifies");
    (header.kid.expect("kid header"), data.claims)
}
