//! `campaignd copy --from … --to …`: opens the two databases (the source as it is, the target
//! created or upgraded as `serve` would), runs the store's copy with a progress line on a
//! terminal, and prints what was copied and verified.

use super::{ADMIN_STATEMENT_TIMEOUT, CliError, CliResult, admin_runtime, file_error};
use crate::config::CopyArgs;
use crate::store::copy::{self, Copied, CopyError, Progress};
use crate::store::maintenance::{self, MaintenanceError, ServerLock};
use crate::store::postgres::{ConnectError, PostgresStore};
use crate::store::{self, Db};
use rusqlite::Connection;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

const USAGE: &str =
    "campaignd copy --from <sqlite-path | postgres-url> --to <postgres-url | sqlite-path>";

/// One side of the copy, as given.
enum Endpoint {
    File(PathBuf),
    Postgres(String),
}

impl Endpoint {
    fn parse(value: Option<String>, flag: &str) -> CliResult<Endpoint> {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return Err(CliError::Refused(format!("copy needs {flag}: {USAGE}")));
        };
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Ok(Endpoint::Postgres(value))
        } else if value.contains("://") {
            // Never echoed: it may hold a password.
            Err(CliError::Refused(format!(
                "{flag}: a URL must start with postgres:// or postgresql:// (anything else is a \
                 file path)"
            )))
        } else {
            Ok(Endpoint::File(PathBuf::from(value)))
        }
    }
}

/// The source, opened without changing it.
enum Source {
    Sqlite(Connection),
    Postgres(PostgresStore),
}

impl Source {
    fn open(endpoint: &Endpoint, runtime: Option<&tokio::runtime::Runtime>) -> CliResult<Source> {
        match endpoint {
            Endpoint::File(path) => {
                if !path.is_file() {
                    return Err(CliError::Refused(format!(
                        "--from: no database at {}",
                        path.display()
                    )));
                }
                let conn = store::open_connection(path).map_err(|e| file_error(path, e))?;
                Ok(Source::Sqlite(conn))
            }
            Endpoint::Postgres(url) => {
                let runtime = runtime.expect("a runtime for PostgreSQL");
                let store = runtime
                    .block_on(PostgresStore::connect_as_is(url))
                    .map_err(|e| connect_error("--from", e))?;
                Ok(Source::Postgres(
                    store.with_statement_timeout(ADMIN_STATEMENT_TIMEOUT),
                ))
            }
        }
    }

    /// Runs `f` on one consistent snapshot of the source.
    fn snapshot<T>(&self, f: impl FnOnce(&Db) -> Result<T, CopyError>) -> Result<T, CopyError> {
        match self {
            Source::Sqlite(conn) => copy::from_sqlite(conn, f),
            Source::Postgres(store) => copy::from_postgres(store, f),
        }
    }
}

/// The target, created or upgraded as `serve` would.
enum Target {
    Sqlite {
        conn: Connection,
        path: PathBuf,
        /// The file did not exist: it is removed again if the copy fails.
        created: bool,
        /// `serve`'s lock, held during the copy so that no server starts on a half-copied file.
        _lock: ServerLock,
    },
    Postgres(PostgresStore),
}

impl Target {
    fn open(endpoint: &Endpoint, runtime: Option<&tokio::runtime::Runtime>) -> CliResult<Target> {
        match endpoint {
            Endpoint::File(path) => {
                let created = !path.exists();
                let lock = maintenance::lock_server(path).map_err(|e| match e {
                    MaintenanceError::InUse { db, who } => CliError::Refused(format!(
                        "--to: {} is in use by {who}; stop it first (the copy writes the whole \
                         database in one transaction)",
                        db.display()
                    )),
                    other => CliError::Refused(format!("--to: {other}")),
                })?;
                let opened = store::open_connection(path)
                    .map_err(|e| file_error(path, e))
                    .and_then(|mut conn| {
                        store::migrate(&mut conn)
                            .map_err(|e| CliError::Refused(format!("--to: {e}")))?;
                        Ok(conn)
                    });
                match opened {
                    Ok(conn) => Ok(Target::Sqlite {
                        conn,
                        path: path.clone(),
                        created,
                        _lock: lock,
                    }),
                    Err(error) => {
                        if created {
                            remove_database(path);
                        }
                        Err(error)
                    }
                }
            }
            Endpoint::Postgres(url) => {
                let runtime = runtime.expect("a runtime for PostgreSQL");
                let store = runtime
                    .block_on(PostgresStore::connect(url))
                    .map_err(|e| connect_error("--to", e))?;
                Ok(Target::Postgres(
                    store.with_statement_timeout(ADMIN_STATEMENT_TIMEOUT),
                ))
            }
        }
    }

