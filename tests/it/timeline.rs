//! `GET /campaign/campaigns/{id}/timeline` (docs/api.md, "Timeline") through HTTP: every bucket
//! with zeros, attempts by start and outcomes by end, the defaults and the bounds with their 422s,
//! scopes, organisation isolation, `default`, the counters under `campaignd check`, and a campaign
//! run by the simulator on the fast clock whose timeline adds up to its stats.

use crate::common::dialing::{Org, always, eventually, number};
use crate::common::{TestServer, locs};
use campaignd::dialer::{self, Mode, simulate};
use campaignd::domain::clock::Clock;
use campaignd::domain::ids::AttemptId;
use campaignd::domain::scope::{Scope, Scopes};
use campaignd::domain::status::Outcome;
use campaignd::store::configurations::RulesCache;
use campaignd::store::{dialing, maintenance};
use jiff::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The dialer's own writes, done by hand at chosen instants (the dialer is off): claims the due
/// contacts at `now` and returns (contact id → attempt id).
fn claim(server: &TestServer, now: &str) -> Vec<(String, String)> {
    server.admin(|conn| {
        let calls = dialer::claim(conn, at(now), 50, 100)?;
        Ok(calls
            .into_iter()
            .map(|c| (c.contact_id.to_string(), c.attempt_id.to_string()))
            .collect())
    })
}

fn end(server: &TestServer, attempt: &str, outcome: Outcome, ended_at: &str) {
    let attempt = AttemptId::parse(attempt).unwrap();
    server.admin(|conn| {
        let end = dialing::EndAttempt {
            attempt_id: &attempt,
            outcome,
            ended_at: at(ended_at),
            conversation_id: None,
            org: None,
        };
        dialing::end_attempt(conn, &mut RulesCache::default(), &end, at(ended_at))
    });
}

fn attempt_of(calls: &[(String, String)], contact: &str) -> String {
    calls
        .iter()
        .find(|(c, _)| c == contact)
        .unwrap_or_else(|| panic!("{contact} among {calls:?}"))
        .1
        .clone()
}

/// (attempts_started, answered, voicemail, no_answer, busy, failed, completed, exhausted) of
/// each bucket, with its start.
fn rows(timeline: &Value) -> Vec<(String, [i64; 8])> {
    timeline["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let o = &b["outcomes"];
            let n = |v: &Value| v.as_i64().unwrap();
            (
                b["start"].as_str().unwrap().to_string(),
                [
                    n(&b["attempts_started"]),
                    n(&o["answered"]),
                    n(&o["voicemail"]),
                    n(&o["no_answer"]),
                    n(&o["busy"]),
                    n(&o["failed"]),
                    n(&b["contacts_completed"]),
                    n(&b["contacts_exhausted"]),
                ],
            )
        })
        .collect()
}

fn totals(timeline: &Value) -> [i64; 8] {
    rows(timeline).iter().fold([0; 8], |mut sum, (_, counts)| {
        for (s, c) in sum.iter_mut().zip(counts) {
            *s += c;
        }
        sum
    })
}

fn assert_counters_clean(server: &TestServer) {
    let report = server.inspect(maintenance::check);
    assert!(report.is_clean(), "{report:?}");
}

