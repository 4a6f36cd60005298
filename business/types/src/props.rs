//! Property tests: the parsers take any input without panicking, what they accept
//! satisfies the type's rules, and parsing what a value prints gives the value back.

use proptest::prelude::*;

use crate::{Email, Money, Name};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn money_parse_never_panics_and_accepts_only_two_decimals(raw in any::<String>()) {
        if let Ok(m) = Money::parse_decimal(&raw) {
            let t = raw.trim();
            let frac = t.split_once('.').map_or("", |(_, f)| f);
            prop_assert!(frac.len() <= 2, "{raw:?} -> {m}");
            prop_assert_eq!(Money::parse_decimal(&m.to_string()), Ok(m));
        }
    }

    #[test]
    fn money_decimal_like_input_never_panics(raw in r"-?[0-9]{0,20}(\.[0-9]{0,4})?") {
        if let Ok(m) = Money::parse_decimal(&raw) {
            prop_assert_eq!(Money::parse_decimal(&m.to_string()), Ok(m));
        }
    }

    #[test]
    fn money_round_trips_through_text(cents in -100_000_000_000_000i64..100_000_000_000_000) {
        let m = Money::from_cents(cents);
        prop_assert_eq!(Money::parse_decimal(&m.to_string()), Ok(m));
    }

    #[test]
    fn money_from_a_json_number_is_exact(cents in -100_000_000_000_000i64..100_000_000_000_000) {
        // What a client writing `12.34` sends: the f64 nearest to it.
        let v = cents as f64 / 100.0;
        prop_assert_eq!(Money::from_f64(v), Ok(Money::from_cents(cents)));
        let back: Money = serde_json::from_str(&serde_json::to_string(&Money::from_cents(cents)).unwrap()).unwrap();
        prop_assert_eq!(back, Money::from_cents(cents));
    }

    #[test]
    fn money_from_any_f64_never_panics(v in any::<f64>()) {
        if let Ok(m) = Money::from_f64(v) {
            prop_assert!((m.to_f64() - v).abs() < 0.005 + v.abs() * 1e-15, "{v} -> {m}");
        }
    }

    #[test]
    fn name_accepts_only_valid_names(raw in any::<String>()) {
        if let Ok(n) = Name::parse(&raw) {
            let len = n.as_str().chars().count();
            prop_assert!((Name::MIN..=Name::MAX).contains(&len));
            prop_assert_eq!(n.as_str(), n.as_str().trim());
            prop_assert!(!n.as_str().chars().any(char::is_control));
            prop_assert_eq!(Name::parse(n.as_str()), Ok(n.clone()));
        }
    }

    #[test]
    fn email_accepts_only_valid_addresses(raw in any::<String>()) {
        check_email(&raw)?;
    }

    #[test]
    fn email_like_input(raw in r" ?[a-zA-Z0-9.+_-]{0,70}@[a-zA-Z0-9.-]{0,70} ?") {
        check_email(&raw)?;
    }
}

fn check_email(raw: &str) -> Result<(), TestCaseError> {
    if let Ok(e) = Email::parse(raw) {
        let s = e.as_str();
        prop_assert!(s.chars().count() <= Email::MAX);
        prop_assert_eq!(s, s.to_lowercase());
        prop_assert_eq!(s.matches('@').count(), 1, "{:?}", s);
        let (local, domain) = s.split_once('@').unwrap();
        prop_assert!(!local.is_empty() && domain.contains('.'), "{:?}", s);
        prop_assert!(!s.chars().any(char::is_whitespace), "{:?}", s);
        prop_assert_eq!(Email::parse(s), Ok(e.clone()));
    }
    Ok(())
}
