//! One connection as the store's verbs see it, SQLite or PostgreSQL: the same few calls with the
//! same SQL text, written with SQLite's `?N` placeholders (PostgreSQL's `$N` are made from them),
//! and the dialect for the few statements that differ. Both schemas use the same column types
//! (text timestamps, 64-bit integers), so values cross either way unchanged — bind integers as
//! `i64` (PostgreSQL refuses an `i32` for a bigint) and cast sums back to BIGINT (PostgreSQL sums
//! bigints into numeric).

use super::{StoreError, StoreResult};
use std::borrow::Cow;
use std::cell::Cell;
use std::ops::ControlFlow;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Whole seconds since the Unix epoch of `expr`, an RFC 3339 text.
    pub fn epoch_seconds(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => format!("unixepoch({expr})"),
            Dialect::Postgres => {
                format!("floor(extract(epoch FROM CAST({expr} AS timestamptz)))::bigint")
            }
        }
    }
}

/// A value bound to a placeholder: anything both drivers can send.
pub trait Value: rusqlite::ToSql + tokio_postgres::types::ToSql + Sync {
    fn sqlite(&self) -> &dyn rusqlite::ToSql;
    fn postgres(&self) -> &(dyn tokio_postgres::types::ToSql + Sync);
}

impl<T: rusqlite::ToSql + tokio_postgres::types::ToSql + Sync> Value for T {
    fn sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn postgres(&self) -> &(dyn tokio_postgres::types::ToSql + Sync) {
        self
    }
}

/// A column read back: anything both drivers can read.
pub trait Column: rusqlite::types::FromSql + for<'r> tokio_postgres::types::FromSql<'r> {}
impl<T: rusqlite::types::FromSql + for<'r> tokio_postgres::types::FromSql<'r>> Column for T {}

/// The values of a statement's placeholders, in order: `args![org, id]`.
#[macro_export]
macro_rules! args {
    () => { &[] as &[&dyn $crate::store::db::Value] };
    ($($value:expr),+ $(,)?) => { &[$(&$value as &dyn $crate::store::db::Value),+] };
}
pub use args;

/// A row of a result.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r tokio_postgres::Row),
}

impl Row<'_> {
    pub fn get<T: Column>(&self, index: usize) -> StoreResult<T> {
        match self {
            Row::Sqlite(row) => Ok(row.get(index)?),
            Row::Postgres(row) => Ok(row.try_get(index)?),
        }
    }
}

/// How long one statement may take on PostgreSQL before the connection is given up as gone
/// (the request answers 503 instead of hanging; §10.2 asks for an answer within 5 s).
pub const POSTGRES_STATEMENT_TIMEOUT: Duration = Duration::from_secs(4);

/// A PostgreSQL connection used from a blocking thread: each call waits on the runtime.
pub struct Postgres<'a> {
    pub(super) client: &'a deadpool_postgres::ClientWrapper,
    pub(super) runtime: &'a tokio::runtime::Handle,
    /// A statement timed out or the connection failed: it must not go back to the pool.
    pub(super) broken: &'a Cell<bool>,
    /// How long one statement may take (`POSTGRES_STATEMENT_TIMEOUT` unless the store says).
    pub(super) timeout: Duration,
}

impl Postgres<'_> {
    fn run<T>(
        &self,
        work: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> StoreResult<T> {
        let outcome = self
            .runtime
            .block_on(async { tokio::time::timeout(self.timeout, work).await });
        let result = match outcome {
            Ok(result) => result.map_err(StoreError::from),
            Err(_) => Err(StoreError::Unavailable),
        };
        if matches!(result, Err(StoreError::Unavailable)) {
            self.broken.set(true);
        }
        result
    }

    fn statement(&self, sql: &str) -> StoreResult<tokio_postgres::Statement> {
        self.run(self.client.prepare_cached(&postgres_sql(sql)))
    }

    /// A statement not kept prepared: planned for its values at each run.
    fn query_unprepared(
        &self,
        sql: &str,
        args: &[&dyn Value],
    ) -> StoreResult<Vec<tokio_postgres::Row>> {
        let sql = postgres_sql(sql);
        let values: Vec<_> = args.iter().map(|v| v.postgres()).collect();
        self.run(self.client.query(sql.as_ref(), &values))
    }

    fn query(&self, sql: &str, args: &[&dyn Value]) -> StoreResult<Vec<tokio_postgres::Row>> {
        let statement = self.statement(sql)?;
        let values: Vec<_> = args.iter().map(|v| v.postgres()).collect();
        self.run(self.client.query(&statement, &values))
    }
}

/// The store's connection inside a read or a write.
pub enum Db<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(Postgres<'a>),
}

