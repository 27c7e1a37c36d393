//! The dialer's lease on PostgreSQL (docs/api.md §10.3): one row names the node that dials and
//! until when, by the database's clock. A node renews it well before it runs out; another takes
//! it only once it has; each pass holds the row shared until it commits, so a node that lost the
//! lease cannot commit a claim, and no node can take it in the middle of a pass.

use super::args;
use super::db::Db;
use super::{StoreError, StoreResult};

/// What holding the lease came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lease {
    /// This node held it and renewed it.
    Renewed,
    /// This node took it (it was free, run out, or never held).
    Taken,
    /// Another node holds it.
    Elsewhere,
}

/// Renews or takes the lease for `node` for `seconds`; runs in its own short transaction.
pub fn hold(db: &Db, node: &str, seconds: f64) -> StoreResult<Lease> {
    let current: Option<(String, bool)> = db.query_opt(
        "SELECT holder, expires_at > clock_timestamp() FROM dialer_lease WHERE id = 1 FOR UPDATE",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let lease = match &current {
        Some((holder, _)) if holder == node => Lease::Renewed,
        Some((_, true)) => return Ok(Lease::Elsewhere),
        _ => Lease::Taken,
    };
    let written = db.execute(
        "INSERT INTO dialer_lease (id, holder, expires_at)
         VALUES (1, ?1, clock_timestamp() + make_interval(secs => ?2))
         ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
        args![node, seconds],
    );
    match written {
        Ok(_) => Ok(lease),
        // Another node inserted the first row at the same moment.
        Err(StoreError::Constraint(_)) => Ok(Lease::Elsewhere),
        Err(error) => Err(error),
    }
}

/// Inside a pass: `NotLeader` unless `node` holds an unexpired lease, which stays held (shared)
/// until the pass commits.
pub fn fence(db: &Db, node: &str) -> StoreResult<()> {
    let held = db.query_opt(
        "SELECT 1 FROM dialer_lease
         WHERE id = 1 AND holder = ?1 AND expires_at > clock_timestamp() FOR SHARE",
        args![node],
        |_| Ok(()),
    )?;
    held.ok_or(StoreError::NotLeader)
}

/// Gives the lease up at a clean stop, so that another node takes it at once.
pub fn release(db: &Db, node: &str) -> StoreResult<()> {
    db.execute(
        "DELETE FROM dialer_lease WHERE id = 1 AND holder = ?1",
        args![node],
    )?;
    Ok(())
}
