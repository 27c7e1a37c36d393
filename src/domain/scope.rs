//! Scopes a credential may carry, and the roles of organisation members.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    CampaignsRead,
    CampaignsManage,
    ConcurrencyRead,
    ConcurrencyManage,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::CampaignsRead,
        Scope::CampaignsManage,
        Scope::ConcurrencyRead,
        Scope::ConcurrencyManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CampaignsRead => "campaigns:read",
            Scope::CampaignsManage => "campaigns:manage",
            Scope::ConcurrencyRead => "concurrency:read",
            Scope::ConcurrencyManage => "concurrency:manage",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == text)
            .ok_or_else(|| {
                let known: Vec<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown scope '{text}' (known: {})", known.join(", "))
            })
    }
}

/// A set of scopes, stored as space-separated names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    pub const ALL: Scopes = Scopes(0b1111);

    pub fn of(scopes: &[Scope]) -> Scopes {
        Scopes(scopes.iter().fold(0, |bits, scope| bits | scope.bit()))
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn intersect(self, other: Scopes) -> Scopes {
        Scopes(self.0 & other.0)
    }

    /// True when any of `accepted` is in the set.
    pub fn allows_any(self, accepted: &[Scope]) -> bool {
        accepted.iter().any(|&scope| self.contains(scope))
    }

    /// Reads a comma- or space-separated list of scope names.
    pub fn parse_list(text: &str) -> Result<Scopes, String> {
        let mut scopes = Vec::new();
        for name in text.split([',', ' ']).filter(|name| !name.is_empty()) {
            scopes.push(name.parse()?);
        }
        Ok(Scopes::of(&scopes))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = Scope::ALL
            .into_iter()
            .filter(|&scope| self.contains(scope))
            .map(Scope::as_str)
            .collect();
        f.write_str(&names.join(" "))
    }
}

/// A user's role in an organisation, which decides a personal token's scopes there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn scopes(self) -> Scopes {
        match self {
            Role::Admin => Scopes::ALL,
            Role::Viewer => Scopes::of(&[Scope::CampaignsRead, Scope::ConcurrencyRead]),
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "admin" => Ok(Role::Admin),
            "viewer" => Ok(Role::Viewer),
            other => Err(format!("unknown role '{other}' (known: admin, viewer)")),
        }
    }
}

/// The scopes that open each family of routes (any one of them is enough), shared by the router
/// and the OpenAPI document.
pub const READ: &[Scope] = &[Scope::CampaignsRead, Scope::CampaignsManage];
pub const MANAGE: &[Scope] = &[Scope::CampaignsManage];
pub const CONCURRENCY_READ: &[Scope] = &[
    Scope::CampaignsRead,
    Scope::CampaignsManage,
    Scope::ConcurrencyRead,
    Scope::ConcurrencyManage,
];
pub const CONCURRENCY_MANAGE: &[Scope] = &[Scope::CampaignsManage, Scope::ConcurrencyManage];

/// Scopes in a form the OpenAPI document and the docs can show.
pub fn describe(accepted: &[Scope]) -> String {
    Scopes::of(accepted).to_string().replace(' ', ", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_lists_round_trip() {
        let scopes = Scopes::parse_list("campaigns:read,concurrency:manage").unwrap();
        assert_eq!(scopes.to_string(), "campaigns:read concurrency:manage");
        assert_eq!(Scopes::parse_list(&scopes.to_string()).unwrap(), scopes);
        assert!(Scopes::parse_list("campaigns:write").is_err());
        assert!(Role::Viewer.scopes().contains(Scope::ConcurrencyRead));
        assert!(!Role::Viewer.scopes().contains(Scope::CampaignsManage));
    }
}
