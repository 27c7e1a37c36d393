//! What the placers that call out over HTTP (webhook, Twilio) share: one kept-alive client, at
//! most 64 requests in flight, and the back-off after a request that was not delivered — no
//! request for 1 s, doubling with each further failure up to 60 s, back to normal at the first
//! success — so that an outage of the far side never uses attempts and never becomes a storm.

use super::LOCK_TIMEOUT;
use crate::domain::clock::Clock;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Most requests in flight at once, per placer.
pub const MAX_IN_FLIGHT: usize = 64;
/// A request not answered within this much real time is not delivered.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// The first and the longest pause after failed requests (on campaignd's clock).
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const LONGEST_BACKOFF: Duration = Duration::from_secs(60);

/// A URL or client that cannot be used; said once at start-up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("building the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// How long a request may take: it must end before the loop would take its contact back as
/// stale (§8.2 step 1, on campaignd's clock), so half that, never above `ANSWER_TIMEOUT`.
pub fn answer_timeout(clock: Clock) -> Duration {
    ANSWER_TIMEOUT.min(clock.real_time(LOCK_TIMEOUT.unsigned_abs()) / 2)
}

/// The client of a placer: keep-alive for `MAX_IN_FLIGHT` connections, HTTPS with rustls, no
/// redirects (a moved endpoint is a configuration error to see, not to follow), no cookies.
pub fn client(timeout: Duration) -> Result<reqwest::Client, SetupError> {
    Ok(reqwest::Client::builder()
        .user_agent(concat!("campaignd/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(timeout)
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// Consecutive failed requests and the pause they caused.
#[derive(Default)]
struct Backoff {
    failures: u32,
    /// When the last counted failure happened: requests sent before it failed in the same
    /// outage and do not make the pause longer.
    since: Option<Instant>,
    until: Option<Instant>,
}

/// The in-flight limit and the back-off of one placer.
pub struct Throttle {
    clock: Clock,
    in_flight: Arc<Semaphore>,
    backoff: Mutex<Backoff>,
}

impl Throttle {
    pub fn new(clock: Clock) -> Throttle {
        Throttle {
            clock,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            backoff: Mutex::new(Backoff::default()),
        }
    }

    /// A place among the requests in flight, or `None` when a pause began while this call
    /// waited for one (it was claimed before the pause: it waits for the next pass instead).
    pub async fn permit(&self) -> Option<OwnedSemaphorePermit> {
        let permit = self.in_flight.clone().acquire_owned().await.ok()?;
        if self
            .hold_until()
            .is_some_and(|until| until > Instant::now())
        {
            return None;
        }
        Some(permit)
    }

    /// The loop starts no call before this instant.
    pub fn hold_until(&self) -> Option<Instant> {
        self.backoff.lock().expect("backoff").until
    }

    /// A request was delivered; true when that ends a pause (worth a log line).
    pub fn succeeded(&self) -> bool {
        let mut backoff = self.backoff.lock().expect("backoff");
        let resumed = backoff.failures > 0;
        *backoff = Backoff::default();
        resumed
    }

    /// Counts a failure of a request sent at `sent` and returns the pause it started, if any.
    pub fn failed(&self, sent: Instant) -> Option<Duration> {
        let mut backoff = self.backoff.lock().expect("backoff");
        if backoff.since.is_some_and(|since| sent < since) {
            // In flight when the last failure was counted: the same outage.
            return None;
        }
        let now = Instant::now();
        let pause = FIRST_BACKOFF
            .saturating_mul(1 << backoff.failures.min(6))
            .min(LONGEST_BACKOFF);
        backoff.failures += 1;
        backoff.since = Some(now);
        backoff.until = Some(now + self.clock.real_time(pause));
        Some(pause)
    }
}

/// `; no <what> for N s`, the tail of a failure's log line.
pub fn pause_text(pause: Option<Duration>, what: &str) -> String {
    pause.map_or(String::new(), |p| {
        format!("; no {what} for {} s", p.as_secs_f64())
    })
}

/// The reason of a failed request, without its URL (which may hold credentials).
pub fn describe_error(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let error = error.without_url();
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Reads an answer's body, at most `most` bytes (a longer one is unreadable).
pub async fn read_body(mut response: reqwest::Response, most: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > most {
                    return Err(format!("the answer is over {most} bytes"));
                }
            }
            Ok(None) => return Ok(body),
            Err(error) => return Err(describe_error(error)),
        }
    }
}

/// The URL as it may be logged: no user, password or query (they may hold credentials).
pub fn loggable(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// A URL flag that is not an absolute http(s) URL with a host (or has a query where none may be).
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error("'{text}' is not an absolute URL ({cause}), e.g. {example}")]
    NotAbsolute {
        text: String,
        cause: String,
        example: &'static str,
    },
    #[error("'{0}' must be an http:// or https:// URL with a host")]
    NotHttp(String),
    #[error("'{0}' must have no query (?…) or fragment (#…)")]
    HasQuery(String),
}

/// Reads an absolute http(s) URL with a host; `example` shows what one looks like.
pub fn parse_http_url(text: &str, example: &'static str) -> Result<reqwest::Url, UrlError> {
    let url = reqwest::Url::parse(text).map_err(|cause| UrlError::NotAbsolute {
        text: text.to_string(),
        cause: cause.to_string(),
        example,
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NotHttp(text.to_string()));
    }
    Ok(url)
}

/// Reads `--public-url`: an http(s) URL without a query or fragment; no trailing slash.
pub fn parse_public_url(text: &str) -> Result<String, UrlError> {
    let url = parse_http_url(text, "https://campaignd.example.com")?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(UrlError::HasQuery(text.to_string()));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The public URL when `--public-url` is not given: the listen address (`127.0.0.1` for an
/// unspecified one).
pub fn default_public_url(address: Option<std::net::SocketAddr>) -> String {
    match address {
        Some(address) if address.ip().is_unspecified() => {
            format!("http://127.0.0.1:{}", address.port())
        }
        Some(address) => format!("http://{address}"),
        None => "http://127.0.0.1:8080".into(),
    }
}
