//! `campaignd copy` (docs/api.md §9, "Beyond one machine"), through the real binary: a database
//! made through the HTTP API goes SQLite → PostgreSQL → SQLite, and each copy is served again by
//! the real binary and answers as the original did (the same keys and tokens, ids, external ids,
//! cursors, stats); a target that holds data, and bad arguments, are refused in one line.

use crate::common::dialing::{Org, always, ended, eventually, number};
use crate::common::{TestServer, campaignd, new_postgres_database, postgres_server_required};
use campaignd::dialer::{self, Mode, simulate};
use campaignd::domain::clock::Clock;
use campaignd::domain::scope::{Role, Scopes};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `campaignd <args>`, its output.
fn run(args: &[&str]) -> Output {
    campaignd()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `campaignd copy --from <from> --to <to>`, expected to succeed.
fn copy(from: &str, to: &str) -> String {
    let output = run(&["copy", "--from", from, "--to", to]);
    assert!(
        output.status.success(),
        "copy failed: {}",
        text(&output.stderr)
    );
    // Not a terminal: no progress line.
    assert_eq!(text(&output.stderr), "");
    text(&output.stdout)
}

/// `campaignd copy <args>`, expected to fail with one line on stderr; that line.
fn copy_refused(args: &[&str]) -> String {
    let output = run(&[&["copy"], args].concat());
    assert!(!output.status.success(), "{}", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("campaignd: "), "{stderr}");
    stderr
}

/// A running `campaignd serve`, stopped with SIGTERM when dropped.
struct Served {
    child: Child,
    base: String,
    http: Client,
}

impl Served {
    /// `campaignd serve <database args> --listen 127.0.0.1:<free port>`, once /healthz answers.
    async fn start(database: &[&str]) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let child = campaignd()
            .arg("serve")
            .args(database)
            .args(["--listen", &listen])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let served = Served {
            child,
            base: format!("http://{listen}"),
            http: Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = served.http.get(served.url("/healthz")).send().await
                && response.status() == StatusCode::OK
            {
                return served;
            }
            assert!(Instant::now() < deadline, "no /healthz after 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        credential: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(credential);
        if credential.starts_with("pat_") {
            request = request.header("x-anyreach-org", "org_a");
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn simulated() -> dialer::Settings {
    dialer::Settings {
        mode: Mode::Simulate,
        global_concurrency: 5,
        simulation: simulate::Settings {
            outcomes: "answered=60,no_answer=40".parse().unwrap(),
            call_seconds: "0-1".parse().unwrap(),
            seed: Some(7),
        },
        ..dialer::Settings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back_keeps_ids_cursors_counters_and_credentials() {
    let postgres = postgres_server_required();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");

    // The original: campaigns, contacts of a campaign that was dialled (completed and exhausted,
    // with attempts), of a paused one (pending), ad-hoc ones (dialled once, some waiting for a
    // retry), a key, a user and a personal token.
    let server = TestServer::start_at(&source, Clock::real(), simulated()).await;
    let org = Org::new(&server, "org_a");
    let token = server.user_token("ada", &[("org_a", Role::Admin)], None);
    let other_key = server.key("org_b", Scopes::ALL);
    let dialled = org
        .campaign(json!({"max_attempts": 1, "name": "dialled"}))
        .await;
    let config = org
        .ok(
            Method::POST,
            "/campaign/configurations",
            Some(json!({"name": "kept", "default_windows": always()})),
        )
        .await;
    let kept = org
        .ok(
            Method::POST,
            "/campaign/campaigns",
            Some(json!({"name": "kept", "configuration_id": config["id"],
                        "external_id": "spring", "priority": 7})),
        )
        .await;
    let kept_id = kept["id"].as_str().unwrap().to_string();
    org.ok(
        Method::POST,
        &format!("/campaign/campaigns/{kept_id}/pause"),
        None,
    )
    .await;
    org.add(
        &kept_id,
        (0..25)
            .map(|i| {
                json!({"external_id": format!("k{i}"), "phone_numbers": [number(i)],
                            "data": {"n": i}})
            })
            .collect::<Vec<_>>(),
    )
    .await;
    org.add(
        &dialled,
        (0..20)
            .map(|i| json!({"external_id": format!("d{i}"), "phone_numbers": [number(100 + i)]}))
            .collect::<Vec<_>>(),
    )
    .await;
    org.add(
        "default",
        (0..6)
            .map(|i| json!({"external_id": format!("a{i}"), "phone_numbers": [number(200 + i)]}))
            .collect::<Vec<_>>(),
    )
    .await;
    // Every call ends: the dialled campaign's contacts are done, the ad-hoc ones were tried
    // once (a retry waits an hour), so nothing changes any more.
    eventually("every call to end", || async {
        let done = org.contacts(&dialled).await.iter().all(ended);
        let ad_hoc = org.contacts("default").await;
        let tried = ad_hoc.iter().all(|c| {
            c["attempt_count"].as_i64() >= Some(1)
                && !matches!(c["status"].as_str(), Some("locked" | "in_progress"))
        });
        let stats = org.stats(&dialled).await;
        (done && tried && stats["active_calls"] == 0).then_some(())
    })
    .await;
    let statuses: Vec<String> = org
        .contacts(&dialled)
        .await
        .iter()
        .map(|c| c["status"].as_str().unwrap().to_string())
        .collect();
    assert!(
        statuses.iter().any(|s| s == "completed") && statuses.iter().any(|s| s == "exhausted"),
        "{statuses:?}"
    );

    let mut recorded = Vec::new();
    let first_page = org
        .ok(Method::GET, "/campaign/campaigns?limit=1", None)
        .await;
    let cursor = first_page["next_cursor"].as_str().unwrap().to_string();
    let contacts_page = org
        .ok(
            Method::GET,
            "/campaign/campaigns/spring/contacts?limit=10",
            None,
        )
        .await;
    let after = contacts_page["contacts"][9]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let paths = [
        format!("/campaign/campaigns/{kept_id}"),
        "/campaign/campaigns/spring".to_string(),
        "/campaign/campaigns?limit=1".to_string(),
        format!("/campaign/campaigns?limit=1&cursor={cursor}"),
        "/campaign/campaigns/spring/contacts?limit=10".to_string(),
        format!("/campaign/campaigns/spring/contacts?limit=10&after={after}"),
        "/campaign/campaigns/spring/contacts/k3".to_string(),
        format!("/campaign/campaigns/{dialled}/contacts?limit=1000"),
        "/campaign/campaigns/default/contacts?limit=1000".to_string(),
        format!("/campaign/campaigns/{dialled}/stats"),
        "/campaign/campaigns/spring/stats".to_string(),
        "/campaign/configurations".to_string(),
        "/campaign/concurrency-settings".to_string(),
    ];
    for path in paths {
        let body = org.ok(Method::GET, &path, None).await;
        recorded.push((path, body));
    }
    let key = org.key.clone();
    drop(org);
    server.stop().await;

    // SQLite → PostgreSQL → SQLite.
    let database = new_postgres_database(&postgres);
    let out = copy(source.to_str().unwrap(), &database);
    assert!(out.contains("verified"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["contacts", "51"]),
        "{out}"
    );
    let back = dir.path().join("back.db");
    let out = copy(&database, back.to_str().unwrap());
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["campaigns", "2"]),
        "{out}"
    );
    for check in [
        run(&["check", "--database-url", &database]),
        run(&["check", "--db", back.to_str().unwrap()]),
    ] {
        assert!(
            check.status.success(),
            "{}{}",
            text(&check.stdout),
            text(&check.stderr)
        );
    }

    // Each copy, served by the real binary, answers as the original did.
    for served in [
        Served::start(&["--database-url", &database]).await,
        Served::start(&["--db", back.to_str().unwrap()]).await,
    ] {
        // The same key and personal token; the same ids, external ids, cursors and counts.
        for (path, expected) in &recorded {
            for credential in [&key, &token] {
                let (status, body) = served.call(Method::GET, path, credential, None).await;
                assert_eq!(status, 200, "{path}: {body}");
                assert_eq!(&body, expected, "{path}");
            }
        }
        // Another organisation's key still works, and still sees only its own.
        let (status, body) = served
            .call(Method::GET, "/campaign/campaigns", &other_key, None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["campaigns"], json!([]));
        let (status, _) = served
            .call(Method::GET, "/campaign/campaigns", "ak_nope.nope", None)
            .await;
        assert_eq!(status, 401);

        // A contact added after the copy comes after every copied one (a new seq).
        let (status, body) = served
            .call(
                Method::POST,
                "/campaign/campaigns/spring/contacts",
                &key,
                Some(
                    json!({"contacts": [{"external_id": "late", "phone_numbers": [number(300)]}]}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, listed) = served
            .call(
                Method::GET,
                "/campaign/campaigns/spring/contacts?limit=1000",
                &key,
                None,
            )
            .await;
        assert_eq!(listed["total"], 26);
        let external_ids: Vec<&str> = listed["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["external_id"].as_str().unwrap())
            .collect();
        assert_eq!(external_ids.last(), Some(&"late"), "{external_ids:?}");
        let expected: Vec<String> = (0..25)
            .map(|i| format!("k{i}"))
            .chain(["late".to_string()])
            .collect();
        assert_eq!(external_ids, expected);
        let (_, stats) = served
            .call(Method::GET, "/campaign/campaigns/spring/stats", &key, None)
            .await;
        assert_eq!(stats["contacts"]["pending"], 26);
    }
}

/// Rows of every table of an SQLite file, for "nothing changed".
fn sqlite_rows(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut rows = Vec::new();
    for table in ["organizations", "api_keys", "contacts", "contact_counts"] {
        let mut statement = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let width = statement.column_count();
        let mut found = statement.query([]).unwrap();
        while let Some(row) = found.next().unwrap() {
            let values: Vec<String> = (0..width)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            rows.push(format!("{table}: {}", values.join(", ")));
        }
    }
    rows.sort();
    rows
}

/// A small source: two organisations and a key (a server that was stopped).
async fn small_source(path: &Path) {
    let server = TestServer::start_at(path, Clock::real(), dialer::Settings::default()).await;
    server.key("org_a", Scopes::ALL);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_holds_data_is_refused_and_left_as_it_was() {
    let postgres = postgres_server_required();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    small_source(&source).await;
    let source = source.to_str().unwrap();

    // An SQLite file with an organisation of its own.
    let target = dir.path().join("target.db");
    let made = run(&[
        "orgs",
        "create",
        "org_other",
        "--name",
        "Other",
        "--db",
        target.to_str().unwrap(),
    ]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    let before = sqlite_rows(&target);
    let refused = copy_refused(&["--from", source, "--to", target.to_str().unwrap()]);
    assert!(
        refused.contains("table organizations has rows"),
        "{refused}"
    );
    assert!(refused.contains("nothing was copied"), "{refused}");
    assert_eq!(sqlite_rows(&target), before);

    // A PostgreSQL database that was copied into once.
    let database = new_postgres_database(&postgres);
    copy(source, &database);
    let listed = |url: &str| text(&run(&["orgs", "list", "--database-url", url]).stdout);
    let before = listed(&database);
    assert!(before.contains("org_a"), "{before}");
    let refused = copy_refused(&["--from", source, "--to", &database]);
    assert!(
        refused.contains("table organizations has rows"),
        "{refused}"
    );
    assert_eq!(listed(&database), before);
    let check = run(&["check", "--database-url", &database]);
    assert!(check.status.success(), "{}", text(&check.stdout));

    // A source that is not a campaignd database changes nothing either (no file is created).
    let empty = new_postgres_database(&postgres);
    let out = dir.path().join("out.db");
    let refused = copy_refused(&["--from", &empty, "--to", out.to_str().unwrap()]);
    assert!(refused.contains("no campaignd database"), "{refused}");
    assert!(!out.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_are_one_line_and_never_show_a_password() {
    let postgres = postgres_server_required();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    small_source(&source).await;
    let source = source.to_str().unwrap();
    let out = dir.path().join("out.db");
    let out = out.to_str().unwrap();

    let refused = copy_refused(&["--from", source]);
    assert!(refused.contains("copy needs --to"), "{refused}");
    let refused = copy_refused(&["--to", out]);
    assert!(refused.contains("copy needs --from"), "{refused}");
    let refused = copy_refused(&["--from", "missing.db", "--to", out]);
    assert!(refused.contains("no database at missing.db"), "{refused}");
    let refused = copy_refused(&["--from", source, "--to", source]);
    assert!(refused.contains("the same database"), "{refused}");
    let refused = run(&["--db", source, "copy", "--from", source, "--to", out]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("--from and --to"),
        "{}",
        text(&refused.stderr)
    );

    // URLs with a password: a malformed one, a role the server does not know, another scheme.
    let host_port = postgres
        .split_once('@')
        .map_or("127.0.0.1:5432", |(_, rest)| {
            rest.split('/').next().unwrap()
        });
    for (url, says) in [
        (
            "postgres://bob:s3cretpass@127.0.0.1:notaport/campaignd".to_string(),
            "--to: ",
        ),
        (
            format!("postgresql://nobody_here:s3cretpass@{host_port}/nowhere?sslmode=disable"),
            "--to: PostgreSQL at ",
        ),
        (
            "mysql://bob:s3cretpass@127.0.0.1/campaignd".to_string(),
            "--to: a URL must start with postgres://",
        ),
    ] {
        let refused = copy_refused(&["--from", source, "--to", &url]);
        assert!(refused.contains(says), "{refused}");
        assert!(!refused.contains("s3cretpass"), "{refused}");
        let refused = copy_refused(&["--from", &url, "--to", out]);
        assert!(!refused.contains("s3cretpass"), "{refused}");
    }
    assert!(!Path::new(out).exists());
}

/// `n` new contacts for a batch named `batch`.
fn batch(batch: &str, n: usize) -> Value {
    (0..n)
        .map(|i| json!({"external_id": format!("{batch}-{i}"), "phone_numbers": [number(i)]}))
        .collect::<Vec<_>>()
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_source_is_copied_from_one_snapshot() {
    let postgres = postgres_server_required();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("live.db");

    // SQLite: a server dials and takes upserts while the copy reads.
    let server = TestServer::start_at(&source, Clock::real(), simulated()).await;
    let org = Org::new(&server, "org_a");
    let campaign = org.campaign(json!({"max_attempts": 1})).await;
    for i in 0..3 {
        org.add(&campaign, batch(&format!("before{i}"), 1000)).await;
    }
    let database = new_postgres_database(&postgres);
    let (from, to) = (source.to_str().unwrap().to_string(), database.clone());
    let copying = tokio::task::spawn_blocking(move || run(&["copy", "--from", &from, "--to", &to]));
    let mut batches = 0;
    while !copying.is_finished() {
        org.add(&campaign, batch(&format!("during{batches}"), 20))
            .await;
        batches += 1;
    }
    let output = copying.await.unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(batches > 0);
    let key = org.key.clone();
    drop(org);
    server.stop().await;

    // PostgreSQL: the copy, served with the dialer on, is copied on while it works.
    let served = Served::start(&[
        "--database-url",
        &database,
        "--dialer",
        "simulate",
        "--sim-call-seconds",
        "0-1",
    ])
    .await;
    let back = dir.path().join("back.db");
    let (from, to) = (database.clone(), back.to_str().unwrap().to_string());
    let copying = tokio::task::spawn_blocking(move || run(&["copy", "--from", &from, "--to", &to]));
    let mut batches = 0;
    while !copying.is_finished() {
        let (status, body) = served
            .call(
                Method::POST,
                &format!("/campaign/campaigns/{campaign}/contacts"),
                &key,
                Some(json!({"contacts": batch(&format!("after{batches}"), 20)})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        batches += 1;
    }
    let output = copying.await.unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(batches > 0);
    let check = run(&["check", "--db", back.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stdout));
}
