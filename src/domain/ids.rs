//! Ids, each its own type: the organisation id (a short name that an admin chooses) and the ids
//! campaignd makes for its resources (time-ordered UUIDv7s, written lower-case and hyphenated).
//! Only a parse (or `new`) makes one, so a function that takes a `CampaignId` cannot be handed a
//! contact's id or a string that is not an id at all.

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

/// What every id type has: the text it is written as, shown and serialised as that plain string.
macro_rules! text_id {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// An id read back from the database, which holds only ids that a parse or `new`
            /// made: trusted as it is, so reading rows on the dialer's hot paths costs no check.
            /// Only the store (and its tests) may call it.
            pub(crate) fn from_stored(text: String) -> $name {
                $name(text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

/// An organisation id: 1–64 of `[A-Za-z0-9_-]`; only `parse` makes one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct OrgId(String);

text_id!(OrgId);

impl OrgId {
    pub fn parse(text: &str) -> Option<OrgId> {
        is_valid_org_id(text).then(|| OrgId(text.to_string()))
    }
}

/// What the resource id types share, for code that reads any of them (the API's validator).
pub trait ResourceId: Sized {
    /// The canonical id written `text` (see `parse_uuid`), or `None` for anything else.
    fn parse(text: &str) -> Option<Self>;
}

/// One type per kind of resource id (not one generic `Id<Kind>`: docs/decisions.md says why).
macro_rules! resource_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        text_id!($name);

        impl $name {
            /// A new id (UUIDv7). Not `Default`: a default that differs at each call would surprise.
            #[allow(clippy::new_without_default)]
            pub fn new() -> $name {
                $name(new_id())
            }

            /// The canonical id written `text` (see `parse_uuid`), or `None` for anything else.
            pub fn parse(text: &str) -> Option<$name> {
                parse_uuid(text).map($name)
            }
        }

        impl ResourceId for $name {
            fn parse(text: &str) -> Option<$name> {
                $name::parse(text)
            }
        }
    };
}

resource_id!(
    /// A campaign's id.
    CampaignId
);
resource_id!(
    /// A configuration's id.
    ConfigurationId
);
resource_id!(
    /// A contact's id.
    ContactId
);
resource_id!(
    /// A call attempt's id.
    AttemptId
);

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

    #[test]
    fn resource_ids_are_canonical_uuids() {
        let id = CampaignId::parse("7D0C5F8E-3B8A-4C5E-9A51-6F1F2F0F9B11").unwrap();
        assert_eq!(id.as_str(), "7d0c5f8e-3b8a-4c5e-9a51-6f1f2f0f9b11");
        assert_eq!(ContactId::parse("c1"), None);
        let new = AttemptId::new();
        assert_eq!(AttemptId::parse(new.as_str()), Some(new.clone()));
        assert_eq!(serde_json::to_string(&new).unwrap(), format!("\"{new}\""));
    }

    #[test]
    fn org_ids_are_short_names() {
        assert_eq!(OrgId::parse("org_a-1").unwrap().as_str(), "org_a-1");
        assert_eq!(OrgId::parse(""), None);
        assert_eq!(OrgId::parse("org a"), None);
        assert_eq!(OrgId::parse(&"a".repeat(65)), None);
        assert!(OrgId::parse(&"a".repeat(64)).is_some());
    }
}
