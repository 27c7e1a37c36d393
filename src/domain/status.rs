//! Campaign and contact statuses, and the campaign lifecycle.

/// Campaign status. `closed` is final.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignStatus {
    Active,
    Paused,
    Closed,
}

impl CampaignStatus {
    pub const NAMES: [&'static str; 3] = ["active", "paused", "closed"];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Active => "active",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<CampaignStatus> {
        match text {
            "active" => Some(CampaignStatus::Active),
            "paused" => Some(CampaignStatus::Paused),
            "closed" => Some(CampaignStatus::Closed),
            _ => None,
        }
    }
}

/// A lifecycle action on a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    Start,
    Pause,
    Close,
}

impl Lifecycle {
    /// The status the action leads to.
    pub fn target(self) -> CampaignStatus {
        match self {
            Lifecycle::Start => CampaignStatus::Active,
            Lifecycle::Pause => CampaignStatus::Paused,
            Lifecycle::Close => CampaignStatus::Closed,
        }
    }

    /// The statuses from which the action is allowed (a start of an active campaign is a no-op).
    pub fn allowed_from(self) -> &'static [CampaignStatus] {
        match self {
            Lifecycle::Start => &[CampaignStatus::Active, CampaignStatus::Paused],
            Lifecycle::Pause => &[CampaignStatus::Active],
            Lifecycle::Close => &[CampaignStatus::Active, CampaignStatus::Paused],
        }
    }

    /// The `detail` of the 400 answer when the action is not allowed.
    pub fn refusal(self) -> &'static str {
        match self {
            Lifecycle::Start => "Cannot start a closed campaign",
            Lifecycle::Pause => "Campaign is not active",
            Lifecycle::Close => "Campaign is already closed",
        }
    }
}

/// Contact status.
pub const CONTACT_STATUSES: [&str; 5] =
    ["pending", "locked", "in_progress", "completed", "exhausted"];

/// How a call attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Answered,
    Voicemail,
    NoAnswer,
    Busy,
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Answered,
        Outcome::Voicemail,
        Outcome::NoAnswer,
        Outcome::Busy,
        Outcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Voicemail => "voicemail",
            Outcome::NoAnswer => "no_answer",
            Outcome::Busy => "busy",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// The attempt's status: `completed` when the call connected, else `failed`.
    pub fn attempt_status(self) -> &'static str {
        match self {
            Outcome::Answered | Outcome::Voicemail => "completed",
            _ => "failed",
        }
    }
}
