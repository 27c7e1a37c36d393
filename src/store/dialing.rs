//! The dialer's verbs on the database (docs/api.md, "The dialing loop"): the organisations with
//! room for calls, their due contacts in dialing order, starting an attempt, recording where a
//! call stands, ending an attempt, and clearing stale claims. The dialer decides which and how
//! many (slot sharing, the loop's timing); each verb runs inside the caller's write transaction.

use super::args;
use super::configurations::{Rules, RulesCache};
use super::db::{Db, Value, insert_chunks, padded_chunks, placeholders};
use super::{StoreError, StoreResult};
use crate::domain::attempt::{self, AD_HOC_MAX_ATTEMPTS, AD_HOC_RETRY_MINUTES, After, Call};
use crate::domain::ids::{AttemptId, CampaignId, ConfigurationId, ContactId, OrgId};
use crate::domain::schedule;
use crate::domain::status::{AttemptStatus, ContactStatus, Outcome};
use crate::domain::time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::value::RawValue;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

/// Most contacts one pass moves to their next window opening (they were due when their window
/// closed); the rest wait for the next pass, so that a pass stays short.
const RESCHEDULES_PER_PASS: usize = 10_000;

/// Calls up right now, over all organisations. (PostgreSQL's sum of a BIGINT is a NUMERIC: cast
/// back, as the recounts do.)
pub fn calls_up(conn: &Db) -> StoreResult<i64> {
    conn.query_one(
        "SELECT CAST(ifnull(sum(active_calls), 0) AS BIGINT) FROM organizations",
        &[],
        |r| r.get(0),
    )
}

/// An organisation with room for more calls.
#[derive(Clone, Debug)]
pub struct Room {
    pub org: OrgId,
    pub concurrency_limit: i64,
    /// Its calls up (contacts `locked` or `in_progress`).
    pub calls_up: i64,
}

/// The organisations whose calls up are below their limit, by id.
pub fn organisations_with_room(conn: &Db) -> StoreResult<Vec<Room>> {
    conn.query(
        "SELECT id, concurrency_limit, active_calls FROM organizations
             WHERE active_calls < concurrency_limit ORDER BY id",
        &[],
        |r| {
            Ok(Room {
                org: r.get(0)?,
                concurrency_limit: r.get(1)?,
                calls_up: r.get(2)?,
            })
        },
    )
}

/// A due contact and the rules of its campaign (`None`: ad-hoc).
pub struct Due {
    seq: i64,
    rules: Option<Arc<Rules>>,
}

/// The reads of one pass over the due contacts, with what it learns cached: rules by
/// configuration, and whether a (configuration, timezone, first scheduled attempt) is inside its
/// windows right now.
pub struct DueContacts<'c> {
    conn: &'c Db<'c>,
    now: Timestamp,
    now_text: String,
    rules: HashMap<ConfigurationId, Arc<Rules>>,
    open: HashMap<(ConfigurationId, Option<String>, bool), bool>,
    rescheduled: usize,
}

/// A pending contact as the loop first sees it.
struct Candidate {
    dial_at: String,
    seq: i64,
    timezone: Option<String>,
    first_scheduled: bool,
}

