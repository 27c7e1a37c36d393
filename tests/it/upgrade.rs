//! A database written by every earlier schema version opens, is upgraded in place with its data,
//! and serves — the dialer included.

use crate::common::TestServer;
use campaignd::dialer::{self, Mode, simulate};
use campaignd::domain::clock::Clock;
use campaignd::domain::scope::Scopes;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Schema version 1 (before the dialer), with a configuration, a campaign and two contacts.
fn version_1_database(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(include_str!("../data/schema-v1.sql"))
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

/// Schema version 2 (the dialer, before the timeline), with a campaign whose contacts were
/// called: one answered on its second attempt, one exhausted, one still pending.
fn version_2_database(path: &std::path::Path) {
    database_with_calls(path, include_str!("../data/schema-v2.sql"), 2);
}

/// A database of schema `schema` at `version`, with the calls of `version_2_database`.
fn database_with_calls(path: &std::path::Path, schema: &str, version: i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(schema).unwrap();
    conn.pragma_update(None, "user_version", version).unwrap();
    conn.execute_batch(
        r#"INSERT INTO organizations (id, name, created_at) VALUES ('org_a', 'A', '2026-01-01T00:00:00.000Z');
        INSERT INTO configurations (id, organization_id, name, default_timezone, default_windows, overrides,
            default_country_code, max_attempts, retry_delay_minutes, created_at, updated_at)
        VALUES ('0194f2a0-0000-7000-8000-000000000001', 'org_a', 'c', 'UTC', '[]', '[]', 'US', 2, 1,
            '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
        INSERT INTO campaigns (id, organization_id, external_id, name, status, priority, configuration_id, created_at, updated_at)
        VALUES ('0194f2a0-0000-7000-8000-000000000002', 'org_a', 'old', 'Old', 'active', 0,
            '0194f2a0-0000-7000-8000-000000000001', '2026-12-01T09:00:00.000Z', '2026-12-01T09:00:00.000Z');
        INSERT INTO contacts (seq, id, organization_id, campaign_id, phone_numbers, data, status, attempt_count, created_at, updated_at)
        VALUES (1, '0194f2a0-0000-7000-8000-000000000003', 'org_a', '0194f2a0-0000-7000-8000-000000000002',
            '["+16502530000"]', '{}', 'completed', 2, '2026-12-01T09:00:00.000Z', '2026-12-01T09:00:00.000Z'),
               (2, '0194f2a0-0000-7000-8000-000000000004', 'org_a', '0194f2a0-0000-7000-8000-000000000002',
            '["+16502530001"]', '{}', 'exhausted', 2, '2026-12-01T09:00:00.000Z', '2026-12-01T09:00:00.000Z'),
               (3, '0194f2a0-0000-7000-8000-000000000005', 'org_a', '0194f2a0-0000-7000-8000-000000000002',
            '["+16502530002"]', '{}', 'pending', 0, '2026-12-01T09:00:00.000Z', '2026-12-01T09:00:00.000Z');
        INSERT INTO attempts (id, contact_seq, phone_number, status, outcome, started_at, ended_at) VALUES
            ('0194f2a0-0000-7000-8000-00000000000a', 1, '+16502530000', 'failed', 'busy', '2026-12-01T09:10:00.000Z', '2026-12-01T09:11:00.000Z'),
            ('0194f2a0-0000-7000-8000-00000000000b', 1, '+16502530000', 'completed', 'answered', '2026-12-01T10:10:00.000Z', '2026-12-01T10:12:00.000Z'),
            ('0194f2a0-0000-7000-8000-00000000000c', 2, '+16502530001', 'failed', 'no_answer', '2026-12-01T09:10:00.000Z', '2026-12-01T09:10:30.000Z'),
            ('0194f2a0-0000-7000-8000-00000000000d', 2, '+16502530001', 'failed', 'failed', '2026-12-01T10:10:00.000Z', '2026-12-01T11:00:00.000Z');
        INSERT INTO contact_counts (organization_id, scope, pending, completed, exhausted, attempts)
        VALUES ('org_a', '0194f2a0-0000-7000-8000-000000000002', 1, 1, 1, 4);"#,
    )
    .unwrap();
}

#[tokio::test]
async fn a_version_2_database_gets_its_timeline_from_the_attempts_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("campaignd.db");
    version_2_database(&db);
    let clock = Clock::started("2026-12-02T12:00:00Z".parse().unwrap(), 1.0);
    let server = TestServer::start_at(&db, clock, dialer::Settings::default()).await;
    let key = server.key("org_a", Scopes::ALL);
    let (status, timeline) = server
        .call(
            Method::GET,
            "/campaign/campaigns/old/timeline?bucket=hour&from=2026-12-01T09:00:00Z&to=2026-12-01T12:00:00Z",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 200, "{timeline}");
    let zero = json!({"answered": 0, "voicemail": 0, "no_answer": 0, "busy": 0, "failed": 0});
    let outcomes = |changes: Value| {
        let mut o = zero.clone();
        o.as_object_mut()
            .unwrap()
            .extend(changes.as_object().unwrap().clone());
        o
    };
    assert_eq!(
        timeline["buckets"],
        json!([
            {"start": "2026-12-01T09:00:00.000Z", "attempts_started": 2,
             "outcomes": outcomes(json!({"busy": 1, "no_answer": 1})),
             "contacts_completed": 0, "contacts_exhausted": 0},
            {"start": "2026-12-01T10:00:00.000Z", "attempts_started": 2,
             "outcomes": outcomes(json!({"answered": 1})),
             "contacts_completed": 1, "contacts_exhausted": 0},
            {"start": "2026-12-01T11:00:00.000Z", "attempts_started": 0,
             "outcomes": outcomes(json!({"failed": 1})),
             "contacts_completed": 0, "contacts_exhausted": 1},
        ])
    );
    let report = server.inspect(campaignd::store::maintenance::check);
    assert!(report.is_clean(), "{report:?}");
}

#[tokio::test]
async fn a_version_3_database_gets_the_index_that_finds_an_attempt_by_its_call() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("campaignd.db");
    database_with_calls(&db, include_str!("../data/schema-v3.sql"), 3);
    // Written directly, the calls left the timeline's counters behind: make them what a version 3
    // campaignd would have kept.
    let mut conn = rusqlite::Connection::open(&db).unwrap();
    campaignd::store::write_now(&mut conn, campaignd::store::maintenance::repair_counters).unwrap();
    drop(conn);
    let clock = Clock::started("2026-12-02T12:00:00Z".parse().unwrap(), 1.0);
    let server = TestServer::start_at(&db, clock, dialer::Settings::default()).await;
    let key = server.key("org_a", Scopes::ALL);
    let (status, stats) = server
        .call(
            Method::GET,
            "/campaign/campaigns/old/stats",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["attempts"]["total"], json!(4));
    let conn = campaignd::store::open_connection(&db).unwrap();
    let (version, indexed): (i64, bool) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version),
                    EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'attempts_by_conversation')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((version, indexed), (campaignd::store::SCHEMA_VERSION, true));
    let report = server.inspect(campaignd::store::maintenance::check);
    assert!(report.is_clean(), "{report:?}");
}
