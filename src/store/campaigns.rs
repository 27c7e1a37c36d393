//! Campaigns: rows, addressing by id or external_id, conditional lifecycle updates, keyset lists.

use super::args;
use super::contacts::Counts;
use super::db::{Db, Row};
use super::{Cursor, StoreError, StoreResult, page};
use crate::domain::ids::{CampaignId, ConfigurationId, OrgId};
use crate::domain::status::{CampaignStatus, Lifecycle};
use serde::Serialize;
use std::ops::ControlFlow;

/// The writable fields of a campaign, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignFields {
    pub name: String,
    pub external_id: Option<String>,
    pub priority: i64,
    pub configuration_id: ConfigurationId,
}

/// A stored campaign, in the API's shape (field order as in the contract).
#[derive(Clone, Debug, Serialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub organization_id: OrgId,
    pub external_id: Option<String>,
    pub name: String,
    pub status: CampaignStatus,
    pub priority: i64,
    pub configuration_id: ConfigurationId,
    pub created_at: String,
    pub updated_at: String,
}

impl Campaign {
    pub fn fields(&self) -> CampaignFields {
        CampaignFields {
            name: self.name.clone(),
            external_id: self.external_id.clone(),
            priority: self.priority,
            configuration_id: self.configuration_id.clone(),
        }
    }
}

const COLUMNS: &str = "id, organization_id, external_id, name, status, priority, configuration_id, created_at, updated_at";

fn from_row(row: &Row<'_>) -> StoreResult<Campaign> {
    Ok(Campaign {
        id: row.get(0)?,
        organization_id: row.get(1)?,
        external_id: row.get(2)?,
        name: row.get(3)?,
        status: row.get(4)?,
        priority: row.get(5)?,
        configuration_id: row.get(6)?,
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

pub fn get(conn: &Db, org: &OrgId, id: &CampaignId) -> StoreResult<Option<Campaign>> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM campaigns WHERE id = ?1 AND organization_id = ?2"),
        args![id, org],
        from_row,
    )
}

fn by_external_id(conn: &Db, org: &OrgId, external_id: &str) -> StoreResult<Option<Campaign>> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM campaigns WHERE organization_id = ?1 AND external_id = ?2"),
        args![org, external_id],
        from_row,
    )
}

/// A path's `{id}` (docs/api.md §3): a campaign UUID of the organisation first, then its external_id.
pub fn resolve(conn: &Db, org: &OrgId, id_or_external: &str) -> StoreResult<Option<Campaign>> {
    if let Some(id) = CampaignId::parse(id_or_external)
        && let Some(campaign) = get(conn, org, &id)?
    {
        return Ok(Some(campaign));
    }
    by_external_id(conn, org, id_or_external)
}

/// A campaign with its contacts' counters and its organisation's calls: the stats route's reads.
#[derive(Clone, Debug)]
pub struct CampaignStats {
    pub campaign: Campaign,
    pub counts: Counts,
    pub concurrency_limit: i64,
    pub active_calls: i64,
}

/// `resolve`, with the campaign's counters and its organisation's calls read in the same
/// statement (on PostgreSQL each statement is a round trip: three made the route half as fast).
pub fn stats(conn: &Db, org: &OrgId, id_or_external: &str) -> StoreResult<Option<CampaignStats>> {
    let by = |column: &str, value: &str| {
        let campaign: Vec<String> = COLUMNS.split(", ").map(|c| format!("c.{c}")).collect();
        conn.query_opt(
            &format!(
                "SELECT {}, ifnull(n.pending, 0), ifnull(n.locked, 0), ifnull(n.in_progress, 0),
                        ifnull(n.completed, 0), ifnull(n.exhausted, 0), ifnull(n.attempts, 0),
                        o.concurrency_limit, o.active_calls
                 FROM campaigns c JOIN organizations o ON o.id = c.organization_id
                 LEFT JOIN contact_counts n ON n.organization_id = c.organization_id AND n.scope = c.id
                 WHERE c.organization_id = ?1 AND c.{column} = ?2",
                campaign.join(", ")
            ),
            args![org, value],
            |r| {
                Ok(CampaignStats {
                    campaign: from_row(r)?,
                    counts: Counts {
                        pending: r.get(9)?,
                        locked: r.get(10)?,
                        in_progress: r.get(11)?,
                        completed: r.get(12)?,
                        exhausted: r.get(13)?,
                        attempts: r.get(14)?,
                    },
                    concurrency_limit: r.get(15)?,
                    active_calls: r.get(16)?,
                })
            },
        )
    };
    if let Some(id) = CampaignId::parse(id_or_external)
        && let Some(found) = by("id", id.as_str())?
    {
        return Ok(Some(found));
    }
    by("external_id", id_or_external)
}

/// 409 when another campaign of the organisation already has `f.external_id`. Checked before the
/// write (the single writer makes that race-free) so the answer carries the contract's detail.
fn ensure_external_id_free(
    conn: &Db,
    org: &OrgId,
    f: &CampaignFields,
    own_id: Option<&CampaignId>,
) -> StoreResult<()> {
    let Some(external_id) = &f.external_id else {
        return Ok(());
    };
    match by_external_id(conn, org, external_id)? {
        Some(other) if Some(&other.id) != own_id => Err(StoreError::Conflict(format!(
            "A campaign with external_id '{external_id}' already exists"
        ))),
        _ => Ok(()),
    }
}

