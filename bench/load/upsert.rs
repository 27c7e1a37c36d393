//! Upsert streams from several clients, and their figures.

use crate::*;

pub(crate) struct Batch {
    pub(crate) first: usize,
    pub(crate) count: usize,
    pub(crate) latency: Duration,
    /// Seconds since the stream started, when the answer came.
    pub(crate) done_at: f64,
    pub(crate) status: u16,
    pub(crate) contact_ids: Vec<String>,
}

pub(crate) struct Stream {
    pub(crate) batches: Vec<Batch>,
    /// Batches sent whose answer never came (connection error).
    pub(crate) unanswered: Vec<(usize, usize)>,
    pub(crate) elapsed: f64,
    pub(crate) first_error: Option<String>,
}

/// Upserts contacts `start..start + n` in batches of `BATCH` from `clients` concurrent clients;
/// stops early when `stop` is set. `keep_ids`: keep every contact id of each answer (else the
/// first of each batch).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn upsert_stream(
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

pub(crate) struct UpsertFigures {
    pub(crate) rate: f64,
    pub(crate) last_tenth_rate: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
    pub(crate) failed: usize,
}

pub(crate) fn upsert_figures(stream: &Stream) -> UpsertFigures {
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
