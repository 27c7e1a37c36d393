//! The store: the table families' verbs (the submodules), run by handlers through `Store::read`
//! and `Store::write` with a closure over a `Db`, on either engine: the embedded SQLite file
//! (`sqlite`) or a PostgreSQL database shared by several nodes (`postgres`).

pub mod attempts;
pub mod campaigns;
pub mod configurations;
pub mod contacts;
pub mod copy;
pub mod credentials;
pub mod db;
pub mod dialing;
pub mod lease;
pub mod maintenance;
mod migrate;
pub use migrate::{MigrateError, migrate};
pub mod orgs;
pub mod postgres;
mod postgres_url;
mod sql;
pub mod sqlite;
pub mod timeline;

pub use db::{Db, Dialect, Row, args};
pub use migrate::SCHEMA_VERSION;
use postgres::PostgresStore;
pub use sqlite::{
    Checkpoint, SqliteStore, Synchronous, open_connection, schema_version, wal_path, write_now,
};
use std::path::PathBuf;
use std::sync::Arc;

/// What a store verb can fail with: the domain's refusals, which the API turns into its answers,
/// and the engine's failures, with their cause kept.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique key is taken; the text says which, as the API's `detail`.
    #[error("{0}")]
    Conflict(String),
    /// A lifecycle action in the wrong state; the domain's refusal.
    #[error("{0}")]
    WrongState(&'static str),
    #[error("the campaign is closed")]
    CampaignClosed,
    #[error("the contact is being dialled")]
    ContactBeingDialled,
    #[error("the configuration is used by {0} campaign(s)")]
    ConfigurationInUse(i64),
    /// Upsert items (by index) that turned out to be inserts but carry no `phone_numbers`.
    #[error("items without phone numbers: {0:?}")]
    MissingNumbers(Vec<usize>),
    /// The database stayed locked past the busy timeout.
    #[error("the database is busy")]
    Busy,
    /// The database server does not answer (restarting, failing over, out of reach).
    #[error("the database is unavailable")]
    Unavailable,
    /// A constraint of the schema refused a write; the engine's words, for the log.
    #[error("constraint: {0}")]
    Constraint(String),
    #[error("database: {0}")]
    Sqlite(#[source] Arc<rusqlite::Error>),
    #[error("database: {0}")]
    Postgres(#[source] Arc<tokio_postgres::Error>),
    #[error("connection pool: {0}")]
    Pool(#[source] Arc<r2d2::Error>),
    /// A stored value that campaignd did not write (the file was edited by hand).
    #[error("unreadable stored value: {0}")]
    Corrupt(String),
    /// This node no longer holds the dialer's lease (another node dials).
    #[error("this node does not hold the dialer's lease")]
    NotLeader,
    /// The writer thread, or a task running a read, is gone (the process is stopping).
    #[error("{0}")]
    Stopped(&'static str),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{ConstraintViolation, DatabaseBusy, DatabaseLocked};
        match error.sqlite_error_code() {
            Some(DatabaseBusy | DatabaseLocked) => StoreError::Busy,
            Some(ConstraintViolation) => StoreError::Constraint(error.to_string()),
            _ => StoreError::Sqlite(Arc::new(error)),
        }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        postgres::classify(error)
    }
}

impl StoreError {
    /// A constraint refusal as the domain's conflict, with the API's words.
    pub fn conflict_if_constraint(self, detail: &str) -> StoreError {
        match self {
            StoreError::Constraint(_) => StoreError::Conflict(detail.to_string()),
            other => other,
        }
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(error: r2d2::Error) -> Self {
        StoreError::Pool(Arc::new(error))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
/// Why a database could not be opened to serve.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    #[error("opening the readers: {0}")]
    Readers(#[from] r2d2::Error),
    #[error(transparent)]
    Postgres(#[from] postgres::ConnectError),
    #[error("starting the store's threads: {0}")]
    Thread(#[from] std::io::Error),
}

/// Where the data lives, and the connections to it.
#[derive(Clone)]
pub struct Store(Engine);

#[derive(Clone)]
enum Engine {
    Sqlite(SqliteStore),
    Postgres(Arc<PostgresStore>),
}

impl Store {
    /// The embedded file, created or upgraded.
    pub fn open(path: &std::path::Path, synchronous: Synchronous) -> Result<Store, OpenError> {
        Ok(Store::sqlite(SqliteStore::open(path, synchronous)?))
    }

    pub fn sqlite(store: SqliteStore) -> Store {
        Store(Engine::Sqlite(store))
    }

    pub fn postgres(store: PostgresStore) -> Store {
        Store(Engine::Postgres(Arc::new(store)))
    }

    pub fn dialect(&self) -> Dialect {
        match &self.0 {
            Engine::Sqlite(_) => Dialect::Sqlite,
            Engine::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` outside any write, off the async runtime.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> StoreResult<T> + Send + 'static,
    {
        match &self.0 {
            Engine::Sqlite(store) => store.read(f).await,
            Engine::Postgres(store) => store.read(f).await,
        }
    }

    /// Runs `f` inside a write transaction, one write at a time over all nodes; answers after the
    /// commit, so a success is durable. If `f` fails its changes are rolled back.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> StoreResult<T> + Send + 'static,
    {
        match &self.0 {
            Engine::Sqlite(store) => store.write(f).await,
            Engine::Postgres(store) => store.write(f).await,
        }
    }

    /// The last step of a clean stop (SQLite: the WAL's last checkpoint).
    pub async fn flush_and_checkpoint(&self) -> StoreResult<String> {
        match &self.0 {
            Engine::Sqlite(store) => store.flush_and_checkpoint().await,
            Engine::Postgres(_) => Ok("every write is committed in PostgreSQL".into()),
        }
    }

    /// The PostgreSQL engine, for what only it has (the dialer's lease).
    pub fn as_postgres(&self) -> Option<&Arc<PostgresStore>> {
        match &self.0 {
            Engine::Postgres(store) => Some(store),
            Engine::Sqlite(_) => None,
        }
    }
}

/// Answers when the database does (`/healthz`).
pub fn ping(db: &Db) -> StoreResult<()> {
    db.query_one("SELECT 1", &[], |_| Ok(()))
}

/// Runs `f` inside a savepoint named `name`, rolled back when `f` fails.
pub(crate) fn savepoint<T>(
    db: &Db,
    name: &str,
    f: impl FnOnce(&Db) -> StoreResult<T>,
) -> StoreResult<T> {
    db.batch(&format!("SAVEPOINT {name}"))?;
    let result = f(db);
    let end = if result.is_ok() {
        format!("RELEASE {name}")
    } else {
        format!("ROLLBACK TO {name}; RELEASE {name}")
    };
    db.batch(&end)?;
    result
}

/// A keyset position in a newest-first list: the last row's `(created_at, id)`. Clients see it
/// as an opaque string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: String,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}_{}", self.created_at, self.id)
    }

    pub fn parse(text: &str) -> Option<Cursor> {
        let (created_at, id) = text.split_once('_')?;
        let created_at = created_at
            .parse::<jiff::Timestamp>()
            .ok()
            .map(crate::domain::time::format)?;
        let id = crate::domain::ids::parse_uuid(id)?;
        Some(Cursor { created_at, id })
    }
}

/// Splits `limit + 1` fetched rows into the page and the cursor of the next one.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: usize,
    cursor_of: impl Fn(&T) -> Cursor,
) -> (Vec<T>, Option<String>) {
    let next = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        cursor_of(rows.last().expect("limit is at least 1")).encode()
    });
    (rows, next)
}
