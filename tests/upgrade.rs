//! A database written by every earlier schema version opens, is upgraded in place with its data,
//! and serves — the dialer included.

mod common;

use campaignd::dialer::{self, Mode, simulate};
use campaignd::domain::clock::Clock;
use campaignd::domain::scope::Scopes;
use common::TestServer;
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

/// Schema version 1 (before the dialer), with a configuration, a campaign and two contacts.
fn version_1_database(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(include_str!("data/schema-v1.sql"))
        .unwrap();
    conn.execute_batch(
        r#"PRAGMA user_version = 1;
        INSERT INTO organizations (id, name, created_at) VALUES ('org_a', 'A', '2026-01-01T00:00:00.000Z');
        INSERT INTO configurations (id, organization_id, name, default_timezone, default_windows, overrides,
            default_country_code, max_attempts, retry_delay_minutes, created_at, updated_at)
        VALUES ('0194f2a0-0000-7000-8000-000000000001', 'org_a', 'c', 'UTC',
            '[{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"00:00","end":"12:00"},{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"12:00","end":"00:00"}]',
            '[]', 'US', 2, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
        INSERT INTO campaigns (id, organization_id, external_id, name, status, priority, configuration_id, created_at, updated_at)
        VALUES ('0194f2a0-0000-7000-8000-000000000002', 'org_a', 'old', 'Old', 'active', 0,
            '0194f2a0-0000-7000-8000-000000000001', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
        INSERT INTO contacts (id, organization_id, campaign_id, phone_numbers, data, created_at, updated_at)
        VALUES ('0194f2a0-0000-7000-8000-000000000003', 'org_a', '0194f2a0-0000-7000-8000-000000000002',
            '["+16502530000"]', '{"k":"v"}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
               ('0194f2a0-0000-7000-8000-000000000004', 'org_a', '0194f2a0-0000-7000-8000-000000000002',
            '["+16502530001"]', '{}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
        INSERT INTO contact_counts (organization_id, scope, pending)
        VALUES ('org_a', '0194f2a0-0000-7000-8000-000000000002', 2);"#,
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_database_is_upgraded_and_its_contacts_are_dialled() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("campaignd.db");
    version_1_database(&db);
    let settings = dialer::Settings {
        mode: Mode::Simulate,
        simulation: simulate::Settings {
            outcomes: "answered=1".parse().unwrap(),
            call_seconds: "0-0".parse().unwrap(),
            seed: Some(1),
        },
        ..dialer::Settings::default()
    };
    let clock = Clock::started("2026-12-02T12:00:00Z".parse().unwrap(), 60.0);
    let server = TestServer::start_at(&db, clock, settings).await;
    let key = server.key("org_a", Scopes::ALL);
    let version: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, campaignd::store::SCHEMA_VERSION);

    let path = "/campaign/campaigns/old/contacts";
    let start = Instant::now();
    loop {
        let (status, body) = server.call(Method::GET, path, Some(&key), None).await;
        assert_eq!(status, 200, "{body}");
        let contacts = body["contacts"].as_array().unwrap();
        assert_eq!(contacts[0]["data"], json!({"k": "v"}), "data kept");
        if contacts.iter().all(|c| c["status"] == "completed") {
            assert!(
                contacts
                    .iter()
                    .all(|c| c["attempts"][0]["outcome"] == "answered")
            );
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, stats) = server
        .call(
            Method::GET,
            "/campaign/campaigns/old/stats",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(stats["contacts"]["completed"], json!(2));
    assert_eq!(stats["attempts"]["total"], json!(2));
}
