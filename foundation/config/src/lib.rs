//! Layered configuration loading: defaults → optional TOML file → `SALES_*` env vars.
//!
//! Every service describes its configuration as one `serde` struct whose fields are
//! sections (`web`, `db`, `auth`, ...). This crate knows nothing about those sections;
//! it only knows how to merge the three sources and how to report a bad value so the
//! operator can fix it without reading code.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A config file was named explicitly but is not there; silently ignoring it would
    /// run the service with settings the operator did not intend.
    #[error("config file {} does not exist", .0.display())]
    FileNotFound(PathBuf),
    /// One or more keys hold values that do not fit the config struct.
    #[error("{}", DisplayKeyErrors(.0))]
    Invalid(Vec<KeyError>),
}

/// One invalid configuration value, named the way an operator would set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// Dotted key inside the config struct, e.g. `web.read_timeout`; empty when the
    /// problem is not tied to one key (a TOML syntax error, for instance).
    pub key: String,
    /// Environment variable that sets this key, e.g. `SALES_WEB_READ_TIMEOUT`.
    pub env: String,
    /// What is wrong, e.g. `invalid type: found string "abc", expected u64`.
    pub reason: String,
    /// Where the bad value came from when it was a file, so the operator knows which
    /// source to fix (env values are already named by `env`).
    pub file: Option<PathBuf>,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "config: {}", self.reason)?;
        } else {
            write!(f, "config key {} (env {}): {}", self.key, self.env, self.reason)?;
        }
        if let Some(file) = &self.file {
            write!(f, " (in {})", file.display())?;
        }
        Ok(())
    }
}

struct DisplayKeyErrors<'a>(&'a [KeyError]);

impl fmt::Display for DisplayKeyErrors<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            e.fmt(f)?;
        }
        Ok(())
    }
}

/// Loads `T` from its `Default`, then the TOML `file` if given, then env vars starting
/// with `prefix` (`"SALES"` or `"SALES_"`), each source overriding the one before.
///
/// Env names map to keys by splitting at the first `_` after the prefix only, because
/// section names contain no underscore while field names do: `SALES_DB_MAX_OPEN_CONNS`
/// sets `db.max_open_conns`.
pub fn load<T>(prefix: &str, file: Option<&Path>) -> Result<T, ConfigError>
where
    T: DeserializeOwned + Default + Serialize,
{
    let prefix = env_prefix(prefix);
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError::FileNotFound(path.to_path_buf()));
        }
        // `file_exact`: `Toml::file` would also search parent directories, which
        // could pick up a stranger's file.
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(Env::prefixed(&prefix).map(|k| env_key_to_path(k.as_str()).into()));

    figment
        .extract::<T>()
        .map_err(|e| ConfigError::Invalid(e.into_iter().map(|e| key_error(&prefix, e)).collect()))
}

/// Normalises `SALES` and `SALES_` to `SALES_`, so callers need not care.
fn env_prefix(prefix: &str) -> String {
    format!("{}_", prefix.trim_end_matches('_'))
}

/// `WEB_API_HOST` → `WEB.API_HOST` (figment lowercases afterwards).
fn env_key_to_path(key: &str) -> String {
    match key.split_once('_') {
        Some((section, field)) => format!("{section}.{field}"),
        None => key.to_string(),
    }
}

fn key_error(prefix: &str, e: figment::Error) -> KeyError {
    let key = e.path.join(".");
    let env = format!("{prefix}{}", e.path.join("_")).to_ascii_uppercase();
    let file = e
        .metadata
        .as_ref()
        .and_then(|m| m.source.as_ref())
        .and_then(|s| s.file_path())
        .map(Path::to_path_buf);
    KeyError {
        key,
        env,
        reason: e.kind.to_string(),
        file,
    }
}

/// Key fragments whose values are never printed. Matched case-insensitively anywhere in
/// the key, so `db_password`-like names are caught without a list of every field.
/// `keys_json` is listed on its own because it does not contain `key_json`, and it is
/// the name under which the auth config carries private keys (`SALES_AUTH_KEYS_JSON`).
const SECRET_KEY_PARTS: &[&str] = &[
    "password",
    "secret",
    "token",
    "key_json",
    "keys_json",
    "private_key",
    "credential",
];

