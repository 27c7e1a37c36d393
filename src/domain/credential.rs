//! Credentials: `ak_<key_id>.<secret>` organisation keys and `pat_<token_id>.<secret>` personal
//! tokens. Secrets are 256 random bits, kept only as their SHA-256.

use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ApiKey,
    PersonalToken,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::ApiKey => "ak_",
            Kind::PersonalToken => "pat_",
        }
    }
}

/// A credential as presented (or just made): the secret is only ever shown once.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub kind: Kind,
    pub id: String,
    secret: String,
}

/// Shortest secret accepted when a script chooses its own bootstrap key (≥ 128 bits as hex).
const MIN_SECRET_LEN: usize = 32;

impl Credential {
    /// A fresh credential: a 64-bit id and a 256-bit secret, both as hex.
    pub fn generate(kind: Kind) -> Credential {
        let mut rng = rand::rng();
        let mut id = [0u8; 8];
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut id);
        rng.fill_bytes(&mut secret);
        Credential {
            kind,
            id: hex(&id),
            secret: hex(&secret),
        }
    }

    /// Reads `ak_<id>.<secret>` or `pat_<id>.<secret>`.
    pub fn parse(text: &str) -> Option<Credential> {
        let (kind, rest) = [Kind::ApiKey, Kind::PersonalToken]
            .into_iter()
            .find_map(|kind| text.strip_prefix(kind.prefix()).map(|rest| (kind, rest)))?;
        let (id, secret) = rest.split_once('.')?;
        let plain = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        let well_formed = (1..=64).contains(&id.len())
            && plain(id)
            && (1..=256).contains(&secret.len())
            && plain(secret);
        well_formed.then(|| Credential {
            kind,
            id: id.to_string(),
            secret: secret.to_string(),
        })
    }

    /// The kind and id, without the secret: what identifies the credential in a cache.
    pub fn to_key(&self) -> String {
        format!("{}{}", self.kind.prefix(), self.id)
    }

    /// Whether the secret is long enough to be chosen by a user (`--bootstrap-key`).
    pub fn is_strong(&self) -> bool {
        self.secret.len() >= MIN_SECRET_LEN
    }

    pub fn secret_hash(&self) -> [u8; 32] {
        Sha256::digest(self.secret.as_bytes()).into()
    }

    /// Constant-time comparison of this secret with a stored hash.
    pub fn matches(&self, stored_hash: &[u8]) -> bool {
        self.secret_hash().ct_eq(stored_hash).into()
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}.{}", self.kind.prefix(), self.id, self.secret)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}.***", self.kind.prefix(), self.id)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_parse_back() {
        let key = Credential::generate(Kind::ApiKey);
        let parsed = Credential::parse(&key.to_string()).unwrap();
        assert_eq!(parsed, key);
        assert!(parsed.is_strong());
        assert!(parsed.matches(&key.secret_hash()));
        assert!(!Credential::generate(Kind::ApiKey).matches(&key.secret_hash()));
        let token = Credential::generate(Kind::PersonalToken);
        assert_eq!(
            Credential::parse(&token.to_string()).unwrap().kind,
            Kind::PersonalToken
        );
        for bad in [
            "ak_",
            "ak_abc",
            "ak_.secret",
            "xx_abc.def",
            "ak_a b.c",
            "pat_abc.",
        ] {
            assert!(Credential::parse(bad).is_none(), "{bad}");
        }
        assert!(format!("{key:?}").ends_with(".***"));
    }
}
