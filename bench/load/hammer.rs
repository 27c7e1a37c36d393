//! Closed-loop load from many connections.

use crate::*;

#[derive(Default)]
pub(crate) struct Load {
    pub(crate) requests: usize,
    pub(crate) secs: f64,
    pub(crate) latencies: Latencies,
    pub(crate) statuses: BTreeMap<u16, usize>,
    pub(crate) connection_errors: usize,
    pub(crate) locked_bodies: usize,
    pub(crate) first_bad: Option<String>,
}

impl Load {
    pub(crate) fn rate(&self) -> f64 {
        self.requests as f64 / self.secs
    }

    pub(crate) fn server_errors(&self) -> usize {
        self.statuses
            .iter()
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum()
    }

    pub(crate) fn statuses_text(&self) -> String {
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
pub(crate) async fn hammer<F>(
    http: &reqwest::Client,
    connections: usize,
    secs: u64,
    make: F,
) -> Load
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
