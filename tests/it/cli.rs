//! The real binary, run the way a user runs it: `serve`, the admin commands next to a running
//! server, `--bootstrap-key`, `--ephemeral`, `--version`, and a database from a newer build.

use crate::common::campaignd;
use crate::common::process::{Options, Server, free_port};
use reqwest::Method;
use serde_json::json;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// Runs an admin command on `db` and expects it to succeed.
fn admin(db: &Path, args: &[&str]) -> Output {
    let output = campaignd()
        .args(args)
        .arg("--db")
        .arg(db)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "campaignd {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout_of(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Starts `campaignd serve <args>` in `cwd`.
async fn start(args: &[&str], cwd: &Path) -> Server {
    Server::start_with(args, Options::in_dir(cwd)).await
}

/// The calls of these tests: a status with an optional organisation header (a POST sends a
/// small configuration), and waiting for one.
trait Calls {
    async fn status(&self, method: Method, path: &str, credential: &str, org: Option<&str>) -> u16;
    async fn eventually(&self, path: &str, credential: &str, org: Option<&str>, status: u16);
}

impl Calls for Server {
    async fn status(&self, method: Method, path: &str, credential: &str, org: Option<&str>) -> u16 {
        let mut request = self.request(method.clone(), path).bearer_auth(credential);
        if let Some(org) = org {
            request = request.header("x-anyreach-org", org);
        }
        if method == Method::POST {
            request = request.json(&json!({"name": "from the cli test"}));
        }
        request.send().await.unwrap().status().as_u16()
    }

    /// Waits (up to 3 s: revocation takes effect within one second) for `status`.
    async fn eventually(&self, path: &str, credential: &str, org: Option<&str>, status: u16) {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let got = self.status(Method::GET, path, credential, org).await;
            if got == status {
                return;
            }
            assert!(Instant::now() < deadline, "{path}: {got}, wanted {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Runs `campaignd serve <args>` that is expected to exit; returns its output (killed after 30 s).
fn serve_expecting_exit(args: &[&str], cwd: &Path) -> Output {
    let port = free_port().to_string();
    let mut child = campaignd()
        .arg("serve")
        .args(args)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "serve {args:?} kept running; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

const CONFIGURATIONS: &str = "/campaign/configurations";

#[tokio::test]
async fn serve_prints_a_working_key_and_api_keys_are_managed_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let db_text = db.to_str().unwrap();
    let server = start(&["--db", db_text], dir.path()).await;
    let bootstrap = server.printed_key();
    assert!(bootstrap.contains('.'), "{bootstrap}");
    assert_eq!(
        server
            .status(Method::GET, CONFIGURATIONS, &bootstrap, None)
            .await,
        200
    );
    assert_eq!(
        server
            .status(Method::POST, CONFIGURATIONS, &bootstrap, None)
            .await,
        201
    );
    assert_eq!(
        server
            .status(Method::GET, CONFIGURATIONS, "ak_nope.nope", None)
            .await,
        401
    );

    // A read-only key, created while the server runs.
    let output = admin(
        &db,
        &[
            "keys",
            "create",
            "--org",
            "org_default",
            "--scopes",
            "campaigns:read",
        ],
    );
    let key = stdout_of(&output).trim().to_string();
    assert!(key.starts_with("ak_"), "{key}");
    let (key_id, secret) = key.trim_start_matches("ak_").split_once('.').unwrap();
    assert_eq!(
        server.status(Method::GET, CONFIGURATIONS, &key, None).await,
        200
    );
    assert_eq!(
        server
            .status(Method::POST, CONFIGURATIONS, &key, None)
            .await,
        403
    );

    // Listed by id, never with its secret (nor the bootstrap key's).
    let listed = stdout_of(&admin(&db, &["keys", "list", "--org", "org_default"]));
    assert!(listed.contains(key_id), "{listed}");
    assert!(!listed.contains(secret), "{listed}");
    let (_, bootstrap_secret) = bootstrap.split_once('.').unwrap();
    assert!(!listed.contains(bootstrap_secret), "{listed}");
    let line = listed.lines().find(|l| l.contains(key_id)).unwrap();
    assert!(line.contains("campaigns:read"), "{line}");

    // Revoked: refused on the next requests; the other key still works.
    admin(&db, &["keys", "revoke", key_id]);
    server.eventually(CONFIGURATIONS, &key, None, 401).await;
    assert_eq!(
        server
            .status(Method::GET, CONFIGURATIONS, &bootstrap, None)
            .await,
        200
    );
    // Revoking it again is an error.
    let again = campaignd()
        .args(["keys", "revoke", key_id, "--db", db_text])
        .output()
        .unwrap();
    assert!(!again.status.success());

    // A restart on the same database prints no new key and keeps the old one.
    let mut server = server;
    assert!(server.stop().success(), "{}", server.stderr());
    let server = start(&["--db", db_text], dir.path()).await;
    assert_eq!(
        server
            .status(Method::GET, CONFIGURATIONS, &bootstrap, None)
            .await,
        200
    );
    assert!(!server.stderr().contains("ak_"), "{}", server.stderr());
}

#[tokio::test]
async fn personal_tokens_are_managed_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let server = start(&["--db", db.to_str().unwrap()], dir.path()).await;
    let bootstrap = server.printed_key();

    admin(&db, &["users", "create", "ada"]);
    admin(
        &db,
        &[
            "users",
            "add-member",
            "ada",
            "--org",
            "org_default",
            "--role",
            "viewer",
        ],
    );
    let token = stdout_of(&admin(&db, &["tokens", "create", "--user", "ada"]))
        .trim()
        .to_string();
    assert!(token.starts_with("pat_"), "{token}");
    let org = Some("org_default");
    assert_eq!(
        server
            .status(Method::GET, CONFIGURATIONS, &token, org)
            .await,
        200
    );
    assert_eq!(
        server
            .status(Method::GET, "/campaign/concurrency-settings", &token, org)
            .await,
        200
    );
    assert_eq!(
        server
            .status(Method::POST, CONFIGURATIONS, &token, org)
            .await,
        403
    );
    // Without the organisation header a token is refused.
    assert_eq!(
        server
            .status(Method::GET, CONFIGURATIONS, &token, None)
            .await,
        401
    );

    let token_id = token
        .trim_start_matches("pat_")
        .split_once('.')
        .unwrap()
        .0
        .to_string();
    admin(&db, &["tokens", "revoke", &token_id]);
    server.eventually(CONFIGURATIONS, &token, org, 401).await;
    assert_eq!(
        server
            .status(Method::GET, CONFIGURATIONS, &bootstrap, None)
            .await,
        200
    );
}

#[tokio::test]
async fn a_chosen_bootstrap_key_works_and_a_weak_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ci.db");
    let key = "ak_ci.0123456789abcdef0123456789abcdef";
    let mut server = start(
        &["--db", db.to_str().unwrap(), "--bootstrap-key", key],
        dir.path(),
    )
    .await;
    assert_eq!(
        server.status(Method::GET, CONFIGURATIONS, key, None).await,
        200
    );
    assert_eq!(
        server.status(Method::POST, CONFIGURATIONS, key, None).await,
        201
    );
    assert!(server.stop().success(), "{}", server.stderr());

    // Given again on the next start, it is kept (not duplicated, not refused).
    let server = start(
        &["--db", db.to_str().unwrap(), "--bootstrap-key", key],
        dir.path(),
    )
    .await;
    assert_eq!(
        server.status(Method::GET, CONFIGURATIONS, key, None).await,
        200
    );
    let mut server = server;
    assert!(server.stop().success(), "{}", server.stderr());

    let fresh = dir.path().join("weak.db");
    for weak in [
        "ak_ci.0123456789abcdef",
        "pat_ci.0123456789abcdef0123456789abcdef",
        "nonsense",
    ] {
        let output = serve_expecting_exit(
            &["--db", fresh.to_str().unwrap(), "--bootstrap-key", weak],
            dir.path(),
        );
        assert!(!output.status.success(), "{weak}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--bootstrap-key"), "{weak}: {stderr}");
        assert!(stderr.contains("32"), "{weak}: {stderr}");
    }
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("newer.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE future (x INTEGER); PRAGMA user_version = 999;")
            .unwrap();
    }
    let output = serve_expecting_exit(&["--db", db.to_str().unwrap()], dir.path());
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("newer"), "{stderr}");
    assert!(!stderr.contains("ak_"), "{stderr}");

    // The admin commands refuse it too, and the file is left as it was.
    let listed = campaignd()
        .args(["keys", "list", "--org", "org_default", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!listed.status.success());
    assert!(String::from_utf8_lossy(&listed.stderr).contains("newer"));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 999);
}

