//! Load benchmark for campaignd: the performance and durability goals of docs/api.md §7, measured over
//! HTTP against the real release binary on 127.0.0.1.
//!
//!     cargo build --release
//!     cargo run --release --example load -- --contacts 1000000
//!
//! Options (all optional):
//!   --contacts N           contacts in the ordered upsert campaign (default 1,000,000)
//!   --random-contacts N    contacts in the random-external_id campaign (default: --contacts)
//!   --only a,b,…           scenarios: upsert, reads, list, writers, startup, random, crash
//!                          (default: all; memory is read after each phase that loads the server)
//!   --read-secs S          length of each read load (default 10)
//!   --writer-secs S        length of the 64-writer load (default 30)
//!   --crash-rounds N       kill -9 rounds (default 3)
//!   --dir PATH             keep the database there (default: a temporary folder, removed at the
//!                          end); a database already there is reused, and a campaign that already
//!                          holds its contacts is not filled again
//!   --bin PATH             the server binary (default target/release/campaignd)
//!
//! The load generator runs on the same machine as the server and takes its share of the CPU;
//! every phase reports the CPU seconds each side used, so the server's cost per request can be
//! read apart from the client's.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const KEY: &str = "ak_bench.5f0c2a9e4b7d41c3a8e6f1b2d9c07a54e3b8";
const BATCH: usize = 1000;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, BoxError>;

// ---------------------------------------------------------------------------------------------
// Command line

struct Options {
    contacts: usize,
    random_contacts: usize,
    only: Vec<String>,
    read_secs: u64,
    writer_secs: u64,
    crash_rounds: usize,
    dir: Option<PathBuf>,
    bin: PathBuf,
}

impl Options {
    fn parse() -> Result<Options> {
        let mut args = std::env::args().skip(1);
        let number = |text: Option<String>| -> Result<usize> {
            let text = text.ok_or("missing value")?;
            Ok(text.replace(['_', ','], "").parse()?)
        };
        let mut options = Options {
            contacts: 1_000_000,
            random_contacts: usize::MAX,
            only: Vec::new(),
            read_secs: 10,
            writer_secs: 30,
            crash_rounds: 3,
            dir: None,
            bin: Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/campaignd"),
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--contacts" => options.contacts = number(args.next())?,
                "--random-contacts" => options.random_contacts = number(args.next())?,
                "--only" => {
                    let list = args.next().ok_or("--only needs a list")?;
                    options.only = list.split(',').map(|s| s.trim().to_string()).collect();
                }
                "--read-secs" => options.read_secs = number(args.next())? as u64,
                "--writer-secs" => options.writer_secs = number(args.next())? as u64,
                "--crash-rounds" => options.crash_rounds = number(args.next())?,
                "--dir" => options.dir = Some(args.next().ok_or("--dir needs a path")?.into()),
                "--bin" => options.bin = args.next().ok_or("--bin needs a path")?.into(),
                "-h" | "--help" => {
                    println!("see the top of bench/load.rs for the options");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other}").into()),
            }
        }
        if options.random_contacts == usize::MAX {
            options.random_contacts = options.contacts;
        }
        const KNOWN: [&str; 7] = [
            "upsert", "reads", "list", "writers", "startup", "random", "crash",
        ];
        if let Some(bad) = options.only.iter().find(|s| !KNOWN.contains(&s.as_str())) {
            return Err(format!("unknown scenario {bad}; known: {}", KNOWN.join(", ")).into());
        }
        Ok(options)
    }

    fn wants(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers: a seeded generator, percentiles, /proc readings

/// SplitMix64: deterministic, fast, good enough for picking positions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Latencies in microseconds.
#[derive(Default)]
struct Latencies(Vec<u32>);

impl Latencies {
    fn push(&mut self, d: Duration) {
        self.0.push(d.as_micros().min(u32::MAX as u128) as u32);
    }

    /// The `p`-th percentile in milliseconds (nearest rank).
    fn ms(&mut self, p: f64) -> f64 {
        if self.0.is_empty() {
            return f64::NAN;
        }
        self.0.sort_unstable();
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1] as f64 / 1000.0
    }

    fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// User + system CPU seconds of a process (`self` for this one).
fn cpu_secs(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return f64::NAN;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / clock_ticks(),
        _ => f64::NAN,
    }
}

/// A `Vm…` line of /proc/<pid>/status, in MiB.
fn vm_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds used by the server and by this process between two points.
struct CpuMeter {
    server_pid: String,
    server: f64,
    client: f64,
    wall: Instant,
}

impl CpuMeter {
    fn start(server: &Server) -> CpuMeter {
        let server_pid = server.pid.to_string();
        CpuMeter {
            server: cpu_secs(&server_pid),
            client: cpu_secs("self"),
            server_pid,
            wall: Instant::now(),
        }
    }

    fn text(&self) -> String {
        let wall = self.wall.elapsed().as_secs_f64();
        let server = cpu_secs(&self.server_pid) - self.server;
        let client = cpu_secs("self") - self.client;
        format!(
            "wall {wall:.1} s; CPU: server {server:.1} s ({:.0}% of 2 cores), load generator {client:.1} s ({:.0}%)",
            50.0 * server / wall,
            50.0 * client / wall
        )
    }

    fn server_secs(&self) -> f64 {
        cpu_secs(&self.server_pid) - self.server
    }
}

