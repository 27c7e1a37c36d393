//! Phone numbers: parsed with a region, accepted only when the metadata calls them valid, and
//! written in E.164.
//!
//! Parsing and validation are libphonenumber's own, through its full Rust port `rlibphonenumber`
//! (docs/phone-numbers.md says why it replaced the `phonenumber` crate, with the measurements).
//! Our part is only the messages: each names what is wrong with the number.

use rlibphonenumber::{
    NotANumberError, PHONE_NUMBER_UTIL, ParseError, PhoneNumber, PhoneNumberFormat, ValidationError,
};

/// The libphonenumber metadata compiled into `rlibphonenumber` (pinned with `=` in Cargo.toml; a
/// unit test keeps the two in step, and tests/data/phone_corpus.version names the same release).
pub const METADATA_VERSION: &str = "libphonenumber 9.0.42";

/// An ISO 3166-1 alpha-2 region that the metadata has a numbering plan for, upper-case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region(rlibphonenumber::Region);

impl Region {
    pub const US: Region = Region(rlibphonenumber::Region::US);

    /// Reads a region code in any case.
    pub fn parse(code: &str) -> Option<Region> {
        // `from_code` takes any two letters (and "001", the non-geographic entities): only a
        // region with its own plan can be a campaign's default.
        let id = rlibphonenumber::Region::from_code(code).ok()?;
        (id != rlibphonenumber::Region::World
            && PHONE_NUMBER_UTIL.get_country_code_for_region(id).is_some())
        .then_some(Region(id))
    }

    /// The upper-case code (it dereferences to `&str`).
    pub fn code(&self) -> rlibphonenumber::RegionStr {
        self.0.as_region_str()
    }
}

/// A valid phone number in E.164 form (`+`, the country code and the national number): only
/// `normalise` makes one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct E164(String);

