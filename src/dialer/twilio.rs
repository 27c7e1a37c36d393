//! The Twilio placer (docs/telephony.md, "Twilio"): each attempt becomes a call created through
//! Twilio's Programmable Voice REST API (or an API that copies it); its outcome comes back on
//! Twilio's signed status callbacks (`POST /campaign/twilio/status`). Twilio's refusal of the
//! call itself (`400`) uses the attempt; anything else that is not a `201` is not delivered and
//! pauses calls as the webhook placer does (`outbound`).

use super::outbound::{self, SetupError, Throttle, UrlError};
use super::{Placement, Placer, Placing};
use crate::domain::attempt::{Call, MAX_CONVERSATION_ID};
use crate::domain::clock::Clock;
use crate::domain::ids::AttemptId;
use crate::domain::status::Outcome;
use crate::domain::twilio::{STATUS_PATH, Secret};
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The call progress events asked for: each is a callback (the last, `completed`, carries the
/// final `CallStatus`).
pub const STATUS_EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];
/// Largest answer body read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How long a created call's sid stays known in memory: far longer than the recorder takes to
/// write it (then the attempt is found by its `conversation_id`).
const KEEP_NEW_CALLS: Duration = Duration::from_secs(120);

/// Calls Twilio just created, by sid. Twilio may send a call's status callbacks (`initiated`, or
/// at once `failed`, or on a fast double `completed`) before the recorder has written the sid as
/// the attempt's `conversation_id`, even before the placer has read the `201`: the callback route
/// finds the attempt here, or waits here for the `201`, instead of polling the database.
#[derive(Default)]
pub struct NewCalls {
    inner: Mutex<NewCallsInner>,
}

#[derive(Default)]
struct NewCallsInner {
    calls: HashMap<String, Slot>,
    /// When each sid became known, oldest first: entries past `KEEP_NEW_CALLS` are dropped.
    order: VecDeque<(Instant, String)>,
}

enum Slot {
    /// The call's attempt.
    Known(AttemptId),
    /// Callbacks waiting for the `201` that names this call.
    Awaited(Vec<oneshot::Sender<AttemptId>>),
}

impl NewCalls {
    /// Twilio created the call `sid` for `attempt_id`: wakes the callbacks that wait for it.
    pub fn created(&self, sid: &str, attempt_id: &AttemptId) {
        let mut inner = self.inner.lock().expect("new calls");
        let now = Instant::now();
        while let Some((at, _)) = inner.order.front() {
            if now.duration_since(*at) < KEEP_NEW_CALLS {
                break;
            }
            let (_, old) = inner.order.pop_front().expect("a front");
            if matches!(inner.calls.get(&old), Some(Slot::Known(_))) {
                inner.calls.remove(&old);
            }
        }
        let known = Slot::Known(attempt_id.clone());
        if let Some(Slot::Awaited(waiting)) = inner.calls.insert(sid.to_string(), known) {
            for waiter in waiting {
                let _ = waiter.send(attempt_id.clone());
            }
        }
        inner.order.push_back((now, sid.to_string()));
    }

    /// The attempt of a call created lately, if known now.
    pub fn attempt_of(&self, sid: &str) -> Option<AttemptId> {
        match self.inner.lock().expect("new calls").calls.get(sid) {
            Some(Slot::Known(attempt_id)) => Some(attempt_id.clone()),
            _ => None,
        }
    }

    /// The attempt of the call `sid`, waiting up to `wait` for Twilio's `201` naming it.
    pub async fn wait_for(&self, sid: &str, wait: Duration) -> Option<AttemptId> {
        let (waiter, answer) = oneshot::channel();
        {
            let mut inner = self.inner.lock().expect("new calls");
            match inner.calls.get_mut(sid) {
                Some(Slot::Known(attempt_id)) => return Some(attempt_id.clone()),
                Some(Slot::Awaited(waiting)) => waiting.push(waiter),
                None => {
                    inner
                        .calls
                        .insert(sid.to_string(), Slot::Awaited(vec![waiter]));
                }
            }
        }
        let answered = tokio::time::timeout(wait, answer).await;
        if let Ok(Ok(attempt_id)) = answered {
            return Some(attempt_id);
        }
        // Nobody named it: leave no waiter behind.
        let mut inner = self.inner.lock().expect("new calls");
        if let Some(Slot::Awaited(waiting)) = inner.calls.get_mut(sid) {
            waiting.retain(|w| !w.is_closed());
            if waiting.is_empty() {
                inner.calls.remove(sid);
            }
        }
        None
    }

