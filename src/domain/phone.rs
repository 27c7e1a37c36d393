//! Phone numbers: parsed with a region, accepted only when the metadata calls them valid, and
//! written in E.164.

use phonenumber::metadata::{DATABASE, Descriptor};
use phonenumber::{PhoneNumber, country};
use regex::Regex;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, OnceLock, RwLock};

/// The libphonenumber metadata compiled in through the `phonenumber` crate (pinned in Cargo.lock;
/// a unit test keeps the two in step).
pub const METADATA_VERSION: &str = "libphonenumber 9.0.33";

/// An ISO 3166-1 alpha-2 region that the metadata has a numbering plan for, upper-case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region(country::Id);

impl Region {
    pub const US: Region = Region(country::Id::US);

    /// Reads a region code in any case.
    pub fn parse(code: &str) -> Option<Region> {
        if code.len() != 2 || !code.is_ascii() {
            return None;
        }
        let upper = code.to_ascii_uppercase();
        let id = country::Id::from_str(&upper).ok()?;
        DATABASE.by_id(upper.as_str()).map(|_| Region(id))
    }

    pub fn code(&self) -> &str {
        self.0.as_ref()
    }
}

/// Normalises `raw` to E.164. With a region, numbers written without `+` are read in that region;
/// without one (ad-hoc contacts) the number must already start with `+`. The error is the message
/// the API shows.
pub fn normalise(raw: &str, region: Option<Region>) -> Result<String, String> {
    let refuse = || match region {
        Some(region) => format!(
            "'{raw}' is not a valid phone number for region {}",
            region.code()
        ),
        None => format!("'{raw}' is not a valid E.164 phone number (it must start with '+')"),
    };
    if region.is_none() && !raw.trim_start().starts_with('+') {
        return Err(refuse());
    }
    let number = phonenumber::parse(region.map(|r| r.0), raw).map_err(|_| refuse())?;
    if !matches_a_number_type(&number) {
        return Err(refuse());
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// Validity as libphonenumber decides it: the national number matches one of the number types'
/// patterns as a whole, with that type's possible lengths. It replaces the `phonenumber` crate's
/// own `is_valid`, which checks only that a match starts at the first digit (so it accepts numbers
/// with extra digits) and gives the same answers as this check on the rest of the corpus.
fn matches_a_number_type(number: &PhoneNumber) -> bool {
    let code = number.code().value();
    // The national significant number, leading zeros included (Italy), as E.164 writes it.
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    let national = &e164[1 + code.to_string().len()..];
    // A calling code shared by several regions (+1, +7, …) is valid when one region's plan fits.
    let regions = DATABASE.by_code(&code).unwrap_or_default();
    regions.into_iter().any(|meta| {
        let kinds = meta.descriptors();
        let general = kinds.general();
        whole_match(general, national, &[])
            && [
                kinds.fixed_line(),
                kinds.mobile(),
                kinds.toll_free(),
                kinds.premium_rate(),
                kinds.shared_cost(),
                kinds.personal_number(),
                kinds.voip(),
                kinds.pager(),
                kinds.uan(),
                kinds.voicemail(),
            ]
            .into_iter()
            .flatten()
            .any(|kind| whole_match(kind, national, general.possible_length()))
    })
}

/// Whether `national` has one of the descriptor's possible lengths (else the general ones) and
/// matches its pattern from the first digit to the last.
fn whole_match(descriptor: &Descriptor, national: &str, general_lengths: &[u16]) -> bool {
    let lengths = match descriptor.possible_length() {
        [] => general_lengths,
        own => own,
    };
    if !lengths.is_empty() && !lengths.contains(&(national.len() as u16)) {
        return false;
    }
    anchored(descriptor.national_number().as_str()).is_some_and(|regex| regex.is_match(national))
}

/// The pattern compiled to match a whole national number, once, shared by every thread. Keyed by
/// the pattern's address: patterns come only from the static `DATABASE`, which never moves or
/// changes, and hashing the pattern text (several KB for some regions) costs more than the match.
fn anchored(pattern: &str) -> Option<Arc<Regex>> {
    static COMPILED: OnceLock<RwLock<HashMap<usize, Option<Arc<Regex>>>>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(Default::default);
    let key = pattern.as_ptr() as usize;
    if let Some(found) = compiled.read().expect("never poisoned").get(&key) {
        return found.clone();
    }
    // The metadata patterns carry layout white space, as the crate reads them.
    let compact: String = pattern.split_whitespace().collect();
    let regex = Regex::new(&format!("^(?:{compact})$")).ok().map(Arc::new);
    compiled
        .write()
        .expect("never poisoned")
        .insert(key, regex.clone());
    regex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers_become_e164() {
        let us = Some(Region::US);
        assert_eq!(normalise("(415) 555-0123", us).unwrap(), "+14155550123");
        assert_eq!(
            normalise("12", us).unwrap_err(),
            "'12' is not a valid phone number for region US"
        );
        assert_eq!(normalise("+1 650-253-0000", us).unwrap(), "+16502530000");
        assert_eq!(normalise("650 253 0000", us).unwrap(), "+16502530000");
        assert!(normalise("555-0100", us).is_err());
        assert_eq!(
            normalise("020 7946", Region::parse("gb")).unwrap_err(),
            "'020 7946' is not a valid phone number for region GB"
        );
        assert_eq!(
            normalise("020 7031 3000", Region::parse("gb")).unwrap(),
            "+442070313000"
        );
        assert!(normalise("650 253 0000", None).is_err());
        assert_eq!(normalise("+16502530000", None).unwrap(), "+16502530000");
    }

    #[test]
    fn regions_need_a_numbering_plan() {
        assert_eq!(Region::parse("gb").unwrap().code(), "GB");
        assert!(Region::parse("XX").is_none());
        assert!(Region::parse("USA").is_none());
    }

    #[test]
    fn metadata_version_matches_the_locked_crate() {
        let lock = include_str!("../../Cargo.lock");
        let version = METADATA_VERSION.trim_start_matches("libphonenumber ");
        assert!(lock.contains(&format!(
            "name = \"phonenumber\"\nversion = \"0.3.10+{version}\""
        )));
    }
}
