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
//! loopback and the run is bounded in time. The set-up and the run are bench/placers.rs.

mod placers;
mod setup;

use bytes::Bytes;
use campaignd::dialer::{self, Mode, webhook};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use warp::Filter;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

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
    let flags = placers::flags();
    let (store, campaign, api_key, _dir) = placers::prepare(&flags).await;
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
    let (listener, _) = placers::listener().await;
    placers::run(
        store,
        listener,
        settings,
        &campaign,
        &flags,
        &counts.deliveries,
        "deliveries",
    )
    .await;
    println!(
        "{} deliveries, {} results posted back (200), {} not 200",
        counts.deliveries.load(Ordering::Relaxed),
        counts.results.load(Ordering::Relaxed),
        counts.result_errors.load(Ordering::Relaxed),
    );
}
