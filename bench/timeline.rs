//! Timeline benchmark (docs/api.md, "Timeline": p99 ≤ 20 ms for 30 days by hour on a campaign
//! with 1,000,000 attempts), in process over a real database file and real HTTP, release build:
//!
//!     cargo run --release --example timeline -- [--attempts 1000000] [--secs 10] [--clients 4]
//!
//! 1. Fill: one campaign of `--attempts / 2.5` contacts, and `--attempts` ended attempts spread
//!    evenly over 30 days (one every 2.6 s: every minute of the 43,200 has about 23), written as
//!    the dialer writes them, so the triggers keep the timeline's counters; then every contact
//!    ends completed or exhausted. `campaignd check`'s recount confirms the counters.
//! 2. Read: `--clients` connections ask `GET …/timeline` for `--secs` each — 30 days by hour, the
//!    default (30 days: by day), and the last 1,000 minutes — then one connection alone asks 30
//!    days by hour; the latencies' percentiles are printed.

mod setup;

use campaignd::domain::clock::Clock;
use campaignd::domain::credential::{Credential, Kind};
use campaignd::domain::ids::{CampaignId, OrgId};
use campaignd::domain::scope::Scopes;
use campaignd::domain::time;
use campaignd::store::configurations;
use campaignd::store::contacts::{self, ContactWrite, Scope};
use campaignd::store::{self, Store, Synchronous, campaigns, credentials, maintenance, orgs};
use jiff::{SignedDuration, Timestamp};
use setup::{always, configuration, number, us_number};
use std::time::{Duration, Instant};

const ORG: &str = "bench";

/// `ORG` as an id.
fn org() -> OrgId {
    OrgId::parse(ORG).expect("a valid organisation id")
}
const DAYS: i64 = 30;

