//! Dialing configurations: calling windows, retry policy, default agent.

use super::args;
use super::db::{Db, Row};
use super::{Cursor, StoreError, StoreResult, page};
use crate::domain::ids::{CampaignId, ConfigurationId, OrgId};
use crate::domain::schedule::{
    self, Schedule, ScheduleOverride, TimeWindow, overrides_json, windows_json,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The writable fields of a configuration, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigurationFields {
    pub name: String,
    pub default_timezone: String,
    pub default_windows: Vec<TimeWindow>,
    pub overrides: Vec<ScheduleOverride>,
    pub scheduled_windows: Option<Vec<TimeWindow>>,
    pub scheduled_overrides: Option<Vec<ScheduleOverride>>,
    pub default_country_code: String,
    pub max_attempts: i64,
    pub retry_delay_minutes: i64,
    pub agent_id: Option<String>,
    pub agent_version: Option<i64>,
    pub agent_number: Option<String>,
}

/// A stored configuration, in the API's shape.
#[derive(Clone, Debug, Serialize)]
pub struct Configuration {
    pub id: ConfigurationId,
    pub organization_id: OrgId,
    pub name: String,
    pub default_timezone: String,
    pub default_windows: Value,
    pub overrides: Value,
    pub scheduled_windows: Option<Value>,
    pub scheduled_overrides: Option<Value>,
    pub default_country_code: String,
    pub max_attempts: i64,
    pub retry_delay_minutes: i64,
    pub agent_id: Option<String>,
    pub agent_version: Option<i64>,
    pub agent_number: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, organization_id, name, default_timezone, default_windows, overrides, \
    scheduled_windows, scheduled_overrides, default_country_code, max_attempts, retry_delay_minutes, \
    agent_id, agent_version, agent_number, created_at, updated_at";

fn json_column(row: &Row<'_>, index: usize) -> StoreResult<Option<Value>> {
    let text: Option<String> = row.get(index)?;
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| StoreError::Corrupt(format!("configuration column {index}: {e}")))
    })
    .transpose()
}

fn from_row(row: &Row<'_>) -> StoreResult<Configuration> {
    Ok(Configuration {
        id: row.get(0)?,
        organization_id: row.get(1)?,
        name: row.get(2)?,
        default_timezone: row.get(3)?,
        default_windows: json_column(row, 4)?.unwrap_or_default(),
        overrides: json_column(row, 5)?.unwrap_or_default(),
        scheduled_windows: json_column(row, 6)?,
        scheduled_overrides: json_column(row, 7)?,
        default_country_code: row.get(8)?,
        max_attempts: row.get(9)?,
        retry_delay_minutes: row.get(10)?,
        agent_id: row.get(11)?,
        agent_version: row.get(12)?,
        agent_number: row.get(13)?,
        created_at: row.get(14)?,
        updated_at: row.get(15)?,
    })
}

/// The stored JSON texts of the schedule fields.
fn schedule_texts(f: &ConfigurationFields) -> [Option<String>; 4] {
    [
        Some(windows_json(&f.default_windows).to_string()),
        Some(overrides_json(&f.overrides).to_string()),
        f.scheduled_windows
            .as_deref()
            .map(|w| windows_json(w).to_string()),
        f.scheduled_overrides
            .as_deref()
            .map(|o| overrides_json(o).to_string()),
    ]
}

pub fn create(
    conn: &Db,
    org: &OrgId,
    f: &ConfigurationFields,
    now: &str,
) -> StoreResult<Configuration> {
    let id = ConfigurationId::new();
    let [windows, overrides, scheduled_windows, scheduled_overrides] = schedule_texts(f);
    conn.execute(&format!(
        "INSERT INTO configurations ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)"
    ), args![
        id, org, f.name, f.default_timezone, windows, overrides, scheduled_windows, scheduled_overrides,
        f.default_country_code, f.max_attempts, f.retry_delay_minutes, f.agent_id, f.agent_version,
        f.agent_number, now
    ])?;
    get(conn, org, &id)?.ok_or(StoreError::NotFound)
}

pub fn get(conn: &Db, org: &OrgId, id: &ConfigurationId) -> StoreResult<Option<Configuration>> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM configurations WHERE id = ?1 AND organization_id = ?2"),
        args![id, org],
        from_row,
    )
}

pub fn exists(conn: &Db, org: &OrgId, id: &ConfigurationId) -> StoreResult<bool> {
    Ok(conn
        .query_opt(
            "SELECT 1 FROM configurations WHERE id = ?1 AND organization_id = ?2",
            args![id, org],
            |_| Ok(()),
        )?
        .is_some())
}

/// Newest first; `limit + 1` rows are read to know whether another page follows.
pub fn list(
    conn: &Db,
    org: &OrgId,
    limit: usize,
    after: Option<&Cursor>,
) -> StoreResult<(Vec<Configuration>, Option<String>)> {
    let (created_at, id) = after.map_or(("\u{10ffff}", ""), |c| {
        (c.created_at.as_str(), c.id.as_str())
    });
    let rows = conn
        .query(&format!(
            "SELECT {COLUMNS} FROM configurations WHERE organization_id = ?1 AND (created_at, id) < (?2, ?3)
             ORDER BY created_at DESC, id DESC LIMIT ?4"
        ), args![org, created_at, id, limit as i64 + 1], from_row)?;
    Ok(page(rows, limit, |c| Cursor {
        created_at: c.created_at.clone(),
        id: c.id.to_string(),
    }))
}

