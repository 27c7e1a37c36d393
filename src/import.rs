//! CSV contact import (docs/api.md §6.1): a file becomes upsert items, one per row, with the JSON
//! upsert's rules. Shared by `POST …/contacts/import` and `campaignd import`. Parsing and number
//! normalisation need no database, so they run before the writer is taken.

use crate::domain::contact as rules;
use crate::domain::phone::{self, Region};
use crate::domain::time;
use crate::store::contacts::{Applied, ContactWrite};
use serde::Serialize;
use serde_json::{Map, Value};
use std::ops::RangeInclusive;

pub const MAX_ROWS: usize = 100_000;
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// Where a column's cells go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    Phone,
    Id,
    ExternalId,
    Timezone,
    ScheduledAt,
    AgentId,
    AgentNumber,
    AgentVersion,
    /// A string entry of `data` under the header as written.
    Data(String),
}

impl Column {
    /// The field and length bounds of a cell of this column, in characters as written.
    fn length(&self) -> Option<(&'static str, &'static RangeInclusive<usize>)> {
        match self {
            Column::Phone => Some(("a phone number", &rules::PHONE_TEXT)),
            Column::ExternalId => Some(("external_id", &rules::EXTERNAL_ID)),
            Column::ScheduledAt => Some(("scheduled_at", &rules::SCHEDULED_AT)),
            Column::AgentId => Some(("agent_id", &rules::AGENT_ID)),
            Column::AgentNumber => Some(("agent_number", &rules::PHONE_TEXT)),
            Column::Id | Column::Timezone | Column::AgentVersion | Column::Data(_) => None,
        }
    }

    /// Maps a header: case-insensitive, spaces and dashes read as `_`.
    pub fn for_header(header: &str) -> Column {
        let name: String = header
            .trim()
            .to_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
        let base = if base.len() < name.len() {
            base.strip_suffix('_').unwrap_or(base)
        } else {
            base
        };
        match (name.as_str(), base) {
            (
                _,
                "phone" | "phone_number" | "phone_numbers" | "mobile" | "cell" | "tel"
                | "telephone",
            ) => Column::Phone,
            ("id" | "contact_id", _) => Column::Id,
            ("external_id", _) => Column::ExternalId,
            ("timezone" | "tz", _) => Column::Timezone,
            ("scheduled_at", _) => Column::ScheduledAt,
            ("agent_id", _) => Column::AgentId,
            ("agent_number", _) => Column::AgentNumber,
            ("agent_version", _) => Column::AgentVersion,
            _ => Column::Data(header.to_string()),
        }
    }

    /// The field name the report shows: `phone_numbers`, `id`, …, or `data.<header>`.
    pub fn field(&self) -> String {
        match self {
            Column::Phone => "phone_numbers".into(),
            Column::Id => "id".into(),
            Column::ExternalId => "external_id".into(),
            Column::Timezone => "timezone".into(),
            Column::ScheduledAt => "scheduled_at".into(),
            Column::AgentId => "agent_id".into(),
            Column::AgentNumber => "agent_number".into(),
            Column::AgentVersion => "agent_version".into(),
            Column::Data(header) => format!("data.{header}"),
        }
    }
}

/// A problem with the file as a whole: `header` names the column when there is one.
#[derive(Debug, PartialEq, Eq)]
pub struct FileProblem {
    pub header: Option<String>,
    pub msg: String,
}

/// A problem with one row: `line` is the 1-based physical line where the row starts.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub msg: String,
}

/// A parsed file: its columns and its rows (each with the line it starts on).
#[derive(Debug)]
pub struct Csv {
    pub headers: Vec<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<(u64, Vec<String>)>,
}

impl Csv {
    /// `{"<header>": "<field>"}` in column order.
    pub fn mapping(&self) -> Map<String, Value> {
        self.headers
            .iter()
            .zip(&self.columns)
            .map(|(header, column)| (header.clone(), Value::String(column.field())))
            .collect()
    }
}

/// Reads the file: UTF-8 (a BOM is ignored), comma-separated, RFC 4180 quoting, headers first.
pub fn parse(body: &[u8]) -> Result<Csv, FileProblem> {
    let whole = |msg: &str| FileProblem {
        header: None,
        msg: msg.to_string(),
    };
    let text = std::str::from_utf8(body).map_err(|_| whole("the file is not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let headers: Vec<String> = match records.next() {
        Some(Ok(record)) => record.iter().map(str::to_string).collect(),
        Some(Err(error)) => return Err(whole(&format!("not a CSV file: {error}"))),
        None => {
            return Err(whole(
                "the file is empty: the first line must name the columns",
            ));
        }
    };
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(whole("the first line must name the columns"));
    }
    let columns: Vec<Column> = headers.iter().map(|h| Column::for_header(h)).collect();
    for (i, column) in columns.iter().enumerate() {
        if *column != Column::Phone && columns[..i].contains(column) {
            return Err(FileProblem {
                header: Some(headers[i].clone()),
                msg: format!(
                    "column '{}' maps to {} like an earlier column",
                    headers[i],
                    column.field()
                ),
            });
        }
    }
    let has = |wanted: &Column| columns.contains(wanted);
    if !has(&Column::Phone) && !has(&Column::Id) && !has(&Column::ExternalId) {
        return Err(whole(
            "no phone column (phone, phone_number, mobile, cell, tel, telephone …) and no id or external_id column",
        ));
    }
    let lines = LineIndex::new(text.as_bytes());
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|error| whole(&format!("not a CSV file: {error}")))?;
        // The csv crate's own line count is off for `\r\n` and lone `\r` endings: count them
        // ourselves from where the record starts.
        let line = record
            .position()
            .map_or(0, |p| lines.line_of_record(p.byte() as usize));
        // A blank line is no row.
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(whole(&format!(
                "the file has more than {MAX_ROWS} data rows"
            )));
        }
        rows.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(Csv {
        headers,
        columns,
        rows,
    })
}

