//! Webhook placer benchmark (docs/api.md, "Dialing" performance goals: ≥ 2,000 deliveries/s with
//! results posted back), in process over a real database file, release build:
//!
//!     cargo run --release --example webhook -- [--contacts 60000] [--secs 60] [--synchronous full]
//!
//! campaignd serves on 127.0.0.1 with `--dialer webhook`; a receiver on 127.0.0.1 verifies
//! nothing (the signing is part of what is measured on campaignd's side), answers each delivery at
//! once with `{"conversation_id"}` and posts the result `answered` back on its `result_url` with an
//! API key, through campaignd's HTTP API. `--contacts` pending contacts of one active campaign
//! (windows always open) are dialled until all are completed or `--secs` pass. All traffic stays on
//! loopback and the run is bounded in time.

use bytes::Bytes;
use campaignd::dialer::{self, Mode, webhook};
use campaignd::domain::clock::Clock;
use campaignd::domain::credential::{Credential, Kind};
use campaignd::domain::schedule::{TimeWindow, parse_day};
use campaignd::domain::scope::Scopes;
use campaignd::store::configurations::{self, ConfigurationFields};
use campaignd::store::contacts::{self, ContactWrite, Scope};
use campaignd::store::{Store, Synchronous, campaigns, credentials, orgs};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use warp::Filter;

const ORG: &str = "bench";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn number(name: &str, default: u64) -> u64 {
    arg(name).map_or(default, |v| v.replace('_', "").parse().expect("a number"))
}

fn always() -> Vec<TimeWindow> {
    let days: Vec<usize> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| parse_day(d).unwrap())
        .collect();
    vec![
        TimeWindow {
            days: days.clone(),
            start: 0,
            end: 12 * 60,
        },
        TimeWindow {
            days,
            start: 12 * 60,
            end: 0,
        },
    ]
}

/// The organisation, its key, one campaign and `n` pending contacts.
async fn fill(store: &Store, n: u64) -> (String, String) {
    let now = Clock::real().now();
    let now_text = campaignd::domain::time::format(now);
    let key = Credential::generate(Kind::ApiKey);
    let api_key = key.to_string();
    let campaign = store
        .write(move |conn| {
            orgs::create(conn, ORG, "bench", &now_text)?;
            orgs::set_concurrency_limit(conn, ORG, 10_000)?;
            let new = credentials::NewKey {
                organization_id: ORG,
                name: "bench",
                scopes: Scopes::ALL,
                expires_at: None,
            };
            credentials::create_key(conn, &key, &new, &now_text)?;
            let fields = ConfigurationFields {
                name: "bench".into(),
                default_timezone: "UTC".into(),
                default_windows: always(),
                overrides: vec![],
                scheduled_windows: None,
                scheduled_overrides: None,
                default_country_code: "US".into(),
                max_attempts: 3,
                retry_delay_minutes: 60,
                agent_id: Some("agent_bench".into()),
                agent_version: Some(3),
                agent_number: None,
            };
            let config = configurations::create(conn, ORG, &fields, &now_text)?;
            let f = campaigns::CampaignFields {
                name: "webhook".into(),
                external_id: None,
                priority: 0,
                configuration_id: config.id,
            };
            Ok(campaigns::create(conn, ORG, &f, &now_text)?.id)
        })
        .await
        .unwrap();
    let mut left = n;
    while left > 0 {
        let batch: Vec<ContactWrite> = (0..left.min(1000))
            .map(|i| ContactWrite {
                phone_numbers: Some(format!("[\"+1650253{:04}\"]", (left + i) % 10_000)),
                data: Some(format!("{{\"n\":{},\"plan\":\"pro\"}}", left + i)),
                ..ContactWrite::default()
            })
            .collect();
        left -= batch.len() as u64;
        let scope = Scope {
            org: ORG.into(),
            campaign_id: Some(campaign.clone()),
        };
        store
            .write(move |conn| contacts::upsert(conn, &scope, &batch, now))
            .await
            .unwrap();
    }
    (campaign, api_key)
}

