//! The embedded store: one SQLite file, one writer thread that group-commits queued write
//! jobs, a pool of read-only connections, and a thread that checkpoints the WAL.

use super::db::Db;
use super::{OpenError, StoreError, StoreResult, migrate};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How long a connection waits on SQLite's lock before the request is answered 503.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection: every statement the verbs run, including the few
/// sizes of the batched lookups and inserts (rusqlite keeps 16 by default).
const STATEMENT_CACHE: usize = 128;
/// Most write jobs that share one commit.
const MAX_GROUP: usize = 64;
const READERS: u32 = 8;
/// WAL size (pages) at which the writer checkpoints by itself: the checkpoint thread's backstop.
const WRITER_CHECKPOINT_PAGES: u32 = 16_384;
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// How long the last checkpoint of a clean stop waits for readers (of this process or another)
/// to let go of the WAL.
const LAST_CHECKPOINT_WAIT: Duration = Duration::from_secs(5);

/// How the writer syncs commits: FULL survives power loss, NORMAL only a process crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Synchronous {
    Full,
    Normal,
}

/// Who copies the WAL back into the database file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Checkpoint {
    /// campaignd does: a PASSIVE checkpoint five times a second, the writer's own as a backstop,
    /// and a TRUNCATE at a clean stop.
    #[default]
    Auto,
    /// Another process does (Litestream): campaignd never checkpoints, so that no WAL frame is
    /// copied back and the WAL restarted before that process has read it.
    External,
}

/// Called after the group's commit with its outcome, to answer the job's caller.
type Finish = Box<dyn FnOnce(Option<&StoreError>) + Send>;
/// A write job: runs inside the group's transaction (or is told why there is none).
type Job = Box<dyn FnOnce(Result<&Connection, &StoreError>) -> Finish + Send>;

#[derive(Clone)]
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    readers: r2d2::Pool<SqliteConnectionManager>,
    path: PathBuf,
    checkpoint: Checkpoint,
    /// The thread beside the writer (checkpoints, or the WAL watch): it stops when the last clone
    /// of the store is dropped, or at a clean stop.
    background: Arc<Background>,
}

/// A thread that runs while the store lives, and can be stopped and waited for.
#[derive(Default)]
struct Background {
    stop: AtomicBool,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Background {
    fn running(this: &Weak<Background>) -> bool {
        this.upgrade()
            .is_some_and(|background| !background.stop.load(Ordering::Relaxed))
    }

    /// Stops the thread and waits until it has finished what it was doing.
    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.lock().map(|mut t| t.take());
        if let Ok(Some(thread)) = thread {
            let _ = thread.join();
        }
    }
}

impl SqliteStore {
    /// Opens (creating or upgrading) the database and starts the writer thread.
    pub fn open(path: &Path, synchronous: Synchronous) -> Result<SqliteStore, OpenError> {
        SqliteStore::open_with(path, synchronous, Checkpoint::Auto)
    }