    /// The call ended: its attempt is found by its `conversation_id` from now on.
    pub fn forget(&self, sid: &str) {
        let mut inner = self.inner.lock().expect("new calls");
        if matches!(inner.calls.get(sid), Some(Slot::Known(_))) {
            inner.calls.remove(sid);
        }
    }
}

/// `--twilio-machine-detection`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MachineDetection {
    /// No detection: every answered call is `answered`.
    Off,
    /// `Enable`: Twilio tells human from machine as soon as it can.
    Enable,
    /// `DetectMessageEnd`: Twilio waits for the greeting's end (to leave a message).
    DetectMessageEnd,
}

impl MachineDetection {
    /// The value of Twilio's `MachineDetection` parameter; `None`: not sent.
    pub fn parameter(self) -> Option<&'static str> {
        match self {
            MachineDetection::Off => None,
            MachineDetection::Enable => Some("Enable"),
            MachineDetection::DetectMessageEnd => Some("DetectMessageEnd"),
        }
    }
}

/// What Twilio runs when the call connects.
#[derive(Clone, Debug)]
pub enum Target {
    /// `--twilio-url`: TwiML fetched from this URL (the attempt's ids added to its query).
    Url(reqwest::Url),
    /// `--twilio-application-sid`: a TwiML application of the account.
    Application(String),
}

/// The `--twilio-…` flags, read.
#[derive(Clone, Debug)]
pub struct Settings {
    pub account_sid: String,
    /// Authenticates the API requests (unless an API key is given) and verifies the callbacks.
    pub auth_token: Secret,
    /// `--twilio-api-key` and `--twilio-api-secret`: Basic auth with them instead.
    pub api_key: Option<(String, Secret)>,
    /// The caller id when neither the contact nor its configuration has an `agent_number`.
    pub from: Option<String>,
    pub target: Target,
    pub machine_detection: MachineDetection,
    /// Twilio's `Timeout`: seconds to let the phone ring (5–600).
    pub ring_seconds: u16,
    /// `--twilio-api-base`, without a trailing slash.
    pub api_base: reqwest::Url,
}

/// Reads `--twilio-api-base`: an http(s) URL (a path is kept: SignalWire's is `/api/laml`).
pub fn parse_api_base(text: &str) -> Result<reqwest::Url, UrlError> {
    let url = outbound::parse_http_url(text, "https://api.twilio.com")?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(UrlError::HasQuery(text.to_string()));
    }
    Ok(url)
}

/// Reads `--twilio-url`: an http(s) URL (its query is kept; the attempt's ids are added to it).
pub fn parse_twiml_url(text: &str) -> Result<reqwest::Url, UrlError> {
    outbound::parse_http_url(text, "https://agent.example.com/twiml")
}

/// Twilio's answer to a created call (only what campaignd reads of it).
#[derive(Deserialize)]
struct Created {
    sid: String,
}

