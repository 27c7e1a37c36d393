//! campaignd: the Anyreach Campaigns API on one SQLite file. This is the library face: build the
//! app from a database and serve it on a listener; `main.rs` only reads the command line.

pub mod api;
pub mod cli;
pub mod config;
mod connections;
pub mod dialer;
pub mod domain;
pub mod import;
pub mod metrics;
pub mod openapi;
pub mod store;

pub use connections::raise_open_file_limit;
use domain::clock::Clock;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use store::Store;

/// How long a clean stop waits for requests in flight (docs/api.md §9).
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// Everything a request handler needs.
pub struct App {
    pub store: Store,
    pub credentials: api::auth::CredentialCache,
    /// The server's one clock: every timestamp written and every dialing decision reads it.
    pub clock: Clock,
    pub dialer: dialer::Settings,
    /// Wakes the dialing loop (a call's result came in).
    pub wake_dialer: Arc<tokio::sync::Notify>,
    pub metrics: MetricsSettings,
    /// How the placers' side reaches this server (`--public-url`, else the listen address):
    /// set when serving starts. Twilio signs its callbacks over a URL made from it.
    pub public_url: std::sync::OnceLock<String>,
    /// Calls the Twilio placer just created, for status callbacks that come before their sid
    /// is written.
    pub twilio_calls: Arc<dialer::twilio::NewCalls>,
    /// Whether this node dials (on PostgreSQL, one node of many holds the lease).
    pub leadership: Arc<dialer::leader::Leadership>,
}

/// `GET /metrics` and what it may show.
#[derive(Clone, Copy, Debug)]
pub struct MetricsSettings {
    /// Serve `/metrics` and record series (`--metrics off`: neither).
    pub enabled: bool,
    /// Per-organisation series (`--metrics-org-labels`), for a private metrics port only.
    pub org_labels: bool,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            enabled: true,
            org_labels: false,
        }
    }
}

impl App {
    /// The app that `config` describes, over `store`.
    pub fn new(store: Store, config: &config::ServeConfig) -> Arc<App> {
        if config.metrics.enabled {
            metrics::install();
        }
        Arc::new(App {
            store,
            credentials: Default::default(),
            clock: config.clock,
            dialer: config.dialer.clone(),
            wake_dialer: Default::default(),
            metrics: config.metrics,
            public_url: Default::default(),
            twilio_calls: Default::default(),
            leadership: Default::default(),
        })
    }

    /// This node runs the dialer's passes (the dialer is on and, on PostgreSQL, it holds the
    /// lease).
    pub fn leads_dialing(&self) -> bool {
        self.dialer.mode != dialer::Mode::Off && self.leadership.leads()
    }

    /// `--public-url`, else `http://<listen address>` once serving.
    pub fn public_url(&self) -> &str {
        self.public_url
            .get()
            .map_or("http://127.0.0.1:8080", String::as_str)
    }
}

/// Serves the API (and runs the dialer) on `listener` until `shutdown` completes, then stops
/// cleanly. This is the one place of the stop sequence (docs/api.md §9):
///
/// 1. stop accepting connections;
/// 2. tell everything that runs beside the server — the dialer — through the `stop` channel
///    (the dialer takes no more contacts; calls up stay as they are);
/// 3. let requests in flight finish, for at most `STOP_GRACE`;
/// 4. wait for the dialer's lease to be given up (PostgreSQL: another node takes it at once);
/// 5. flush the writer (every queued write committed) and checkpoint.
///
/// A second signal during this is the caller's business (`campaignd serve` exits at once).
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let address = listener.local_addr().ok();
    let public_url = app
        .dialer
        .public_url
        .clone()
        .unwrap_or_else(|| dialer::outbound::default_public_url(address));
    let _ = app.public_url.set(public_url);
    let lease = start_dialer(&app, stopped).await.unwrap_or_else(|error| {
        tracing::error!("the dialer did not start: {error}");
        None
    });
    let connections = connections::serve(app.clone(), listener, shutdown).await;
    tracing::info!(
        "stopping: no new connections; waiting up to {} s for requests in flight",
        STOP_GRACE.as_secs()
    );
    let _ = stop.send(true);
    if tokio::time::timeout(STOP_GRACE, connections.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {} s were cut off",
            STOP_GRACE.as_secs()
        );
    }
    // The lease is given up as soon as `stop` is sent; waited for here so that the process does
    // not end (and its runtime drop the release) before the release is written.
    if let Some(lease) = lease
        && tokio::time::timeout(STOP_GRACE, lease).await.is_err()
    {
        tracing::warn!("the dialer's lease was not released; it runs out by itself");
    }
    match app.store.flush_and_checkpoint().await {
        Ok(done) => tracing::info!("{done}"),
        Err(error) => tracing::error!("flushing the writer at stop: {error}"),
    }
}