impl<'c> DueContacts<'c> {
    pub fn new(conn: &'c Db<'c>, now: Timestamp) -> DueContacts<'c> {
        DueContacts {
            conn,
            now,
            now_text: time::format(now),
            rules: HashMap::new(),
            open: HashMap::new(),
            rescheduled: 0,
        }
    }

    fn rules(&mut self, configuration_id: &ConfigurationId) -> StoreResult<Arc<Rules>> {
        if let Some(rules) = self.rules.get(configuration_id) {
            return Ok(rules.clone());
        }
        let rules = Arc::new(Rules::read(self.conn, configuration_id)?);
        self.rules.insert(configuration_id.clone(), rules.clone());
        Ok(rules)
    }

    /// Up to `limit` due contacts of `org` in dialing order: ad-hoc first, then by campaign
    /// priority, then earliest `dial_at`, then insertion order. Contacts met whose window has
    /// closed are moved to its next opening on the way.
    pub fn of(&mut self, org: &OrgId, limit: usize) -> StoreResult<Vec<Due>> {
        let mut due: Vec<Due> = self
            .candidates(org, None, None, limit)?
            .into_iter()
            .map(|c| Due {
                seq: c.seq,
                rules: None,
            })
            .collect();
        let campaigns: Vec<(CampaignId, i64, ConfigurationId)> = self.conn.query(
            "SELECT id, priority, configuration_id FROM campaigns
                 WHERE organization_id = ?1 AND status = 'active' ORDER BY priority DESC, id",
            args![org],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        for level in campaigns.chunk_by(|a, b| a.1 == b.1) {
            if due.len() >= limit {
                break;
            }
            let mut members = Vec::with_capacity(level.len());
            for (id, _, configuration_id) in level {
                members.push((id, self.rules(configuration_id)?));
            }
            if !self.merge_level(org, &members, limit, &mut due)? {
                // The level was not read to its end: a contact of it may still be due, and no
                // lower priority may go ahead of it.
                break;
            }
        }
        Ok(due)
    }

    /// Merges the due contacts of campaigns of one priority in `(dial_at, seq)` order, keeping
    /// those inside their windows now, until `due` holds `limit`. Each campaign is read in
    /// chunks that grow, so a pass over many campaigns reads few rows of each. False when the
    /// pass ran out of reschedules before it reached the level's end or the limit.
    fn merge_level(
        &mut self,
        org: &OrgId,
        members: &[(&CampaignId, Arc<Rules>)],
        limit: usize,
        due: &mut Vec<Due>,
    ) -> StoreResult<bool> {
        struct Source {
            rows: VecDeque<Candidate>,
            chunk: usize,
            done: bool,
        }
        let first_chunk = (limit - due.len()) / members.len() + 1;
        let mut sources = Vec::with_capacity(members.len());
        let mut heads = BinaryHeap::new();
        for (index, (campaign, _)) in members.iter().enumerate() {
            let rows: VecDeque<Candidate> = self
                .candidates(org, Some(campaign), None, first_chunk)?
                .into();
            if let Some(head) = rows.front() {
                heads.push(Reverse((head.dial_at.clone(), head.seq, index)));
            }
            sources.push(Source {
                done: rows.len() < first_chunk,
                chunk: first_chunk,
                rows,
            });
        }
        while due.len() < limit {
            let Some(Reverse((_, _, index))) = heads.pop() else {
                break;
            };
            let source = &mut sources[index];
            let candidate = source.rows.pop_front().expect("a head has a row");
            if source.rows.is_empty() && !source.done {
                source.chunk = (source.chunk * 2).min(4096);
                let after = (candidate.dial_at.clone(), candidate.seq);
                source.rows = self
                    .candidates(org, Some(members[index].0), Some(after), source.chunk)?
                    .into();
                source.done = source.rows.len() < source.chunk;
            }
            if let Some(next) = sources[index].rows.front() {
                heads.push(Reverse((next.dial_at.clone(), next.seq, index)));
            }
            let rules = &members[index].1;
            if self.is_open(rules, &candidate)? {
                due.push(Due {
                    seq: candidate.seq,
                    rules: Some(rules.clone()),
                });
            } else if self.rescheduled < RESCHEDULES_PER_PASS {
                self.reschedule(rules, &candidate)?;
            } else {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Pending contacts of a campaign (or the ad-hoc ones) whose `dial_at` has come, after
    /// `after` in `(dial_at, seq)` order (the `contacts_due` index).
    fn candidates(
        &self,
        org: &OrgId,
        campaign: Option<&CampaignId>,
        after: Option<(String, i64)>,
        limit: usize,
    ) -> StoreResult<Vec<Candidate>> {
        let (after_dial_at, after_seq) = after.unwrap_or_default();
        self.conn.query(
            "SELECT dial_at, seq, timezone, attempt_count = 0 AND scheduled_at IS NOT NULL
                 FROM contacts
                 WHERE organization_id = ?1 AND campaign_id IS ?2 AND status = 'pending'
                   AND dial_at <= ?3 AND (dial_at, seq) > (?4, ?5)
                 ORDER BY dial_at, seq LIMIT ?6",
            args![
                org,
                campaign,
                self.now_text,
                after_dial_at,
                after_seq,
                limit as i64
            ],
            |r| {
                Ok(Candidate {
                    dial_at: r.get(0)?,
                    seq: r.get(1)?,
                    timezone: r.get(2)?,
                    first_scheduled: r.get(3)?,
                })
            },
        )
    }

    fn is_open(&mut self, rules: &Rules, c: &Candidate) -> StoreResult<bool> {
        let key = (
            rules.configuration_id.clone(),
            c.timezone.clone(),
            c.first_scheduled,
        );
        if let Some(open) = self.open.get(&key) {
            return Ok(*open);
        }
        let windows = rules
            .schedule
            .windows(c.timezone.as_deref(), c.first_scheduled);
        let zone: TimeZone = rules.schedule.zone(c.timezone.as_deref());
        let open = schedule::is_open(windows, &zone, self.now);
        self.open.insert(key, open);
        Ok(open)
    }

    /// Moves a contact whose window closed before it was dialled to the next opening.
    fn reschedule(&mut self, rules: &Rules, c: &Candidate) -> StoreResult<()> {
        let dial_at = schedule::dial_at(
            Some(&rules.schedule),
            c.timezone.as_deref(),
            c.first_scheduled,
            self.now,
            self.now,
        );
        self.conn.execute(
            "UPDATE contacts SET dial_at = ?2 WHERE seq = ?1",
            args![c.seq, dial_at.map(time::format)],
        )?;
        self.rescheduled += 1;
        Ok(())
    }
}

/// Step 5 for a pass's contacts: each becomes `locked` with a new attempt on its next number. One
/// read, multi-row inserts and one update per chunk, whatever the number of calls: on PostgreSQL
/// each statement is a round trip, made while the pass holds the write lock.
pub fn start_attempts(conn: &Db, dues: &[Due], now: Timestamp) -> StoreResult<Vec<Call>> {
    let now = &time::format(now);
    let seqs: Vec<i64> = dues.iter().map(|due| due.seq).collect();
    let mut read: HashMap<i64, Call> = HashMap::with_capacity(dues.len());
    for chunk in padded_chunks(&seqs) {
        let sql = format!(
            "SELECT seq, id, organization_id, campaign_id, external_id, phone_numbers, data, agent_id,
                    agent_config, agent_number, agent_version, initial_context, attempt_count
             FROM contacts WHERE seq IN ({})",
            placeholders(1, chunk.len())
        );
        let values: Vec<&dyn Value> = chunk.iter().map(|v| v as &dyn Value).collect();
        for (seq, call) in conn.query(&sql, &values, |r| {
            let numbers: Vec<String> =
                serde_json::from_str(&r.get::<String>(5)?).unwrap_or_default();
            let attempt_count: i64 = r.get(12)?;
            let raw = |text: String| RawValue::from_string(text).ok();
            let call = Call {
                attempt_id: AttemptId::new(),
                contact_id: r.get(1)?,
                organization_id: r.get(2)?,
                campaign_id: r.get(3)?,
                external_id: r.get(4)?,
                phone_number: numbers
                    .get(attempt_count as usize % numbers.len().max(1))
                    .cloned()
                    .unwrap_or_default(),
                data: raw(r.get(6)?).expect("stored data is JSON"),
                agent_id: r.get(7)?,
                agent_config: r.get::<Option<String>>(8)?.and_then(raw),
                caller_number: r.get(9)?,
                agent_version: r.get(10)?,
                initial_context: r.get(11)?,
                attempt_number: attempt_count + 1,
                max_attempts: AD_HOC_MAX_ATTEMPTS,
            };
            Ok((r.get::<i64>(0)?, call))
        })? {
            read.insert(seq, call);
        }
    }
    let mut calls = Vec::with_capacity(dues.len());
    for due in dues {
        let mut call = read.remove(&due.seq).ok_or(StoreError::NotFound)?;
        if let Some(rules) = &due.rules {
            call.max_attempts = rules.max_attempts;
            call.agent_id = call.agent_id.or_else(|| rules.agent_id.clone());
            call.agent_version = call.agent_version.or(rules.agent_version);
            call.caller_number = call.caller_number.or_else(|| rules.agent_number.clone());
        }
        calls.push((due.seq, call));
    }
    for chunk in insert_chunks(&calls) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "(?{}, ?{}, ?{}, 'in_progress', ?1)",
                    3 * i + 2,
                    3 * i + 3,
                    3 * i + 4
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO attempts (id, contact_seq, phone_number, status, started_at) VALUES {}",
            rows.join(", ")
        );
        let mut values: Vec<&dyn Value> = vec![now];
        for (seq, call) in chunk {
            values.extend([&call.attempt_id as &dyn Value, seq, &call.phone_number]);
        }
        conn.execute(&sql, &values)?;
    }
    for chunk in padded_chunks(&seqs) {
        let sql = format!(
            "UPDATE contacts SET status = 'locked', locked_at = ?1, attempt_count = attempt_count + 1,
                updated_at = ?1
             WHERE seq IN ({})",
            placeholders(2, chunk.len())
        );
        let mut values: Vec<&dyn Value> = vec![now];
        values.extend(chunk.iter().map(|v| v as &dyn Value));
        conn.execute(&sql, &values)?;
    }
    Ok(calls.into_iter().map(|(_, call)| call).collect())
}

/// A call the placer has: its attempt and the conversation id the placer gave it, if any.
pub struct Placed<'a> {
    pub attempt_id: &'a AttemptId,
    pub conversation_id: Option<&'a str>,
}