// ---------------------------------------------------------------------------------------------
// The server process

struct Server {
    child: Child,
    pid: u32,
}

struct Env {
    bin: PathBuf,
    db: PathBuf,
    log: PathBuf,
    port: u16,
    base: String,
    http: reqwest::Client,
}

impl Env {
    /// Starts the binary and waits for `/healthz` to answer 200; returns the time that took.
    async fn start(&self) -> Result<(Server, Duration)> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let started = Instant::now();
        let mut child = Command::new(&self.bin)
            .arg("serve")
            .arg("--db")
            .arg(&self.db)
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--bootstrap-key")
            .arg(KEY)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", self.bin.display()))?;
        let probe = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("{}/healthz", self.base);
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(response) = probe.get(&url).send().await
                && response.status() == 200
            {
                let pid = child.id();
                return Ok((Server { child, pid }, started.elapsed()));
            }
            if let Some(status) = child.try_wait()? {
                return Err(format!(
                    "the server exited with {status}; see {}",
                    self.log.display()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let _ = child.kill();
        Err("the server did not answer /healthz within 60 s".into())
    }

    async fn get(&self, path: &str) -> Result<(u16, Value)> {
        let response = self.http.get(format!("{}{path}", self.base)).send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value)> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// The campaign with this external_id, created when missing; returns its id.
    async fn campaign(&self, external_id: &str, configuration_id: &str) -> Result<String> {
        let (status, body) = self
            .get(&format!("/campaign/campaigns/{external_id}"))
            .await?;
        if status == 200 {
            return Ok(body["id"].as_str().ok_or("campaign without id")?.into());
        }
        let (status, body) = self
            .post(
                "/campaign/campaigns",
                &json!({"name": external_id, "external_id": external_id, "configuration_id": configuration_id}),
            )
            .await?;
        if status != 201 {
            return Err(format!("creating campaign {external_id}: {status} {body}").into());
        }
        Ok(body["id"].as_str().ok_or("campaign without id")?.into())
    }

    async fn contact_total(&self, campaign: &str) -> Result<usize> {
        let (status, body) = self
            .get(&format!("/campaign/campaigns/{campaign}/stats"))
            .await?;
        if status != 200 {
            return Err(format!("stats: {status} {body}").into());
        }
        Ok(body["contacts"]["total"].as_u64().unwrap_or(0) as usize)
    }
}

impl Server {
    /// SIGTERM, then wait (bounded) for the exit; SIGKILL if it does not come.
    fn stop(mut self) -> Result<()> {
        Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!("the server did not stop within 30 s of SIGTERM; killing it");
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGKILL (`kill -9`) and reap.
    fn kill9(mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

// ---------------------------------------------------------------------------------------------
// Contacts

/// How external_ids are made.
#[derive(Clone, Copy)]
enum Order {
    /// `crm-000000001`, … as CRM exports come.
    Upload,
    /// 16 hex digits from a hash of the position.
    Random,
    /// `kill-000000001`, … for the crash rounds.
    Crash,
}

fn external_id(order: Order, i: usize) -> String {
    match order {
        Order::Upload => format!("crm-{i:09}"),
        Order::Random => format!("r-{:016x}", mix(i as u64 ^ 0x5EED)),
        Order::Crash => format!("kill-{i:09}"),
    }
}

/// (area code, exchange) pairs of valid US numbers; checked against the server first.
const CANDIDATE_PAIRS: [(u16, u16); 10] = [
    (201, 555),
    (650, 253),
    (212, 736),
    (415, 555),
    (312, 555),
    (617, 253),
    (303, 555),
    (206, 684),
    (404, 555),
    (305, 555),
];

/// A number in one of four national spellings.
fn number(pairs: &[(u16, u16)], pick: usize, line: usize) -> String {
    let (area, exchange) = pairs[pick % pairs.len()];
    let line = line % 10_000;
    match pick % 4 {
        0 => format!("({area}) {exchange}-{line:04}"),
        1 => format!("{area} {exchange} {line:04}"),
        2 => format!("{area}-{exchange}-{line:04}"),
        _ => format!("{area}.{exchange}.{line:04}"),
    }
}

const FIRST: [&str; 8] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
];
const LAST: [&str; 8] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
];
const PLANS: [&str; 4] = ["free", "starter", "pro", "enterprise"];

/// One contact: one or two numbers, about 100 bytes of `data`.
fn write_contact(out: &mut String, pairs: &[(u16, u16)], order: Order, i: usize) {
    let first = number(pairs, i, i);
    let second = i
        .is_multiple_of(2)
        .then(|| number(pairs, i / 7 + 1, i.wrapping_mul(7919)));
    let _ = write!(
        out,
        r#"{{"external_id":"{}","phone_numbers":["{first}"{}],"data":{{"first_name":"{}","last_name":"{}","plan":"{}","account":"A{i:09}","score":{},"tags":["renewal","q4"]}}}}"#,
        external_id(order, i),
        second.map(|n| format!(r#","{n}""#)).unwrap_or_default(),
        FIRST[i % 8],
        LAST[(i / 8) % 8],
        PLANS[i % 4],
        i % 100,
    );
}

fn batch_body(pairs: &[(u16, u16)], order: Order, first: usize, count: usize) -> String {
    let mut body = String::with_capacity(count * 230 + 16);
    body.push_str(r#"{"contacts":["#);
    for i in first..first + count {
        if i > first {
            body.push(',');
        }
        write_contact(&mut body, pairs, order, i);
    }
    body.push_str("]}");
    body
}

/// Sends a few contacts of each candidate pair and spelling; keeps the pairs the server accepts.
async fn probe_numbers(env: &Env, campaign: &str) -> Result<Vec<(u16, u16)>> {
    let mut accepted = Vec::new();
    for pair in CANDIDATE_PAIRS {
        let numbers: Vec<String> = (0..4)
            .flat_map(|spelling| {
                // With one pair, `number` takes the pair from `pick % 1` and the spelling from
                // `pick % 4`.
                [0, 123, 5000, 9999].map(|line| number(&[pair], spelling, line))
            })
            .collect();
        let contacts: Vec<Value> = numbers
            .iter()
            .enumerate()
            .map(|(k, n)| json!({"external_id": format!("probe-{}-{}-{k}", pair.0, pair.1), "phone_numbers": [n]}))
            .collect();
        let (status, body) = env
            .post(
                &format!("/campaign/campaigns/{campaign}/contacts"),
                &json!({ "contacts": contacts }),
            )
            .await?;
        if status == 200 {
            accepted.push(pair);
        } else {
            println!(
                "  number pair ({}) {}-xxxx refused ({status}): {}",
                pair.0,
                pair.1,
                body.to_string().chars().take(200).collect::<String>()
            );
        }
    }
    if accepted.is_empty() {
        return Err("no candidate phone number was accepted".into());
    }
    Ok(accepted)
}

// ---------------------------------------------------------------------------------------------
// Upsert streams

struct Batch {
    first: usize,
    count: usize,
    latency: Duration,
    /// Seconds since the stream started, when the answer came.
    done_at: f64,
    status: u16,
    contact_ids: Vec<String>,
}

struct Stream {
    batches: Vec<Batch>,
    /// Batches sent whose answer never came (connection error).
    unanswered: Vec<(usize, usize)>,
    elapsed: f64,
    first_error: Option<String>,
}

/// Upserts contacts `start..start + n` in batches of `BATCH` from `clients` concurrent clients;
/// stops early when `stop` is set. `keep_ids`: keep every contact id of each answer (else the
/// first of each batch).
#[allow(clippy::too_many_arguments)]
async fn upsert_stream(
    env: &Env,
    campaign: &str,
    pairs: Arc<Vec<(u16, u16)>>,
    order: Order,
    (start, n): (usize, usize),
    clients: usize,
    keep_ids: bool,
    stop: Arc<AtomicBool>,
) -> Stream {
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let url = format!("{}/campaign/campaigns/{campaign}/contacts", env.base);
    let report_every = (n / 10).max(BATCH);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, pairs, next, done, stop) = (
            env.http.clone(),
            url.clone(),
            pairs.clone(),
            next.clone(),
            done.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut batches = Vec::new();
            let mut unanswered = Vec::new();
            let mut first_error = None;
            loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                let offset = index * BATCH;
                if offset >= n {
                    break;
                }
                let count = BATCH.min(n - offset);
                let first = start + offset;
                let body = batch_body(&pairs, order, first, count);
                let sent = Instant::now();
                let answer = async {
                    let response = http
                        .post(&url)
                        .header(CONTENT_TYPE, "application/json")
                        .body(body)
                        .send()
                        .await?;
                    let status = response.status().as_u16();
                    let bytes = response.bytes().await?;
                    Ok::<_, reqwest::Error>((status, bytes))
                }
                .await;
                let latency = sent.elapsed();
                match answer {
                    Ok((status, bytes)) => {
                        let mut contact_ids = Vec::new();
                        if status == 200 {
                            let value: Value =
                                serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                            let ids = value["contact_ids"].as_array().cloned().unwrap_or_default();
                            let take = if keep_ids { ids.len() } else { 1 };
                            contact_ids = ids
                                .iter()
                                .take(take)
                                .filter_map(|v| v.as_str().map(String::from))
                                .collect();
                        } else if first_error.is_none() {
                            let text = String::from_utf8_lossy(&bytes);
                            first_error = Some(format!(
                                "{status}: {}",
                                text.chars().take(300).collect::<String>()
                            ));
                        }
                        batches.push(Batch {
                            first,
                            count,
                            latency,
                            done_at: started.elapsed().as_secs_f64(),
                            status,
                            contact_ids,
                        });
                        let total = done.fetch_add(count, Ordering::Relaxed) + count;
                        if !keep_ids && total / report_every != (total - count) / report_every {
                            println!(
                                "    {total:>9} contacts after {:.1} s",
                                started.elapsed().as_secs_f64()
                            );
                        }
                    }
                    Err(error) => {
                        unanswered.push((first, count));
                        first_error.get_or_insert_with(|| format!("connection: {error}"));
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        // The server is gone (crash rounds): do not spin.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            (batches, unanswered, first_error)
        }));
    }
    let mut stream = Stream {
        batches: Vec::new(),
        unanswered: Vec::new(),
        elapsed: 0.0,
        first_error: None,
    };
    for task in tasks {
        if let Ok((batches, unanswered, error)) = task.await {
            stream.batches.extend(batches);
            stream.unanswered.extend(unanswered);
            if stream.first_error.is_none() {
                stream.first_error = error;
            }
        }
    }
    stream.elapsed = started.elapsed().as_secs_f64();
    stream.batches.sort_by_key(|b| b.first);
    stream
}

struct UpsertFigures {
    rate: f64,
    last_tenth_rate: f64,
    p50: f64,
    p99: f64,
    max: f64,
    failed: usize,
}

fn upsert_figures(stream: &Stream) -> UpsertFigures {
    let ok: Vec<&Batch> = stream.batches.iter().filter(|b| b.status == 200).collect();
    let total: usize = ok.iter().map(|b| b.count).sum();
    let mut by_time: Vec<(f64, usize)> = ok.iter().map(|b| (b.done_at, b.count)).collect();
    by_time.sort_by(|a, b| a.0.total_cmp(&b.0));
    // The last 10%: from the moment 90% of the contacts were acknowledged to the end.
    let mut acknowledged = 0;
    let mut t90 = 0.0;
    for (at, count) in &by_time {
        if acknowledged >= total * 9 / 10 {
            break;
        }
        acknowledged += count;
        t90 = *at;
    }
    let end = by_time.last().map_or(stream.elapsed, |b| b.0);
    let mut latencies = Latencies::default();
    ok.iter().for_each(|b| latencies.push(b.latency));
    UpsertFigures {
        rate: total as f64 / stream.elapsed,
        // NaN when there are too few batches for a last tenth.
        last_tenth_rate: if total > acknowledged && end > t90 {
            (total - acknowledged) as f64 / (end - t90)
        } else {
            f64::NAN
        },
        p50: latencies.ms(50.0),
        p99: latencies.ms(99.0),
        max: latencies.ms(100.0),
        failed: stream.batches.len() - ok.len() + stream.unanswered.len(),
    }
}

// ---------------------------------------------------------------------------------------------
// Closed-loop load from many connections

#[derive(Default)]
struct Load {
    requests: usize,
    secs: f64,
    latencies: Latencies,
    statuses: BTreeMap<u16, usize>,
    connection_errors: usize,
    locked_bodies: usize,
    first_bad: Option<String>,
}

impl Load {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.secs
    }

    fn server_errors(&self) -> usize {
        self.statuses
            .iter()
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum()
    }

    fn statuses_text(&self) -> String {
        let mut text: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}×{n}"))
            .collect();
        if self.connection_errors > 0 {
            text.push(format!("connection errors×{}", self.connection_errors));
        }
        text.join(", ")
    }
}

/// `connections` tasks, each sending the request `make` builds, one after another, for `secs`.
async fn hammer<F>(http: &reqwest::Client, connections: usize, secs: u64, make: F) -> Load
where
    F: Fn(&reqwest::Client, &mut Rng, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let counter = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for task in 0..connections {
        let (http, make, counter) = (http.clone(), make.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0xC0FFEE ^ (task as u64) << 32);
            let mut load = Load::default();
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let request = make(&http, &mut rng, n);
                let sent = Instant::now();
                let answer = async {
                    let response = request.send().await?;
                    let status = response.status().as_u16();
                    let bytes = response.bytes().await?;
                    Ok::<_, reqwest::Error>((status, bytes))
                }
                .await;
                load.latencies.push(sent.elapsed());
                load.requests += 1;
                match answer {
                    Ok((status, bytes)) => {
                        *load.statuses.entry(status).or_default() += 1;
                        if !(200..300).contains(&status) {
                            let text = String::from_utf8_lossy(&bytes);
                            if text.contains("locked") {
                                load.locked_bodies += 1;
                            }
                            load.first_bad.get_or_insert_with(|| {
                                format!("{status}: {}", text.chars().take(300).collect::<String>())
                            });
                        }
                    }
                    Err(error) => {
                        load.connection_errors += 1;
                        load.first_bad
                            .get_or_insert_with(|| format!("connection: {error}"));
                    }
                }
            }
            load
        }));
    }
    let mut all = Load::default();
    for task in tasks {
        if let Ok(load) = task.await {
            all.requests += load.requests;
            all.latencies.merge(load.latencies);
            for (status, n) in load.statuses {
                *all.statuses.entry(status).or_default() += n;
            }
            all.connection_errors += load.connection_errors;
            all.locked_bodies += load.locked_bodies;
            if all.first_bad.is_none() {
                all.first_bad = load.first_bad;
            }
        }
    }
    all.secs = started.elapsed().as_secs_f64();
    all
}

