//! Contacts of a campaign (or the organisation's ad-hoc contacts), their attempts, and the
//! counters that stats and list totals read instead of scanning.

use super::args;
use super::configurations::Rules;
use super::db::{Db, Row, Value, insert_chunks, placeholders};
use super::{StoreError, StoreResult};
use crate::domain::ids::{AttemptId, CampaignId, ContactId, OrgId};
use crate::domain::phone::{E164, Region};
use crate::domain::schedule::{self, Schedule};
use crate::domain::status::{AttemptStatus, CampaignStatus, ContactStatus, Outcome};
use crate::domain::time;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// Where contacts live: a campaign, or the organisation's ad-hoc contacts (`default`).
#[derive(Clone, Debug)]
pub struct Scope {
    pub org: OrgId,
    /// `None` for ad-hoc contacts.
    pub campaign_id: Option<CampaignId>,
}

/// Where an upsert or import writes, and the rules that come with it.
#[derive(Clone, Debug)]
pub struct Target {
    pub scope: Scope,
    /// Region for numbers without `+`; `None` for ad-hoc contacts (E.164 only).
    pub region: Option<Region>,
    /// The campaign is closed (checked again inside the write, by `ensure_open`).
    pub closed: bool,
}

/// Resolves a campaign's `{id}` (UUID, external_id, or `default` for the ad-hoc contacts) in
/// `org`: `None` when there is no such campaign. Numbers are read in the configuration's region
/// (US when it has none the phone metadata knows).
pub fn target(conn: &Db, org: &OrgId, id: &str) -> StoreResult<Option<Target>> {
    let scope = |campaign_id| Scope {
        org: org.clone(),
        campaign_id,
    };
    if id == "default" {
        return Ok(Some(Target {
            scope: scope(None),
            region: None,
            closed: false,
        }));
    }
    let Some(campaign) = super::campaigns::resolve(conn, org, id)? else {
        return Ok(None);
    };
    let configuration = super::configurations::get(conn, org, &campaign.configuration_id)?
        .ok_or(StoreError::NotFound)?;
    Ok(Some(Target {
        closed: campaign.status == CampaignStatus::Closed,
        scope: scope(Some(campaign.id)),
        region: Some(Region::parse(&configuration.default_country_code).unwrap_or(Region::US)),
    }))
}

impl Scope {
    /// The key of the scope's counters row and external-id namespace.
    pub(crate) fn key(&self) -> &str {
        self.campaign_id.as_ref().map_or("", CampaignId::as_str)
    }
}

/// A contact in the API's shape. JSON columns are passed through as stored, so `data` comes back
/// exactly as it was sent.
#[derive(Debug, Serialize)]
pub struct Contact {
    pub id: ContactId,
    pub campaign_id: Option<CampaignId>,
    pub external_id: Option<String>,
    pub phone_numbers: Box<RawValue>,
    pub data: Box<RawValue>,
    pub timezone: Option<String>,
    pub scheduled_at: Option<String>,
    pub agent_id: Option<String>,
    pub agent_config: Option<Box<RawValue>>,
    pub agent_number: Option<String>,
    pub agent_version: Option<i64>,
    pub initial_context: Option<String>,
    pub status: ContactStatus,
    pub attempt_count: i64,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub attempts: Vec<Attempt>,
    #[serde(skip)]
    seq: i64,
}

#[derive(Debug, Serialize)]
pub struct Attempt {
    pub id: AttemptId,
    pub phone_number: String,
    pub conversation_id: Option<String>,
    pub status: AttemptStatus,
    pub outcome: Option<Outcome>,
    pub started_at: String,
    pub ended_at: Option<String>,
}

const COLUMNS: &str = "seq, id, campaign_id, external_id, phone_numbers, data, timezone, scheduled_at, \
    agent_id, agent_config, agent_number, agent_version, initial_context, status, attempt_count, \
    next_attempt_at, created_at, updated_at";

fn raw(text: String) -> StoreResult<Box<RawValue>> {
    RawValue::from_string(text).map_err(|e| StoreError::Corrupt(format!("contact JSON: {e}")))
}

