//! Prometheus metrics: one process-wide recorder behind the `metrics` facade, every series
//! described and recorded through the functions here, and the text that `GET /metrics` serves.
//! Series are recorded after the commit of what they count. No label carries anything of a tenant unless `--metrics-org-labels`.

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// HTTP requests, by route template (never a raw path), method and status.
pub const HTTP_REQUESTS: &str = "campaignd_http_requests_total";
/// Time from a request's arrival to its response's head, by route template and method.
pub const HTTP_SECONDS: &str = "campaignd_http_request_duration_seconds";
/// Write jobs waiting for the writer when it took its last group.
pub const WRITER_QUEUE: &str = "campaignd_writer_queue_depth";
/// One group commit: BEGIN, every job of the group, COMMIT (the fsync).
pub const WRITER_COMMIT_SECONDS: &str = "campaignd_writer_commit_seconds";
/// Write jobs run by the writer.
pub const WRITER_JOBS: &str = "campaignd_writer_jobs_total";
/// Contacts by status, over all organisations (from the stored counters, at each scrape).
pub const CONTACTS: &str = "campaignd_contacts";
/// Size of the database's `-wal` file (grows without bound if nobody checkpoints).
pub const WAL_BYTES: &str = "campaignd_wal_bytes";
/// Per organisation, only with `--metrics-org-labels`.
pub const ORG_CONTACTS: &str = "campaignd_org_contacts";
pub const ORG_CALLS_UP: &str = "campaignd_org_calls_up";

// The dialer's series (docs/api.md §8): recorded by src/dialer, and attempts ended also by the
// result route and at start-up (simulated calls left up by the last run).
/// Calls up now (contacts locked or in progress), all organisations.
pub const CALLS_UP: &str = "campaignd_calls_up";
pub const ATTEMPTS_STARTED: &str = "campaignd_attempts_started_total";
/// Attempts ended, by `outcome` (answered, voicemail, no_answer, busy, failed).
pub const ATTEMPTS_ENDED: &str = "campaignd_attempts_ended_total";
/// 1 while this node holds the dialer's lease (always, on SQLite with the dialer on).
pub const DIALER_LEADER: &str = "campaignd_dialer_leader";
/// One pass of the dialing loop.
pub const DIALER_LOOP_SECONDS: &str = "campaignd_dialer_loop_seconds";
/// Webhook deliveries, by `result` (delivered, failed).
pub const WEBHOOK_DELIVERIES: &str = "campaignd_webhook_deliveries_total";
/// The Twilio placer's twin of the webhook series: calls it asked Twilio for, by `result`
/// (`placed`: 201; `refused`: 400, the attempt ended failed; `failed`: not delivered).
pub const TWILIO_CALLS: &str = "campaignd_twilio_calls_total";

/// Histogram buckets (seconds): from half a millisecond (a cached read) to 10 s (the grace of a
/// clean stop).
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the same handle). Until it is
/// installed every `metrics` macro is a no-op, which is what `--metrics off` leaves.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics stays empty");
        }
        describe();
        // Histogram samples wait in a queue until the next render or upkeep: drain them even
        // when nobody scrapes, so that memory stays flat.
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
        handle
    })
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by route template, method and status"
    );
    describe_histogram!(
        HTTP_SECONDS,
        Unit::Seconds,
        "HTTP request latency (to the response head) by route template and method"
    );
    describe_gauge!(
        WRITER_QUEUE,
        "write jobs queued for the writer when it took its last group"
    );
    describe_histogram!(
        WRITER_COMMIT_SECONDS,
        Unit::Seconds,
        "one group commit of the writer: its jobs and the fsync"
    );
    describe_counter!(WRITER_JOBS, "write jobs run by the writer");
    describe_gauge!(CONTACTS, "contacts by status, all organisations");
    describe_gauge!(WAL_BYTES, Unit::Bytes, "size of the database's -wal file");
    describe_gauge!(ORG_CONTACTS, "contacts by organisation and status");
    describe_gauge!(ORG_CALLS_UP, "calls up by organisation");
    describe_gauge!(CALLS_UP, "calls up now (contacts locked or in progress)");
    describe_counter!(ATTEMPTS_STARTED, "call attempts started");
    describe_gauge!(DIALER_LEADER, "1 while this node leads the dialer");
    describe_counter!(ATTEMPTS_ENDED, "call attempts ended, by outcome");
    describe_histogram!(
        DIALER_LOOP_SECONDS,
        Unit::Seconds,
        "one pass of the dialing loop"
    );
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "webhook deliveries of calls, by result (delivered, failed)"
    );
    describe_counter!(
        TWILIO_CALLS,
        "calls asked of Twilio's API, by result (placed, refused, failed)"
    );
}