/// Placeholder that replaces a masked value.
pub const MASK: &str = "***";

/// The effective config as JSON, safe to log: values under secret-looking keys become
/// `***`, and passwords inside URLs (`postgres://user:pass@host`) are masked in place.
///
/// Numbers, booleans, nulls and empty strings under secret-looking keys are kept: they
/// are settings such as `access_token_ttl` or "no secret set", which the operator needs
/// to see and which reveal nothing.
pub fn masked_json<T: Serialize>(cfg: &T) -> Value {
    match serde_json::to_value(cfg) {
        Ok(v) => mask_value(v),
        // Serialising a config struct only fails for exotic types (non-string map
        // keys); say so instead of risking a panic at start-up.
        Err(e) => Value::String(format!("<config not serialisable: {e}>")),
    }
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEY_PARTS.iter().any(|p| key.contains(p))
}

fn mask_value(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(&k) {
                        mask_secret(v)
                    } else {
                        mask_value(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(mask_value).collect()),
        Value::String(s) => Value::String(mask_url_password(&s)),
        other => other,
    }
}

fn mask_secret(v: Value) -> Value {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => v,
        Value::String(ref s) if s.is_empty() => v,
        _ => Value::String(MASK.to_string()),
    }
}

/// Masks the password of `scheme://user:password@host...` and the value of a
/// `password=` query parameter (sqlx accepts both forms); other strings pass unchanged.
pub fn mask_url_password(s: &str) -> String {
    let Some(scheme_end) = s.find("://") else {
        return s.to_string();
    };
    let rest_start = scheme_end + 3;
    let rest = &s[rest_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];

    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..rest_start]);
    // The last `@` ends the userinfo: a password may itself contain `@`.
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..=colon]);
                    out.push_str(MASK);
                }
                None => out.push_str(userinfo),
            }
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }

    let tail = &rest[authority_end..];
    match tail.find('?') {
        Some(q) => {
            out.push_str(&tail[..=q]);
            let query = &tail[q + 1..];
            let (query, fragment) = match query.find('#') {
                Some(h) => (&query[..h], &query[h..]),
                None => (query, ""),
            };
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if is_secret_key(k) => format!("{k}={MASK}"),
                    _ => p.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
            out.push_str(fragment);
        }
        None => out.push_str(tail),
    }
    out
}