    /// Runs `f` in one transaction of the target, committed only if `f` succeeds.
    fn write<T>(&mut self, f: impl FnOnce(&Db) -> Result<T, CopyError>) -> Result<T, CopyError> {
        match self {
            Target::Sqlite { conn, .. } => copy::into_sqlite(conn, f),
            Target::Postgres(store) => copy::into_postgres(store, f),
        }
    }

    /// After a failed copy: a file the copy created goes again.
    fn discard(self) {
        if let Target::Sqlite {
            conn,
            path,
            created: true,
            _lock,
        } = self
        {
            drop(conn);
            remove_database(&path);
            let _ = std::fs::remove_file(maintenance::lock_path(&path));
        }
    }
}

/// Removes a database file the copy created, with its WAL and shared-memory files.
fn remove_database(path: &Path) {
    let _ = std::fs::remove_file(path);
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// A connection refused, named by its flag (the store's own words say `--database-url`).
fn connect_error(flag: &str, error: ConnectError) -> CliError {
    match error {
        ConnectError::Url(text) => CliError::Refused(format!("{flag}: {text}")),
        other => CliError::Refused(format!("{flag}: {other}")),
    }
}

/// How a database is named in the output: the file, or the PostgreSQL database and its
/// `host:port` (never the user or the password).
fn describe(endpoint: &Endpoint, at: Option<&str>) -> String {
    match endpoint {
        Endpoint::File(path) => path.display().to_string(),
        Endpoint::Postgres(url) => {
            let base = url.split('?').next().unwrap_or_default();
            let after_scheme = base.split_once("://").map_or(base, |(_, rest)| rest);
            let host_and_path = after_scheme
                .rsplit_once('@')
                .map_or(after_scheme, |(_, rest)| rest);
            let database = host_and_path
                .split_once('/')
                .map(|(_, name)| name)
                .filter(|name| !name.is_empty());
            match database {
                Some(name) => format!("PostgreSQL database {name} at {}", at.unwrap_or("?")),
                None => format!("PostgreSQL at {}", at.unwrap_or("?")),
            }
        }
    }
}

/// `campaignd copy --from … --to …`.
pub(super) fn copy(args: CopyArgs) -> CliResult<()> {
    let from = Endpoint::parse(args.from, "--from")?;
    let to = Endpoint::parse(args.to, "--to")?;
    let same = match (&from, &to) {
        (Endpoint::File(a), Endpoint::File(b)) => {
            a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
        }
        (Endpoint::Postgres(a), Endpoint::Postgres(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(CliError::refused("--from and --to name the same database"));
    }
    // Declared first, dropped last: the PostgreSQL connections run on it.
    let runtime = match (&from, &to) {
        (Endpoint::File(_), Endpoint::File(_)) => None,
        _ => Some(admin_runtime()?),
    };
    let source = Source::open(&from, runtime.as_ref())?;
    // Before the target is created: a source this build cannot copy changes nothing.
    source
        .snapshot(copy::check_source)
        .map_err(|e| CliError::Refused(format!("--from: {e}")))?;
    let mut target = Target::open(&to, runtime.as_ref())?;
    let (source_name, target_name) = (
        describe(
            &from,
            match &source {
                Source::Postgres(store) => Some(store.at()),
                Source::Sqlite(_) => None,
            },
        ),
        describe(
            &to,
            match &target {
                Target::Postgres(store) => Some(store.at()),
                Target::Sqlite { .. } => None,
            },
        ),
    );

    let terminal = std::io::stderr().is_terminal();
    let mut shown = false;
    let show = |step: Progress<'_>| {
        if !terminal {
            return;
        }
        shown = true;
        match step {
            Progress::Rows { table, done, total } => {
                eprint!("\r\x1b[Kcopying {table}: {done} of {total}");
            }
            Progress::Verifying => {
                eprint!("\r\x1b[Kverifying: row counts, and every counter against a recount…");
            }
        }
        let _ = std::io::stderr().flush();
    };
    let started = Instant::now();
    let copied = source.snapshot(|from| target.write(|to| copy::copy(from, to, show)));
    if shown {
        eprintln!();
    }
    match copied {
        Ok(Copied { tables }) => {
            // A closed stdout (`| head`) does not make a done copy fail.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "copied {source_name} to {target_name} in {:.1} s; verified: the same row counts \
                 as the source's snapshot, and every counter matches a recount",
                started.elapsed().as_secs_f64()
            );
            for (table, rows) in tables {
                let _ = writeln!(out, "  {table:<16} {rows:>10}");
            }
            Ok(())
        }
        Err(error) => {
            let unchanged = match &target {
                Target::Sqlite { created: true, .. } => {
                    "nothing was copied: the copy is one transaction, rolled back; the new file \
                     was removed"
                }
                _ => "nothing was copied: the copy is one transaction, rolled back",
            };
            target.discard();
            Err(CliError::Refused(format!("{error} ({unchanged})")))
        }
    }
}
