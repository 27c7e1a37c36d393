//! The command line (and its environment variables) → one validated configuration.

use crate::MetricsSettings;
use crate::dialer::{self, Mode, simulate, webhook};
use crate::domain::clock::{self, Clock};
use crate::domain::credential::{Credential, Kind};
use crate::store::{Checkpoint, Synchronous};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// A refused command-line value: one line that names the flag and its rule (never a secret).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl From<String> for ConfigError {
    fn from(text: String) -> Self {
        ConfigError(text)
    }
}

impl From<&str> for ConfigError {
    fn from(text: &str) -> Self {
        ConfigError(text.to_string())
    }
}

/// Everything `serve` runs with, checked: what `ServeArgs` resolve to.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// A throw-away database, removed at exit.
    pub ephemeral: bool,
    pub synchronous: Synchronous,
    pub checkpoint: Checkpoint,
    /// `org_default`'s first key, when the user chose it.
    pub bootstrap_key: Option<Credential>,
    /// The server's one clock.
    pub clock: Clock,
    pub dialer: dialer::Settings,
    pub metrics: MetricsSettings,
}

impl Default for ServeConfig {
    /// A server on the real clock with the dialer off: what tests and benchmarks start from.
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            ephemeral: false,
            synchronous: Synchronous::Full,
            checkpoint: Checkpoint::Auto,
            bootstrap_key: None,
            clock: Clock::real(),
            dialer: dialer::Settings::default(),
            metrics: MetricsSettings::default(),
        }
    }
}

/// campaignd — the Anyreach Campaigns API, self-hosted on one SQLite file.
#[derive(Debug, Parser)]
#[command(name = "campaignd", disable_version_flag = true)]
pub struct Cli {
    /// The SQLite database file (created on first use). Admin commands may use it while a server runs.
    #[arg(
        long,
        global = true,
        env = "CAMPAIGND_DB",
        default_value = "campaignd.db"
    )]
    pub db: PathBuf,

    /// Print the version, the phone metadata version and the tz database version.
    #[arg(short = 'V', long)]
    pub version: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve(ServeArgs),
    /// Manage organisations.
    #[command(subcommand)]
    Orgs(OrgsCommand),
    /// Manage organisation API keys (`ak_…`).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage users and their organisation memberships.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage personal access tokens (`pat_…`).
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Import contacts from a CSV file into a campaign, directly on the database (the rules of POST …/contacts/import).
    Import(ImportArgs),
    /// Copy the database to PATH while the server runs (SQLite's online backup), verified with
    /// integrity_check before it says done. The copy is one self-contained file.
    Backup(BackupArgs),
    /// Check the database: integrity_check, foreign_key_check, and every stored counter against
    /// a recount. Exits non-zero with the list of what is wrong.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy (a new file).
    pub path: PathBuf,
    /// Replace PATH if it exists (only once the new copy is complete and verified).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Recompute every stored counter from the rows, in one transaction (safe beside a running
    /// server, whose writes wait for it).
    #[arg(long)]
    pub repair_counters: bool,
}

