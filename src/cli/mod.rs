//! The commands: `serve`, and the admin commands that work on the database directly (safe while
//! a server runs on it: each change is one short `BEGIN IMMEDIATE` transaction). One file per
//! family of commands.

mod copy;
mod credentials;
mod import;
mod maintenance;
mod serve;

use crate::config::{Cli, Command, ConfigError};
use crate::domain::time;
use crate::store::postgres::{ConnectError, PostgresStore};
use crate::store::{self, Db, StoreError, StoreResult};
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
    Postgres(#[from] ConnectError),
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
    if let Command::Copy(args) = command {
        // Given on the command line, they would look like they choose a side of the copy; set
        // in the environment (a server's settings), they are simply not used.
        let from_environment = |var: &str, value: Option<&std::ffi::OsStr>| {
            value.is_none_or(|value| std::env::var_os(var).as_deref() == Some(value))
        };
        if !from_environment("CAMPAIGND_DB", cli.db.as_deref().map(Path::as_os_str))
            || !from_environment(
                "CAMPAIGND_DATABASE_URL",
                cli.database_url.as_deref().map(std::ffi::OsStr::new),
            )
        {
            return Err(CliError::refused(
                "copy takes its two databases as --from and --to; leave out --db and \
                 --database-url",
            ));
        }
        return copy::copy(args);
    }
    let location = match (cli.db, cli.database_url) {
        (Some(_), Some(_)) => {
            return Err(CliError::refused(
                "--db and --database-url name two databases; give one (--database-url for \
                 PostgreSQL, --db for the SQLite file)",
            ));
        }
        (_, Some(url)) => Location::Postgres(url),
        (db, None) => Location::File(db.unwrap_or_else(|| PathBuf::from("campaignd.db"))),
    };
    match command {
        Command::Serve(args) => serve::serve(&location, &args),
        Command::Orgs(command) => credentials::orgs(&location, command),
        Command::Keys(command) => credentials::keys(&location, command),
        Command::Users(command) => credentials::users(&location, command),
        Command::Tokens(command) => credentials::tokens(&location, command),
        Command::Import(args) => import::import(&location, args),
        Command::Backup(args) => match &location {
            Location::File(db) => maintenance::backup(db, args),
            Location::Postgres(_) => Err(CliError::refused(
                "backup copies the SQLite file; on PostgreSQL back up with pg_dump (README, \
                 \"Beyond one machine\")",
            )),
        },
        Command::Check(args) => maintenance::check(&location, args),
        Command::Copy(_) => unreachable!("copy is run above"),
    }
}

/// Where the data is: the SQLite file (`--db`) or a PostgreSQL database (`--database-url`).
pub enum Location {
    File(PathBuf),
    Postgres(String),
}

/// The database an admin command works on, opened (created and migrated like the server would).
enum Database {
    Sqlite(Connection),
    Postgres {
        store: PostgresStore,
        // The store's connections run on it; dropped after the store.
        _runtime: tokio::runtime::Runtime,
    },
}

impl Database {
    fn open(location: &Location) -> CliResult<Database> {
        let database = Database::open_as_is(location)?;
        if let Database::Sqlite(mut conn) = database {
            store::migrate(&mut conn)?;
            return Ok(Database::Sqlite(conn));
        }
        Ok(database)
    }

    /// `open`, without upgrading an older SQLite file (`check` reports on it as it is).
    fn open_as_is(location: &Location) -> CliResult<Database> {
        match location {
            Location::File(db) => {
                let conn = store::open_connection(db).map_err(|e| file_error(db, e))?;
                Ok(Database::Sqlite(conn))
            }
            Location::Postgres(url) => {
                let runtime = admin_runtime()?;
                let store = runtime
                    .block_on(PostgresStore::connect(url))?
                    .with_statement_timeout(ADMIN_STATEMENT_TIMEOUT);
                Ok(Database::Postgres {
                    store,
                    _runtime: runtime,
                })
            }
        }
    }

    /// One change in its own transaction (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: under the
    /// write lock every node takes).
    fn write<T>(&mut self, f: impl FnOnce(&Db) -> StoreResult<T>) -> CliResult<T> {
        Ok(match self {
            Database::Sqlite(conn) => store::write_now(conn, f)?,
            Database::Postgres { store, .. } => store.write_blocking(f)?,
        })
    }

    fn read<T>(&mut self, f: impl FnOnce(&Db) -> StoreResult<T>) -> CliResult<T> {
        Ok(match self {
            Database::Sqlite(conn) => f(&Db::Sqlite(conn))?,
            Database::Postgres { store, .. } => store.read_blocking(f)?,
        })
    }
}

/// How long one statement of an admin command may take on PostgreSQL: `check`'s recount and
/// `copy` read whole tables, where a request is given a few seconds.
const ADMIN_STATEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// A small runtime for an admin command's PostgreSQL connections (its calls block on it).
fn admin_runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| CliError::refused(format!("starting the runtime: {e}")))
}

/// A database file that cannot be opened, named.
fn file_error(db: &Path, error: rusqlite::Error) -> CliError {
    CliError::Refused(format!("{}: {error}", db.display()))
}

/// Runs one change in its own transaction, with the time of now.
fn change<T>(
    location: &Location,
    f: impl FnOnce(&Db, &str) -> Result<T, StoreError>,
) -> CliResult<T> {
    Database::open(location)?.write(|db| f(db, &time::now_text()))
}
