//! What the benchmarks share: their flags, and the configuration, windows and numbers they set
//! a database up with. Each benchmark includes it with `mod setup;`.
#![allow(dead_code)]

use campaignd::domain::phone::{self, E164};
use campaignd::domain::schedule::TimeWindow;
use campaignd::store::configurations::ConfigurationFields;

/// The value after `name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// A number after `name` (`1_000_000` allowed), else `default`.
pub fn number(name: &str, default: u64) -> u64 {
    arg(name).map_or(default, |v| v.replace('_', "").parse().expect("a number"))
}

/// Windows open every minute of the week (two, as a window ends before it starts again).
pub fn always() -> Vec<TimeWindow> {
    let days: Vec<usize> = (0..7).collect();
    vec![
        TimeWindow {
            days: days.clone(),
            start: 0,
            end: 12 * 60,
        },
        TimeWindow {
            days,
            start: 12 * 60,
            end: 0,
        },
    ]
}

/// A configuration of the benchmarks: UTC, US numbers, 3 attempts an hour apart.
pub fn configuration(windows: Vec<TimeWindow>) -> ConfigurationFields {
    ConfigurationFields {
        name: "bench".into(),
        default_timezone: "UTC".into(),
        default_windows: windows,
        overrides: vec![],
        scheduled_windows: None,
        scheduled_overrides: None,
        default_country_code: "US".into(),
        max_attempts: 3,
        retry_delay_minutes: 60,
        agent_id: None,
        agent_version: None,
        agent_number: None,
    }
}

/// A valid US number, different for each `n` below 10,000.
pub fn us_number(n: u64) -> E164 {
    phone::normalise(&format!("+1650253{:04}", n % 10_000), None).expect("a valid number")
}