// ---------------------------------------------------------------------------------------------
// The report

struct Report {
    rows: Vec<[String; 4]>,
    notes: Vec<String>,
}

impl Report {
    fn row(&mut self, what: &str, figure: String, goal: &str, met: Option<bool>) {
        let verdict = match met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "—",
        };
        println!("  => {what}: {figure} (goal {goal}: {verdict})");
        self.rows
            .push([what.into(), figure, goal.into(), verdict.into()]);
    }

    fn note(&mut self, text: String) {
        println!("  .. {text}");
        self.notes.push(text);
    }

    fn print(&self) {
        println!("\n| What | Measured | Goal (docs/api.md §7) | |\n|---|---|---|---|");
        for [what, figure, goal, verdict] in &self.rows {
            println!("| {what} | {figure} | {goal} | {verdict} |");
        }
        println!();
        for note in &self.notes {
            println!("- {note}");
        }
    }
}

fn thousands(n: f64) -> String {
    let n = n.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn memory_row(report: &mut Report, server: &Server, when: &str) {
    let (hwm, rss) = (vm_mib(server.pid, "VmHWM"), vm_mib(server.pid, "VmRSS"));
    report.row(
        &format!("memory: peak RSS (VmHWM) {when}"),
        format!("{hwm:.0} MiB (now {rss:.0} MiB)"),
        "≤ 150 MB",
        Some(hwm * 1.048_576 <= 150.0),
    );
}

// ---------------------------------------------------------------------------------------------
// Scenarios

#[allow(clippy::too_many_arguments)]
async fn upsert_scenario(
    env: &Env,
    server: &Server,
    report: &mut Report,
    campaign: &str,
    pairs: &Arc<Vec<(u16, u16)>>,
    order: Order,
    n: usize,
    label: &str,
) -> Result<Vec<String>> {
    let have = env.contact_total(campaign).await?;
    if have >= n {
        report.note(format!(
            "{label}: the campaign already holds {have} contacts; not filled again (no figure)"
        ));
        return Ok(Vec::new());
    }
    if have > 0 {
        return Err(format!(
            "{label}: the campaign holds {have} contacts, fewer than {n}; use a fresh --dir"
        )
        .into());
    }
    println!("  {label}: {n} contacts, batches of {BATCH}, 2 clients");
    let meter = CpuMeter::start(server);
    let stream = upsert_stream(
        env,
        campaign,
        pairs.clone(),
        order,
        (0, n),
        2,
        false,
        Arc::new(AtomicBool::new(false)),
    )
    .await;
    let f = upsert_figures(&stream);
    let cpu = meter.text();
    let server_cpu = meter.server_secs();
    let goal_rate = "≥ 50,000 contacts/s";
    report.row(
        &format!(
            "upsert, {label}: contacts/s overall ({} contacts)",
            thousands(n as f64)
        ),
        thousands(f.rate),
        goal_rate,
        Some(f.rate >= 50_000.0 && f.failed == 0),
    );
    report.row(
        &format!("upsert, {label}: contacts/s in the last 10%"),
        if f.last_tenth_rate.is_nan() {
            "n/a (too few batches)".into()
        } else {
            thousands(f.last_tenth_rate)
        },
        goal_rate,
        (!f.last_tenth_rate.is_nan()).then_some(f.last_tenth_rate >= 50_000.0),
    );
    report.row(
        &format!("upsert, {label}: batch latency p50 / p99 (max)"),
        format!("{:.0} / {:.0} ms ({:.0} ms)", f.p50, f.p99, f.max),
        "p99 ≤ 100 ms",
        Some(f.p99 <= 100.0),
    );
    report.note(format!(
        "upsert, {label}: {cpu}; server CPU {:.1} µs per contact; failed batches: {}{}",
        server_cpu * 1e6 / n as f64,
        f.failed,
        stream
            .first_error
            .as_ref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    ));
    Ok(stream
        .batches
        .iter()
        .filter_map(|b| b.contact_ids.first().cloned())
        .collect())
}

async fn read_scenario(env: &Env, server: &Server, report: &mut Report, campaign: &str, secs: u64) {
    for (label, path, goal_rate, rate_text) in [
        (
            "GET /campaign/campaigns/{id}",
            format!("/campaign/campaigns/{campaign}"),
            20_000.0,
            "≥ 20,000 req/s; p99 ≤ 10 ms",
        ),
        (
            "GET …/{id}/stats",
            format!("/campaign/campaigns/{campaign}/stats"),
            10_000.0,
            "≥ 10,000 req/s; p99 ≤ 10 ms",
        ),
    ] {
        println!("  {label}: 32 connections, {secs} s");
        let url = format!("{}{path}", env.base);
        let meter = CpuMeter::start(server);
        let mut load = hammer(&env.http, 32, secs, move |http, _, _| http.get(&url)).await;
        let cpu = meter.text();
        let server_cpu = meter.server_secs();
        let (rate, p50, p99) = (
            load.rate(),
            load.latencies.ms(50.0),
            load.latencies.ms(99.0),
        );
        let ok = load.statuses.get(&200).copied().unwrap_or(0) == load.requests;
        report.row(
            &format!("{label} on the big campaign, 32 connections: req/s, p50 / p99"),
            format!("{} req/s, {p50:.1} / {p99:.1} ms", thousands(rate)),
            rate_text,
            Some(rate >= goal_rate && p99 <= 10.0 && ok),
        );
        report.note(format!(
            "{label}: {cpu}; server CPU {:.0} µs per request; answers: {}",
            server_cpu * 1e6 / load.requests as f64,
            load.statuses_text()
        ));
    }
}

async fn list_scenario(
    env: &Env,
    server: &Server,
    report: &mut Report,
    campaign: &str,
    sample_ids: Vec<String>,
    secs: u64,
) {
    let sample_ids = Arc::new(sample_ids);
    let base = format!(
        "{}/campaign/campaigns/{campaign}/contacts?limit=100",
        env.base
    );
    for mode in ["after", "offset"] {
        if mode == "after" && sample_ids.is_empty() {
            report.note(
                "list with after: no contact ids sampled (no upsert this run); skipped".into(),
            );
            continue;
        }
        println!("  GET …/contacts?limit=100 with {mode}: 4 connections, {secs} s");
        let (base, ids) = (base.clone(), sample_ids.clone());
        let meter = CpuMeter::start(server);
        let mut load = hammer(&env.http, 4, secs, move |http, rng, _| {
            let url = if mode == "after" {
                format!("{base}&after={}", ids[rng.below(ids.len())])
            } else {
                format!("{base}&offset={}", rng.below(10_001))
            };
            http.get(url)
        })
        .await;
        let cpu = meter.text();
        let (p50, p99, max) = (
            load.latencies.ms(50.0),
            load.latencies.ms(99.0),
            load.latencies.ms(100.0),
        );
        let ok = load.statuses.get(&200).copied().unwrap_or(0) == load.requests;
        let position = if mode == "after" {
            "after= a random contact of the big campaign"
        } else {
            "offset= random in 0–10,000"
        };
        report.row(
            &format!("GET …/contacts?limit=100, {position}: p50 / p99 (max)"),
            format!(
                "{p50:.1} / {p99:.1} ms ({max:.0} ms), {} req/s",
                thousands(load.rate())
            ),
            "p99 ≤ 50 ms",
            Some(p99 <= 50.0 && ok),
        );
        report.note(format!(
            "list with {mode}: {cpu}; answers: {}",
            load.statuses_text()
        ));
    }
}

async fn writers_scenario(
    env: &Env,
    server: &Server,
    report: &mut Report,
    campaign: &str,
    pairs: &Arc<Vec<(u16, u16)>>,
    secs: u64,
) {
    println!("  64 writers, 10 contacts per upsert, {secs} s");
    let url = format!("{}/campaign/campaigns/{campaign}/contacts", env.base);
    let pairs = pairs.clone();
    let meter = CpuMeter::start(server);
    let load = hammer(&env.http, 64, secs, move |http, _, n| {
        // Every third request updates the contacts of an earlier one; the rest insert.
        let first = if n % 3 == 2 { (n / 2) * 10 } else { n * 10 };
        http.post(&url)
            .header(CONTENT_TYPE, "application/json")
            .body(batch_body(&pairs, Order::Random, 50_000_000 + first, 10))
    })
    .await;
    let cpu = meter.text();
    let errors = load.server_errors();
    let mut latencies = load.latencies;
    let failed = load.requests - load.statuses.get(&200).copied().unwrap_or(0);
    report.row(
        "64 concurrent writers (10 contacts each): 5xx / \"database is locked\"",
        format!(
            "{errors} / {} in {} requests ({} req/s, p99 {:.0} ms)",
            load.locked_bodies,
            thousands(load.requests as f64),
            thousands(load.requests as f64 / load.secs),
            latencies.ms(99.0)
        ),
        "zero 5xx, zero locked",
        Some(errors == 0 && load.locked_bodies == 0 && load.connection_errors == 0),
    );
    report.note(format!(
        "64 writers: {cpu}; answers: {}; non-200: {failed}{}",
        Load {
            statuses: load.statuses,
            connection_errors: load.connection_errors,
            ..Load::default()
        }
        .statuses_text(),
        load.first_bad
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    ));
}

/// Every contact of a campaign (external_id → id), paged with `after`.
async fn all_contacts(env: &Env, campaign: &str) -> Result<HashMap<String, String>> {
    let mut found = HashMap::new();
    let mut after: Option<String> = None;
    for _ in 0..100_000 {
        let path = match &after {
            None => format!("/campaign/campaigns/{campaign}/contacts?limit=1000"),
            Some(id) => format!("/campaign/campaigns/{campaign}/contacts?limit=1000&after={id}"),
        };
        let (status, body) = env.get(&path).await?;
        if status != 200 {
            return Err(format!("listing contacts: {status} {body}").into());
        }
        let page = body["contacts"].as_array().cloned().unwrap_or_default();
        for contact in &page {
            let id = contact["id"].as_str().unwrap_or_default().to_string();
            let external = contact["external_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            found.insert(external, id);
        }
        match page.last() {
            Some(last) if page.len() == 1000 => {
                after = last["id"].as_str().map(String::from);
            }
            _ => return Ok(found),
        }
    }
    Err("more than 100,000 pages".into())
}

/// Rounds of: a stream of upserts from 2 clients, `kill -9` after 1–3 s, restart, check.
async fn crash_scenario(
    env: &Env,
    mut server: Server,
    report: &mut Report,
    configuration: &str,
    pairs: &Arc<Vec<(u16, u16)>>,
    rounds: usize,
) -> Result<Server> {
    let campaign = env.campaign("bench-crash", configuration).await?;
    let mut rng = Rng(0xDEAD_BEEF);
    let mut next_first = env.contact_total(&campaign).await? + 1_000_000;
    let mut acknowledged: Vec<Batch> = Vec::new();
    let mut unacknowledged: Vec<(usize, usize)> = Vec::new();
    let mut restarts = Latencies::default();
    let mut problems = Vec::new();
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let stream = {
            let (campaign, pairs, stop) = (campaign.clone(), pairs.clone(), stop.clone());
            let env_for_stream = Env {
                bin: env.bin.clone(),
                db: env.db.clone(),
                log: env.log.clone(),
                port: env.port,
                base: env.base.clone(),
                http: env.http.clone(),
            };
            tokio::spawn(async move {
                upsert_stream(
                    &env_for_stream,
                    &campaign,
                    pairs,
                    Order::Crash,
                    (next_first, 10_000_000),
                    2,
                    true,
                    stop,
                )
                .await
            })
        };
        let wait = Duration::from_millis(1000 + rng.below(2000) as u64);
        tokio::time::sleep(wait).await;
        server.kill9()?;
        stop.store(true, Ordering::Relaxed);
        let stream = stream.await?;
        let (restarted, took) = env.start().await?;
        server = restarted;
        restarts.push(took);
        let acked: Vec<Batch> = stream
            .batches
            .into_iter()
            .filter(|b| b.status == 200)
            .collect();
        let lost: Vec<(usize, usize)> = stream.unanswered;
        println!(
            "    round {}: kill -9 after {:.1} s; {} batches answered 200, {} in flight; restart took {:.0} ms",
            round + 1,
            wait.as_secs_f64(),
            acked.len(),
            lost.len(),
            took.as_secs_f64() * 1000.0
        );
        next_first = acked
            .iter()
            .map(|b| b.first + b.count)
            .chain(lost.iter().map(|(f, c)| f + c))
            .max()
            .unwrap_or(next_first)
            + 1;
        acknowledged.extend(acked);
        unacknowledged.extend(lost);
    }
    let present = all_contacts(env, &campaign).await?;
    let mut missing = 0;
    let mut wrong_id = 0;
    let mut whole_batches = 0;
    for batch in &acknowledged {
        let mut whole = true;
        for (k, i) in (batch.first..batch.first + batch.count).enumerate() {
            match present.get(&external_id(Order::Crash, i)) {
                None => (missing, whole) = (missing + 1, false),
                Some(id) if batch.contact_ids.get(k) != Some(id) => {
                    (wrong_id, whole) = (wrong_id + 1, false)
                }
                Some(_) => {}
            }
        }
        whole_batches += usize::from(whole);
    }
    let mut partial = 0;
    let mut in_flight_kept = 0;
    for (first, count) in &unacknowledged {
        let kept = (*first..first + count)
            .filter(|i| present.contains_key(&external_id(Order::Crash, *i)))
            .count();
        if kept != 0 && kept != *count {
            partial += 1;
        }
        if kept == *count {
            in_flight_kept += 1;
        }
    }
    if missing > 0 {
        problems.push(format!("{missing} acknowledged contacts missing"));
    }
    if wrong_id > 0 {
        problems.push(format!(
            "{wrong_id} contacts with another id than acknowledged"
        ));
    }
    if partial > 0 {
        problems.push(format!("{partial} unacknowledged batches partly written"));
    }
    let contacts: usize = acknowledged.iter().map(|b| b.count).sum();
    report.row(
        &format!("kill -9 during upserts ({rounds} rounds): acknowledged contacts present after restart"),
        format!(
            "{} of {} batches ({} contacts) present, ids as answered; {} in-flight batches: {} kept whole, {} partial",
            whole_batches,
            acknowledged.len(),
            thousands(contacts as f64),
            unacknowledged.len(),
            in_flight_kept,
            partial
        ),
        "every batch answered 200 present",
        Some(problems.is_empty()),
    );
    if !problems.is_empty() {
        report.note(format!("kill -9: {}", problems.join("; ")));
    }
    report.row(
        "start-up after kill -9 (WAL recovery): time to 200 from /healthz, max of rounds",
        format!("{:.0} ms", restarts.ms(100.0)),
        "≤ 1 s",
        Some(restarts.ms(100.0) <= 1000.0),
    );
    Ok(server)
}

fn integrity_check(db: &Path) -> Result<(String, f64)> {
    let started = Instant::now();
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut statement = conn.prepare("PRAGMA integrity_check")?;
    let lines: Vec<String> = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok((lines.join("; "), started.elapsed().as_secs_f64()))
}

fn log_mentions(log: &Path, needle: &str) -> usize {
    std::fs::read_to_string(log)
        .map(|text| text.lines().filter(|line| line.contains(needle)).count())
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("load: {error}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let options = Options::parse()?;
    if !options.bin.exists() {
        return Err(format!(
            "{} does not exist: run `cargo build --release` first",
            options.bin.display()
        )
        .into());
    }
    let temporary = match &options.dir {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("campaignd-bench")
                .tempdir()?,
        ),
    };
    let dir = match (&options.dir, &temporary) {
        (Some(dir), _) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        (None, Some(temporary)) => temporary.path().to_path_buf(),
        (None, None) => unreachable!(),
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {KEY}"))?,
    );
    let port = free_port()?;
    let env = Env {
        bin: options.bin.clone(),
        db: dir.join("bench.db"),
        log: dir.join("server.log"),
        port,
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::builder()
            .default_headers(headers)
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(120))
            .build()?,
    };
    let mut report = Report {
        rows: Vec::new(),
        notes: Vec::new(),
    };
    let run_started = Instant::now();
    let loadavg = || {
        std::fs::read_to_string("/proc/loadavg")
            .map(|text| {
                text.split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    let load_at_start = loadavg();
    println!(
        "campaignd load benchmark: {} on {}",
        options.bin.display(),
        env.db.display()
    );

    let (mut server, took) = env.start().await?;
    println!(
        "  server pid {} up in {:.0} ms",
        server.pid,
        took.as_secs_f64() * 1000.0
    );
    let (status, configuration) = env
        .post(
            "/campaign/configurations",
            &json!({"name": "bench", "default_country_code": "US"}),
        )
        .await?;
    if status != 201 {
        return Err(format!("creating the configuration: {status} {configuration}").into());
    }
    let configuration = configuration["id"]
        .as_str()
        .ok_or("configuration without id")?
        .to_string();
    let probe = env.campaign("bench-probe", &configuration).await?;
    let pairs = Arc::new(probe_numbers(&env, &probe).await?);
    report.note(format!(
        "numbers: {} (area, exchange) pairs accepted by the server in 4 national spellings, e.g. `{}`, `{}`, `{}`, `{}`",
        pairs.len(),
        number(&pairs, 0, 123),
        number(&pairs, 1, 4567),
        number(&pairs, 2, 89),
        number(&pairs, 3, 9999)
    ));
    let sample = batch_body(&pairs, Order::Upload, 0, BATCH);
    report.note(format!(
        "a 1000-contact body is {} bytes (about {} bytes per contact, e.g. {})",
        thousands(sample.len() as f64),
        sample.len() / BATCH,
        {
            let mut one = String::new();
            write_contact(&mut one, &pairs, Order::Upload, 2);
            one
        }
    ));

    let ordered = env.campaign("bench-ordered", &configuration).await?;
    let needs_fill = ["upsert", "reads", "list", "startup"]
        .iter()
        .any(|s| options.wants(s));
    let mut sample_ids = Vec::new();
    if needs_fill && options.contacts > 0 {
        println!(
            "
[a] upsert, external_ids in upload order"
        );
        sample_ids = upsert_scenario(
            &env,
            &server,
            &mut report,
            &ordered,
            &pairs,
            Order::Upload,
            options.contacts,
            "ordered external_ids",
        )
        .await?;
        memory_row(&mut report, &server, "after the ordered upsert");
    }
    if options.wants("reads") {
        println!(
            "
[b] reads"
        );
        read_scenario(&env, &server, &mut report, &ordered, options.read_secs).await;
    }
    if options.wants("list") {
        println!(
            "
[c] contact lists"
        );
        list_scenario(
            &env,
            &server,
            &mut report,
            &ordered,
            sample_ids,
            options.read_secs,
        )
        .await;
    }
    if options.wants("reads") || options.wants("list") {
        println!(
            "
[d] memory"
        );
        memory_row(&mut report, &server, "after upsert + reads + lists");
    }
    if options.wants("writers") {
        println!(
            "
[e] 64 writers"
        );
        let campaign = env.campaign("bench-writers", &configuration).await?;
        writers_scenario(
            &env,
            &server,
            &mut report,
            &campaign,
            &pairs,
            options.writer_secs,
        )
        .await;
        memory_row(&mut report, &server, "after the 64 writers");
    }
    if options.wants("startup") {
        println!(
            "
[f] start-up"
        );
        let total = env.contact_total(&ordered).await?;
        let mut times = Latencies::default();
        for _ in 0..3 {
            server.stop()?;
            let (restarted, took) = env.start().await?;
            server = restarted;
            times.push(took);
        }
        let db_mib = std::fs::metadata(&env.db).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
        report.row(
            &format!(
                "start-up on the database ({} contacts in the big campaign, {db_mib:.0} MiB file): time to 200 from /healthz, max of 3 (min)",
                thousands(total as f64)
            ),
            format!("{:.0} ms ({:.0} ms)", times.ms(100.0), times.ms(0.0)),
            "≤ 1 s",
            Some(times.ms(100.0) <= 1000.0),
        );
    }
    if options.wants("random") && options.random_contacts > 0 {
        println!(
            "
[a'] upsert, random external_ids"
        );
        let campaign = env.campaign("bench-random", &configuration).await?;
        upsert_scenario(
            &env,
            &server,
            &mut report,
            &campaign,
            &pairs,
            Order::Random,
            options.random_contacts,
            "random external_ids",
        )
        .await?;
        memory_row(
            &mut report,
            &server,
            "after the random upsert (since the last restart)",
        );
    }
    if options.wants("crash") {
        println!(
            "
[g] kill -9 during upserts"
        );
        server = crash_scenario(
            &env,
            server,
            &mut report,
            &configuration,
            &pairs,
            options.crash_rounds,
        )
        .await?;
    }
    server.stop()?;
    let (integrity, secs) = integrity_check(&env.db)?;
    let db_mib = std::fs::metadata(&env.db).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    report.row(
        &format!("PRAGMA integrity_check at the end ({db_mib:.0} MiB)"),
        format!("{integrity} ({secs:.1} s)"),
        "ok",
        Some(integrity == "ok"),
    );
    let locked = log_mentions(&env.log, "locked");
    let errors = log_mentions(&env.log, "ERROR");
    report.note(format!(
        "server log: {locked} lines mention \"locked\", {errors} ERROR lines ({})",
        env.log.display()
    ));
    report.note(format!(
        "whole run: {:.0} s; load average (1, 5, 15 min) at the start {load_at_start}, at the end {}",
        run_started.elapsed().as_secs_f64(),
        loadavg()
    ));
    report.print();
    Ok(())
}
