//! The command line (and its environment variables) → one validated configuration.

use crate::MetricsSettings;
use crate::dialer::{self, Mode, outbound, simulate, twilio, webhook};
use crate::domain::clock::{self, Clock};
use crate::domain::credential::{Credential, Kind};
use crate::domain::twilio as ids;
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
    /// The SQLite database file (created on first use; default campaignd.db). Admin commands may
    /// use it while a server runs.
    #[arg(long, global = true, env = "CAMPAIGND_DB")]
    pub db: Option<PathBuf>,

    /// A PostgreSQL database instead of the SQLite file, for several nodes:
    /// postgres://user:password@host:port/database?sslmode=disable|prefer|require|verify-ca|verify-full
    #[arg(
        long,
        global = true,
        env = "CAMPAIGND_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Print the version, the phone metadata version and the tz database version.
    #[arg(short = 'V', long)]
    pub version: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

// Parsed once at start-up: the size of `Serve`'s flags costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
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
    /// Copy everything (organisations, keys, users, tokens, configurations, campaigns, contacts,
    /// attempts, counters) from one database to another, SQLite or PostgreSQL either way, so that
    /// ids, timestamps, cursors and credentials stay valid. Reads one consistent snapshot (safe
    /// while a server runs on the source); writes the target in one transaction; refuses a target
    /// that holds data; verifies row counts and counters before it commits. The two databases
    /// are named by --from and --to, not by --db or --database-url.
    Copy(CopyArgs),
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

/// `campaignd copy --from … --to …`. Both are read as text (a path, or a PostgreSQL URL) and
/// checked by the command, so that a missing one is refused in one line.
#[derive(Args)]
pub struct CopyArgs {
    /// The database to copy: an SQLite file path, or
    /// postgres://user:password@host:port/database?sslmode=… (postgresql:// too). Not changed.
    #[arg(long, value_name = "SQLITE_PATH|POSTGRES_URL")]
    pub from: Option<String>,
    /// The database to copy into, which must hold no data: an SQLite file path (created if
    /// missing) or a PostgreSQL URL (the schema is created as `serve` would).
    #[arg(long, value_name = "SQLITE_PATH|POSTGRES_URL")]
    pub to: Option<String>,
}

impl std::fmt::Debug for CopyArgs {
    /// URLs may carry a password: `Debug` shows whether each side is given, never its text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |side: &Option<String>| side.as_ref().map(|_| "…");
        f.debug_struct("CopyArgs")
            .field("from", &given(&self.from))
            .field("to", &given(&self.to))
            .finish()
    }
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
    /// `webhook` (your telephony), `twilio` (Twilio's API, or one that copies it).
    /// Default: `simulate` with --ephemeral, else `off`.
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

    /// How your telephony bridge, or Twilio, reaches campaignd: the base of each call's
    /// `result_url` and of Twilio's status callbacks, exactly as they see it (default:
    /// http://<listen address>).
    #[arg(long, env = "CAMPAIGND_PUBLIC_URL")]
    pub public_url: Option<String>,

    #[command(flatten)]
    pub twilio: TwilioArgs,

    /// Only with --ephemeral: campaignd's clock starts at this RFC 3339 instant (default: now).
    #[arg(long)]
    pub clock_start: Option<jiff::Timestamp>,

    /// Only with --ephemeral: campaignd's clock runs this many times faster (1–3600); with 600 a
    /// week of a campaign passes in about 17 minutes.
    #[arg(long)]
    pub clock_speed: Option<f64>,
}

/// `--dialer twilio` (docs/telephony.md, "Twilio"). Read as text and checked here, so that every
/// refusal is one line naming the flag, and a secret is never echoed (nor shown by `Debug`).
#[derive(Args)]
pub struct TwilioArgs {
    /// With --dialer twilio: the account SID (AC…), in the path of every API request.
    #[arg(long, env = "CAMPAIGND_TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,

    /// With --dialer twilio: the auth token. Authenticates campaignd's requests (unless an API
    /// key is given) and verifies Twilio's status callbacks.
    #[arg(long, env = "CAMPAIGND_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<String>,

    /// An API key (SK…) to authenticate the requests instead of the auth token; needs
    /// --twilio-api-secret.
    #[arg(long, env = "CAMPAIGND_TWILIO_API_KEY")]
    pub twilio_api_key: Option<String>,

    /// The API key's secret.
    #[arg(long, env = "CAMPAIGND_TWILIO_API_SECRET", hide_env_values = true)]
    pub twilio_api_secret: Option<String>,

    /// The caller id (+E.164) when neither the contact nor its configuration has an agent_number.
    #[arg(long, env = "CAMPAIGND_TWILIO_FROM")]
    pub twilio_from: Option<String>,

