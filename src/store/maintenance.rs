//! Keeping the file sound: the one-server lock, the online backup, and the check of the file and
//! of every stored counter against a recount (with the repair of the counters).

use super::args;
use super::db::{Db, Dialect};
use super::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `serve`'s claim on a database: an exclusive lock on `<db>.lock`, which holds its pid. Released
/// when dropped (or when the process dies, however it dies: the kernel drops the lock).
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
}

/// The lock file beside `db`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Why the server lock, a backup or its copy failed; the messages are the command line's.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error(
        "{} is in use by {who}: one server per database (two dialers on one database would \
         fight over calls). Stop that one first; admin commands, import, backup and check work \
         beside it.",
        db.display()
    )]
    InUse { db: PathBuf, who: String },
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no database at {}", .0.display())]
    NoDatabase(PathBuf),
    #[error("{} already exists; choose another path or add --force to replace it", .0.display())]
    Exists(PathBuf),
    #[error("the backup cannot replace the database itself")]
    ReplacesItself,
    #[error(
        "{} is a database in use (served, or with a -wal not checkpointed); stop what uses it, \
         or choose another path",
        .0.display()
    )]
    DestinationInUse(PathBuf),
    #[error("{} is not a file path", .0.display())]
    NotAFile(PathBuf),
    #[error("{step}: {source}")]
    Sqlite {
        step: &'static str,
        source: rusqlite::Error,
    },
    #[error(
        "the copy failed integrity_check (the database itself may be damaged; run \
         `campaignd check`): {}",
        .0.join("; ")
    )]
    CopyDamaged(Vec<String>),
}

/// `map_err` for an I/O error on `path`.
fn on(path: &Path) -> impl Fn(std::io::Error) -> MaintenanceError + '_ {
    move |source| MaintenanceError::File {
        path: path.to_owned(),
        source,
    }
}

/// `map_err` for an SQLite error during `step`.
fn during(step: &'static str) -> impl Fn(rusqlite::Error) -> MaintenanceError {
    move |source| MaintenanceError::Sqlite { step, source }
}