/// Replaces the writable fields; `updated_at` moves only when a stored value changes.
pub fn update(
    conn: &Db,
    org: &OrgId,
    id: &ConfigurationId,
    f: &ConfigurationFields,
    now: &str,
) -> StoreResult<Configuration> {
    let before = get(conn, org, id)?;
    let [windows, overrides, scheduled_windows, scheduled_overrides] = schedule_texts(f);
    conn.execute("UPDATE configurations SET name = ?3, default_timezone = ?4, default_windows = ?5, overrides = ?6,
            scheduled_windows = ?7, scheduled_overrides = ?8, default_country_code = ?9, max_attempts = ?10,
            retry_delay_minutes = ?11, agent_id = ?12, agent_version = ?13, agent_number = ?14, updated_at = ?15
         WHERE id = ?1 AND organization_id = ?2
           AND (name, default_timezone, default_windows, overrides, scheduled_windows, scheduled_overrides,
                default_country_code, max_attempts, retry_delay_minutes, agent_id, agent_version, agent_number)
               IS DISTINCT FROM (?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", args![
        id, org, f.name, f.default_timezone, windows, overrides, scheduled_windows, scheduled_overrides,
        f.default_country_code, f.max_attempts, f.retry_delay_minutes, f.agent_id, f.agent_version,
        f.agent_number, now
    ])?;
    let updated = get(conn, org, id)?.ok_or(StoreError::NotFound)?;
    if schedule_changed(before.as_ref(), &updated) {
        super::dialing::reschedule_configuration(conn, org, id)?;
    }
    Ok(updated)
}

/// True when the calling windows or the default time zone differ.
fn schedule_changed(before: Option<&Configuration>, after: &Configuration) -> bool {
    before.is_none_or(|b| {
        (
            &b.default_timezone,
            &b.default_windows,
            &b.overrides,
            &b.scheduled_windows,
            &b.scheduled_overrides,
        ) != (
            &after.default_timezone,
            &after.default_windows,
            &after.overrides,
            &after.scheduled_windows,
            &after.scheduled_overrides,
        )
    })
}

/// Deletes an unused configuration; 409 while any campaign (closed ones too) uses it.
pub fn delete(conn: &Db, org: &OrgId, id: &ConfigurationId) -> StoreResult<()> {
    if !exists(conn, org, id)? {
        return Err(StoreError::NotFound);
    }
    let users: i64 = conn.query_one(
        "SELECT count(*) FROM campaigns WHERE configuration_id = ?1",
        args![id],
        |r| r.get(0),
    )?;
    if users > 0 {
        return Err(StoreError::ConfigurationInUse(users));
    }
    conn.execute(
        "DELETE FROM configurations WHERE id = ?1 AND organization_id = ?2",
        args![id, org],
    )?;
    Ok(())
}

/// What a configuration asks of its campaigns' calls.
#[derive(Clone, Debug)]
pub struct Rules {
    pub configuration_id: ConfigurationId,
    pub schedule: Schedule,
    pub max_attempts: i64,
    pub retry_delay_minutes: i64,
    pub agent_id: Option<String>,
    pub agent_version: Option<i64>,
    pub agent_number: Option<String>,
}

impl Rules {
    pub fn read(conn: &Db, configuration_id: &ConfigurationId) -> StoreResult<Rules> {
        conn.query_opt("SELECT default_timezone, default_windows, overrides, scheduled_windows, scheduled_overrides,
                    max_attempts, retry_delay_minutes, agent_id, agent_version, agent_number
             FROM configurations WHERE id = ?1", args![configuration_id], |r| {
            let json = |i: usize| -> StoreResult<Option<serde_json::Value>> {
                Ok(r.get::<Option<String>>(i)?
                    .and_then(|text| serde_json::from_str(&text).ok()))
            };
            Ok(Rules {
                configuration_id: configuration_id.clone(),
                schedule: Schedule {
                    default_timezone: r.get(0)?,
                    default_windows: json(1)?
                        .and_then(|v| schedule::windows_from_json(&v))
                        .unwrap_or_default(),
                    overrides: json(2)?
                        .and_then(|v| schedule::overrides_from_json(&v))
                        .unwrap_or_default(),
                    scheduled_windows: json(3)?.and_then(|v| schedule::windows_from_json(&v)),
                    scheduled_overrides: json(4)?.and_then(|v| schedule::overrides_from_json(&v)),
                },
                max_attempts: r.get(5)?,
                retry_delay_minutes: r.get(6)?,
                agent_id: r.get(7)?,
                agent_version: r.get(8)?,
                agent_number: r.get(9)?,
            })
        })?
        .ok_or(StoreError::NotFound)
    }

    /// The rules of a campaign's configuration; `None` for ad-hoc contacts.
    pub fn of_campaign(conn: &Db, campaign_id: Option<&CampaignId>) -> StoreResult<Option<Rules>> {
        let Some(campaign_id) = campaign_id else {
            return Ok(None);
        };
        let configuration_id: ConfigurationId = conn.query_one(
            "SELECT configuration_id FROM campaigns WHERE id = ?1",
            args![campaign_id],
            |r| r.get(0),
        )?;
        Rules::read(conn, &configuration_id).map(Some)
    }
}

/// The rules of the campaigns met within one transaction, read once each.
#[derive(Default)]
pub struct RulesCache(HashMap<CampaignId, Option<Arc<Rules>>>);

impl RulesCache {
    pub fn of_campaign(
        &mut self,
        conn: &Db,
        campaign_id: Option<&CampaignId>,
    ) -> StoreResult<Option<Arc<Rules>>> {
        let Some(campaign_id) = campaign_id else {
            return Ok(None);
        };
        if let Some(rules) = self.0.get(campaign_id) {
            return Ok(rules.clone());
        }
        let rules = Rules::of_campaign(conn, Some(campaign_id))?.map(Arc::new);
        self.0.insert(campaign_id.clone(), rules.clone());
        Ok(rules)
    }
}