/// Physical lines of a file whose lines may end in `\n`, `\r\n` or a lone `\r`, mixed.
struct LineIndex<'a> {
    text: &'a [u8],
    /// Byte offsets where each line after the first starts.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a [u8]) -> LineIndex<'a> {
        let mut starts = Vec::new();
        for (i, &b) in text.iter().enumerate() {
            // `\r\n` is one ending: it ends at the `\n`.
            if b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        LineIndex { text, starts }
    }

    /// The 1-based line of the first byte of the record whose reading started at `byte`. The
    /// reader may start a record on the line endings before it (blank lines, the `\n` of a
    /// `\r\n`), which a record never starts with, so those are skipped.
    fn line_of_record(&self, mut byte: usize) -> u64 {
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        // Lines that start at or before `byte`, plus the first.
        (self.starts.partition_point(|&start| start <= byte) + 1) as u64
    }
}

/// Turns rows into upsert items, numbers normalised with `region` (`None`: E.164 only). Rows
/// with problems are reported and left out.
pub fn items(csv: &Csv, region: Option<Region>) -> (Vec<(u64, ContactWrite)>, Vec<RowError>) {
    let mut items = Vec::with_capacity(csv.rows.len());
    let mut errors = Vec::new();
    for (line, cells) in &csv.rows {
        let line = *line;
        if cells.len() != csv.headers.len() {
            let msg = format!(
                "the row has {} fields; the header line has {}",
                cells.len(),
                csv.headers.len()
            );
            errors.push(RowError {
                line,
                column: None,
                msg,
            });
            continue;
        }
        let mut write = ContactWrite::default();
        let mut numbers = Vec::new();
        let mut data = Map::new();
        let mut row_errors = Vec::new();
        for ((header, column), cell) in csv.headers.iter().zip(&csv.columns).zip(cells) {
            // An empty cell is an absent field: it neither sets nor clears.
            if cell.trim().is_empty() {
                continue;
            }
            let mut refuse = |msg: String| {
                row_errors.push(RowError {
                    line,
                    column: Some(header.clone()),
                    msg,
                })
            };
            if let Some((field, bounds)) = column.length()
                && let Some(msg) = rules::length_problem(field, cell, bounds)
            {
                refuse(msg);
                continue;
            }
            match column {
                Column::Phone => match phone::normalise(cell, region) {
                    Ok(number) if !numbers.contains(&number) => numbers.push(number),
                    Ok(_) => {}
                    Err(msg) => refuse(msg),
                },
                Column::Id => match crate::domain::ids::ContactId::parse(cell.trim()) {
                    Some(id) => write.id = Some(id),
                    None => refuse(format!("'{cell}' is not a UUID in the 8-4-4-4-12 form")),
                },
                Column::ExternalId => match rules::check_external_id(cell) {
                    Ok(()) => write.external_id = Some(Some(cell.clone())),
                    Err(error) => refuse(error.to_string()),
                },
                Column::Timezone => match time::time_zone(cell.trim()) {
                    Some(_) => write.timezone = Some(Some(cell.trim().to_string())),
                    None => refuse(format!("Unknown timezone '{cell}'")),
                },
                Column::ScheduledAt => match rules::check_scheduled_at(cell.trim()) {
                    Ok(()) => write.scheduled_at = Some(Some(cell.trim().to_string())),
                    Err(error) => refuse(error.to_string()),
                },
                Column::AgentId => write.agent_id = Some(Some(cell.clone())),
                Column::AgentNumber => match phone::normalise(cell, region) {
                    Ok(number) => write.agent_number = Some(Some(number)),
                    Err(msg) => refuse(msg),
                },
                Column::AgentVersion => match cell.trim().parse::<i64>() {
                    Ok(version) if rules::AGENT_VERSION.contains(&version) => {
                        write.agent_version = Some(Some(version))
                    }
                    _ => refuse(format!("'{cell}' is not an integer of at least 1")),
                },
                Column::Data(key) => {
                    data.insert(key.clone(), Value::String(cell.clone()));
                }
            }
        }
        if numbers.len() > *rules::NUMBERS.end() {
            let msg = format!(
                "a contact has at most {} phone numbers; this row has {}",
                rules::NUMBERS.end(),
                numbers.len()
            );
            row_errors.push(RowError {
                line,
                column: None,
                msg,
            });
        }
        if !row_errors.is_empty() {
            errors.extend(row_errors);
            continue;
        }
        if !numbers.is_empty() {
            write.phone_numbers = Some(numbers);
        }
        if !data.is_empty() {
            write.data = Some(Value::Object(data).to_string());
        }
        items.push((line, write));
    }
    (items, errors)
}