impl Db<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &[&dyn Value]) -> StoreResult<u64> {
        match self {
            Db::Sqlite(conn) => {
                let values: Vec<_> = args.iter().map(|v| v.sqlite()).collect();
                Ok(conn.prepare_cached(sql)?.execute(values.as_slice())? as u64)
            }
            Db::Postgres(pg) => {
                let statement = pg.statement(sql)?;
                let values: Vec<_> = args.iter().map(|v| v.postgres()).collect();
                pg.run(pg.client.execute(&statement, &values))
            }
        }
    }

    /// Every row of a query, each read by `read`.
    pub fn query<T>(
        &self,
        sql: &str,
        args: &[&dyn Value],
        mut read: impl FnMut(&Row<'_>) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        match self {
            Db::Sqlite(conn) => {
                let values: Vec<_> = args.iter().map(|v| v.sqlite()).collect();
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(values.as_slice())?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(read(&Row::Sqlite(row))?);
                }
                Ok(out)
            }
            Db::Postgres(pg) => read_all(&pg.query(sql, args)?, read),
        }
    }

    /// The rows of `select` (a `SELECT … FROM … WHERE …` whose placeholders are `args`) whose
    /// indexed text `key` is one of `keys`: a batch's contacts by id or external_id, attempts by
    /// id. The keys go in chunks of the `LIST_SIZES`, padded with NULL (which matches nothing),
    /// so that each size is one statement text. SQLite reads `key IN (…)`. PostgreSQL probes the
    /// index once per key — a `LATERAL` subquery over `VALUES` (text), which `OFFSET 0` keeps from
    /// being merged into a join — planned for its values each time. An `IN` list or a join is
    /// planned from statistics, and a young table has none until autovacuum's first ANALYZE (it
    /// looks once a minute): the planner then read a campaign's every contact for a batch of
    /// external ids (70–100 ms at 300,000 contacts) or scanned the attempts, where the probes take
    /// 1–2 ms with or without statistics.
    pub fn query_by_keys<T>(
        &self,
        select: &str,
        key: &str,
        args: &[&dyn Value],
        keys: &[&dyn Value],
        mut read: impl FnMut(&Row<'_>) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        const NO_KEY: Option<&str> = None;
        let mut rows = Vec::new();
        for chunk in keys.chunks(LIST_SIZES[0]) {
            let size = list_size(chunk.len());
            let mut values = args.to_vec();
            values.extend_from_slice(chunk);
            values.resize(args.len() + size, &NO_KEY);
            let first = args.len() + 1;
            match self {
                Db::Sqlite(_) => {
                    let list = placeholders(first, size);
                    let sql = format!("{select} AND {key} IN ({list})");
                    rows.extend(self.query(&sql, &values, &mut read)?);
                }
                Db::Postgres(pg) => {
                    let list: Vec<String> =
                        (first..first + size).map(|n| format!("(?{n})")).collect();
                    let sql = format!(
                        "SELECT found.* FROM (VALUES {}) AS wanted (key)
                         CROSS JOIN LATERAL ({select} AND {key} = wanted.key OFFSET 0) AS found",
                        list.join(", ")
                    );
                    rows.extend(read_all(&pg.query_unprepared(&sql, &values)?, &mut read)?);
                }
            }
        }
        Ok(rows)
    }

    /// From here to the end of the transaction, PostgreSQL plans each statement for its values
    /// and the tables' sizes now, instead of reusing a plan made when they were smaller: the
    /// dialer's `attempts` grows by thousands of rows a second, and plans kept from its first
    /// minute joined by scanning it (10–50 ms a statement, under the write lock). SQLite plans
    /// every statement anyway.
    pub fn plan_each_statement(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite(_) => Ok(()),
            Db::Postgres(_) => self.batch("SET LOCAL plan_cache_mode = force_custom_plan"),
        }
    }

    /// Reads rows in order until `read` says to stop (a filter that needs only the first few).
    pub fn each(
        &self,
        sql: &str,
        args: &[&dyn Value],
        mut read: impl FnMut(&Row<'_>) -> StoreResult<ControlFlow<()>>,
    ) -> StoreResult<()> {
        match self {
            Db::Sqlite(conn) => {
                let values: Vec<_> = args.iter().map(|v| v.sqlite()).collect();
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(values.as_slice())?;
                while let Some(row) = rows.next()? {
                    if read(&Row::Sqlite(row))?.is_break() {
                        break;
                    }
                }
            }
            Db::Postgres(pg) => {
                for row in pg.query(sql, args)? {
                    if read(&Row::Postgres(&row))?.is_break() {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// The first row of a query, if there is one.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        args: &[&dyn Value],
        read: impl FnOnce(&Row<'_>) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        match self {
            Db::Sqlite(conn) => {
                let values: Vec<_> = args.iter().map(|v| v.sqlite()).collect();
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(values.as_slice())?;
                match rows.next()? {
                    Some(row) => Ok(Some(read(&Row::Sqlite(row))?)),
                    None => Ok(None),
                }
            }
            Db::Postgres(pg) => match pg.query(sql, args)?.first() {
                Some(row) => Ok(Some(read(&Row::Postgres(row))?)),
                None => Ok(None),
            },
        }
    }

    /// The first row of a query that always has one (an aggregate).
    pub fn query_one<T>(
        &self,
        sql: &str,
        args: &[&dyn Value],
        read: impl FnOnce(&Row<'_>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.query_opt(sql, args, read)?.ok_or(StoreError::NotFound)
    }

    /// Runs statements without values (savepoints, schema).
    pub fn batch(&self, sql: &str) -> StoreResult<()> {
        match self {
            Db::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Db::Postgres(pg) => pg.run(pg.client.batch_execute(sql)),
        }
    }
}

/// Every PostgreSQL row, each read by `read`.
fn read_all<T>(
    rows: &[tokio_postgres::Row],
    mut read: impl FnMut(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    rows.iter().map(|row| read(&Row::Postgres(row))).collect()
}

/// Values per `IN (…)` list: a few fixed sizes (a chunk is padded) keep the statement caches
/// small.
const LIST_SIZES: [usize; 4] = [512, 64, 8, 1];

/// `values` in chunks of at most the largest of `LIST_SIZES`, each padded (with its first value)
/// to the smallest size that holds it, for `IN (…)` lists.
pub fn padded_chunks<T: Clone>(values: &[T]) -> impl Iterator<Item = Vec<T>> + '_ {
    values.chunks(LIST_SIZES[0]).map(|chunk| {
        let mut padded = chunk.to_vec();
        padded.resize(list_size(chunk.len()), chunk[0].clone());
        padded
    })
}

/// The smallest of the `LIST_SIZES` that holds `len` values (at most the largest).
fn list_size(len: usize) -> usize {
    *LIST_SIZES
        .iter()
        .rev()
        .find(|&&size| size >= len)
        .expect("a chunk is at most the largest size")
}

/// Rows per multi-row insert: a few fixed sizes, for the statement caches.
const INSERT_SIZES: [usize; 9] = [256, 128, 64, 32, 16, 8, 4, 2, 1];

/// `rows` in chunks of the `INSERT_SIZES`, largest first.
pub fn insert_chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        let size = *INSERT_SIZES.iter().find(|&&size| size <= rest.len())?;
        let (chunk, after) = rest.split_at(size);
        rest = after;
        Some(chunk)
    })
}

/// `?from, ?from+1, …` for `count` values.
pub fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("?{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The shared SQL as PostgreSQL reads it: SQLite's `?N` (and bare `?`) placeholders become `$N`
/// outside quoted text; `ifnull` is `coalesce`; and the null-safe `x IS ?N` (used on text ids)
/// becomes `coalesce(x, '') = coalesce($N, '')`, which PostgreSQL's indexes on
/// `coalesce(campaign_id, '')` serve (it cannot use an index for `IS NOT DISTINCT FROM`).
fn postgres_sql(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') && !sql.contains("ifnull(") {
        return Cow::Borrowed(sql);
    }
    let sql = sql.replace("ifnull(", "coalesce(");
    let sql = null_safe_equal(&sql);
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 1;
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                let mut number = String::new();
                while let Some(digit) = chars.next_if(char::is_ascii_digit) {
                    number.push(digit);
                }
                if number.is_empty() {
                    number = next.to_string();
                    next += 1;
                }
                out.push('$');
                out.push_str(&number);
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `column IS ?N` as `coalesce(column, '') = coalesce(?N, '')`.
fn null_safe_equal(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(" IS ?") {
        let (before, after) = rest.split_at(at);
        let column_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .map_or(0, |i| i + 1);
        let digits = after[5..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len() - 5);
        let placeholder = &after[4..5 + digits];
        out.push_str(&before[..column_start]);
        out.push_str(&format!(
            "coalesce({}, '') = coalesce({placeholder}, '')",
            &before[column_start..]
        ));
        rest = &after[5 + digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::postgres_sql;

    #[test]
    fn placeholders_become_numbered_outside_quotes() {
        assert_eq!(
            postgres_sql("SELECT a FROM t WHERE a = ?1 AND b = ?12 AND c = '?'"),
            "SELECT a FROM t WHERE a = $1 AND b = $12 AND c = '?'"
        );
        assert_eq!(postgres_sql("VALUES (?, ?, ?)"), "VALUES ($1, $2, $3)");
        assert_eq!(postgres_sql("SELECT 1"), "SELECT 1");
        assert_eq!(
            postgres_sql("WHERE c.campaign_id IS ?2 AND x = ifnull(?3, y)"),
            "WHERE coalesce(c.campaign_id, '') = coalesce($2, '') AND x = coalesce($3, y)"
        );
    }
}
