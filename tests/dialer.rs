//! The dialer (docs/api.md, "Dialing") through the real HTTP interface, on campaignd's own fast
//! clock: windows across daylight saving, retries, number rotation, slot sharing between
//! organisations, pause/close/limits, changes during a call, and a restart with calls up.
//! Progress is awaited by polling with a generous deadline, never by a fixed sleep.

mod common;

use campaignd::dialer::{self, Mode, simulate};
use campaignd::domain::clock::Clock;
use campaignd::domain::scope::Scopes;
use common::TestServer;
use jiff::civil::Weekday;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(240);

fn simulate(outcomes: &str, call_seconds: &str, global: i64) -> dialer::Settings {
    dialer::Settings {
        mode: Mode::Simulate,
        global_concurrency: global,
        simulation: simulate::Settings {
            outcomes: outcomes.parse().unwrap(),
            call_seconds: call_seconds.parse().unwrap(),
            seed: Some(42),
        },
        ..dialer::Settings::default()
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Polls `check` until it gives a value, or fails after the deadline.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Org<'a> {
    server: &'a TestServer,
    key: String,
}

impl<'a> Org<'a> {
    fn new(server: &'a TestServer, org: &str) -> Org<'a> {
        Org {
            server,
            key: server.key(org, Scopes::ALL),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.server
            .call(method, path, Some(&self.key), body.as_ref())
            .await
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, body) = self.call(method, path, body).await;
        assert!((200..300).contains(&status), "{path}: {status} {body}");
        body
    }

    /// A campaign on a new configuration with `config` fields; returns its id.
    async fn campaign(&self, config: Value) -> String {
        let mut fields = json!({"name": "dialing"});
        fields
            .as_object_mut()
            .unwrap()
            .extend(config.as_object().unwrap().clone());
        let config = self
            .ok(Method::POST, "/campaign/configurations", Some(fields))
            .await;
        let campaign = self
            .ok(
                Method::POST,
                "/campaign/campaigns",
                Some(json!({"name": "c", "configuration_id": config["id"]})),
            )
            .await;
        campaign["id"].as_str().unwrap().to_string()
    }

    async fn add(&self, campaign: &str, contacts: Vec<Value>) -> Vec<String> {
        let mut ids = Vec::new();
        for chunk in contacts.chunks(1000) {
            let body = self
                .ok(
                    Method::POST,
                    &format!("/campaign/campaigns/{campaign}/contacts"),
                    Some(json!({ "contacts": chunk })),
                )
                .await;
            ids.extend(
                body["contact_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|id| id.as_str().unwrap().to_string()),
            );
        }
        ids
    }

    async fn contacts(&self, campaign: &str) -> Vec<Value> {
        let body = self
            .ok(
                Method::GET,
                &format!("/campaign/campaigns/{campaign}/contacts?limit=1000"),
                None,
            )
            .await;
        body["contacts"].as_array().unwrap().clone()
    }

    async fn stats(&self, campaign: &str) -> Value {
        self.ok(
            Method::GET,
            &format!("/campaign/campaigns/{campaign}/stats"),
            None,
        )
        .await
    }
}

/// Windows open all week, every minute.
fn always() -> Value {
    let days = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    json!([{"days": days, "start": "00:00", "end": "12:00"}, {"days": days, "start": "12:00", "end": "00:00"}])
}

fn number(n: usize) -> String {
    format!("+1650253{:04}", n % 10_000)
}

fn ended(contact: &Value) -> bool {
    matches!(contact["status"].as_str(), Some("completed" | "exhausted"))
}

fn ts(value: &Value) -> Timestamp {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_in_three_timezones_keeps_every_rule() {
    // Saturday noon UTC, before New York's change to daylight time (Sunday 2026-03-08), at an
    // hour of campaignd's clock per real second.
    let clock = Clock::started(at("2026-03-07T12:00:00Z"), 3600.0);
    let server = TestServer::start_with(
        clock,
        simulate("answered=35,voicemail=15,no_answer=30,busy=20", "0-900", 5),
    )
    .await;
    let org = Org::new(&server, "org_a");
    let weekdays = json!(["mon", "tue", "wed", "thu", "fri"]);
    let campaign = org
        .campaign(json!({
            "default_timezone": "America/New_York",
            "default_windows": [{"days": weekdays, "start": "09:00", "end": "17:00"}],
            "overrides": [{"timezone": "Australia/Lord_Howe",
                           "windows": [{"days": ["mon", "tue"], "start": "10:30", "end": "12:30"}]}],
            "max_attempts": 3,
            "retry_delay_minutes": 90,
        }))
        .await;
    let zones = ["America/New_York", "Europe/London", "Australia/Lord_Howe"];
    let contacts: Vec<Value> = (0..30)
        .map(|i| {
            json!({"external_id": format!("c{i}"), "timezone": zones[i % 3],
                   "phone_numbers": [number(2 * i), number(2 * i + 1)]})
        })
        .collect();
    org.add(&campaign, contacts).await;

    let done = eventually("every contact to end", || async {
        let contacts = org.contacts(&campaign).await;
        contacts.iter().all(ended).then_some(contacts)
    })
    .await;

    let mut total_attempts = 0;
    for contact in &done {
        let zone = jiff::tz::db()
            .get(contact["timezone"].as_str().unwrap())
            .unwrap();
        let numbers = contact["phone_numbers"].as_array().unwrap();
        let attempts = contact["attempts"].as_array().unwrap();
        total_attempts += attempts.len();
        assert_eq!(contact["attempt_count"], json!(attempts.len()));
        for (i, attempt) in attempts.iter().enumerate() {
            // No attempt starts outside its contact's window, in its own local time.
            let local = ts(&attempt["started_at"]).to_zoned(zone.clone());
            let minute = local.hour() as i32 * 60 + local.minute() as i32;
            let lord_howe = contact["timezone"] == "Australia/Lord_Howe";
            let (days, start, end) = if lord_howe {
                (&[Weekday::Monday, Weekday::Tuesday][..], 630, 750)
            } else {
                (
                    &[
                        Weekday::Monday,
                        Weekday::Tuesday,
                        Weekday::Wednesday,
                        Weekday::Thursday,
                        Weekday::Friday,
                    ][..],
                    540,
                    1020,
                )
            };
            assert!(
                days.contains(&local.weekday()) && (start..end).contains(&minute),
                "attempt outside its window: {local} for {contact}"
            );
            // The numbers rotate, and retries wait at least the delay.
            assert_eq!(attempt["phone_number"], numbers[i % numbers.len()]);
            assert!(attempt["ended_at"].is_string(), "{attempt}");
            if i > 0 {
                let gap =
                    ts(&attempt["started_at"]).duration_since(ts(&attempts[i - 1]["ended_at"]));
                assert!(gap >= SignedDuration::from_mins(90), "{gap:?} in {contact}");
            }
            let connected = matches!(attempt["outcome"].as_str(), Some("answered" | "voicemail"));
            let expected = if connected { "completed" } else { "failed" };
            assert_eq!(attempt["status"], expected, "{attempt}");
        }
        // Exactly the attempts the rules allow: up to the first answer, else all three.
        let answered = attempts.iter().position(|a| a["outcome"] == "answered");
        match answered {
            Some(i) => {
                assert_eq!(i, attempts.len() - 1, "{contact}");
                assert_eq!(contact["status"], "completed");
            }
            None => {
                assert_eq!(attempts.len(), 3, "{contact}");
                assert_eq!(contact["status"], "exhausted");
            }
        }
    }

    // The stats agree with a recount.
    let stats = org.stats(&campaign).await;
    let count = |status: &str| done.iter().filter(|c| c["status"] == status).count();
    assert_eq!(stats["contacts"]["total"], json!(30));
    assert_eq!(stats["contacts"]["completed"], json!(count("completed")));
    assert_eq!(stats["contacts"]["exhausted"], json!(count("exhausted")));
    assert_eq!(stats["contacts"]["pending"], json!(0));
    assert_eq!(stats["attempts"]["total"], json!(total_attempts));
    let average = (total_attempts as f64 / 30.0 * 100.0).round() / 100.0;
    assert!((stats["attempts"]["average_per_contact"].as_f64().unwrap() - average).abs() < 0.006);
    assert_eq!(stats["active_calls"], json!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_organisations_share_the_global_slots_by_their_limits() {
    let clock = Clock::started(at("2026-12-02T12:00:00Z"), 60.0);
    let server = TestServer::start_with(clock, simulate("no_answer=1", "60-60", 8)).await;
    let (a, b) = (Org::new(&server, "org_a"), Org::new(&server, "org_b"));
    a.ok(
        Method::PUT,
        "/campaign/concurrency-settings",
        Some(json!({"concurrency_limit": 10})),
    )
    .await;
    b.ok(
        Method::PUT,
        "/campaign/concurrency-settings",
        Some(json!({"concurrency_limit": 30})),
    )
    .await;
    for (org, offset) in [(&a, 0), (&b, 5000)] {
        let campaign = org
            .campaign(
                json!({"default_windows": always(), "max_attempts": 20, "retry_delay_minutes": 1}),
            )
            .await;
        let contacts = (0..100)
            .map(|i| json!({"phone_numbers": [number(offset + i)]}))
            .collect();
        org.add(&campaign, contacts).await;
    }

    // Sample the calls up straight from the database, every tick, for a few rounds of calls.
    let db = rusqlite::Connection::open(&server.db).unwrap();
    let mut samples: Vec<(i64, i64)> = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(6) {
        let (up_a, up_b, counted): (i64, i64, i64) = db
            .query_row(
                "SELECT (SELECT active_calls FROM organizations WHERE id = 'org_a'),
                        (SELECT active_calls FROM organizations WHERE id = 'org_b'),
                        (SELECT count(*) FROM contacts WHERE status IN ('locked', 'in_progress'))",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert!(up_a <= 10 && up_b <= 30, "{up_a} {up_b}");
        assert!(
            up_a + up_b <= 8,
            "{up_a} + {up_b} calls up over the global 8"
        );
        assert_eq!(
            up_a + up_b,
            counted,
            "the calls-up counters agree with a recount"
        );
        if up_a + up_b == 8 {
            samples.push((up_a, up_b));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(samples.len() > 50, "{} full samples", samples.len());
    let mean = |f: fn(&(i64, i64)) -> i64| {
        samples.iter().map(f).sum::<i64>() as f64 / samples.len() as f64
    };
    let (mean_a, mean_b) = (mean(|s| s.0), mean(|s| s.1));
    assert!(
        (mean_a - 2.0).abs() <= 0.5 && (mean_b - 6.0).abs() <= 0.5,
        "{mean_a}:{mean_b}"
    );
}
