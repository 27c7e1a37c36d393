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

/// Why a database cannot be brought to this build's schema.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "this database was written by a newer campaignd (schema version {found}; this build \
         knows up to {SCHEMA_VERSION}). Upgrade campaignd, or restore a backup made by this version."
    )]
    Newer { found: i64 },
    #[error("this database holds tables that campaignd did not create")]
    NotOurs,
    #[error("migrating the database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migrating the database: {0}")]
    Postgres(String),
}

/// Creates the schema in an empty database, or upgrades an older one in place, in one
/// transaction: if a step fails, nothing changed.
pub fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(MigrateError::Newer { found: version });
    }
    if version == 0 {
        let has_tables: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table')",
            [],
            |r| r.get(0),
        )?;
        if has_tables {
            return Err(MigrateError::NotOurs);
        }
        tx.execute_batch(SCHEMA)?;
    } else {
        for step in &UPGRADES[(version - 1) as usize..] {
            tx.execute_batch(step)?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(tx.commit()?)
}
