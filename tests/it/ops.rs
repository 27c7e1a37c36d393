//! Operations through the real binary (docs/api.md §9): `backup` and `check` beside a running server,
//! the one-server lock, the clean stop on SIGTERM (and the second signal), and `GET /metrics`.

use crate::common::campaignd;
use crate::common::process::{Options, Server};
use reqwest::Client;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "ak_ops.0123456789abcdef0123456789abcdef0123456789ab";
const ADHOC: &str = "/campaign/campaigns/default/contacts";

/// Runs `campaignd <args> --db <db>` to its end.
fn run(db: &Path, args: &[&str]) -> Output {
    campaignd()
        .args(args)
        .arg("--db")
        .arg(db)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Starts `campaignd serve --db <db>` with the test key and `args`.
async fn start(db: &Path, args: &[&str]) -> Server {
    start_limited(db, args, None).await
}

/// `start`, with the process's open-file limit set to `(soft, hard)` before it runs.
async fn start_limited(db: &Path, args: &[&str], open_files: Option<(u64, u64)>) -> Server {
    let db = db.to_str().unwrap();
    let mut all = vec![
        "--db",
        db,
        "--bootstrap-key",
        KEY,
        "--synchronous",
        "normal",
    ];
    all.extend(args);
    let options = Options {
        open_files,
        ..Options::default()
    };
    Server::start_with(&all, options).await
}

/// A GET with the test key.
trait Get {
    async fn get(&self, path: &str) -> (u16, String);
}

impl Get for Server {
    async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .request(reqwest::Method::GET, path)
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// The external_ids of batch `batch`.
fn batch_ids(batch: usize, size: usize) -> Vec<String> {
    (0..size).map(|i| format!("b{batch}-{i}")).collect()
}

fn batch_body(batch: usize, size: usize) -> Value {
    let items: Vec<Value> = batch_ids(batch, size)
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            json!({"external_id": id, "phone_numbers": [format!("+1650253{:04}", (batch * size + i) % 10_000)],
                   "data": {"batch": batch}})
        })
        .collect();
    json!({ "contacts": items })
}

/// Upserts batches of ad-hoc contacts one after another until `stop`; every batch answered 200
/// is pushed to `answered` (in answer order), and `count` follows it. Ends at the first error
/// (e.g. the server stopped).
async fn stream(
    base: String,
    first: usize,
    size: usize,
    stop: Arc<AtomicBool>,
    answered: Arc<Mutex<Vec<usize>>>,
    count: Arc<AtomicUsize>,
) {
    let http = Client::new();
    let mut batch = first;
    while !stop.load(Ordering::SeqCst) {
        let sent = http
            .post(format!("{base}{ADHOC}"))
            .bearer_auth(KEY)
            .json(&batch_body(batch, size))
            .send()
            .await;
        match sent {
            Ok(response) if response.status() == 200 => {
                answered.lock().unwrap().push(batch);
                count.fetch_add(1, Ordering::SeqCst);
            }
            _ => return,
        }
        batch += 1;
    }
}

/// Every external_id in the database file (read directly: the server may be gone).
fn external_ids(db: &Path) -> std::collections::HashSet<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut statement = conn
        .prepare("SELECT external_id FROM contacts WHERE external_id IS NOT NULL")
        .unwrap();
    statement
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn assert_batches_present(db: &Path, batches: &[usize], size: usize) {
    let ids = external_ids(db);
    for batch in batches {
        for id in batch_ids(*batch, size) {
            assert!(
                ids.contains(&id),
                "batch {batch} ({id}) is missing from {db:?}"
            );
        }
    }
}

