//! Organisations and their concurrency limit.

use super::credentials::unique_violation;
use super::{StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, params};

pub const DEFAULT_ORG: &str = "org_default";

pub fn create(conn: &Connection, id: &str, name: &str, now: &str) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO organizations (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![id, name, now],
    )
    .map_err(|e| unique_violation(e, "an organisation with that id already exists"))?;
    Ok(())
}

pub fn exists(conn: &Connection, id: &str) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM organizations WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn is_empty(conn: &Connection) -> StoreResult<bool> {
    Ok(
        !conn.query_row("SELECT EXISTS (SELECT 1 FROM organizations)", [], |r| {
            r.get(0)
        })?,
    )
}

/// (id, name, created_at) of every organisation.
pub fn list(conn: &Connection) -> StoreResult<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare("SELECT id, name, created_at FROM organizations ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The concurrency limit and the calls up right now.
pub fn concurrency(conn: &Connection, id: &str) -> StoreResult<(i64, i64)> {
    conn.prepare_cached("SELECT concurrency_limit, active_calls FROM organizations WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub fn set_concurrency_limit(conn: &Connection, id: &str, limit: i64) -> StoreResult<()> {
    conn.prepare_cached("UPDATE organizations SET concurrency_limit = ?2 WHERE id = ?1")?
        .execute(params![id, limit])?;
    Ok(())
}
