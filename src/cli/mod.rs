//! The commands: `serve`, and the admin commands that work on the database directly (safe while
//! a server runs on it: each change is one short `BEGIN IMMEDIATE` transaction).

use crate::config::{
    BackupArgs, CheckArgs, Cli, Command, ImportArgs, KeysCommand, OrgsCommand, ServeArgs,
    TokensCommand, UsersCommand,
};
use crate::domain::credential::{Credential, Kind};
use crate::domain::scope::{Role, Scopes};
use crate::domain::{ids, time};
use crate::store::credentials::{self, NewKey};
use crate::store::{self, StoreError, orgs};
use rusqlite::Connection;
use std::path::Path;

pub fn run(cli: Cli) -> Result<(), String> {
    let Some(command) = cli.command else {
        return Err("no command given; try `campaignd serve` or `campaignd --help`".into());
    };
    match command {
        Command::Serve(args) => serve(&cli.db, args),
        Command::Orgs(command) => orgs_command(&cli.db, command),
        Command::Keys(command) => keys_command(&cli.db, command),
        Command::Users(command) => users_command(&cli.db, command),
        Command::Tokens(command) => tokens_command(&cli.db, command),
        Command::Import(args) => import_command(&cli.db, args),
        Command::Backup(args) => backup_command(&cli.db, args),
        Command::Check(args) => check_command(&cli.db, args),
    }
}

fn serve(db: &Path, args: ServeArgs) -> Result<(), String> {
    init_logging();
    let bootstrap_key = args
        .bootstrap_key
        .as_deref()
        .map(|text| match Credential::parse(text) {
            Some(key) if key.kind == Kind::ApiKey && key.is_strong() => Ok(key),
            _ => Err("--bootstrap-key must look like ak_<id>.<secret>, with a secret of at least 32 letters, digits, '_' or '-'".to_string()),
        })
        .transpose()?;
    // The ephemeral database lives in a temporary folder that is removed when this returns.
    let ephemeral_dir = args
        .ephemeral
        .then(tempfile::tempdir)
        .transpose()
        .map_err(|e| format!("creating a temporary database: {e}"))?;
    let db = ephemeral_dir
        .as_ref()
        .map_or(db.to_path_buf(), |dir| dir.path().join("campaignd.db"));

    let clock = args.clock()?;
    let dialer = args.dialer()?;
    // After the flags are checked: a refused flag is the one line printed (docs/api.md §8.1).
    crate::raise_open_file_limit();
    // One server per database (docs/api.md §9); held until this function returns.
    let _lock = store::maintenance::lock_server(&db)?;
    let store = store::Store::open_with(&db, args.synchronous, args.checkpoint)?;
    let mut conn = open(&db)?;
    bootstrap(
        &mut conn,
        bootstrap_key.as_ref(),
        args.listen,
        &clock.now_text(),
    )?;
    drop(conn);

    // Blocking work (reads on the pool of READERS connections, phone normalisation) gains nothing
    // from more threads than that on a small machine, and each idle thread keeps its allocator
    // heap and its phone-pattern cache: tokio's default of 512 let the memory grow past 1 GB.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(16)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let metrics = args.metrics();
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let where_ = if ephemeral_dir.is_some() {
            "an ephemeral database".to_string()
        } else {
            db.display().to_string()
        };
        tracing::info!("campaignd listening on http://{address} with {where_}");
        if args.checkpoint == store::Checkpoint::External {
            tracing::info!("checkpoints left to an external process (--checkpoint external)");
        }
        log_dialer(&dialer, &clock);
        let app = crate::App::with_metrics(store, clock, dialer, metrics);
        crate::serve(app, listener, shutdown_signal()).await;
        tracing::info!("campaignd stopped");
        Ok(())
    });
    // Blocking tasks still running (a reader behind a cut-off request) get a moment, not more.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

