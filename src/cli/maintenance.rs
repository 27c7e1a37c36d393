//! `campaignd backup` and `campaignd check`: a verified online copy, and the checks of a
//! database with its counters against a recount.

use super::{CliError, CliResult, Database, Location, file_error};
use crate::config::{BackupArgs, CheckArgs};
use crate::store::{self, maintenance};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// `campaignd backup PATH`: the online backup, with progress on a terminal.
pub(super) fn backup(db: &Path, args: BackupArgs) -> CliResult<()> {
    let terminal = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut shown = -1;
    let backup = maintenance::backup(db, &args.path, args.force, |done, total| {
        let percent = if total == 0 { 100 } else { done * 100 / total };
        if terminal && percent != shown {
            shown = percent;
            let then = if done == total {
                "; integrity_check on the copy…"
            } else {
                ""
            };
            eprint!("\rbacking up: {percent}% of {total} pages{then}");
            let _ = std::io::stderr().flush();
        }
    });
    if terminal && shown >= 0 {
        eprintln!();
    }
    let backup = backup?;
    println!(
        "backed up {} to {} ({} pages, {:.1} MiB, {:.1} s); integrity_check: ok",
        db.display(),
        args.path.display(),
        backup.pages,
        backup.bytes as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `campaignd check [--repair-counters]`: prints what is wrong, one line each; fails if anything
/// is (after a repair, if only counters were wrong, it succeeds).
pub(super) fn check(location: &Location, args: CheckArgs) -> CliResult<()> {
    if let Location::File(db) = location {
        if !db.exists() {
            return Err(CliError::refused(format!(
                "no database at {}",
                db.display()
            )));
        }
        let conn = store::open_connection(db).map_err(|e| file_error(db, e))?;
        let version = store::schema_version(&conn)?;
        if version != store::SCHEMA_VERSION {
            eprintln!(
                "note: schema version {version}; this build's is {} (serve upgrades the file)",
                store::SCHEMA_VERSION
            );
        }
    }
    let started = std::time::Instant::now();
    let mut database = Database::open_as_is(location)?;
    let mut report = database.read(maintenance::check)?;
    let print = |report: &maintenance::Report| {
        for line in &report.integrity {
            println!("integrity_check: {line}");
        }
        for line in &report.foreign_keys {
            println!("foreign_key_check: {line}");
        }
        for line in &report.counters {
            println!("counter: {line}");
        }
    };
    print(&report);
    if args.repair_counters && !report.counters.is_empty() {
        let changed = database.write(maintenance::repair_counters)?;
        println!("repaired: {changed} counter row(s) recomputed in one transaction");
        report = database.read(maintenance::check)?;
        if !report.counters.is_empty() {
            print(&report);
        }
    }
    let problems = report.integrity.len() + report.foreign_keys.len() + report.counters.len();
    let seconds = started.elapsed().as_secs_f64();
    if problems == 0 {
        match location {
            Location::File(db) => println!(
                "{}: ok (integrity_check, foreign_key_check, counters) in {seconds:.1} s",
                db.display()
            ),
            Location::Postgres(_) => println!("ok (counters, references) in {seconds:.1} s"),
        }
        Ok(())
    } else if report.integrity.is_empty() && report.foreign_keys.is_empty() {
        Err(CliError::Problems(format!(
            "{problems} counter(s) differ from a recount; `campaignd check --repair-counters` \
             recomputes them"
        )))
    } else {
        Err(CliError::Problems(format!(
            "{problems} problem(s) found; restore from a backup (see README, Production)"
        )))
    }
}
