//! Money: an exact number of cents. On the wire it is a JSON number with at most
//! two decimals; in the database an integer (BIGINT) of cents.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Parses a decimal amount with at most two fraction digits (`12`, `12.5`, `12.34`).
    pub fn parse_decimal(raw: &str) -> Result<Money, ParseError> {
        let err = || ParseError::new("must be a number with at most 2 decimals");
        let s = raw.trim();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err());
        }
        if int.len() > 15 {
            return Err(ParseError::new("is too large"));
        }
        let whole: i64 = int.parse().map_err(|_| err())?;
        let frac_cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| err())? * 10,
            _ => frac.parse().map_err(|_| err())?,
        };
        let cents = whole * 100 + frac_cents;
        Ok(Money(if neg { -cents } else { cents }))
    }

    /// From a JSON number. `serde_json` hands over an `f64`; the shortest decimal
    /// form of that `f64` is what the client wrote, so it is parsed as text.
    pub fn from_f64(v: f64) -> Result<Money, ParseError> {
        if !v.is_finite() {
            return Err(ParseError::new("must be a finite number"));
        }
        if v.abs() >= 1e13 {
            return Err(ParseError::new("is too large"));
        }
        // `{}` prints the shortest representation that round-trips.
        Money::parse_decimal(&format!("{v}"))
    }

    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", (self.0 / 100).abs(), (self.0 % 100).abs())
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // cents / 100 as f64 prints as the exact two-decimal value (19.99, 5, 0.1).
        s.serialize_f64(self.to_f64())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Money::from_f64(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_up_to_two_decimals() {
        assert_eq!(Money::parse_decimal("12").unwrap().cents(), 1200);
        assert_eq!(Money::parse_decimal("12.5").unwrap().cents(), 1250);
        assert_eq!(Money::parse_decimal("0.07").unwrap().cents(), 7);
        assert_eq!(Money::parse_decimal("-3.10").unwrap().cents(), -310);
        assert!(Money::parse_decimal("1.234").is_err());
        assert!(Money::parse_decimal("1e3").is_err());
        assert!(Money::parse_decimal("").is_err());
    }

    #[test]
    fn json_round_trip_is_exact() {
        for cents in [1, 7, 10, 99, 1999, 100_000_000, 123_456_789] {
            let m = Money::from_cents(cents);
            let json = serde_json::to_string(&m).unwrap();
            let back: Money = serde_json::from_str(&json).unwrap();
            assert_eq!(back, m, "{json}");
        }
        assert_eq!(serde_json::to_string(&Money::from_cents(1999)).unwrap(), "19.99");
        assert_eq!(serde_json::to_string(&Money::from_cents(500)).unwrap(), "5.0");
    }

    #[test]
    fn json_refuses_three_decimals() {
        assert!(serde_json::from_str::<Money>("0.001").is_err());
        assert!(serde_json::from_str::<Money>("\"5\"").is_err());
    }

    #[test]
    fn display_pads_cents() {
        assert_eq!(Money::from_cents(1205).to_string(), "12.05");
        assert_eq!(Money::from_cents(-5).to_string(), "-0.05");
    }
}