/// One request answered: `route` is a template such as `/campaign/campaigns/{campaign_id}`.
pub fn http_request(route: &'static str, method: &str, status: u16, elapsed: Duration) {
    let method = method_label(method);
    counter!(HTTP_REQUESTS, "route" => route, "method" => method, "status" => status_label(status))
        .increment(1);
    histogram!(HTTP_SECONDS, "route" => route, "method" => method).record(elapsed.as_secs_f64());
}

/// The writer took a group of `jobs`, leaving `queued` behind.
pub fn writer_group(queued: usize, jobs: usize) {
    gauge!(WRITER_QUEUE).set(queued as f64);
    counter!(WRITER_JOBS).increment(jobs as u64);
}

/// One pass of the dialing loop that started `started` calls.
pub fn dialer_leader(leads: bool) {
    gauge!(DIALER_LEADER).set(if leads { 1.0 } else { 0.0 });
}

pub fn dialer_pass(elapsed: Duration, started: usize) {
    histogram!(DIALER_LOOP_SECONDS).record(elapsed.as_secs_f64());
    counter!(ATTEMPTS_STARTED).increment(started as u64);
}

pub fn attempt_ended(outcome: &'static str) {
    counter!(ATTEMPTS_ENDED, "outcome" => outcome).increment(1);
}

pub fn webhook_delivery(delivered: bool) {
    let result = if delivered { "delivered" } else { "failed" };
    counter!(WEBHOOK_DELIVERIES, "result" => result).increment(1);
}

/// One request to create a call: `placed`, `refused` (400) or `failed` (not delivered).
pub fn twilio_call(result: &'static str) {
    counter!(TWILIO_CALLS, "result" => result).increment(1);
}

pub fn writer_commit(elapsed: Duration) {
    histogram!(WRITER_COMMIT_SECONDS).record(elapsed.as_secs_f64());
}

/// Methods as static labels (the router answers no others; anything else is "other").
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Status codes as static labels, so that counting a request allocates nothing.
fn status_label(status: u16) -> &'static str {
    macro_rules! codes {
        ($($code:literal)*) => {
            match status { $($code => stringify!($code),)* _ => "other" }
        };
    }
    codes!(100 101 200 201 202 204 206 301 302 303 304 307 308 400 401 403 404 405 406 408 409 410
        411 412 413 414 415 416 422 429 431 500 501 502 503 504)
}

/// Contacts by status and calls up, from the stored counters (a few rows, never the contacts).
pub struct Counts {
    /// (organisation, status, contacts)
    pub contacts: Vec<(String, &'static str, i64)>,
    /// (organisation, calls up)
    pub calls_up: Vec<(String, i64)>,
    /// Size of the `-wal` file.
    pub wal_bytes: u64,
}

/// The text of `GET /metrics`: the scrape-time gauges from `counts`, then every series.
pub fn render(counts: Counts, org_labels: bool) -> String {
    let handle = install();
    let mut totals: std::collections::BTreeMap<&'static str, i64> = Default::default();
    for (org, status, n) in counts.contacts {
        *totals.entry(status).or_default() += n;
        if org_labels {
            gauge!(ORG_CONTACTS, "organization" => org, "status" => status).set(n as f64);
        }
    }
    gauge!(WAL_BYTES).set(counts.wal_bytes as f64);
    gauge!(CALLS_UP).set(counts.calls_up.iter().map(|(_, n)| *n).sum::<i64>() as f64);
    for (status, n) in totals {
        gauge!(CONTACTS, "status" => status).set(n as f64);
    }
    if org_labels {
        for (org, n) in counts.calls_up {
            gauge!(ORG_CALLS_UP, "organization" => org).set(n as f64);
        }
    }
    handle.render()
}
