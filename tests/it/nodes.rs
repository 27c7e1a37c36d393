//! Several nodes on one PostgreSQL database (docs/api.md §10.3, §10.5), with the real binary:
//! the dialer's fail-over after `kill -9` of its leader (no limit exceeded, no contact dialled
//! twice at once, the dead leader's calls ended `failed`, no answered upsert lost), the hand-over
//! at SIGTERM, two nodes starting together on an empty database, and the database restarting
//! under load (503 and `Retry-After`, then everything resumes by itself).
//!
//! They need the test PostgreSQL server (`CAMPAIGND_TEST_POSTGRES`), and, for the restart, a
//! PostgreSQL installation to run a cluster of their own. They run one at a time: each measures
//! time, and two of them at once on a small machine would measure each other.

use crate::common::process::{Server, free_port};
use crate::common::{campaignd, new_postgres_database, postgres_server_required};
use reqwest::{Client, Method};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "ak_nodes.0123456789abcdef0123456789abcdef";
/// How long the dialer's lease lasts without renewal (src/dialer/leader.rs).
const LEASE: Duration = Duration::from_secs(5);

/// One test of this module at a time (see the module's comment).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A node on `url` with the test key and the simulated dialer, with `args` besides.
async fn node(url: &str, args: &[&str]) -> Server {
    let mut all = vec![
        "--database-url",
        url,
        "--bootstrap-key",
        KEY,
        "--dialer",
        "simulate",
    ];
    all.extend(args);
    Server::start(&all).await
}

/// What a node's /healthz says of its dialer's lease; `None` when it does not answer 200.
async fn leads(server: &Server) -> Option<bool> {
    let response = server
        .request(Method::GET, "/healthz")
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    body["dialer_leader"].as_bool()
}

/// Waits (up to 15 s) until exactly one of `nodes` leads; its index.
async fn the_leader(nodes: &[&Server]) -> usize {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut leading = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            if leads(node).await == Some(true) {
                leading.push(i);
            }
        }
        assert!(leading.len() <= 1, "nodes {leading:?} all say they lead");
        if let [one] = leading[..] {
            return one;
        }
        assert!(Instant::now() < deadline, "no node leads after 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Our own connection to the database, to look at it from outside the nodes.
async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("the test database answers");
    tokio::spawn(connection);
    client
}

