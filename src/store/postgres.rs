//! The store on PostgreSQL, for several nodes over one database (docs/api.md §10): a pool of
//! connections, each request's verbs run on one of them from a blocking thread. Writes take one
//! transaction-scoped advisory lock, so they commit one at a time over every node exactly as
//! SQLite's single writer does: the verbs' read-then-write logic, the counters and the insertion
//! order (`seq`) stay as exact as there, and the lock works behind PgBouncer's transaction mode.

use super::db::{Db, Postgres};
use super::{MigrateError, SCHEMA_VERSION, StoreError, StoreResult};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::Host;

const SCHEMA: &str = include_str!("schema-postgres.sql");
/// The advisory lock every write holds until its commit: "campaignd" in a bigint.
const WRITE_LOCK: i64 = 0x63_616d_7061_6967;
/// The advisory lock the migration holds (nodes that start together upgrade once).
const MIGRATE_LOCK: i64 = WRITE_LOCK + 1;
/// How long a node waits for the database at start-up (§10.1).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request waits for a pooled connection before it answers 503.
const POOL_WAIT: Duration = Duration::from_secs(3);
const POOL_SIZE: usize = 16;

/// Why a PostgreSQL database could not be used. Never shows the password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("--database-url: {0}")]
    Url(String),
    #[error("PostgreSQL at {at} did not answer: {reason}")]
    Unreachable { at: String, reason: String },
    #[error("PostgreSQL at {at}: {reason}")]
    Refused { at: String, reason: String },
    #[error(transparent)]
    Migrate(#[from] MigrateError),
}

/// The store's PostgreSQL engine.
pub struct PostgresStore {
    pool: Pool,
    runtime: tokio::runtime::Handle,
    /// `host:port`, for messages.
    at: String,
    /// How long one statement may take before the connection is given up as gone.
    statement_timeout: Duration,
}

impl PostgresStore {
    /// Connects (waiting up to `CONNECT_TIMEOUT`), then creates or upgrades the schema. Must be
    /// called inside the runtime that will run the store's work.
    pub async fn connect(url: &str) -> Result<PostgresStore, ConnectError> {
        let store = PostgresStore::connect_as_is(url).await?;
        store.create_or_upgrade().await?;
        Ok(store)
    }

    /// Connects (waiting up to `CONNECT_TIMEOUT`) and changes nothing: `copy`'s source, which is
    /// read as it is (its schema version is checked by the reader).
    pub async fn connect_as_is(url: &str) -> Result<PostgresStore, ConnectError> {
        let (config, tls) = super::postgres_url::parse(url)?;
        let at = where_(&config);
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .recycle_timeout(Some(POOL_WAIT))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| ConnectError::Url(e.to_string()))?;
        let store = PostgresStore {
            pool,
            runtime: tokio::runtime::Handle::current(),
            at,
            statement_timeout: super::db::POSTGRES_STATEMENT_TIMEOUT,
        };
        store.wait_for_database().await?;
        Ok(store)
    }

    /// Statements may take up to `timeout` each instead of the requests' few seconds: for
    /// admin work over whole tables (`copy` and its verification).
    pub fn with_statement_timeout(mut self, timeout: Duration) -> PostgresStore {
        self.statement_timeout = timeout;
        self
    }

    /// Creates or upgrades the schema.
    async fn create_or_upgrade(&self) -> Result<(), ConnectError> {
        let migrating = self.clone_handle();
        tokio::task::spawn_blocking(move || migrating.write_blocking(migrate))
            .await
            .map_err(|e| ConnectError::Url(e.to_string()))?
            .map_err(|e| match e {
                StoreError::Unavailable => ConnectError::Unreachable {
                    at: self.at.clone(),
                    reason: "the connection was lost while migrating".into(),
                },
                StoreError::Corrupt(text) => ConnectError::Migrate(MigrateError::Postgres(text)),
                StoreError::NotFound => ConnectError::Migrate(MigrateError::NotOurs),
                other => ConnectError::Migrate(MigrateError::Postgres(other.to_string())),
            })
            .and_then(|newer| match newer {
                Some(found) => Err(ConnectError::Migrate(MigrateError::Newer { found })),
                None => Ok(()),
            })
    }

    async fn wait_for_database(&self) -> Result<(), ConnectError> {
        let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
        loop {
            match self.pool.get().await {
                Ok(_) => return Ok(()),
                Err(deadpool_postgres::PoolError::Backend(error)) if error.code().is_some() => {
                    // The server answered and refused (a password, a database that does not exist).
                    return Err(ConnectError::Refused {
                        at: self.at.clone(),
                        reason: error
                            .as_db_error()
                            .map_or(error.to_string(), |db| db.message().to_string()),
                    });
                }
                Err(error) if tokio::time::Instant::now() >= deadline => {
                    return Err(ConnectError::Unreachable {
                        at: self.at.clone(),
                        reason: format!("{error} (waited {} s)", CONNECT_TIMEOUT.as_secs()),
                    });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// Another handle on the same pool (the pool is shared, not copied).
    fn clone_handle(&self) -> PostgresStore {
        PostgresStore {
            pool: self.pool.clone(),
            runtime: self.runtime.clone(),
            at: self.at.clone(),
            statement_timeout: self.statement_timeout,
        }
    }

    /// `host:port` of the database, for the log.
    pub fn at(&self) -> &str {
        &self.at
    }

    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> StoreResult<T> + Send + 'static,
    {
        let this = self.clone_handle();
        tokio::task::spawn_blocking(move || this.with_connection(f))
            .await
            .map_err(|_| StoreError::Stopped("a reader task failed"))?
    }

    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> StoreResult<T> + Send + 'static,
    {
        let this = self.clone_handle();
        tokio::task::spawn_blocking(move || this.write_blocking(f))
            .await
            .map_err(|_| StoreError::Stopped("a writer task failed"))?
    }

    /// A write from a blocking thread: `f` inside a transaction that holds the write lock. If
    /// `f` fails (with the store's error or a caller's own), everything it wrote is rolled back.
    pub fn write_blocking<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, E>,
    ) -> Result<T, E> {
        self.with_connection(|db| {
            db.batch(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
            ))?;
            match f(db) {
                Ok(value) => {
                    db.batch("COMMIT")?;
                    Ok(value)
                }
                Err(error) => {
                    // A connection that is gone rolls back by itself.
                    let _ = db.batch("ROLLBACK");
                    Err(error)
                }
            }
        })
    }

    /// A short transaction without the write lock (the dialer's lease must not wait behind
    /// the writes it would fence).
    pub async fn unlocked<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> StoreResult<T> + Send + 'static,
    {
        let this = self.clone_handle();
        tokio::task::spawn_blocking(move || {
            this.with_connection(|db| {
                db.batch("BEGIN")?;
                match f(db) {
                    Ok(value) => db.batch("COMMIT").map(|()| value),
                    Err(error) => {
                        let _ = db.batch("ROLLBACK");
                        Err(error)
                    }
                }
            })
        })
        .await
        .map_err(|_| StoreError::Stopped("a lease task failed"))?
    }

    /// A read from a blocking thread.
    pub fn read_blocking<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, E>,
    ) -> Result<T, E> {
        self.with_connection(f)
    }

    /// Runs `f` on a pooled connection from a blocking thread; a connection that failed is
    /// dropped rather than given back.
    fn with_connection<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, E>,
    ) -> Result<T, E> {
        let client = self
            .runtime
            .block_on(self.pool.get())
            .map_err(|_| StoreError::Unavailable)?;
        let broken = Cell::new(false);
        let result = f(&Db::Postgres(Postgres {
            client: &client,
            runtime: &self.runtime,
            broken: &broken,
            timeout: self.statement_timeout,
        }));
        if broken.get() {
            drop(deadpool_postgres::Object::take(client));
        }
        result
    }
}

