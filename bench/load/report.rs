//! The report: one table of what was measured against the goals.

use crate::*;

pub(crate) struct Report {
    pub(crate) rows: Vec<[String; 4]>,
    pub(crate) notes: Vec<String>,
}

impl Report {
    pub(crate) fn row(&mut self, what: &str, figure: String, goal: &str, met: Option<bool>) {
        let verdict = match met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "—",
        };
        println!("  => {what}: {figure} (goal {goal}: {verdict})");
        self.rows
            .push([what.into(), figure, goal.into(), verdict.into()]);
    }

    pub(crate) fn note(&mut self, text: String) {
        println!("  .. {text}");
        self.notes.push(text);
    }

    pub(crate) fn print(&self) {
        println!("\n| What | Measured | Goal (docs/api.md §7) | |\n|---|---|---|---|");
        for [what, figure, goal, verdict] in &self.rows {
            println!("| {what} | {figure} | {goal} | {verdict} |");
        }
        println!();
        for note in &self.notes {
            println!("- {note}");
        }
    }
}

pub(crate) fn thousands(n: f64) -> String {
    let n = n.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

pub(crate) fn memory_row(report: &mut Report, server: &Server, when: &str) {
    let (hwm, rss) = (vm_mib(server.pid, "VmHWM"), vm_mib(server.pid, "VmRSS"));
    report.row(
        &format!("memory: peak RSS (VmHWM) {when}"),
        format!("{hwm:.0} MiB (now {rss:.0} MiB)"),
        "≤ 150 MB",
        Some(hwm * 1.048_576 <= 150.0),
    );
}
