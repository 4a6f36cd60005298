//! Refresh-token sessions (login, refresh with rotation, logout).
//!
//! A refresh token is 32 random bytes, given to the client once; only its SHA-256
//! is stored. Each refresh marks the presented token used and issues a new one in
//! the same family. Presenting a token that was already used means it was copied:
//! the whole family is revoked, so both the thief and the victim must log in again.

use std::sync::Arc;

use base64::Engine;
use rand::RngCore;
use sdk::{DbPool, sqldb::Dialect};
use sha2::{Digest, Sha256};
use sqlx::QueryBuilder;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Unknown, expired or revoked token.
    #[error("refresh token is invalid or expired")]
    Invalid,
    /// The token had already been used: the session family is now revoked.
    #[error("refresh token was already used; the session has been revoked")]
    Reused,
    /// A failure below the domain (database, I/O). Not transparent: the cause
    /// stays in `source()`, so `sdk::sqldb::is_unavailable_error` finds a
    /// database outage however the error is passed on.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(e.into())
    }
}

/// A newly issued refresh token (the raw value is only ever in memory).
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub expires_at: OffsetDateTime,
}

#[derive(Clone)]
pub struct Business {
    pool: DbPool,
    ttl: Duration,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: Uuid,
    family_id: Uuid,
    user_id: Uuid,
    expires_at: OffsetDateTime,
    used_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn insert_sql<DB: Dialect>(
    family_id: Uuid,
    user_id: Uuid,
    token_hash: String,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(
        "INSERT INTO sessions (session_id, family_id, user_id, token_hash, expires_at, date_created) VALUES (",
    );
    DB::bind_uuid(&mut qb, Uuid::now_v7());
    qb.push(", ");
    DB::bind_uuid(&mut qb, family_id);
    qb.push(", ");
    DB::bind_uuid(&mut qb, user_id);
    qb.push(", ");
    DB::bind_text(&mut qb, token_hash);
    qb.push(", ");
    DB::bind_time(&mut qb, expires_at);
    qb.push(", ");
    DB::bind_time(&mut qb, now);
    qb.push(")");
    qb
}

fn find_sql<DB: Dialect>(token_hash: String) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new(
        "SELECT session_id, family_id, user_id, expires_at, used_at, revoked_at FROM sessions WHERE token_hash = ",
    );
    DB::bind_text(&mut qb, token_hash);
    qb
}

/// Marks a session used only if nobody did first: the race between two refreshes
/// of one token has exactly one winner.
fn mark_used_sql<DB: Dialect>(session_id: Uuid, now: OffsetDateTime) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("UPDATE sessions SET used_at = ");
    DB::bind_time(&mut qb, now);
    qb.push(" WHERE used_at IS NULL AND revoked_at IS NULL AND session_id = ");
    DB::bind_uuid(&mut qb, session_id);
    qb
}

fn revoke_family_sql<DB: Dialect>(family_id: Uuid, now: OffsetDateTime) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::new("UPDATE sessions SET revoked_at = ");
    DB::bind_time(&mut qb, now);
    qb.push(" WHERE revoked_at IS NULL AND family_id = ");
    DB::bind_uuid(&mut qb, family_id);
    qb
}

/// What a refresh decided, before the transaction commits.
enum Step {
    Rotate(SessionRow),
    RevokeFamily(Uuid),
    Invalid,
}

fn judge(row: Option<SessionRow>, now: OffsetDateTime) -> Step {
    match row {
        None => Step::Invalid,
        Some(r) if r.revoked_at.is_some() || r.expires_at <= now => Step::Invalid,
        Some(r) if r.used_at.is_some() => Step::RevokeFamily(r.family_id),
        Some(r) => Step::Rotate(r),
    }
}

/// Runs the same statements on either backend inside one write transaction.
macro_rules! with_tx {
    ($self:ident, |$tx:ident, $db:ident| $body:block) => {
        match &$self.pool {
            DbPool::Postgres(p) => {
                type $db = sqlx::Postgres;
                let mut $tx = sdk::sqldb::pg_begin(p).await?;
                $body
            }
            DbPool::Sqlite(p) => {
                type $db = sqlx::Sqlite;
                let mut $tx = sdk::sqldb::sqlite_begin_write(p).await?;
                $body
            }
        }
    };
}

impl Business {
    pub fn new(pool: DbPool, ttl: Duration) -> Self {
        Self { pool, ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Starts a new session family for `user_id` (login).
    #[tracing::instrument(name = "sessionbus.create", skip_all)]
    pub async fn create(&self, user_id: Uuid) -> Result<Issued, Error> {
        let now = sdk::sqldb::now();
        let issued = Issued {
            token: new_token(),
            user_id,
            family_id: Uuid::now_v7(),
            expires_at: now + self.ttl,
        };
        with_tx!(self, |tx, Db| {
            insert_sql::<Db>(issued.family_id, user_id, hash(&issued.token), issued.expires_at, now)
                .build()
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(issued)
    }

    /// Exchanges a refresh token for a new one (rotation). Reuse revokes the family.
    #[tracing::instrument(name = "sessionbus.refresh", skip_all)]
    pub async fn refresh(&self, token: &str) -> Result<Issued, Error> {
        let now = sdk::sqldb::now();
        let next = new_token();
        with_tx!(self, |tx, Db| {
            let row: Option<SessionRow> = find_sql::<Db>(hash(token))
                .build_query_as()
                .fetch_optional(&mut *tx)
                .await?;
            match judge(row, now) {
                Step::Invalid => Err(Error::Invalid),
                Step::RevokeFamily(family) => {
                    revoke_family_sql::<Db>(family, now).build().execute(&mut *tx).await?;
                    tx.commit().await?;
                    Err(Error::Reused)
                }
                Step::Rotate(row) => {
                    let won = mark_used_sql::<Db>(row.session_id, now)
                        .build()
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                        == 1;
                    if !won {
                        // Another refresh of the same token got there first: reuse.
                        revoke_family_sql::<Db>(row.family_id, now)
                            .build()
                            .execute(&mut *tx)
                            .await?;
                        tx.commit().await?;
                        return Err(Error::Reused);
                    }
                    let expires_at = now + self.ttl;
                    insert_sql::<Db>(row.family_id, row.user_id, hash(&next), expires_at, now)
                        .build()
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(Issued {
                        token: next,
                        user_id: row.user_id,
                        family_id: row.family_id,
                        expires_at,
                    })
                }
            }
        })
    }

    /// Ends the session the token belongs to (logout). Unknown tokens are `Invalid`.
    #[tracing::instrument(name = "sessionbus.revoke", skip_all)]
    pub async fn revoke(&self, token: &str) -> Result<(), Error> {
        let now = sdk::sqldb::now();
        with_tx!(self, |tx, Db| {
            let row: Option<SessionRow> = find_sql::<Db>(hash(token))
                .build_query_as()
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(Error::Invalid);
            };
            revoke_family_sql::<Db>(row.family_id, now)
                .build()
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// Shared handle type used by the app layer.
pub type SharedBusiness = Arc<Business>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_hex() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
    }
}
