//! `campaignd copy`: every table of one database into another, SQLite or PostgreSQL either way,
//! row for row with every column as stored (ids, `seq`, timestamps, secret hashes, counters), so
//! that ids, cursors and credentials stay valid. The source is read from one snapshot (a read
//! transaction: safe beside a running server); the target is written in one transaction, in
//! multi-row inserts, and verified before it commits (the same row counts as the snapshot, and
//! `maintenance::check` finds nothing), so a copy that fails leaves the target as it was.

use super::db::{Db, Dialect, Value};
use super::maintenance;
use super::postgres::PostgresStore;
use super::{SCHEMA_VERSION, StoreError, StoreResult};
use rusqlite::Connection;

/// How a column is stored (the same on both engines: TEXT, INTEGER/BIGINT, BLOB/BYTEA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Bytes,
}
use Kind::{Bytes, Int, Text};

/// A table as `copy` reads and writes it: every column, and the primary key it pages by.
pub struct Table {
    pub name: &'static str,
    columns: &'static [(&'static str, Kind)],
    key: &'static [&'static str],
}

/// Every table of the schema, parents before children. The counters come last: the target's
/// triggers count the attempts as they are inserted, and the counter tables are then replaced
/// by the source's. (`dialer_lease`, PostgreSQL's only, is the running nodes' state, not data.)
pub const TABLES: &[Table] = &[
    Table {
        name: "organizations",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("concurrency_limit", Int),
            ("active_calls", Int),
            ("created_at", Text),
        ],
        key: &["id"],
    },
    Table {
        name: "users",
        columns: &[("name", Text), ("created_at", Text)],
        key: &["name"],
    },
    Table {
        name: "api_keys",
        columns: &[
            ("key_id", Text),
            ("organization_id", Text),
            ("name", Text),
            ("secret_sha256", Bytes),
            ("scopes", Text),
            ("created_at", Text),
            ("expires_at", Text),
            ("revoked_at", Text),
        ],
        key: &["key_id"],
    },
    Table {
        name: "memberships",
        columns: &[
            ("user_name", Text),
            ("organization_id", Text),
            ("role", Text),
        ],
        key: &["user_name", "organization_id"],
    },
    Table {
        name: "personal_tokens",
        columns: &[
            ("token_id", Text),
            ("user_name", Text),
            ("secret_sha256", Bytes),
            ("scopes", Text),
            ("created_at", Text),
            ("expires_at", Text),
            ("revoked_at", Text),
        ],
        key: &["token_id"],
    },
    Table {
        name: "configurations",
        columns: &[
            ("id", Text),
            ("organization_id", Text),
            ("name", Text),
            ("default_timezone", Text),
            ("default_windows", Text),
            ("overrides", Text),
            ("scheduled_windows", Text),
            ("scheduled_overrides", Text),
            ("default_country_code", Text),
            ("max_attempts", Int),
            ("retry_delay_minutes", Int),
            ("agent_id", Text),
            ("agent_version", Int),
            ("agent_number", Text),
            ("created_at", Text),
            ("updated_at", Text),
        ],
        key: &["id"],
    },
    Table {
        name: "campaigns",
        columns: &[
            ("id", Text),
            ("organization_id", Text),
            ("external_id", Text),
            ("name", Text),
            ("status", Text),
            ("priority", Int),
            ("configuration_id", Text),
            ("created_at", Text),
            ("updated_at", Text),
        ],
        key: &["id"],
    },
    Table {
        name: "contacts",
        columns: &[
            ("seq", Int),
            ("id", Text),
            ("organization_id", Text),
            ("campaign_id", Text),
            ("external_id", Text),
            ("phone_numbers", Text),
            ("data", Text),
            ("timezone", Text),
            ("scheduled_at", Text),
            ("agent_id", Text),
            ("agent_config", Text),
            ("agent_number", Text),
            ("agent_version", Int),
            ("initial_context", Text),
            ("status", Text),
            ("attempt_count", Int),
            ("next_attempt_at", Text),
            ("locked_at", Text),
            ("created_at", Text),
            ("updated_at", Text),
            ("dial_at", Text),
        ],
        key: &["seq"],
    },
    Table {
        name: "attempts",
        columns: &[
            ("id", Text),
            ("contact_seq", Int),
            ("phone_number", Text),
            ("conversation_id", Text),
            ("status", Text),
            ("outcome", Text),
            ("started_at", Text),
            ("ended_at", Text),
        ],
        key: &["id"],
    },
    Table {
        name: "contact_counts",
        columns: &[
            ("organization_id", Text),
            ("scope", Text),
            ("pending", Int),
            ("locked", Int),
            ("in_progress", Int),
            ("completed", Int),
            ("exhausted", Int),
            ("attempts", Int),
        ],
        key: &["organization_id", "scope"],
    },
    Table {
        name: "timeline_counts",
        columns: &[
            ("organization_id", Text),
            ("scope", Text),
            ("span", Int),
            ("start", Int),
            ("started", Int),
            ("answered", Int),
            ("voicemail", Int),
            ("no_answer", Int),
            ("busy", Int),
            ("failed", Int),
            ("completed", Int),
            ("exhausted", Int),
        ],
        key: &["organization_id", "scope", "span", "start"],
    },
];

