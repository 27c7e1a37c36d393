//! The webhook placer (docs/telephony.md): each attempt is POSTed to the user's telephony bridge,
//! signed by the Standard Webhooks specification; its answer accepts the call (the result comes
//! later on the result route), ends it at once, or is not a delivery at all: then the contact
//! goes back to `pending` and deliveries pause, 1 s doubling to 60 s, until the bridge answers
//! (the machinery it shares with the Twilio placer is in `outbound`).

use super::outbound::{self, SetupError, Throttle, UrlError};
use super::{Placement, Placer, Placing};
use crate::domain::attempt::{Call, MAX_CONVERSATION_ID};
use crate::domain::clock::Clock;
use crate::domain::status::Outcome;
use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use super::outbound::{ANSWER_TIMEOUT, MAX_IN_FLIGHT, parse_public_url};
/// Largest answer body read; a longer one is unreadable.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// `--webhook-url`, `--webhook-secret`.
#[derive(Clone, Debug)]
pub struct Settings {
    pub url: reqwest::Url,
    pub secret: Secret,
}

/// A Standard Webhooks secret: `whsec_` and the base64 of 24–64 bytes. Never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;

    fn from_str(text: &str) -> Result<Secret, String> {
        let rule = "must be whsec_ followed by the standard base64 of 24 to 64 random bytes, \
                    e.g. whsec_$(openssl rand -base64 32)";
        // As the Standard Webhooks libraries read it: the `=` padding may be left out.
        const SECRET: GeneralPurpose = GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let key = text
            .strip_prefix("whsec_")
            .and_then(|b64| SECRET.decode(b64).ok())
            .ok_or(rule)?;
        if !(24..=64).contains(&key.len()) {
            return Err(format!("{rule} (it decodes to {} bytes)", key.len()));
        }
        Ok(Secret(key))
    }
}

impl Secret {
    /// `v1,<base64 of HMAC-SHA256("<id>.<timestamp>.<body>")>`.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(format!(".{timestamp}.").as_bytes());
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// Reads `--webhook-url`: an absolute http(s) URL with a host.
pub fn parse_url(text: &str) -> Result<reqwest::Url, UrlError> {
    outbound::parse_http_url(text, "https://bridge.example.com/calls")
}

/// The delivery body: the call and where its result goes.
#[derive(Serialize)]
struct Delivery<'a> {
    #[serde(flatten)]
    call: &'a Call,
    result_url: String,
}

/// A 2xx answer's body.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    conversation_id: Option<String>,
}

pub struct Webhook {
    client: reqwest::Client,
    url: reqwest::Url,
    shown_url: String,
    secret: Secret,
    /// `<public url>/campaign/attempts/`.
    result_base: String,
    timeout: Duration,
    throttle: Throttle,
}

impl Webhook {
    pub fn new(
        settings: Settings,
        public_url: String,
        clock: Clock,
    ) -> Result<Webhook, SetupError> {
        let timeout = outbound::answer_timeout(clock);
        Ok(Webhook {
            client: outbound::client(timeout)?,
            shown_url: outbound::loggable(&settings.url),
            url: settings.url,
            secret: settings.secret,
            result_base: format!("{public_url}/campaign/attempts/"),
            timeout,
            throttle: Throttle::new(clock),
        })
    }

    /// The start-up line.
    pub fn describe(&self) -> String {
        format!(
            "webhook placer: deliveries to {} (answer within {:?}), results expected at {}{{attempt_id}}/result",
            self.shown_url, self.timeout, self.result_base
        )
    }

    /// The signed request body and headers of one call.
    fn delivery(&self, call: &Call) -> (Vec<u8>, u64, String) {
        let body = serde_json::to_vec(&Delivery {
            call,
            result_url: format!("{}{}/result", self.result_base, call.attempt_id),
        })
        .expect("a call serialises");
        // Standard Webhooks receivers check the timestamp against their own clock (replay
        // protection): it is the real time, whatever campaignd's clock shows.
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let signature = self.secret.sign(call.attempt_id.as_str(), timestamp, &body);
        (body, timestamp, signature)
    }

    async fn deliver(self: Arc<Self>, call: Call) -> Placement {
        let Some(_permit) = self.throttle.permit().await else {
            // Claimed before the pause began: it waits for the next pass, no attempt used.
            tracing::debug!("webhook delivery of attempt {} deferred", call.attempt_id);
            return Placement::NotDelivered;
        };
        let sent = Instant::now();
        let (body, timestamp, signature) = self.delivery(&call);
        let answer = self
            .client
            .post(self.url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", call.attempt_id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let placement = match answer {
            Err(error) => Err(outbound::describe_error(error)),
            Ok(response) => read_answer(response).await,
        };
        match placement {
            Ok(placement) => {
                crate::metrics::webhook_delivery(true);
                if self.throttle.succeeded() {
                    tracing::info!("webhook deliveries resumed");
                }
                placement
            }
            Err(reason) => {
                crate::metrics::webhook_delivery(false);
                let pause = outbound::pause_text(self.throttle.failed(sent), "delivery");
                tracing::warn!(
                    "webhook delivery of attempt {} to {} failed: {reason}; the contact stays pending{pause}",
                    call.attempt_id,
                    self.shown_url,
                );
                Placement::NotDelivered
            }
        }
    }
}