/// Starts the dialer of the app's mode: on SQLite after ending the simulated calls the last run
/// left up; on PostgreSQL the node that takes the lease does that (`dialer::leader`). Returns the
/// task that keeps the lease: it ends once it has given the lease up at `stop`.
async fn start_dialer(
    app: &App,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Option<tokio::task::JoinHandle<()>>, String> {
    let clock = app.clock;
    let settings = app.dialer.clone();
    if settings.mode == dialer::Mode::Off {
        return Ok(None);
    }
    if app.store.dialect() == store::Dialect::Sqlite {
        dialer::leader::end_calls_of_the_last_leader(&app.store, clock).await;
    }
    let lease = tokio::spawn(dialer::leader::keep(
        app.store.clone(),
        app.leadership.clone(),
        clock,
        app.wake_dialer.clone(),
        stop.clone(),
    ));
    let (store, wake) = (app.store.clone(), app.wake_dialer.clone());
    let leadership = app.leadership.clone();
    match settings.mode {
        dialer::Mode::Off => unreachable!("checked above"),
        dialer::Mode::Simulate => {
            let simulation = settings.simulation.clone();
            dialer::start(store, leadership, clock, settings, wake, stop, |events| {
                Arc::new(dialer::simulate::Simulator::new(simulation, clock, events))
            });
        }
        dialer::Mode::Webhook => {
            let webhook = settings
                .webhook
                .clone()
                .ok_or("--dialer webhook needs --webhook-url and --webhook-secret")?;
            let public_url = app.public_url().to_string();
            let placer = dialer::webhook::Webhook::new(webhook, public_url, clock)
                .map_err(|e| e.to_string())?;
            let placer = Arc::new(placer);
            tracing::info!("{}", placer.describe());
            dialer::start(store, leadership, clock, settings, wake, stop, |_events| {
                Arc::new(dialer::webhook::Shared(placer))
            });
        }
        dialer::Mode::Twilio => {
            let twilio = settings
                .twilio
                .clone()
                .ok_or("--dialer twilio needs the --twilio-… flags")?;
            let new_calls = app.twilio_calls.clone();
            let placer = dialer::twilio::Twilio::new(twilio, app.public_url(), clock, new_calls)
                .map_err(|e| e.to_string())?;
            let placer = Arc::new(placer);
            tracing::info!("{}", placer.describe());
            dialer::start(store, leadership, clock, settings, wake, stop, |_events| {
                Arc::new(dialer::twilio::Shared(placer))
            });
        }
    }
    Ok(Some(lease))
}

/// The version line of `campaignd --version`: ours, the phone metadata's and the tz database's.
pub fn version_text() -> String {
    format!(
        "campaignd {}\nphone metadata: {}\ntz database: {}\nschema version: {}",
        env!("CARGO_PKG_VERSION"),
        domain::phone::METADATA_VERSION,
        domain::time::tzdb_version(),
        store::SCHEMA_VERSION,
    )
}
