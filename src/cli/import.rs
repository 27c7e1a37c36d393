//! `campaignd import`: the CSV import on the database directly (the rules of
//! `POST …/contacts/import`), one transaction, with progress on a terminal.

use super::{CliError, CliResult, open};
use crate::config::ImportArgs;
use crate::domain::time;
use crate::import;
use crate::store::contacts::{self, ImportMode};
use std::io::{IsTerminal, Write};
use std::path::Path;

pub(super) fn import(db: &Path, args: ImportArgs) -> CliResult<()> {
    let body = std::fs::read(&args.file).map_err(|source| CliError::File {
        path: args.file.clone(),
        source,
    })?;
    let csv = import::parse(&body)
        .map_err(|p| CliError::refused(format!("{}: {}", args.file.display(), p.msg)))?;
    let mut conn = open(db)?;
    // The campaign as the API resolves it (UUID, external_id or `default`).
    let target = contacts::target(&conn, &args.org, &args.campaign)?.ok_or_else(|| {
        CliError::refused(format!(
            "no campaign '{}' in organisation '{}'",
            args.campaign, args.org
        ))
    })?;
    let (items, row_errors) = import::items(&csv, target.region);
    let (lines, writes): (Vec<u64>, Vec<_>) = items.into_iter().unzip();

    let progress = std::io::stderr().is_terminal();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(crate::store::StoreError::from)?;
    // Inside the transaction, as the API does: a campaign closed meanwhile refuses the import.
    contacts::ensure_open(&tx, &target.scope)?;
    let mut outcomes = Vec::with_capacity(writes.len());
    for chunk in writes.chunks(2_000) {
        let applied = contacts::import(
            &tx,
            &target.scope,
            chunk,
            ImportMode::SkipInvalid,
            time::now(),
        )?;
        outcomes.extend(applied);
        if progress {
            eprint!("\rimporting: {} of {} rows", outcomes.len(), writes.len());
            let _ = std::io::stderr().flush();
        }
    }
    if progress {
        eprintln!();
    }
    let applied: Vec<_> = lines.into_iter().zip(outcomes).collect();
    let report = import::Report::new(&csv, args.dry_run, row_errors, &applied);
    let keep = !args.dry_run && (args.skip_invalid || report.error_count == 0);
    if keep {
        tx.commit().map_err(crate::store::StoreError::from)?;
    }
    for error in &report.errors {
        let column = error
            .column
            .as_deref()
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        eprintln!("line {}{column}: {}", error.line, error.msg);
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("a report serialises")
    );
    match (keep, args.dry_run) {
        (true, _) | (false, true) => Ok(()),
        (false, false) => Err(CliError::Problems(format!(
            "{} problem(s); nothing was imported (fix them, or use --skip-invalid)",
            report.error_count
        ))),
    }
}