impl std::ops::Deref for E164 {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for E164 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<&str> for E164 {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl From<E164> for String {
    fn from(number: E164) -> String {
        number.0
    }
}

/// Normalises `raw` to E.164, as libphonenumber parses, validates and formats it. With a region,
/// numbers written without their country code are read in that region; without one (ad-hoc
/// contacts) the number must carry its country code after a `+`. An extension is accepted and
/// dropped, as E.164 has none; digits of any script are read as digits. The error is the message
/// the API shows.
pub fn normalise(raw: &str, region: Option<Region>) -> Result<E164, String> {
    let number = PHONE_NUMBER_UTIL
        .parse(raw, region.map(|r| r.0))
        .map_err(|e| unparsable(raw, region, e))?;
    if number.is_valid() {
        Ok(E164(number.format_as(PhoneNumberFormat::E164).into_owned()))
    } else {
        Err(invalid(raw, region, &number))
    }
}

/// Why libphonenumber could not read `raw` as a number at all.
fn unparsable(raw: &str, region: Option<Region>, error: ParseError) -> String {
    match error {
        ParseError::InvalidCountryCode if region.is_none() && !has_plus(raw) => format!(
            "'{raw}' is not a valid phone number: it must start with '+' and its country code \
             (there is no region to read it in)"
        ),
        ParseError::InvalidCountryCode => {
            format!("'{raw}' is not a valid phone number: unknown country calling code")
        }
        ParseError::NotANumber(NotANumberError::InvalidPhoneContext) => {
            format!("'{raw}' is not a phone number: invalid phone-context")
        }
        ParseError::NotANumber(_) => format!("'{raw}' is not a phone number"),
        ParseError::TooShortAfterIdd | ParseError::TooShortNsn => {
            format!("'{raw}' is not a valid phone number: too short")
        }
        ParseError::TooLongNsn => format!("'{raw}' is not a valid phone number: too long"),
    }
}

/// Why a number that reads as one is not a valid number of its plan.
fn invalid(raw: &str, region: Option<Region>, number: &PhoneNumber) -> String {
    let code = number.country_code;
    // Name the plan the number was checked against: the caller's region when the number was
    // read in it, else the country calling code the number carries.
    let plan = match region {
        Some(r) if PHONE_NUMBER_UTIL.get_country_code_for_region(r.0) == Some(code) => {
            format!("region {}", r.code())
        }
        _ => match PHONE_NUMBER_UTIL.get_region_for_country_code(code) {
            Some(r) if r != rlibphonenumber::Region::World => format!("+{code} ({r})"),
            _ => format!("+{code}"),
        },
    };
    let why = match number.is_possible_with_reason() {
        Err(ValidationError::TooShort) => ": too short",
        Err(ValidationError::TooLong) => ": too long",
        Err(ValidationError::InvalidLength) => ": no number there has this many digits",
        Ok(rlibphonenumber::NumberLengthType::IsPossibleLocalOnly) => {
            ": a local number without its area code"
        }
        _ => "",
    };
    format!("'{raw}' is not a valid phone number for {plan}{why}")
}

/// A plus sign as libphonenumber reads one (ASCII or full-width).
fn has_plus(raw: &str) -> bool {
    raw.contains(['+', '\u{FF0B}'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb() -> Option<Region> {
        Region::parse("gb")
    }

    #[test]
    fn valid_numbers_become_e164() {
        let us = Some(Region::US);
        assert_eq!(normalise("(415) 555-0123", us).unwrap(), "+14155550123");
        assert_eq!(normalise("+1 650-253-0000", us).unwrap(), "+16502530000");
        assert_eq!(normalise("650 253 0000", us).unwrap(), "+16502530000");
        assert_eq!(normalise("020 7031 3000", gb()).unwrap(), "+442070313000");
        assert_eq!(normalise("+16502530000", None).unwrap(), "+16502530000");
        // The hosted service's libphonenumber accepts these; so do we.
        assert_eq!(normalise("+7 800 123-45-67", None).unwrap(), "+78001234567");
        assert_eq!(
            normalise("650 253 0000 ext. 12", us).unwrap(),
            "+16502530000"
        );
        assert_eq!(
            normalise("+16502530000;ext=7", None).unwrap(),
            "+16502530000"
        );
        assert_eq!(
            normalise("６５０ ２５３ ００００", us).unwrap(),
            "+16502530000"
        );
        assert_eq!(normalise("٠٢٠ ٧٠٣١ ٣٠٠٠", gb()).unwrap(), "+442070313000");
    }

    #[test]
    fn messages_name_the_problem() {
        let us = Some(Region::US);
        let err = |raw, region| normalise(raw, region).unwrap_err();
        assert_eq!(
            err("12", us),
            "'12' is not a valid phone number for region US: too short"
        );
        assert_eq!(
            err("020 7946", gb()),
            "'020 7946' is not a valid phone number for region GB"
        );
        assert_eq!(
            err("555-0100", us),
            "'555-0100' is not a valid phone number for region US: a local number without its area code"
        );
        assert_eq!(
            err("201 055 0100", us),
            "'201 055 0100' is not a valid phone number for region US"
        );
        assert_eq!(
            err("+44 20 7946", us),
            "'+44 20 7946' is not a valid phone number for +44 (GB): a local number without its area code"
        );
        assert_eq!(
            err("+7 800 123-45", None),
            "'+7 800 123-45' is not a valid phone number for +7 (RU): too short"
        );
        assert_eq!(
            err("650 253 0000", None),
            "'650 253 0000' is not a valid phone number: it must start with '+' and its country \
             code (there is no region to read it in)"
        );
        assert_eq!(
            err("+999 123 456", None),
            "'+999 123 456' is not a valid phone number: unknown country calling code"
        );
        assert_eq!(err("call me", us), "'call me' is not a phone number");
        assert_eq!(err("", None), "'' is not a phone number");
        assert_eq!(
            err("1", us),
            "'1' is not a phone number",
            "one digit is not a number to libphonenumber"
        );
        assert_eq!(
            err(&"1".repeat(20), us),
            format!(
                "'{}' is not a valid phone number for region US: too long",
                "1".repeat(20)
            )
        );
    }

    #[test]
    fn regions_need_a_numbering_plan() {
        assert_eq!(&*Region::parse("gb").unwrap().code(), "GB");
        assert!(Region::parse("XX").is_none());
        assert!(Region::parse("USA").is_none());
        assert!(Region::parse("001").is_none());
        assert!(Region::parse("").is_none());
        assert!(Region::parse("é").is_none());
    }

    #[test]
    fn metadata_version_matches_the_locked_crate() {
        // rlibphonenumber states its metadata release in its README only: this table is where
        // the two are paired when the crate is bumped.
        const CARRIES: &[(&str, &str)] = &[("2.2.15", "9.0.42")];
        let lock = include_str!("../../Cargo.lock");
        let version = METADATA_VERSION.trim_start_matches("libphonenumber ");
        let crate_version = CARRIES
            .iter()
            .find(|(_, metadata)| *metadata == version)
            .map(|(c, _)| *c)
            .expect("a crate release that carries METADATA_VERSION");
        assert!(lock.contains(&format!(
            "name = \"rlibphonenumber\"\nversion = \"{crate_version}\""
        )));
        let corpus = include_str!("../../tests/data/phone_corpus.version");
        assert_eq!(corpus.trim(), format!("phonenumbers {version}"));
    }
}
