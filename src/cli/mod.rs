//! The commands: `serve`, and the admin commands that work on the database directly (safe while
//! a server runs on it: each change is one short `BEGIN IMMEDIATE` transaction). One file per
//! family of commands.

mod credentials;
mod import;
mod maintenance;
mod serve;

use crate::config::{Cli, Command, ConfigError};
use crate::domain::time;
use crate::store::{self, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Why a command failed: one line for the terminal.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An argument or flag refused, or a refusal of the command's own (nothing was changed).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Open(#[from] store::OpenError),
    #[error(transparent)]
    Migrate(#[from] store::MigrateError),
    #[error(transparent)]
    Maintenance(#[from] store::maintenance::MaintenanceError),
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The command ran and found problems (a check, an import), listed above this line.
    #[error("{0}")]
    Problems(String),
}

impl CliError {
    fn refused(text: impl Into<String>) -> CliError {
        CliError::Refused(text.into())
    }
}

pub type CliResult<T> = Result<T, CliError>;

pub fn run(cli: Cli) -> CliResult<()> {
    let Some(command) = cli.command else {
        return Err(CliError::refused(
            "no command given; try `campaignd serve` or `campaignd --help`",
        ));
    };
    match command {
        Command::Serve(args) => serve::serve(&cli.db, &args),
        Command::Orgs(command) => credentials::orgs(&cli.db, command),
        Command::Keys(command) => credentials::keys(&cli.db, command),
        Command::Users(command) => credentials::users(&cli.db, command),
        Command::Tokens(command) => credentials::tokens(&cli.db, command),
        Command::Import(args) => import::import(&cli.db, args),
        Command::Backup(args) => maintenance::backup(&cli.db, args),
        Command::Check(args) => maintenance::check(&cli.db, args),
    }
}

/// Opens the database for an admin command, creating and migrating it like the server would.
fn open(db: &Path) -> CliResult<Connection> {
    let mut conn = store::open_connection(db).map_err(|e| file_error(db, e))?;
    store::migrate(&mut conn)?;
    Ok(conn)
}

/// A database file that cannot be opened, named.
fn file_error(db: &Path, error: rusqlite::Error) -> CliError {
    CliError::Refused(format!("{}: {error}", db.display()))
}

/// Runs one change in its own transaction, with the time of now.
fn change<T>(
    db: &Path,
    f: impl FnOnce(&Connection, &str) -> Result<T, StoreError>,
) -> CliResult<T> {
    let mut conn = open(db)?;
    Ok(store::write_now(&mut conn, |tx| f(tx, &time::now_text()))?)
}
