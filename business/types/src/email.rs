use std::fmt;

use crate::ParseError;

/// An email address, stored lowercase, at most 254 characters.
///
/// The check is deliberately the practical one (one `@`, a non-empty local part,
/// a dotted domain of letters, digits and hyphens, no spaces); the only real
/// proof of an address is a mail that arrives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX: usize = 254;

    pub fn parse(raw: &str) -> Result<Email, ParseError> {
        let s = raw.trim().to_lowercase();
        let invalid = || ParseError::new("is not a valid email address");
        if s.is_empty() || s.chars().count() > Self::MAX {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Email(s))
        } else {
            Err(invalid())
        }
    }

    pub fn from_trusted(s: String) -> Email {
        Email(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_lowercases() {
        assert_eq!(Email::parse(" Bill@Example.COM ").unwrap().as_str(), "bill@example.com");
        assert!(Email::parse("a.b+tag@sub.example.org").is_ok());
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "bill",
            "bill@",
            "@example.com",
            "bill@example",
            "bi ll@example.com",
            "a@@b.com",
            "a@b..com",
            ".a@b.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }
}
