//! Dialer benchmark (docs/api.md, "Dialing" performance goals), in process over a real database
//! file, release build:
//!
//!     cargo run --release --example dialer -- [--contacts 1000000] [--secs 60]
//!
//! 1. The loop's pass: `--contacts` pending contacts across 1,000 campaigns in 20 time zones,
//!    taking 1,000 slots — with half the zones outside their windows (steady state), right after
//!    those windows closed on contacts already due (the first passes move them on), with no free
//!    slot, and the same at 10,000 contacts.
//! 2. Sustained simulated calls of 0 s under limits of 10,000 for `--secs`, while 10,000
//!    contacts/s are upserted into another campaign and the stats are read; the invariants are
//!    sampled every 100 ms. `--without-timeline` runs this part without the timeline's
//!    triggers, to measure what they cost.
//!
//! `--database-url postgres://…` (an empty database) runs part 2 on PostgreSQL instead; part 1
//! times the pass on the SQLite file only.

mod setup;

use campaignd::dialer::{self, Mode, simulate};
use campaignd::domain::clock::Clock;
use campaignd::domain::ids::{CampaignId, OrgId};
use campaignd::domain::schedule::{TimeWindow, parse_day};
use campaignd::store::configurations;
use campaignd::store::contacts::{self, ContactWrite, Scope};
use campaignd::store::{self, Store, Synchronous, campaigns, orgs};
use jiff::Timestamp;
use setup::{always, configuration, number, us_number};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const ORG: &str = "bench";

/// `ORG` as an id.
fn org() -> OrgId {
    OrgId::parse(ORG).expect("a valid organisation id")
}
/// Ten zones inside 09:00–17:00 at 12:00 UTC, ten outside.
const ZONES: [&str; 20] = [
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Athens",
    "Europe/Moscow",
    "Asia/Dubai",
    "America/Sao_Paulo",
    "Atlantic/Azores",
    "Africa/Lagos",
    "Asia/Baku",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Asia/Kolkata",
];

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn office_hours() -> Vec<TimeWindow> {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    vec![TimeWindow {
        days: days.iter().map(|d| parse_day(d).unwrap()).collect(),
        start: 9 * 60,
        end: 17 * 60,
    }]
}

fn contact(n: u64) -> ContactWrite {
    ContactWrite {
        phone_numbers: Some(vec![us_number(n)]),
        timezone: Some(Some(ZONES[(n % 20) as usize].to_string())),
        data: Some(format!(
            "{{\"n\":{n},\"plan\":\"pro\",\"note\":\"benchmark contact\"}}"
        )),
        ..ContactWrite::default()
    }
}

/// A database with `campaigns` campaigns of `per_campaign` contacts, inserted at `now`.
async fn fill(
    store: &Store,
    windows: Vec<TimeWindow>,
    campaigns: u64,
    per_campaign: u64,
    now: Timestamp,
) -> Vec<CampaignId> {
    let now_text = campaignd::domain::time::format(now);
    let ids = store
        .write(move |conn| {
            orgs::create(conn, &org(), "bench", &now_text)?;
            orgs::set_concurrency_limit(conn, &org(), 10_000)?;
            let config = configurations::create(conn, &org(), &configuration(windows), &now_text)?;
            let mut ids = Vec::new();
            for i in 0..campaigns {
                let f = campaigns::CampaignFields {
                    name: format!("c{i}"),
                    external_id: None,
                    priority: 0,
                    configuration_id: config.id.clone(),
                };
                ids.push(campaigns::create(conn, &org(), &f, &now_text)?.id);
            }
            Ok(ids)
        })
        .await
        .unwrap();
    let mut n = 0;
    for id in &ids {
        let mut left = per_campaign;
        while left > 0 {
            let batch: Vec<ContactWrite> = (0..left.min(1000))
                .map(|_| {
                    n += 1;
                    contact(n)
                })
                .collect();
            left -= batch.len() as u64;
            let scope = Scope {
                org: org(),
                campaign_id: Some(id.clone()),
            };
            store
                .write(move |conn| contacts::upsert(conn, &scope, &batch, now))
                .await
                .unwrap();
        }
    }
    ids
}

