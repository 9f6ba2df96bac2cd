//! Phone numbers, normalised to E.164 (`+` and up to 15 digits) so SMS providers accept them and one
//! number always has one spelling.
//!
//! This is deliberately not a full numbering-plan database: it knows each supported country's calling
//! code and trunk prefix, applies the North American plan's stricter shape, and otherwise bounds the
//! length. That catches what visitors get wrong (a missing area code, a letter, an extension) without
//! refusing a real number.

use crate::ErrorCode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The countries a form may name as its default, by ISO 3166-1 alpha-2 code.
///
/// Invariant: the code is one of [`Country::ALL`], upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country(&'static CountryPlan);

#[derive(Debug, PartialEq, Eq, Hash)]
struct CountryPlan {
    iso: &'static str,
    calling_code: &'static str,
    /// The digit dialled before a national number inside the country, dropped internationally.
    trunk_prefix: Option<char>,
}

const fn plan(
    iso: &'static str,
    calling_code: &'static str,
    trunk_prefix: Option<char>,
) -> CountryPlan {
    CountryPlan { iso, calling_code, trunk_prefix }
}

// Italy and a few others keep their leading zero internationally, so they have no trunk prefix here.
static PLANS: &[CountryPlan] = &[
    plan("US", "1", None),
    plan("CA", "1", None),
    plan("GB", "44", Some('0')),
    plan("IE", "353", Some('0')),
    plan("AU", "61", Some('0')),
    plan("NZ", "64", Some('0')),
    plan("ZA", "27", Some('0')),
    plan("IN", "91", Some('0')),
    plan("SG", "65", None),
    plan("DE", "49", Some('0')),
    plan("AT", "43", Some('0')),
    plan("CH", "41", Some('0')),
    plan("FR", "33", Some('0')),
    plan("BE", "32", Some('0')),
    plan("NL", "31", Some('0')),
    plan("LU", "352", None),
    plan("ES", "34", None),
    plan("PT", "351", None),
    plan("IT", "39", None),
    plan("DK", "45", None),
    plan("NO", "47", None),
    plan("SE", "46", Some('0')),
    plan("FI", "358", Some('0')),
    plan("PL", "48", None),
    plan("MX", "52", None),
    plan("BR", "55", Some('0')),
    plan("JP", "81", Some('0')),
];

impl Country {
    /// Every supported country, in table order.
    pub fn all() -> impl Iterator<Item = Country> {
        PLANS.iter().map(Country)
    }

    /// Looks a country up by its alpha-2 code, in any case.
    pub fn from_iso(iso: &str) -> Option<Country> {
        PLANS.iter().find(|p| p.iso.eq_ignore_ascii_case(iso)).map(Country)
    }

    pub fn iso(self) -> &'static str {
        self.0.iso
    }

    fn is_north_american(self) -> bool {
        self.0.calling_code == "1"
    }
}

impl Default for Country {
    fn default() -> Self {
        Country(&PLANS[0])
    }
}

impl TryFrom<String> for Country {
    type Error = String;
    fn try_from(iso: String) -> Result<Self, Self::Error> {
        Country::from_iso(&iso).ok_or_else(|| ["unsupported country \"", &iso, "\""].concat())
    }
}

impl From<Country> for String {
    fn from(country: Country) -> String {
        country.iso().to_owned()
    }
}

/// A phone number in E.164 form, e.g. `+14155550123`.
///
/// Invariant: `+` followed by 8 to 15 ASCII digits, the first not `0`; for calling code 1, exactly the
/// North American shape. `Phone::parse(p.as_str(), any_country) == Ok(p)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

const MAX_INPUT_CHARS: usize = 40;

impl Phone {
    /// Parses what a visitor typed. Numbers without `+` or `00` are read as national numbers of
    /// `default_country`.
    pub fn parse(raw: &str, default_country: Country) -> Result<Phone, ErrorCode> {
        let raw = raw.trim();
        if raw.chars().count() > MAX_INPUT_CHARS {
            return Err(ErrorCode::TooLong);
        }
        let (has_plus, digits) = digits_of(raw)?;
        let international = if has_plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_owned()
        } else if let (true, Some(rest)) =
            (default_country.is_north_american(), digits.strip_prefix("011"))
        {
            rest.to_owned()
        } else {
            national_to_international(&digits, default_country)
        };
        if is_plausible(&international) {
            Ok(Phone(["+", &international].concat()))
        } else {
            Err(ErrorCode::PhoneInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Phone::parse(&raw, Country::default())
            .map_err(|code| serde::de::Error::custom(code.as_str()))
    }
}

/// Keeps the digits, allows the usual separators, and a `+` only in front.
fn digits_of(raw: &str) -> Result<(bool, String), ErrorCode> {
    // `strip_prefix`, not `&raw[1..]`: slicing at a byte index brings a panic path, and with it Rust's
    // char escaping tables, into the widget.
    let (has_plus, body) = match raw.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let mut digits = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            _ => return Err(ErrorCode::PhoneInvalid),
        }
    }
    Ok((has_plus, digits))
}