/// `on` or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file: headers first, UTF-8, comma-separated.
    pub file: PathBuf,
    /// Campaign id or external_id, or `default` for ad-hoc contacts.
    #[arg(long)]
    pub campaign: String,
    /// The organisation that owns the campaign.
    #[arg(long)]
    pub org: String,
    /// Report what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the valid rows and report the others (default: all or nothing).
    #[arg(long)]
    pub skip_invalid: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CAMPAIGND_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Run on a throw-away database that is deleted at exit (tests, mocks). Ignores --db.
    #[arg(long)]
    pub ephemeral: bool,

    /// `full`: every answered write survives a power loss (one fsync per commit).
    /// `normal`: survives a crash of campaignd, may lose the last commits on power loss; faster.
    #[arg(
        long,
        env = "CAMPAIGND_SYNCHRONOUS",
        value_enum,
        default_value = "full"
    )]
    pub synchronous: Synchronous,

    /// Use this `ak_<id>.<secret>` (secret ≥ 32 characters) as the first key of `org_default`
    /// instead of generating one; it is created if missing. For CI jobs that need a known key.
    #[arg(long, env = "CAMPAIGND_BOOTSTRAP_KEY")]
    pub bootstrap_key: Option<String>,

    /// Who places the calls: `off` (no calls; contacts stay pending), `simulate` (simulated calls),
    /// `webhook` (your telephony). Default: `simulate` with --ephemeral, else `off`.
    #[arg(long, env = "CAMPAIGND_DIALER", value_enum)]
    pub dialer: Option<Mode>,

    /// Calls up at once over all organisations (1–100000).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub global_concurrency: i64,

    /// An attempt still in progress after this many minutes ends with outcome `failed` (1–10080).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(i64).range(1..=10_080))]
    pub max_call_minutes: i64,

    /// Weights of the simulated outcomes (answered, voicemail, no_answer, busy, failed); an
    /// outcome not named weighs 0.
    #[arg(long, default_value = "answered=60,no_answer=25,busy=10,voicemail=5")]
    pub sim_outcomes: simulate::OutcomeWeights,

    /// A simulated call lasts a uniformly drawn number of seconds in MIN-MAX (`0-0` allowed).
    #[arg(long, default_value = "5-60")]
    pub sim_call_seconds: simulate::CallSeconds,

    /// Seed of the simulator's draws: the same seed and inputs give the same calls.
    #[arg(long)]
    pub sim_seed: Option<u64>,

    /// `GET /metrics` (Prometheus text format, no credential): `on` or `off`.
    #[arg(long, env = "CAMPAIGND_METRICS", value_enum, default_value = "on")]
    pub metrics: Switch,

    /// Add per-organisation series (labelled with organisation ids) to /metrics. Only where the
    /// metrics endpoint is private: /metrics needs no credential.
    #[arg(long, env = "CAMPAIGND_METRICS_ORG_LABELS")]
    pub metrics_org_labels: bool,

    /// Who checkpoints the WAL: `auto` (campaignd), or `external` when Litestream replicates the
    /// database (campaignd then never checkpoints, so Litestream sees every WAL frame).
    #[arg(long, env = "CAMPAIGND_CHECKPOINT", value_enum, default_value = "auto")]
    pub checkpoint: Checkpoint,
    /// With --dialer webhook: the http(s) URL of your telephony bridge, which gets each call as
    /// a signed POST (docs/telephony.md).
    #[arg(long, env = "CAMPAIGND_WEBHOOK_URL")]
    pub webhook_url: Option<String>,

    /// With --dialer webhook: the Standard Webhooks secret that signs each delivery,
    /// `whsec_<base64 of 24–64 random bytes>` (e.g. whsec_$(openssl rand -base64 32)).
    #[arg(long, env = "CAMPAIGND_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,

    /// How your telephony bridge reaches campaignd: the base of each call's `result_url`
    /// (default: http://<listen address>).
    #[arg(long, env = "CAMPAIGND_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Only with --ephemeral: campaignd's clock starts at this RFC 3339 instant (default: now).
    #[arg(long)]
    pub clock_start: Option<jiff::Timestamp>,

    /// Only with --ephemeral: campaignd's clock runs this many times faster (1–3600); with 600 a
    /// week of a campaign passes in about 17 minutes.
    #[arg(long)]
    pub clock_speed: Option<f64>,
}

impl ServeArgs {
    /// Checks every flag and resolves them into the configuration `serve` runs with.
    pub fn resolve(&self) -> Result<ServeConfig, ConfigError> {
        let bootstrap_key = self
            .bootstrap_key
            .as_deref()
            .map(|text| match Credential::parse(text) {
                Some(key) if key.kind == Kind::ApiKey && key.is_strong() => Ok(key),
                _ => Err(ConfigError::from(
                    "--bootstrap-key must look like ak_<id>.<secret>, with a secret of at least \
                     32 letters, digits, '_' or '-'",
                )),
            })
            .transpose()?;
        Ok(ServeConfig {
            listen: self.listen,
            ephemeral: self.ephemeral,
            synchronous: self.synchronous,
            checkpoint: self.checkpoint,
            bootstrap_key,
            clock: self.clock()?,
            dialer: self.dialer()?,
            metrics: self.metrics(),
        })
    }

