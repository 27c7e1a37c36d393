//! Calling windows: weekly `TimeWindow`s evaluated on the contact's local wall clock.

use jiff::civil::{DateTime, Weekday};
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

pub fn windows_json(windows: &[TimeWindow]) -> Value {
    Value::Array(windows.iter().map(TimeWindow::to_json).collect())
}

pub fn overrides_json(overrides: &[ScheduleOverride]) -> Value {
    Value::Array(overrides.iter().map(ScheduleOverride::to_json).collect())
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

    proptest! {
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