/// Takes the one-server lock of `db`, or says which process holds it. The file is never removed:
/// removing it would let two servers lock two different files of the same name.
pub fn lock_server(db: &Path) -> Result<ServerLock, MaintenanceError> {
    let path = lock_path(db);
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(on(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let who = if pid.is_empty() {
                "another process".to_string()
            } else {
                format!("another campaignd serve (pid {pid})")
            };
            return Err(MaintenanceError::InUse {
                db: db.to_owned(),
                who,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(on(&path)(e)),
    }
    let write = |file: &mut File| -> std::io::Result<()> {
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", std::process::id())?;
        file.flush()
    };
    write(&mut file).map_err(on(&path))?;
    Ok(ServerLock { _file: file })
}

/// What `backup` copied.
#[derive(Debug)]
pub struct Backup {
    pub pages: i64,
    pub bytes: u64,
}

/// Pages copied per step of the online backup (4 MiB at SQLite's default page size).
const BACKUP_STEP_PAGES: i32 = 1024;

/// Copies the database at `db` to `dest` with SQLite's online backup while a server may be
/// writing to it. The copy is the database as of the moment the backup began (it runs inside one
/// read transaction, so concurrent commits neither restart nor leak into it). It is written
/// beside `dest` under a temporary name, checked with `integrity_check`, made durable, and only
/// then renamed to `dest`: `dest` is either the old file or a verified copy, never half of one.
/// `progress(done, total)` is called after each step.
pub fn backup(
    db: &Path,
    dest: &Path,
    force: bool,
    mut progress: impl FnMut(i64, i64),
) -> Result<Backup, MaintenanceError> {
    if !db.exists() {
        return Err(MaintenanceError::NoDatabase(db.to_owned()));
    }
    if dest.exists() {
        if !force {
            return Err(MaintenanceError::Exists(dest.to_owned()));
        }
        if same_file(db, dest) {
            return Err(MaintenanceError::ReplacesItself);
        }
    }
    // Never replace a database in use: a server keeps writing to the old file, and a non-empty
    // -wal beside PATH would be read together with the new copy (a corrupt database).
    let mut wal = dest.as_os_str().to_owned();
    wal.push("-wal");
    let in_use = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0)
        || File::open(lock_path(dest)).is_ok_and(|f| f.try_lock_shared().is_err());
    if in_use {
        return Err(MaintenanceError::DestinationInUse(dest.to_owned()));
    }
    let dir = match dest.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dest
        .file_name()
        .ok_or_else(|| MaintenanceError::NotAFile(dest.to_owned()))?;
    let partial = dir.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = copy_verified(db, &partial, &mut progress);
    let outcome = result.and_then(|backup| {
        std::fs::rename(&partial, dest).map_err(on(dest))?;
        // The rename is durable once the directory is.
        if let Ok(dir) = File::open(&dir) {
            let _ = dir.sync_all();
        }
        Ok(backup)
    });
    if outcome.is_err() {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut path = partial.as_os_str().to_owned();
            path.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(path));
        }
    }
    outcome
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn copy_verified(
    db: &Path,
    partial: &Path,
    progress: &mut impl FnMut(i64, i64),
) -> Result<Backup, MaintenanceError> {
    let source = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(during("opening the database"))?;
    source
        .busy_timeout(Duration::from_secs(5))
        .map_err(during("opening the database"))?;
    // One read transaction for the whole copy: every step reads the same snapshot.
    source
        .execute_batch("BEGIN; SELECT count(*) FROM sqlite_schema;")
        .map_err(during("starting the read"))?;
    let _ = std::fs::remove_file(partial);
    let mut copy = Connection::open(partial).map_err(during("creating the copy"))?;
    let pages = {
        let backup = rusqlite::backup::Backup::new(&source, &mut copy)
            .map_err(during("starting the backup"))?;
        loop {
            use rusqlite::backup::StepResult;
            match backup
                .step(BACKUP_STEP_PAGES)
                .map_err(during("copying pages"))?
            {
                StepResult::Done => break,
                StepResult::More => {}
                // Only the copy can be busy or locked (nobody else knows its name); wait a little.
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
            let p = backup.progress();
            progress(i64::from(p.pagecount - p.remaining), i64::from(p.pagecount));
        }
        let p = backup.progress();
        progress(i64::from(p.pagecount), i64::from(p.pagecount));
        i64::from(p.pagecount)
    };
    source
        .execute_batch("COMMIT")
        .map_err(during("ending the read"))?;
    drop(source);
    // A single self-contained file: no -wal or -shm to carry along.
    copy.execute_batch("PRAGMA journal_mode = DELETE;")
        .map_err(during("finishing the copy"))?;
    let problems = integrity(&copy).map_err(during("checking the copy"))?;
    if !problems.is_empty() {
        return Err(MaintenanceError::CopyDamaged(problems));
    }
    drop(copy);
    let file = File::open(partial).map_err(on(partial))?;
    file.sync_all().map_err(on(partial))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok(Backup { pages, bytes })
}

/// `PRAGMA integrity_check`: the problems it lists (none when the file is sound).
pub fn integrity(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare("PRAGMA integrity_check")?;
    let rows = statement.query_map([], |r| r.get::<_, String>(0))?;
    let lines = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(if lines == ["ok"] { Vec::new() } else { lines })
}

/// The counters of one `contact_counts` row, in column order.
const COUNT_COLUMNS: [&str; 6] = [
    "pending",
    "locked",
    "in_progress",
    "completed",
    "exhausted",
    "attempts",
];
type Counts = [i64; 6];

/// The timeline's counters recounted from the attempts and contacts: what the schema's triggers
/// keep in `timeline_counts` (minute and hour rows).
fn timeline_recount(dialect: Dialect) -> String {
    let minute = |at: &str| format!("{} / 60", dialect.epoch_seconds(at));
    let (started, ended, finished) = (
        minute("a.started_at"),
        minute("a.ended_at"),
        minute("ended_at"),
    );
    let count = |condition: &str| format!("CASE WHEN {condition} THEN 1 ELSE 0 END");
    let (answered, voicemail, no_answer, busy, failed) = (
        count("a.outcome = 'answered'"),
        count("a.outcome = 'voicemail'"),
        count("a.outcome = 'no_answer'"),
        count("a.outcome = 'busy'"),
        count("a.outcome = 'failed'"),
    );
    let (completed, exhausted) = (count("status = 'completed'"), count("status = 'exhausted'"));
    format!(
        "SELECT org, scope, s.span, minute / s.span * s.span, CAST(sum(started) AS BIGINT),
            CAST(sum(answered) AS BIGINT), CAST(sum(voicemail) AS BIGINT),
            CAST(sum(no_answer) AS BIGINT), CAST(sum(busy) AS BIGINT), CAST(sum(failed) AS BIGINT),
            CAST(sum(completed) AS BIGINT), CAST(sum(exhausted) AS BIGINT)
        FROM (
            SELECT c.organization_id AS org, coalesce(c.campaign_id, '') AS scope,
                   {started} AS minute, 1 AS started, 0 AS answered, 0 AS voicemail,
                   0 AS no_answer, 0 AS busy, 0 AS failed, 0 AS completed, 0 AS exhausted
            FROM attempts a JOIN contacts c ON c.seq = a.contact_seq
            UNION ALL
            SELECT c.organization_id, coalesce(c.campaign_id, ''), {ended}, 0,
                   {answered}, {voicemail}, {no_answer}, {busy}, {failed}, 0, 0
            FROM attempts a JOIN contacts c ON c.seq = a.contact_seq
            WHERE a.ended_at IS NOT NULL AND a.outcome IS NOT NULL
            UNION ALL
            SELECT organization_id, scope, {finished}, 0, 0, 0, 0, 0, 0, {completed}, {exhausted}
            FROM (SELECT c.organization_id, coalesce(c.campaign_id, '') AS scope, c.status,
                         (SELECT ended_at FROM attempts WHERE contact_seq = c.seq
                          ORDER BY started_at DESC LIMIT 1) AS ended_at
                  FROM contacts c WHERE c.status IN ('completed', 'exhausted')) finished
            WHERE ended_at IS NOT NULL
        ) events, (SELECT CAST(1 AS BIGINT) AS span UNION ALL SELECT 60) s
        GROUP BY org, scope, s.span, minute / s.span * s.span"
    )
}

/// (organisation, scope, span, start) of a `timeline_counts` row.
type TimelineKey = (String, String, i64, i64);
type TimelineCounts = super::timeline::Counts;

/// Most timeline rows that `check` names one by one.
const TIMELINE_PROBLEMS_SHOWN: usize = 20;

/// Rows of `sql` as (key → counts), leaving out rows of zeros (the triggers leave such rows
/// behind after deletes; they mean nothing).
fn timeline_rows(conn: &Db, sql: &str) -> StoreResult<BTreeMap<TimelineKey, TimelineCounts>> {
    let mut rows_by_key = BTreeMap::new();
    conn.query(sql, &[], |r| {
        let mut counts = [0; 8];
        for (i, count) in counts.iter_mut().enumerate() {
            *count = r.get(i + 4)?;
        }
        if counts != [0; 8] {
            rows_by_key.insert((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?), counts);
        }
        Ok(())
    })?;
    Ok(rows_by_key)
}

/// The timeline rows whose stored counts differ from the recount: (key, stored, recount).
fn timeline_differences(
    conn: &Db,
) -> StoreResult<Vec<(TimelineKey, TimelineCounts, TimelineCounts)>> {
    let stored = timeline_rows(
        conn,
        "SELECT organization_id, scope, span, start, started, answered, voicemail, no_answer,
                busy, failed, completed, exhausted
         FROM timeline_counts",
    )?;
    let recount = timeline_rows(conn, &timeline_recount(conn.dialect()))?;
    let keys: std::collections::BTreeSet<&TimelineKey> =
        stored.keys().chain(recount.keys()).collect();
    Ok(keys
        .into_iter()
        .filter_map(|key| {
            let stored = stored.get(key).copied().unwrap_or_default();
            let recount = recount.get(key).copied().unwrap_or_default();
            (stored != recount).then(|| (key.clone(), stored, recount))
        })
        .collect())
}

/// The stored counters and their recount, read in one transaction.
struct Counters {
    /// (organisation, scope) → (stored, recounted); a missing row is stored as zeros.
    scopes: BTreeMap<(String, String), (Counts, Counts)>,
    /// organisation → (stored active_calls, recounted).
    calls: BTreeMap<String, (i64, i64)>,
    /// Scopes with contacts but no counter row.
    missing_rows: Vec<(String, String)>,
}

fn count_counters(conn: &Db) -> StoreResult<Counters> {
    let mut scopes: BTreeMap<(String, String), (Counts, Counts)> = BTreeMap::new();
    let mut stored_rows = std::collections::BTreeSet::new();
    conn.query(
        "SELECT organization_id, scope, pending, locked, in_progress, completed, exhausted, attempts
         FROM contact_counts",
        &[],
        |r| {
            let key: (String, String) = (r.get(0)?, r.get(1)?);
            let mut counts = [0; 6];
            for (i, count) in counts.iter_mut().enumerate() {
                *count = r.get(i + 2)?;
            }
            stored_rows.insert(key.clone());
            scopes.entry(key).or_default().0 = counts;
            Ok(())
        },
    )?;
    conn.query(
        "SELECT organization_id, coalesce(campaign_id, ''),
                count(CASE WHEN status = 'pending' THEN 1 END),
                count(CASE WHEN status = 'locked' THEN 1 END),
                count(CASE WHEN status = 'in_progress' THEN 1 END),
                count(CASE WHEN status = 'completed' THEN 1 END),
                count(CASE WHEN status = 'exhausted' THEN 1 END)
         FROM contacts GROUP BY 1, 2",
        &[],
        |r| {
            let recount = &mut scopes.entry((r.get(0)?, r.get(1)?)).or_default().1;
            for (i, count) in recount.iter_mut().take(5).enumerate() {
                *count = r.get(i + 2)?;
            }
            Ok(())
        },
    )?;
    conn.query(
        "SELECT c.organization_id, coalesce(c.campaign_id, ''), count(*)
         FROM attempts a JOIN contacts c ON c.seq = a.contact_seq GROUP BY 1, 2",
        &[],
        |r| {
            scopes.entry((r.get(0)?, r.get(1)?)).or_default().1[5] = r.get(2)?;
            Ok(())
        },
    )?;
    let mut calls: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    conn.query("SELECT id, active_calls FROM organizations", &[], |r| {
        calls.insert(r.get(0)?, (r.get(1)?, 0));
        Ok(())
    })?;
    for ((org, _), (_, recount)) in &scopes {
        if let Some(entry) = calls.get_mut(org) {
            entry.1 += recount[1] + recount[2];
        }
    }
    let missing_rows = scopes
        .iter()
        .filter(|(key, (_, recount))| !stored_rows.contains(*key) && *recount != [0; 6])
        .map(|(key, _)| key.clone())
        .collect();
    Ok(Counters {
        scopes,
        calls,
        missing_rows,
    })
}

/// What `check` found.
#[derive(Debug, Default)]
pub struct Report {
    pub integrity: Vec<String>,
    pub foreign_keys: Vec<String>,
    pub counters: Vec<String>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.integrity.is_empty() && self.foreign_keys.is_empty() && self.counters.is_empty()
    }
}

fn scope_name(org: &str, scope: &str) -> String {
    if scope.is_empty() {
        format!("organisation {org}, ad-hoc contacts")
    } else {
        format!("organisation {org}, campaign {scope}")
    }
}

/// Every stored counter against a recount, all on one snapshot of the database (safe beside a
/// running server: it only reads); on SQLite also `integrity_check` and `foreign_key_check`
/// (PostgreSQL enforces the references itself and checks its pages on its own).
pub fn check(conn: &Db) -> StoreResult<Report> {
    conn.batch(match conn.dialect() {
        Dialect::Sqlite => "BEGIN",
        Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    })?;
    let report = check_in_transaction(conn);
    conn.batch("COMMIT")?;
    report
}

/// `check` inside a transaction the caller holds (`copy` checks its target before it commits).
pub fn check_in_transaction(conn: &Db) -> StoreResult<Report> {
    let mut report = Report::default();
    if let Db::Sqlite(file) = conn {
        report.integrity = integrity(file)?;
        let mut statement = file.prepare("PRAGMA foreign_key_check")?;
        let mut rows = statement.query([])?;
        while let Some(r) = rows.next()? {
            let table: String = r.get(0)?;
            let rowid: Option<i64> = r.get(1)?;
            let parent: String = r.get(2)?;
            report.foreign_keys.push(format!(
                "{table} row {} refers to a missing {parent} row",
                rowid.map_or("?".into(), |id| id.to_string())
            ));
        }
    }
    let counters = count_counters(conn)?;
    for (org, scope) in &counters.missing_rows {
        report.counters.push(format!(
            "contact_counts: no row for {} (which has contacts)",
            scope_name(org, scope)
        ));
    }
    for ((org, scope), (stored, recount)) in &counters.scopes {
        for (i, column) in COUNT_COLUMNS.iter().enumerate() {
            if stored[i] != recount[i]
                && !counters
                    .missing_rows
                    .contains(&(org.clone(), scope.clone()))
            {
                report.counters.push(format!(
                    "contact_counts.{column} of {}: stored {}, recount {}",
                    scope_name(org, scope),
                    stored[i],
                    recount[i]
                ));
            }
        }
    }
    for (org, (stored, recount)) in &counters.calls {
        if stored != recount {
            report.counters.push(format!(
                "organizations.active_calls of {org}: stored {stored}, recount {recount}"
            ));
        }
    }
    let differences = timeline_differences(conn)?;
    for ((org, scope, span, start), stored, recount) in
        differences.iter().take(TIMELINE_PROBLEMS_SHOWN)
    {
        let at = crate::domain::time::format(crate::domain::timeline::at_minute(*start));
        let unit = if *span == 1 { "minute" } else { "hour" };
        let columns: Vec<String> = super::timeline::COLUMNS
            .iter()
            .enumerate()
            .filter(|(i, _)| stored[*i] != recount[*i])
            .map(|(i, column)| format!("{column} stored {}, recount {}", stored[i], recount[i]))
            .collect();
        report.counters.push(format!(
            "timeline_counts of {}, {unit} from {at}: {}",
            scope_name(org, scope),
            columns.join(", ")
        ));
    }
    if differences.len() > TIMELINE_PROBLEMS_SHOWN {
        report.counters.push(format!(
            "timeline_counts: {} more rows differ from the recount",
            differences.len() - TIMELINE_PROBLEMS_SHOWN
        ));
    }
    Ok(report)
}

/// Recomputes every counter from the rows, in one write transaction; returns how many counter
/// rows changed.
pub fn repair_counters(tx: &Db) -> StoreResult<usize> {
    {
        let counters = count_counters(tx)?;
        let mut changed = 0;
        for ((org, scope), (stored, recount)) in &counters.scopes {
            let missing = counters
                .missing_rows
                .contains(&(org.clone(), scope.clone()));
            if stored == recount && !missing {
                continue;
            }
            tx.execute("INSERT INTO contact_counts
                     (organization_id, scope, pending, locked, in_progress, completed, exhausted, attempts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (organization_id, scope) DO UPDATE SET
                     pending = excluded.pending, locked = excluded.locked,
                     in_progress = excluded.in_progress, completed = excluded.completed,
                     exhausted = excluded.exhausted, attempts = excluded.attempts", args![
                    org, scope, recount[0], recount[1], recount[2], recount[3], recount[4],
                    recount[5]
                ])?;
            changed += 1;
        }
        for (org, (stored, recount)) in &counters.calls {
            if stored != recount {
                tx.execute(
                    "UPDATE organizations SET active_calls = ?2 WHERE id = ?1",
                    args![org, recount],
                )?;
                changed += 1;
            }
        }
        // The timeline is rebuilt whole from the recount when any row differs.
        let differences = timeline_differences(tx)?.len();
        if differences > 0 {
            tx.execute("DELETE FROM timeline_counts", &[])?;
            tx.execute(
                &format!(
                    "INSERT INTO timeline_counts (organization_id, scope, span, start, started,
                         answered, voicemail, no_answer, busy, failed, completed, exhausted)
                     {}",
                    timeline_recount(tx.dialect())
                ),
                &[],
            )?;
            changed += differences;
        }
        Ok::<_, StoreError>(changed)
    }
}