/// The tables the target's triggers write to while rows are inserted: replaced at the end.
const COUNTER_TABLES: [&str; 2] = ["contact_counts", "timeline_counts"];

/// Rows read from the source per query (one page of the keyset walk).
const PAGE_ROWS: usize = 5_000;
/// Most values bound to one insert: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_VALUES: usize = 30_000;

/// Why a copy was refused or did not verify. Nothing was committed to the target in any case.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the source holds no campaignd database (no schema)")]
    NoSchema,
    #[error(
        "the source is at schema version {found}; this build copies version {SCHEMA_VERSION}: \
         run this build's `campaignd serve` on it once (it upgrades the database in place), \
         then copy"
    )]
    OlderSource { found: i64 },
    #[error(
        "the source was written by a newer campaignd (schema version {found}; this build knows \
         up to {SCHEMA_VERSION}): copy it with that version"
    )]
    NewerSource { found: i64 },
    #[error("the target holds data (table {0} has rows): copy only into an empty database")]
    TargetHoldsData(&'static str),
    #[error(
        "the copy did not verify: {table} has {in_source} row(s) in the source and {in_copy} in \
         the copy"
    )]
    CountDiffers {
        table: &'static str,
        in_source: i64,
        in_copy: i64,
    },
    #[error(
        "the copy did not verify: {} (run `campaignd check` on the source: if it reports the \
         same, `check --repair-counters` there first)",
        .0.join("; ")
    )]
    Check(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CopyError {
    fn from(error: rusqlite::Error) -> Self {
        CopyError::Store(error.into())
    }
}

/// Where the copy is, for the command's progress line.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// `done` of `total` rows of `table` written.
    Rows {
        table: &'a str,
        done: i64,
        total: i64,
    },
    /// Everything written; counting and checking the target.
    Verifying,
}

/// What was copied: each table's rows, in `TABLES`' order (equal in source and target).
#[derive(Debug)]
pub struct Copied {
    pub tables: Vec<(&'static str, i64)>,
}

/// Runs `f` on one snapshot of an SQLite source: one read transaction (a running server's
/// commits after it began are not seen; its checkpoints wait for it to end).
pub fn from_sqlite<T>(
    conn: &Connection,
    f: impl FnOnce(&Db) -> Result<T, CopyError>,
) -> Result<T, CopyError> {
    // The snapshot starts at the first read, here.
    conn.execute_batch("BEGIN; SELECT count(*) FROM sqlite_schema;")?;
    let result = f(&Db::Sqlite(conn));
    // Nothing was written: the end of a read.
    let _ = conn.execute_batch("ROLLBACK");
    result
}

/// Runs `f` on one snapshot of a PostgreSQL source (`REPEATABLE READ READ ONLY` on one
/// connection).
pub fn from_postgres<T>(
    store: &PostgresStore,
    f: impl FnOnce(&Db) -> Result<T, CopyError>,
) -> Result<T, CopyError> {
    store.read_blocking(|db| {
        db.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        let result = f(db);
        let _ = db.batch("ROLLBACK");
        result
    })
}

/// Runs `f` in one `BEGIN IMMEDIATE` transaction of an SQLite target, committed only if `f`
/// succeeds; then folds the WAL back into the file.
pub fn into_sqlite<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Db) -> Result<T, CopyError>,
) -> Result<T, CopyError> {
    // A big page cache: the indexes of a large contacts table stay in memory while it fills.
    conn.execute_batch("PRAGMA cache_size = -262144;")?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let value = f(&Db::Sqlite(&tx))?;
    tx.commit()?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(value)
}

/// Runs `f` in one transaction of a PostgreSQL target, under the write lock every node takes,
/// committed only if `f` succeeds.
pub fn into_postgres<T>(
    store: &PostgresStore,
    f: impl FnOnce(&Db) -> Result<T, CopyError>,
) -> Result<T, CopyError> {
    store.write_blocking(f)
}