#[test]
fn version_shows_the_phone_metadata_and_tz_database() {
    for flag in ["--version", "-V"] {
        let output = campaignd().arg(flag).output().unwrap();
        assert!(output.status.success());
        let text = stdout_of(&output);
        assert!(
            text.contains(&format!("campaignd {}", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );
        let line = |label: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(label))
                .unwrap_or_else(|| panic!("no '{label}' in {text}"))
                .trim()
                .to_string()
        };
        assert_eq!(
            line("phone metadata:"),
            campaignd::domain::phone::METADATA_VERSION
        );
        assert_eq!(
            line("tz database:"),
            campaignd::domain::time::tzdb_version()
        );
        assert!(!line("tz database:").is_empty());
    }
}

#[tokio::test]
async fn ephemeral_serves_and_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(&["--ephemeral"], dir.path()).await;
    let key = server.printed_key();
    assert_eq!(
        server.status(Method::GET, CONFIGURATIONS, &key, None).await,
        200
    );
    assert_eq!(
        server
            .status(Method::POST, CONFIGURATIONS, &key, None)
            .await,
        201
    );
    let during: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(during.is_empty(), "{during:?}");
    assert!(server.stop().success(), "{}", server.stderr());
    let after: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(after.is_empty(), "{after:?}");
}

