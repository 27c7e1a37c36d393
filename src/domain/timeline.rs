//! A campaign's calls over time: UTC-aligned buckets (minute, hour, day) and their ranges, and the
//! finish estimate — the rate of the last hour of calling carried forward through the calling
//! windows.

use super::schedule::{self, Schedule, TimeWindow};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// The most buckets one answer may hold, and the most the default bucket aims for.
pub const MAX_BUCKETS: i64 = 1000;
pub const DEFAULT_BUCKETS: i64 = 500;

/// Minutes since the Unix epoch: the unit the stored counters are keyed by.
pub fn minute_of(at: Timestamp) -> i64 {
    at.as_second().div_euclid(60)
}

pub fn at_minute(minute: i64) -> Timestamp {
    Timestamp::from_second(minute.saturating_mul(60)).unwrap_or(Timestamp::MAX)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Minute,
    Hour,
    Day,
}

impl Bucket {
    pub const ALL: [Bucket; 3] = [Bucket::Minute, Bucket::Hour, Bucket::Day];
    pub const NAMES: [&'static str; 3] = ["minute", "hour", "day"];

    pub fn parse(text: &str) -> Option<Bucket> {
        Bucket::ALL.into_iter().find(|b| b.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Minute => "minute",
            Bucket::Hour => "hour",
            Bucket::Day => "day",
        }
    }

    pub fn minutes(self) -> i64 {
        match self {
            Bucket::Minute => 1,
            Bucket::Hour => 60,
            Bucket::Day => 1440,
        }
    }

    /// The smallest bucket that splits `[from, to)` into at most `DEFAULT_BUCKETS` (days when
    /// none does).
    pub fn default_for(from: Timestamp, to: Timestamp) -> Bucket {
        Bucket::ALL
            .into_iter()
            .find(|b| Range::new(*b, from, to).count <= DEFAULT_BUCKETS)
            .unwrap_or(Bucket::Day)
    }
}

/// Whole buckets covering `[from, to)`: the first starts at or before `from` (UTC-aligned, since
/// the epoch is midnight UTC), the last ends at or after `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub bucket: Bucket,
    /// The first bucket's start, in minutes since the epoch.
    pub first: i64,
    pub count: i64,
}

impl Range {
    pub fn new(bucket: Bucket, from: Timestamp, to: Timestamp) -> Range {
        let size = bucket.minutes();
        let first = minute_of(from).div_euclid(size) * size;
        // `to` exclusive: a range ending exactly on a boundary takes no bucket after it.
        let last_minute = (to.as_millisecond() - 1).div_euclid(60_000);
        let count = (last_minute.div_euclid(size) * size - first) / size + 1;
        Range {
            bucket,
            first,
            count: count.max(0),
        }
    }

    /// The start (minutes since the epoch) of bucket `index`.
    pub fn start(&self, index: i64) -> i64 {
        self.first + index * self.bucket.minutes()
    }

    /// The end of the range: the last bucket's end (minutes since the epoch).
    pub fn end(&self) -> i64 {
        self.start(self.count)
    }

    /// The index of the bucket holding `minute`, if it is in the range.
    pub fn index_of(&self, minute: i64) -> Option<usize> {
        let index = (minute - self.first).div_euclid(self.bucket.minutes());
        (0..self.count).contains(&index).then_some(index as usize)
    }
}

/// One minute of the recent past as the counters saw it: calls started or ended in it, and
/// contacts finished (completed or exhausted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Minute {
    pub minute: i64,
    pub calls: i64,
    pub finished: i64,
}

/// A gap between two minutes with calls longer than this is time without calling (windows
/// closed, campaign paused, dialer stopped): it does not count as calling time.
const MAX_GAP_MINUTES: i64 = 15;
/// "The last hour of calling".
const RATE_WINDOW_MINUTES: i64 = 60;

