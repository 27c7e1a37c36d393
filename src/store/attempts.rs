//! An attempt's result as the user's telephony reports it (`POST /campaign/attempts/{id}/result`):
//! the checks that need the stored attempt, then step 6 of the loop, in one write transaction.

use super::configurations::RulesCache;
use super::contacts::{self, Contact, Scope};
use super::dialing::{self, EndAttempt, Ended};
use super::{StoreError, StoreResult};
use crate::domain::status::{AttemptStatus, Outcome};
use crate::domain::time;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension};

/// A reported result.
pub struct Report<'a> {
    pub attempt_id: &'a str,
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
    conn: &Connection,
    org: &str,
    report: &Report<'_>,
    now: Timestamp,
) -> StoreResult<Reported> {
    let found = conn
        .prepare_cached(
            "SELECT a.status, a.outcome, a.started_at, c.id, c.campaign_id
             FROM attempts a JOIN contacts c ON c.seq = a.contact_seq
             WHERE a.id = ?1 AND c.organization_id = ?2",
        )?
        .query_row([report.attempt_id, org], |r| {
            Ok((
                r.get::<_, AttemptStatus>(0)?,
                r.get::<_, Option<Outcome>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .optional()?;
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
        org: org.to_string(),
        campaign_id,
    };
    let contact = contacts::resolve(conn, &scope, &contact_id)?.ok_or(StoreError::NotFound)?;
    Ok(Reported::Contact {
        contact: Box::new(contact),
        ended,
    })
}
