//! Calling windows: weekly `TimeWindow`s evaluated in the contact's time zone, and a
//! configuration's `Schedule`: which windows apply to an attempt, whether it may start now, and
//! the first instant it may.

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::{Value, json};

pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// Most windows in one list, and most overrides in one list.
pub const MAX_WINDOWS: usize = 50;
pub const MAX_OVERRIDES: usize = 200;

/// Reads `HH:MM` (exactly two digits each, 24-hour) into minutes after midnight.
pub fn parse_hhmm(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return None;
    }
    let two_digits = |at: usize| -> Option<u16> {
        let (tens, units) = (bytes[at], bytes[at + 1]);
        (tens.is_ascii_digit() && units.is_ascii_digit())
            .then(|| u16::from(tens - b'0') * 10 + u16::from(units - b'0'))
    };
    let (hour, minute) = (two_digits(0)?, two_digits(3)?);
    (hour < 24 && minute < 60).then_some(hour * 60 + minute)
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Index of a day name (`mon` = 0).
pub fn parse_day(text: &str) -> Option<usize> {
    DAY_NAMES.iter().position(|day| *day == text)
}

/// A weekly window. `start > end` crosses midnight: the part after midnight belongs to the
/// previous day's entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeWindow {
    /// Day indexes (`mon` = 0), in the order they were given, no repeats.
    pub days: Vec<usize>,
    pub start: u16,
    pub end: u16,
}

impl TimeWindow {
    pub fn to_json(&self) -> Value {
        let days: Vec<&str> = self.days.iter().map(|&d| DAY_NAMES[d]).collect();
        json!({"days": days, "start": hhmm(self.start), "end": hhmm(self.end)})
    }

    /// Reads a window as stored (the API's shape, already validated when it was written).
    pub fn from_json(value: &Value) -> Option<TimeWindow> {
        let days = value["days"]
            .as_array()?
            .iter()
            .map(|d| d.as_str().and_then(parse_day))
            .collect::<Option<Vec<usize>>>()?;
        let start = parse_hhmm(value["start"].as_str()?)?;
        let end = parse_hhmm(value["end"].as_str()?)?;
        Some(TimeWindow { days, start, end })
    }

    /// The instants `[start, end)` of the window's opening on local `date`, if it opens that
    /// day. Local times are read by the rule of `to_instant`; an opening that daylight saving
    /// leaves empty is none.
    fn occurrence(&self, date: Date, zone: &TimeZone) -> Option<(Timestamp, Timestamp)> {
        if !self.days.contains(&weekday_index(date.weekday())) {
            return None;
        }
        let end_date = if self.start < self.end {
            date
        } else {
            date.tomorrow().ok()?
        };
        let start = to_instant(date, self.start, zone)?;
        let end = to_instant(end_date, self.end, zone)?;
        (start < end).then_some((start, end))
    }

    /// True when the local wall-clock time `at` falls inside the window.
    pub fn covers(&self, at: DateTime) -> bool {
        let day = weekday_index(at.weekday());
        let minute = at.hour() as u16 * 60 + at.minute() as u16;
        if self.start < self.end {
            self.days.contains(&day) && (self.start..self.end).contains(&minute)
        } else {
            let previous_day = (day + 6) % 7;
            (self.days.contains(&day) && minute >= self.start)
                || (self.days.contains(&previous_day) && minute < self.end)
        }
    }
}

fn weekday_index(day: Weekday) -> usize {
    day.to_monday_zero_offset() as usize
}

/// The instant of local `date` at `minutes` after midnight: a time in a daylight-saving gap moves
/// forward by the gap, one that happens twice is the earlier instant (jiff's "compatible" rule).
fn to_instant(date: Date, minutes: u16, zone: &TimeZone) -> Option<Timestamp> {
    let at = date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
    zone.to_ambiguous_timestamp(at).compatible().ok()
}

/// The openings `[start, end)` of `windows` that start on local `date` in `zone`.
pub fn openings(
    windows: &[TimeWindow],
    date: Date,
    zone: &TimeZone,
) -> Vec<(Timestamp, Timestamp)> {
    windows
        .iter()
        .filter_map(|w| w.occurrence(date, zone))
        .collect()
}