/// Twilio's error body: `{"code", "message", "more_info", "status"}`.
#[derive(Deserialize)]
struct Refusal {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// How Twilio answered a request to create a call.
enum Answer {
    /// `201`: the call is up, with Twilio's id of it (if the body said).
    Created(Option<String>),
    /// `400`: Twilio refused the call itself (the number is the problem).
    Refused(String),
    /// Anything else: not delivered, for this reason.
    NotDelivered { reason: String, credentials: bool },
}

pub struct Twilio {
    client: reqwest::Client,
    /// `<api-base>/2010-04-01/Accounts/<sid>/Calls.json`.
    calls_url: reqwest::Url,
    /// Who the Basic auth names, and its password.
    user: String,
    password: Secret,
    from: Option<String>,
    target: Target,
    machine_detection: MachineDetection,
    ring_seconds: u16,
    /// `<public-url>/campaign/twilio/status`.
    status_callback: String,
    timeout: Duration,
    throttle: Throttle,
    new_calls: Arc<NewCalls>,
}

impl Twilio {
    /// `new_calls` is shared with the status callback route.
    pub fn new(
        settings: Settings,
        public_url: &str,
        clock: Clock,
        new_calls: Arc<NewCalls>,
    ) -> Result<Twilio, SetupError> {
        let timeout = outbound::answer_timeout(clock);
        let mut calls_url = settings.api_base.clone();
        let base_path = calls_url.path().trim_end_matches('/').to_string();
        calls_url.set_path(&format!(
            "{base_path}/2010-04-01/Accounts/{}/Calls.json",
            settings.account_sid
        ));
        let (user, password) = match settings.api_key {
            Some((key, secret)) => (key, secret),
            None => (settings.account_sid, settings.auth_token),
        };
        Ok(Twilio {
            client: outbound::client(timeout)?,
            calls_url,
            user,
            password,
            from: settings.from,
            target: settings.target,
            machine_detection: settings.machine_detection,
            ring_seconds: settings.ring_seconds,
            status_callback: format!("{public_url}{STATUS_PATH}"),
            timeout,
            throttle: Throttle::new(clock),
            new_calls,
        })
    }

    /// The start-up line.
    pub fn describe(&self) -> String {
        let runs = match &self.target {
            Target::Url(url) => format!("TwiML from {}", outbound::loggable(url)),
            Target::Application(sid) => format!("application {sid}"),
        };
        format!(
            "twilio placer: calls created at {} as {} (answer within {:?}), running {runs}; \
             status callbacks expected at {}",
            outbound::loggable(&self.calls_url),
            self.user,
            self.timeout,
            self.status_callback
        )
    }

    /// The form of the request that creates `call`'s call, in Twilio's parameter names;
    /// `None` when there is no caller id to call from.
    fn form(&self, call: &Call) -> Option<Vec<(&'static str, String)>> {
        let from = call.caller_number.clone().or_else(|| self.from.clone())?;
        let mut form = vec![("To", call.phone_number.clone()), ("From", from)];
        match &self.target {
            Target::Url(url) => {
                let mut url = url.clone();
                {
                    let mut query = url.query_pairs_mut();
                    query.append_pair("attempt_id", call.attempt_id.as_str());
                    query.append_pair("contact_id", call.contact_id.as_str());
                    if let Some(campaign_id) = &call.campaign_id {
                        query.append_pair("campaign_id", campaign_id.as_str());
                    }
                }
                form.push(("Url", url.to_string()));
            }
            Target::Application(sid) => form.push(("ApplicationSid", sid.clone())),
        }
        form.push(("StatusCallback", self.status_callback.clone()));
        form.push(("StatusCallbackMethod", "POST".into()));
        // An array parameter: one pair per value, as Twilio's OpenAPI description and its
        // libraries send it.
        for event in STATUS_EVENTS {
            form.push(("StatusCallbackEvent", event.into()));
        }
        if let Some(detection) = self.machine_detection.parameter() {
            form.push(("MachineDetection", detection.into()));
        }
        form.push(("Timeout", self.ring_seconds.to_string()));
        Some(form)
    }

