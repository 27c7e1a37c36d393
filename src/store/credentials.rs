//! API keys, users, memberships and personal tokens. Nothing is cached: a revocation, expiry or
//! membership change is seen by the next request.

use super::args;
use super::db::Db;
use super::{StoreError, StoreResult};
use crate::domain::credential::{Credential, Kind};
use crate::domain::ids::OrgId;
use crate::domain::scope::{Role, Scopes};

/// Who a valid credential speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// An organisation API key: bound to one organisation.
    Key {
        organization_id: OrgId,
        scopes: Scopes,
    },
    /// A personal token: its user's role in the named organisation, narrowed to `scopes` if set.
    User {
        name: String,
        scopes: Option<Scopes>,
    },
}

/// Finds the live credential with this id and checks its secret in constant time.
pub fn authenticate(
    conn: &Db,
    credential: &Credential,
    now: &str,
) -> StoreResult<Option<Principal>> {
    let sql = match credential.kind {
        Kind::ApiKey => {
            "SELECT secret_sha256, organization_id, scopes FROM api_keys
             WHERE key_id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)"
        }
        Kind::PersonalToken => {
            "SELECT secret_sha256, user_name, scopes FROM personal_tokens
             WHERE token_id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)"
        }
    };
    let row = conn.query_opt(sql, args![credential.id, now], |row| {
        Ok((
            row.get::<Vec<u8>>(0)?,
            row.get::<String>(1)?,
            row.get::<Option<String>>(2)?,
        ))
    })?;
    let Some((hash, owner, scopes)) = row else {
        return Ok(None);
    };
    if !credential.matches(&hash) {
        return Ok(None);
    }
    let scopes = scopes
        .map(|s| Scopes::parse_list(&s))
        .transpose()
        .map_err(StoreError::Corrupt)?;
    Ok(Some(match credential.kind {
        Kind::ApiKey => Principal::Key {
            organization_id: OrgId::from_stored(owner),
            scopes: scopes.unwrap_or_default(),
        },
        Kind::PersonalToken => Principal::User {
            name: owner,
            scopes,
        },
    }))
}

/// Whether an API key with this id exists (live or not).
pub fn key_exists(conn: &Db, key_id: &str) -> StoreResult<bool> {
    Ok(conn
        .query_opt(
            "SELECT 1 FROM api_keys WHERE key_id = ?1",
            args![key_id],
            |_| Ok(()),
        )?
        .is_some())
}

/// The user's role in the organisation, if a member.
pub fn role(conn: &Db, user: &str, organization_id: &OrgId) -> StoreResult<Option<Role>> {
    let role: Option<String> = conn.query_opt(
        "SELECT role FROM memberships WHERE user_name = ?1 AND organization_id = ?2",
        args![user, organization_id],
        |row| row.get(0),
    )?;
    role.map(|r| r.parse().map_err(StoreError::Corrupt))
        .transpose()
}

pub struct NewKey<'a> {
    pub organization_id: &'a OrgId,
    pub name: &'a str,
    pub scopes: Scopes,
    pub expires_at: Option<String>,
}

pub fn create_key(conn: &Db, key: &Credential, new: &NewKey<'_>, now: &str) -> StoreResult<()> {
    conn.execute("INSERT INTO api_keys (key_id, organization_id, name, secret_sha256, scopes, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", args![key.id, new.organization_id, new.name, &key.secret_hash()[..], new.scopes.to_string(), now, new.expires_at])
    .map_err(|e| e.conflict_if_constraint("a key with that id already exists"))?;
    Ok(())
}

#[derive(Debug)]
pub struct KeyInfo {
    pub key_id: String,
    pub name: String,
    pub scopes: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

pub fn list_keys(conn: &Db, organization_id: &OrgId) -> StoreResult<Vec<KeyInfo>> {
    conn.query(
        "SELECT key_id, name, scopes, created_at, expires_at, revoked_at FROM api_keys
         WHERE organization_id = ?1 ORDER BY created_at, key_id",
        args![organization_id],
        |row| {
            Ok(KeyInfo {
                key_id: row.get(0)?,
                name: row.get(1)?,
                scopes: row.get(2)?,
                created_at: row.get(3)?,
                expires_at: row.get(4)?,
                revoked_at: row.get(5)?,
            })
        },
    )
}

/// Revokes a key or token by id; NotFound when there is no live one.
pub fn revoke(conn: &Db, kind: Kind, id: &str, now: &str) -> StoreResult<()> {
    let sql = match kind {
        Kind::ApiKey => {
            "UPDATE api_keys SET revoked_at = ?2 WHERE key_id = ?1 AND revoked_at IS NULL"
        }
        Kind::PersonalToken => {
            "UPDATE personal_tokens SET revoked_at = ?2 WHERE token_id = ?1 AND revoked_at IS NULL"
        }
    };
    match conn.execute(sql, args![id, now])? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub fn create_user(conn: &Db, name: &str, now: &str) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO users (name, created_at) VALUES (?1, ?2)",
        args![name, now],
    )
    .map_err(|e| e.conflict_if_constraint("a user with that name already exists"))?;
    Ok(())
}

/// Adds the user to the organisation, or changes their role there.
pub fn set_membership(
    conn: &Db,
    user: &str,
    organization_id: &OrgId,
    role: Role,
) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO memberships (user_name, organization_id, role) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_name, organization_id) DO UPDATE SET role = excluded.role",
        args![user, organization_id, role.as_str()],
    )
    .map_err(|e| e.conflict_if_constraint("no such user or organisation"))?;
    Ok(())
}

pub fn remove_membership(conn: &Db, user: &str, organization_id: &OrgId) -> StoreResult<()> {
    match conn.execute(
        "DELETE FROM memberships WHERE user_name = ?1 AND organization_id = ?2",
        args![user, organization_id],
    )? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub fn create_token(
    conn: &Db,
    token: &Credential,
    user: &str,
    scopes: Option<Scopes>,
    expires_at: Option<String>,
    now: &str,
) -> StoreResult<()> {
    conn.execute("INSERT INTO personal_tokens (token_id, user_name, secret_sha256, scopes, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)", args![token.id, user, &token.secret_hash()[..], scopes.map(|s| s.to_string()), now, expires_at])
    .map_err(|e| e.conflict_if_constraint("no such user"))?;
    Ok(())
}