/// True when `at` falls inside one of `windows` in `zone`.
pub fn is_open(windows: &[TimeWindow], zone: &TimeZone, at: Timestamp) -> bool {
    let Ok(yesterday) = zone.to_datetime(at).date().yesterday() else {
        return false;
    };
    // An opening that covers `at` started on its local date or the day before (overnight).
    windows.iter().any(|window| {
        [yesterday, yesterday.tomorrow().unwrap_or(yesterday)]
            .into_iter()
            .filter_map(|date| window.occurrence(date, zone))
            .any(|(start, end)| start <= at && at < end)
    })
}

/// The first instant at or after `from` inside one of `windows`; `None` when the windows never
/// open (an empty list).
pub fn next_open(windows: &[TimeWindow], zone: &TimeZone, from: Timestamp) -> Option<Timestamp> {
    if is_open(windows, zone, from) {
        return Some(from);
    }
    let today = zone.to_datetime(from).date();
    // Every weekday comes round within a week; two extra days cover overnight openings and
    // daylight-saving shifts at either end.
    (-1..=8)
        .filter_map(|offset| today.checked_add(offset.days()).ok())
        .flat_map(|date| windows.iter().filter_map(move |w| w.occurrence(date, zone)))
        .map(|(start, _)| start)
        .filter(|start| *start > from)
        .min()
}

/// Window list for one time zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleOverride {
    pub timezone: String,
    pub windows: Vec<TimeWindow>,
}

impl ScheduleOverride {
    pub fn to_json(&self) -> Value {
        json!({"timezone": self.timezone, "windows": windows_json(&self.windows)})
    }
}

impl ScheduleOverride {
    pub fn from_json(value: &Value) -> Option<ScheduleOverride> {
        Some(ScheduleOverride {
            timezone: value["timezone"].as_str()?.to_string(),
            windows: windows_from_json(&value["windows"])?,
        })
    }
}

/// Reads a stored window list.
pub fn windows_from_json(value: &Value) -> Option<Vec<TimeWindow>> {
    value
        .as_array()?
        .iter()
        .map(TimeWindow::from_json)
        .collect()
}

/// Reads a stored override list.
pub fn overrides_from_json(value: &Value) -> Option<Vec<ScheduleOverride>> {
    value
        .as_array()?
        .iter()
        .map(ScheduleOverride::from_json)
        .collect()
}

pub fn windows_json(windows: &[TimeWindow]) -> Value {
    Value::Array(windows.iter().map(TimeWindow::to_json).collect())
}

pub fn overrides_json(overrides: &[ScheduleOverride]) -> Value {
    Value::Array(overrides.iter().map(ScheduleOverride::to_json).collect())
}

/// A configuration's calling rules (docs/api.md, "Configurations").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schedule {
    pub default_timezone: String,
    pub default_windows: Vec<TimeWindow>,
    pub overrides: Vec<ScheduleOverride>,
    pub scheduled_windows: Option<Vec<TimeWindow>>,
    pub scheduled_overrides: Option<Vec<ScheduleOverride>>,
}

impl Schedule {
    /// The windows of an attempt of a contact in `timezone` (its own, else the default one).
    /// `first_scheduled`: the contact's first attempt, and it has a `scheduled_at`.
    pub fn windows(&self, timezone: Option<&str>, first_scheduled: bool) -> &[TimeWindow] {
        let timezone = timezone.unwrap_or(&self.default_timezone);
        if first_scheduled {
            let overrides = self.scheduled_overrides.as_ref().unwrap_or(&self.overrides);
            let defaults = self
                .scheduled_windows
                .as_ref()
                .unwrap_or(&self.default_windows);
            windows_for(timezone, defaults, overrides)
        } else {
            windows_for(timezone, &self.default_windows, &self.overrides)
        }
    }

    pub fn zone(&self, timezone: Option<&str>) -> TimeZone {
        let name = timezone.unwrap_or(&self.default_timezone);
        super::time::time_zone(name).unwrap_or(TimeZone::UTC)
    }
}