fn from_row(row: &Row<'_>) -> StoreResult<Contact> {
    Ok(Contact {
        seq: row.get(0)?,
        id: row.get(1)?,
        campaign_id: row.get(2)?,
        external_id: row.get(3)?,
        phone_numbers: raw(row.get(4)?)?,
        data: raw(row.get(5)?)?,
        timezone: row.get(6)?,
        scheduled_at: row.get(7)?,
        agent_id: row.get(8)?,
        agent_config: row.get::<Option<String>>(9)?.map(raw).transpose()?,
        agent_number: row.get(10)?,
        agent_version: row.get(11)?,
        initial_context: row.get(12)?,
        status: row.get(13)?,
        attempt_count: row.get(14)?,
        next_attempt_at: row.get(15)?,
        created_at: row.get(16)?,
        updated_at: row.get(17)?,
        attempts: Vec::new(),
    })
}

/// Fills each contact's `attempts` (oldest first) with one query over the page's range.
fn with_attempts(conn: &Db, mut contacts: Vec<Contact>) -> StoreResult<Vec<Contact>> {
    let (Some(first), Some(last)) = (contacts.first(), contacts.last()) else {
        return Ok(contacts);
    };
    let (low, high) = (first.seq.min(last.seq), first.seq.max(last.seq));
    conn.query(
        "SELECT contact_seq, id, phone_number, conversation_id, status, outcome, started_at, ended_at
         FROM attempts WHERE contact_seq BETWEEN ?1 AND ?2 ORDER BY contact_seq, started_at, id",
        args![low, high],
        |row| {
        let seq: i64 = row.get(0)?;
        if let Some(contact) = contacts.iter_mut().find(|c| c.seq == seq) {
            contact.attempts.push(Attempt {
                id: row.get(1)?,
                phone_number: row.get(2)?,
                conversation_id: row.get(3)?,
                status: row.get(4)?,
                outcome: row.get(5)?,
                started_at: row.get(6)?,
                ended_at: row.get(7)?,
            });
        }
        Ok(())
    })?;
    Ok(contacts)
}

/// The contact `id` of the scope, with its attempts.
pub fn get(conn: &Db, scope: &Scope, id: &ContactId) -> StoreResult<Option<Contact>> {
    let found = conn
        .query_opt(&format!(
            "SELECT {COLUMNS} FROM contacts WHERE organization_id = ?1 AND id = ?2 AND campaign_id IS ?3"
        ), args![scope.org, id, scope.campaign_id], from_row)?;
    Ok(with_attempts(conn, found.into_iter().collect())?.pop())
}

/// Finds a contact by UUID first, then by external_id, within the scope.
pub fn resolve(conn: &Db, scope: &Scope, id_or_external: &str) -> StoreResult<Option<Contact>> {
    if let Some(id) = ContactId::parse(id_or_external)
        && let Some(contact) = get(conn, scope, &id)?
    {
        return Ok(Some(contact));
    }
    let found = conn.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM contacts
             WHERE organization_id = ?1 AND ifnull(campaign_id, '') = ?2 AND external_id = ?3"
        ),
        args![scope.org, scope.key(), id_or_external],
        from_row,
    )?;
    Ok(with_attempts(conn, found.into_iter().collect())?.pop())
}

/// Counts by status, and attempts, of a scope.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub pending: i64,
    pub locked: i64,
    pub in_progress: i64,
    pub completed: i64,
    pub exhausted: i64,
    pub attempts: i64,
}

impl Counts {
    pub fn of_status(&self, status: ContactStatus) -> i64 {
        match status {
            ContactStatus::Pending => self.pending,
            ContactStatus::Locked => self.locked,
            ContactStatus::InProgress => self.in_progress,
            ContactStatus::Completed => self.completed,
            ContactStatus::Exhausted => self.exhausted,
        }
    }

    pub fn total(&self) -> i64 {
        self.pending + self.locked + self.in_progress + self.completed + self.exhausted
    }
}

pub fn counts(conn: &Db, scope: &Scope) -> StoreResult<Counts> {
    Ok(conn
        .query_opt("SELECT pending, locked, in_progress, completed, exhausted, attempts FROM contact_counts
             WHERE organization_id = ?1 AND scope = ?2", args![scope.org, scope.key()], |r| {
            Ok(Counts {
                pending: r.get(0)?,
                locked: r.get(1)?,
                in_progress: r.get(2)?,
                completed: r.get(3)?,
                exhausted: r.get(4)?,
                attempts: r.get(5)?,
            })
        })?
        .unwrap_or_default())
}