/// What `GET /metrics` reads at each scrape: contacts by organisation and status (from the
/// counters, a few rows) and each organisation's calls up.
pub fn counts_for_metrics(conn: &Db) -> StoreResult<crate::metrics::Counts> {
    let mut contacts = Vec::new();
    conn.query(
        "SELECT organization_id, CAST(sum(pending) AS BIGINT), CAST(sum(locked) AS BIGINT),
                CAST(sum(in_progress) AS BIGINT), CAST(sum(completed) AS BIGINT),
                CAST(sum(exhausted) AS BIGINT)
         FROM contact_counts GROUP BY organization_id",
        &[],
        |r| {
            let org: String = r.get(0)?;
            for (i, status) in COUNT_COLUMNS.iter().take(5).enumerate() {
                contacts.push((org.clone(), *status, r.get(i + 1)?));
            }
            Ok(())
        },
    )?;
    let calls_up = conn.query("SELECT id, active_calls FROM organizations", &[], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    let wal_bytes = match conn {
        Db::Sqlite(file) => file.path().map_or(0, |db| {
            std::fs::metadata(super::wal_path(Path::new(db))).map_or(0, |m| m.len())
        }),
        Db::Postgres(_) => 0,
    };
    Ok(crate::metrics::Counts {
        contacts,
        calls_up,
        wal_bytes,
    })
}
