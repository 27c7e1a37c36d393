//! The timeline's counters (`timeline_counts`, kept by the schema's triggers): a scope's buckets
//! over a range, and the minutes of its most recent calling. Every read is bounded by the range
//! (or a fixed number of rows), never by the number of attempts.

use super::StoreResult;
use super::args;
use super::contacts::Scope;
use super::db::Db;
use crate::domain::timeline::{Bucket, Minute, Range};

/// The counter columns of `timeline_counts`, in order.
pub const COLUMNS: [&str; 8] = [
    "started",
    "answered",
    "voicemail",
    "no_answer",
    "busy",
    "failed",
    "completed",
    "exhausted",
];

/// One bucket's counts, in the order of `COLUMNS`.
pub type Counts = [i64; 8];

/// Most minute rows read back from now for the finish estimate's rate: an hour of calling is at
/// most 60 rows with calls, plus rows left at zero by deletes.
const RECENT_ROWS: i64 = 200;

/// The counts of every bucket of `range`, zeros included. Hours and days are summed from the
/// hour rows (at most 24 a day), minutes read from the minute rows.
pub fn buckets(conn: &Db, scope: &Scope, range: &Range) -> StoreResult<Vec<Counts>> {
    let span: i64 = if range.bucket == Bucket::Minute {
        1
    } else {
        60
    };
    let mut counts = vec![[0; 8]; range.count as usize];
    conn.query(
        "SELECT start, started, answered, voicemail, no_answer, busy, failed, completed, exhausted
         FROM timeline_counts
         WHERE organization_id = ?1 AND scope = ?2 AND span = ?3 AND start >= ?4 AND start < ?5",
        args![scope.org, scope.key(), span, range.first, range.end()],
        |r| {
            if let Some(index) = range.index_of(r.get(0)?) {
                for (i, count) in counts[index].iter_mut().enumerate() {
                    *count += r.get::<i64>(i + 1)?;
                }
            }
            Ok(())
        },
    )?;
    Ok(counts)
}

/// The minutes with calls at or before `now_minute`, newest first (at most `RECENT_ROWS` rows
/// read).
pub fn recent_minutes(conn: &Db, scope: &Scope, now_minute: i64) -> StoreResult<Vec<Minute>> {
    let minutes = conn.query(
        "SELECT start, started + answered + voicemail + no_answer + busy + failed,
                completed + exhausted
         FROM timeline_counts
         WHERE organization_id = ?1 AND scope = ?2 AND span = 1 AND start <= ?3
         ORDER BY start DESC LIMIT ?4",
        args![scope.org, scope.key(), now_minute, RECENT_ROWS],
        |r| {
            Ok(Minute {
                minute: r.get(0)?,
                calls: r.get(1)?,
                finished: r.get(2)?,
            })
        },
    )?;
    Ok(minutes
        .into_iter()
        .filter(|m| m.calls > 0 || m.finished > 0)
        .collect())
}

/// The first minute with a counter row in the scope (the start of the ad-hoc contacts' timeline).
pub fn first_minute(conn: &Db, scope: &Scope) -> StoreResult<Option<i64>> {
    conn.query_opt(
        "SELECT start FROM timeline_counts
             WHERE organization_id = ?1 AND scope = ?2 AND span = 1 ORDER BY start LIMIT 1",
        args![scope.org, scope.key()],
        |r| r.get(0),
    )
}