/// Where a page starts: an offset, or after a given contact (keyset).
#[derive(Clone, Debug)]
pub enum PageStart {
    Offset(i64),
    After(ContactId),
}

/// A page of contacts in insertion order, with the filter's total (from the counters).
pub fn list(
    conn: &Db,
    scope: &Scope,
    statuses: &[ContactStatus],
    start: &PageStart,
    limit: i64,
) -> StoreResult<(Vec<Contact>, i64)> {
    let counts = counts(conn, scope)?;
    let total = if statuses.is_empty() {
        counts.total()
    } else {
        statuses.iter().map(|&s| counts.of_status(s)).sum()
    };
    let (after_seq, offset) = match start {
        PageStart::Offset(offset) => (0, *offset),
        PageStart::After(id) => {
            let seq: Option<i64> = conn
                .query_opt("SELECT seq FROM contacts WHERE organization_id = ?1 AND id = ?2 AND campaign_id IS ?3", args![scope.org, id, scope.campaign_id], |r| r.get(0))?;
            (seq.ok_or(StoreError::NotFound)?, 0)
        }
    };
    let status_filter = if statuses.is_empty() {
        String::new()
    } else {
        format!(" AND status IN ({})", vec!["?"; statuses.len()].join(", "))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM contacts
         WHERE organization_id = ? AND campaign_id IS ? AND seq > ?{status_filter}
         ORDER BY seq LIMIT ? OFFSET ?"
    );
    let mut values: Vec<&dyn Value> = vec![&scope.org, &scope.campaign_id, &after_seq];
    values.extend(statuses.iter().map(|s| s as &dyn Value));
    values.extend([&limit as &dyn Value, &offset]);
    let contacts = conn.query(&sql, &values, from_row)?;
    Ok((with_attempts(conn, contacts)?, total))
}

/// Deletes a contact (and its attempts); 409 while it is being dialled.
pub fn delete(conn: &Db, scope: &Scope, id_or_external: &str) -> StoreResult<()> {
    let contact = resolve(conn, scope, id_or_external)?.ok_or(StoreError::NotFound)?;
    if contact.status.is_dialling() {
        return Err(StoreError::ContactBeingDialled);
    }
    conn.execute("DELETE FROM contacts WHERE seq = ?1", args![contact.seq])?;
    Ok(())
}

/// Refuses a write into a closed campaign. Called inside the write transaction, so a campaign
/// closed after the request was checked still refuses it.
pub fn ensure_open(conn: &Db, scope: &Scope) -> StoreResult<()> {
    let Some(id) = &scope.campaign_id else {
        return Ok(());
    };
    let campaign = super::campaigns::get(conn, &scope.org, id)?.ok_or(StoreError::NotFound)?;
    if campaign.status == CampaignStatus::Closed {
        return Err(StoreError::CampaignClosed);
    }
    Ok(())
}

/// A field of an upsert item: absent keeps the stored value, `Some(None)` clears it.
pub type Change<T> = Option<Option<T>>;

/// One validated upsert item, its numbers already normalised.
#[derive(Clone, Debug, Default)]
pub struct ContactWrite {
    pub id: Option<ContactId>,
    pub external_id: Change<String>,
    /// Normalised, without duplicates.
    pub phone_numbers: Option<Vec<E164>>,
    /// Compact JSON object text.
    pub data: Option<String>,
    pub timezone: Change<String>,
    /// As sent: RFC 3339 with an offset, or a local date-time read in the contact's timezone.
    pub scheduled_at: Change<String>,
    pub agent_id: Change<String>,
    pub agent_config: Change<String>,
    pub agent_number: Change<E164>,
    pub agent_version: Change<i64>,
    pub initial_context: Change<String>,
}

/// What an upsert did.
#[derive(Debug, Serialize)]
pub struct Upserted {
    pub inserted: usize,
    pub updated: usize,
    pub contact_ids: Vec<ContactId>,
}

/// The stored writable fields of a contact, as one comparable tuple.
#[derive(Clone, Debug, PartialEq)]
struct Stored {
    seq: i64,
    id: ContactId,
    external_id: Option<String>,
    phone_numbers: String,
    data: String,
    timezone: Option<String>,
    scheduled_at: Option<String>,
    agent_id: Option<String>,
    agent_config: Option<String>,
    agent_number: Option<String>,
    agent_version: Option<i64>,
    initial_context: Option<String>,
}

