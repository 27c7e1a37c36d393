//! Resource ids: time-ordered UUIDv7s, written lower-case and hyphenated.

use uuid::Uuid;

/// A new resource id. v7 ids are time-ordered, so inserts land at the end of SQLite's indexes.
pub fn new_id() -> String {
    Uuid::now_v7().hyphenated().to_string()
}

/// Reads a UUID written in the 8-4-4-4-12 form (any case) and returns its canonical spelling.
/// Other spellings that `uuid` accepts (braced, simple, urn) are refused: the contract has one form.
pub fn parse_uuid(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let hyphens_in_place = bytes.len() == 36 && [8, 13, 18, 23].iter().all(|&at| bytes[at] == b'-');
    if !hyphens_in_place {
        return None;
    }
    Uuid::try_parse(text)
        .ok()
        .map(|id| id.hyphenated().to_string())
}

/// Organisation ids are short strings of letters, digits, `_` and `-`.
pub fn is_valid_org_id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hyphenated_form_is_a_uuid() {
        let id = "7D0C5F8E-3B8A-4C5E-9A51-6F1F2F0F9B11";
        assert_eq!(parse_uuid(id).unwrap(), id.to_lowercase());
        assert_eq!(parse_uuid("7d0c5f8e3b8a4c5e9a516f1f2f0f9b11"), None);
        assert_eq!(parse_uuid("{7d0c5f8e-3b8a-4c5e-9a51-6f1f2f0f9b11}"), None);
        assert_eq!(parse_uuid("7d0c5f8e-3b8a-4c5e-9a51-6f1f2f0f9b1g"), None);
        assert!(parse_uuid(&new_id()).is_some());
    }
}