/// Runs an admin command on the database; its stdout.
fn admin(url: &str, args: &[&str]) -> String {
    let output = campaignd()
        .args(args)
        .args(["--database-url", url])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "campaignd {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Gives the organisation of `key` a concurrency limit and an active campaign `k` whose calling
/// windows are always open.
async fn campaign(server: &Server, key: &str, limit: i64) {
    let (status, body) = server
        .json(
            Method::PUT,
            "/campaign/concurrency-settings",
            Some(key),
            Some(json!({"concurrency_limit": limit})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let days = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    let windows = json!([{"days": days, "start": "00:00", "end": "12:00"},
                         {"days": days, "start": "12:00", "end": "00:00"}]);
    let (status, config) = server
        .json(
            Method::POST,
            "/campaign/configurations",
            Some(key),
            Some(json!({"name": "always", "default_windows": windows, "retry_delay_minutes": 1})),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let (status, campaign) = server
        .json(
            Method::POST,
            "/campaign/campaigns",
            Some(key),
            Some(json!({"name": "k", "external_id": "k", "configuration_id": config["id"]})),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
}

/// A batch of `size` new contacts for campaign `k`, named `<tag>-<batch>-<i>`.
fn batch(tag: &str, batch: usize, size: usize) -> Value {
    let contacts: Vec<Value> = (0..size)
        .map(|i| {
            json!({"external_id": format!("{tag}-{batch}-{i}"),
                   "phone_numbers": [format!("+1650253{:04}", (batch * size + i) % 10_000)]})
        })
        .collect();
    json!({ "contacts": contacts })
}

/// Upserts batches of contacts into campaign `k` of `key`'s organisation until `stop`, each
/// through the next of `bases` in turn; the contact ids of every batch answered 2xx go to
/// `answered`. A node that does not answer is skipped.
async fn stream(
    bases: Vec<String>,
    key: String,
    tag: &'static str,
    stop: Arc<AtomicBool>,
    answered: Arc<Mutex<Vec<String>>>,
) {
    let http = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let base = &bases[n % bases.len()];
        let sent = http
            .post(format!("{base}/campaign/campaigns/k/contacts"))
            .bearer_auth(&key)
            .json(&batch(tag, n, 4))
            .send()
            .await;
        if let Ok(response) = sent
            && response.status().is_success()
        {
            let body: Value = response.json().await.unwrap();
            let ids = body["contact_ids"].as_array().expect("contact_ids");
            assert_eq!(ids.len(), 4, "{body}");
            answered
                .lock()
                .unwrap()
                .extend(ids.iter().map(|id| id.as_str().unwrap().to_string()));
        }
        n += 1;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// One look at the calls up, organisation by organisation, in one snapshot.
#[derive(Debug, Default, Clone)]
struct Calls {
    /// org → (concurrency_limit, active_calls as stored, contacts locked or in progress,
    /// attempts in progress, contacts with more than one attempt in progress)
    by_org: BTreeMap<String, (i64, i64, i64, i64, i64)>,
}

impl Calls {
    async fn look(client: &tokio_postgres::Client) -> Calls {
        let rows = client
            .query(
                "SELECT o.id::text, o.concurrency_limit, o.active_calls,
                   (SELECT count(*) FROM contacts c
                     WHERE c.organization_id = o.id AND c.status IN ('locked', 'in_progress')),
                   (SELECT count(*) FROM attempts a JOIN contacts c ON c.seq = a.contact_seq
                     WHERE c.organization_id = o.id AND a.status = 'in_progress'),
                   (SELECT count(*) FROM (SELECT a.contact_seq FROM attempts a
                       JOIN contacts c ON c.seq = a.contact_seq
                      WHERE c.organization_id = o.id AND a.status = 'in_progress'
                      GROUP BY a.contact_seq HAVING count(*) > 1) twice)
                 FROM organizations o ORDER BY o.id",
                &[],
            )
            .await
            .unwrap();
        Calls {
            by_org: rows
                .iter()
                .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4), r.get(5))))
                .collect(),
        }
    }

    fn attempts_up(&self) -> i64 {
        self.by_org.values().map(|v| v.3).sum()
    }

    /// What breaks the contract in this look.
    fn violations(&self, global: i64) -> Vec<String> {
        let mut found = Vec::new();
        for (org, &(limit, stored, contacts, attempts, twice)) in &self.by_org {
            if contacts > limit || attempts > limit {
                found.push(format!(
                    "{org}: {contacts} contacts and {attempts} attempts up, limit {limit}"
                ));
            }
            if stored != contacts {
                found.push(format!(
                    "{org}: active_calls {stored}, but {contacts} contacts up"
                ));
            }
            if twice > 0 {
                found.push(format!(
                    "{org}: {twice} contact(s) with two attempts in progress"
                ));
            }
        }
        let contacts: i64 = self.by_org.values().map(|v| v.2).sum();
        if contacts > global || self.attempts_up() > global {
            found.push(format!(
                "{contacts} contacts and {} attempts up over all organisations, global limit {global}",
                self.attempts_up()
            ));
        }
        found
    }
}

/// Looks at the calls up every 100 ms until `stop`; what broke the contract, and the most
/// attempts seen up at once (per organisation, and in all).
async fn watch_limits(
    url: String,
    global: i64,
    stop: Arc<AtomicBool>,
) -> (Vec<String>, BTreeMap<String, i64>, i64, usize) {
    let client = connect(&url).await;
    let (mut violations, mut most, mut most_total, mut looks) = (Vec::new(), BTreeMap::new(), 0, 0);
    while !stop.load(Ordering::SeqCst) {
        let calls = Calls::look(&client).await;
        looks += 1;
        violations.extend(calls.violations(global));
        for (org, v) in &calls.by_org {
            let seen = most.entry(org.clone()).or_insert(0);
            *seen = (*seen).max(v.3);
        }
        most_total = most_total.max(calls.attempts_up());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (violations, most, most_total, looks)
}

/// The attempts in progress: (id, its contact's status, conversation id).
async fn attempts_up(client: &tokio_postgres::Client) -> Vec<(String, String, Option<String>)> {
    client
        .query(
            "SELECT a.id::text, c.status::text, a.conversation_id::text
               FROM attempts a JOIN contacts c ON c.seq = a.contact_seq
              WHERE a.status = 'in_progress'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// The start of every attempt.
async fn attempt_starts(client: &tokio_postgres::Client) -> Vec<jiff::Timestamp> {
    client
        .query("SELECT started_at::text FROM attempts", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0).parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_leader_hands_dialing_over_within_the_lease_and_breaks_no_limit() {
    let _one = ONE_AT_A_TIME.lock().await;
    let url = new_postgres_database(&postgres_server_required());
    const GLOBAL: i64 = 4;
    let args = [
        "--sim-call-seconds",
        "2-4",
        "--sim-outcomes",
        "answered=3,no_answer=1",
        "--global-concurrency",
        "4",
    ];
    let first = node(&url, &args).await;
    let second = node(&url, &args).await;
    // Two organisations allowed 2 and 3 calls, 4 in all: both kinds of limit bind.
    admin(&url, &["orgs", "create", "org_b", "--name", "B"]);
    let key_b = admin(&url, &["keys", "create", "--org", "org_b"])
        .trim()
        .to_string();
    campaign(&first, KEY, 2).await;
    campaign(&second, &key_b, 3).await;

    let db = connect(&url).await;
    let stop_streams = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(Mutex::new(Vec::new()));
    let bases = vec![first.base.clone(), second.base.clone()];
    let streams = [(KEY.to_string(), "a"), (key_b.clone(), "b")].map(|(key, tag)| {
        tokio::spawn(stream(
            bases.clone(),
            key,
            tag,
            stop_streams.clone(),
            answered.clone(),
        ))
    });
    let stop_watch = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch_limits(url.clone(), GLOBAL, stop_watch.clone()));

    // Mid-campaign: the global limit reached, a few calls already over.
    let leader = the_leader(&[&first, &second]).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let started = attempt_starts(&db).await.len();
        if Calls::look(&db).await.attempts_up() == GLOBAL && started >= 2 * GLOBAL as usize {
            break;
        }
        assert!(Instant::now() < deadline, "the dialer did not get going");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (mut dead, survivor) = if leader == 0 {
        (first, second)
    } else {
        (second, first)
    };
    dead.kill();
    let killed = Instant::now();
    let killed_at = jiff::Timestamp::now();
    // Nothing the dead node did can change now: its calls up are these.
    let left_up = attempts_up(&db).await;
    let placed: Vec<&String> = left_up
        .iter()
        .filter(|(_, status, conversation)| {
            status == "in_progress"
                && conversation
                    .as_deref()
                    .is_some_and(|c| c.starts_with("sim_"))
        })
        .map(|(id, _, _)| id)
        .collect();
    assert!(
        !placed.is_empty(),
        "no call was up at the kill: {left_up:?}"
    );

    // The survivor leads once the lease has run out, and the dead node's calls end `failed`.
    let took_over = loop {
        if leads(&survivor).await == Some(true) {
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < LEASE + Duration::from_secs(2),
            "the survivor does not lead {:?} after the kill; its stderr:\n{}",
            killed.elapsed(),
            survivor.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let ended = db
        .query(
            "SELECT id::text, status::text, outcome::text FROM attempts WHERE id = ANY($1)",
            &[&placed],
        )
        .await
        .unwrap();
    assert_eq!(ended.len(), placed.len());
    for row in &ended {
        let (id, status, outcome): (String, String, Option<String>) =
            (row.get(0), row.get(1), row.get(2));
        assert_eq!(
            (status.as_str(), outcome.as_deref()),
            ("failed", Some("failed")),
            "attempt {id}, up on the dead node"
        );
    }
    survivor
        .wait_for_log(&format!(
            "{} simulated call(s) left up by the last run ended as failed",
            placed.len()
        ))
        .await;

    // It dials: new attempts start, within the lease and 2 s of the kill.
    let deadline = Instant::now() + Duration::from_secs(15);
    let first_new = loop {
        let new: Vec<_> = attempt_starts(&db)
            .await
            .into_iter()
            .filter(|at| *at > killed_at)
            .collect();
        if new.len() >= GLOBAL as usize {
            break new.into_iter().min().unwrap();
        }
        assert!(Instant::now() < deadline, "no new attempts after the kill");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let to_first_claim = killed_at.duration_until(first_new);
    println!(
        "kill -9 of the leader: the survivor led after {took_over:.2?}, \
         its first attempt started {:.2} s after the kill",
        to_first_claim.as_secs_f64()
    );
    assert!(
        to_first_claim <= jiff::SignedDuration::try_from(LEASE + Duration::from_secs(2)).unwrap(),
        "first attempt of the survivor {to_first_claim:#} after the kill"
    );

    // A little more of the campaign on the survivor alone, then the checks.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop_streams.store(true, Ordering::SeqCst);
    for stream in streams {
        stream.await.unwrap();
    }
    stop_watch.store(true, Ordering::SeqCst);
    let (violations, most, most_total, looks) = watcher.await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
    println!(
        "{looks} looks at the calls up: at most {most_total} at once, by organisation {most:?}"
    );

    let answered = answered.lock().unwrap().clone();
    let stored: HashSet<String> = db
        .query("SELECT id::text FROM contacts", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let missing: Vec<_> = answered.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} answered contacts missing: {missing:?}",
        missing.len(),
        answered.len()
    );
    assert!(
        answered.len() >= 40,
        "only {} contacts upserted",
        answered.len()
    );
    // Nothing went wrong on the survivor.
    assert!(
        !survivor.stderr().contains("ERROR"),
        "{}",
        survivor.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_of_the_leader_hands_the_lease_over_at_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let url = new_postgres_database(&postgres_server_required());
    let first = node(&url, &[]).await;
    let second = node(&url, &[]).await;
    let leader = the_leader(&[&first, &second]).await;
    let (mut leaving, staying) = if leader == 0 {
        (first, second)
    } else {
        (second, first)
    };
    // Both have run a few rounds of the lease: the follower is trying every second.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(leads(&staying).await, Some(false));
    leaving.signal("TERM");
    let signalled = Instant::now();
    let handed_over = loop {
        if leads(&staying).await == Some(true) {
            break signalled.elapsed();
        }
        assert!(
            signalled.elapsed() < Duration::from_millis(2500),
            "the other node does not lead {:?} after SIGTERM",
            signalled.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!("SIGTERM of the leader: the other node led after {handed_over:.2?}");
    let status = leaving.wait();
    let log = leaving.stderr();
    assert!(status.success(), "{log}");
    assert!(log.contains("dialer's lease released"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_starting_together_on_an_empty_database_create_one_organisation_and_one_key() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = postgres_server_required();
    for round in 0..3 {
        let url = new_postgres_database(&server);
        let args = ["--database-url", url.as_str()];
        let nodes = [
            Server::spawn(&args, Default::default()),
            Server::spawn(&args, Default::default()),
        ];
        for node in &nodes {
            node.wait_healthy().await;
            // Logged after the key would have been printed.
            node.wait_for_log("campaignd listening on").await;
        }
        let printed: Vec<String> = nodes
            .iter()
            .flat_map(|node| {
                node.stderr()
                    .lines()
                    .filter_map(|line| line.trim().strip_prefix("ak_").map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(
            printed.len(),
            1,
            "round {round}: {printed:?}\n{}\n{}",
            nodes[0].stderr(),
            nodes[1].stderr()
        );
        let key = format!("ak_{}", printed[0]);
        for node in &nodes {
            let (status, body) = node
                .json(Method::GET, "/campaign/campaigns", Some(&key), None)
                .await;
            assert_eq!(status, 200, "{body}");
        }
        let db = connect(&url).await;
        let orgs: Vec<String> = db
            .query("SELECT id::text FROM organizations", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(orgs, ["org_default"], "round {round}");
        let keys: i64 = db
            .query_one("SELECT count(*) FROM api_keys", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(keys, 1, "round {round}");
    }
}

/// A PostgreSQL cluster of the test's own, which it can stop and start: Debian's newest
/// PostgreSQL, `initdb` into a temporary directory, a free loopback port. As root it runs as
/// `nobody` (the server refuses root), from its own directory (scripts/lib/postgres.sh).
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_nobody: bool,
}

impl Cluster {
    fn new() -> Cluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed in /usr/lib/postgresql")
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let version: u32 = entry.file_name().to_str()?.parse().ok()?;
                let bin = entry.path().join("bin");
                bin.join("initdb").exists().then_some((version, bin))
            })
            .max()
            .expect("a PostgreSQL version with initdb in /usr/lib/postgresql/*/bin")
            .1;
        let dir = tempfile::Builder::new()
            .prefix("campaignd-pg.")
            .tempdir()
            .unwrap();
        let uid = Command::new("id").arg("-u").output().unwrap().stdout;
        let as_nobody = String::from_utf8_lossy(&uid).trim() == "0";
        if as_nobody {
            let chown = Command::new("chown")
                .arg("nobody")
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(chown.success());
        }
        let cluster = Cluster {
            dir,
            bin,
            port: free_port(),
            as_nobody,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_str().unwrap().to_string()
    }

    /// Runs one of PostgreSQL's programs to its end, and expects it to succeed.
    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut command = if self.as_nobody {
            let mut command = Command::new("runuser");
            command.args(["-u", "nobody", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        assert!(
            output.status.success(),
            "{program} {args:?}: {}{}\n{log}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn start(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &data,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    /// The fast stop: the server ends every session and goes away.
    fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let path = self.bin.join("pg_ctl");
        let mut command = if self.as_nobody {
            let mut command = Command::new("runuser");
            command.args(["-u", "nobody", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        let _ = command
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// One answer of the client loop.
#[derive(Debug)]
struct Answer {
    sent: Instant,
    took: Duration,
    what: &'static str,
    /// 0: no answer (the request failed or hung for 10 s).
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

/// Alternates a read and a write on campaign `k` until `stop`.
async fn client_loop(base: String, stop: Arc<AtomicBool>, answers: Arc<Mutex<Vec<Answer>>>) {
    let http = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let (what, request) = if n % 2 == 0 {
            (
                "GET",
                http.get(format!("{base}/campaign/campaigns/k/stats")),
            )
        } else {
            (
                "POST",
                http.post(format!("{base}/campaign/campaigns/k/contacts"))
                    .json(&batch("r", n, 2)),
            )
        };
        let sent = Instant::now();
        let answer = match request.bearer_auth(KEY).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                let body = response.json().await.unwrap_or(Value::Null);
                Answer {
                    sent,
                    took: sent.elapsed(),
                    what,
                    status,
                    retry_after,
                    body,
                }
            }
            Err(error) => Answer {
                sent,
                took: sent.elapsed(),
                what,
                status: 0,
                retry_after: None,
                body: Value::String(error.to_string()),
            },
        };
        answers.lock().unwrap().push(answer);
        n += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_restarting_under_load_gives_503_then_everything_resumes() {
    let _one = ONE_AT_A_TIME.lock().await;
    let cluster = Arc::new(tokio::task::spawn_blocking(Cluster::new).await.unwrap());
    let url = cluster.url();
    let server = node(
        &url,
        &[
            "--sim-call-seconds",
            "1-2",
            "--sim-outcomes",
            "no_answer=1",
            "--global-concurrency",
            "5",
        ],
    )
    .await;
    campaign(&server, KEY, 5).await;
    let (status, _) = server
        .json(
            Method::POST,
            "/campaign/campaigns/k/contacts",
            Some(KEY),
            Some(batch("d", 0, 200)),
        )
        .await;
    assert_eq!(status, 200);
    let db = connect(&url).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Calls::look(&db).await.attempts_up() < 5 {
        assert!(Instant::now() < deadline, "the dialer did not get going");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(db);

    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::new()));
    let client = tokio::spawn(client_loop(
        server.base.clone(),
        stop.clone(),
        answers.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Down for 4 s.
    let stopping = Instant::now();
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop()).await.unwrap();
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let starting = Instant::now();
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.start())
        .await
        .unwrap();
    let up = Instant::now();
    println!(
        "database stopped in {:.2?}, down {:.2?}, started in {:.2?}",
        down - stopping,
        starting - down,
        up - starting
    );

    // Requests answer 200 again by themselves, reads and writes.
    let deadline = up + Duration::from_secs(10);
    let resumed = loop {
        let recovered = {
            let answers = answers.lock().unwrap();
            ["GET", "POST"].map(|what| {
                answers
                    .iter()
                    .find(|a| a.sent >= up && a.what == what && a.status == 200)
                    .map(|a| a.sent + a.took)
            })
        };
        if let [Some(read), Some(write)] = recovered {
            break read.max(write) - up;
        }
        assert!(
            Instant::now() < deadline,
            "no 200 again 10 s after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    client.await.unwrap();
    println!("requests answered 200 again {resumed:.2?} after the database was up");

    let answers = std::mem::take(&mut *answers.lock().unwrap());
    let mut while_down = 0;
    for answer in &answers {
        assert!(
            answer.took < Duration::from_secs(5),
            "an answer took {:.2?}: {answer:?}",
            answer.took
        );
        match answer.status {
            200 => assert!(
                answer.sent + answer.took < down || answer.sent > starting,
                "200 while the database was down: {answer:?}"
            ),
            503 => {
                assert_eq!(
                    answer.body,
                    json!({"detail": "Database unavailable"}),
                    "{answer:?}"
                );
                assert_eq!(answer.retry_after.as_deref(), Some("1"), "{answer:?}");
            }
            _ => panic!("neither 200 nor 503: {answer:?}"),
        }
        if answer.sent >= down && answer.sent + answer.took <= starting {
            assert_eq!(answer.status, 503, "{answer:?}");
            while_down += 1;
        }
    }
    assert!(while_down >= 10, "only {while_down} answers while down");

    // /healthz is 200, the node leads the dialer again, and the calls resume: every call that
    // was up when the database went away has ended, and new ones start.
    let deadline = Instant::now() + Duration::from_secs(10);
    while leads(&server).await != Some(true) {
        assert!(
            Instant::now() < deadline,
            "the node does not lead again: {}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let db = connect(&url).await;
    let restarted_at = jiff::Timestamp::now();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let up = attempts_up(&db).await;
        let starts = attempt_starts(&db).await;
        let old_up: Vec<jiff::Timestamp> = db
            .query(
                "SELECT started_at::text FROM attempts WHERE status = 'in_progress'",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0).parse().unwrap())
            .filter(|at| *at < restarted_at)
            .collect();
        let old_up = old_up.len();
        let new = starts.iter().filter(|at| **at > restarted_at).count();
        if old_up == 0 && new >= 5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "calls do not resume: {old_up} from before still up, {new} new; up: {up:?}\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