#[tokio::test]
async fn buckets_count_starts_and_ends_with_zeros_between() {
    // Tuesday 2026-12-01, 09:00 UTC; the dialer is off and the test writes what it would.
    let server = TestServer::start_with(
        Clock::started(at("2026-12-01T09:00:00Z"), 1.0),
        dialer::Settings::default(),
    )
    .await;
    let org = Org::new(&server, "org_a");
    let campaign = org
        .campaign(json!({"default_timezone": "UTC", "max_attempts": 2, "retry_delay_minutes": 60}))
        .await;
    let ids = org
        .add(
            &campaign,
            json!([
                {"external_id": "ada", "phone_numbers": [number(1)]},
                {"external_id": "bob", "phone_numbers": [number(2)]},
                {"external_id": "cy", "phone_numbers": [number(3)]},
            ]),
        )
        .await;
    let (ada, bob, cy) = (&ids[0], &ids[1], &ids[2]);

    let first = claim(&server, "2026-12-01T09:10:30Z");
    assert_eq!(first.len(), 3);
    end(
        &server,
        &attempt_of(&first, ada),
        Outcome::Answered,
        "2026-12-01T09:12:10Z",
    );
    end(
        &server,
        &attempt_of(&first, bob),
        Outcome::NoAnswer,
        "2026-12-01T09:12:40Z",
    );
    end(
        &server,
        &attempt_of(&first, cy),
        Outcome::Busy,
        "2026-12-01T10:05:00Z",
    );
    // Retries, an hour later: Bob's second attempt ends on voicemail (his last: exhausted); Cy's
    // call never reaches the placer, and its attempt is taken back.
    let second = claim(&server, "2026-12-01T11:30:00Z");
    assert_eq!(second.len(), 2);
    end(
        &server,
        &attempt_of(&second, bob),
        Outcome::Voicemail,
        "2026-12-01T11:31:00Z",
    );
    let taken_back = AttemptId::parse(&attempt_of(&second, cy)).unwrap();
    server.admin(|conn| dialing::release(conn, &taken_back));

    let path = |query: &str| format!("/campaign/campaigns/{campaign}/timeline?{query}");
    let timeline = org
        .ok(
            Method::GET,
            &path("bucket=hour&from=2026-12-01T08:00:00Z&to=2026-12-01T12:00:00Z"),
            None,
        )
        .await;
    assert_eq!(timeline["campaign_id"], json!(campaign));
    assert_eq!(timeline["bucket"], "hour");
    assert_eq!(timeline["from"], "2026-12-01T08:00:00.000Z");
    assert_eq!(timeline["to"], "2026-12-01T12:00:00.000Z");
    assert_eq!(
        rows(&timeline),
        vec![
            ("2026-12-01T08:00:00.000Z".into(), [0, 0, 0, 0, 0, 0, 0, 0]),
            ("2026-12-01T09:00:00.000Z".into(), [3, 1, 0, 1, 0, 0, 1, 0]),
            ("2026-12-01T10:00:00.000Z".into(), [0, 0, 0, 0, 1, 0, 0, 0]),
            ("2026-12-01T11:00:00.000Z".into(), [1, 0, 1, 0, 0, 0, 0, 1]),
        ]
    );
    // The same by minute, from an instant inside a minute: the first bucket is that minute's.
    let timeline = org
        .ok(
            Method::GET,
            &path("bucket=minute&from=2026-12-01T09:10:45.5Z&to=2026-12-01T09:13:00Z"),
            None,
        )
        .await;
    assert_eq!(timeline["from"], "2026-12-01T09:10:00.000Z");
    assert_eq!(
        rows(&timeline),
        vec![
            ("2026-12-01T09:10:00.000Z".into(), [3, 0, 0, 0, 0, 0, 0, 0]),
            ("2026-12-01T09:11:00.000Z".into(), [0; 8]),
            ("2026-12-01T09:12:00.000Z".into(), [0, 1, 0, 1, 0, 0, 1, 0]),
        ]
    );
    // By day (an offset in the query is read as the instant it names): the totals are the stats'.
    let timeline = org
        .ok(
            Method::GET,
            &path("bucket=day&from=2026-12-01T01:00:00%2B01:00&to=2026-12-02T00:00:00Z"),
            None,
        )
        .await;
    assert_eq!(
        rows(&timeline),
        vec![("2026-12-01T00:00:00.000Z".into(), [4, 1, 1, 1, 1, 0, 1, 1])]
    );
    let stats = org.stats(&campaign).await;
    assert_eq!(stats["attempts"]["total"], json!(4));
    assert_eq!(stats["contacts"]["completed"], json!(1));
    assert_eq!(stats["contacts"]["exhausted"], json!(1));
    assert_counters_clean(&server);

    // Deleting a contact takes its attempts and its end out of the timeline.
    org.ok(
        Method::DELETE,
        &format!("/campaign/campaigns/{campaign}/contacts/{ada}"),
        None,
    )
    .await;
    let timeline = org
        .ok(
            Method::GET,
            &path("bucket=day&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z"),
            None,
        )
        .await;
    assert_eq!(totals(&timeline), [3, 0, 1, 1, 1, 0, 0, 1]);
    assert_counters_clean(&server);

    // A counter that drifted is found by `check` and put right by --repair-counters.
    server.admin(|conn| {
        conn.execute(
            "UPDATE timeline_counts SET started = started + 5 WHERE span = 60",
            &[],
        )?;
        Ok(())
    });
    let report = server.inspect(maintenance::check);
    assert!(
        report
            .counters
            .iter()
            .any(|line| line.contains("timeline_counts")
                && line.contains("started stored 7, recount 2")),
        "{report:?}"
    );
    assert!(server.admin(maintenance::repair_counters) > 0);
    assert_counters_clean(&server);
    let timeline = org
        .ok(
            Method::GET,
            &path("bucket=hour&from=2026-12-01T09:00:00Z&to=2026-12-01T10:00:00Z"),
            None,
        )
        .await;
    assert_eq!(totals(&timeline)[0], 2);
}