/// The schema in an empty database (under the migration lock, inside the caller's transaction);
/// `Some(version)` when the database is newer than this build.
fn migrate(db: &Db) -> StoreResult<Option<i64>> {
    db.batch(&format!(
        "SELECT pg_advisory_xact_lock({MIGRATE_LOCK});
         CREATE TABLE IF NOT EXISTS campaignd_schema (version BIGINT NOT NULL)"
    ))?;
    let version: Option<i64> =
        db.query_opt("SELECT version FROM campaignd_schema", &[], |r| r.get(0))?;
    match version {
        Some(found) if found > SCHEMA_VERSION => Ok(Some(found)),
        Some(_) => Ok(None),
        None => {
            let has_tables: bool = db.query_one(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name <> 'campaignd_schema')",
                &[],
                |r| r.get(0),
            )?;
            if has_tables {
                return Err(StoreError::NotFound);
            }
            db.batch(SCHEMA)?;
            db.execute(
                "INSERT INTO campaignd_schema (version) VALUES (?1)",
                super::args![SCHEMA_VERSION],
            )?;
            Ok(None)
        }
    }
}

/// `host:port` of the first host the configuration names.
fn where_(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}")
}

/// A driver error as the store's: the server gone or out of reach is `Unavailable` (503); a
/// constraint is `Constraint`; a serialisation or deadlock refusal is `Busy`.
pub(super) fn classify(error: tokio_postgres::Error) -> StoreError {
    if error.is_closed() {
        return StoreError::Unavailable;
    }
    match error.code().map(|code| code.code()) {
        Some(code) if code.starts_with("08") || code.starts_with("57P") || code == "53300" => {
            StoreError::Unavailable
        }
        Some(code) if code.starts_with("23") => StoreError::Constraint(
            error
                .as_db_error()
                .map_or(error.to_string(), |db| db.message().to_string()),
        ),
        Some("40001" | "40P01") => StoreError::Busy,
        Some(_) => StoreError::Postgres(Arc::new(error)),
        None => {
            let io = std::error::Error::source(&error)
                .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some());
            if io {
                StoreError::Unavailable
            } else {
                StoreError::Postgres(Arc::new(error))
            }
        }
    }
}

/// The dialect's name, for `/healthz` and the log.
pub fn dialect_name(dialect: super::Dialect) -> &'static str {
    match dialect {
        super::Dialect::Sqlite => "sqlite",
        super::Dialect::Postgres => "postgres",
    }
}