/// Says at start-up who places calls, and how to change it.
fn log_dialer(dialer: &crate::dialer::Settings, clock: &crate::domain::clock::Clock) {
    use crate::dialer::Mode;
    match dialer.mode {
        Mode::Off => tracing::info!(
            "dialer off: no calls are placed and contacts stay pending \
             (serve --dialer simulate for simulated calls, --dialer webhook for your telephony, \
             --dialer twilio for Twilio)"
        ),
        mode => tracing::info!(
            "dialer {}: up to {} calls at once (--global-concurrency); --dialer off turns it off",
            mode.as_str(),
            dialer.global_concurrency
        ),
    }
    if clock.speed() != 1.0
        || clock.now().duration_until(jiff::Timestamp::now()).abs()
            > jiff::SignedDuration::from_secs(1)
    {
        tracing::info!(
            "clock: {} running {}× real time",
            clock.now_text(),
            clock.speed()
        );
    }
}

/// On a database with no organisation: creates `org_default` and its first key, and prints the
/// key once. A chosen `--bootstrap-key` is created when it does not exist yet.
fn bootstrap(
    conn: &mut Connection,
    chosen: Option<&Credential>,
    listen: std::net::SocketAddr,
    now: &str,
) -> Result<(), String> {
    let created = store::write_now(conn, |tx| {
        let empty = orgs::is_empty(tx)?;
        if empty {
            orgs::create(tx, orgs::DEFAULT_ORG, "Default organization", now)?;
        }
        let key = match chosen {
            Some(key) if key_exists(tx, &key.id)? => return Ok(None),
            Some(key) => key.clone(),
            None if empty => Credential::generate(Kind::ApiKey),
            None => return Ok(None),
        };
        if !orgs::exists(tx, orgs::DEFAULT_ORG)? {
            orgs::create(tx, orgs::DEFAULT_ORG, "Default organization", now)?;
        }
        let new = NewKey {
            organization_id: orgs::DEFAULT_ORG,
            name: "bootstrap",
            scopes: Scopes::ALL,
            expires_at: None,
        };
        credentials::create_key(tx, &key, &new, now)?;
        Ok(Some(key))
    })
    .map_err(|e| format!("creating the first key: {e}"))?;
    if let Some(key) = created {
        let host = if listen.ip().is_unspecified() {
            format!("127.0.0.1:{}", listen.port())
        } else {
            listen.to_string()
        };
        eprintln!(
            "Created organisation {} and its first API key (all scopes). It is shown only now:",
            orgs::DEFAULT_ORG
        );
        eprintln!();
        eprintln!("    {key}");
        eprintln!();
        eprintln!(
            "Try it:  curl -H 'Authorization: Bearer {key}' http://{host}/campaign/campaigns"
        );
        eprintln!();
    }
    Ok(())
}

fn key_exists(conn: &Connection, key_id: &str) -> Result<bool, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT 1 FROM api_keys WHERE key_id = ?1", [key_id], |_| {
            Ok(())
        })
        .optional()?
        .is_some())
}

/// Completes at the first SIGTERM or SIGINT (the clean stop of `crate::serve` follows); a second
/// one ends the process at once, with 128 + the signal's number as its status.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot watch SIGTERM and SIGINT; stop campaignd with SIGKILL");
        return std::future::pending().await;
    };
    let first = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!("{first} received: stopping cleanly (a second signal stops at once)");
    tokio::spawn(async move {
        let (name, status) = tokio::select! {
            _ = term.recv() => ("SIGTERM", 128 + 15),
            _ = int.recv() => ("SIGINT", 128 + 2),
        };
        // Every answered write is already committed: stopping here loses none of them.
        tracing::warn!("second signal ({name}): stopping at once");
        std::process::exit(status);
    });
}

/// Logs to stderr, filtered by CAMPAIGND_LOG (default `info`); CAMPAIGND_LOG_FORMAT=json writes
/// one JSON object per line.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CAMPAIGND_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let json = std::env::var("CAMPAIGND_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