    /// What Twilio runs when a call connects: the URL of your TwiML (your voice agent); the
    /// attempt's ids are added to its query. Or --twilio-application-sid.
    #[arg(long, env = "CAMPAIGND_TWILIO_URL")]
    pub twilio_url: Option<String>,

    /// What Twilio runs when a call connects: a TwiML application (AP…). Or --twilio-url.
    #[arg(long, env = "CAMPAIGND_TWILIO_APPLICATION_SID")]
    pub twilio_application_sid: Option<String>,

    /// Answering-machine detection: `off`, `enable` (machines end as `voicemail`) or
    /// `detect-message-end` (the same, once the greeting ended). Default: enable.
    #[arg(long, env = "CAMPAIGND_TWILIO_MACHINE_DETECTION")]
    pub twilio_machine_detection: Option<String>,

    /// Seconds to let a phone ring before it is no answer (5–600; Twilio's Timeout). Default: 30.
    #[arg(long, env = "CAMPAIGND_TWILIO_RING_SECONDS")]
    pub twilio_ring_seconds: Option<String>,

    /// The API's base URL: another vendor's compatible API, or a test double.
    /// Default: https://api.twilio.com.
    #[arg(long, env = "CAMPAIGND_TWILIO_API_BASE")]
    pub twilio_api_base: Option<String>,
}

impl std::fmt::Debug for TwilioArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |secret: &Option<String>| secret.as_ref().map(|_| "…");
        f.debug_struct("TwilioArgs")
            .field("twilio_account_sid", &self.twilio_account_sid)
            .field("twilio_auth_token", &hidden(&self.twilio_auth_token))
            .field("twilio_api_key", &self.twilio_api_key)
            .field("twilio_api_secret", &hidden(&self.twilio_api_secret))
            .field("twilio_from", &self.twilio_from)
            .field("twilio_url", &self.twilio_url)
            .field("twilio_application_sid", &self.twilio_application_sid)
            .field("twilio_machine_detection", &self.twilio_machine_detection)
            .field("twilio_ring_seconds", &self.twilio_ring_seconds)
            .field("twilio_api_base", &self.twilio_api_base)
            .finish()
    }
}

