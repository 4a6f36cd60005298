//! Authentication and authorization.
//!
//! Access tokens are RS256 JWTs with a `kid` header, verified in-process against
//! the key store (no network hop per request). On every request the token's
//! subject is looked up: a disabled or deleted user is refused even while their
//! token has not expired, and the user's current roles (not the roles frozen in
//! the token) decide what they may do.

mod authz;
mod extract;

pub use authz::{Authz, Rule, rules};
pub use extract::Auth;

use std::sync::Arc;

use jsonwebtoken::{Algorithm, Header, Validation};
use keystore::KeyStore;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use types::{Role, Roles};
use uuid::Uuid;

use crate::errs::AppError;

/// Token claims as signed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenClaims {
    pub iss: String,
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: Uuid,
    pub roles: Vec<Role>,
}

/// Who is calling, after authentication: the subject and their current roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub subject: Uuid,
    pub roles: Roles,
}

impl Claims {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(Role::Admin)
    }

    /// OWNER|ADMIN: passes for an admin or for the owner of the entity.
    pub fn require_owner_or_admin(&self, owner: Uuid) -> Result<(), AppError> {
        if self.is_admin() || self.subject == owner {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
}

/// Settings for issuing tokens.
#[derive(Debug, Clone)]
pub struct TokenConfig {
    pub issuer: String,
    /// The key new tokens are signed with.
    pub active_kid: String,
    pub access_ttl: time::Duration,
}

/// Issues and verifies tokens; holds the key store, the policy and user lookups.
pub struct Authenticator {
    keys: Arc<KeyStore>,
    config: TokenConfig,
    users: userbus::Business,
    authz: Authz,
}

impl Authenticator {
    pub async fn new(keys: Arc<KeyStore>, config: TokenConfig, users: userbus::Business) -> anyhow::Result<Self> {
        if keys.encoding_key(&config.active_kid).is_none() {
            anyhow::bail!(
                "no private key with kid {:?} in the key store (have: {:?}); set SALES_AUTH_ACTIVE_KID or add the key",
                config.active_kid,
                keys.kids().collect::<Vec<_>>()
            );
        }
        Ok(Self {
            keys,
            config,
            users,
            authz: Authz::new().await?,
        })
    }

    pub fn authz(&self) -> &Authz {
        &self.authz
    }

    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// Signs an access token for `user` with key `kid` (the active key if `None`).
    /// Returns the token and its expiry.
    pub fn issue(&self, user: &userbus::User, kid: Option<&str>) -> anyhow::Result<(String, OffsetDateTime)> {
        let kid = kid.unwrap_or(&self.config.active_kid);
        let key = self
            .keys
            .encoding_key(kid)
            .ok_or_else(|| anyhow::anyhow!("no private key for kid {kid:?}"))?;
        let now = OffsetDateTime::now_utc();
        let exp = now + self.config.access_ttl;
        let claims = TokenClaims {
            iss: self.config.issuer.clone(),
            sub: user.id,
            iat: now.unix_timestamp(),
            exp: exp.unix_timestamp(),
            nbf: None,
            jti: Uuid::new_v4(),
            roles: user.roles.as_slice().to_vec(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_string());
        let token = jsonwebtoken::encode(&header, &claims, key)?;
        Ok((token, exp.replace_nanosecond(0).unwrap_or(exp)))
    }

    /// Verifies a bearer token's signature, issuer and times (no database).
    pub fn verify_token(&self, token: &str) -> Result<TokenClaims, AppError> {
        let bad = |why: &str| AppError::unauthenticated(format!("invalid token: {why}"));
        let header = jsonwebtoken::decode_header(token).map_err(|_| bad("malformed"))?;
        if header.alg != Algorithm::RS256 {
            return Err(bad("unsupported algorithm"));
        }
        let kid = header.kid.ok_or_else(|| bad("missing kid"))?;
        let key = self.keys.decoding_key(&kid).ok_or_else(|| bad("unknown kid"))?;
        let mut v = Validation::new(Algorithm::RS256);
        v.set_issuer(&[&self.config.issuer]);
        v.set_required_spec_claims(&["exp", "iss", "sub", "iat"]);
        v.validate_nbf = true;
        v.leeway = 5;
        let data = jsonwebtoken::decode::<TokenClaims>(token, key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind::*;
            match e.kind() {
                ExpiredSignature => bad("expired"),
                ImmatureSignature => bad("not yet valid"),
                InvalidIssuer => bad("wrong issuer"),
                InvalidSignature => bad("bad signature"),
                _ => bad("rejected"),
            }
        })?;
        Ok(data.claims)
    }

    /// Full authentication of an `Authorization` header value: a valid token of a
    /// user who still exists and is enabled. Their current roles are returned.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Claims, AppError> {
        let header = authorization.ok_or_else(|| AppError::unauthenticated("missing Authorization header"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AppError::unauthenticated("expected Authorization: Bearer <token>"))?;
        let claims = self.verify_token(token)?;
        let user = match self.users.query_by_id(claims.sub).await {
            Ok(u) => u,
            Err(userbus::Error::NotFound) => {
                return Err(AppError::unauthenticated("invalid token: user no longer exists"));
            }
            // The cause itself (not the transparent wrapper) so a database outage
            // is recognised and answered 503.
            Err(userbus::Error::Internal(e)) => return Err(AppError::internal(e)),
            Err(e) => return Err(AppError::internal(e)),
        };
        if !user.enabled {
            return Err(AppError::unauthenticated("invalid token: user is disabled"));
        }
        Ok(Claims {
            subject: user.id,
            roles: user.roles,
        })
    }
}
