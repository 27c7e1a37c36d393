//! The rules of a contact's fields (docs/api.md §4.3), written once: the JSON validator, the CSV
//! reader and the OpenAPI document all read them from here.

use crate::domain::time;
use std::ops::RangeInclusive;

/// Contacts in one upsert request (and contact ids in its answer).
pub const MAX_UPSERT: usize = 1000;
/// Phone numbers of one contact.
pub const NUMBERS: RangeInclusive<usize> = 1..=10;
/// Characters of a phone number as sent, before it is normalised (`phone_numbers`,
/// `agent_number`).
pub const PHONE_TEXT: RangeInclusive<usize> = 1..=100;
/// Characters of an `external_id`.
pub const EXTERNAL_ID: RangeInclusive<usize> = 1..=255;
/// Characters of an `agent_id`.
pub const AGENT_ID: RangeInclusive<usize> = 1..=255;
/// Characters of a `scheduled_at` as sent.
pub const SCHEDULED_AT: RangeInclusive<usize> = 1..=64;
/// Characters of an `initial_context`.
pub const INITIAL_CONTEXT: RangeInclusive<usize> = 0..=10_000;
/// An `agent_version`.
pub const AGENT_VERSION: RangeInclusive<i64> = 1..=i32::MAX as i64;

/// What is wrong with a field's value beyond its type and length.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FieldError {
    /// URL clean-up would rewrite it, so it could never address its contact.
    #[error("'{0}' cannot be used as an external_id")]
    ReservedExternalId(String),
    #[error("'{0}' is not a date-time: RFC 3339 with an offset, or a local YYYY-MM-DDTHH:MM[:SS]")]
    NotADateTime(String),
}

/// An `external_id` of the right length: refused when it is `.` or `..`.
pub fn check_external_id(text: &str) -> Result<(), FieldError> {
    match text {
        "." | ".." => Err(FieldError::ReservedExternalId(text.to_string())),
        _ => Ok(()),
    }
}

/// A `scheduled_at` of the right length: an offset or local date-time (read in the contact's
/// timezone when it is written).
pub fn check_scheduled_at(text: &str) -> Result<(), FieldError> {
    match time::parse_instant(text, &jiff::tz::TimeZone::UTC) {
        Some(_) => Ok(()),
        None => Err(FieldError::NotADateTime(text.to_string())),
    }
}

/// The length in characters of `text`, when it is outside `bounds`: the message a CSV row gets
/// (the JSON validator says it FastAPI's way).
pub fn length_problem(field: &str, text: &str, bounds: &RangeInclusive<usize>) -> Option<String> {
    let n = text.chars().count();
    if n > *bounds.end() {
        Some(format!(
            "{field} is longer than {} characters ({n})",
            bounds.end()
        ))
    } else if n < *bounds.start() {
        Some(format!(
            "{field} is shorter than {} characters ({n})",
            bounds.start()
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_no_external_ids() {
        assert!(check_external_id("crm-1").is_ok());
        assert_eq!(
            check_external_id(".."),
            Err(FieldError::ReservedExternalId("..".into()))
        );
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        assert_eq!(
            length_problem("agent_id", &"é".repeat(255), &AGENT_ID),
            None
        );
        assert_eq!(
            length_problem("agent_id", &"é".repeat(256), &AGENT_ID).as_deref(),
            Some("agent_id is longer than 255 characters (256)")
        );
    }
}