    /// `open`, with the checkpoints left to another process when `checkpoint` says so.
    pub fn open_with(
        path: &Path,
        synchronous: Synchronous,
        checkpoint: Checkpoint,
    ) -> Result<SqliteStore, OpenError> {
        let file_error = |source| OpenError::File {
            path: path.to_owned(),
            source,
        };
        let mut writer = open_connection(path).map_err(file_error)?;
        let sync = match synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        writer
            // Each job runs in a savepoint, whose sub-journal SQLite otherwise writes to a temporary
            // file (a pwrite per changed page); in memory it costs no syscalls. It is not part of
            // crash recovery (the WAL is).
            // Checkpoints run on their own thread (below); the writer checkpoints only if that one
            // falls far behind, so commits seldom pay for copying the WAL back. Under Litestream
            // neither runs (`Checkpoint::External`).
            .execute_batch(&format!(
                "PRAGMA synchronous = {sync}; PRAGMA temp_store = MEMORY;
                 PRAGMA wal_autocheckpoint = {};",
                match checkpoint {
                    Checkpoint::Auto => WRITER_CHECKPOINT_PAGES,
                    Checkpoint::External => 0,
                }
            ))
            .map_err(file_error)?;
        migrate::migrate(&mut writer)?;
        if checkpoint == Checkpoint::External {
            // Nor when it closes: the last connection to close would otherwise checkpoint.
            writer
                .set_db_config(
                    rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                    true,
                )
                .map_err(file_error)?;
        }

        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                c.busy_timeout(BUSY_TIMEOUT)?;
                c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                c.execute_batch("PRAGMA query_only = ON;")
            });
        let readers = r2d2::Pool::builder()
            .max_size(READERS)
            .min_idle(Some(1))
            .build(manager)?;

        let (jobs, queue) = mpsc::channel::<Job>(1024);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(writer, queue))?;
        let background = Arc::new(Background::default());
        let watched = Arc::downgrade(&background);
        let thread = if checkpoint == Checkpoint::Auto {
            let checkpointer = open_connection(path).map_err(file_error)?;
            std::thread::Builder::new()
                .name("sqlite-checkpoint".into())
                .spawn(move || run_checkpointer(checkpointer, watched))
        } else {
            let wal = wal_path(path);
            std::thread::Builder::new()
                .name("sqlite-wal-watch".into())
                .spawn(move || watch_wal(&wal, watched))
        };
        *background.thread.lock().expect("a new mutex") = Some(thread?);
        Ok(SqliteStore {
            jobs,
            readers,
            path: path.to_owned(),
            checkpoint,
            background,
        })
    }

    /// The last step of a clean stop: waits until every write queued so far is committed, then
    /// (unless another process owns checkpoints) copies the whole WAL back into the database
    /// file and truncates it. A TRUNCATE checkpoint cannot run beside another checkpoint nor
    /// while a reader still reads an older snapshot, so it first stops the checkpoint thread and
    /// waits for the readers to finish. Says what it did, for the log.
    pub async fn flush_and_checkpoint(&self) -> StoreResult<String> {
        self.write(|_| Ok(())).await?;
        if self.checkpoint == Checkpoint::External {
            return Ok("writes flushed; checkpoints are left to Litestream".into());
        }
        let (path, background, readers) = (
            self.path.clone(),
            self.background.clone(),
            self.readers.clone(),
        );
        tokio::task::spawn_blocking(move || {
            background.stop();
            let deadline = Instant::now() + LAST_CHECKPOINT_WAIT;
            while readers.state().idle_connections < readers.state().connections
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            let conn = open_connection(&path)?;
            loop {
                // Busy: a reader of another process (an admin command, a backup) holds an older
                // snapshot; it is given until the deadline.
                let (busy, log, done): (i64, i64, i64) =
                    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?;
                if busy == 0 {
                    return Ok(format!(
                        "writes flushed; WAL checkpointed and truncated ({done} of {log} frames)"
                    ));
                }
                if Instant::now() >= deadline {
                    return Ok(format!(
                        "writes flushed; checkpoint incomplete ({done} of {log} frames): a reader \
                         was still busy after {} s",
                        LAST_CHECKPOINT_WAIT.as_secs()
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
        .await
        .map_err(|_| StoreError::Stopped("the checkpoint task failed"))?
    }

    /// Runs `f` on a pooled read-only connection, off the async runtime.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> StoreResult<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || f(&Db::Sqlite(&*readers.get()?)))
            .await
            .map_err(|_| StoreError::Stopped("a reader task failed"))?
    }

    /// Runs `f` inside a write transaction on the writer thread; answers after the commit, so a
    /// success is durable. If `f` fails its changes are rolled back and nothing else is affected.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| match conn {
            Err(error) => {
                let _ = reply.send(Err(error.clone()));
                Box::new(|_| {})
            }
            Ok(conn) => {
                let result = super::savepoint(&Db::Sqlite(conn), "job", f);
                Box::new(move |commit_error| {
                    let result = match commit_error {
                        Some(error) if result.is_ok() => Err(error.clone()),
                        _ => result,
                    };
                    let _ = reply.send(result);
                })
            }
        });
        // Waits (without blocking the runtime) when 1024 jobs are already queued.
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::Stopped("the writer thread has stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::Stopped("the writer dropped a job"))?
    }
}

/// Opens a connection with the pragmas every campaignd connection uses. Also used by the admin
/// commands, which write to the database next to a running server. None of these connections
/// checkpoints on commit: that is the server's checkpoint thread's job, or Litestream's.
pub fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA wal_autocheckpoint = 0;",
    )?;
    Ok(conn)
}

/// The schema version a database file was written with (`PRAGMA user_version`).
pub fn schema_version(conn: &Connection) -> StoreResult<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Runs one admin-command change in its own `BEGIN IMMEDIATE` transaction.
pub fn write_now<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Db) -> StoreResult<T>,
) -> StoreResult<T> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let value = f(&Db::Sqlite(&tx))?;
    tx.commit()?;
    Ok(value)
}

/// Copies committed WAL frames back into the database five times a second, next to the writer.
/// PASSIVE never waits on readers or the writer; the writer's own auto-checkpoint is the backstop.
fn run_checkpointer(conn: Connection, alive: Weak<Background>) {
    while Background::running(&alive) {
        std::thread::sleep(CHECKPOINT_EVERY);
        if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::debug!("checkpoint: {error}");
        }
    }
}

/// The `-wal` file beside the database at `path`.
pub fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// WAL size past which `--checkpoint external` warns that nobody seems to checkpoint.
const WAL_WARN_BYTES: u64 = 1 << 30;

/// With checkpoints left to Litestream, nothing in campaignd bounds the WAL: says so in the log
/// (every 10 minutes at most) when it passes 1 GiB, which means Litestream is not running.
fn watch_wal(wal: &Path, alive: Weak<Background>) {
    let mut warned: Option<Instant> = None;
    while Background::running(&alive) {
        std::thread::sleep(Duration::from_secs(10));
        let size = std::fs::metadata(wal).map_or(0, |m| m.len());
        if size > WAL_WARN_BYTES && warned.is_none_or(|at| at.elapsed() > Duration::from_secs(600))
        {
            tracing::warn!(
                "the WAL is {} MiB and growing: is Litestream running? (--checkpoint external \
                 leaves every checkpoint to it)",
                size >> 20
            );
            warned = Some(Instant::now());
        }
    }
}

/// The writer loop: takes every job already queued (up to MAX_GROUP), runs each in its own
/// savepoint inside one `BEGIN IMMEDIATE` transaction, commits once (one fsync), then answers.
fn run_writer(conn: Connection, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.blocking_recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        crate::metrics::writer_group(queue.len(), group.len());
        let started = Instant::now();
        if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE") {
            let error = StoreError::from(error);
            tracing::warn!("cannot begin a write transaction: {error}");
            for job in group {
                job(Err(&error))(None);
            }
            continue;
        }
        let finishes: Vec<Finish> = group.into_iter().map(|job| job(Ok(&conn))).collect();
        let commit_error = conn.execute_batch("COMMIT").err().map(|error| {
            tracing::error!("commit failed: {error}");
            let _ = conn.execute_batch("ROLLBACK");
            StoreError::from(error)
        });
        crate::metrics::writer_commit(started.elapsed());
        for finish in finishes {
            finish(commit_error.as_ref());
        }
    }
}
