//! A call attempt (docs/api.md, "The dialing loop"): what a placer is handed, and the rule of
//! step 6 that decides where a contact goes after an attempt. Pure: the store applies it, the
//! dialer and the API trigger it.

use crate::domain::ids::{AttemptId, CampaignId, ContactId, OrgId};
use crate::domain::status::Outcome;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::value::RawValue;

/// Longest `conversation_id` a placer or the result route may report.
pub const MAX_CONVERSATION_ID: usize = 255;
/// Attempts and retry delay of ad-hoc contacts, which have no configuration.
pub const AD_HOC_MAX_ATTEMPTS: i64 = 3;
pub const AD_HOC_RETRY_MINUTES: i64 = 60;

/// A claimed attempt, with everything a placer needs (and, as it is, the webhook's body).
#[derive(Clone, Debug, Serialize)]
pub struct Call {
    pub attempt_id: AttemptId,
    pub contact_id: ContactId,
    pub campaign_id: Option<CampaignId>,
    pub organization_id: OrgId,
    pub phone_number: String,
    pub caller_number: Option<String>,
    pub attempt_number: i64,
    pub max_attempts: i64,
    pub agent_id: Option<String>,
    pub agent_version: Option<i64>,
    pub agent_config: Option<Box<RawValue>>,
    pub initial_context: Option<String>,
    pub data: Box<RawValue>,
    pub external_id: Option<String>,
}

/// Where a contact goes after an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum After {
    /// The call was answered.
    Completed,
    /// That was its last attempt.
    Exhausted,
    /// It is tried again from this instant (inside its windows).
    Retry(Timestamp),
}

/// Step 6: answered completes the contact; otherwise it is exhausted once `attempts` (this one
/// included) reached `max_attempts`, else retried `retry_delay_minutes` after `ended_at`.
pub fn after(
    outcome: Outcome,
    attempts: i64,
    max_attempts: i64,
    retry_delay_minutes: i64,
    ended_at: Timestamp,
) -> After {
    if outcome == Outcome::Answered {
        After::Completed
    } else if attempts >= max_attempts {
        After::Exhausted
    } else {
        After::Retry(
            ended_at
                .saturating_add(SignedDuration::from_mins(retry_delay_minutes))
                .unwrap_or(Timestamp::MAX),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answered_completes_the_last_attempt_exhausts_others_retry_after_the_delay() {
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        assert_eq!(after(Outcome::Answered, 3, 3, 60, at), After::Completed);
        assert_eq!(after(Outcome::Voicemail, 3, 3, 60, at), After::Exhausted);
        assert_eq!(
            after(Outcome::Busy, 1, 3, 90, at),
            After::Retry("2026-12-01T11:30:00Z".parse().unwrap())
        );
    }
}
