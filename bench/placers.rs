//! What the placer benchmarks (bench/webhook.rs, bench/twilio.rs) share: their flags, one
//! organisation with a key and a campaign of pending contacts over a real database file, and the
//! run that serves campaignd with a placer and counts completed contacts each second.

use crate::setup::{always, arg, configuration, number, us_number};
use campaignd::dialer;
use campaignd::domain::clock::Clock;
use campaignd::domain::credential::{Credential, Kind};
use campaignd::domain::ids::{CampaignId, OrgId};
use campaignd::domain::scope::Scopes;
use campaignd::store::configurations::{self, ConfigurationFields};
use campaignd::store::contacts::{self, ContactWrite, Scope};
use campaignd::store::{Store, Synchronous, campaigns, credentials, orgs};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const ORG: &str = "bench";

/// `ORG` as an id.
pub fn org() -> OrgId {
    OrgId::parse(ORG).expect("a valid organisation id")
}

/// `--contacts`, `--secs`, `--synchronous` (full unless `normal`).
pub struct Flags {
    pub contacts: u64,
    pub secs: u64,
    pub synchronous: Synchronous,
}

pub fn flags() -> Flags {
    Flags {
        contacts: number("--contacts", 60_000),
        secs: number("--secs", 60),
        synchronous: match arg("--synchronous").as_deref() {
            Some("normal") => Synchronous::Normal,
            _ => Synchronous::Full,
        },
    }
}

/// The organisation, its key, one campaign (`agent_number` set: the caller id) and `n` pending
/// contacts; returns (campaign id, API key).
pub async fn fill(store: &Store, n: u64) -> (String, String) {
    let now = Clock::real().now();
    let now_text = campaignd::domain::time::format(now);
    let key = Credential::generate(Kind::ApiKey);
    let api_key = key.to_string();
    let campaign = store
        .write(move |conn| {
            orgs::create(conn, &org(), "bench", &now_text)?;
            orgs::set_concurrency_limit(conn, &org(), 10_000)?;
            let new = credentials::NewKey {
                organization_id: &org(),
                name: "bench",
                scopes: Scopes::ALL,
                expires_at: None,
            };
            credentials::create_key(conn, &key, &new, &now_text)?;
            let fields = ConfigurationFields {
                agent_id: Some("agent_bench".into()),
                agent_version: Some(3),
                agent_number: Some("+16502539999".into()),
                ..configuration(always())
            };
            let config = configurations::create(conn, &org(), &fields, &now_text)?;
            let f = campaigns::CampaignFields {
                name: "placer".into(),
                external_id: None,
                priority: 0,
                configuration_id: config.id,
            };
            Ok(campaigns::create(conn, &org(), &f, &now_text)?.id)
        })
        .await
        .unwrap();
    let mut left = n;
    while left > 0 {
        let batch: Vec<ContactWrite> = (0..left.min(1000))
            .map(|i| ContactWrite {
                phone_numbers: Some(vec![us_number(left + i)]),
                data: Some(format!("{{\"n\":{},\"plan\":\"pro\"}}", left + i)),
                ..ContactWrite::default()
            })
            .collect();
        left -= batch.len() as u64;
        let scope = Scope {
            org: org(),
            campaign_id: Some(campaign.clone()),
        };
        store
            .write(move |conn| contacts::upsert(conn, &scope, &batch, now))
            .await
            .unwrap();
    }
    (campaign.to_string(), api_key)
}

/// Opens a fresh database of `flags.contacts` pending contacts: (store, campaign, key, its
/// folder, which must outlive the run).
pub async fn prepare(flags: &Flags) -> (Store, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.db"), flags.synchronous).unwrap();
    let started = Instant::now();
    let (campaign, api_key) = fill(&store, flags.contacts).await;
    println!(
        "{} contacts in one campaign in {:.1} s (synchronous={:?})",
        flags.contacts,
        started.elapsed().as_secs_f64(),
        flags.synchronous
    );
    (store, campaign, api_key, dir)
}

/// Binds campaignd's listener first (a placer's double may need its address).
pub async fn listener() -> (tokio::net::TcpListener, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Serves campaignd with `settings` on `listener` until every contact completed or `flags.secs`
/// passed, sampling `placed` (requests the far side took) each second; prints the figures.
pub async fn run(
    store: Store,
    listener: tokio::net::TcpListener,
    settings: dialer::Settings,
    campaign: &str,
    flags: &Flags,
    placed: &AtomicU64,
    what: &str,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = campaignd::config::ServeConfig {
        dialer: settings,
        ..Default::default()
    };
    let app = campaignd::App::new(store.clone(), &config);
    let served = tokio::spawn(campaignd::serve(app, listener, async {
        let _ = stopped.await;
    }));
    let start = Instant::now();
    let mut per_second = Vec::new();
    let mut last = 0;
    let mut completed = 0;
    while start.elapsed() < Duration::from_secs(flags.secs) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let scope = Scope {
            org: org(),
            campaign_id: Some(CampaignId::parse(campaign).expect("a campaign id")),
        };
        completed = store
            .read(move |conn| Ok(contacts::counts(conn, &scope)?.completed))
            .await
            .unwrap();
        let now = placed.load(Ordering::Relaxed);
        per_second.push(now - last);
        last = now;
        if completed as u64 >= flags.contacts {
            break;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    // The first and last seconds are partial.
    let steady: Vec<u64> = per_second
        .iter()
        .copied()
        .skip(1)
        .take(per_second.len().saturating_sub(2))
        .collect();
    let mut sorted = steady.clone();
    sorted.sort_unstable();
    println!("{completed} contacts completed in {elapsed:.1} s");
    println!(
        "{what}/s: {:.0} overall (completed contacts / time), per-second median {} (steady seconds: {:?})",
        completed as f64 / elapsed,
        sorted.get(sorted.len() / 2).copied().unwrap_or(0),
        steady
    );
    let _ = stop.send(());
    let _ = served.await;
}