const STORED: &str = "seq, id, external_id, phone_numbers, data, timezone, scheduled_at, agent_id, \
    agent_config, agent_number, agent_version, initial_context";

fn stored_row(row: &Row<'_>) -> StoreResult<(Stored, Option<String>)> {
    Ok((
        Stored {
            seq: row.get(0)?,
            id: row.get(1)?,
            external_id: row.get(2)?,
            phone_numbers: row.get(3)?,
            data: row.get(4)?,
            timezone: row.get(5)?,
            scheduled_at: row.get(6)?,
            agent_id: row.get(7)?,
            agent_config: row.get(8)?,
            agent_number: row.get(9)?,
            agent_version: row.get(10)?,
            initial_context: row.get(11)?,
        },
        row.get(12)?,
    ))
}

/// Applies the items in order, as if one by one (docs/api.md §5.2). Local `scheduled_at` values of
/// contacts without a timezone are read in the configuration's default one (ad-hoc: UTC). Inserts without numbers
/// (`MissingNumbers`, all of them) come before the first conflict (`Conflict`); either error
/// leaves the caller to roll back, as the writer's savepoint does.
pub fn upsert(
    conn: &Db,
    scope: &Scope,
    items: &[ContactWrite],
    now: Timestamp,
) -> StoreResult<Upserted> {
    let rules = Rules::of_campaign(conn, scope.campaign_id.as_ref())?;
    let mut dial_at = DialAt::new(rules.as_ref().map(|r| &r.schedule), now);
    let (outcomes, contact_ids) = apply(conn, scope, items, &mut dial_at)?;
    let (mut inserted, mut updated) = (0, 0);
    let mut missing_numbers = Vec::new();
    let mut conflict = None;
    for (index, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Applied::Inserted => inserted += 1,
            Applied::Updated => updated += 1,
            Applied::MissingNumbers => missing_numbers.push(index),
            Applied::Conflict(detail) => {
                conflict.get_or_insert(detail);
            }
        }
    }
    if !missing_numbers.is_empty() {
        return Err(StoreError::MissingNumbers(missing_numbers));
    }
    if let Some(detail) = conflict {
        return Err(StoreError::Conflict(detail));
    }
    Ok(Upserted {
        inserted,
        updated,
        contact_ids,
    })
}

/// What one item of a batch (an upserted contact, an imported row) came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Inserted,
    Updated,
    /// An insert without `phone_numbers`.
    MissingNumbers,
    /// The contract's detail.
    Conflict(String),
}

impl Applied {
    /// Why the item was refused, in the words of an import's row error.
    pub fn refusal(&self) -> Option<String> {
        match self {
            Applied::Inserted | Applied::Updated => None,
            Applied::MissingNumbers => Some("a new contact needs at least one phone number".into()),
            Applied::Conflict(detail) => Some(detail.clone()),
        }
    }
}