async fn wait_for(count: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while count.load(Ordering::SeqCst) < n {
        assert!(Instant::now() < deadline, "the upserts did not progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("campaignd.db");
    (dir, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_a_stream_of_upserts_holds_every_batch_answered_before_it() {
    let (dir, db) = temp();
    let server = start(&db, &[]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let writer = tokio::spawn(stream(
        server.base.clone(),
        0,
        200,
        stop.clone(),
        answered.clone(),
        count.clone(),
    ));
    wait_for(&count, 20).await;

    let copy = dir.path().join("copy.db");
    let before: Vec<usize> = answered.lock().unwrap().clone();
    let seen = count.load(Ordering::SeqCst);
    let output = tokio::task::spawn_blocking({
        let (db, copy) = (db.clone(), copy.clone());
        move || {
            campaignd()
                .arg("backup")
                .arg(&copy)
                .arg("--db")
                .arg(&db)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("integrity_check: ok"),
        "{}",
        text(&output.stdout)
    );
    // The stream went on while the backup ran, and goes on a little after it.
    wait_for(&count, count.load(Ordering::SeqCst) + 3).await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(count.load(Ordering::SeqCst) > seen);

    // One self-contained file, holding every batch answered before the backup began.
    assert!(!dir.path().join("copy.db-wal").exists());
    assert_batches_present(&copy, &before, 200);
    let checked = run(&copy, &["check"]);
    assert!(
        checked.status.success(),
        "{}{}",
        text(&checked.stdout),
        text(&checked.stderr)
    );

    // The copy serves, and its counters agree with its rows.
    drop(server);
    let restored = start(&copy, &[]).await;
    let (status, body) = restored.get(&format!("{ADHOC}?limit=1")).await;
    assert_eq!(status, 200, "{body}");
    let total = serde_json::from_str::<Value>(&body).unwrap()["total"]
        .as_u64()
        .unwrap();
    assert_eq!(total as usize, external_ids(&copy).len());
    assert!(total as usize >= before.len() * 200);

    // An existing file is not replaced without --force.
    let again = run(&db, &["backup", copy.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists") && text(&again.stderr).contains("--force"),
        "{}",
        text(&again.stderr)
    );
    // Not even with --force while a server has it open: its -wal would meet the new file.
    let live = run(&db, &["backup", copy.to_str().unwrap(), "--force"]);
    assert!(!live.status.success());
    assert!(
        text(&live.stderr).contains("is a database in use"),
        "{}",
        text(&live.stderr)
    );
    let mut restored = restored;
    restored.signal("TERM");
    assert!(restored.wait().success());
    let forced = run(&db, &["backup", copy.to_str().unwrap(), "--force"]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert_batches_present(&copy, &answered.lock().unwrap(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_finds_counters_broken_on_purpose_and_repair_mends_them() {
    let (_dir, db) = temp();
    let server = start(&db, &[]).await;
    let response = server
        .http
        .post(server.url(ADHOC))
        .bearer_auth(KEY)
        .json(&batch_body(0, 5))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Sound, checked beside the running server.
    let clean = run(&db, &["check"]);
    assert!(clean.status.success(), "{}", text(&clean.stdout));
    assert!(text(&clean.stdout).contains(": ok"));

    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.execute_batch(
        "UPDATE contact_counts SET pending = pending + 3, attempts = 7
             WHERE organization_id = 'org_default' AND scope = '';
         UPDATE organizations SET active_calls = 2 WHERE id = 'org_default';",
    )
    .unwrap();
    drop(conn);

    let broken = run(&db, &["check"]);
    assert!(!broken.status.success());
    let report = text(&broken.stdout);
    for expected in [
        "contact_counts.pending of organisation org_default, ad-hoc contacts: stored 8, recount 5",
        "contact_counts.attempts of organisation org_default, ad-hoc contacts: stored 7, recount 0",
        "organizations.active_calls of org_default: stored 2, recount 0",
    ] {
        assert!(report.contains(expected), "{expected} not in:\n{report}");
    }
    assert!(text(&broken.stderr).contains("--repair-counters"));
    // The API shows the broken figure (the counters are what it reads).
    let (_, stats) = server.get(&format!("{ADHOC}?limit=1")).await;
    assert_eq!(serde_json::from_str::<Value>(&stats).unwrap()["total"], 8);

    let repaired = run(&db, &["check", "--repair-counters"]);
    assert!(repaired.status.success(), "{}", text(&repaired.stderr));
    assert!(text(&repaired.stdout).contains("repaired: 2 counter row(s)"));
    let after = run(&db, &["check"]);
    assert!(after.status.success(), "{}", text(&after.stdout));
    let (_, stats) = server.get(&format!("{ADHOC}?limit=1")).await;
    assert_eq!(serde_json::from_str::<Value>(&stats).unwrap()["total"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_upserts_loses_no_answered_batch_and_exits_0() {
    let (dir, db) = temp();
    let mut server = start(&db, &[]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..2)
        .map(|i| {
            tokio::spawn(stream(
                server.base.clone(),
                i * 1_000_000,
                100,
                stop.clone(),
                answered.clone(),
                count.clone(),
            ))
        })
        .collect();
    wait_for(&count, 10).await;

    // Clients that go away mid-request: no ERROR line for them.
    let address = server.base.trim_start_matches("http://").to_string();
    let mut half = std::net::TcpStream::connect(&address).unwrap();
    half.write_all(b"POST /campaign/campaigns/default/contacts HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"con")
        .unwrap();
    drop(half);
    let mut headers = std::net::TcpStream::connect(&address).unwrap();
    headers.write_all(b"GET /healthz HTTP/1.1\r\nHo").unwrap();
    drop(headers);
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.signal("TERM");
    let status = server.wait();
    for writer in writers {
        writer.await.unwrap();
    }
    let log = server.stderr();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(log.contains("WAL checkpointed"), "{log}");
    assert!(log.contains("campaignd stopped"), "{log}");
    assert!(!log.contains("ERROR"), "{log}");
    // Checkpointed and truncated at the stop: the database file alone holds everything.
    let wal = dir.path().join("campaignd.db-wal");
    assert!(std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0);

    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 10);
    assert_batches_present(&db, &answered, 100);
    let checked = run(&db, &["check"]);
    assert!(checked.status.success(), "{}", text(&checked.stdout));
}

/// A request whose body never finishes: in flight until the server gives up on it.
fn slow_request(server: &Server) -> std::net::TcpStream {
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(
            format!(
                "POST {ADHOC} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\
                 Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"contacts\": ["
            )
            .as_bytes(),
        )
        .unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_is_waited_for_then_cut_off_and_a_second_signal_stops_at_once() {
    // One signal: the stop waits for the stuck request, cuts it off at the limit, exits 0.
    let (_dir, db) = temp();
    let mut server = start(&db, &[]).await;
    let _stuck = slow_request(&server);
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.signal("TERM");
    let status = server.wait();
    let log = server.stderr();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("were cut off"), "{log}");

    // Two signals: the second ends the process at once, with 128 + SIGINT.
    let mut server = start(&db, &[]).await;
    let _stuck = slow_request(&server);
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.signal("TERM");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.stderr().contains("waiting up to 10 s") {
        assert!(Instant::now() < deadline, "{}", server.stderr());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.signal("INT");
    let status = server.wait();
    let log = server.stderr();
    assert_eq!(status.code(), Some(130), "{log}");
    assert!(
        log.contains("second signal (SIGINT): stopping at once"),
        "{log}"
    );
    assert!(!log.contains("were cut off"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_serve_on_the_same_database_refuses_naming_the_first_ones_pid() {
    let (_dir, db) = temp();
    let mut first = start(&db, &[]).await;
    let pid = first.child.id();
    let second = campaignd()
        .arg("serve")
        .arg("--db")
        .arg(&db)
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!second.status.success());
    let message = text(&second.stderr);
    assert!(
        message.contains(&format!("another campaignd serve (pid {pid})")),
        "{message}"
    );
    // Admin commands, backup and check work beside it.
    let listed = run(&db, &["orgs", "list"]);
    assert!(listed.status.success());
    assert!(text(&listed.stdout).contains("org_default"));
    let copy = db.with_file_name("copy.db");
    assert!(
        run(&db, &["backup", copy.to_str().unwrap()])
            .status
            .success()
    );
    assert!(run(&db, &["check"]).status.success());

    // Once the first has stopped, the database is free again.
    first.signal("TERM");
    assert!(first.wait().success());
    let again = start(&db, &[]).await;
    assert_eq!(again.get("/healthz").await.0, 200);
}

/// The value of the sample `name{labels}` (labels as rendered, in order), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_template_and_carry_no_tenant_ids() {
    let (dir, db) = temp();
    let server = start(
        &db,
        &[
            "--dialer",
            "simulate",
            "--sim-call-seconds",
            "0-0",
            "--sim-outcomes",
            "answered=1",
        ],
    )
    .await;
    let response = server
        .http
        .post(server.url(ADHOC))
        .bearer_auth(KEY)
        .json(&batch_body(0, 3))
        .send()
        .await
        .unwrap();
    let answer: Value = response.json().await.unwrap();
    let contact = answer["contact_ids"][0].as_str().unwrap().to_string();
    let route = "campaignd_http_requests_total{route=\"/campaign/campaigns/{campaign_id}/contacts/{contact_id}\",method=\"GET\",status=\"200\"}";

    let metrics = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let before = sample(&metrics.text().await.unwrap(), route).unwrap_or(0.0);
    for _ in 0..3 {
        let (status, _) = server.get(&format!("{ADHOC}/{contact}")).await;
        assert_eq!(status, 200);
    }
    // Simulated calls of 0 s complete the three contacts (the answered ones): wait for them.
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = reqwest::get(server.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let done = ["completed", "exhausted", "pending"]
            .iter()
            .filter_map(|s| sample(&text, &format!("campaignd_contacts{{status=\"{s}\"}}")))
            .sum::<f64>();
        if sample(&text, "campaignd_contacts{status=\"completed\"}").unwrap_or(0.0) >= 1.0
            && done == 3.0
        {
            break text;
        }
        assert!(Instant::now() < deadline, "no call completed:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(sample(&text, route), Some(before + 3.0));
    assert!(
        text.contains("campaignd_http_request_duration_seconds_bucket{route=\"/campaign/campaigns/{campaign_id}/contacts\",method=\"POST\",le=\"+Inf\"} 1"),
        "{text}"
    );
    assert!(sample(&text, "campaignd_writer_jobs_total").unwrap() >= 1.0);
    assert!(text.contains("campaignd_writer_commit_seconds_count"));
    // Nothing of a tenant: no contact id, no organisation id, no external id.
    assert!(!text.contains(&contact), "{text}");
    assert!(!text.contains("org_default"), "{text}");
    assert!(!text.contains("b0-"), "{text}");
    drop(server);

    // Per-organisation series only when asked for.
    let labelled = start(&db, &["--metrics-org-labels"]).await;
    let text = reqwest::get(labelled.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("campaignd_org_calls_up{organization=\"org_default\"} 0"),
        "{text}"
    );
    drop(labelled);

    // --metrics off: no route.
    let off = start(&dir.path().join("off.db"), &["--metrics", "off"]).await;
    let response = reqwest::get(off.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line() {
    let (_dir, db) = temp();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = campaignd()
        .env("CAMPAIGND_LOG_FORMAT", "json")
        .arg("serve")
        .arg("--db")
        .arg(&db)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let listening = loop {
        let line = lines.next().expect("the server logs").unwrap();
        if line.contains("listening on") {
            break line;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let object: Value = serde_json::from_str(&listening).unwrap();
    assert_eq!(object["level"], "INFO");
    assert!(
        object["message"]
            .as_str()
            .unwrap()
            .starts_with("campaignd listening on http://127.0.0.1:")
    );
    assert!(object["timestamp"].is_string());
}

/// Opens `n` connections that each send half a request head and then wait.
fn slow_headers(server: &Server, n: usize) -> Vec<std::net::TcpStream> {
    let address = server.base.trim_start_matches("http://");
    (0..n)
        .map(|_| {
            let mut stream = std::net::TcpStream::connect(address).unwrap();
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            stream
        })
        .collect()
}

/// Whether the server closed `stream` (EOF or reset) within `wait`.
fn closed_within(mut stream: &std::net::TcpStream, wait: Duration) -> bool {
    use std::io::Read;
    stream
        .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
        .unwrap();
    match stream.read(&mut [0u8; 64]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => !matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

/// `/healthz` on a new connection, with a generous deadline (a hang is the failure).
async fn healthz_on_a_new_connection(server: &Server) -> u16 {
    let client = Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    match client.get(server.url("/healthz")).send().await {
        Ok(response) => response.status().as_u16(),
        Err(error) => panic!("/healthz did not answer: {error}\n{}", server.stderr()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_header_flood_neither_locks_out_the_api_nor_stays_open() {
    // Started as from a terminal: a soft limit of 1,024 open files, which campaignd raises.
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    assert!(
        hard >= 2048,
        "this test needs a hard open-file limit of 2048 or more, not {hard}"
    );
    let (_dir, db) = temp();
    let server = start_limited(&db, &[], Some((1024, hard))).await;
    assert!(
        server
            .stderr()
            .contains(&format!("open-file limit raised from 1024 to {hard}")),
        "{}",
        server.stderr()
    );

    let flood_start = Instant::now();
    let flood = slow_headers(&server, 1100);
    assert_eq!(healthz_on_a_new_connection(&server).await, 200);

    // Each of the flood's connections is closed once the header read timeout (10 s) passes.
    let deadline = flood_start + Duration::from_secs(40);
    for (i, stream) in flood.iter().enumerate() {
        let wait = deadline.saturating_duration_since(Instant::now());
        assert!(
            closed_within(stream, wait),
            "connection {i} still open after 40 s"
        );
    }
    assert_eq!(healthz_on_a_new_connection(&server).await, 200);
    assert!(!server.stderr().contains("ERROR"), "{}", server.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_limit_the_oldest_silent_connection_makes_room() {
    // A hard limit of 400 open files that campaignd cannot raise: it keeps 100 for itself and
    // serves at most 300 connections.
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let (_dir, db) = temp();
    let server = start_limited(&db, &[], Some((400, 400))).await;
    assert!(
        server
            .stderr()
            .contains("open-file limit 400: up to 300 client connections"),
        "{}",
        server.stderr()
    );
    let flood_start = Instant::now();
    let flood = slow_headers(&server, 450);
    // The newest connection still gets its answer …
    assert_eq!(healthz_on_a_new_connection(&server).await, 200);
    // … because the oldest silent ones were closed to make room, well before their header
    // read timeout (10 s) would have closed them.
    let evicted = flood
        .iter()
        .take(150)
        .filter(|stream| {
            let left =
                (flood_start + Duration::from_secs(8)).saturating_duration_since(Instant::now());
            closed_within(stream, left)
        })
        .count();
    assert_eq!(evicted, 150, "{}", server.stderr());
    assert!(!server.stderr().contains("ERROR"), "{}", server.stderr());
}
