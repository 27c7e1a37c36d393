//! The scenarios of docs/api.md §7, one function each, and the run.

use crate::*;

#[allow(clippy::too_many_arguments)]
pub(crate) async fn upsert_scenario(
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

pub(crate) async fn read_scenario(
    env: &Env,
    server: &Server,
    report: &mut Report,
    campaign: &str,
    secs: u64,
) {
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

pub(crate) async fn list_scenario(
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

pub(crate) async fn writers_scenario(
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
pub(crate) async fn all_contacts(env: &Env, campaign: &str) -> Result<HashMap<String, String>> {
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
pub(crate) async fn crash_scenario(
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
                database_url: env.database_url.clone(),
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

pub(crate) fn integrity_check(db: &Path) -> Result<(String, f64)> {
    let started = Instant::now();
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut statement = conn.prepare("PRAGMA integrity_check")?;
    let lines: Vec<String> = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok((lines.join("; "), started.elapsed().as_secs_f64()))
}

pub(crate) fn log_mentions(log: &Path, needle: &str) -> usize {
    std::fs::read_to_string(log)
        .map(|text| text.lines().filter(|line| line.contains(needle)).count())
        .unwrap_or(0)
}

pub(crate) async fn run() -> Result<()> {
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
        database_url: options.database_url.clone(),
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
        match &env.database_url {
            Some(_) => "PostgreSQL (--database-url)".to_string(),
            None => env.db.display().to_string(),
        }
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
    let sqlite = env.database_url.is_none();
    if sqlite && options.wants("startup") {
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
    if sqlite && options.wants("crash") {
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
    if sqlite {
        let (integrity, secs) = integrity_check(&env.db)?;
        let db_mib = std::fs::metadata(&env.db).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
        report.row(
            &format!("PRAGMA integrity_check at the end ({db_mib:.0} MiB)"),
            format!("{integrity} ({secs:.1} s)"),
            "ok",
            Some(integrity == "ok"),
        );
    }
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
