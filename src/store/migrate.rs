//! Applies `schema.sql` to a new database and upgrades older ones in place; refuses newer ones.

use rusqlite::Connection;

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 4;

const SCHEMA: &str = include_str!("../../schema.sql");

/// Steps from version N to N+1, in order: `UPGRADES[0]` upgrades version 1 to 2, and so on.
const UPGRADES: &[&str] = &[
    // 2: the dialer. Pending contacts are due from their next attempt (else their creation); the
    // dialer moves those outside their windows to the next opening as it meets them.
    "ALTER TABLE contacts ADD COLUMN dial_at TEXT;
     UPDATE contacts SET dial_at = ifnull(next_attempt_at, created_at) WHERE status = 'pending';
     CREATE INDEX contacts_due ON contacts (organization_id, campaign_id, dial_at, seq)
         WHERE status = 'pending';
     CREATE INDEX contacts_dialing ON contacts (locked_at) WHERE status IN ('locked', 'in_progress');",
    // 3: the timeline's counters, kept by triggers and filled from the attempts already there.
    include_str!("upgrade-3.sql"),
    // 4: the Twilio placer finds an attempt by its call's sid (each status callback).
    "CREATE INDEX attempts_by_conversation ON attempts (conversation_id)
         WHERE conversation_id IS NOT NULL;",
];

pub fn migrate(conn: &mut Connection) -> Result<(), String> {
    let sql_error = |e: rusqlite::Error| format!("migrating the database: {e}");
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sql_error)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sql_error)?;
    if version > SCHEMA_VERSION {
        return Err(format!(
            "this database was written by a newer campaignd (schema version {version}; this build \
             knows up to {SCHEMA_VERSION}). Upgrade campaignd, or restore a backup made by this version."
        ));
    }
    if version == 0 {
        let has_tables: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table')",
                [],
                |r| r.get(0),
            )
            .map_err(sql_error)?;
        if has_tables {
            return Err("this file holds an SQLite database that campaignd did not create".into());
        }
        tx.execute_batch(SCHEMA).map_err(sql_error)?;
    } else {
        for step in &UPGRADES[(version - 1) as usize..] {
            tx.execute_batch(step).map_err(sql_error)?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(sql_error)?;
    tx.commit().map_err(sql_error)
}