/// Opens the database for an admin command, creating and migrating it like the server would.
fn open(db: &Path) -> Result<Connection, String> {
    let mut conn = store::open_connection(db).map_err(|e| format!("{}: {e}", db.display()))?;
    store::migrate(&mut conn)?;
    Ok(conn)
}

fn change<T>(
    db: &Path,
    f: impl FnOnce(&Connection, &str) -> Result<T, StoreError>,
) -> Result<T, String> {
    let mut conn = open(db)?;
    store::write_now(&mut conn, |tx| f(tx, &time::now_text())).map_err(|e| e.to_string())
}

fn require_org(conn: &Connection, org: &str) -> Result<(), StoreError> {
    if orgs::exists(conn, org)? {
        Ok(())
    } else {
        Err(StoreError::Other(format!(
            "no organisation '{org}' (see `campaignd orgs list`)"
        )))
    }
}

fn orgs_command(db: &Path, command: OrgsCommand) -> Result<(), String> {
    match command {
        OrgsCommand::Create { id, name } => {
            if !ids::is_valid_org_id(&id) {
                return Err("an organisation id is 1 to 64 letters, digits, '_' or '-'".into());
            }
            change(db, |conn, now| {
                orgs::create(conn, &id, name.as_deref().unwrap_or(&id), now)
            })?;
            println!("created organisation {id}");
        }
        OrgsCommand::List => {
            let conn = open(db)?;
            for (id, name, created_at) in orgs::list(&conn).map_err(|e| e.to_string())? {
                println!("{id}\t{name}\t{created_at}");
            }
        }
    }
    Ok(())
}

fn keys_command(db: &Path, command: KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Create {
            org,
            name,
            scopes,
            expires_in,
        } => {
            let scopes = scopes
                .as_deref()
                .map_or(Ok(Scopes::ALL), Scopes::parse_list)?;
            let expires_at = expires_in.as_deref().map(expiry).transpose()?;
            let key = Credential::generate(Kind::ApiKey);
            change(db, |conn, now| {
                require_org(conn, &org)?;
                let new = NewKey {
                    organization_id: &org,
                    name: &name,
                    scopes,
                    expires_at,
                };
                credentials::create_key(conn, &key, &new, now)
            })?;
            eprintln!("API key for {org} (scopes: {scopes}); the secret is shown only now:");
            println!("{key}");
        }
        KeysCommand::List { org } => {
            let conn = open(db)?;
            println!("key_id\tname\tscopes\tcreated_at\texpires_at\trevoked_at");
            for key in credentials::list_keys(&conn, &org).map_err(|e| e.to_string())? {
                let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    key.key_id,
                    key.name,
                    key.scopes,
                    key.created_at,
                    or_dash(key.expires_at),
                    or_dash(key.revoked_at)
                );
            }
        }
        KeysCommand::Revoke { key_id } => {
            let key_id = key_id
                .trim_start_matches("ak_")
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string();
            change(db, |conn, now| {
                credentials::revoke(conn, Kind::ApiKey, &key_id, now)
            })
            .map_err(|e| {
                if e == "not found" {
                    format!("no live key {key_id}")
                } else {
                    e
                }
            })?;
            println!("revoked key {key_id}");
        }
    }
    Ok(())
}

fn users_command(db: &Path, command: UsersCommand) -> Result<(), String> {
    match command {
        UsersCommand::Create { name } => {
            if name.trim().is_empty() {
                return Err("a user name cannot be empty".into());
            }
            change(db, |conn, now| credentials::create_user(conn, &name, now))?;
            println!("created user {name}");
        }
        UsersCommand::AddMember { name, org, role } => {
            let role: Role = role.parse()?;
            change(db, |conn, _| {
                require_org(conn, &org)?;
                credentials::set_membership(conn, &name, &org, role)
            })?;
            println!("{name} is now {} of {org}", role.as_str());
        }
        UsersCommand::RemoveMember { name, org } => {
            change(db, |conn, _| {
                credentials::remove_membership(conn, &name, &org)
            })
            .map_err(|e| {
                if e == "not found" {
                    format!("{name} is not a member of {org}")
                } else {
                    e
                }
            })?;
            println!("{name} is no longer a member of {org}");
        }
    }
    Ok(())
}