fn national_to_international(national: &str, country: Country) -> String {
    let national = if country.is_north_american() && national.len() == 11 {
        national.strip_prefix('1').unwrap_or(national)
    } else {
        match country.0.trunk_prefix {
            Some(trunk) => national.strip_prefix(trunk).unwrap_or(national),
            None => national,
        }
    };
    [country.0.calling_code, national].concat()
}

fn is_plausible(international: &str) -> bool {
    let bytes = international.as_bytes();
    if !(8..=15).contains(&bytes.len()) || bytes[0] == b'0' {
        return false;
    }
    if bytes[0] == b'1' {
        // North American Numbering Plan: 1 NXX NXX XXXX, where N is 2-9.
        return bytes.len() == 11 && bytes[1] >= b'2' && bytes[4] >= b'2';
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, country: &str, expected: Result<&str, ErrorCode>) {
        let country = Country::from_iso(country).expect("test country exists");
        let got = Phone::parse(input, country);
        assert_eq!(
            got.as_ref().map(Phone::as_str).map_err(|c| *c),
            expected,
            "input {input:?} in {country:?}"
        );
    }

    #[test]
    fn national_numbers_take_the_default_country() {
        check("(415) 555-0123", "US", Ok("+14155550123"));
        check("415.555.0123", "US", Ok("+14155550123"));
        check("1 415 555 0123", "US", Ok("+14155550123"));
        check("613-555-0199", "CA", Ok("+16135550199"));
        check("020 7946 0958", "GB", Ok("+442079460958"));
        check("07700 900123", "GB", Ok("+447700900123"));
        check("030 123456", "DE", Ok("+4930123456"));
        check("06 1234 5678", "IT", Ok("+390612345678"));
        check("0412 345 678", "AU", Ok("+61412345678"));
        check("01 23 45 67 89", "FR", Ok("+33123456789"));
    }

    #[test]
    fn international_numbers_ignore_the_default_country() {
        check("+44 20 7946 0958", "US", Ok("+442079460958"));
        check("0044 20 7946 0958", "DE", Ok("+442079460958"));
        check("011 44 20 7946 0958", "US", Ok("+442079460958"));
        check("+1 (415) 555-0123", "GB", Ok("+14155550123"));
        check("\u{a0}+49 30 123456 ", "US", Ok("+4930123456"));
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        use ErrorCode::PhoneInvalid as E;
        check("", "US", Err(E));
        check("555-0123", "US", Err(E)); // no area code
        check("(015) 555-0123", "US", Err(E)); // area codes start at 2
        check("415 155 0123", "US", Err(E)); // exchanges start at 2
        check("415 555 0123 x12", "US", Err(E));
        check("call me", "US", Err(E));
        check("++14155550123", "US", Err(E));
        check("415+5550123", "US", Err(E));
        check("+0 123 456 789", "US", Err(E));
        check("+1234567890123456", "US", Err(E)); // 16 digits
        check("+44 1234", "US", Err(E)); // too short
        check("４１５５５５０１２３", "US", Err(E)); // full-width digits are not ASCII digits
        check(&"1".repeat(41), "US", Err(ErrorCode::TooLong));
    }

    #[test]
    fn countries_round_trip_through_their_codes() {
        for country in Country::all() {
            assert_eq!(Country::from_iso(&country.iso().to_lowercase()), Some(country));
            let json = serde_json::to_string(&country).expect("serialises");
            assert_eq!(serde_json::from_str::<Country>(&json).ok(), Some(country));
        }
        assert!(serde_json::from_str::<Country>("\"XX\"").is_err());
    }

    proptest! {
        #[test]
        fn normalising_twice_equals_once(
            raw in "\\+?[0-9 ().-]{6,24}",
            country in proptest::sample::select(Country::all().collect::<Vec<_>>()),
            other in proptest::sample::select(Country::all().collect::<Vec<_>>()),
        ) {
            if let Ok(phone) = Phone::parse(&raw, country) {
                // Once normalised, a number means the same whatever the default country.
                prop_assert_eq!(Phone::parse(phone.as_str(), other), Ok(phone.clone()));
                prop_assert!(phone.as_str().len() <= 16);
            }
        }

        #[test]
        fn never_panics(raw in "\\PC{0,50}") {
            let _ = Phone::parse(&raw, Country::default());
        }
    }
}
