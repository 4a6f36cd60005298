//! Passwords: validated plaintext in, Argon2id hash out. Hashing and verifying
//! take tens of milliseconds of CPU on purpose, so both run on tokio's blocking
//! pool, never on the async worker threads.

use std::fmt;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::ParseError;

/// A plaintext password that passed the length rule. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;

    pub fn parse(raw: &str) -> Result<Password, ParseError> {
        let len = raw.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&len) {
            return Err(ParseError::new(format!(
                "must be between {} and {} characters",
                Self::MIN,
                Self::MAX
            )));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Hashes with Argon2id (OWASP parameters: 19 MiB, 2 passes) off the async threads.
    pub async fn hash(&self) -> anyhow::Result<PasswordHash> {
        let pw = self.0.clone();
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(pw.as_bytes())
                .map(|h| PasswordHash(h.to_string()))
                .map_err(|e| anyhow::anyhow!("hash password: {e}"))
        })
        .await?
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A PHC-format Argon2id hash as stored in the database. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

/// A valid hash of a random password nobody knows. Verifying against it when an
/// email is unknown makes that answer take as long as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$EZ2YXGDiRr6SgrVSr45k+w$W8yw5CDy+4ArpoZ5GuiQmJnDi467uxR7g6cPJaejnL0";

impl PasswordHash {
    pub fn from_stored(s: String) -> PasswordHash {
        PasswordHash(s)
    }

    pub fn dummy() -> PasswordHash {
        PasswordHash(DUMMY_HASH.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `candidate` matches; runs on the blocking pool.
    pub async fn verify(&self, candidate: &str) -> bool {
        let (hash, candidate) = (self.0.clone(), candidate.to_string());
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(candidate.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await
        .unwrap_or(false)
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let pw = Password::parse("correct horse").unwrap();
        let hash = pw.hash().await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hash.verify("correct horse").await);
        assert!(!hash.verify("wrong horse").await);
    }

    #[tokio::test]
    async fn seed_hash_matches_documented_password() {
        assert!(PasswordHash::dummy().verify("garagesale").await);
    }

    #[test]
    fn length_rule_and_redacted_debug() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        let pw = Password::parse("longenough").unwrap();
        assert_eq!(format!("{pw:?}"), "Password(***)");
    }
}