/// Contacts finished per minute of calling over the last hour of calling, read from `recent`
/// (minutes with calls, newest first): the span they cover with long gaps cut out, and the
/// contacts finished in it. `None` until a contact has finished.
pub fn recent_rate(recent: &[Minute]) -> Option<Rate> {
    let mut span = 0;
    let mut finished = 0;
    let mut newer: Option<i64> = None;
    for m in recent.iter().filter(|m| m.calls > 0 || m.finished > 0) {
        let step = match newer {
            None => 1,
            Some(newer) if newer - m.minute <= MAX_GAP_MINUTES => newer - m.minute,
            Some(_) => 1,
        };
        if span + step > RATE_WINDOW_MINUTES {
            break;
        }
        span += step;
        finished += m.finished;
        newer = Some(m.minute);
    }
    (finished > 0).then_some(Rate {
        finished,
        minutes: span,
    })
}

/// Contacts finished in so many minutes of calling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub finished: i64,
    pub minutes: i64,
}

impl Rate {
    pub fn per_hour(&self) -> f64 {
        self.finished as f64 * 60.0 / self.minutes as f64
    }

    /// Calling time that `remaining` contacts need at this rate, to the minute (at least one).
    pub fn time_for(&self, remaining: i64) -> SignedDuration {
        let minutes = (remaining as f64 * self.minutes as f64 / self.finished as f64).ceil();
        SignedDuration::from_mins((minutes as i64).max(1))
    }
}

/// Why a campaign has no finish estimate, or that it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Calling: the estimate is the rate carried through the windows.
    Calling,
    /// Calling, but no contact has finished yet in the last hour of calling.
    NoRate,
    /// Contacts wait, and every calling window is closed until `next_window_at`.
    WindowsClosed,
    Paused,
    Closed,
    /// The configuration has no window at all: nothing is ever dialled.
    NoWindows,
    /// No contact is pending or being called.
    NothingPending,
}

impl State {
    pub const NAMES: [&'static str; 7] = [
        "calling",
        "no_rate",
        "windows_closed",
        "paused",
        "closed",
        "no_windows",
        "nothing_pending",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Calling => "calling",
            State::NoRate => "no_rate",
            State::WindowsClosed => "windows_closed",
            State::Paused => "paused",
            State::Closed => "closed",
            State::NoWindows => "no_windows",
            State::NothingPending => "nothing_pending",
        }
    }
}

/// What the estimate starts from.
pub struct Inputs<'a> {
    /// Contacts pending, locked or in progress.
    pub remaining: i64,
    /// `None` for ad-hoc contacts, which have no campaign (always active) and no windows.
    pub campaign_status: Option<crate::domain::status::CampaignStatus>,
    pub schedule: Option<&'a Schedule>,
    pub rate: Option<Rate>,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub state: State,
    pub remaining: i64,
    pub rate: Option<Rate>,
    pub calling_left: Option<SignedDuration>,
    pub done_at: Option<Timestamp>,
    pub next_window_at: Option<Timestamp>,
    /// The zone the windows (and so `done_at`) are read in: the configuration's default one.
    pub timezone: String,
}

/// Stop looking for the end of the calling after this many days.
const HORIZON_DAYS: i64 = 400;