fn tokens_command(db: &Path, command: TokensCommand) -> Result<(), String> {
    match command {
        TokensCommand::Create {
            user,
            scopes,
            expires_in,
        } => {
            let scopes = scopes.as_deref().map(Scopes::parse_list).transpose()?;
            let expires_at = expires_in.as_deref().map(expiry).transpose()?;
            let token = Credential::generate(Kind::PersonalToken);
            change(db, |conn, now| {
                credentials::create_token(conn, &token, &user, scopes, expires_at, now)
            })?;
            eprintln!(
                "personal access token for {user}; send X-Anyreach-Org with it. The secret is shown only now:"
            );
            println!("{token}");
        }
        TokensCommand::Revoke { token_id } => {
            let token_id = token_id
                .trim_start_matches("pat_")
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string();
            change(db, |conn, now| {
                credentials::revoke(conn, Kind::PersonalToken, &token_id, now)
            })
            .map_err(|e| {
                if e == "not found" {
                    format!("no live token {token_id}")
                } else {
                    e
                }
            })?;
            println!("revoked token {token_id}");
        }
    }
    Ok(())
}

/// `30d`, `12h`, `90m`, `1h30m` … from now, as a stored instant.
fn expiry(text: &str) -> Result<String, String> {
    let span: jiff::Span = text.parse().map_err(|e| {
        format!("--expires-in '{text}' is not a duration like 30d, 12h or 90m: {e}")
    })?;
    let at = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(span)
        .map_err(|e| format!("--expires-in '{text}': {e}"))?;
    Ok(time::format(time::truncate_ms(at.timestamp())))
}

/// `campaignd import`: the CSV import on the database directly, one transaction, with progress
/// on a terminal.
fn import_command(db: &Path, args: ImportArgs) -> Result<(), String> {
    use crate::domain::phone::Region;
    use crate::import;
    use crate::store::contacts::{self, ImportMode, Scope};
    use std::io::{IsTerminal, Write};

    let body = std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let csv = import::parse(&body).map_err(|p| format!("{}: {}", args.file.display(), p.msg))?;
    let mut conn = open(db)?;
    let fail = |e: StoreError| e.to_string();
    let (scope, region) = if args.campaign == "default" {
        (
            Scope {
                org: args.org.clone(),
                campaign_id: None,
            },
            None,
        )
    } else {
        let campaign = crate::store::campaigns::resolve(&conn, &args.org, &args.campaign)
            .map_err(fail)?
            .ok_or_else(|| {
                format!(
                    "no campaign '{}' in organisation '{}'",
                    args.campaign, args.org
                )
            })?;
        if campaign.status == crate::domain::status::CampaignStatus::Closed {
            return Err(contacts::CLOSED_CAMPAIGN.into());
        }
        let configuration =
            crate::store::configurations::get(&conn, &args.org, &campaign.configuration_id)
                .map_err(fail)?
                .ok_or("the campaign's configuration is missing")?;
        let region = Region::parse(&configuration.default_country_code);
        (
            Scope {
                org: args.org.clone(),
                campaign_id: Some(campaign.id),
            },
            region,
        )
    };
    let (items, row_errors) = import::items(&csv, region);
    let (lines, writes): (Vec<u64>, Vec<_>) = items.into_iter().unzip();

    let progress = std::io::stderr().is_terminal();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    let mut outcomes = Vec::with_capacity(writes.len());
    for chunk in writes.chunks(2_000) {
        let applied = contacts::import(&tx, &scope, chunk, ImportMode::SkipInvalid, time::now())
            .map_err(fail)?;
        outcomes.extend(applied);
        if progress {
            eprint!("\rimporting: {} of {} rows", outcomes.len(), writes.len());
            let _ = std::io::stderr().flush();
        }
    }
    if progress {
        eprintln!();
    }
    let applied: Vec<_> = lines.into_iter().zip(outcomes).collect();
    let report = import::Report::new(&csv, args.dry_run, row_errors, &applied);
    let keep = !args.dry_run && (args.skip_invalid || report.error_count == 0);
    if keep {
        tx.commit().map_err(|e| e.to_string())?;
    }
    for error in &report.errors {
        let column = error
            .column
            .as_deref()
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        eprintln!("line {}{column}: {}", error.line, error.msg);
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("a report serialises")
    );
    match (keep, args.dry_run) {
        (true, _) | (false, true) => Ok(()),
        (false, false) => Err(format!(
            "{} problem(s); nothing was imported (fix them, or use --skip-invalid)",
            report.error_count
        )),
    }
}

