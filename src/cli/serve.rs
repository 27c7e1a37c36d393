//! `campaignd serve`: start-up (the first key, logging, signals), then the server until a signal.

use super::Location;
use super::{CliError, CliResult};
use crate::config::{ServeArgs, ServeConfig};
use crate::dialer::{self, Mode};
use crate::domain::clock::Clock;
use crate::domain::credential::{Credential, Kind};
use crate::domain::scope::Scopes;
use crate::store::credentials::{self, NewKey};
use crate::store::postgres::PostgresStore;
use crate::store::{self, SqliteStore, Store, orgs};

pub(super) fn serve(location: &Location, args: &ServeArgs) -> CliResult<()> {
    init_logging();
    let config = args.resolve()?;
    if let Location::Postgres(_) = location {
        refuse_sqlite_only(&config)?;
    }
    // After the flags are checked: a refused flag is the one line printed (docs/api.md §8.1).
    crate::raise_open_file_limit();
    // Blocking work (reads on the pool of READERS connections, phone normalisation) gains nothing
    // from more threads than that on a small machine, and each idle thread keeps its allocator
    // heap and its phone-pattern cache: tokio's default of 512 let the memory grow past 1 GB.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(16)
        .enable_all()
        .build()
        .map_err(|e| CliError::refused(format!("starting the runtime: {e}")))?;
    // The ephemeral database lives in a temporary folder that is removed when this returns.
    let ephemeral_dir = config
        .ephemeral
        .then(tempfile::tempdir)
        .transpose()
        .map_err(|e| CliError::refused(format!("creating a temporary database: {e}")))?;
    let (store, where_, _lock) = match location {
        Location::File(db) => {
            let db = ephemeral_dir
                .as_ref()
                .map_or(db.to_path_buf(), |dir| dir.path().join("campaignd.db"));
            // One server per database (docs/api.md §9); held until this function returns.
            let lock = store::maintenance::lock_server(&db)?;
            let store = SqliteStore::open_with(&db, config.synchronous, config.checkpoint)?;
            let where_ = if ephemeral_dir.is_some() {
                "an ephemeral database".to_string()
            } else {
                db.display().to_string()
            };
            (Store::sqlite(store), where_, Some(lock))
        }
        Location::Postgres(url) => {
            let store = runtime.block_on(PostgresStore::connect(url))?;
            let where_ = format!("PostgreSQL at {}", store.at());
            (Store::postgres(store), where_, None)
        }
    };
    let bootstrap_store = store.clone();
    runtime.block_on(bootstrap(&bootstrap_store, &config))?;

    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| CliError::refused(format!("cannot listen on {}: {e}", config.listen)))?;
        let address = listener
            .local_addr()
            .map_err(|e| CliError::refused(e.to_string()))?;
        tracing::info!("campaignd listening on http://{address} with {where_}");
        if config.checkpoint == store::Checkpoint::External {
            tracing::info!("checkpoints left to an external process (--checkpoint external)");
        }
        log_dialer(&config.dialer, &config.clock);
        let app = crate::App::new(store, &config);
        crate::serve(app, listener, shutdown_signal()).await;
        tracing::info!("campaignd stopped");
        Ok(())
    });
    // Blocking tasks still running (a reader behind a cut-off request) get a moment, not more.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

/// What only the embedded SQLite database can do, refused with PostgreSQL (the fast clock is
/// refused already: it needs `--ephemeral`).
fn refuse_sqlite_only(config: &ServeConfig) -> CliResult<()> {
    if config.ephemeral {
        return Err(CliError::refused(
            "--ephemeral makes a throw-away SQLite file; it cannot be used with --database-url",
        ));
    }
    Ok(())
}

/// Says at start-up who places calls, and how to change it.
fn log_dialer(dialer: &dialer::Settings, clock: &Clock) {
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
async fn bootstrap(store: &Store, config: &ServeConfig) -> CliResult<()> {
    let now = config.clock.now_text();
    let bootstrap_key = config.bootstrap_key.clone();
    // One write: nodes that start together on one PostgreSQL database create one key.
    let created = store
        .write(move |tx| {
            let default_org = orgs::default_org();
            let empty = orgs::is_empty(tx)?;
            if empty {
                orgs::create(tx, &default_org, "Default organization", &now)?;
            }
            let key = match &bootstrap_key {
                Some(key) if credentials::key_exists(tx, &key.id)? => return Ok(None),
                Some(key) => key.clone(),
                None if empty => Credential::generate(Kind::ApiKey),
                None => return Ok(None),
            };
            if !orgs::exists(tx, &default_org)? {
                orgs::create(tx, &default_org, "Default organization", &now)?;
            }
            let new = NewKey {
                organization_id: &default_org,
                name: "bootstrap",
                scopes: Scopes::ALL,
                expires_at: None,
            };
            credentials::create_key(tx, &key, &new, &now)?;
            Ok(Some(key))
        })
        .await?;
    if let Some(key) = created {
        let listen = config.listen;
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
