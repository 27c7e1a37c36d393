//! Credentials → the organisation a request acts for, and its scopes (spec §2).

use super::error::{ApiError, ApiResult};
use crate::domain::credential::Credential;
use crate::domain::scope::{Scope, Scopes};
use crate::domain::time;
use crate::store::Store;
use crate::store::credentials::{self, Principal};
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

pub const READ: &[Scope] = &[Scope::CampaignsRead, Scope::CampaignsManage];
pub const MANAGE: &[Scope] = &[Scope::CampaignsManage];
pub const CONCURRENCY_READ: &[Scope] = &[
    Scope::CampaignsRead,
    Scope::CampaignsManage,
    Scope::ConcurrencyRead,
    Scope::ConcurrencyManage,
];
pub const CONCURRENCY_MANAGE: &[Scope] = &[Scope::CampaignsManage, Scope::ConcurrencyManage];

/// The organisation a request acts for (empty for routes that are not organisation-scoped).
#[derive(Clone, Debug)]
pub struct Caller {
    pub org: String,
}

/// Checks the credential, organisation and scope, in the spec's order. The lookup reads the
/// database every time, so revocations and membership changes apply to the next request.
pub async fn authorize(store: &Store, headers: &HeaderMap, access: Access) -> ApiResult<Caller> {
    let required = match access {
        Access::Public => return Ok(Caller { org: String::new() }),
        Access::AnyCredential => None,
        Access::Org(scopes) => Some(scopes),
    };
    let credential = bearer(headers)?;
    let org_header = headers
        .get("x-anyreach-org")
        .map(|v| v.to_str().unwrap_or("").to_string());

    store
        .read(move |conn| {
            let principal = credentials::authenticate(conn, &credential, &time::now_text())?;
            Ok((|| {
                let principal = principal.ok_or(ApiError::Unauthorized("Invalid token"))?;
                let Some(accepted) = required else {
                    return Ok(Caller { org: String::new() });
                };
                let (org, scopes) = match principal {
                    Principal::Key {
                        organization_id,
                        scopes,
                    } => {
                        if org_header
                            .as_ref()
                            .is_some_and(|named| *named != organization_id)
                        {
                            return Err(ApiError::Forbidden(
                                "API key does not belong to this organization".into(),
                            ));
                        }
                        (organization_id, scopes)
                    }
                    Principal::User { name, scopes } => {
                        let org = org_header.ok_or(ApiError::Unauthorized(
                            "Token is missing organization claim",
                        ))?;
                        let role = credentials::role(conn, &name, &org)
                            .map_err(ApiError::from)?
                            .ok_or_else(|| {
                                ApiError::Forbidden("Not a member of this organization".into())
                            })?;
                        let scopes =
                            scopes.map_or(role.scopes(), |own| own.intersect(role.scopes()));
                        (org, scopes)
                    }
                };
                if !scopes.allows_any(accepted) {
                    return Err(missing_scope(accepted));
                }
                Ok(Caller { org })
            })())
        })
        .await?
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

/// Scopes in a form the OpenAPI document and the docs can show.
pub fn describe(accepted: &[Scope]) -> String {
    Scopes::of(accepted).to_string().replace(' ', ", ")
}