/// Times `passes` claim passes at `now` taking up to `slots`, each rolled back.
fn time_passes(
    db: &std::path::Path,
    now: Timestamp,
    slots: i64,
    passes: usize,
) -> (Vec<f64>, usize) {
    let conn = store::open_connection(db).unwrap();
    let mut times = Vec::new();
    let mut claimed = 0;
    for _ in 0..passes {
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        let start = Instant::now();
        claimed = dialer::claim(&store::Db::Sqlite(&conn), now, slots, slots as usize)
            .unwrap()
            .len();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        conn.execute_batch("ROLLBACK").unwrap();
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (times, claimed)
}

fn summary(times: &[f64]) -> String {
    let p = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    format!(
        "median {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        p(0.5),
        p(0.9),
        p(1.0)
    )
}

async fn loop_pass(contacts: u64) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let store = Store::open(&db, Synchronous::Normal).unwrap();
    let per_campaign = (contacts / 1000).max(1);
    let start = Instant::now();
    // Inserted at 08:00 UTC: half the zones are inside their windows at noon.
    fill(
        &store,
        office_hours(),
        1000,
        per_campaign,
        at("2026-12-02T08:00:00Z"),
    )
    .await;
    println!(
        "{contacts} contacts in 1,000 campaigns inserted in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let noon = at("2026-12-02T12:00:00Z");
    let (times, claimed) = time_passes(&db, noon, 1000, 30);
    println!(
        "  pass taking {claimed} of 1,000 slots, half the zones closed: {}",
        summary(&times)
    );
    let (times, _) = time_passes(&db, noon, 1, 30);
    println!(
        "  pass taking 1 slot (finding, not claiming): {}",
        summary(&times)
    );
    let (times, _) = time_passes(&db, noon, 0, 30);
    println!("  pass with no free slot: {}", summary(&times));
    // Every contact due (inserted with all windows open), then the windows of half the zones
    // close: the first passes move up to 10,000 contacts each to their next opening.
    let dir2 = tempfile::tempdir().unwrap();
    let db2 = dir2.path().join("bench.db");
    let store2 = Store::open(&db2, Synchronous::Normal).unwrap();
    fill(
        &store2,
        always(),
        1000,
        per_campaign,
        at("2026-12-02T08:00:00Z"),
    )
    .await;
    store2.write(|conn| { conn.batch("UPDATE configurations SET default_windows = '[{\"days\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"],\"start\":\"09:00\",\"end\":\"17:00\"}]'")?; Ok(()) }).await.unwrap();
    let (times, claimed) = time_passes(&db2, noon, 1000, 5);
    println!(
        "  the first pass after half the windows closed on due contacts (moves up to 10,000 on, takes {claimed}): {}",
        summary(&times)
    );
}