/// `upsert` with the campaign's schedule already read: the items in order, as if one by one.
/// The stored contacts they name are read first in a few queries; each item is then decided in
/// memory against what the items before it left; updates are written as they come and the new
/// contacts together at the end (a few multi-row inserts), so that a batch costs few statements
/// on either engine. Nothing an item refuses is written.
fn apply(
    conn: &Db,
    scope: &Scope,
    items: &[ContactWrite],
    dial_at: &mut DialAt<'_>,
) -> StoreResult<(Vec<Applied>, Vec<ContactId>)> {
    let default_timezone = dial_at
        .schedule
        .map_or("UTC", |s| s.default_timezone.as_str());
    let now = time::format(dial_at.now);
    let mut known = Known::read(conn, scope, items)?;
    let mut new: Vec<New> = Vec::new();
    let mut outcomes = Vec::with_capacity(items.len());
    let mut contact_ids = Vec::with_capacity(items.len());

    for item in items {
        let with_id = item.id.as_ref().and_then(|id| known.by_id.get(id));
        let external = item.external_id.clone().flatten();
        let with_external = external
            .as_deref()
            .and_then(|e| known.by_external.get(e))
            .and_then(|id| known.by_id.get(id));
        let existing = match (&item.id, with_id, with_external) {
            (Some(id), Some(found), _) if found.owner != scope.key() => {
                outcomes.push(Applied::Conflict(format!(
                    "Contact id {id} is already in use"
                )));
                continue;
            }
            (Some(id), Some(by_id), Some(by_ext)) if by_id.stored.id != by_ext.stored.id => {
                outcomes.push(Applied::Conflict(mismatch(id, external.as_deref())));
                continue;
            }
            (Some(id), None, Some(_)) => {
                outcomes.push(Applied::Conflict(mismatch(id, external.as_deref())));
                continue;
            }
            (Some(_), Some(found), _) | (None, _, Some(found)) => Some(found.stored.clone()),
            _ => None,
        };
        match existing {
            Some(stored) => {
                let merged = merge(&stored, item, default_timezone);
                if merged != stored {
                    match new.iter_mut().find(|n| n.stored.id == merged.id) {
                        // Inserted by an item of this batch: the insert carries the change.
                        Some(pending) => pending.update(merged.clone(), &now),
                        None => write_update(conn, &merged, &now)?,
                    }
                    known.put(scope, &stored, merged);
                }
                contact_ids.push(stored.id);
                outcomes.push(Applied::Updated);
            }
            None => {
                let Some(phone_numbers) = &item.phone_numbers else {
                    outcomes.push(Applied::MissingNumbers);
                    continue;
                };
                let blank = Stored {
                    seq: 0,
                    id: item.id.clone().unwrap_or_else(ContactId::new),
                    external_id: None,
                    phone_numbers: numbers_json(phone_numbers),
                    data: "{}".into(),
                    timezone: None,
                    scheduled_at: None,
                    agent_id: None,
                    agent_config: None,
                    agent_number: None,
                    agent_version: None,
                    initial_context: None,
                };
                let stored = merge(&blank, item, default_timezone);
                let first = dial_at.of_new(&stored);
                contact_ids.push(stored.id.clone());
                known.put(scope, &blank, stored.clone());
                new.push(New {
                    next_attempt_at: stored.scheduled_at.clone(),
                    dial_at: first,
                    stored,
                });
                outcomes.push(Applied::Inserted);
            }
        }
    }
    write_inserts(conn, scope, &new, &now)?;
    count_new_contacts(conn, scope, new.len())?;
    Ok((outcomes, contact_ids))
}

/// The stored contacts a batch names (by id in the organisation, by external_id in the scope),
/// kept up to date as the batch's items apply.
struct Known {
    by_id: HashMap<ContactId, Found>,
    /// external_id → id, in the scope.
    by_external: HashMap<String, ContactId>,
}

struct Found {
    stored: Stored,
    /// The scope key of its campaign.
    owner: String,
}

impl Known {
    fn read(conn: &Db, scope: &Scope, items: &[ContactWrite]) -> StoreResult<Known> {
        let mut known = Known {
            by_id: HashMap::new(),
            by_external: HashMap::new(),
        };
        let ids: Vec<&dyn Value> = items
            .iter()
            .filter_map(|i| Some(i.id.as_ref()? as &dyn Value))
            .collect();
        let by_id = format!(
            "SELECT {STORED}, ifnull(campaign_id, '') FROM contacts WHERE organization_id = ?1"
        );
        for (stored, owner) in
            conn.query_by_keys(&by_id, "id", args![scope.org], &ids, stored_row)?
        {
            known.insert(stored, owner.unwrap_or_default(), scope);
        }
        let externals: Vec<&dyn Value> = items
            .iter()
            .filter_map(|i| Some(i.external_id.as_ref()?.as_ref()? as &dyn Value))
            .collect();
        let by_external = format!(
            "SELECT {STORED}, NULL FROM contacts
             WHERE organization_id = ?1 AND ifnull(campaign_id, '') = ?2"
        );
        let key = scope.key();
        for (stored, _) in conn.query_by_keys(
            &by_external,
            "external_id",
            args![scope.org, key],
            &externals,
            stored_row,
        )? {
            known.insert(stored, key.to_string(), scope);
        }
        Ok(known)
    }

    fn insert(&mut self, stored: Stored, owner: String, scope: &Scope) {
        if owner == scope.key()
            && let Some(external) = &stored.external_id
        {
            self.by_external.insert(external.clone(), stored.id.clone());
        }
        self.by_id
            .insert(stored.id.clone(), Found { stored, owner });
    }

    /// `before` (as known) is now `after`, in `scope`.
    fn put(&mut self, scope: &Scope, before: &Stored, after: Stored) {
        if let Some(external) = &before.external_id {
            self.by_external.remove(external);
        }
        self.insert(after, scope.key().to_string(), scope);
    }
}

