//! Campaigns. (Placeholder lookup until the campaigns branch lands.)

use super::StoreResult;
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Clone, Debug)]
pub struct Campaign {
    pub id: String,
    pub status: String,
    pub configuration_id: String,
}

pub fn resolve(
    conn: &Connection,
    org: &str,
    id_or_external: &str,
) -> StoreResult<Option<Campaign>> {
    let row = |r: &rusqlite::Row<'_>| {
        Ok(Campaign {
            id: r.get(0)?,
            status: r.get(1)?,
            configuration_id: r.get(2)?,
        })
    };
    if let Some(id) = crate::domain::ids::parse_uuid(id_or_external) {
        let found = conn
            .prepare_cached("SELECT id, status, configuration_id FROM campaigns WHERE organization_id = ?1 AND id = ?2")?
            .query_row(params![org, id], row)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(conn
        .prepare_cached("SELECT id, status, configuration_id FROM campaigns WHERE organization_id = ?1 AND external_id = ?2")?
        .query_row(params![org, id_or_external], row)
        .optional()?)
}