/// When a pending contact may be dialled next: `not_before` (its `next_attempt_at`, else its
/// `created_at`) if its windows are open now, else their next opening after `max(not_before,
/// now)`. Ad-hoc contacts (`schedule` None) ignore windows. `None`: never (no windows).
pub fn dial_at(
    schedule: Option<&Schedule>,
    timezone: Option<&str>,
    first_scheduled: bool,
    not_before: Timestamp,
    now: Timestamp,
) -> Option<Timestamp> {
    let Some(schedule) = schedule else {
        return Some(not_before);
    };
    let windows = schedule.windows(timezone, first_scheduled);
    let zone = schedule.zone(timezone);
    if not_before <= now && is_open(windows, &zone, now) {
        return Some(not_before);
    }
    next_open(windows, &zone, not_before.max(now))
}

/// The windows that apply to a contact in `timezone`: its override if listed, else the defaults.
pub fn windows_for<'a>(
    timezone: &str,
    defaults: &'a [TimeWindow],
    overrides: &'a [ScheduleOverride],
) -> &'a [TimeWindow] {
    overrides
        .iter()
        .find(|o| o.timezone == timezone)
        .map_or(defaults, |o| &o.windows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn window(days: &[&str], start: &str, end: &str) -> TimeWindow {
        TimeWindow {
            days: days.iter().map(|d| parse_day(d).unwrap()).collect(),
            start: parse_hhmm(start).unwrap(),
            end: parse_hhmm(end).unwrap(),
        }
    }

    #[test]
    fn hhmm_is_strict() {
        assert_eq!(parse_hhmm("09:30"), Some(570));
        assert_eq!(parse_hhmm("23:59"), Some(1439));
        for bad in ["9:30", "24:00", "12:60", "12-00", "1200", "12:0a", " 9:30"] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_window_across_midnight_belongs_to_the_day_it_starts() {
        let friday_night = window(&["fri"], "22:30", "03:30");
        let at = |text: &str| friday_night.covers(text.parse().unwrap());
        assert!(at("2026-12-04T22:30")); // Friday
        assert!(at("2026-12-05T03:29")); // Saturday small hours
        assert!(!at("2026-12-05T03:30"));
        assert!(!at("2026-12-04T03:00")); // Friday small hours belong to Thursday's entry
        assert!(!at("2026-12-05T22:30")); // Saturday evening
    }

    fn zone(name: &str) -> TimeZone {
        crate::domain::time::time_zone(name).unwrap()
    }

    fn instant(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_window_start_in_the_spring_gap_moves_forward_by_the_gap() {
        let ny = zone("America/New_York");
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT. 02:30 does not exist: it reads as 03:30 EDT.
        let window = [window(&["sun"], "02:30", "05:00")];
        assert!(!is_open(&window, &ny, instant("2026-03-08T07:15:00Z"))); // 03:15 EDT
        assert!(is_open(&window, &ny, instant("2026-03-08T07:30:00Z"))); // 03:30 EDT
        assert_eq!(
            next_open(&window, &ny, instant("2026-03-08T05:00:00Z")),
            Some(instant("2026-03-08T07:30:00Z"))
        );
    }

    #[test]
    fn a_time_that_happens_twice_is_the_first() {
        let ny = zone("America/New_York");
        // 2026-11-01: 01:00–02:00 happens twice; the window ends at the first 01:30 (EDT).
        let window = [window(&["sun"], "00:30", "01:30")];
        assert!(is_open(&window, &ny, instant("2026-11-01T05:15:00Z"))); // 01:15 EDT
        assert!(!is_open(&window, &ny, instant("2026-11-01T06:15:00Z"))); // 01:15 EST
    }

    #[test]
    fn lord_howe_shifts_by_half_an_hour() {
        let lord_howe = zone("Australia/Lord_Howe");
        // 2026-10-04 02:00 (+10:30) jumps to 02:30 (+11); 2026-04-05 02:00 (+11) goes back to
        // 01:30 (+10:30).
        let window = [window(&["sun"], "02:00", "02:30")];
        assert!(!is_open(
            &window,
            &lord_howe,
            instant("2026-10-03T15:45:00Z")
        )); // 02:45 (+11)
        assert_eq!(
            next_open(&window, &lord_howe, instant("2026-10-03T14:00:00Z")),
            // 02:00 does not exist: it moves forward by the half hour, to 02:30 (+11), where
            // the window (ending at 02:30) is empty that day; the next Sunday opens at 02:00.
            Some(instant("2026-10-10T15:00:00Z"))
        );
        // 2026-04-05: 01:30–02:00 happens twice; 02:00 comes once, at +10:30.
        assert!(!is_open(
            &window,
            &lord_howe,
            instant("2026-04-04T15:00:00Z")
        )); // 01:30 (+10:30)
        assert!(is_open(
            &window,
            &lord_howe,
            instant("2026-04-04T15:30:00Z")
        )); // 02:00 (+10:30)
    }

    /// Instants around the daylight-saving changes of 2026 in three zones.
    fn around_changes() -> impl Strategy<Value = (&'static str, Timestamp)> {
        let changes = [
            ("America/New_York", "2026-03-08T07:00:00Z"),
            ("America/New_York", "2026-11-01T06:00:00Z"),
            ("Europe/London", "2026-03-29T01:00:00Z"),
            ("Europe/London", "2026-10-25T01:00:00Z"),
            ("Australia/Lord_Howe", "2026-04-04T15:00:00Z"),
            ("Australia/Lord_Howe", "2026-10-03T15:30:00Z"),
        ];
        (0..changes.len(), -4 * 24 * 60..4 * 24 * 60i64).prop_map(move |(i, minutes)| {
            let (name, at) = changes[i];
            (name, instant(at) + jiff::SignedDuration::from_mins(minutes))
        })
    }

    fn any_window() -> impl Strategy<Value = TimeWindow> {
        (
            prop::collection::btree_set(0usize..7, 1..7),
            0u16..1440,
            0u16..1440,
        )
            .prop_filter("start != end", |(_, s, e)| s != e)
            .prop_map(|(days, start, end)| TimeWindow {
                days: days.into_iter().collect(),
                start,
                end,
            })
    }

    proptest! {
        /// Away from the changes' own hours, membership is the local wall clock's.
        #[test]
        fn membership_is_the_wall_clock_away_from_the_changed_hours(
            (name, at) in around_changes(),
            window in any_window(),
        ) {
            let zone = zone(name);
            let local = zone.to_datetime(at);
            let near_change = |t: Timestamp| {
                let before = zone.to_offset(t - jiff::SignedDuration::from_hours(3));
                let after = zone.to_offset(t + jiff::SignedDuration::from_hours(3));
                before != after
            };
            prop_assume!(!near_change(at));
            prop_assert_eq!(is_open(std::slice::from_ref(&window), &zone, at), window.covers(local));
        }

        /// The next opening is open, and nothing before it (from `from`, minute by minute) is.
        #[test]
        fn next_open_is_the_first_open_instant(
            (name, from) in around_changes(),
            windows in prop::collection::vec(any_window(), 1..3),
        ) {
            let zone = zone(name);
            let next = next_open(&windows, &zone, from).expect("weekly windows open within a week");
            prop_assert!(is_open(&windows, &zone, next));
            let mut t = from;
            while t < next {
                prop_assert!(!is_open(&windows, &zone, t), "open at {} before {}", t, next);
                t += jiff::SignedDuration::from_mins(15);
            }
        }

        #[test]
        fn no_windows_never_open((name, from) in around_changes()) {
            prop_assert_eq!(next_open(&[], &zone(name), from), None);
        }

        #[test]
        fn same_day_windows_are_half_open(start in 0u16..1440, len in 1u16..1440, minute in 0u16..1440) {
            let end = start + len;
            prop_assume!(end < 1440);
            let all_week = TimeWindow { days: (0..7).collect(), start, end };
            let at = DateTime::constant(2026, 12, 2, (minute / 60) as i8, (minute % 60) as i8, 0, 0);
            prop_assert_eq!(all_week.covers(at), (start..end).contains(&minute));
        }

        #[test]
        fn an_overnight_window_covers_exactly_its_two_parts(start in 1u16..1440, end in 0u16..1439, minute in 0u16..1440, day in 0usize..7) {
            prop_assume!(start > end);
            let one_day = TimeWindow { days: vec![day], start, end };
            // 2026-11-30 is a Monday; walk to `day`, then look at that day and the next.
            let date = jiff::civil::date(2026, 11, 30) + jiff::Span::new().days(day as i64);
            let time = jiff::civil::time((minute / 60) as i8, (minute % 60) as i8, 0, 0);
            prop_assert_eq!(one_day.covers(date.to_datetime(time)), minute >= start);
            let next = (date + jiff::Span::new().days(1)).to_datetime(time);
            prop_assert_eq!(one_day.covers(next), minute < end);
        }
    }
}