/// The placer has these calls: their contacts are `in_progress`. Two statements per chunk,
/// whatever the number of calls; an attempt that already ended is left as it is.
pub fn placed(conn: &Db, calls: &[Placed<'_>], now: &str) -> StoreResult<()> {
    if calls.is_empty() {
        return Ok(());
    }
    conn.plan_each_statement()?;
    for chunk in insert_chunks(calls) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(1 + 2 * i, 2)))
            .collect();
        let mut values: Vec<&dyn Value> = Vec::with_capacity(2 * chunk.len());
        for call in chunk {
            values.extend([&call.attempt_id as &dyn Value, &call.conversation_id]);
        }
        let seqs: Vec<i64> = conn.query(
            &format!(
                "UPDATE attempts SET conversation_id = ifnull(v.column2, attempts.conversation_id)
                 FROM (VALUES {}) AS v WHERE attempts.id = v.column1 AND attempts.status = 'in_progress'
                 RETURNING attempts.contact_seq",
                rows.join(", ")
            ),
            &values,
            |r| r.get(0),
        )?;
        for seqs in padded_chunks(&seqs) {
            let mut values: Vec<&dyn Value> = vec![&now];
            values.extend(seqs.iter().map(|seq| seq as &dyn Value));
            // Only by key: the contact of an attempt in progress is `locked` or already
            // `in_progress`. (With `status = 'locked'` here, PostgreSQL's planner, on statistics
            // taken when few contacts were locked, scanned every call up for each chunk.)
            conn.execute(
                &format!(
                    "UPDATE contacts SET status = 'in_progress', updated_at = ?1 WHERE seq IN ({})",
                    placeholders(2, seqs.len())
                ),
                &values,
            )?;
        }
    }
    Ok(())
}