#[cfg(test)]
// `Jail` closures must return `figment::Result`, whose error type is what is large.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Config {
        web: WebConfig,
        db: DbConfig,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct WebConfig {
        api_host: String,
        read_timeout: u64,
    }

    impl Default for WebConfig {
        fn default() -> Self {
            Self {
                api_host: "0.0.0.0:3000".into(),
                read_timeout: 5,
            }
        }
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct DbConfig {
        url: String,
        max_open_conns: u32,
        password: Option<String>,
    }

    impl Default for DbConfig {
        fn default() -> Self {
            Self {
                url: "sqlite://sales.db".into(),
                max_open_conns: 10,
                password: None,
            }
        }
    }

    // Jail's closure must return figment's error type; this turns ours into it.
    fn fail(e: ConfigError) -> figment::Error {
        figment::Error::from(e.to_string())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        Jail::expect_with(|_| {
            let cfg: Config = load("SALES", None).map_err(fail)?;
            assert_eq!(cfg, Config::default());
            Ok(())
        });
    }

    #[test]
    fn env_beats_file_beats_default() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "sales.toml",
                "[web]\napi_host = \"127.0.0.1:4000\"\nread_timeout = 7\n[db]\nmax_open_conns = 3\n",
            )?;
            jail.set_env("SALES_WEB_API_HOST", "127.0.0.1:5000");
            jail.set_env("SALES_DB_MAX_OPEN_CONNS", "25");
            jail.set_env("SALES_DB_URL", "postgres://u:p@db/sales");
            // Other prefixes must not leak in.
            jail.set_env("OTHER_WEB_READ_TIMEOUT", "99");

            let cfg: Config = load("SALES_", Some(Path::new("sales.toml"))).map_err(fail)?;
            assert_eq!(cfg.web.api_host, "127.0.0.1:5000", "env overrides file");
            assert_eq!(cfg.web.read_timeout, 7, "file overrides default");
            assert_eq!(cfg.db.max_open_conns, 25, "multi-underscore field name");
            assert_eq!(cfg.db.url, "postgres://u:p@db/sales");
            Ok(())
        });
    }

    #[test]
    fn named_file_that_is_missing_is_an_error() {
        Jail::expect_with(|_| {
            let err = load::<Config>("SALES", Some(Path::new("nope.toml"))).unwrap_err();
            assert!(matches!(err, ConfigError::FileNotFound(_)), "{err}");
            assert!(err.to_string().contains("nope.toml"));
            Ok(())
        });
    }

    #[test]
    fn bad_env_value_names_key_env_and_reason() {
        Jail::expect_with(|jail| {
            jail.set_env("SALES_WEB_READ_TIMEOUT", "abc");
            let err = load::<Config>("SALES", None).unwrap_err();
            assert_eq!(
                err.to_string(),
                "config key web.read_timeout (env SALES_WEB_READ_TIMEOUT): \
                 invalid type: found string \"abc\", expected u64"
            );
            Ok(())
        });
    }

    #[test]
    fn bad_file_value_names_the_file() {
        Jail::expect_with(|jail| {
            jail.create_file("sales.toml", "[db]\nmax_open_conns = \"many\"\n")?;
            let err = load::<Config>("SALES", Some(Path::new("sales.toml"))).unwrap_err();
            let ConfigError::Invalid(errs) = &err else {
                panic!("unexpected {err}")
            };
            assert_eq!(errs.len(), 1);
            assert_eq!(errs[0].key, "db.max_open_conns");
            assert_eq!(errs[0].env, "SALES_DB_MAX_OPEN_CONNS");
            assert!(
                errs[0].file.as_ref().is_some_and(|f| f.ends_with("sales.toml")),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn env_key_split_at_first_underscore_only() {
        assert_eq!(env_key_to_path("WEB_API_HOST"), "WEB.API_HOST");
        assert_eq!(env_key_to_path("DB_MAX_OPEN_CONNS"), "DB.MAX_OPEN_CONNS");
        assert_eq!(env_key_to_path("VERSION"), "VERSION");
    }

    #[test]
    fn masks_secret_keys_but_keeps_settings() {
        let cfg = json!({
            "db": {"url": "postgres://sales:s3cret@db:5432/sales?sslmode=disable", "password": "pw"},
            "auth": {
                "keys_json": "{\"kid\":\"-----BEGIN PRIVATE KEY-----\"}",
                "client_secret": "abc",
                "access_token_ttl": 900,
                "refresh_token": "",
                "issuer": "service project"
            },
            "list": [{"api_token": "t"}]
        });
        let masked = masked_json(&cfg);
        assert_eq!(
            masked,
            json!({
                "db": {"url": "postgres://sales:***@db:5432/sales?sslmode=disable", "password": "***"},
                "auth": {
                    "keys_json": "***",
                    "client_secret": "***",
                    "access_token_ttl": 900,
                    "refresh_token": "",
                    "issuer": "service project"
                },
                "list": [{"api_token": "***"}]
            })
        );
    }

    #[test]
    fn masked_json_of_loaded_struct_hides_password() {
        let mut cfg = Config::default();
        cfg.db.password = Some("hunter2".into());
        let masked = masked_json(&cfg);
        assert_eq!(masked["db"]["password"], "***");
        assert!(!masked.to_string().contains("hunter2"));
    }

    #[test]
    fn url_password_masking() {
        let cases = [
            ("postgres://user:pass@host/db", "postgres://user:***@host/db"),
            ("postgres://user:p@ss@host", "postgres://user:***@host"),
            ("postgres://user@host/db", "postgres://user@host/db"),
            (
                "postgres://host/db?user=u&password=pw",
                "postgres://host/db?user=u&password=***",
            ),
            ("sqlite://sales.db", "sqlite://sales.db"),
            ("http://example.com/a:b@c", "http://example.com/a:b@c"),
            ("not a url", "not a url"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_url_password(input), want, "input {input}");
        }
    }
}