/// `campaignd backup PATH`: the online backup, with progress on a terminal.
fn backup_command(db: &Path, args: BackupArgs) -> Result<(), String> {
    use std::io::{IsTerminal, Write};
    let terminal = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut shown = -1;
    let backup = store::maintenance::backup(db, &args.path, args.force, |done, total| {
        let percent = if total == 0 { 100 } else { done * 100 / total };
        if terminal && percent != shown {
            shown = percent;
            let then = if done == total {
                "; integrity_check on the copy…"
            } else {
                ""
            };
            eprint!("\rbacking up: {percent}% of {total} pages{then}");
            let _ = std::io::stderr().flush();
        }
    });
    if terminal && shown >= 0 {
        eprintln!();
    }
    let backup = backup?;
    println!(
        "backed up {} to {} ({} pages, {:.1} MiB, {:.1} s); integrity_check: ok",
        db.display(),
        args.path.display(),
        backup.pages,
        backup.bytes as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `campaignd check [--repair-counters]`: prints what is wrong, one line each; exits non-zero if
/// anything is (after a repair, if only counters were wrong, it exits 0).
fn check_command(db: &Path, args: CheckArgs) -> Result<(), String> {
    use store::maintenance;
    if !db.exists() {
        return Err(format!("no database at {}", db.display()));
    }
    let started = std::time::Instant::now();
    let mut conn = store::open_connection(db).map_err(|e| format!("{}: {e}", db.display()))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if version != store::SCHEMA_VERSION {
        eprintln!(
            "note: schema version {version}; this build's is {} (serve upgrades the file)",
            store::SCHEMA_VERSION
        );
    }
    let mut report = maintenance::check(&conn).map_err(|e| e.to_string())?;
    let print = |report: &maintenance::Report| {
        for line in &report.integrity {
            println!("integrity_check: {line}");
        }
        for line in &report.foreign_keys {
            println!("foreign_key_check: {line}");
        }
        for line in &report.counters {
            println!("counter: {line}");
        }
    };
    print(&report);
    if args.repair_counters && !report.counters.is_empty() {
        let changed = maintenance::repair_counters(&mut conn).map_err(|e| e.to_string())?;
        println!("repaired: {changed} counter row(s) recomputed in one transaction");
        report = maintenance::check(&conn).map_err(|e| e.to_string())?;
        if !report.counters.is_empty() {
            print(&report);
        }
    }
    let problems = report.integrity.len() + report.foreign_keys.len() + report.counters.len();
    let seconds = started.elapsed().as_secs_f64();
    if problems == 0 {
        println!(
            "{}: ok (integrity_check, foreign_key_check, counters) in {seconds:.1} s",
            db.display()
        );
        Ok(())
    } else if report.integrity.is_empty() && report.foreign_keys.is_empty() {
        Err(format!(
            "{problems} counter(s) differ from a recount; `campaignd check --repair-counters` \
             recomputes them"
        ))
    } else {
        Err(format!(
            "{problems} problem(s) found; restore from a backup (see README, Production)"
        ))
    }
}
