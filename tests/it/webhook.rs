//! The webhook placer and the result route (docs/telephony.md) through the real HTTP interface:
//! campaignd in process, and a real HTTP receiver on 127.0.0.1 that verifies every delivery with
//! the Standard Webhooks algorithm (the `standardwebhooks` crate, and once the Python package
//! through examples/telephony_receiver.py) and checks every body field against the contact, its
//! overrides and its configuration. Progress is awaited by polling with a deadline.

use crate::common::TestServer;
use crate::common::dialing::{Org, ended, eventually, number};
use bytes::Bytes;
use campaignd::dialer::{self, Mode, webhook};
use campaignd::domain::clock::Clock;
use campaignd::domain::scope::{Scope, Scopes};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use warp::Filter;
use warp::http::{HeaderMap, StatusCode};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// ---------------------------------------------------------------------------------------------
// The receiver

/// How the receiver answers.
#[derive(Clone, Debug)]
enum Answer {
    /// 200 `{"conversation_id"}`; no result is posted.
    Accept,
    /// Each contact's outcomes by attempt (by external_id): `now:<outcome>` answers with the
    /// outcome at once; `<outcome>` accepts and posts the result on result_url.
    Script,
    Status500,
    Garbage,
    Slow(Duration),
}

struct Delivery {
    at: Instant,
    headers: HeaderMap,
    raw: Bytes,
    body: Value,
    verified: bool,
}

struct State {
    answer: Mutex<Answer>,
    deliveries: Mutex<Vec<Delivery>>,
    script: Mutex<HashMap<String, Vec<&'static str>>>,
    /// The API key that results are posted with.
    key: Mutex<String>,
    /// Answers to posted results that were not 200.
    result_errors: Mutex<Vec<String>>,
    verifier: standardwebhooks::Webhook,
    http: reqwest::Client,
}

#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    state: Arc<State>,
}

impl Receiver {
    /// Starts a receiver on `port` (0: any free port).
    async fn start(port: u16, answer: Answer) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            answer: Mutex::new(answer),
            deliveries: Mutex::default(),
            script: Mutex::default(),
            key: Mutex::default(),
            result_errors: Mutex::default(),
            verifier: standardwebhooks::Webhook::new(SECRET).unwrap(),
            http: reqwest::Client::new(),
        });
        let shared = state.clone();
        let route = warp::post()
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .then(move |headers: HeaderMap, raw: Bytes| handle(shared.clone(), headers, raw));
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Receiver { addr, state }
    }

    fn url(&self) -> String {
        format!("http://{}/calls", self.addr)
    }

    fn set(&self, answer: Answer) {
        *self.state.answer.lock().unwrap() = answer;
    }

    fn script(&self, external_id: &str, outcomes: Vec<&'static str>) {
        self.state
            .script
            .lock()
            .unwrap()
            .insert(external_id.into(), outcomes);
    }

    fn count(&self) -> usize {
        self.state.deliveries.lock().unwrap().len()
    }

    /// (arrival, body) of every delivery so far.
    fn bodies(&self) -> Vec<(Instant, Value)> {
        let deliveries = self.state.deliveries.lock().unwrap();
        deliveries.iter().map(|d| (d.at, d.body.clone())).collect()
    }

    /// Every delivery verified and carried the headers of the spec.
    fn assert_all_signed(&self) {
        let deliveries = self.state.deliveries.lock().unwrap();
        for d in deliveries.iter() {
            assert!(
                d.verified,
                "a delivery failed verification: {:?}",
                d.headers
            );
            assert_eq!(d.headers["content-type"], "application/json");
            assert_eq!(
                d.headers["user-agent"],
                format!("campaignd/{}", env!("CARGO_PKG_VERSION")).as_str()
            );
            assert_eq!(
                d.headers["webhook-id"].to_str().unwrap(),
                d.body["attempt_id"].as_str().unwrap()
            );
            let signature = d.headers["webhook-signature"].to_str().unwrap();
            assert!(signature.starts_with("v1,"), "{signature}");
        }
        assert!(
            self.state.result_errors.lock().unwrap().is_empty(),
            "{:?}",
            self.state.result_errors.lock().unwrap()
        );
    }
}