/// Copies everything from `from` (inside `from_sqlite`/`from_postgres`) to `to` (inside
/// `into_sqlite`/`into_postgres`), then verifies the target before its transaction commits.
pub fn copy(
    from: &Db,
    to: &Db,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<Copied, CopyError> {
    check_source(from)?;
    for table in TABLES {
        let has_rows = to
            .query_opt(
                &format!("SELECT 1 FROM {} LIMIT 1", table.name),
                &[],
                |_| Ok(()),
            )?
            .is_some();
        if has_rows {
            return Err(CopyError::TargetHoldsData(table.name));
        }
    }
    let counts = row_counts(from)?;
    let quiet = to.dialect() == Dialect::Postgres && quiet_attempt_triggers(to)?;
    for (table, &(_, total)) in TABLES.iter().zip(&counts) {
        if COUNTER_TABLES.contains(&table.name) {
            // What the triggers counted while the attempts went in, replaced by the source's.
            to.execute(&format!("DELETE FROM {}", table.name), &[])?;
        }
        copy_table(from, to, table, total, &mut progress)?;
    }
    if quiet {
        to.batch("ALTER TABLE attempts ENABLE TRIGGER USER")?;
    }
    // No trigger changes active_calls on inserts; set it from the source all the same, so the
    // copy never depends on what the target's triggers do.
    let calls: Vec<(String, i64)> =
        from.query("SELECT id, active_calls FROM organizations", &[], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    for (org, active_calls) in &calls {
        to.execute(
            "UPDATE organizations SET active_calls = ?2 WHERE id = ?1",
            super::args![org, active_calls],
        )?;
    }
    if to.dialect() == Dialect::Postgres {
        // New contacts continue after the copied ones (SQLite's rowid does by itself).
        to.query_opt(
            "SELECT setval(pg_get_serial_sequence('contacts', 'seq'), max(seq)) FROM contacts",
            &[],
            |_| Ok(()),
        )?;
    }

    progress(Progress::Verifying);
    let copied = row_counts(to)?;
    for ((table, source), (_, target)) in counts.iter().zip(&copied) {
        if source != target {
            return Err(CopyError::CountDiffers {
                table,
                in_source: *source,
                in_copy: *target,
            });
        }
    }
    let report = maintenance::check_in_transaction(to)?;
    if !report.is_clean() {
        let mut problems = report.integrity;
        problems.extend(report.foreign_keys);
        problems.extend(report.counters);
        return Err(CopyError::Check(problems));
    }
    Ok(Copied { tables: copied })
}

/// On PostgreSQL, the attempts' counting triggers are switched off for the copy's transaction
/// (the counters are copied whole at the end anyway): each would update the same few timeline
/// rows again for every attempt, and PostgreSQL keeps every version of a row updated many times
/// in one transaction, so that a large copy would slow to a crawl. Needs the table's owner (the
/// role that created the schema, as `copy` just did on an empty database); otherwise the triggers
/// stay on: slower, and still exact. The switch is part of the transaction: a failed copy leaves
/// them as they were.
fn quiet_attempt_triggers(to: &Db) -> StoreResult<bool> {
    to.batch("SAVEPOINT quiet")?;
    match to.batch("ALTER TABLE attempts DISABLE TRIGGER USER") {
        Ok(()) => {
            to.batch("RELEASE quiet")?;
            Ok(true)
        }
        Err(StoreError::Postgres(_)) => {
            to.batch("ROLLBACK TO quiet; RELEASE quiet")?;
            Ok(false)
        }
        Err(other) => Err(other),
    }
}

/// Refuses a source without this build's schema (the copy never upgrades its source).
pub fn check_source(from: &Db) -> Result<(), CopyError> {
    match source_version(from)? {
        None => Err(CopyError::NoSchema),
        Some(found) if found < SCHEMA_VERSION => Err(CopyError::OlderSource { found }),
        Some(found) if found > SCHEMA_VERSION => Err(CopyError::NewerSource { found }),
        Some(_) => Ok(()),
    }
}

/// The schema version of a source database; `None` when it has no campaignd schema.
fn source_version(db: &Db) -> StoreResult<Option<i64>> {
    match db.dialect() {
        Dialect::Sqlite => {
            let version: i64 = db.query_one("PRAGMA user_version", &[], |r| r.get(0))?;
            Ok((version > 0).then_some(version))
        }
        Dialect::Postgres => {
            let recorded: bool = db.query_one(
                "SELECT to_regclass('campaignd_schema') IS NOT NULL",
                &[],
                |r| r.get(0),
            )?;
            if !recorded {
                return Ok(None);
            }
            db.query_opt("SELECT version FROM campaignd_schema", &[], |r| r.get(0))
        }
    }
}

/// Every table's row count, in `TABLES`' order.
fn row_counts(db: &Db) -> StoreResult<Vec<(&'static str, i64)>> {
    TABLES
        .iter()
        .map(|table| {
            let count: i64 =
                db.query_one(&format!("SELECT count(*) FROM {}", table.name), &[], |r| {
                    r.get(0)
                })?;
            Ok((table.name, count))
        })
        .collect()
}

/// One stored value, read from either engine and bound to either.
enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
    Bytes(Option<Vec<u8>>),
}

impl Cell {
    fn value(&self) -> &dyn Value {
        match self {
            Cell::Text(value) => value,
            Cell::Int(value) => value,
            Cell::Bytes(value) => value,
        }
    }
}

/// Copies `table` page by page (keyset order of its primary key), each page written in as few
/// multi-row inserts as the engines' limits on bound values allow.
fn copy_table(
    from: &Db,
    to: &Db,
    table: &Table,
    total: i64,
    progress: &mut impl FnMut(Progress<'_>),
) -> StoreResult<()> {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let columns = names.join(", ");
    let key_at: Vec<usize> = table
        .key
        .iter()
        .map(|key| {
            names
                .iter()
                .position(|name| name == key)
                .expect("a table's key is one of its columns")
        })
        .collect();
    let key = table.key.join(", ");
    let first_page = format!(
        "SELECT {columns} FROM {} ORDER BY {key} LIMIT {PAGE_ROWS}",
        table.name
    );
    let after: Vec<String> = (1..=table.key.len()).map(|i| format!("?{i}")).collect();
    let next_page = format!(
        "SELECT {columns} FROM {} WHERE ({key}) > ({}) ORDER BY {key} LIMIT {PAGE_ROWS}",
        table.name,
        after.join(", ")
    );
    let rows_per_insert = (MAX_VALUES / names.len()).max(1);
    let mut done = 0;
    progress(Progress::Rows {
        table: table.name,
        done,
        total,
    });
    let mut last: Option<Vec<Cell>> = None;
    loop {
        let read = |r: &super::Row<'_>| {
            table
                .columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| {
                    Ok(match kind {
                        Text => Cell::Text(r.get(i)?),
                        Int => Cell::Int(r.get(i)?),
                        Bytes => Cell::Bytes(r.get(i)?),
                    })
                })
                .collect::<StoreResult<Vec<Cell>>>()
        };
        let page = match &last {
            None => from.query(&first_page, &[], read)?,
            Some(row) => {
                let after: Vec<&dyn Value> = key_at.iter().map(|&i| row[i].value()).collect();
                from.query(&next_page, &after, read)?
            }
        };
        for rows in page.chunks(rows_per_insert) {
            to.execute(
                &insert(table.name, &columns, names.len(), rows.len()),
                &rows
                    .iter()
                    .flatten()
                    .map(Cell::value)
                    .collect::<Vec<&dyn Value>>(),
            )?;
        }
        done += page.len() as i64;
        progress(Progress::Rows {
            table: table.name,
            done,
            total,
        });
        if page.len() < PAGE_ROWS {
            return Ok(());
        }
        last = page.into_iter().last();
    }
}