/// The contact of an attempt still in progress.
fn open_attempt(conn: &Db, attempt_id: &AttemptId) -> StoreResult<Option<i64>> {
    conn.query_opt(
        "SELECT contact_seq FROM attempts WHERE id = ?1 AND status = 'in_progress'",
        args![attempt_id],
        |r| r.get(0),
    )
}

/// The call never reached the placer: the attempt is removed and the contact is `pending` again
/// with its attempt count and next attempt as before.
pub fn release(conn: &Db, attempt_id: &AttemptId) -> StoreResult<()> {
    let Some(seq) = open_attempt(conn, attempt_id)? else {
        return Ok(());
    };
    conn.execute("DELETE FROM attempts WHERE id = ?1", args![attempt_id])?;
    conn.execute("UPDATE contacts SET status = 'pending', attempt_count = attempt_count - 1, locked_at = NULL
         WHERE seq = ?1", args![seq])?;
    Ok(())
}

/// What ending an attempt did.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Step 6 applied to the contact (its id).
    Now { contact_id: ContactId },
    /// It had ended before, with this outcome.
    Already { outcome: Option<Outcome> },
    /// The given end is before the attempt started.
    BeforeStart,
}

/// An attempt's end, as a placer or the result route reports it.
#[derive(Clone, Copy, Debug)]
pub struct EndAttempt<'a> {
    pub attempt_id: &'a AttemptId,
    pub outcome: Outcome,
    pub ended_at: Timestamp,
    pub conversation_id: Option<&'a str>,
    /// When given, the organisation that must own the attempt (else `NotFound`).
    pub org: Option<&'a OrgId>,
}