/// A refused `--twilio-…` value: the flag and why (a secret's value never appears).
#[derive(Debug, thiserror::Error)]
pub enum TwilioFlagError {
    #[error("{flag} {error}")]
    Id {
        flag: &'static str,
        error: ids::Invalid,
    },
    #[error("{flag} {error}")]
    Url {
        flag: &'static str,
        error: outbound::UrlError,
    },
    #[error("{flag} must be a valid phone number with + and its country code: {why}")]
    From { flag: &'static str, why: String },
    #[error("{flag} must be {rule}")]
    Rule {
        flag: &'static str,
        rule: &'static str,
    },
    #[error("--dialer twilio needs {flag} (or {env}): {what}")]
    Missing {
        flag: &'static str,
        env: &'static str,
        what: &'static str,
    },
}

impl TwilioArgs {
    /// The placer's settings: every value given is checked; `None` unless the account, the
    /// token and what to run are all given (required with `--dialer twilio`).
    pub fn settings(&self, mode: Mode) -> Result<Option<twilio::Settings>, TwilioFlagError> {
        use TwilioFlagError as E;
        let id = |flag: &'static str,
                  text: &Option<String>,
                  parse: fn(&str) -> Result<String, ids::Invalid>| {
            text.as_deref()
                .map(|t| parse(t).map_err(|error| E::Id { flag, error }))
                .transpose()
        };
        let secret = |flag: &'static str, text: &Option<String>| {
            text.as_deref()
                .map(|t| ids::Secret::parse(t).map_err(|error| E::Id { flag, error }))
                .transpose()
        };
        let account_sid = id(
            "--twilio-account-sid",
            &self.twilio_account_sid,
            ids::parse_account_sid,
        )?;
        let auth_token = secret("--twilio-auth-token", &self.twilio_auth_token)?;
        let api_key = id("--twilio-api-key", &self.twilio_api_key, ids::parse_api_key)?;
        let api_secret = secret("--twilio-api-secret", &self.twilio_api_secret)?;
        let application = id(
            "--twilio-application-sid",
            &self.twilio_application_sid,
            ids::parse_application_sid,
        )?;
        let url = self
            .twilio_url
            .as_deref()
            .map(|t| {
                twilio::parse_twiml_url(t).map_err(|error| E::Url {
                    flag: "--twilio-url",
                    error,
                })
            })
            .transpose()?;
        let api_base = self
            .twilio_api_base
            .as_deref()
            .map(|t| {
                twilio::parse_api_base(t).map_err(|error| E::Url {
                    flag: "--twilio-api-base",
                    error,
                })
            })
            .transpose()?;
        let from = self
            .twilio_from
            .as_deref()
            .map(|text| {
                crate::domain::phone::normalise(text, None)
                    .map(String::from)
                    .map_err(|why| E::From {
                        flag: "--twilio-from",
                        why,
                    })
            })
            .transpose()?;
        let machine_detection = match self.twilio_machine_detection.as_deref() {
            None | Some("enable") => twilio::MachineDetection::Enable,
            Some("off") => twilio::MachineDetection::Off,
            Some("detect-message-end") => twilio::MachineDetection::DetectMessageEnd,
            Some(_) => {
                return Err(E::Rule {
                    flag: "--twilio-machine-detection",
                    rule: "off, enable or detect-message-end",
                });
            }
        };
        let ring_seconds = match self.twilio_ring_seconds.as_deref() {
            None => 30,
            Some(text) => text
                .parse::<u16>()
                .ok()
                .filter(|n| (5..=600).contains(n))
                .ok_or(E::Rule {
                    flag: "--twilio-ring-seconds",
                    rule: "a whole number of seconds from 5 to 600",
                })?,
        };
        let api_key = match (api_key, api_secret) {
            (Some(key), Some(secret)) => Some((key, secret)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(E::Rule {
                    flag: "--twilio-api-key",
                    rule: "given with --twilio-api-secret (or CAMPAIGND_TWILIO_API_SECRET)",
                });
            }
            (None, Some(_)) => {
                return Err(E::Rule {
                    flag: "--twilio-api-secret",
                    rule: "given with --twilio-api-key (or CAMPAIGND_TWILIO_API_KEY)",
                });
            }
        };
        let target = match (url, application) {
            (Some(_), Some(_)) => {
                return Err(E::Rule {
                    flag: "--twilio-url",
                    rule: "given without --twilio-application-sid: exactly one says what a call runs",
                });
            }
            (Some(url), None) => Some(twilio::Target::Url(url)),
            (None, Some(sid)) => Some(twilio::Target::Application(sid)),
            (None, None) => None,
        };
        match (account_sid, auth_token, target) {
            (Some(account_sid), Some(auth_token), Some(target)) => Ok(Some(twilio::Settings {
                account_sid,
                auth_token,
                api_key,
                from,
                target,
                machine_detection,
                ring_seconds,
                api_base: api_base.unwrap_or_else(|| {
                    reqwest::Url::parse("https://api.twilio.com").expect("a URL")
                }),
            })),
            _ if mode != Mode::Twilio => Ok(None),
            (None, _, _) => Err(E::Missing {
                flag: "--twilio-account-sid AC…",
                env: "CAMPAIGND_TWILIO_ACCOUNT_SID",
                what: "your Twilio account",
            }),
            (_, None, _) => Err(E::Missing {
                flag: "--twilio-auth-token",
                env: "CAMPAIGND_TWILIO_AUTH_TOKEN",
                what: "your account's auth token, which also verifies Twilio's status callbacks",
            }),
            (_, _, None) => Err(E::Missing {
                flag: "--twilio-url URL or --twilio-application-sid AP…",
                env: "CAMPAIGND_TWILIO_URL or CAMPAIGND_TWILIO_APPLICATION_SID",
                what: "the TwiML (your voice agent) that a call runs when it connects",
            }),
        }
    }
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
        let public_url = self
            .public_url
            .as_deref()
            .map(|text| outbound::parse_public_url(text).map_err(|e| format!("--public-url {e}")))
            .transpose()?;
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
            twilio: self.twilio.settings(mode).map_err(|e| e.to_string())?,
            public_url,
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
        match (url, secret) {
            (Some(url), Some(secret)) => Ok(Some(webhook::Settings { url, secret })),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_twilio_secrets() {
        let token = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
        let secret = "the-api-secret-0123456789";
        let cli = Cli::try_parse_from([
            "campaignd",
            "serve",
            "--twilio-auth-token",
            token,
            "--twilio-api-secret",
            secret,
            "--twilio-account-sid",
            "AC0123456789abcdef0123456789abcdef",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        assert!(
            shown.contains("AC0123456789abcdef0123456789abcdef"),
            "{shown}"
        );
        assert!(!shown.contains(token) && !shown.contains(secret), "{shown}");
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve")
        };
        // Checked whenever given, also outside --dialer twilio; the refusal shows no secret.
        let refused = args.twilio.settings(Mode::Off).unwrap_err().to_string();
        assert!(refused.starts_with("--twilio-api-secret must be given with --twilio-api-key"));
        assert!(
            !refused.contains(secret) && !refused.contains(token),
            "{refused}"
        );
    }
}
