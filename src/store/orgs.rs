//! Organisations and their concurrency limit.

use super::args;
use super::db::Db;
use super::{StoreError, StoreResult};
use crate::domain::ids::OrgId;

pub const DEFAULT_ORG: &str = "org_default";

/// `DEFAULT_ORG` as an id.
pub fn default_org() -> OrgId {
    OrgId::parse(DEFAULT_ORG).expect("a valid organisation id")
}

pub fn create(conn: &Db, id: &OrgId, name: &str, now: &str) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO organizations (id, name, created_at) VALUES (?1, ?2, ?3)",
        args![id, name, now],
    )
    .map_err(|e| e.conflict_if_constraint("an organisation with that id already exists"))?;
    Ok(())
}

pub fn exists(conn: &Db, id: &OrgId) -> StoreResult<bool> {
    Ok(conn
        .query_opt(
            "SELECT 1 FROM organizations WHERE id = ?1",
            args![id],
            |_| Ok(()),
        )?
        .is_some())
}

pub fn is_empty(conn: &Db) -> StoreResult<bool> {
    Ok(
        !conn.query_one("SELECT EXISTS (SELECT 1 FROM organizations)", &[], |r| {
            r.get(0)
        })?,
    )
}

/// (id, name, created_at) of every organisation.
pub fn list(conn: &Db) -> StoreResult<Vec<(OrgId, String, String)>> {
    conn.query(
        "SELECT id, name, created_at FROM organizations ORDER BY id",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// The concurrency limit and the calls up right now.
pub fn concurrency(conn: &Db, id: &OrgId) -> StoreResult<(i64, i64)> {
    conn.query_opt(
        "SELECT concurrency_limit, active_calls FROM organizations WHERE id = ?1",
        args![id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?
    .ok_or(StoreError::NotFound)
}

pub fn set_concurrency_limit(conn: &Db, id: &OrgId, limit: i64) -> StoreResult<()> {
    conn.execute(
        "UPDATE organizations SET concurrency_limit = ?2 WHERE id = ?1",
        args![id, limit],
    )?;
    Ok(())
}
