//! `gentoken`: an access token for an existing user, signed by the same code the
//! service uses (`appsdk::Authenticator::issue`), so the two can never drift apart.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use appsdk::auth::TokenConfig;
use keystore::KeyStore;
use sdk::DbPool;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::fail::{HintExt, fail};
use crate::ui::Ui;

/// The service's default token issuer (`SALES_AUTH_ISSUER`).
pub const DEFAULT_ISSUER: &str = "sales-api";

pub struct Request {
    pub user_id: Uuid,
    pub kid: Option<String>,
    pub keys_folder: PathBuf,
    /// Takes precedence over `keys_folder`, as in the service.
    pub keys_json: Option<String>,
    pub issuer: String,
    pub ttl: time::Duration,
}

pub async fn gentoken(pool: &DbPool, req: Request, ui: &Ui) -> anyhow::Result<()> {
    let (keys, source) = match &req.keys_json {
        Some(json) => (
            KeyStore::from_json(json)
                .context("cannot load the signing keys from SALES_AUTH_KEYS_JSON")
                .hint("it must be a JSON object {\"<kid>\": \"<PEM>\"}; unset it to use the keys folder")?,
            "SALES_AUTH_KEYS_JSON".to_string(),
        ),
        None => (
            KeyStore::from_dir(&req.keys_folder)
                .context("cannot load the signing keys")
                .hint(
                    "check --keys-folder / SALES_AUTH_KEYS_FOLDER (run from the repository root for zarf/keys), \
                 or create a key with `sales-admin genkey`",
                )?,
            req.keys_folder.display().to_string(),
        ),
    };
    let available = || keys.kids().collect::<Vec<_>>().join(", ");
    let kid = match req.kid {
        Some(kid) if keys.encoding_key(&kid).is_some() => kid,
        Some(kid) => {
            return Err(fail(
                format!("no private key with kid {kid:?} in {source}"),
                format!("use one of: {}", available()),
            ));
        }
        None => keys
            .default_kid()
            .ok_or_else(|| {
                fail(
                    format!("no key in {source} can sign (public keys only)"),
                    "add a private key with `sales-admin genkey`",
                )
            })?
            .to_string(),
    };

    crate::db::require_schema(pool).await?;
    let users = userbus::Business::new(userbus::stores::new(pool));
    let user = match users.query_by_id(req.user_id).await {
        Ok(u) => u,
        Err(userbus::Error::NotFound) => {
            return Err(fail(
                format!("no user with id {}", req.user_id),
                "the user does not exist or was deleted; list users with `sales-admin users`",
            ));
        }
        Err(e) => return Err(e).context("cannot look the user up"),
    };
    if !user.enabled {
        return Err(fail(
            format!("user {} ({}) is disabled", user.id, user.email),
            "the service refuses tokens of disabled users; enable the user first",
        ));
    }

    let config = TokenConfig {
        issuer: req.issuer.clone(),
        active_kid: kid.clone(),
        access_ttl: req.ttl,
    };
    let auth = appsdk::Authenticator::new(Arc::new(keys), config, users)
        .await
        .context("cannot set up token signing")?;
    let (token, expires) = auth.issue(&user, None).context("cannot sign the token")?;

    println!("{token}");
    ui.note(format_args!(
        "token for {} ({}), roles {}, kid {kid}, issuer {:?}, expires {}",
        user.email,
        user.id,
        user.roles.to_csv(),
        req.issuer,
        expires.format(&Rfc3339).unwrap_or_else(|_| expires.to_string()),
    ));
    Ok(())
}