/// Reads a bridge's answer: a 2xx with an empty body, `{"conversation_id"}` or
/// `{"outcome", "conversation_id"?}`; anything else is the reason it was not delivered.
async fn read_answer(response: reqwest::Response) -> Result<Placement, String> {
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the bridge answered HTTP {}", status.as_u16()));
    }
    parse_answer(&outbound::read_body(response, MAX_ANSWER_BYTES).await?)
}

fn parse_answer(body: &[u8]) -> Result<Placement, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Placement::Accepted {
            conversation_id: None,
        });
    }
    let unreadable = |why: &str| {
        let shown = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        format!("unreadable answer ({why}): {shown:?}")
    };
    // An object only (serde would also read a struct from an array).
    let answer: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| unreadable(&e.to_string()))?;
    let answer: Answer =
        serde_json::from_value(answer.into()).map_err(|e| unreadable(&e.to_string()))?;
    if let Some(id) = &answer.conversation_id
        && id.chars().count() > MAX_CONVERSATION_ID
    {
        return Err(unreadable("conversation_id must be at most 255 characters"));
    }
    let conversation_id = answer.conversation_id.filter(|id| !id.is_empty());
    match answer.outcome {
        None => Ok(Placement::Accepted { conversation_id }),
        Some(name) => match Outcome::parse(&name) {
            Some(outcome) => Ok(Placement::Ended {
                outcome,
                conversation_id,
            }),
            None => Err(unreadable(
                "outcome must be answered, voicemail, no_answer, busy or failed",
            )),
        },
    }
}

/// The placer the dialer holds: a shared handle, so that each delivery's task owns one.
pub struct Shared(pub Arc<Webhook>);

impl Placer for Shared {
    fn place(&self, call: Call) -> Placing {
        Box::pin(self.0.clone().deliver(call))
    }

    fn hold_until(&self) -> Option<Instant> {
        self.0.throttle.hold_until()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example (its README and test suites).
    #[test]
    fn signs_like_the_reference() {
        let secret: Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse().unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_and_urls_are_read_strictly() {
        assert!(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                .parse::<Secret>()
                .is_ok()
        );
        // Padding optional; 16 or 65 bytes; not base64; no prefix.
        assert!(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAA"
                .parse::<Secret>()
                .is_ok()
        );
        assert!(
            format!("whsec_{}", STANDARD.encode([7u8; 65]))
                .parse::<Secret>()
                .is_err()
        );
        assert!("whsec_AAAAAAAAAAAAAAAAAAAAAA==".parse::<Secret>().is_err());
        assert!("whsec_not base64!".parse::<Secret>().is_err());
        assert!(
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                .parse::<Secret>()
                .is_err()
        );
        assert_eq!(
            format!(
                "{:?}",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                    .parse::<Secret>()
                    .unwrap()
            ),
            "Secret(…)"
        );
        assert!(parse_url("https://bridge.example.com/calls?token=x").is_ok());
        assert!(parse_url("ftp://bridge.example.com/").is_err());
        assert!(parse_url("bridge.example.com").is_err());
        assert_eq!(
            parse_public_url("https://campaignd.example.com/").unwrap(),
            "https://campaignd.example.com"
        );
        assert!(parse_public_url("https://campaignd.example.com/?a=b").is_err());
        assert_eq!(
            outbound::loggable(&parse_url("https://u:p@bridge.example.com/calls?token=x").unwrap()),
            "https://bridge.example.com/calls"
        );
    }

    #[test]
    fn answers_are_read_strictly() {
        let accepted = |body: &str| match parse_answer(body.as_bytes()) {
            Ok(Placement::Accepted { conversation_id }) => Some(conversation_id),
            _ => None,
        };
        assert_eq!(accepted(""), Some(None));
        assert_eq!(accepted("{}"), Some(None));
        assert_eq!(accepted(r#"{"conversation_id": ""}"#), Some(None));
        assert_eq!(
            accepted(r#"{"conversation_id": "c1", "x": 1}"#),
            Some(Some("c1".into()))
        );
        assert!(matches!(
            parse_answer(br#"{"outcome": "busy"}"#),
            Ok(Placement::Ended {
                outcome: Outcome::Busy,
                conversation_id: None
            })
        ));
        for bad in [
            "ok",
            "[]",
            r#"{"outcome": "ringing"}"#,
            r#"{"conversation_id": 5}"#,
            r#"["busy", "c1"]"#,
            "null",
        ] {
            assert!(parse_answer(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