/// The finish estimate: how much calling the remaining contacts need at the recent rate, and when
/// it ends given the windows of the configuration's default time zone — or why there is none.
pub fn estimate(inputs: &Inputs<'_>) -> Estimate {
    use crate::domain::status::CampaignStatus;
    let timezone = inputs
        .schedule
        .map_or("UTC".to_string(), |s| s.default_timezone.clone());
    let mut estimate = Estimate {
        state: State::NoRate,
        remaining: inputs.remaining,
        rate: inputs.rate,
        calling_left: None,
        done_at: None,
        next_window_at: None,
        timezone,
    };
    let next_window = inputs.schedule.map(|s| next_window(s, inputs.now));
    estimate.state = match (inputs.campaign_status, next_window) {
        (Some(CampaignStatus::Closed), _) => State::Closed,
        (Some(CampaignStatus::Paused), _) => State::Paused,
        _ if inputs.remaining <= 0 => State::NothingPending,
        (_, Some(None)) => State::NoWindows,
        (_, Some(Some(at))) if at > inputs.now => {
            estimate.next_window_at = Some(at);
            State::WindowsClosed
        }
        _ if inputs.rate.is_none() => State::NoRate,
        _ => State::Calling,
    };
    if matches!(
        estimate.state,
        State::Calling | State::WindowsClosed | State::Paused
    ) && let Some(rate) = inputs.rate
        && inputs.remaining > 0
    {
        let calling = rate.time_for(inputs.remaining);
        estimate.calling_left = Some(calling);
        // A paused campaign gets how much calling is left, but no date: it waits for `start`.
        if estimate.state != State::Paused {
            estimate.done_at = match inputs.schedule {
                None => inputs.now.checked_add(calling).ok(),
                Some(s) => finish_at(&s.default_windows, &s.zone(None), inputs.now, calling),
            };
        }
    }
    estimate
}

/// The first instant at or after `now` when any window list of the configuration is open (its
/// default windows, each override in its own zone, and the lists of first scheduled attempts);
/// `None` when none ever opens.
pub fn next_window(s: &Schedule, now: Timestamp) -> Option<Timestamp> {
    let default_zone = s.zone(None);
    let mut lists: Vec<(&[TimeWindow], TimeZone)> =
        vec![(&s.default_windows, default_zone.clone())];
    if let Some(windows) = &s.scheduled_windows {
        lists.push((windows, default_zone));
    }
    let overrides = s
        .overrides
        .iter()
        .chain(s.scheduled_overrides.iter().flatten());
    for o in overrides {
        lists.push((&o.windows, s.zone(Some(&o.timezone))));
    }
    lists
        .iter()
        .filter_map(|(windows, zone)| schedule::next_open(windows, zone, now))
        .min()
}

