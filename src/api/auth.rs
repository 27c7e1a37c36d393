//! Credentials → the organisation a request acts for, and its scopes (docs/api.md §2).

use super::error::{ApiError, ApiResult};
use crate::domain::clock::Clock;
use crate::domain::credential::Credential;
use crate::domain::ids::OrgId;
use crate::domain::scope::{Scope, Scopes};
use crate::store::Store;
use crate::store::credentials::{self, Principal};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use warp::http::HeaderMap;

/// What a route asks of the caller.
#[derive(Clone, Copy, Debug)]
pub enum Access {
    Public,
    /// Any valid credential; not organisation-scoped (the timezone list).
    AnyCredential,
    /// An organisation, and any one of these scopes.
    Org(&'static [Scope]),
}

/// The organisation a request acts for (`None` for routes that are not organisation-scoped).
#[derive(Clone, Debug)]
pub struct Caller {
    pub org: Option<OrgId>,
}

/// Checks the credential, organisation and scope, in the order of docs/api.md §1.2. What a
/// credential resolves to is cached for less than a second (docs/api.md §2: within one), so
/// revocations, expiry and membership changes apply within a second while hot clients cost no
/// database read.
pub async fn authorize(
    store: &Store,
    clock: Clock,
    cache: &CredentialCache,
    headers: &HeaderMap,
    access: Access,
) -> ApiResult<Caller> {
    let required = match access {
        Access::Public => return Ok(Caller { org: None }),
        Access::AnyCredential => None,
        Access::Org(scopes) => Some(scopes),
    };
    let credential = bearer(headers)?;
    let org_header = headers
        .get("x-anyreach-org")
        .map(|v| v.to_str().unwrap_or("").to_string());
    let Some(accepted) = required else {
        // Any valid credential, no organisation: the timezone list, not worth caching.
        let valid = store
            .read(move |conn| credentials::authenticate(conn, &credential, &clock.now_text()))
            .await?;
        return valid
            .map(|_| Caller { org: None })
            .ok_or(ApiError::Unauthorized("Invalid token"));
    };
    let key = (credential.to_key(), org_header.clone());
    let (org, scopes) = match cache.get(&key, &credential) {
        Some(resolved) => resolved,
        None => {
            let presented = credential.clone();
            let resolved = store
                .read(move |conn| Ok(resolve(conn, &presented, org_header, clock)))
                .await??;
            cache.put(key, &credential, resolved.clone());
            resolved
        }
    };
    if !scopes.allows_any(accepted) {
        return Err(missing_scope(accepted));
    }
    Ok(Caller { org: Some(org) })
}

/// The organisation a credential acts for with the `X-Anyreach-Org` header it came with, and its
/// scopes there; or the 401/403 of docs/api.md §2.
fn resolve(
    conn: &crate::store::Db,
    credential: &Credential,
    org_header: Option<String>,
    clock: Clock,
) -> ApiResult<(OrgId, Scopes)> {
    let principal = credentials::authenticate(conn, credential, &clock.now_text())?
        .ok_or(ApiError::Unauthorized("Invalid token"))?;
    match principal {
        Principal::Key {
            organization_id,
            scopes,
        } => {
            if org_header
                .as_ref()
                .is_some_and(|named| *named != organization_id.as_str())
            {
                let detail = "API key does not belong to this organization";
                return Err(ApiError::Forbidden(detail.into()));
            }
            Ok((organization_id, scopes))
        }
        Principal::User { name, scopes } => {
            let org = org_header.ok_or(ApiError::Unauthorized(
                "Token is missing organization claim",
            ))?;
            let not_a_member = || ApiError::Forbidden("Not a member of this organization".into());
            // A header that is not an organisation id names no organisation the user is in.
            let org = OrgId::parse(&org).ok_or_else(not_a_member)?;
            let role = credentials::role(conn, &name, &org)?.ok_or_else(not_a_member)?;
            let scopes = scopes.map_or(role.scopes(), |own| own.intersect(role.scopes()));
            Ok((org, scopes))
        }
    }
}

/// How long a resolved credential is trusted without reading the database again.
const CACHE_FOR: Duration = Duration::from_millis(900);
/// Entries kept at most; the cache is emptied when it is full (it refills within a second).
const CACHE_ENTRIES: usize = 10_000;

type CacheKey = (String, Option<String>);

/// Credentials resolved in the last `CACHE_FOR`, keyed by credential id and organisation header.
/// An entry holds the secret's hash, so only the exact credential that was checked can use it.
#[derive(Default)]
pub struct CredentialCache {
    entries: Mutex<HashMap<CacheKey, CacheEntry>>,
}

struct CacheEntry {
    at: Instant,
    secret_hash: [u8; 32],
    resolved: (OrgId, Scopes),
}

impl CredentialCache {
    fn get(&self, key: &CacheKey, credential: &Credential) -> Option<(OrgId, Scopes)> {
        let entries = self.entries.lock().expect("never poisoned");
        let entry = entries.get(key)?;
        let fresh = entry.at.elapsed() < CACHE_FOR && credential.matches(&entry.secret_hash);
        fresh.then(|| entry.resolved.clone())
    }

    fn put(&self, key: CacheKey, credential: &Credential, resolved: (OrgId, Scopes)) {
        let mut entries = self.entries.lock().expect("never poisoned");
        if entries.len() >= CACHE_ENTRIES {
            entries.clear();
        }
        let secret_hash = credential.secret_hash();
        entries.insert(
            key,
            CacheEntry {
                at: Instant::now(),
                secret_hash,
                resolved,
            },
        );
    }
}

fn bearer(headers: &HeaderMap) -> ApiResult<Credential> {
    let value = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized("Not authenticated"))?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized("Not authenticated"));
    }
    Credential::parse(token.trim()).ok_or(ApiError::Unauthorized("Invalid token"))
}

fn missing_scope(accepted: &[Scope]) -> ApiError {
    let names: Vec<_> = accepted.iter().map(|s| s.as_str()).collect();
    ApiError::Forbidden(format!(
        "Missing required scope: one of {}",
        names.join(", ")
    ))
}