#[tokio::test]
async fn defaults_bounds_and_422s() {
    let server = TestServer::start_with(
        Clock::started(at("2026-12-01T09:00:00Z"), 1.0),
        dialer::Settings::default(),
    )
    .await;
    let org = Org::new(&server, "org_a");
    let campaign = org.campaign(json!({})).await;
    let (_, stored) = org
        .call(
            Method::GET,
            &format!("/campaign/campaigns/{campaign}"),
            None,
        )
        .await;
    let created: Timestamp = stored["created_at"].as_str().unwrap().parse().unwrap();
    let path = |query: &str| format!("/campaign/campaigns/{campaign}/timeline{query}");

    // No query: from the campaign's creation to now, by minute (a few seconds: one bucket). The
    // clock counts milliseconds: a request in the campaign's own millisecond would have no range.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let timeline = org.ok(Method::GET, &path(""), None).await;
    assert_eq!(timeline["bucket"], "minute");
    let from: Timestamp = timeline["from"].as_str().unwrap().parse().unwrap();
    assert_eq!(from.as_second(), created.as_second() / 60 * 60);
    let to: Timestamp = timeline["to"].as_str().unwrap().parse().unwrap();
    let buckets = timeline["buckets"].as_array().unwrap();
    assert_eq!(
        buckets.len() as i64,
        (to.as_second() - from.as_second()) / 60
    );
    assert!(buckets.len() <= 2, "{timeline}");
    assert_eq!(totals(&timeline), [0; 8]);
    // The smallest bucket giving at most 500: 500 minutes by minute, 501 by hour, 21 days by
    // hour (504 > 500) → by day.
    for (from, bucket, count) in [
        ("2026-12-01T00:40:00Z", "minute", 500),
        ("2026-12-01T00:39:00Z", "hour", 9),
        ("2026-11-14T00:00:00Z", "hour", 417),
        ("2026-11-10T09:00:00Z", "day", 22),
    ] {
        let timeline = org
            .ok(
                Method::GET,
                &path(&format!("?from={from}&to=2026-12-01T09:00:00Z")),
                None,
            )
            .await;
        assert_eq!(timeline["bucket"], bucket, "{from}");
        assert_eq!(
            timeline["buckets"].as_array().unwrap().len(),
            count,
            "{from}"
        );
    }
    // Exactly 1,000 buckets is allowed; 1,001 is not.
    let (status, _) = org
        .call(
            Method::GET,
            &path("?bucket=minute&from=2026-12-01T00:00:00Z&to=2026-12-01T16:40:00Z"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = org
        .call(
            Method::GET,
            &path("?bucket=minute&from=2026-12-01T00:00:00Z&to=2026-12-01T16:41:00Z"),
            None,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(locs(&body), ["query.bucket"]);
    assert!(
        body["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("1001 buckets"),
        "{body}"
    );
    // A range too long even by day, with the bucket left to the default: at `from`.
    let (status, body) = org
        .call(Method::GET, &path("?from=2020-01-01T00:00:00Z"), None)
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(locs(&body), ["query.from"]);

    // Every bad value, all at once, each at its place.
    let (status, body) = org
        .call(
            Method::GET,
            &path("?bucket=week&from=yesterday&to=2026-12-01"),
            None,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(locs(&body), ["query.bucket", "query.from", "query.to"]);
    assert_eq!(body["detail"][0]["type"], "enum");
    assert_eq!(body["detail"][1]["type"], "datetime_parsing");
    assert_eq!(body["detail"][1]["input"], "yesterday");
    // from ≥ to, given or by default.
    for query in [
        "?from=2026-12-01T09:00:00Z&to=2026-12-01T09:00:00Z",
        "?from=2026-12-01T10:00:00Z&to=2026-12-01T09:00:00Z",
        "?from=2026-12-02T00:00:00Z",
    ] {
        let (status, body) = org.call(Method::GET, &path(query), None).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(locs(&body), ["query.from"], "{query}");
        assert_eq!(body["detail"][0]["type"], "value_error");
    }
    // A default `to` before a given `from`… and a `to` before the campaign existed: the default
    // `from` (its creation) is later, so it is the minute before `to`.
    let timeline = org
        .ok(Method::GET, &path("?to=2026-11-01T00:00:00Z"), None)
        .await;
    assert_eq!(timeline["from"], "2026-10-31T23:59:00.000Z");
    assert_eq!(timeline["buckets"].as_array().unwrap().len(), 1);
    // Unknown query parameters are ignored.
    let (status, _) = org.call(Method::GET, &path("?granularity=5m"), None).await;
    assert_eq!(status, 200);
    // The query is checked before the campaign is looked up (api.md §1.2).
    let (status, _) = org
        .call(
            Method::GET,
            "/campaign/campaigns/nope/timeline?bucket=week",
            None,
        )
        .await;
    assert_eq!(status, 422);
    let (status, body) = org
        .call(Method::GET, "/campaign/campaigns/nope/timeline", None)
        .await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "Campaign not found"}))
    );
    // Only GET (and HEAD).
    let (status, _) = org.call(Method::POST, &path(""), None).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn scopes_isolation_external_ids_and_default() {
    let server = TestServer::start_with(
        Clock::started(at("2026-12-01T09:00:00Z"), 1.0),
        dialer::Settings::default(),
    )
    .await;
    let a = Org::new(&server, "org_a");
    let b = Org::new(&server, "org_b");
    let config = a
        .ok(
            Method::POST,
            "/campaign/configurations",
            Some(json!({"name": "c", "default_windows": always()})),
        )
        .await;
    let campaign = a
        .ok(
            Method::POST,
            "/campaign/campaigns",
            Some(json!({"name": "n", "configuration_id": config["id"], "external_id": "q4"})),
        )
        .await;
    let id = campaign["id"].as_str().unwrap();
    let window = "?bucket=hour&from=2026-12-01T09:00:00Z&to=2026-12-01T10:00:00Z";

    // Ad-hoc contacts of A, called at 09:20: `default` counts them, and only A's.
    a.add("default", json!([{"phone_numbers": [number(7)]}]))
        .await;
    a.add(id, json!([{"phone_numbers": [number(8)]}])).await;
    let calls = claim(&server, "2026-12-01T09:20:00Z");
    assert_eq!(calls.len(), 2);
    for (_, attempt) in &calls {
        end(&server, attempt, Outcome::Answered, "2026-12-01T09:21:00Z");
    }
    let adhoc = a
        .ok(
            Method::GET,
            &format!("/campaign/campaigns/default/timeline{window}"),
            None,
        )
        .await;
    assert_eq!(adhoc["campaign_id"], Value::Null);
    assert_eq!(totals(&adhoc), [1, 1, 0, 0, 0, 0, 1, 0]);
    assert_eq!(adhoc["estimate"]["timezone"], "UTC");
    let by_external = a
        .ok(
            Method::GET,
            &format!("/campaign/campaigns/q4/timeline{window}"),
            None,
        )
        .await;
    assert_eq!(by_external["campaign_id"], json!(id));
    assert_eq!(totals(&by_external), [1, 1, 0, 0, 0, 0, 1, 0]);
    let theirs = b
        .ok(
            Method::GET,
            &format!("/campaign/campaigns/default/timeline{window}"),
            None,
        )
        .await;
    assert_eq!(totals(&theirs), [0; 8]);
    // Another organisation's campaign, by id or external_id: as if it did not exist.
    for path in [
        format!("/campaign/campaigns/{id}/timeline"),
        "/campaign/campaigns/q4/timeline".into(),
    ] {
        let (status, body) = b.call(Method::GET, &path, None).await;
        assert_eq!(
            (status, body),
            (404, json!({"detail": "Campaign not found"}))
        );
    }

    // campaigns:read suffices; a credential without a campaigns scope is refused.
    let path = format!("/campaign/campaigns/{id}/timeline");
    let reader = server.key("org_a", Scopes::of(&[Scope::CampaignsRead]));
    let (status, _) = server.call(Method::GET, &path, Some(&reader), None).await;
    assert_eq!(status, 200);
    let outsider = server.key("org_a", Scopes::of(&[Scope::ConcurrencyRead]));
    let (status, body) = server.call(Method::GET, &path, Some(&outsider), None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["detail"],
        "Missing required scope: one of campaigns:read, campaigns:manage"
    );
    let (status, _) = server.call(Method::GET, &path, None, None).await;
    assert_eq!(status, 401);
}

/// Sunday afternoon with Monday–Friday windows: the contacts wait, and the estimate says until
/// when (the next window, Monday 09:00 in New York).
#[tokio::test]
async fn on_a_weekend_the_estimate_says_when_the_windows_open() {
    let server = TestServer::start_with(
        Clock::started(at("2026-12-06T15:00:00Z"), 1.0),
        dialer::Settings {
            mode: Mode::Simulate,
            ..dialer::Settings::default()
        },
    )
    .await;
    let org = Org::new(&server, "org_a");
    let weekdays = json!(["mon", "tue", "wed", "thu", "fri"]);
    let campaign = org
        .campaign(json!({
            "default_timezone": "America/New_York",
            "default_windows": [{"days": weekdays, "start": "09:00", "end": "17:00"}],
        }))
        .await;
    let path = format!("/campaign/campaigns/{campaign}/timeline");
    let estimate = org.ok(Method::GET, &path, None).await["estimate"].clone();
    assert_eq!(estimate["state"], "nothing_pending", "{estimate}");
    org.add(
        &campaign,
        json!([{"phone_numbers": [number(1)]}, {"phone_numbers": [number(2)]}]),
    )
    .await;
    let estimate = org.ok(Method::GET, &path, None).await["estimate"].clone();
    assert_eq!(
        estimate,
        json!({
            "state": "windows_closed",
            "remaining_contacts": 2,
            "rate_per_hour": null,
            "calling_left_minutes": null,
            "done_at": null,
            "next_window_at": "2026-12-07T14:00:00.000Z",
            "timezone": "America/New_York",
        })
    );
    org.ok(
        Method::POST,
        &format!("/campaign/campaigns/{campaign}/pause"),
        None,
    )
    .await;
    let estimate = org.ok(Method::GET, &path, None).await["estimate"].clone();
    assert_eq!(estimate["state"], "paused");
    assert_eq!(estimate["next_window_at"], Value::Null);
}

/// The simulator runs a campaign on the fast clock (ten minutes a second): while it runs the
/// estimate has a rate and a date, and at the end the timeline's sums are the stats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_campaign_adds_up_to_its_stats() {
    let settings = dialer::Settings {
        mode: Mode::Simulate,
        simulation: simulate::Settings {
            outcomes: "answered=50,voicemail=10,no_answer=25,busy=10,failed=5"
                .parse()
                .unwrap(),
            call_seconds: "30-300".parse().unwrap(),
            seed: Some(20),
        },
        ..dialer::Settings::default()
    };
    // Tuesday 2026-12-01 08:00 UTC.
    let server =
        TestServer::start_with(Clock::started(at("2026-12-01T08:00:00Z"), 600.0), settings).await;
    let org = Org::new(&server, "org_a");
    org.ok(
        Method::PUT,
        "/campaign/concurrency-settings",
        Some(json!({"concurrency_limit": 3})),
    )
    .await;
    let campaign = org
        .campaign(json!({"default_timezone": "UTC", "max_attempts": 3, "retry_delay_minutes": 30}))
        .await;
    let contacts: Vec<Value> = (0..60)
        .map(|i| json!({"phone_numbers": [number(i)]}))
        .collect();
    org.add(&campaign, Value::Array(contacts)).await;
    let path = format!("/campaign/campaigns/{campaign}/timeline");

    // While it runs: an estimate with a rate, and a date in the future.
    let running = eventually("an estimate with a rate", || async {
        let timeline = org.ok(Method::GET, &path, None).await;
        (timeline["estimate"]["state"] == "calling").then_some(timeline)
    })
    .await;
    let estimate = &running["estimate"];
    assert!(
        estimate["rate_per_hour"].as_f64().unwrap() > 0.0,
        "{estimate}"
    );
    assert!(
        estimate["calling_left_minutes"].as_i64().unwrap() >= 1,
        "{estimate}"
    );
    let done_at: Timestamp = estimate["done_at"].as_str().unwrap().parse().unwrap();
    assert!(done_at > at("2026-12-01T08:00:00Z"), "{estimate}");
    assert_eq!(estimate["timezone"], "UTC");

    let stats = eventually("every contact to finish", || async {
        let stats = org.stats(&campaign).await;
        let c = &stats["contacts"];
        (c["completed"].as_i64().unwrap() + c["exhausted"].as_i64().unwrap() == 60).then_some(stats)
    })
    .await;
    let timeline = org.ok(Method::GET, &path, None).await;
    let sums = totals(&timeline);
    let attempts = stats["attempts"]["total"].as_i64().unwrap();
    assert_eq!(sums[0], attempts, "attempts started: {timeline}");
    assert_eq!(sums[1..6].iter().sum::<i64>(), attempts, "outcomes");
    assert_eq!(sums[6], stats["contacts"]["completed"].as_i64().unwrap());
    assert_eq!(sums[7], stats["contacts"]["exhausted"].as_i64().unwrap());
    assert_eq!(
        sums[1], sums[6],
        "every answered call completed its contact"
    );
    assert!(attempts > 60, "some retries: {attempts}");
    assert_eq!(timeline["estimate"]["state"], "nothing_pending");
    // The same by hour and by day.
    for bucket in ["hour", "day"] {
        let other = org
            .ok(Method::GET, &format!("{path}?bucket={bucket}"), None)
            .await;
        assert_eq!(totals(&other), sums, "{bucket}");
    }
    assert_counters_clean(&server);
}
