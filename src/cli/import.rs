//! `campaignd import`: the CSV import on the database directly (the rules of
//! `POST …/contacts/import`), one transaction, with progress on a terminal.

use super::{CliError, CliResult, Database, Location};
use crate::config::ImportArgs;
use crate::domain::ids::OrgId;
use crate::domain::time;
use crate::import;
use crate::store::contacts::{self, ImportMode};
use std::io::{IsTerminal, Write};

pub(super) fn import(location: &Location, args: ImportArgs) -> CliResult<()> {
    let body = std::fs::read(&args.file).map_err(|source| CliError::File {
        path: args.file.clone(),
        source,
    })?;
    let csv = import::parse(&body)
        .map_err(|p| CliError::refused(format!("{}: {}", args.file.display(), p.msg)))?;
    let mut database = Database::open(location)?;
    // The campaign as the API resolves it (UUID, external_id or `default`).
    let target = database
        .read(|db| match OrgId::parse(&args.org) {
            Some(org) => contacts::target(db, &org, &args.campaign),
            // An id that cannot be an organisation's has no campaigns.
            None => Ok(None),
        })?
        .ok_or_else(|| {
            CliError::refused(format!(
                "no campaign '{}' in organisation '{}'",
                args.campaign, args.org
            ))
        })?;
    let (items, row_errors) = import::items(&csv, target.region);
    let (lines, writes): (Vec<u64>, Vec<_>) = items.into_iter().unzip();

    let progress = std::io::stderr().is_terminal();
    let dry_run = args.dry_run;
    // One transaction; its rows are rolled back unless every row applied (or --skip-invalid).
    let (keep, outcomes) = database.write(|db| {
        // Inside the transaction, as the API does: a campaign closed meanwhile refuses it.
        contacts::ensure_open(db, &target.scope)?;
        db.batch("SAVEPOINT cli_import")?;
        let mut outcomes = Vec::with_capacity(writes.len());
        for chunk in writes.chunks(2_000) {
            let applied = contacts::import(
                db,
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
        let errors = row_errors.len() + outcomes.iter().filter(|o| o.refusal().is_some()).count();
        let keep = !dry_run && (args.skip_invalid || errors == 0);
        if !keep {
            db.batch("ROLLBACK TO cli_import")?;
        }
        db.batch("RELEASE cli_import")?;
        Ok((keep, outcomes))
    })?;
    if progress {
        eprintln!();
    }
    let applied: Vec<_> = lines.into_iter().zip(outcomes).collect();
    let report = import::Report::new(&csv, args.dry_run, row_errors, &applied);
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