    async fn place_call(self: Arc<Self>, call: Call) -> Placement {
        let Some(_permit) = self.throttle.permit().await else {
            // Claimed before the pause began: it waits for the next pass, no attempt used.
            tracing::debug!("twilio call of attempt {} deferred", call.attempt_id);
            return Placement::NotDelivered;
        };
        let Some(form) = self.form(&call) else {
            // What Twilio would refuse with a 400: this attempt cannot be a call.
            crate::metrics::twilio_call("refused");
            tracing::error!(
                "attempt {} has no caller id: set --twilio-from, or the configuration's or \
                 contact's agent_number; the attempt ends failed",
                call.attempt_id
            );
            return Placement::Ended {
                outcome: Outcome::Failed,
                conversation_id: None,
            };
        };
        let sent = Instant::now();
        let answer = self
            .client
            .post(self.calls_url.clone())
            .basic_auth(&self.user, Some(self.password.expose()))
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await;
        let answer = match answer {
            Err(error) => Answer::NotDelivered {
                reason: outbound::describe_error(error),
                credentials: false,
            },
            Ok(response) => read_answer(response).await,
        };
        match answer {
            Answer::Created(sid) => {
                crate::metrics::twilio_call("placed");
                if self.throttle.succeeded() {
                    tracing::info!("twilio calls resumed");
                }
                if let Some(sid) = &sid {
                    self.new_calls.created(sid, &call.attempt_id);
                } else {
                    tracing::warn!(
                        "Twilio created the call of attempt {} without a readable sid: its \
                         status callbacks cannot be matched; it ends after --max-call-minutes",
                        call.attempt_id
                    );
                }
                Placement::Accepted {
                    conversation_id: sid,
                }
            }
            Answer::Refused(reason) => {
                crate::metrics::twilio_call("refused");
                // Twilio answered: the API is up, whatever it thought of this number.
                self.throttle.succeeded();
                tracing::warn!(
                    "Twilio refused the call of attempt {} to {}: {reason}; the attempt ends failed",
                    call.attempt_id,
                    call.phone_number
                );
                Placement::Ended {
                    outcome: Outcome::Failed,
                    conversation_id: None,
                }
            }
            Answer::NotDelivered {
                reason,
                credentials,
            } => {
                crate::metrics::twilio_call("failed");
                let pause = outbound::pause_text(self.throttle.failed(sent), "call");
                if credentials {
                    tracing::error!(
                        "Twilio refused campaignd's credentials for attempt {}: {reason}; check \
                         --twilio-account-sid and --twilio-auth-token (or --twilio-api-key and \
                         --twilio-api-secret); the contact stays pending{pause}",
                        call.attempt_id
                    );
                } else {
                    tracing::warn!(
                        "twilio call of attempt {} failed: {reason}; the contact stays pending{pause}",
                        call.attempt_id
                    );
                }
                Placement::NotDelivered
            }
        }
    }
}

/// Reads Twilio's answer to a call's creation.
async fn read_answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let body = match outbound::read_body(response, MAX_ANSWER_BYTES).await {
        Ok(body) => body,
        // A 201 whose body was cut still created the call: never place it twice.
        Err(reason) if status == 201 => {
            tracing::warn!("reading Twilio's 201 answer: {reason}");
            return Answer::Created(None);
        }
        Err(reason) => {
            return Answer::NotDelivered {
                reason: format!("HTTP {status}: {reason}"),
                credentials: false,
            };
        }
    };
    match status {
        201 => Answer::Created(
            serde_json::from_slice::<Created>(&body)
                .ok()
                .map(|created| created.sid)
                .filter(|sid| !sid.is_empty() && sid.len() <= MAX_CONVERSATION_ID),
        ),
        400 => Answer::Refused(refusal(&body)),
        _ => Answer::NotDelivered {
            reason: format!("Twilio answered HTTP {status}: {}", refusal(&body)),
            credentials: matches!(status, 401 | 403),
        },
    }
}

/// Twilio's reason, from its error body (`{"code", "message", …}`), or the body's start.
fn refusal(body: &[u8]) -> String {
    match serde_json::from_slice::<Refusal>(body) {
        Ok(Refusal {
            code: Some(code),
            message,
        }) => format!("error {code}: {}", message.unwrap_or_default()),
        _ => {
            let shown = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            format!("{shown:?}")
        }
    }
}

/// The placer the dialer holds: a shared handle, so that each call's task owns one.
pub struct Shared(pub Arc<Twilio>);

impl Placer for Shared {
    fn place(&self, call: Call) -> Placing {
        Box::pin(self.0.clone().place_call(call))
    }

    fn hold_until(&self) -> Option<Instant> {
        self.0.throttle.hold_until()
    }
}