#[derive(Default)]
struct Counts {
    deliveries: AtomicU64,
    results: AtomicU64,
    result_errors: AtomicU64,
}

/// A receiver that answers at once and posts `answered` back.
async fn receiver(api_key: String, counts: Arc<Counts>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let route = warp::post().and(warp::body::bytes()).map(move |raw: Bytes| {
        counts.deliveries.fetch_add(1, Ordering::Relaxed);
        let call: Value = serde_json::from_slice(&raw).unwrap();
        let url = call["result_url"].as_str().unwrap().to_string();
        let conversation = format!("bench-{}", call["attempt_id"].as_str().unwrap());
        let (http, key, counts) = (http.clone(), api_key.clone(), counts.clone());
        let body = json!({"outcome": "answered", "conversation_id": conversation});
        tokio::spawn(async move {
            let sent = http.post(url).bearer_auth(key).json(&body).send().await;
            match sent {
                Ok(answer) if answer.status() == 200 => {
                    counts.results.fetch_add(1, Ordering::Relaxed)
                }
                _ => counts.result_errors.fetch_add(1, Ordering::Relaxed),
            };
        });
        warp::reply::json(&json!({"conversation_id": format!("bench-{}", call["attempt_id"].as_str().unwrap())}))
    });
    tokio::spawn(warp::serve(route).incoming(listener).run());
    format!("http://{addr}/calls")
}

#[tokio::main]
async fn main() {
    let n = number("--contacts", 60_000);
    let secs = number("--secs", 60);
    let synchronous = match arg("--synchronous").as_deref() {
        Some("normal") => Synchronous::Normal,
        _ => Synchronous::Full,
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let store = Store::open(&db, synchronous).unwrap();
    let started = Instant::now();
    let (campaign, api_key) = fill(&store, n).await;
    println!(
        "{n} contacts in one campaign in {:.1} s (synchronous={synchronous:?})",
        started.elapsed().as_secs_f64()
    );

    let counts = Arc::new(Counts::default());
    let url = receiver(api_key, counts.clone()).await;
    let settings = dialer::Settings {
        mode: Mode::Webhook,
        global_concurrency: 10_000,
        webhook: Some(webhook::Settings {
            url: webhook::parse_url(&url).unwrap(),
            secret: SECRET.parse().unwrap(),
        }),
        ..dialer::Settings::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = campaignd::App::with(store.clone(), Clock::real(), settings);
    let served = tokio::spawn(campaignd::serve(app, listener, async {
        let _ = stopped.await;
    }));

    let start = Instant::now();
    let mut per_second = Vec::new();
    let mut last = 0;
    let mut completed = 0;
    while start.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let scope = Scope {
            org: ORG.into(),
            campaign_id: Some(campaign.clone()),
        };
        completed = store
            .read(move |conn| Ok(contacts::counts(conn, &scope)?.completed))
            .await
            .unwrap();
        let delivered = counts.deliveries.load(Ordering::Relaxed);
        per_second.push(delivered - last);
        last = delivered;
        if completed as u64 >= n {
            break;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let delivered = counts.deliveries.load(Ordering::Relaxed);
    let mut sorted = per_second.clone();
    sorted.sort_unstable();
    // The first and last seconds are partial.
    let steady: Vec<u64> = per_second
        .iter()
        .copied()
        .skip(1)
        .take(per_second.len().saturating_sub(2))
        .collect();
    let mut steady_sorted = steady.clone();
    steady_sorted.sort_unstable();
    println!(
        "{delivered} deliveries, {} results posted back (200), {} not 200; {completed} contacts completed in {elapsed:.1} s",
        counts.results.load(Ordering::Relaxed),
        counts.result_errors.load(Ordering::Relaxed),
    );
    println!(
        "deliveries/s: {:.0} overall (completed contacts / time), per-second median {} (steady seconds: {:?})",
        completed as f64 / elapsed,
        steady_sorted
            .get(steady_sorted.len() / 2)
            .copied()
            .unwrap_or(0),
        steady
    );
    let _ = stop.send(());
    let _ = served.await;
}