async fn handle(state: Arc<State>, headers: HeaderMap, raw: Bytes) -> warp::reply::Response {
    let verified = state.verifier.verify(&raw, &headers).is_ok();
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let answer = state.answer.lock().unwrap().clone();
    state.deliveries.lock().unwrap().push(Delivery {
        at: Instant::now(),
        headers,
        raw,
        body: body.clone(),
        verified,
    });
    let reply = |status: u16, text: String| {
        let mut response = warp::reply::Response::new(text.into());
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        response
    };
    if !verified {
        return reply(401, String::new());
    }
    let attempt = body["attempt_id"].as_str().unwrap_or_default().to_string();
    let conversation = format!("conv-{attempt}");
    match answer {
        Answer::Status500 => reply(500, "down for maintenance".into()),
        Answer::Garbage => reply(200, "<html>not json</html>".into()),
        Answer::Slow(delay) => {
            tokio::time::sleep(delay).await;
            reply(200, String::new())
        }
        Answer::Accept => reply(200, json!({"conversation_id": conversation}).to_string()),
        Answer::Script => {
            let external_id = body["external_id"].as_str().unwrap_or_default();
            let n = body["attempt_number"].as_u64().unwrap_or(1) as usize;
            let outcome = state.script.lock().unwrap()[external_id][n - 1];
            if let Some(outcome) = outcome.strip_prefix("now:") {
                let id = format!("now-{attempt}");
                return reply(
                    200,
                    json!({"outcome": outcome, "conversation_id": id}).to_string(),
                );
            }
            let key = state.key.lock().unwrap().clone();
            let url = body["result_url"].as_str().unwrap_or_default().to_string();
            let posted = state.clone();
            tokio::spawn(async move {
                let answer = posted
                    .http
                    .post(&url)
                    .bearer_auth(key)
                    .json(&json!({"outcome": outcome, "conversation_id": conversation}))
                    .send()
                    .await
                    .unwrap();
                if answer.status() != 200 {
                    let text = format!("{}: {}", answer.status(), answer.text().await.unwrap());
                    posted.result_errors.lock().unwrap().push(text);
                }
            });
            reply(
                200,
                json!({"conversation_id": format!("conv-{attempt}")}).to_string(),
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// campaignd

fn settings(url: &str, global: i64) -> dialer::Settings {
    dialer::Settings {
        mode: Mode::Webhook,
        global_concurrency: global,
        webhook: Some(webhook::Settings {
            url: webhook::parse_url(url).unwrap(),
            secret: SECRET.parse().unwrap(),
        }),
        ..dialer::Settings::default()
    }
}

fn clock(speed: f64) -> Clock {
    Clock::started("2026-03-04T12:00:00Z".parse().unwrap(), speed)
}

/// Checks every delivered body against the contact it names (as it is now, with its
/// attempts), its overrides and its campaign's configuration, field by field; deliveries whose
/// attempt no longer exists (not delivered) are checked for everything but the attempt.
async fn check_bodies(org: &Org<'_>, receiver: &Receiver, server: &TestServer) {
    let mut configs: HashMap<String, Value> = HashMap::new();
    let deliveries: Vec<(Value, String)> = {
        let all = receiver.state.deliveries.lock().unwrap();
        all.iter()
            .map(|d| (d.body.clone(), String::from_utf8(d.raw.to_vec()).unwrap()))
            .collect()
    };
    assert!(!deliveries.is_empty());
    for (body, raw) in deliveries {
        let campaign = body["campaign_id"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        let contact = org
            .contact(&campaign, body["contact_id"].as_str().unwrap())
            .await;
        let config = if campaign == "default" {
            json!({"max_attempts": 3, "agent_id": null, "agent_version": null, "agent_number": null})
        } else {
            if !configs.contains_key(&campaign) {
                let c = org
                    .ok(
                        Method::GET,
                        &format!("/campaign/campaigns/{campaign}"),
                        None,
                    )
                    .await;
                let id = c["configuration_id"].as_str().unwrap();
                let config = org
                    .ok(Method::GET, &format!("/campaign/configurations/{id}"), None)
                    .await;
                configs.insert(campaign.clone(), config);
            }
            configs[&campaign].clone()
        };
        let n = body["attempt_number"].as_u64().unwrap() as usize;
        let numbers = contact["phone_numbers"].as_array().unwrap();
        let attempt_id = body["attempt_id"].as_str().unwrap();
        let or = |field: &str| {
            if contact[field].is_null() {
                config[field].clone()
            } else {
                contact[field].clone()
            }
        };
        let expected = json!({
            "attempt_id": attempt_id,
            "contact_id": contact["id"],
            "campaign_id": contact["campaign_id"],
            "organization_id": "org_a",
            "phone_number": numbers[(n - 1) % numbers.len()],
            "caller_number": or("agent_number"),
            "attempt_number": n,
            "max_attempts": config["max_attempts"],
            "agent_id": or("agent_id"),
            "agent_version": or("agent_version"),
            "agent_config": contact["agent_config"],
            "initial_context": contact["initial_context"],
            "data": contact["data"],
            "external_id": contact["external_id"],
            "result_url": server.url(&format!("/campaign/attempts/{attempt_id}/result")),
        });
        assert_eq!(body, expected, "delivery of {contact}");
        // Free-form objects go out as they were sent: key order and number text kept.
        let data = serde_json::to_string(&contact["data"]).unwrap();
        if contact["external_id"] == "second" {
            assert!(
                raw.contains(r#""data":{"b":1,"a":1.50,"nested":{"x":[1,2]}}"#),
                "{raw}"
            );
            assert!(
                raw.contains(r#""agent_config":{"voice":"calm","speed":1.10}"#),
                "{raw}"
            );
        } else {
            assert!(raw.contains(&format!(r#""data":{data}"#)), "{raw}");
        }
        // A delivered attempt is the contact's attempt number n, on that number.
        if let Some(i) = contact["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .position(|a| a["id"] == attempt_id)
        {
            assert_eq!(i + 1, n, "{contact}");
            assert_eq!(contact["attempts"][i]["phone_number"], body["phone_number"]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A campaign through the webhook

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_runs_through_the_webhook_with_results_posted_back() {
    let receiver = Receiver::start(0, Answer::Script).await;
    // A minute of campaignd's clock per real second: a retry delay of 1 minute is a second.
    let server = TestServer::start_with(clock(60.0), settings(&receiver.url(), 50)).await;
    let org = Org::new(&server, "org_a");
    *receiver.state.key.lock().unwrap() = org.key.clone();
    let campaign = org
        .campaign(json!({
            "max_attempts": 3, "retry_delay_minutes": 1,
            "agent_id": "agent_cfg", "agent_version": 2, "agent_number": number(9000),
        }))
        .await;
    receiver.script("first", vec!["answered"]);
    receiver.script("second", vec!["no_answer", "answered"]);
    receiver.script("never", vec!["busy", "no_answer", "failed"]);
    receiver.script("at-once", vec!["now:voicemail", "now:answered"]);
    // Ad-hoc contacts retry after 60 minutes (a real minute here): one attempt.
    receiver.script("adhoc", vec!["answered"]);
    // Sent as raw text: key order and number text must go out as sent.
    let second = r#"{"external_id": "second", "phone_numbers": ["+16502530003", "+16502530004"],
        "agent_id": "agent_own", "agent_version": 7, "agent_number": "+16502539001",
        "agent_config": {"voice":"calm","speed":1.10}, "initial_context": "VIP",
        "data": {"b":1,"a":1.50,"nested":{"x":[1,2]}}}"#;
    let response = server
        .request(
            Method::POST,
            &format!("/campaign/campaigns/{campaign}/contacts"),
        )
        .bearer_auth(&org.key)
        .body(format!(r#"{{"contacts": [{second}]}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    org.add(
        &campaign,
        json!([
            {"external_id": "first", "phone_numbers": [number(1), number(2)], "data": {"plan": "pro"}},
            {"external_id": "never", "phone_numbers": [number(5)], "agent_id": "agent_never"},
            {"external_id": "at-once", "phone_numbers": [number(6)], "timezone": "Europe/Paris"},
        ]),
    )
    .await;
    org.add(
        "default",
        json!([{"external_id": "adhoc", "phone_numbers": [number(7), number(8)], "data": {"k": [true, null]}}]),
    )
    .await;

    let (done, adhoc) = eventually("every contact to end", || async {
        let contacts = org.contacts(&campaign).await;
        let adhoc = org.contacts("default").await;
        (contacts.iter().chain(&adhoc).all(ended)).then_some((contacts, adhoc))
    })
    .await;

    let by_id: HashMap<&str, &Value> = done
        .iter()
        .chain(&adhoc)
        .map(|c| (c["external_id"].as_str().unwrap(), c))
        .collect();
    let expect = [
        ("first", "completed", vec![("answered", "completed")]),
        (
            "second",
            "completed",
            vec![("no_answer", "failed"), ("answered", "completed")],
        ),
        (
            "never",
            "exhausted",
            vec![
                ("busy", "failed"),
                ("no_answer", "failed"),
                ("failed", "failed"),
            ],
        ),
        (
            "at-once",
            "completed",
            vec![("voicemail", "completed"), ("answered", "completed")],
        ),
        ("adhoc", "completed", vec![("answered", "completed")]),
    ];
    let mut attempts = 0;
    for (external_id, status, outcomes) in expect {
        let contact = by_id[external_id];
        assert_eq!(contact["status"], status, "{contact}");
        assert_eq!(contact["attempt_count"], json!(outcomes.len()), "{contact}");
        let numbers = contact["phone_numbers"].as_array().unwrap();
        for (i, (attempt, (outcome, attempt_status))) in contact["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&outcomes)
            .enumerate()
        {
            assert_eq!(attempt["outcome"], *outcome, "{contact}");
            assert_eq!(attempt["status"], *attempt_status, "{contact}");
            assert_eq!(attempt["phone_number"], numbers[i % numbers.len()]);
            let prefix = if external_id == "at-once" {
                "now-"
            } else {
                "conv-"
            };
            let id = attempt["id"].as_str().unwrap();
            assert_eq!(attempt["conversation_id"], format!("{prefix}{id}"));
            assert!(attempt["ended_at"].is_string());
        }
        assert_eq!(
            contact["attempts"].as_array().unwrap().len(),
            outcomes.len()
        );
        attempts += outcomes.len();
    }
    // One delivery per attempt: none failed, none repeated.
    assert_eq!(receiver.count(), attempts);
    receiver.assert_all_signed();
    check_bodies(&org, &receiver, &server).await;
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The receiver failing: no attempt used, the back-off holds, dialing resumes

/// One ad-hoc contact while the receiver answers `failing`: waits for `failures` deliveries,
/// checks that none used an attempt and that each came no sooner than the back-off allowed,
/// then lets the receiver recover and waits for the contact to complete in one attempt.
async fn fails_then_recovers(failing: Answer, speed: f64, failures: usize, wait: Duration) {
    let receiver = Receiver::start(0, failing).await;
    let clock = clock(speed);
    let server = TestServer::start_with(clock, settings(&receiver.url(), 50)).await;
    let org = Org::new(&server, "org_a");
    *receiver.state.key.lock().unwrap() = org.key.clone();
    receiver.script("down", vec!["answered"]);
    let id = org
        .add(
            "default",
            json!([{"external_id": "down", "phone_numbers": [number(1)]}]),
        )
        .await
        .remove(0);

    eventually("the failed deliveries", || async {
        (receiver.count() >= failures).then_some(())
    })
    .await;
    let failed = receiver.bodies();
    // Each failed delivery was attempt 1: no attempt was used up.
    for (_, body) in &failed {
        assert_eq!(body["attempt_number"], 1, "{body}");
        assert_eq!(body["contact_id"], id.as_str());
    }
    // No storm: each delivery after a failure came no sooner than `wait` (the time the failure
    // took to show) and the pause (1 s, 2 s, 4 s … of campaignd's clock).
    for (k, pair) in failed.windows(2).enumerate() {
        let pause =
            clock.real_time(Duration::from_secs(1 << k.min(5)).min(Duration::from_secs(60)));
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= wait + pause,
            "delivery {} came {gap:?} after the last, pause {pause:?}",
            k + 1
        );
    }
    let contact = eventually("the contact back to pending", || async {
        let contact = org.contact("default", &id).await;
        (contact["status"] == "pending").then_some(contact)
    })
    .await;
    assert_eq!(contact["attempt_count"], 0, "{contact}");
    assert_eq!(contact["attempts"], json!([]), "{contact}");
    assert_eq!(contact["next_attempt_at"], Value::Null, "{contact}");
    // A not-delivered attempt is gone.
    let first = failed[0].1["attempt_id"].as_str().unwrap();
    let (status, body) = org.result(first, json!({"outcome": "answered"})).await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "Attempt not found"}))
    );

    receiver.set(Answer::Script);
    let contact = eventually("the contact to complete", || async {
        let contact = org.contact("default", &id).await;
        (contact["status"] == "completed").then_some(contact)
    })
    .await;
    assert_eq!(contact["attempt_count"], 1, "{contact}");
    assert_eq!(
        contact["attempts"].as_array().unwrap().len(),
        1,
        "{contact}"
    );
    let last = receiver.bodies().pop().unwrap().1;
    assert_eq!(contact["attempts"][0]["id"], last["attempt_id"]);
    receiver.assert_all_signed();
    check_bodies(&org, &receiver, &server).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_500_backs_off_and_uses_no_attempt() {
    fails_then_recovers(Answer::Status500, 10.0, 5, Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_garbage_backs_off_and_uses_no_attempt() {
    fails_then_recovers(Answer::Garbage, 10.0, 4, Duration::ZERO).await;
}

/// On the real clock: a delivery not answered in 10 s is not delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_slower_than_10_seconds_backs_off_and_uses_no_attempt() {
    fails_then_recovers(
        Answer::Slow(Duration::from_secs(12)),
        1.0,
        2,
        webhook::ANSWER_TIMEOUT,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_is_down_uses_no_attempt_and_dialing_resumes_when_it_is_up() {
    // A port with nothing listening on it: connections are refused.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/calls");
    let server = TestServer::start_with(clock(10.0), settings(&url, 50)).await;
    let org = Org::new(&server, "org_a");
    let campaign = org.campaign(json!({"max_attempts": 1})).await;
    let ids = org
        .add(
            &campaign,
            json!([{"external_id": "down", "phone_numbers": [number(1)]},
                   {"external_id": "down-2", "phone_numbers": [number(2)]}]),
        )
        .await;
    // Every pass so far was refused; whenever a contact is seen pending, it has used nothing.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        for contact in org.contacts(&campaign).await {
            assert!(
                matches!(contact["status"].as_str(), Some("pending" | "locked")),
                "{contact}"
            );
            if contact["status"] == "pending" {
                assert_eq!(contact["attempt_count"], 0, "{contact}");
                assert_eq!(contact["attempts"], json!([]), "{contact}");
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let receiver = Receiver::start(port, Answer::Script).await;
    *receiver.state.key.lock().unwrap() = org.key.clone();
    receiver.script("down", vec!["answered"]);
    receiver.script("down-2", vec!["voicemail"]);
    let done = eventually("both contacts to end", || async {
        let contacts = org.contacts(&campaign).await;
        contacts.iter().all(ended).then_some(contacts)
    })
    .await;
    for contact in &done {
        assert_eq!(contact["attempt_count"], 1, "{contact}");
        assert!(ids.contains(&contact["id"].as_str().unwrap().to_string()));
    }
    assert_eq!(done[0]["status"], "completed");
    // max_attempts 1 and voicemail: the contact has used its one attempt.
    assert_eq!(done[1]["status"], "exhausted");
    assert_eq!(
        receiver.count(),
        2,
        "one delivery each once the receiver was up"
    );
    receiver.assert_all_signed();
    check_bodies(&org, &receiver, &server).await;
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The result route

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_result_route_checks_in_order_and_applies_step_6_once() {
    let receiver = Receiver::start(0, Answer::Accept).await;
    let clock = clock(1.0);
    let server = TestServer::start_with(clock, settings(&receiver.url(), 50)).await;
    let org = Org::new(&server, "org_a");
    let campaign = org
        .campaign(json!({"max_attempts": 3, "retry_delay_minutes": 60}))
        .await;
    let ids = org
        .add(
            &campaign,
            json!([{"external_id": "r1", "phone_numbers": [number(1)]},
                   {"external_id": "r2", "phone_numbers": [number(2)]}]),
        )
        .await;
    eventually("both calls up", || async {
        let contacts = org.contacts(&campaign).await;
        contacts
            .iter()
            .all(|c| c["status"] == "in_progress")
            .then_some(())
    })
    .await;
    let bodies = receiver.bodies();
    let attempt_of = |contact: &str| {
        bodies
            .iter()
            .find(|(_, b)| b["contact_id"] == contact)
            .unwrap()
            .1["attempt_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a1, a2) = (attempt_of(&ids[0]), attempt_of(&ids[1]));
    let path = |attempt: &str| format!("/campaign/attempts/{attempt}/result");
    let answered = json!({"outcome": "answered"});

    // Credential and scope.
    let (status, body) = server
        .call(Method::POST, &path(&a1), None, Some(&answered))
        .await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Not authenticated"}))
    );
    let (status, body) = server
        .call(
            Method::POST,
            &path(&a1),
            Some("ak_nope.nope"),
            Some(&answered),
        )
        .await;
    assert_eq!((status, body), (401, json!({"detail": "Invalid token"})));
    let reader = server.key("org_a", Scopes::of(&[Scope::CampaignsRead]));
    let (status, body) = server
        .call(Method::POST, &path(&a1), Some(&reader), Some(&answered))
        .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"detail": "Missing required scope: one of campaigns:manage"})
        )
    );
    // Wrong method: 405 with Allow.
    let response = server
        .request(Method::GET, &path(&a1))
        .bearer_auth(&org.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");

    // Body shape (before the attempt is looked up: an unknown attempt with a bad body is 422).
    let unknown = "0190a000-0000-7000-8000-000000000000";
    for attempt in [a1.as_str(), unknown] {
        let (status, body) = org.result(attempt, json!({})).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(crate::common::locs(&body), ["body.outcome"]);
        assert_eq!(body["detail"][0]["type"], "missing");
    }
    let (status, body) = org
        .result(
            &a1,
            json!({"outcome": "ringing", "ended_at": "yesterday", "conversation_id": 5}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        crate::common::locs(&body),
        ["body.outcome", "body.ended_at", "body.conversation_id"]
    );
    let types: Vec<&str> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["enum", "datetime_parsing", "string_type"]);
    let long = "x".repeat(256);
    let (status, body) = org
        .result(
            &a1,
            json!({"outcome": "busy", "conversation_id": long, "ended_at": null}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        crate::common::locs(&body),
        ["body.ended_at", "body.conversation_id"]
    );
    // A local time has no offset: refused.
    let (status, body) = org
        .result(
            &a1,
            json!({"outcome": "busy", "ended_at": "2026-03-04T12:00:00"}),
        )
        .await;
    assert_eq!(
        (status, crate::common::locs(&body)),
        (422, vec!["body.ended_at".to_string()])
    );
    let (status, body) = org.result(&a1, json!(["answered"])).await;
    assert_eq!(
        (status, body["detail"][0]["type"].clone()),
        (422, json!("dict_type"))
    );
    let response = server
        .request(Method::POST, &path(&a1))
        .bearer_auth(&org.key)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"][0]["type"], "json_invalid");

    // Unknown, malformed and another organisation's attempts.
    let not_found = (404, json!({"detail": "Attempt not found"}));
    assert_eq!(org.result(unknown, answered.clone()).await, not_found);
    assert_eq!(org.result("not-a-uuid", answered.clone()).await, not_found);
    let other = Org::new(&server, "org_b");
    assert_eq!(other.result(&a1, answered.clone()).await, not_found);

    // ended_at before the attempt started, or in the future of campaignd's clock.
    let (status, body) = org
        .result(
            &a1,
            json!({"outcome": "answered", "ended_at": "2026-03-04T11:00:00Z"}),
        )
        .await;
    assert_eq!(
        (status, crate::common::locs(&body)),
        (422, vec!["body.ended_at".to_string()])
    );
    assert_eq!(body["detail"][0]["type"], "value_error");
    let tomorrow = clock.now() + jiff::SignedDuration::from_hours(24);
    let (status, body) = org
        .result(
            &a1,
            json!({"outcome": "answered", "ended_at": tomorrow.to_string()}),
        )
        .await;
    assert_eq!(
        (status, crate::common::locs(&body)),
        (422, vec!["body.ended_at".to_string()])
    );
    // Nothing was written by any of the above.
    let contact = org.contact(&campaign, &ids[0]).await;
    assert_eq!(contact["status"], "in_progress");
    assert_eq!(contact["attempts"][0]["status"], "in_progress");

    // The result: step 6, and the contact with its attempts. The path's UUID in any case.
    let ended_at = clock.now_text();
    let (status, contact) = org
        .result(
            &a1.to_uppercase(),
            json!({"outcome": "no_answer", "ended_at": ended_at, "conversation_id": "call-1"}),
        )
        .await;
    assert_eq!(status, 200, "{contact}");
    assert_eq!(contact["id"], ids[0].as_str());
    assert_eq!(contact["status"], "pending");
    assert_eq!(contact["attempt_count"], 1);
    let attempt = &contact["attempts"][0];
    assert_eq!(attempt["id"], a1.as_str());
    assert_eq!(attempt["outcome"], "no_answer");
    assert_eq!(attempt["status"], "failed");
    assert_eq!(attempt["conversation_id"], "call-1");
    assert_eq!(attempt["ended_at"], ended_at.as_str());
    let retry: jiff::Timestamp = contact["next_attempt_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        retry,
        ended_at.parse::<jiff::Timestamp>().unwrap() + jiff::SignedDuration::from_mins(60)
    );
    assert_eq!(contact, org.contact(&campaign, &ids[0]).await);

    // The same result again: 200, nothing changes. Another outcome: 409. A bad ended_at still
    // comes before the conflict.
    let (status, again) = org
        .result(
            &a1,
            json!({"outcome": "no_answer", "conversation_id": "call-1"}),
        )
        .await;
    assert_eq!((status, &again), (200, &contact));
    let (status, body) = org.result(&a1, answered.clone()).await;
    assert_eq!(
        (status, body),
        (409, json!({"detail": "Attempt already ended"}))
    );
    let (status, _) = org
        .result(
            &a1,
            json!({"outcome": "answered", "ended_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(org.contact(&campaign, &ids[0]).await, contact);

    // Ended at once without ended_at: now; answered completes the contact.
    let (status, contact) = org.result(&a2, answered.clone()).await;
    assert_eq!(status, 200, "{contact}");
    assert_eq!(contact["status"], "completed");
    assert_eq!(
        contact["attempts"][0]["conversation_id"],
        format!("conv-{a2}")
    );
    assert_eq!(contact["next_attempt_at"], Value::Null);
    receiver.assert_all_signed();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_after_max_call_minutes_finds_the_call_ended_failed() {
    let receiver = Receiver::start(0, Answer::Accept).await;
    let settings = dialer::Settings {
        max_call: jiff::SignedDuration::from_mins(1),
        ..settings(&receiver.url(), 50)
    };
    // A minute of campaignd's clock per real second.
    let server = TestServer::start_with(clock(60.0), settings).await;
    let org = Org::new(&server, "org_a");
    let campaign = org.campaign(json!({"max_attempts": 1})).await;
    let id = org
        .add(
            &campaign,
            json!([{"external_id": "late", "phone_numbers": [number(1)]}]),
        )
        .await
        .remove(0);
    let contact = eventually("the call to end past --max-call-minutes", || async {
        let contact = org.contact(&campaign, &id).await;
        ended(&contact).then_some(contact)
    })
    .await;
    assert_eq!(contact["status"], "exhausted");
    let attempt = &contact["attempts"][0];
    assert_eq!(attempt["outcome"], "failed");
    assert_eq!(attempt["status"], "failed");
    let attempt_id = attempt["id"].as_str().unwrap();
    let (status, body) = org.result(attempt_id, json!({"outcome": "answered"})).await;
    assert_eq!(
        (status, body),
        (409, json!({"detail": "Attempt already ended"}))
    );
    let (status, body) = org.result(attempt_id, json!({"outcome": "failed"})).await;
    assert_eq!((status, &body), (200, &contact));
    assert_eq!(receiver.count(), 1);
    receiver.assert_all_signed();
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// An outside implementation: the Python `standardwebhooks` package

/// The pinned Python package, installed into target/ on first use (needs python3 and PyPI).
fn python_with_standardwebhooks() -> std::path::PathBuf {
    const VERSION: &str = "1.3.0";
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target/webhook-venv");
    let python = venv.join("bin/python");
    let installed = std::process::Command::new(venv.join("bin/pip"))
        .args(["show", "standardwebhooks"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&format!("Version: {VERSION}")));
    if !installed {
        let run = |program: &std::path::Path, args: &[&str]| {
            let status = std::process::Command::new(program)
                .args(args)
                .status()
                .unwrap();
            assert!(status.success(), "{program:?} {args:?}");
        };
        run(
            std::path::Path::new("python3"),
            &["-m", "venv", venv.to_str().unwrap()],
        );
        run(
            &venv.join("bin/pip"),
            &[
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("standardwebhooks=={VERSION}"),
            ],
        );
    }
    python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_standardwebhooks_package_verifies_our_deliveries() {
    let python = tokio::task::spawn_blocking(python_with_standardwebhooks)
        .await
        .unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/calls");
    let server = TestServer::start_with(clock(60.0), settings(&url, 50)).await;
    let org = Org::new(&server, "org_a");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let log = tempfile::NamedTempFile::new().unwrap();
    // The example receiver of the docs: it answers 401 to a delivery it cannot verify (then
    // nothing completes), else posts `answered` back with the API key.
    let mut bridge = std::process::Command::new(&python)
        .arg(root.join("examples/telephony_receiver.py"))
        .args(["--port", &port.to_string(), "--after", "0.1"])
        .env("CAMPAIGND_WEBHOOK_SECRET", SECRET)
        .env("CAMPAIGND_API_KEY", &org.key)
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let campaign = org.campaign(json!({"agent_id": "agent_py"})).await;
    org.add(
        &campaign,
        json!([
            {"external_id": "p1", "phone_numbers": [number(1)], "data": {"name": "Zoë ✓", "n": 1e3}},
            {"external_id": "p2", "phone_numbers": [number(2)], "initial_context": "naïve \"quoted\"\n"},
            {"external_id": "p3", "phone_numbers": [number(3)], "agent_config": {"emoji": "📞"}},
        ]),
    )
    .await;
    let done = eventually("the bridge to complete every contact", || async {
        let contacts = org.contacts(&campaign).await;
        contacts.iter().all(ended).then_some(contacts)
    })
    .await;
    let _ = bridge.kill();
    let _ = bridge.wait();
    let output = std::fs::read_to_string(log.path()).unwrap();
    for contact in &done {
        assert_eq!(contact["status"], "completed", "{contact}\n{output}");
        assert_eq!(contact["attempt_count"], 1, "{contact}");
        let attempt = &contact["attempts"][0];
        assert_eq!(
            attempt["conversation_id"],
            format!("demo-{}", attempt["id"].as_str().unwrap())
        );
    }
    assert_eq!(output.matches("verified: call").count(), 3, "{output}");
    assert!(!output.contains("refused"), "{output}");
    server.stop().await;
}