/// A contact inserted by this batch, written at its end.
struct New {
    stored: Stored,
    next_attempt_at: Option<String>,
    dial_at: Option<String>,
}

impl New {
    /// A later item of the batch changed it: what `write_update` would make of a contact never
    /// tried (its next attempt and due time follow `scheduled_at`).
    fn update(&mut self, stored: Stored, now: &str) {
        self.next_attempt_at = stored.scheduled_at.clone();
        self.dial_at = Some(
            stored
                .scheduled_at
                .clone()
                .unwrap_or_else(|| now.to_string()),
        );
        self.stored = stored;
    }
}

/// Values per inserted row.
const INSERT_COLUMNS: usize = 17;

/// Inserts the batch's new (pending) contacts in order; `apply` adds them to the counters.
fn write_inserts(conn: &Db, scope: &Scope, new: &[New], now: &str) -> StoreResult<()> {
    for chunk in insert_chunks(new) {
        let size = chunk.len();
        let rows: Vec<String> = (0..size)
            .map(|row| {
                format!(
                    "({})",
                    placeholders(1 + row * INSERT_COLUMNS, INSERT_COLUMNS)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO contacts (id, organization_id, campaign_id, external_id, phone_numbers,
                data, timezone, scheduled_at, agent_id, agent_config, agent_number, agent_version,
                initial_context, next_attempt_at, created_at, updated_at, dial_at)
             VALUES {}",
            rows.join(", ")
        );
        let mut values: Vec<&dyn Value> = Vec::with_capacity(size * INSERT_COLUMNS);
        for n in chunk {
            let c = &n.stored;
            values.extend([
                &c.id as &dyn Value,
                &scope.org,
                &scope.campaign_id,
                &c.external_id,
                &c.phone_numbers,
                &c.data,
                &c.timezone,
                &c.scheduled_at,
                &c.agent_id,
                &c.agent_config,
                &c.agent_number,
                &c.agent_version,
                &c.initial_context,
                &n.next_attempt_at,
                &now,
                &now,
                &n.dial_at,
            ]);
        }
        conn.execute(&sql, &values)?;
    }
    Ok(())
}

/// Adds `inserted` new (pending) contacts to the scope's counters: once per batch, where a
/// trigger would cost a statement per contact (schema.sql).
fn count_new_contacts(conn: &Db, scope: &Scope, inserted: usize) -> StoreResult<()> {
    if inserted > 0 {
        conn.execute("INSERT INTO contact_counts (organization_id, scope, pending) VALUES (?1, ?2, ?3)
             ON CONFLICT (organization_id, scope) DO UPDATE SET pending = contact_counts.pending + excluded.pending", args![scope.org, scope.key(), inserted as i64])?;
    }
    Ok(())
}

fn mismatch(id: &ContactId, external_id: Option<&str>) -> String {
    format!(
        "Contact id {id} does not match external_id '{}'",
        external_id.unwrap_or_default()
    )
}

/// The stored fields with the item's present fields applied.
fn merge(stored: &Stored, item: &ContactWrite, default_timezone: &str) -> Stored {
    fn apply<T: Clone>(stored: &Option<T>, change: &Change<T>) -> Option<T> {
        change.clone().unwrap_or_else(|| stored.clone())
    }
    let timezone = apply(&stored.timezone, &item.timezone);
    // A local scheduled_at is read in the timezone the contact has once the item is applied.
    let scheduled_at = match &item.scheduled_at {
        Some(Some(text)) => {
            let zone_name = timezone.as_deref().unwrap_or(default_timezone);
            let zone = time::time_zone(zone_name).unwrap_or(jiff::tz::TimeZone::UTC);
            time::parse_instant(text, &zone).map(time::format)
        }
        Some(None) => None,
        None => stored.scheduled_at.clone(),
    };
    Stored {
        seq: stored.seq,
        id: stored.id.clone(),
        external_id: apply(&stored.external_id, &item.external_id),
        phone_numbers: item
            .phone_numbers
            .as_deref()
            .map_or_else(|| stored.phone_numbers.clone(), numbers_json),
        data: item.data.clone().unwrap_or_else(|| stored.data.clone()),
        timezone,
        scheduled_at,
        agent_id: apply(&stored.agent_id, &item.agent_id),
        agent_config: apply(&stored.agent_config, &item.agent_config),
        agent_number: apply(
            &stored.agent_number,
            &item.agent_number.clone().map(|n| n.map(String::from)),
        ),
        agent_version: apply(&stored.agent_version, &item.agent_version),
        initial_context: apply(&stored.initial_context, &item.initial_context),
    }
}

/// The stored form of a contact's numbers: a JSON array.
fn numbers_json(numbers: &[E164]) -> String {
    serde_json::to_string(numbers).expect("numbers serialise")
}

/// When new contacts may be dialled first, computed once per (timezone, scheduled_at) of a batch:
/// a batch shares a few time zones and mostly no scheduled_at.
struct DialAt<'s> {
    schedule: Option<&'s Schedule>,
    now: Timestamp,
    known: HashMap<(Option<String>, Option<String>), Option<String>>,
}

impl<'s> DialAt<'s> {
    fn new(schedule: Option<&'s Schedule>, now: Timestamp) -> Self {
        DialAt {
            schedule,
            now,
            known: HashMap::new(),
        }
    }

    fn of_new(&mut self, c: &Stored) -> Option<String> {
        let key = (c.timezone.clone(), c.scheduled_at.clone());
        if let Some(known) = self.known.get(&key) {
            return known.clone();
        }
        let scheduled = c.scheduled_at.as_deref().and_then(|t| t.parse().ok());
        let dial_at = schedule::dial_at(
            self.schedule,
            c.timezone.as_deref(),
            scheduled.is_some(),
            scheduled.unwrap_or(self.now),
            self.now,
        )
        .map(time::format);
        self.known.insert(key, dial_at.clone());
        dial_at
    }
}

fn write_update(conn: &Db, c: &Stored, now: &str) -> StoreResult<()> {
    // A new scheduled_at moves the next attempt of a contact that has not been tried yet. A
    // pending contact is due again from its next attempt: the dialer moves it to its window's
    // next opening if its timezone or schedule now put it outside.
    conn.execute("UPDATE contacts SET external_id = ?2, phone_numbers = ?3, data = ?4, timezone = ?5,
            next_attempt_at = CASE WHEN attempt_count = 0 AND status = 'pending' THEN ?6 ELSE next_attempt_at END,
            dial_at = CASE WHEN status <> 'pending' THEN dial_at
                WHEN attempt_count = 0 THEN ifnull(?6, created_at)
                ELSE ifnull(next_attempt_at, created_at) END,
            scheduled_at = ?6, agent_id = ?7, agent_config = ?8, agent_number = ?9, agent_version = ?10,
            initial_context = ?11, updated_at = ?12
         WHERE seq = ?1", args![
        c.seq, c.external_id, c.phone_numbers, c.data, c.timezone, c.scheduled_at, c.agent_id, c.agent_config,
        c.agent_number, c.agent_version, c.initial_context, now
    ])?;
    Ok(())
}

/// What an import keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportMode {
    /// Apply every row to see what would happen, then roll all of it back.
    DryRun,
    /// Keep the rows only when every row applied.
    AllOrNothing,
    /// Keep the rows that applied.
    SkipInvalid,
}