impl<'a> EndAttempt<'a> {
    /// An end that the dialer itself decides (a time-out, a call that died with its process).
    pub fn failed(attempt_id: &'a AttemptId, now: Timestamp) -> EndAttempt<'a> {
        EndAttempt {
            attempt_id,
            outcome: Outcome::Failed,
            ended_at: now,
            conversation_id: None,
            org: None,
        }
    }
}

/// Step 6: ends an attempt and moves its contact on as `attempt::after` decides: `completed`,
/// `exhausted`, or `pending` until the retry delay has passed (inside its windows). The
/// campaigns' rules are read through `rules`, so that ending many at once reads each once.
pub fn end_attempt(
    conn: &Db,
    rules: &mut RulesCache,
    end: &EndAttempt<'_>,
    now: Timestamp,
) -> StoreResult<Ended> {
    end_attempts(conn, rules, std::slice::from_ref(end), now)?
        .pop()
        .expect("one end, one answer")
}

/// An attempt and its contact as step 6 reads them.
struct Open {
    status: AttemptStatus,
    outcome: Option<Outcome>,
    started_at: String,
    seq: i64,
    contact_id: ContactId,
    owner: OrgId,
    campaign: Option<CampaignId>,
    attempt_count: i64,
    timezone: Option<String>,
}

/// Step 6 for many ends at once, in order (the recorder's batch): one read, then one update of
/// the attempts and one of the contacts per chunk, whatever their number. Each end's own answer
/// (`NotFound` for an attempt that is not there, or not of `end.org`); an end repeated in the
/// batch finds the attempt ended by the first.
pub fn end_attempts(
    conn: &Db,
    rules: &mut RulesCache,
    ends: &[EndAttempt<'_>],
    now: Timestamp,
) -> StoreResult<Vec<StoreResult<Ended>>> {
    if ends.is_empty() {
        return Ok(Vec::new());
    }
    conn.plan_each_statement()?;
    let ids: Vec<&dyn Value> = ends
        .iter()
        .map(|end| end.attempt_id as &dyn Value)
        .collect();
    let read = "SELECT a.id, a.status, a.outcome, a.started_at, c.seq, c.id, c.organization_id,
                       c.campaign_id, c.attempt_count, c.timezone
                FROM attempts a, contacts c WHERE c.seq = a.contact_seq";
    let found = conn.query_by_keys(read, "a.id", &[], &ids, |r| {
        Ok((
            r.get::<AttemptId>(0)?,
            Open {
                status: r.get(1)?,
                outcome: r.get(2)?,
                started_at: r.get(3)?,
                seq: r.get(4)?,
                contact_id: r.get(5)?,
                owner: r.get(6)?,
                campaign: r.get(7)?,
                attempt_count: r.get(8)?,
                timezone: r.get(9)?,
            },
        ))
    })?;
    let mut open: HashMap<AttemptId, Open> = found.into_iter().collect();
    let now_text = time::format(now);
    let mut answers = Vec::with_capacity(ends.len());
    // (attempt id, status, outcome, ended_at, conversation_id) and (seq, status,
    // next_attempt_at, dial_at) of the ends applied.
    let mut attempts = Vec::new();
    let mut contacts = Vec::new();
    for end in ends {
        let Some(found) = open
            .get_mut(end.attempt_id)
            .filter(|found| end.org.is_none_or(|org| *org == found.owner))
        else {
            answers.push(Err(StoreError::NotFound));
            continue;
        };
        if found.status != AttemptStatus::InProgress {
            answers.push(Ok(Ended::Already {
                outcome: found.outcome,
            }));
            continue;
        }
        let ended_text = time::format(end.ended_at);
        if ended_text < found.started_at {
            answers.push(Ok(Ended::BeforeStart));
            continue;
        }
        let rules = rules.of_campaign(conn, found.campaign.as_ref())?;
        let (max_attempts, delay) = rules
            .as_ref()
            .map_or((AD_HOC_MAX_ATTEMPTS, AD_HOC_RETRY_MINUTES), |r| {
                (r.max_attempts, r.retry_delay_minutes)
            });
        let after = attempt::after(
            end.outcome,
            found.attempt_count,
            max_attempts,
            delay,
            end.ended_at,
        );
        let (next_status, next_attempt_at, dial_at) = match after {
            After::Completed => (ContactStatus::Completed, None, None),
            After::Exhausted => (ContactStatus::Exhausted, None, None),
            After::Retry(retry_at) => {
                let schedule = rules.as_ref().map(|r| &r.schedule);
                let dial_at =
                    schedule::dial_at(schedule, found.timezone.as_deref(), false, retry_at, now);
                (ContactStatus::Pending, Some(retry_at), dial_at)
            }
        };
        found.status = end.outcome.attempt_status();
        found.outcome = Some(end.outcome);
        attempts.push((
            end.attempt_id,
            end.outcome.attempt_status(),
            end.outcome,
            ended_text,
            end.conversation_id.map(str::to_string),
        ));
        contacts.push((
            found.seq,
            next_status,
            next_attempt_at.map(time::format),
            dial_at.map(time::format),
        ));
        answers.push(Ok(Ended::Now {
            contact_id: found.contact_id.clone(),
        }));
    }
    // The attempts first: a contact that finishes counts in the bucket of its last attempt's end.
    for chunk in insert_chunks(&attempts) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(1 + 5 * i, 5)))
            .collect();
        let sql = format!(
            "UPDATE attempts SET status = v.column2, outcome = v.column3, ended_at = v.column4,
                conversation_id = ifnull(v.column5, attempts.conversation_id)
             FROM (VALUES {}) AS v WHERE attempts.id = v.column1",
            rows.join(", ")
        );
        let mut values: Vec<&dyn Value> = Vec::with_capacity(5 * chunk.len());
        for (id, status, outcome, ended_at, conversation_id) in chunk {
            values.extend([id as &dyn Value, status, outcome, ended_at, conversation_id]);
        }
        conn.execute(&sql, &values)?;
    }
    for chunk in insert_chunks(&contacts) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let n = 2 + 4 * i;
                format!("(CAST(?{n} AS BIGINT), ?{}, ?{}, ?{})", n + 1, n + 2, n + 3)
            })
            .collect();
        let sql = format!(
            "UPDATE contacts SET status = v.column2, next_attempt_at = v.column3,
                dial_at = v.column4, locked_at = NULL, updated_at = ?1
             FROM (VALUES {}) AS v WHERE contacts.seq = v.column1",
            rows.join(", ")
        );
        let mut values: Vec<&dyn Value> = vec![&now_text];
        for (seq, status, next_attempt_at, dial_at) in chunk {
            values.extend([seq as &dyn Value, status, next_attempt_at, dial_at]);
        }
        conn.execute(&sql, &values)?;
    }
    Ok(answers)
}

