//! Campaign and contact statuses, and the campaign lifecycle.

/// An enum that is stored and sent as one of a fixed set of names: `as_str`, `parse`, `ALL`,
/// `NAMES` and serde's `Serialize` (the store adds its SQL conversions).
macro_rules! named {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named! {
    /// Campaign status. `closed` is final.
    CampaignStatus {
        Active => "active",
        Paused => "paused",
        Closed => "closed",
    }
}

named! {
    /// Contact status: `locked` while its attempt is handed to the placer, `in_progress` while the
    /// call is up (the API shows both as `in_progress` in the stats).
    ContactStatus {
        Pending => "pending",
        Locked => "locked",
        InProgress => "in_progress",
        Completed => "completed",
        Exhausted => "exhausted",
    }
}

impl ContactStatus {
    /// A call of the contact is up (claimed or placed).
    pub fn is_dialling(self) -> bool {
        matches!(self, ContactStatus::Locked | ContactStatus::InProgress)
    }
}

named! {
    /// Attempt status: `completed` when the call connected, `failed` when it did not.
    AttemptStatus {
        InProgress => "in_progress",
        Completed => "completed",
        Failed => "failed",
    }
}

named! {
    /// How a call attempt ended.
    Outcome {
        Answered => "answered",
        Voicemail => "voicemail",
        NoAnswer => "no_answer",
        Busy => "busy",
        Failed => "failed",
    }
}

impl Outcome {
    /// The attempt's status: `completed` when the call connected, else `failed`.
    pub fn attempt_status(self) -> AttemptStatus {
        match self {
            Outcome::Answered | Outcome::Voicemail => AttemptStatus::Completed,
            _ => AttemptStatus::Failed,
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
