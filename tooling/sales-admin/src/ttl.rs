//! Token lifetimes written the way people say them: `30m`, `8h`, `1h30m`, `7d`.

use time::Duration;

/// The longest lifetime accepted; a longer-lived token is a standing credential.
pub const MAX: Duration = Duration::days(365);

/// Parses a sequence of `<number><unit>` parts, units `s`, `m`, `h`, `d`, `w`.
pub fn parse(raw: &str) -> Result<Duration, String> {
    let s = raw.trim();
    let usage = || format!("invalid duration {raw:?}: expected e.g. 30m, 8h, 1h30m or 7d (units s, m, h, d, w)");
    if s.is_empty() {
        return Err(usage());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(usage());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| usage())?;
        rest = &rest[digits..];
        let unit = rest.chars().next().ok_or_else(usage)?;
        rest = &rest[unit.len_utf8()..];
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(usage()),
        };
        let part = n.checked_mul(seconds).ok_or_else(usage)?;
        total = total.checked_add(Duration::seconds(part)).ok_or_else(usage)?;
    }
    if total <= Duration::ZERO {
        return Err(format!("invalid duration {raw:?}: must be longer than zero"));
    }
    if total > MAX {
        return Err(format!("invalid duration {raw:?}: at most 365d"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(parse("8h"), Ok(Duration::hours(8)));
        assert_eq!(parse("30m"), Ok(Duration::minutes(30)));
        assert_eq!(parse("90s"), Ok(Duration::seconds(90)));
        assert_eq!(parse("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse("7d"), Ok(Duration::days(7)));
        assert_eq!(parse("2w"), Ok(Duration::days(14)));
        assert_eq!(parse(" 365d "), Ok(Duration::days(365)));
    }

    #[test]
    fn refuses_nonsense_zero_and_too_long() {
        for bad in [
            "",
            "8",
            "h",
            "8x",
            "-1h",
            "1.5h",
            "8 h",
            "1h30",
            "99999999999999999999s",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(parse("0h").unwrap_err().contains("longer than zero"));
        assert!(parse("366d").unwrap_err().contains("365d"));
    }
}