/// What clearing stale claims did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expired {
    /// Contacts claimed but never placed, back to `pending`.
    pub released: usize,
    /// Calls up for too long, ended `failed`.
    pub ended: usize,
}

/// Step 1: contacts claimed for longer than `lock_timeout` whose call never reached the placer
/// go back to `pending`; calls up for longer than `max_call` end `failed`.
pub fn expire(
    conn: &Db,
    now: Timestamp,
    lock_timeout: SignedDuration,
    max_call: SignedDuration,
) -> StoreResult<Expired> {
    let lock_cutoff = time::format(now.saturating_sub(lock_timeout).unwrap_or(now));
    let call_cutoff = time::format(now.saturating_sub(max_call).unwrap_or(now));
    let stale = dialing_before(conn, (&lock_cutoff).max(&call_cutoff))?;
    let mut expired = Expired::default();
    let mut rules = RulesCache::default();
    for (attempt_id, status, locked_at) in stale {
        if status == ContactStatus::Locked && locked_at < lock_cutoff {
            release(conn, &attempt_id)?;
            expired.released += 1;
        } else if status == ContactStatus::InProgress && locked_at < call_cutoff {
            end_attempt(conn, &mut rules, &EndAttempt::failed(&attempt_id, now), now)?;
            expired.ended += 1;
        }
    }
    Ok(expired)
}

/// At start-up: simulated calls died with the process that simulated them, so they end
/// `failed` (webhook calls may still report their result).
pub fn end_simulated_calls(conn: &Db, now: Timestamp) -> StoreResult<usize> {
    let up = dialing_before(conn, &time::format(Timestamp::MAX))?;
    let (mut ended, mut rules) = (0, RulesCache::default());
    for (attempt_id, status, _) in up {
        let simulated: bool = conn
            .query_one("SELECT ifnull(conversation_id, '') LIKE 'sim\\_%' ESCAPE '\\' FROM attempts WHERE id = ?1", args![&attempt_id], |r| r.get(0))?;
        if status == ContactStatus::InProgress && simulated {
            end_attempt(conn, &mut rules, &EndAttempt::failed(&attempt_id, now), now)?;
            ended += 1;
        }
    }
    Ok(ended)
}

/// (open attempt id, contact status, locked_at) of the contacts locked or in progress since
/// before `cutoff`: the few stale contacts first (the small `contacts_dialing` index), then
/// their open attempts by key. Never a join, which PostgreSQL planned as a scan of `attempts`
/// on statistics from a moment with more calls up (34 ms a pass with 10,000 calls up).
fn dialing_before(conn: &Db, cutoff: &str) -> StoreResult<Vec<(AttemptId, ContactStatus, String)>> {
    let stale: BTreeMap<i64, (ContactStatus, String)> = conn
        .query(
            "SELECT seq, status, locked_at FROM contacts
             WHERE status IN ('locked', 'in_progress') AND locked_at < ?1",
            args![cutoff],
            |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))),
        )?
        .into_iter()
        .collect();
    let seqs: Vec<i64> = stale.keys().copied().collect();
    let mut open = Vec::with_capacity(seqs.len());
    for chunk in padded_chunks(&seqs) {
        let values: Vec<&dyn Value> = chunk.iter().map(|seq| seq as &dyn Value).collect();
        let sql = format!(
            "SELECT id, contact_seq FROM attempts WHERE status = 'in_progress' AND contact_seq IN ({})",
            placeholders(1, chunk.len())
        );
        for (attempt_id, seq) in conn.query(&sql, &values, |r| {
            Ok((r.get::<AttemptId>(0)?, r.get::<i64>(1)?))
        })? {
            if let Some((status, locked_at)) = stale.get(&seq) {
                open.push((attempt_id, *status, locked_at.clone()));
            }
        }
    }
    Ok(open)
}

