//! Twilio placer benchmark (docs/api.md §8.6, measured like the webhook line of the "Dialing"
//! performance goals: ≥ 2,000 calls/s placed with their status callbacks posted back), in process
//! over a real database file, release build:
//!
//!     cargo run --release --example twilio -- [--contacts 60000] [--secs 60] [--synchronous full]
//!
//! campaignd serves on 127.0.0.1 with `--dialer twilio` pointed (`--twilio-api-base`) at a Twilio
//! double on 127.0.0.1 that answers each call's creation at once with `201` and its `sid`, then
//! posts the call's final status callback (`completed`, `AnsweredBy=human`) to the request's
//! `StatusCallback`, signed with the auth token as Twilio signs it. Every callback goes through
//! the full route (signature, lookup of the call by its sid, step 6 in the writer). The set-up
//! and the run are bench/placers.rs; all traffic stays on loopback and the run is bounded in time.

mod placers;
mod setup;

use bytes::Bytes;
use campaignd::dialer::twilio::{MachineDetection, Settings, Target};
use campaignd::dialer::{self, Mode};
use campaignd::domain::twilio::{Secret, signature};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use warp::Filter;

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0f";

#[derive(Default)]
struct Counts {
    calls: AtomicU64,
    callbacks: AtomicU64,
    callback_errors: AtomicU64,
    /// Why callbacks were not answered 200, and how often.
    why: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

/// The double: `201` at once, then the signed `completed` callback.
async fn double(counts: Arc<Counts>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let token = Secret::parse(TOKEN).unwrap();
    let route = warp::post()
        .and(warp::path!(
            "2010-04-01" / "Accounts" / String / "Calls.json"
        ))
        .and(warp::body::bytes())
        .map(move |account: String, raw: Bytes| {
            let n = counts.calls.fetch_add(1, Ordering::Relaxed);
            let form: Vec<(String, String)> = form_urlencoded::parse(&raw).into_owned().collect();
            let field = |name: &str| {
                form.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let sid = format!("CA{n:032x}");
            let (to, from, url) = (field("To"), field("From"), field("StatusCallback"));
            let params: Vec<(String, String)> = [
                ("AccountSid", account.as_str()),
                ("ApiVersion", "2010-04-01"),
                ("CallSid", &sid),
                ("CallStatus", "completed"),
                ("AnsweredBy", "human"),
                ("CallDuration", "1"),
                ("Direction", "outbound-api"),
                ("From", &from),
                ("To", &to),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            let signed = signature(&token, &url, &params);
            let (http, counts) = (http.clone(), counts.clone());
            tokio::spawn(async move {
                let sent = http
                    .post(url)
                    .header("x-twilio-signature", signed)
                    .form(&params)
                    .send()
                    .await;
                match sent {
                    Ok(answer) if answer.status() == 200 => {
                        counts.callbacks.fetch_add(1, Ordering::Relaxed);
                    }
                    failed => {
                        counts.callback_errors.fetch_add(1, Ordering::Relaxed);
                        let why = match failed {
                            Ok(answer) => format!("HTTP {}", answer.status().as_u16()),
                            Err(error) => format!("{error:?}").chars().take(120).collect(),
                        };
                        *counts.why.lock().unwrap().entry(why).or_default() += 1;
                    }
                }
            });
            warp::reply::with_status(
                warp::reply::json(&json!({"sid": sid, "account_sid": account, "to": to,
                    "from": from, "status": "queued", "api_version": "2010-04-01"})),
                warp::http::StatusCode::CREATED,
            )
        });
    tokio::spawn(warp::serve(route).incoming(listener).run());
    format!("http://{addr}")
}

#[tokio::main]
async fn main() {
    let flags = placers::flags();
    let (store, campaign, _api_key, _dir) = placers::prepare(&flags).await;
    let counts = Arc::new(Counts::default());
    let base = double(counts.clone()).await;
    let settings = dialer::Settings {
        mode: Mode::Twilio,
        global_concurrency: 10_000,
        twilio: Some(Settings {
            account_sid: ACCOUNT.into(),
            auth_token: Secret::parse(TOKEN).unwrap(),
            api_key: None,
            from: None,
            target: Target::Url(reqwest::Url::parse("https://agent.example.com/twiml").unwrap()),
            machine_detection: MachineDetection::Enable,
            ring_seconds: 30,
            api_base: reqwest::Url::parse(&base).unwrap(),
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
        &counts.calls,
        "calls",
    )
    .await;
    println!(
        "{} calls created, {} status callbacks answered 200, {} not 200",
        counts.calls.load(Ordering::Relaxed),
        counts.callbacks.load(Ordering::Relaxed),
        counts.callback_errors.load(Ordering::Relaxed),
    );
    for (why, n) in counts.why.lock().unwrap().iter() {
        println!("  {n} callbacks: {why}");
    }
}