/// Applies the rows in order, as an upsert does, where a refused row is a row error rather than
/// the end of the import (a refused row writes nothing). Returns, per row, whether it inserted (`true`) or
/// updated, or why it was refused; what is kept follows `mode`.
pub fn import(
    conn: &Db,
    scope: &Scope,
    rows: &[ContactWrite],
    mode: ImportMode,
    now: Timestamp,
) -> StoreResult<Vec<Applied>> {
    let rules = Rules::of_campaign(conn, scope.campaign_id.as_ref())?;
    let mut dial_at = DialAt::new(rules.as_ref().map(|r| &r.schedule), now);
    conn.batch("SAVEPOINT import")?;
    let applied = apply(conn, scope, rows, &mut dial_at);
    let outcomes = match applied {
        Ok((outcomes, _)) => outcomes,
        Err(error) => {
            conn.batch("ROLLBACK TO import; RELEASE import")?;
            return Err(error);
        }
    };
    let keep = match mode {
        ImportMode::DryRun => false,
        ImportMode::AllOrNothing => outcomes.iter().all(|o| o.refusal().is_none()),
        ImportMode::SkipInvalid => true,
    };
    conn.batch(if keep {
        "RELEASE import"
    } else {
        "ROLLBACK TO import; RELEASE import"
    })?;
    Ok(outcomes)
}
