use std::fmt;

use crate::ParseError;

/// A display name: 2–64 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub const MIN: usize = 2;
    pub const MAX: usize = 64;

    pub fn parse(raw: &str) -> Result<Name, ParseError> {
        let trimmed = raw.trim();
        let len = trimmed.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&len) {
            return Err(ParseError::new(format!(
                "must be between {} and {} characters",
                Self::MIN,
                Self::MAX
            )));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ParseError::new("must not contain control characters"));
        }
        Ok(Name(trimmed.to_string()))
    }

    /// For values read back from the database, which were validated on the way in.
    pub fn from_trusted(s: String) -> Name {
        Name(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds_length() {
        assert_eq!(Name::parse("  Bill  ").unwrap().as_str(), "Bill");
        assert!(Name::parse(" a ").is_err());
        assert!(Name::parse(&"x".repeat(65)).is_err());
        assert!(Name::parse(&"é".repeat(64)).is_ok(), "counts characters, not bytes");
    }

    #[test]
    fn refuses_control_characters() {
        assert!(Name::parse("Bi\nll").is_err());
        assert!(Name::parse("Bi\u{7f}ll").is_err());
    }
}