/// The campaign, its contacts and `attempts` ended attempts over `DAYS` days from `start`.
async fn fill(store: &Store, attempts: u64, start: Timestamp) -> CampaignId {
    let start_text = time::format(start);
    let campaign = store
        .write(move |conn| {
            orgs::create(conn, &org(), "bench", &start_text)?;
            let config =
                configurations::create(conn, &org(), &configuration(always()), &start_text)?;
            let f = campaigns::CampaignFields {
                name: "one million attempts".into(),
                external_id: None,
                priority: 0,
                configuration_id: config.id,
            };
            Ok(campaigns::create(conn, &org(), &f, &start_text)?.id)
        })
        .await
        .unwrap();

    let contact_count = (attempts * 2 / 5).max(1);
    let mut n = 0;
    while n < contact_count {
        let batch: Vec<ContactWrite> = (n..(n + 1000).min(contact_count))
            .map(|i| ContactWrite {
                phone_numbers: Some(vec![us_number(i)]),
                data: Some(format!("{{\"n\":{i},\"plan\":\"pro\"}}")),
                ..ContactWrite::default()
            })
            .collect();
        n += batch.len() as u64;
        let scope = Scope {
            org: org(),
            campaign_id: Some(campaign.clone()),
        };
        store
            .write(move |conn| contacts::upsert(conn, &scope, &batch, start))
            .await
            .unwrap();
    }

    // Attempts in chunks of 20,000, one write job each (as many commits as the dialer would
    // make in a few seconds of full-speed calling).
    let spacing_ms = DAYS * 86_400_000 / attempts as i64;
    let outcomes = [
        "answered",
        "answered",
        "answered",
        "answered",
        "answered",
        "no_answer",
        "no_answer",
        "busy",
        "voicemail",
        "failed",
    ];
    let mut i = 0u64;
    while i < attempts {
        let end = (i + 20_000).min(attempts);
        let range = i..end;
        store
            .write(move |conn| {
                let insert = "INSERT INTO attempts (id, contact_seq, phone_number, status, outcome,
                                                    started_at, ended_at)
                              VALUES (?1, ?2, '+16502530000', ?3, ?4, ?5, ?6)";
                for a in range {
                    let started = start + SignedDuration::from_millis(a as i64 * spacing_ms);
                    let ended = started + SignedDuration::from_secs(60);
                    let outcome = outcomes[(a % 10) as usize];
                    let status = if matches!(outcome, "answered" | "voicemail") {
                        "completed"
                    } else {
                        "failed"
                    };
                    conn.execute(
                        insert,
                        store::args![
                            campaignd::domain::ids::new_id(),
                            (a % contact_count) as i64 + 1,
                            status,
                            outcome,
                            time::format(started),
                            time::format(ended),
                        ],
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
        i = end;
    }
    // Every contact ends: the status triggers count it where its last attempt ended.
    store
        .write(|conn| {
            conn.execute(
                "UPDATE contacts SET status = CASE WHEN seq % 3 = 0 THEN 'exhausted' ELSE 'completed' END",
                &[],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    campaign
}

struct Latencies(Vec<f64>);

impl Latencies {
    fn summary(mut self, secs: f64) -> String {
        self.0.sort_by(f64::total_cmp);
        let p = |q: f64| self.0[((self.0.len() - 1) as f64 * q) as usize];
        let rate = if secs > 0.0 {
            format!(", {:.0} req/s", self.0.len() as f64 / secs)
        } else {
            String::new()
        };
        format!(
            "{} requests{rate}; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.0.len(),
            p(0.5),
            p(0.99),
            p(1.0)
        )
    }
}

/// `clients` connections asking `url` for `secs`; every answer must be 200.
async fn load(url: &str, key: &str, clients: u64, secs: u64) -> (Latencies, usize) {
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (url, key) = (url.to_string(), key.to_string());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut times = Vec::new();
            let mut bytes = 0;
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(secs) {
                let t = Instant::now();
                let response = http.get(&url).bearer_auth(&key).send().await.unwrap();
                assert_eq!(response.status(), 200, "{url}");
                bytes = response.bytes().await.unwrap().len();
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            (times, bytes)
        }));
    }
    let mut all = Vec::new();
    let mut size = 0;
    for task in tasks {
        let (times, bytes) = task.await.unwrap();
        all.extend(times);
        size = bytes;
    }
    (Latencies(all), size)
}

#[tokio::main]
async fn main() {
    let attempts = number("--attempts", 1_000_000);
    let secs = number("--secs", 10);
    let clients = number("--clients", 4);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("timeline.db");
    let store = Store::open(&db, Synchronous::Normal).unwrap();
    let start: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
    let end = start + SignedDuration::from_hours(DAYS * 24);

    let t = Instant::now();
    let campaign = fill(&store, attempts, start).await;
    println!(
        "filled: {attempts} attempts over {DAYS} days in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let conn = store::open_connection(&db).unwrap();
    let report = maintenance::check(&store::Db::Sqlite(&conn)).unwrap();
    assert!(report.is_clean(), "{report:?}");
    let rows: i64 = conn
        .query_row(
            "SELECT count(*) FROM timeline_counts WHERE span = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    println!(
        "campaignd check: counters equal their recount ({rows} minute rows) in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // The design not taken, for comparison: 30 days by hour summed from the minute rows alone.
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let sums: i64 = conn
            .query_row(
                "SELECT count(*) FROM (SELECT start / 60, sum(started), sum(answered),
                        sum(voicemail), sum(no_answer), sum(busy), sum(failed), sum(completed),
                        sum(exhausted)
                 FROM timeline_counts
                 WHERE organization_id = ?1 AND scope = ?2 AND span = 1 AND start >= ?3
                   AND start < ?4
                 GROUP BY start / 60)",
                rusqlite::params![ORG, campaign, start.as_second() / 60, end.as_second() / 60],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sums, DAYS * 24);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "for comparison, 30 days by hour summed from minute rows in SQLite (no HTTP, no JSON): {}",
        Latencies(times).summary(0.0)
    );

    let key = Credential::generate(Kind::ApiKey);
    let (k, now) = (key.clone(), time::format(start));
    store
        .write(move |conn| {
            let new = credentials::NewKey {
                organization_id: &org(),
                name: "bench",
                scopes: Scopes::ALL,
                expires_at: None,
            };
            credentials::create_key(conn, &k, &new, &now)
        })
        .await
        .unwrap();
    let key = key.to_string();
    // campaignd's clock stands at the end of the 30 days: the default range is all of them.
    let config = campaignd::config::ServeConfig {
        clock: Clock::started(end, 1.0),
        ..Default::default()
    };
    let app = campaignd::App::new(store.clone(), &config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(campaignd::serve(app, listener, async {
        let _ = stopped.await;
    }));

    let base = format!("http://{addr}/campaign/campaigns/{campaign}/timeline");
    let hours = format!(
        "{base}?bucket=hour&from={}&to={}",
        time::format(start),
        time::format(end)
    );
    let minutes = format!(
        "{base}?bucket=minute&from={}&to={}",
        time::format(end - SignedDuration::from_mins(1000)),
        time::format(end)
    );
    for (what, url, n) in [
        ("30 days by hour (720 buckets)", &hours, clients),
        ("default: 30 days by day (30 buckets)", &base, clients),
        ("the last 1,000 minutes by minute", &minutes, clients),
        ("30 days by hour, one connection alone", &hours, 1),
    ] {
        // A second of warm-up, then the measured run.
        let _ = load(url, &key, n, 1).await;
        let (latencies, bytes) = load(url, &key, n, secs).await;
        println!(
            "{what}, {n} connection(s), {secs} s: {} ({} KiB a response)",
            latencies.summary(secs as f64),
            bytes / 1024
        );
    }
    let _ = stop.send(());
    let _ = served.await;
}