/// `INSERT INTO table (columns) VALUES (?1, …), (…)` for `rows` rows of `width` values.
fn insert(table: &str, columns: &str, width: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('?');
            sql.push_str(&(row * width + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::{Bytes, Int, Kind, TABLES, Text};

    /// Every table and column of the schema is copied, with its type: a column added to
    /// schema.sql without being added here fails this test.
    #[test]
    fn the_tables_are_the_whole_schema() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::store::migrate(&mut conn).unwrap();
        let mut statement = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap();
        let mut tables: Vec<String> = statement
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut copied: Vec<String> = TABLES.iter().map(|t| t.name.to_string()).collect();
        tables.sort();
        copied.sort();
        assert_eq!(tables, copied);
        for table in TABLES {
            let mut info = conn
                .prepare(&format!(
                    "SELECT name, type, pk FROM pragma_table_info('{}') ORDER BY cid",
                    table.name
                ))
                .unwrap();
            let columns: Vec<(String, Kind, i64)> = info
                .query_map([], |r| {
                    let kind = match r.get::<_, String>(1)?.as_str() {
                        "TEXT" => Text,
                        "INTEGER" => Int,
                        "BLOB" => Bytes,
                        other => panic!("a column of type {other}"),
                    };
                    Ok((r.get(0)?, kind, r.get(2)?))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let expected: Vec<(String, Kind)> = table
                .columns
                .iter()
                .map(|(name, kind)| (name.to_string(), *kind))
                .collect();
            let found: Vec<(String, Kind)> = columns
                .iter()
                .map(|(name, kind, _)| (name.clone(), *kind))
                .collect();
            assert_eq!(found, expected, "{}", table.name);
            let mut key: Vec<(i64, String)> = columns
                .iter()
                .filter(|(_, _, pk)| *pk > 0)
                .map(|(name, _, pk)| (*pk, name.clone()))
                .collect();
            key.sort();
            let key: Vec<String> = key.into_iter().map(|(_, name)| name).collect();
            assert_eq!(key, table.key, "{}", table.name);
        }
    }
}
