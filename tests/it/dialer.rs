//! The dialer (docs/api.md, "Dialing") through the real HTTP interface, on campaignd's own fast
//! clock: windows across daylight saving, retries, number rotation, slot sharing between
//! organisations, pause/close/limits, changes during a call, and a restart with calls up.
//! Progress is awaited by polling with a generous deadline, never by a fixed sleep.

use crate::common::TestServer;
use crate::common::dialing::{Org, always, ended, eventually, number};
use campaignd::dialer::{self, Mode, simulate};
use campaignd::domain::clock::Clock;
use jiff::civil::Weekday;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

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
            .collect::<Vec<Value>>();
        org.add(&campaign, contacts).await;
    }

    // Sample the calls up straight from the database, every tick, for a few rounds of calls. Calls
    // that started before org_b had contacts all went to org_a, the only one that wanted slots:
    // the share is measured once no such call is up.
    let mut samples: Vec<(i64, i64)> = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(6) {
        let (up_a, up_b, counted, settled): (i64, i64, i64, bool) = server.inspect(|db| {
            db.query_one(
                "SELECT (SELECT active_calls FROM organizations WHERE id = 'org_a'),
                        (SELECT active_calls FROM organizations WHERE id = 'org_b'),
                        (SELECT count(*) FROM contacts WHERE status IN ('locked', 'in_progress')),
                        (SELECT count(*) = 0 FROM attempts WHERE status = 'in_progress'
                            AND started_at < (SELECT max(created_at) FROM contacts
                                              WHERE organization_id = 'org_b'))",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
        });
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
        if settled && up_a + up_b == 8 {
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

/// Attempts of a contact list, flattened.
fn attempts(contacts: &[Value]) -> Vec<Value> {
    contacts
        .iter()
        .flat_map(|c| c["attempts"].as_array().unwrap().clone())
        .collect()
}

fn calls_up(contacts: &[Value]) -> usize {
    contacts
        .iter()
        .filter(|c| matches!(c["status"].as_str(), Some("locked" | "in_progress")))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_close_and_a_lower_limit_stop_new_calls_while_calls_up_finish() {
    let clock = Clock::started(at("2026-12-02T12:00:00Z"), 60.0);
    let server = TestServer::start_with(clock, simulate("no_answer=1", "120-120", 50)).await;
    let org = Org::new(&server, "org_a");
    let campaign = org
        .campaign(
            json!({"default_windows": always(), "max_attempts": 20, "retry_delay_minutes": 1}),
        )
        .await;
    org.add(
        &campaign,
        (0..40)
            .map(|i| json!({"phone_numbers": [number(i)]}))
            .collect::<Vec<Value>>(),
    )
    .await;
    eventually("ten calls up", || async {
        (calls_up(&org.contacts(&campaign).await) == 10).then_some(())
    })
    .await;

    // Pause: no attempt starts after it; the calls up end and are recorded.
    let paused = org
        .ok(
            Method::POST,
            &format!("/campaign/campaigns/{campaign}/pause"),
            None,
        )
        .await;
    let paused_at = ts(&paused["updated_at"]);
    let settled = eventually("the calls up to end", || async {
        let contacts = org.contacts(&campaign).await;
        (calls_up(&contacts) == 0).then_some(contacts)
    })
    .await;
    let started: Vec<Value> = attempts(&settled);
    assert_eq!(started.len(), 10, "no new call while paused");
    assert!(started.iter().all(|a| ts(&a["started_at"]) < paused_at));
    assert!(
        started
            .iter()
            .all(|a| a["outcome"] == "no_answer" && a["ended_at"].is_string())
    );
    let stats = org.stats(&campaign).await;
    assert_eq!(stats["active_calls"], json!(0));
    assert_eq!(stats["attempts"]["total"], json!(10));

    // A lower limit cuts no call, and new calls wait until the calls up are under it.
    org.ok(
        Method::POST,
        &format!("/campaign/campaigns/{campaign}/start"),
        None,
    )
    .await;
    eventually("ten calls up again", || async {
        (calls_up(&org.contacts(&campaign).await) == 10).then_some(())
    })
    .await;
    org.ok(
        Method::PUT,
        "/campaign/concurrency-settings",
        Some(json!({"concurrency_limit": 3})),
    )
    .await;
    let mut seen_three = false;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(8) {
        let stats = org.stats(&campaign).await;
        let up = stats["active_calls"].as_i64().unwrap();
        if seen_three {
            assert!(up <= 3, "{up} calls up over the new limit of 3");
        }
        seen_three |= up <= 3;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen_three, "the calls up came down to the limit");

    // Close: the same as pause, and final.
    let closed = org
        .ok(
            Method::POST,
            &format!("/campaign/campaigns/{campaign}/close"),
            None,
        )
        .await;
    let closed_at = ts(&closed["updated_at"]);
    let settled = eventually("the calls up to end", || async {
        let contacts = org.contacts(&campaign).await;
        (calls_up(&contacts) == 0).then_some(contacts)
    })
    .await;
    assert!(
        attempts(&settled)
            .iter()
            .all(|a| ts(&a["started_at"]) < closed_at)
    );
    assert!(attempts(&settled).iter().all(|a| a["ended_at"].is_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_changed_or_deleted_during_its_call() {
    let clock = Clock::started(at("2026-12-02T12:00:00Z"), 60.0);
    let server = TestServer::start_with(clock, simulate("busy=1", "120-120", 50)).await;
    let org = Org::new(&server, "org_a");
    let campaign = org
        .campaign(json!({"default_windows": always(), "max_attempts": 2, "retry_delay_minutes": 1}))
        .await;
    let ids = org
        .add(
            &campaign,
            vec![json!({"external_id": "x", "phone_numbers": [number(1), number(2)], "data": {"v": 1}})],
        )
        .await;
    let path = format!("/campaign/campaigns/{campaign}/contacts/{}", ids[0]);
    eventually("the call to be up", || async {
        let (_, contact) = org.call(Method::GET, &path, None).await;
        (contact["status"] == "in_progress").then_some(())
    })
    .await;

    // Deleting it is refused while it is dialled; updating it keeps the call.
    let (status, body) = org.call(Method::DELETE, &path, None).await;
    assert_eq!(
        (status, body),
        (409, json!({"detail": "Contact is being dialed"}))
    );
    org.add(
        &campaign,
        vec![json!({"external_id": "x", "phone_numbers": [number(3)], "data": {"v": 2}})],
    )
    .await;
    let (_, contact) = org.call(Method::GET, &path, None).await;
    assert_eq!(contact["status"], "in_progress");
    assert_eq!(contact["attempts"][0]["phone_number"], json!(number(1)));
    assert_eq!(contact["data"], json!({"v": 2}));

    // The change applies from the next attempt: the new list, rotated by the attempt count.
    let contact = eventually("both attempts", || async {
        let (_, contact) = org.call(Method::GET, &path, None).await;
        (contact["status"] == "exhausted").then_some(contact)
    })
    .await;
    assert_eq!(contact["attempts"][0]["outcome"], "busy");
    assert_eq!(contact["attempts"][1]["phone_number"], json!(number(3)));
    let (status, _) = org.call(Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let stats = org.stats(&campaign).await;
    assert_eq!(stats["contacts"]["total"], json!(0));
    assert_eq!(stats["attempts"]["total"], json!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ad_hoc_contacts_are_dialled_at_any_hour_and_first() {
    // Sunday 03:00 in New York: the campaign's weekday windows are closed.
    let clock = Clock::started(at("2026-12-06T08:00:00Z"), 60.0);
    let server = TestServer::start_with(clock, simulate("answered=1", "0-0", 50)).await;
    let org = Org::new(&server, "org_a");
    let campaign = org
        .campaign(json!({"default_windows": [{"days": ["mon"], "start": "09:00", "end": "10:00"}]}))
        .await;
    org.add(&campaign, vec![json!({"phone_numbers": [number(1)]})])
        .await;
    org.add("default", vec![json!({"phone_numbers": [number(2)]})])
        .await;
    let ad_hoc = eventually("the ad-hoc contact to be called", || async {
        let contacts = org.contacts("default").await;
        (contacts[0]["status"] == "completed").then_some(contacts)
    })
    .await;
    assert_eq!(attempts(&ad_hoc)[0]["phone_number"], json!(number(2)));
    assert_eq!(org.contacts(&campaign).await[0]["attempts"], json!([]));

    // The dialer's series move on /metrics (the process's recorder is shared by its tests, so
    // they are at least this test's numbers).
    let text = server
        .request(Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |series: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .map_or(0.0, |v| v.parse().unwrap())
    };
    assert!(value("campaignd_attempts_started_total ") >= 1.0, "{text}");
    assert!(value("campaignd_attempts_ended_total{outcome=\"answered\"}") >= 1.0);
    assert!(value("campaignd_dialer_loop_seconds_count") >= 1.0);
    assert!(text.contains("campaignd_calls_up "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_ends_simulated_calls_that_were_up_and_frees_stale_locks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("campaignd.db");
    let settings = simulate("answered=1", "3600-3600", 50);
    let key;
    {
        let clock = Clock::started(at("2026-12-02T12:00:00Z"), 1.0);
        let server = TestServer::start_at(&db, clock, settings.clone()).await;
        let org = Org::new(&server, "org_a");
        key = org.key.clone();
        let campaign = org
            .campaign(json!({"default_windows": always(), "retry_delay_minutes": 1}))
            .await;
        org.add(
            &campaign,
            (0..3)
                .map(|i| json!({"phone_numbers": [number(i)]}))
                .collect::<Vec<Value>>(),
        )
        .await;
        eventually("three calls up", || async {
            (calls_up(&org.contacts(&campaign).await) == 3).then_some(())
        })
        .await;
        // One contact was claimed by a dialer that died before its call was placed.
        server.admin(|conn| {
            conn.execute(
                "UPDATE contacts SET status = 'locked' WHERE seq = (SELECT min(seq) FROM contacts)",
                &[],
            )
        });
        server.stop().await;
    }
    let clock = Clock::started(at("2026-12-02T12:05:00Z"), 60.0);
    let server = TestServer::start_at(&db, clock, simulate("no_answer=1", "3600-3600", 50)).await;
    let org = Org {
        server: &server,
        key,
    };
    let campaign = org.ok(Method::GET, "/campaign/campaigns", None).await["campaigns"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The two simulated calls that were up ended `failed` at start-up; the locked contact
    // returns to pending after a minute and is called again, on its first attempt.
    let contacts = eventually(
        "the stale lock to clear and the calls to restart",
        || async {
            let contacts = org.contacts(&campaign).await;
            let relocked = contacts[0]["attempts"].as_array().unwrap().len() == 1
                && contacts[0]["status"] == "in_progress";
            (relocked && attempts(&contacts).len() == 5).then_some(contacts)
        },
    )
    .await;
    for contact in &contacts[1..] {
        let first = &contact["attempts"][0];
        assert_eq!(
            (&first["status"], &first["outcome"]),
            (&json!("failed"), &json!("failed"))
        );
    }
    assert_eq!(contacts[0]["attempt_count"], json!(1));
    assert!(contacts.iter().all(|c| {
        c["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["status"] == "in_progress")
            .count()
            <= 1
    }));
}

/// Calling windows of a day that never comes: a contact under them is never due.
fn never() -> Value {
    json!([])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_out_of_reschedules_lets_no_lower_priority_campaign_go_first() {
    // A high-priority campaign with 10,001 due contacts in Tokyo, whose windows have just closed
    // (more than one pass moves to their next opening), then one due contact inside its windows;
    // a low-priority campaign with one contact inside its windows; one slot. The dialer is off:
    // the passes are run here, on the database the server writes.
    let server = TestServer::start().await;
    let org = Org::new(&server, "org_a");
    org.ok(
        Method::PUT,
        "/campaign/concurrency-settings",
        Some(json!({"concurrency_limit": 1})),
    )
    .await;
    let high = org.campaign(json!({})).await;
    let low = org.campaign(json!({})).await;
    org.ok(
        Method::PATCH,
        &format!("/campaign/campaigns/{high}"),
        Some(json!({"priority": 10})),
    )
    .await;
    let tokyo = (0..10_001)
        .map(|i| json!({"phone_numbers": [number(i)], "timezone": "Asia/Tokyo"}))
        .collect::<Vec<Value>>();
    org.add(&high, tokyo).await;
    let first = org
        .add(&high, json!([{"phone_numbers": [number(20_000)]}]))
        .await;
    org.add(&low, json!([{"phone_numbers": [number(20_001)]}]))
        .await;
    let configuration = org
        .ok(Method::GET, &format!("/campaign/campaigns/{high}"), None)
        .await["configuration_id"]
        .clone();
    org.ok(
        Method::PATCH,
        &format!(
            "/campaign/configurations/{}",
            configuration.as_str().unwrap()
        ),
        Some(json!({"overrides": [{"timezone": "Asia/Tokyo", "windows": never()}]})),
    )
    .await;

    let pass = || {
        let now = Timestamp::now() + SignedDuration::from_secs(1);
        server.admin(|conn| campaignd::dialer::claim(conn, now, 50, 1000))
    };
    // The first pass moves 10,000 Tokyo contacts and stops inside the high-priority level: it
    // starts nothing rather than the low-priority contact.
    assert!(pass().is_empty());
    // The next one moves the last Tokyo contact and reaches the open one.
    let calls = pass();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].contact_id.as_str(), first[0]);
}