#[test]
fn no_command_is_an_error() {
    let output = campaignd().output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("serve"));
}

#[tokio::test]
async fn the_dialer_mode_is_said_at_start_up_and_bad_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&[], dir.path()).await;
    let (_, health) = server.json(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        health,
        json!({"status": "ok", "dialer": "off", "store": "sqlite"})
    );
    assert!(
        server.stderr().contains("dialer off"),
        "{}",
        server.stderr()
    );
    assert!(
        server.stderr().contains("--dialer simulate"),
        "{}",
        server.stderr()
    );
    let mut server = server;
    assert!(server.stop().success(), "{}", server.stderr());
    let mut ephemeral = start(&["--ephemeral"], dir.path()).await;
    let (_, health) = ephemeral.json(Method::GET, "/healthz", None, None).await;
    assert_eq!(health["dialer"], "simulate");
    // Stopped cleanly: its temporary database is removed.
    assert!(ephemeral.stop().success(), "{}", ephemeral.stderr());

    for (args, says) in [
        (
            &["--clock-speed", "10"][..],
            "--clock-start and --clock-speed need --ephemeral",
        ),
        (
            &["--ephemeral", "--clock-speed", "0.5"][..],
            "--clock-speed must be a number from 1 to 3600",
        ),
        (
            &["--sim-outcomes", "answered=0"][..],
            "at least one outcome needs a weight above 0",
        ),
        (&["--sim-call-seconds", "60-5"][..], "MIN-MAX seconds"),
        (&["--global-concurrency", "0"][..], "--global-concurrency"),
        (&["--dialer", "carrier-pigeon"][..], "--dialer"),
    ] {
        let output = serve_expecting_exit(args, dir.path());
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn after_kill_9_calls_that_were_up_end_failed_and_nothing_is_dialled_twice() {
    let dir = tempfile::tempdir().unwrap();
    let key = "ak_kill.0123456789abcdef0123456789abcdef";
    let long_calls = [
        "--bootstrap-key",
        key,
        "--dialer",
        "simulate",
        "--sim-call-seconds",
        "3600-3600",
        "--global-concurrency",
        "3",
    ];
    let mut server = start(&long_calls, dir.path()).await;
    let days = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    let windows = json!([{"days": days, "start": "00:00", "end": "12:00"},
                         {"days": days, "start": "12:00", "end": "00:00"}]);
    let (status, config) = server
        .json(
            Method::POST,
            CONFIGURATIONS,
            Some(key),
            Some(json!({"name": "always", "default_windows": windows, "retry_delay_minutes": 1})),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let (_, campaign) = server
        .json(
            Method::POST,
            "/campaign/campaigns",
            Some(key),
            Some(json!({"name": "k", "external_id": "k", "configuration_id": config["id"]})),
        )
        .await;
    assert_eq!(campaign["status"], "active");
    let contacts: Vec<_> = (0..5)
        .map(|i| json!({"external_id": format!("c{i}"), "phone_numbers": [format!("+1650253000{i}")]}))
        .collect();
    let (status, _) = server
        .json(
            Method::POST,
            "/campaign/campaigns/k/contacts",
            Some(key),
            Some(json!({"contacts": contacts})),
        )
        .await;
    assert_eq!(status, 200);
    let list = "/campaign/campaigns/k/contacts";
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, stats) = server
            .json(Method::GET, "/campaign/campaigns/k/stats", Some(key), None)
            .await;
        if stats["active_calls"] == 3 && stats["contacts"]["in_progress"] == 3 {
            let (_, body) = server.json(Method::GET, list, Some(key), None).await;
            let up = body["contacts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["status"] == "in_progress")
                .count();
            if up == 3 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "{stats}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();

    let server = start(
        &[
            "--dialer",
            "simulate",
            "--sim-call-seconds",
            "0-0",
            "--sim-outcomes",
            "answered=1",
            "--global-concurrency",
            "3",
        ],
        dir.path(),
    )
    .await;
    assert!(
        server
            .stderr()
            .contains("3 simulated call(s) left up by the last run ended as failed"),
        "{}",
        server.stderr()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let contacts = loop {
        let (_, body) = server.json(Method::GET, list, Some(key), None).await;
        let contacts = body["contacts"].as_array().unwrap().clone();
        let completed = contacts
            .iter()
            .filter(|c| c["status"] == "completed")
            .count();
        if completed == 2 {
            break contacts;
        }
        assert!(Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for contact in &contacts {
        let attempts = contact["attempts"].as_array().unwrap();
        if contact["status"] == "completed" {
            // Never called before the kill: one answered attempt.
            assert_eq!(attempts.len(), 1, "{contact}");
            assert_eq!(attempts[0]["outcome"], "answered");
        } else {
            // Up at the kill: that call ended `failed`; the retry waits its delay.
            assert_eq!(contact["status"], "pending", "{contact}");
            assert_eq!(attempts.len(), 1, "{contact}");
            assert_eq!(
                (&attempts[0]["status"], &attempts[0]["outcome"]),
                (&json!("failed"), &json!("failed"))
            );
            assert!(contact["next_attempt_at"].is_string());
        }
    }
    let (_, stats) = server
        .json(Method::GET, "/campaign/campaigns/k/stats", Some(key), None)
        .await;
    assert_eq!(
        stats["contacts"],
        json!({"total": 5, "pending": 3, "in_progress": 0, "completed": 2, "exhausted": 0})
    );
    assert_eq!(stats["attempts"]["total"], json!(5));
    assert_eq!(stats["active_calls"], json!(0));
}