/// When `calling` of open window time, counted from `from`, has passed in `windows` read in
/// `zone`; `None` when they never open, or not within `HORIZON_DAYS`.
pub fn finish_at(
    windows: &[TimeWindow],
    zone: &TimeZone,
    from: Timestamp,
    calling: SignedDuration,
) -> Option<Timestamp> {
    let mut left = calling;
    let mut cursor = from;
    // Openings of the day before may still run (overnight windows).
    let mut date = zone.to_datetime(from).date().yesterday().ok()?;
    for _ in 0..HORIZON_DAYS {
        let mut openings = schedule::openings(windows, date, zone);
        openings.sort();
        for (start, end) in openings {
            let start = start.max(cursor);
            if end <= start {
                continue;
            }
            let open = end.duration_since(start);
            if open >= left {
                return start.checked_add(left).ok();
            }
            left -= open;
            cursor = end;
        }
        date = date.tomorrow().ok()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::{parse_day, parse_hhmm};
    use crate::domain::status::CampaignStatus;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn weekdays(start: &str, end: &str) -> Vec<TimeWindow> {
        vec![TimeWindow {
            days: ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| parse_day(d).unwrap())
                .collect(),
            start: parse_hhmm(start).unwrap(),
            end: parse_hhmm(end).unwrap(),
        }]
    }

    #[test]
    fn ranges_are_whole_utc_buckets() {
        let r = Range::new(
            Bucket::Hour,
            at("2026-12-01T09:30:00Z"),
            at("2026-12-01T12:00:00Z"),
        );
        assert_eq!(at_minute(r.first), at("2026-12-01T09:00:00Z"));
        assert_eq!(r.count, 3);
        assert_eq!(at_minute(r.end()), at("2026-12-01T12:00:00Z"));
        let r = Range::new(
            Bucket::Hour,
            at("2026-12-01T09:30:00Z"),
            at("2026-12-01T12:00:00.001Z"),
        );
        assert_eq!(r.count, 4);
        let r = Range::new(
            Bucket::Day,
            at("2026-12-01T23:59:59Z"),
            at("2026-12-02T00:00:01Z"),
        );
        assert_eq!(
            (at_minute(r.first), r.count),
            (at("2026-12-01T00:00:00Z"), 2)
        );
        assert_eq!(r.index_of(minute_of(at("2026-12-02T10:00:00Z"))), Some(1));
        assert_eq!(r.index_of(minute_of(at("2026-12-03T00:00:00Z"))), None);
        assert_eq!(r.index_of(minute_of(at("2026-11-30T23:59:00Z"))), None);
    }

    #[test]
    fn the_default_bucket_is_the_smallest_giving_at_most_500() {
        let from = at("2026-12-01T00:00:00Z");
        let after = |minutes: i64| from + SignedDuration::from_mins(minutes);
        assert_eq!(Bucket::default_for(from, after(500)), Bucket::Minute);
        assert_eq!(Bucket::default_for(from, after(501)), Bucket::Hour);
        assert_eq!(Bucket::default_for(from, after(500 * 60)), Bucket::Hour);
        assert_eq!(Bucket::default_for(from, after(500 * 60 + 1)), Bucket::Day);
        assert_eq!(Bucket::default_for(from, after(5000 * 1440)), Bucket::Day);
    }

    #[test]
    fn the_rate_is_the_last_hour_of_calling_with_pauses_cut_out() {
        let minute = |minute, calls, finished| Minute {
            minute,
            calls,
            finished,
        };
        assert_eq!(recent_rate(&[]), None);
        assert_eq!(recent_rate(&[minute(100, 3, 0)]), None);
        // 90 busy minutes, 2 finished each: the last 60 count.
        let busy: Vec<Minute> = (0..90).rev().map(|m| minute(1000 + m, 4, 2)).collect();
        let rate = recent_rate(&busy).unwrap();
        assert_eq!((rate.finished, rate.minutes), (120, 60));
        assert_eq!(rate.per_hour(), 120.0);
        // 30 minutes this morning, a night without calls, 30 minutes last evening: one hour.
        let mut split: Vec<Minute> = (0..30).rev().map(|m| minute(5000 + m, 1, 1)).collect();
        split.extend((0..40).rev().map(|m| minute(4000 + m, 1, 1)));
        let rate = recent_rate(&split).unwrap();
        assert_eq!((rate.finished, rate.minutes), (60, 60));
        // A call every 5 minutes is 5 minutes of calling each.
        let sparse: Vec<Minute> = (0..20).rev().map(|i| minute(i * 5, 1, 1)).collect();
        let rate = recent_rate(&sparse).unwrap();
        assert_eq!((rate.finished, rate.minutes), (12, 56));
        assert_eq!(
            Rate {
                finished: 60,
                minutes: 60
            }
            .time_for(180),
            SignedDuration::from_hours(3)
        );
    }

    fn schedule(windows: Vec<TimeWindow>) -> Schedule {
        Schedule {
            default_timezone: "America/New_York".into(),
            default_windows: windows,
            ..Schedule::default()
        }
    }

    #[test]
    fn the_calling_left_falls_inside_the_windows() {
        let s = schedule(weekdays("09:00", "17:00"));
        let rate = Some(Rate {
            finished: 60,
            minutes: 60,
        });
        // Friday 2026-12-04 15:00 in New York (20:00Z): 2 h today, 3 h more on Monday from 09:00.
        let inputs = Inputs {
            remaining: 300,
            campaign_status: Some(CampaignStatus::Active),
            schedule: Some(&s),
            rate,
            now: at("2026-12-04T20:00:00Z"),
        };
        let e = estimate(&inputs);
        assert_eq!(e.state, State::Calling);
        assert_eq!(e.calling_left, Some(SignedDuration::from_hours(5)));
        assert_eq!(e.done_at, Some(at("2026-12-07T17:00:00Z"))); // Monday 12:00 EST
        assert_eq!(e.timezone, "America/New_York");

        // Sunday: every window closed until Monday 09:00, and the estimate from there.
        let sunday = Inputs {
            now: at("2026-12-06T15:00:00Z"),
            ..inputs
        };
        let e = estimate(&sunday);
        assert_eq!(e.state, State::WindowsClosed);
        assert_eq!(e.next_window_at, Some(at("2026-12-07T14:00:00Z")));
        assert_eq!(e.done_at, Some(at("2026-12-07T19:00:00Z")));

        let no_rate = estimate(&Inputs {
            rate: None,
            ..sunday
        });
        assert_eq!(no_rate.state, State::WindowsClosed);
        assert_eq!(no_rate.done_at, None);
        let paused = estimate(&Inputs {
            campaign_status: Some(CampaignStatus::Paused),
            ..inputs
        });
        assert_eq!(paused.state, State::Paused);
        assert_eq!(paused.calling_left, Some(SignedDuration::from_hours(5)));
        assert_eq!(paused.done_at, None);
        let closed = estimate(&Inputs {
            campaign_status: Some(CampaignStatus::Closed),
            ..inputs
        });
        assert_eq!((closed.state, closed.calling_left), (State::Closed, None));
        let done = estimate(&Inputs {
            remaining: 0,
            ..inputs
        });
        assert_eq!((done.state, done.done_at), (State::NothingPending, None));
        let never = schedule(Vec::new());
        let e = estimate(&Inputs {
            schedule: Some(&never),
            ..inputs
        });
        assert_eq!((e.state, e.done_at), (State::NoWindows, None));
        // Ad-hoc contacts: no windows, the calling left from now.
        let e = estimate(&Inputs {
            campaign_status: None,
            schedule: None,
            ..inputs
        });
        assert_eq!(e.state, State::Calling);
        assert_eq!(e.done_at, Some(at("2026-12-05T01:00:00Z")));
        assert_eq!(e.timezone, "UTC");
    }

    #[test]
    fn an_override_that_is_open_keeps_the_campaign_calling() {
        let mut s = schedule(weekdays("09:00", "17:00"));
        s.overrides.push(crate::domain::schedule::ScheduleOverride {
            timezone: "Asia/Tokyo".into(),
            windows: vec![TimeWindow {
                days: (0..7).collect(),
                start: 0,
                end: 12 * 60,
            }],
        });
        // Sunday 2026-12-06 01:00Z: 10:00 in Tokyo.
        assert_eq!(
            next_window(&s, at("2026-12-06T01:00:00Z")),
            Some(at("2026-12-06T01:00:00Z"))
        );
        // 2026-12-06 05:00Z: 14:00 in Tokyo, closed; it opens again at Tokyo's midnight.
        assert_eq!(
            next_window(&s, at("2026-12-06T05:00:00Z")),
            Some(at("2026-12-06T15:00:00Z"))
        );
    }

    #[test]
    fn finishing_walks_overnight_and_overlapping_windows() {
        let zone = crate::domain::time::time_zone("UTC").unwrap();
        let mut windows = vec![TimeWindow {
            days: vec![parse_day("fri").unwrap()],
            start: parse_hhmm("22:00").unwrap(),
            end: parse_hhmm("02:00").unwrap(),
        }];
        windows.extend(weekdays("01:00", "03:00"));
        // Friday 2026-12-04 23:00: 3 h open until Saturday 02:00, then Monday 01:00–03:00.
        let from = at("2026-12-04T23:00:00Z");
        let finish = |hours| finish_at(&windows, &zone, from, SignedDuration::from_hours(hours));
        assert_eq!(finish(2), Some(at("2026-12-05T01:00:00Z")));
        assert_eq!(finish(3), Some(at("2026-12-05T02:00:00Z")));
        assert_eq!(finish(4), Some(at("2026-12-07T02:00:00Z")));
        assert_eq!(
            finish_at(&[], &zone, from, SignedDuration::from_hours(1)),
            None
        );
    }
}
