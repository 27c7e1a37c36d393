//! The command line (and its environment variables) → one validated configuration.

use crate::store::Synchronous;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// Import contacts from a CSV file into a campaign, directly on the database (spec §6.1 rules).
    Import(ImportArgs),
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