/// The answer of an import.
#[derive(Debug, Serialize)]
pub struct Report {
    pub inserted: usize,
    pub updated: usize,
    pub skipped: usize,
    pub dry_run: bool,
    pub columns: Map<String, Value>,
    pub errors: Vec<RowError>,
    pub error_count: usize,
}

impl Report {
    /// Combines the rows refused before the database with the outcome of each applied row.
    pub fn new(
        csv: &Csv,
        dry_run: bool,
        mut errors: Vec<RowError>,
        applied: &[(u64, Applied)],
    ) -> Report {
        let (mut inserted, mut updated) = (0, 0);
        for (line, outcome) in applied {
            match outcome.refusal() {
                None if *outcome == Applied::Inserted => inserted += 1,
                None => updated += 1,
                Some(msg) => errors.push(RowError {
                    line: *line,
                    column: None,
                    msg,
                }),
            }
        }
        errors.sort_by_key(|e| e.line);
        let error_count = errors.len();
        let failed_rows = {
            let mut lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
            lines.dedup();
            lines.len()
        };
        errors.truncate(MAX_REPORTED_ERRORS);
        Report {
            inserted,
            updated,
            skipped: failed_rows,
            dry_run,
            columns: csv.mapping(),
            errors,
            error_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_map_to_fields() {
        for (header, field) in [
            ("Phone", "phone_numbers"),
            ("phone-2", "phone_numbers"),
            ("Mobile2", "phone_numbers"),
            ("Phone Number", "phone_numbers"),
            ("TEL", "phone_numbers"),
            ("Contact ID", "id"),
            ("External-Id", "external_id"),
            ("TZ", "timezone"),
            ("scheduled at", "scheduled_at"),
            ("agent_version", "agent_version"),
            ("First Name", "data.First Name"),
            ("phones", "data.phones"),
        ] {
            assert_eq!(Column::for_header(header).field(), field, "{header}");
        }
    }

    use proptest::prelude::*;

    /// A cell: plain text, or quoted text with line endings of any kind inside.
    fn cell() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            "[a-z0-9 +]{0,6}".prop_map(|t| (t.clone(), t)),
            prop::collection::vec(
                (
                    "[a-z\"]{0,4}",
                    prop::sample::select(vec!["\n", "\r\n", "\r", ""])
                ),
                1..4
            )
            .prop_map(|parts| {
                let value: String = parts.iter().map(|(t, e)| format!("{t}{e}")).collect();
                (format!("\"{}\"", value.replace('"', "\"\"")), value)
            }),
        ]
    }

    fn ending() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["\n", "\r\n", "\r"])
    }

    proptest! {
        /// Every row is reported at the line where it starts, counted in the file itself, for any
        /// mix of line endings, blank lines, quoted fields spanning lines, a BOM or not, and a
        /// last line with or without its ending.
        #[test]
        fn rows_start_on_the_line_the_file_has_them(
            bom in any::<bool>(),
            header_end in ending(),
            rows in prop::collection::vec((cell(), cell(), ending(), prop::collection::vec(ending(), 0..2)), 1..12),
            final_ending in any::<bool>(),
        ) {
            let mut text = String::from(if bom { "\u{feff}" } else { "" });
            text.push_str("phone,note");
            text.push_str(header_end);
            let mut expected = Vec::new();
            let last = rows.len() - 1;
            for (i, ((raw_a, a), (raw_b, b), end, blanks)) in rows.iter().enumerate() {
                // What a person counts: line endings before the row, `\r\n` as one.
                let before = text.replace("\r\n", "\n");
                let line = 1 + before.matches(['\n', '\r']).count() as u64;
                expected.push((line, vec![a.clone(), b.clone()]));
                text.push_str(&format!("{raw_a},{raw_b}"));
                if i < last || final_ending {
                    text.push_str(end);
                    for blank in blanks.iter().filter(|_| i < last) {
                        text.push_str(blank);
                    }
                }
            }
            let csv = parse(text.as_bytes()).unwrap();
            prop_assert_eq!(csv.rows, expected, "{:?}", text);
        }
    }

    #[test]
    fn rows_start_on_their_physical_line() {
        let csv = parse(b"\xef\xbb\xbfphone,note\n+16502530000,\"two\nlines\"\n+16502530001,x\n")
            .unwrap();
        assert_eq!(csv.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(csv.headers[0], "phone");
        // The issue's file: with CRLF endings the bad row is on line 3, as with LF.
        for ending in ["\n", "\r\n", "\r"] {
            let text = ["phone,name", "+14155550132,A", "12,B", ""].join(ending);
            let csv = parse(text.as_bytes()).unwrap();
            assert_eq!(csv.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3]);
        }
    }
}