/// After a configuration's windows or time zone changed: its campaigns' pending contacts are
/// due again from their own next attempt; the loop moves those outside the new windows on.
pub fn reschedule_configuration(
    conn: &Db,
    org: &OrgId,
    configuration_id: &ConfigurationId,
) -> StoreResult<()> {
    conn.execute("UPDATE contacts SET dial_at = ifnull(next_attempt_at, created_at)
         WHERE organization_id = ?1 AND status = 'pending'
           AND campaign_id IN (SELECT id FROM campaigns WHERE organization_id = ?1 AND configuration_id = ?2)", args![org, configuration_id])?;
    Ok(())
}

/// After a campaign moved to another configuration: the same for its contacts.
pub fn reschedule_campaign(conn: &Db, org: &OrgId, campaign_id: &CampaignId) -> StoreResult<()> {
    conn.execute(
        "UPDATE contacts SET dial_at = ifnull(next_attempt_at, created_at)
         WHERE organization_id = ?1 AND campaign_id = ?2 AND status = 'pending'",
        args![org, campaign_id],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone;
    use crate::domain::schedule::TimeWindow;
    use crate::store::configurations::{self, ConfigurationFields};
    use crate::store::contacts::{self, ContactWrite, Scope};
    use crate::store::{campaigns, orgs};
    use rusqlite::Connection;

    fn org() -> OrgId {
        OrgId::parse("org_a").unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// An in-memory database with one campaign (windows always open, 2 attempts 30 minutes
    /// apart) and one contact with two numbers; returns the connection and the campaign's scope.
    fn database() -> (Connection, Scope) {
        let mut file = Connection::open_in_memory().unwrap();
        crate::store::migrate(&mut file).unwrap();
        let conn = Db::Sqlite(&file);
        let now = "2026-12-01T09:00:00.000Z";
        orgs::create(&conn, &org(), "A", now).unwrap();
        let every_minute = |start, end| TimeWindow {
            days: (0..7).collect(),
            start,
            end,
        };
        let fields = ConfigurationFields {
            name: "c".into(),
            default_timezone: "UTC".into(),
            default_windows: vec![every_minute(0, 12 * 60), every_minute(12 * 60, 0)],
            overrides: vec![],
            scheduled_windows: None,
            scheduled_overrides: None,
            default_country_code: "US".into(),
            max_attempts: 2,
            retry_delay_minutes: 30,
            agent_id: None,
            agent_version: None,
            agent_number: None,
        };
        let config = configurations::create(&conn, &org(), &fields, now).unwrap();
        let campaign = campaigns::CampaignFields {
            name: "c".into(),
            external_id: None,
            priority: 0,
            configuration_id: config.id,
        };
        let campaign = campaigns::create(&conn, &org(), &campaign, now).unwrap();
        let scope = Scope {
            org: org(),
            campaign_id: Some(campaign.id),
        };
        let numbers = ["+16502530000", "+16502530001"]
            .map(|n| phone::normalise(n, None).unwrap())
            .to_vec();
        let contact = ContactWrite {
            phone_numbers: Some(numbers),
            ..ContactWrite::default()
        };
        contacts::upsert(&conn, &scope, &[contact], at(now)).unwrap();
        (file, scope)
    }

    fn start(conn: &Db, now: Timestamp) -> Call {
        let mut due = DueContacts::new(conn, now).of(&org(), 10).unwrap();
        assert_eq!(due.len(), 1, "one due contact");
        start_attempts(conn, &[due.remove(0)], now)
            .unwrap()
            .remove(0)
    }

    fn contact_state(conn: &Db) -> (ContactStatus, i64, Option<String>) {
        conn.query_one(
            "SELECT status, attempt_count, next_attempt_at FROM contacts",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    }

    fn end(conn: &Db, call: &Call, outcome: Outcome, ended_at: Timestamp) -> Ended {
        let end = EndAttempt {
            attempt_id: &call.attempt_id,
            outcome,
            ended_at,
            conversation_id: None,
            org: None,
        };
        end_attempt(conn, &mut RulesCache::default(), &end, ended_at).unwrap()
    }

    #[test]
    fn an_attempt_rotates_numbers_then_retries_after_the_delay_then_exhausts() {
        let (file, _) = database();
        let conn = Db::Sqlite(&file);
        let first = start(&conn, at("2026-12-01T10:00:00Z"));
        assert_eq!(first.phone_number, "+16502530000");
        assert_eq!((first.attempt_number, first.max_attempts), (1, 2));
        assert_eq!(organisations_with_room(&conn).unwrap()[0].calls_up, 1);
        assert_eq!(contact_state(&conn).0, ContactStatus::Locked);
        // Locked: not due again.
        let now = at("2026-12-01T10:01:00Z");
        assert!(
            DueContacts::new(&conn, now)
                .of(&org(), 10)
                .unwrap()
                .is_empty()
        );

        let ended = end(&conn, &first, Outcome::Busy, now);
        assert!(matches!(ended, Ended::Now { .. }));
        let (status, count, next) = contact_state(&conn);
        assert_eq!((status, count), (ContactStatus::Pending, 1));
        assert_eq!(next.as_deref(), Some("2026-12-01T10:31:00.000Z"));
        // Not due before the delay has passed; due after, on the second number.
        assert!(
            DueContacts::new(&conn, at("2026-12-01T10:30:59Z"))
                .of(&org(), 10)
                .unwrap()
                .is_empty()
        );
        let second = start(&conn, at("2026-12-01T10:31:00Z"));
        assert_eq!(second.phone_number, "+16502530001");

        end(
            &conn,
            &second,
            Outcome::NoAnswer,
            at("2026-12-01T10:32:00Z"),
        );
        assert_eq!(contact_state(&conn).0, ContactStatus::Exhausted);
        // A second end of the same attempt changes nothing.
        let again = end(
            &conn,
            &second,
            Outcome::Answered,
            at("2026-12-01T10:33:00Z"),
        );
        assert_eq!(
            again,
            Ended::Already {
                outcome: Some(Outcome::NoAnswer)
            }
        );
        assert_eq!(contact_state(&conn).0, ContactStatus::Exhausted);
    }

    #[test]
    fn a_call_never_placed_is_released_and_a_call_up_too_long_ends_failed() {
        let (file, _) = database();
        let conn = Db::Sqlite(&file);
        let call = start(&conn, at("2026-12-01T10:00:00Z"));
        let lock = SignedDuration::from_secs(60);
        let max_call = SignedDuration::from_mins(120);
        // Within the lock timeout, nothing moves.
        let expired = expire(&conn, at("2026-12-01T10:00:59Z"), lock, max_call).unwrap();
        assert_eq!(expired, Expired::default());
        // Past it, the claim is undone: pending again, the attempt gone, the count restored.
        let expired = expire(&conn, at("2026-12-01T10:01:01Z"), lock, max_call).unwrap();
        assert_eq!(expired.released, 1);
        assert_eq!(contact_state(&conn), (ContactStatus::Pending, 0, None));
        let attempts: i64 = conn
            .query_one("SELECT count(*) FROM attempts", &[], |r| r.get(0))
            .unwrap();
        assert_eq!((attempts, call.attempt_number), (0, 1));

        // Placed, then up for longer than the longest call: it ends failed and is retried.
        let call = start(&conn, at("2026-12-01T11:00:00Z"));
        let placement = Placed {
            attempt_id: &call.attempt_id,
            conversation_id: Some("conv-1"),
        };
        placed(&conn, &[placement], "2026-12-01T11:00:01.000Z").unwrap();
        assert_eq!(contact_state(&conn).0, ContactStatus::InProgress);
        let late = at("2026-12-01T13:00:01Z");
        let expired = expire(&conn, late, lock, max_call).unwrap();
        assert_eq!(expired.ended, 1);
        let outcome: Option<Outcome> = conn
            .query_one("SELECT outcome FROM attempts", &[], |r| r.get(0))
            .unwrap();
        assert_eq!(outcome, Some(Outcome::Failed));
        assert_eq!(contact_state(&conn).0, ContactStatus::Pending);
    }

    #[test]
    fn placements_of_many_calls_are_written_at_once_and_skip_calls_already_ended() {
        let (file, scope) = database();
        let conn = Db::Sqlite(&file);
        let more: Vec<ContactWrite> = ["+16502530002", "+16502530003", "+16502530004"]
            .map(|n| ContactWrite {
                phone_numbers: Some(vec![phone::normalise(n, None).unwrap()]),
                ..ContactWrite::default()
            })
            .to_vec();
        let now = at("2026-12-01T10:00:00Z");
        contacts::upsert(&conn, &scope, &more, now).unwrap();
        let due = DueContacts::new(&conn, now).of(&org(), 10).unwrap();
        let calls = start_attempts(&conn, &due, now).unwrap();
        assert_eq!(calls.len(), 4);
        // The first call ended before its placement is written: it stays ended.
        end(
            &conn,
            &calls[0],
            Outcome::Answered,
            at("2026-12-01T10:00:01Z"),
        );
        let placements: Vec<Placed> = calls
            .iter()
            .enumerate()
            .map(|(i, call)| Placed {
                attempt_id: &call.attempt_id,
                conversation_id: (i != 3).then_some("conv"),
            })
            .collect();
        placed(&conn, &placements, "2026-12-01T10:00:02.000Z").unwrap();
        let states: Vec<(ContactStatus, Option<String>)> = conn
            .query(
                "SELECT c.status, a.conversation_id FROM attempts a
                 JOIN contacts c ON c.seq = a.contact_seq ORDER BY c.seq",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let conv = || Some("conv".to_string());
        assert_eq!(
            states,
            [
                (ContactStatus::Completed, None),
                (ContactStatus::InProgress, conv()),
                (ContactStatus::InProgress, conv()),
                (ContactStatus::InProgress, None),
            ]
        );
        assert_eq!(calls_up(&conn).unwrap(), 3);
        let report = crate::store::maintenance::check_in_transaction(&conn).unwrap();
        assert!(report.is_clean(), "{report:?}");
    }

    #[test]
    fn an_organisation_at_its_limit_has_no_room() {
        let (file, _) = database();
        let conn = Db::Sqlite(&file);
        orgs::set_concurrency_limit(&conn, &org(), 1).unwrap();
        assert_eq!(organisations_with_room(&conn).unwrap().len(), 1);
        start(&conn, at("2026-12-01T10:00:00Z"));
        assert!(organisations_with_room(&conn).unwrap().is_empty());
        assert_eq!(calls_up(&conn).unwrap(), 1);
    }
}
