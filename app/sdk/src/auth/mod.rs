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

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
const LEEWAY_SECS: u64 = 5;

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
    verified: VerifiedTokens,
}

/// Tokens whose signature, issuer and times were verified, by SHA-256 of the token
/// text. An RS256 verification costs hundreds of microseconds of CPU (the largest
/// cost of a simple authenticated read, docs/performance.md); a client sends the
/// same token on every request until it expires. A hit is as strict as verifying
/// again: the same bytes, checked against the same key set (fixed at start-up), and
/// the expiry is checked on every hit. Only the signature check is skipped: the user
/// is still looked up on every request, so a disabled or deleted user is refused at
/// once. Bounded (least-recently-used entries go first).
struct VerifiedTokens(quick_cache::sync::Cache<[u8; 32], TokenClaims>);

impl VerifiedTokens {
    const CAPACITY: usize = 10_000;

    fn key(token: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes()).into()
    }
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
            verified: VerifiedTokens(quick_cache::sync::Cache::new(VerifiedTokens::CAPACITY)),
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

    /// Verifies a bearer token's signature, issuer and times (no database); a token
    /// verified before and not yet expired is answered from the cache.
    pub fn verify_token(&self, token: &str) -> Result<TokenClaims, AppError> {
        let key = VerifiedTokens::key(token);
        if let Some(claims) = self.verified.0.get(&key) {
            if claims.exp + LEEWAY_SECS as i64 > OffsetDateTime::now_utc().unix_timestamp() {
                return Ok(claims);
            }
            self.verified.0.remove(&key);
            return Err(AppError::unauthenticated("invalid token: expired"));
        }
        let claims = self.verify_signature(token)?;
        self.verified.0.insert(key, claims.clone());
        Ok(claims)
    }

    fn verify_signature(&self, token: &str) -> Result<TokenClaims, AppError> {
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
        v.leeway = LEEWAY_SECS;
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
            // A database outage is found in the error's source chain: 503.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errs::ErrCode;

    #[test]
    fn a_verified_token_is_cached_until_it_expires() {
        let f = crate::props::fixture();
        let first = f.auth.verify_token(&f.valid).expect("valid");
        assert!(
            f.auth.verified.0.get(&VerifiedTokens::key(&f.valid)).is_some(),
            "cached"
        );
        assert_eq!(f.auth.verify_token(&f.valid).expect("from the cache"), first);

        // An entry past its expiry is refused and dropped, however it got there.
        let stale = "a token verified an hour ago";
        let mut claims = first.clone();
        claims.exp = OffsetDateTime::now_utc().unix_timestamp() - 60;
        f.auth.verified.0.insert(VerifiedTokens::key(stale), claims);
        let err = f.auth.verify_token(stale).expect_err("expired");
        assert_eq!(err.code, ErrCode::Unauthenticated);
        assert!(err.message.contains("expired"), "{}", err.message);
        assert!(f.auth.verified.0.get(&VerifiedTokens::key(stale)).is_none(), "dropped");
    }

    #[test]
    fn rejected_tokens_are_not_cached() {
        let f = crate::props::fixture();
        let mut forged = f.valid.clone();
        forged.pop();
        assert!(f.auth.verify_token(&forged).is_err());
        assert!(f.auth.verified.0.get(&VerifiedTokens::key(&forged)).is_none());
    }
}