/// Inserts an `active` campaign. The caller has checked that the configuration is the org's.
pub fn create(conn: &Db, org: &OrgId, f: &CampaignFields, now: &str) -> StoreResult<Campaign> {
    ensure_external_id_free(conn, org, f, None)?;
    let id = CampaignId::new();
    conn.execute(
        &format!(
            "INSERT INTO campaigns ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6, ?7, ?7)"
        ),
        args![
            id,
            org,
            f.external_id,
            f.name,
            f.priority,
            f.configuration_id,
            now
        ],
    )?;
    get(conn, org, &id)?.ok_or(StoreError::NotFound)
}

/// Replaces the writable fields; `updated_at` moves only when a stored value changes. The caller
/// has refused closed campaigns and checked the configuration.
pub fn update(
    conn: &Db,
    org: &OrgId,
    id: &CampaignId,
    f: &CampaignFields,
    now: &str,
) -> StoreResult<Campaign> {
    ensure_external_id_free(conn, org, f, Some(id))?;
    let before = get(conn, org, id)?.ok_or(StoreError::NotFound)?;
    conn.execute(
        "UPDATE campaigns SET name = ?3, external_id = ?4, priority = ?5, configuration_id = ?6,
            updated_at = ?7
         WHERE id = ?1 AND organization_id = ?2
           AND (name, external_id, priority, configuration_id) IS DISTINCT FROM (?3, ?4, ?5, ?6)",
        args![
            id,
            org,
            f.name,
            f.external_id,
            f.priority,
            f.configuration_id,
            now
        ],
    )?;
    if before.configuration_id != f.configuration_id {
        super::dialing::reschedule_campaign(conn, org, id)?;
    }
    get(conn, org, id)?.ok_or(StoreError::NotFound)
}

/// Applies a lifecycle action with one conditional UPDATE, so concurrent actions cannot both
/// succeed from the same state. An action whose target is the current status (start of an active
/// campaign) changes nothing; one not allowed from the current status is `Refused`.
pub fn transition(
    conn: &Db,
    org: &OrgId,
    id: &CampaignId,
    action: Lifecycle,
    now: &str,
) -> StoreResult<Campaign> {
    // The names come from the domain type, never from the request.
    let allowed: Vec<String> = action
        .allowed_from()
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let target = action.target();
    let changed = conn.execute(
        &format!(
            "UPDATE campaigns SET status = ?3, updated_at = ?4
             WHERE id = ?1 AND organization_id = ?2 AND status IN ({}) AND status <> ?3",
            allowed.join(", ")
        ),
        args![id, org, target, now],
    )?;
    let campaign = get(conn, org, id)?.ok_or(StoreError::NotFound)?;
    if changed == 0 && !(campaign.status == target && action.allowed_from().contains(&target)) {
        return Err(StoreError::WrongState(action.refusal()));
    }
    Ok(campaign)
}

/// What a campaign list keeps.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Already lower-cased; matched as a plain substring of the lower-cased name.
    pub name: Option<String>,
    /// Empty: every status.
    pub statuses: Vec<CampaignStatus>,
}

/// Newest first, after `after`. The status filter runs in SQL; the name filter runs here while
/// the index is walked, since SQLite's `lower()` and `LIKE` fold ASCII only and `LIKE` gives `%`
/// and `_` a meaning. `limit + 1` matches are read to know whether another page follows.
pub fn list(
    conn: &Db,
    org: &OrgId,
    limit: usize,
    after: Option<&Cursor>,
    filter: &ListFilter,
) -> StoreResult<(Vec<Campaign>, Option<String>)> {
    let (created_at, id) = after.map_or(("\u{10ffff}", ""), |c| {
        (c.created_at.as_str(), c.id.as_str())
    });
    // Three status slots; unused ones are NULL, which `IN` never matches.
    let statuses: [Option<CampaignStatus>; 3] = [
        CampaignStatus::Active,
        CampaignStatus::Paused,
        CampaignStatus::Closed,
    ]
    .map(|status| {
        let wanted = filter.statuses.is_empty() || filter.statuses.contains(&status);
        wanted.then_some(status)
    });
    let mut found = Vec::new();
    let sql = format!(
        "SELECT {COLUMNS} FROM campaigns
         WHERE organization_id = ?1 AND (created_at, id) < (?2, ?3) AND status IN (?4, ?5, ?6)
         ORDER BY created_at DESC, id DESC"
    );
    let args = args![org, created_at, id, statuses[0], statuses[1], statuses[2]];
    conn.each(&sql, args, |row| {
        let campaign = from_row(row)?;
        let name_matches = filter
            .name
            .as_deref()
            .is_none_or(|needle| campaign.name.to_lowercase().contains(needle));
        if name_matches {
            found.push(campaign);
        }
        Ok(if found.len() > limit {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    })?;
    Ok(page(found, limit, |c| Cursor {
        created_at: c.created_at.clone(),
        id: c.id.to_string(),
    }))
}