    /// The server's clock; a moved or sped-up clock only on a throw-away database.
    fn clock(&self) -> Result<Clock, ConfigError> {
        if !self.ephemeral && (self.clock_start.is_some() || self.clock_speed.is_some()) {
            return Err(
                "--clock-start and --clock-speed need --ephemeral: a database must never \
                hold timestamps from a clock other than the real one"
                    .into(),
            );
        }
        let speed = self.clock_speed.unwrap_or(1.0);
        if !(1.0..=clock::MAX_SPEED).contains(&speed) {
            return Err(format!(
                "--clock-speed must be a number from 1 to {}",
                clock::MAX_SPEED
            )
            .into());
        }
        Ok(match (self.clock_start, self.clock_speed) {
            (None, None) => Clock::real(),
            (start, _) => Clock::started(start.unwrap_or_else(jiff::Timestamp::now), speed),
        })
    }

    fn metrics(&self) -> MetricsSettings {
        MetricsSettings {
            enabled: self.metrics == Switch::On,
            org_labels: self.metrics_org_labels,
        }
    }

    fn dialer(&self) -> Result<dialer::Settings, ConfigError> {
        let default_mode = if self.ephemeral {
            Mode::Simulate
        } else {
            Mode::Off
        };
        let mode = self.dialer.unwrap_or(default_mode);
        Ok(dialer::Settings {
            mode,
            global_concurrency: self.global_concurrency,
            max_call: jiff::SignedDuration::from_mins(self.max_call_minutes),
            simulation: simulate::Settings {
                outcomes: self.sim_outcomes.clone(),
                call_seconds: self.sim_call_seconds,
                seed: self.sim_seed,
            },
            webhook: self.webhook(mode)?,
        })
    }

    /// The webhook placer's settings: checked whenever given, required with `--dialer webhook`.
    /// A refused secret is never echoed.
    fn webhook(&self, mode: Mode) -> Result<Option<webhook::Settings>, ConfigError> {
        let url = self
            .webhook_url
            .as_deref()
            .map(|text| webhook::parse_url(text).map_err(|e| format!("--webhook-url {e}")))
            .transpose()?;
        let secret = self
            .webhook_secret
            .as_deref()
            .map(|text| {
                text.parse::<webhook::Secret>()
                    .map_err(|e| format!("--webhook-secret {e}"))
            })
            .transpose()?;
        let public_url = self
            .public_url
            .as_deref()
            .map(|text| webhook::parse_public_url(text).map_err(|e| format!("--public-url {e}")))
            .transpose()?;
        match (url, secret) {
            (Some(url), Some(secret)) => Ok(Some(webhook::Settings {
                url,
                secret,
                public_url,
            })),
            _ if mode != Mode::Webhook => Ok(None),
            (None, _) => Err(
                "--dialer webhook needs --webhook-url URL (or CAMPAIGND_WEBHOOK_URL): \
                where your telephony bridge takes calls"
                    .into(),
            ),
            (_, None) => Err("--dialer webhook needs --webhook-secret whsec_… (or \
                CAMPAIGND_WEBHOOK_SECRET): the Standard Webhooks secret that signs deliveries, \
                e.g. whsec_$(openssl rand -base64 32)"
                .into()),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum OrgsCommand {
    /// Create an organisation.
    Create {
        id: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// List organisations.
    List,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key and print its secret (shown once).
    Create {
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Comma-separated scopes (default: all four).
        #[arg(long)]
        scopes: Option<String>,
        /// Lifetime such as `30d`, `12h`, `90m` (default: no expiry).
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// List an organisation's keys (never their secrets).
    List {
        #[arg(long)]
        org: String,
    },
    /// Revoke a key by its id (the part between `ak_` and the dot).
    Revoke { key_id: String },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user.
    Create { name: String },
    /// Make the user a member of an organisation, or change their role there.
    AddMember {
        name: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        role: String,
    },
    /// Remove the user from an organisation.
    RemoveMember {
        name: String,
        #[arg(long)]
        org: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create a personal access token and print its secret (shown once).
    Create {
        #[arg(long)]
        user: String,
        /// Comma-separated scopes that narrow the user's role (default: the role's scopes).
        #[arg(long)]
        scopes: Option<String>,
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// Revoke a token by its id (the part between `pat_` and the dot).
    Revoke { token_id: String },
}