async fn sustained(secs: u64) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let store = match setup::arg("--database-url") {
        Some(url) => {
            println!("sustained calls on PostgreSQL");
            Store::postgres(store::postgres::PostgresStore::connect(&url).await.unwrap())
        }
        None => Store::open(&db, Synchronous::Full).unwrap(),
    };
    if std::env::args().any(|a| a == "--without-timeline") {
        // What the timeline's counters cost the dialer: the same run without their triggers.
        store
            .write(|conn| {
                conn.batch(
                    "DROP TRIGGER attempts_timeline_on_insert; DROP TRIGGER attempts_timeline_on_delete;
                     DROP TRIGGER attempts_timeline_on_end; DROP TRIGGER attempts_timeline_on_restart;
                     DROP TRIGGER contacts_timeline_on_status;",
                )?;
                Ok(())
            })
            .await
            .unwrap();
        println!("(the timeline's triggers dropped)");
    }
    let clock = Clock::real();
    let ids = fill(&store, always(), 2, secs * 10_000, clock.now()).await;
    let settings = dialer::Settings {
        mode: Mode::Simulate,
        global_concurrency: 10_000,
        simulation: simulate::Settings {
            outcomes: "answered=1".parse().unwrap(),
            call_seconds: "0-0".parse().unwrap(),
            seed: Some(1),
        },
        ..dialer::Settings::default()
    };
    // The upserts go to a paused campaign: they load the writer, not the dialer.
    let upsert_campaign = {
        let id = ids[1].clone();
        store
            .write(move |conn| {
                conn.execute(
                    "UPDATE campaigns SET status = 'paused' WHERE id = ?1",
                    store::args![id],
                )?;
                Ok(())
            })
            .await
            .unwrap();
        ids[1].clone()
    };
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let simulation = settings.simulation.clone();
    let started = Instant::now();
    // The lease, as `serve` holds it (on PostgreSQL the loop dials only while it does).
    let (leadership, wake) = (
        Arc::new(dialer::leader::Leadership::default()),
        Arc::default(),
    );
    tokio::spawn(dialer::leader::keep(
        store.clone(),
        leadership.clone(),
        clock,
        Arc::clone(&wake),
        stop.clone(),
    ));
    dialer::start(
        store.clone(),
        leadership,
        clock,
        settings,
        wake,
        stop,
        |events| Arc::new(simulate::Simulator::new(simulation, clock, events)),
    );
    let done = Arc::new(AtomicBool::new(false));
    // 10,000 contacts/s: ten 1,000-contact batches a second.
    let upserts = tokio::spawn({
        let (store, done) = (store.clone(), done.clone());
        async move {
            let mut latencies = Vec::new();
            let mut n = 10_000_000;
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while !done.load(Ordering::Relaxed) {
                tick.tick().await;
                let batch: Vec<ContactWrite> = (0..1000)
                    .map(|_| {
                        n += 1;
                        contact(n)
                    })
                    .collect();
                let scope = Scope {
                    org: org(),
                    campaign_id: Some(upsert_campaign.clone()),
                };
                let t = Instant::now();
                store
                    .write(move |conn| contacts::upsert(conn, &scope, &batch, Clock::real().now()))
                    .await
                    .unwrap();
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }
    });
    let stats = tokio::spawn({
        let (store, done, id) = (store.clone(), done.clone(), ids[0].clone());
        async move {
            let mut latencies = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let scope = Scope {
                    org: org(),
                    campaign_id: Some(id.clone()),
                };
                let t = Instant::now();
                store
                    .read(move |conn| contacts::counts(conn, &scope))
                    .await
                    .unwrap();
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            latencies
        }
    });
    let mut violations = 0;
    let mut samples = 0;
    let mut last = (Instant::now(), 0i64);
    let mut rates = Vec::new();
    // When the last attempt started: the contacts may run out before `secs`.
    let mut busy_until = (Duration::ZERO, 0i64);
    while started.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (up, max_limit_excess, doubles, ended) = store
            .read(|conn| {
                conn.query_one(
                    "SELECT (SELECT CAST(sum(active_calls) AS BIGINT) FROM organizations),
                            (SELECT count(*) FROM organizations WHERE active_calls > concurrency_limit),
                            (WITH up AS MATERIALIZED (SELECT seq FROM contacts
                                    WHERE status IN ('locked', 'in_progress') AND locked_at < '9')
                                SELECT count(*) FROM (SELECT up.seq FROM up
                                JOIN attempts a ON a.contact_seq = up.seq AND a.status = 'in_progress'
                                GROUP BY up.seq HAVING count(*) > 1) doubles),
                            (SELECT CAST(sum(attempts) AS BIGINT) FROM contact_counts)",
                    &[],
                    |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?, r.get::<i64>(2)?, r.get::<i64>(3)?)),
                )
            })
            .await
            .unwrap();
        samples += 1;
        if ended > busy_until.1 {
            busy_until = (started.elapsed(), ended);
        }
        if up > 10_000 || max_limit_excess > 0 || doubles > 0 {
            violations += 1;
        }
        if last.0.elapsed() >= Duration::from_secs(1) {
            rates.push((ended - last.1) as f64 / last.0.elapsed().as_secs_f64());
            last = (Instant::now(), ended);
        }
    }
    done.store(true, Ordering::Relaxed);
    let mut upsert_ms = upserts.await.unwrap();
    let mut stats_ms = stats.await.unwrap();
    let total: i64 = store
        .read(|conn| conn.query_one("SELECT count(*) FROM attempts", &[], |r| r.get(0)))
        .await
        .unwrap();
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    upsert_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    stats_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p99 = |v: &[f64]| v[((v.len() - 1) as f64 * 0.99) as usize];
    println!(
        "sustained {secs} s: {total} attempts ({:.0}/s overall; per-second min {:.0}, median {:.0})",
        total as f64 / started.elapsed().as_secs_f64(),
        rates.first().unwrap_or(&0.0),
        rates.get(rates.len() / 2).unwrap_or(&0.0)
    );
    let (busy, ended) = busy_until;
    if busy < Duration::from_secs(secs - 1) {
        println!(
            "  the contacts ran out: {ended} attempts in the first {:.1} s, {:.0}/s while they lasted",
            busy.as_secs_f64(),
            ended as f64 / busy.as_secs_f64()
        );
    }
    println!(
        "  upserts meanwhile: {} batches of 1,000, p99 {:.1} ms; stats reads p99 {:.2} ms ({} reads)",
        upsert_ms.len(),
        p99(&upsert_ms),
        p99(&stats_ms),
        stats_ms.len()
    );
    println!(
        "  invariants: {violations} violations in {samples} samples (calls up over a limit, or two attempts of one contact in progress)"
    );
}

#[tokio::main]
async fn main() {
    // CAMPAIGND_LOG=warn shows what the dialer logs.
    if let Ok(filter) = std::env::var("CAMPAIGND_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .init();
    }
    let contacts = number("--contacts", 1_000_000);
    let secs = number("--secs", 60);
    if setup::arg("--database-url").is_none() {
        loop_pass(contacts).await;
        loop_pass(10_000).await;
    }
    if secs > 0 {
        sustained(secs).await;
    }
}
