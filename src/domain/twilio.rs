//! Twilio's side of a call, as pure rules: the ids and secrets its flags take, the signature of
//! its webhooks (`X-Twilio-Signature`), and what each final call status means as an outcome.

use super::status::Outcome;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// The path of the status callbacks, under `--public-url` (the placer asks Twilio to call it, the
/// API serves it).
pub const STATUS_PATH: &str = "/campaign/twilio/status";

/// A value that must never be shown: an auth token or an API key's secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Why a flag's value was refused. A secret's value is never part of the message.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("must be {0}")]
    Rule(&'static str),
    #[error("'{text}' must be {rule}")]
    Shown { text: String, rule: &'static str },
}

impl Secret {
    /// A token or secret as Twilio (32 hex digits) and the APIs that copy it issue them: 16–256
    /// printable ASCII characters without spaces.
    pub fn parse(text: &str) -> Result<Secret, Invalid> {
        let printable = text.bytes().all(|b| b.is_ascii_graphic());
        if !printable || !(16..=256).contains(&text.len()) {
            return Err(Invalid::Rule(
                "16 to 256 printable characters without spaces (Twilio's are 32 hex digits)",
            ));
        }
        Ok(Secret(text.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// `<prefix>` and 32 hex digits: Twilio's SIDs (`AC…` accounts, `SK…` API keys, `AP…`
/// applications).
fn is_sid(text: &str, prefix: &str) -> bool {
    text.len() == 34 && text.starts_with(prefix) && text[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// An account: Twilio's `AC` + 32 hex digits, or a UUID (SignalWire's project ids, which its
/// compatible API takes in the same place).
pub fn parse_account_sid(text: &str) -> Result<String, Invalid> {
    if is_sid(text, "AC") || super::ids::parse_uuid(text).is_some() {
        Ok(text.to_string())
    } else {
        Err(Invalid::Shown {
            text: text.to_string(),
            rule: "AC followed by 32 hex digits (or a SignalWire project id, a UUID)",
        })
    }
}

/// An API key: `SK` + 32 hex digits, or a UUID (SignalWire authenticates with its project id
/// and API token, and signs its callbacks with another secret, its signing key).
pub fn parse_api_key(text: &str) -> Result<String, Invalid> {
    if is_sid(text, "SK") || super::ids::parse_uuid(text).is_some() {
        Ok(text.to_string())
    } else {
        Err(Invalid::Shown {
            text: text.to_string(),
            rule: "SK followed by 32 hex digits (or a SignalWire project id, a UUID)",
        })
    }
}

/// A TwiML application: `AP` + 32 hex digits.
pub fn parse_application_sid(text: &str) -> Result<String, Invalid> {
    if is_sid(text, "AP") {
        Ok(text.to_string())
    } else {
        Err(Invalid::Shown {
            text: text.to_string(),
            rule: "AP followed by 32 hex digits",
        })
    }
}

/// `X-Twilio-Signature`: the base64 of HMAC-SHA1, keyed with the auth token, over the URL
/// followed by each parameter's name and value, sorted by name (then value), each pair once —
/// exactly what Twilio's libraries' `RequestValidator.compute_signature` computes.
pub fn signature(token: &Secret, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut mac = Hmac::<Sha1>::new_from_slice(token.0.as_bytes()).expect("HMAC takes any key");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `given` signs this request. Like Twilio's `RequestValidator.validate`, the URL is
/// also tried with its default port written out and with its port removed, since Twilio has
/// signed both forms.
pub fn verify(token: &Secret, url: &str, params: &[(String, String)], given: &str) -> bool {
    let mut accepted = false;
    for form in url_forms(url) {
        let expected = signature(token, &form, params);
        // Every form is checked, so the time taken says nothing of which one matched.
        accepted |= bool::from(expected.as_bytes().ct_eq(given.trim().as_bytes()));
    }
    accepted
}

/// The URL as given, without its port, and with the scheme's default port (built on the text,
/// as Twilio's libraries do, since a URL parser would drop a default port).
fn url_forms(url: &str) -> Vec<String> {
    let mut forms = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return forms;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, host_port) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    // `[::1]:8080`, `host:8080`, or no port.
    let port_at = match host_port.rfind(':') {
        Some(colon) if !host_port[colon..].contains(']') => Some(colon),
        _ => None,
    };
    let (host, port) = match port_at {
        Some(colon) if host_port[colon + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            (&host_port[..colon], Some(&host_port[colon + 1..]))
        }
        _ => (host_port, None),
    };
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        "443"
    } else {
        "80"
    };
    let port = port.filter(|p| !p.is_empty()).unwrap_or(default_port);
    forms.push(format!("{scheme}://{userinfo}{host}{tail}"));
    forms.push(format!("{scheme}://{userinfo}{host}:{port}{tail}"));
    forms.sort();
    forms.dedup();
    forms
}

/// Twilio's `CallStatus` values.
pub const CALL_STATUSES: [&str; 9] = [
    "queued",
    "initiated",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "no-answer",
    "failed",
    "canceled",
];

/// `AnsweredBy` values that mean a machine (or a fax) took the call.
pub const MACHINE_ANSWERS: [&str; 5] = [
    "machine_start",
    "machine_end_beep",
    "machine_end_silence",
    "machine_end_other",
    "fax",
];

/// Every `AnsweredBy` value Twilio documents (`human`, `unknown`: a person, or nobody could
/// tell — both count as answered).
pub const ANSWERED_BY: [&str; 7] = [
    "human",
    "unknown",
    "machine_start",
    "machine_end_beep",
    "machine_end_silence",
    "machine_end_other",
    "fax",
];

/// What a status callback says of the attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallProgress {
    /// `queued`, `initiated`, `ringing`, `in-progress`: nothing to record.
    Ongoing,
    /// A final status, as an outcome.
    Ended(Outcome),
}

/// Reads `CallStatus` (and `AnsweredBy` for a completed call); `None` for an unknown status.
pub fn progress(call_status: &str, answered_by: Option<&str>) -> Option<CallProgress> {
    Some(match call_status {
        "queued" | "initiated" | "ringing" | "in-progress" => CallProgress::Ongoing,
        "completed" if answered_by.is_some_and(|by| MACHINE_ANSWERS.contains(&by)) => {
            CallProgress::Ended(Outcome::Voicemail)
        }
        "completed" => CallProgress::Ended(Outcome::Answered),
        "busy" => CallProgress::Ended(Outcome::Busy),
        "no-answer" => CallProgress::Ended(Outcome::NoAnswer),
        "failed" | "canceled" => CallProgress::Ended(Outcome::Failed),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// The example of Twilio's "Webhooks security" page and of the `twilio` libraries' own
    /// request-validator tests.
    #[test]
    fn signs_like_twilio_documents() {
        let token = Secret("12345".into());
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(
            signature(&token, url, &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(verify(&token, url, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        // The same with a port written out: Twilio may have signed either form.
        assert!(verify(
            &token,
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!verify(&token, url, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8"));
        assert!(!verify(
            &token,
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        let mut changed = params.clone();
        changed[2].1 = "1235".into();
        assert!(!verify(
            &token,
            url,
            &changed,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn url_forms_add_and_remove_the_port() {
        assert_eq!(
            url_forms("http://127.0.0.1:8080/campaign/twilio/status"),
            [
                "http://127.0.0.1/campaign/twilio/status",
                "http://127.0.0.1:8080/campaign/twilio/status"
            ]
        );
        assert_eq!(
            url_forms("https://c.example.com/p/campaign/twilio/status?x=1"),
            [
                "https://c.example.com/p/campaign/twilio/status?x=1",
                "https://c.example.com:443/p/campaign/twilio/status?x=1"
            ]
        );
    }

    #[test]
    fn statuses_map_to_outcomes() {
        use CallProgress::*;
        for ongoing in ["queued", "initiated", "ringing", "in-progress"] {
            assert_eq!(progress(ongoing, None), Some(Ongoing));
        }
        assert_eq!(progress("completed", None), Some(Ended(Outcome::Answered)));
        for by in ANSWERED_BY {
            let expected = if MACHINE_ANSWERS.contains(&by) {
                Outcome::Voicemail
            } else {
                Outcome::Answered
            };
            assert_eq!(progress("completed", Some(by)), Some(Ended(expected)));
        }
        assert_eq!(progress("busy", None), Some(Ended(Outcome::Busy)));
        assert_eq!(progress("no-answer", None), Some(Ended(Outcome::NoAnswer)));
        assert_eq!(progress("failed", None), Some(Ended(Outcome::Failed)));
        assert_eq!(progress("canceled", None), Some(Ended(Outcome::Failed)));
        // AnsweredBy only matters for a completed call.
        assert_eq!(
            progress("busy", Some("machine_start")),
            Some(Ended(Outcome::Busy))
        );
        assert_eq!(progress("Completed", None), None);
        assert_eq!(progress("", None), None);
    }

    #[test]
    fn ids_and_secrets_are_read_strictly_and_never_shown() {
        assert!(parse_account_sid(&format!("AC{}", "a".repeat(32))).is_ok());
        assert!(parse_account_sid("0190a000-0000-7000-8000-000000000000").is_ok());
        assert!(parse_account_sid(&format!("AC{}", "g".repeat(32))).is_err());
        assert!(parse_account_sid(&format!("SK{}", "a".repeat(32))).is_err());
        assert!(parse_api_key(&format!("SK{}", "0".repeat(32))).is_ok());
        assert!(parse_api_key(&format!("SK{}", "0".repeat(31))).is_err());
        assert!(parse_application_sid(&format!("AP{}", "F".repeat(32))).is_ok());
        assert!(parse_application_sid("AP").is_err());
        assert!(Secret::parse(&"f".repeat(32)).is_ok());
        for bad in [
            "short",
            "with a space in it ok",
            "tab\there-and-more-text",
            "",
        ] {
            let error = Secret::parse(bad).unwrap_err().to_string();
            assert!(!error.contains(bad) || bad.is_empty(), "{error}");
        }
        let secret = Secret::parse(&"f".repeat(32)).unwrap();
        assert_eq!(format!("{secret:?}"), "Secret(…)");
    }
}
