//! An attempt's result as the user's telephony reports it (`POST /campaign/attempts/{id}/result`),
//! or as Twilio's status callbacks do (`POST /campaign/twilio/status`, by the call's id):
//! the checks that need the stored attempt, then step 6 of the loop, in one write transaction.

use super::args;
use super::configurations::RulesCache;
use super::contacts::{self, Contact, Scope};
use super::db::Db;
use super::dialing::{self, EndAttempt, Ended};
use super::{StoreError, StoreResult};
use crate::domain::ids::{AttemptId, CampaignId, ContactId, OrgId};
use crate::domain::status::{AttemptStatus, Outcome};
use crate::domain::time;
use jiff::Timestamp;

/// A reported result.
pub struct Report<'a> {
    pub attempt_id: &'a AttemptId,
    pub outcome: Outcome,
    /// `None`: now.
    pub ended_at: Option<Timestamp>,
    pub conversation_id: Option<&'a str>,
}

/// What reporting did.
#[derive(Debug)]
pub enum Reported {
    /// Ended now (`ended`), or had ended before with the same outcome: the contact with its
    /// attempts.
    Contact { contact: Box<Contact>, ended: bool },
    /// `ended_at` is before the attempt started (its `started_at`).
    BeforeStart(String),
    /// `ended_at` is after now.
    InTheFuture,
    /// Ended before with another outcome (or none).
    AlreadyEnded,
}

/// Ends the attempt `report` names, of `org` (else `NotFound`), with its outcome.
pub fn report(
    conn: &Db,
    org: &OrgId,
    report: &Report<'_>,
    now: Timestamp,
) -> StoreResult<Reported> {
    let found = conn.query_opt(
        "SELECT a.status, a.outcome, a.started_at, c.id, c.campaign_id
             FROM attempts a JOIN contacts c ON c.seq = a.contact_seq
             WHERE a.id = ?1 AND c.organization_id = ?2",
        args![report.attempt_id, org],
        |r| {
            Ok((
                r.get::<AttemptStatus>(0)?,
                r.get::<Option<Outcome>>(1)?,
                r.get::<String>(2)?,
                r.get::<ContactId>(3)?,
                r.get::<Option<CampaignId>>(4)?,
            ))
        },
    )?;
    let Some((status, stored_outcome, started_at, contact_id, campaign_id)) = found else {
        return Err(StoreError::NotFound);
    };
    let ended_at = report.ended_at.unwrap_or(now);
    if time::format(ended_at) < started_at {
        return Ok(Reported::BeforeStart(started_at));
    }
    if ended_at > now {
        return Ok(Reported::InTheFuture);
    }
    let ended = status == AttemptStatus::InProgress;
    if !ended {
        if stored_outcome != Some(report.outcome) {
            return Ok(Reported::AlreadyEnded);
        }
    } else {
        let end = EndAttempt {
            attempt_id: report.attempt_id,
            outcome: report.outcome,
            ended_at,
            conversation_id: report.conversation_id,
            org: Some(org),
        };
        let ended = dialing::end_attempt(conn, &mut RulesCache::default(), &end, now)?;
        match ended {
            Ended::Now { .. } => {}
            Ended::BeforeStart => return Ok(Reported::BeforeStart(started_at)),
            Ended::Already { .. } => return Ok(Reported::AlreadyEnded),
        }
    }
    let scope = Scope {
        org: org.clone(),
        campaign_id,
    };
    let contact = contacts::get(conn, &scope, &contact_id)?.ok_or(StoreError::NotFound)?;
    Ok(Reported::Contact {
        contact: Box::new(contact),
        ended,
    })
}

/// What a call's final status did to its attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum CallEnd {
    /// Step 6 applied now.
    Ended,
    /// The attempt had ended before (a repeated callback, or `--max-call-minutes`): unchanged.
    AlreadyEnded,
}

/// The attempt whose call has this id (`conversation_id`, e.g. a Twilio call's sid).
pub fn by_conversation(conn: &Db, conversation_id: &str) -> StoreResult<Option<AttemptId>> {
    conn.query_opt(
        "SELECT id FROM attempts WHERE conversation_id = ?1 ORDER BY started_at DESC LIMIT 1",
        args![conversation_id],
        |r| r.get(0),
    )
}

/// Ends `attempt_id`, the attempt of the call `conversation_id`, with `outcome` at `now` (step
/// 6; the call's id is written too, in case the placer's own record of it is still on its way):
/// what happened, or `None` when there is no such attempt.
pub fn end_call(
    conn: &Db,
    attempt_id: &AttemptId,
    conversation_id: &str,
    outcome: Outcome,
    now: Timestamp,
) -> StoreResult<Option<CallEnd>> {
    let end = EndAttempt {
        attempt_id,
        outcome,
        ended_at: now,
        conversation_id: Some(conversation_id),
        org: None,
    };
    let ended = dialing::end_attempt(conn, &mut RulesCache::default(), &end, now);
    Ok(Some(match ended {
        Ok(Ended::Now { .. }) => CallEnd::Ended,
        // An attempt cannot start after now; either way nothing was written.
        Ok(Ended::Already { .. } | Ended::BeforeStart) => CallEnd::AlreadyEnded,
        Err(StoreError::NotFound) => return Ok(None),
        Err(error) => return Err(error),
    }))
}
