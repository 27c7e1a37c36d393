//! The one clock of a server: the real time, or a clock started at a chosen instant that runs
//! faster (`--clock-start`, `--clock-speed`), so a demo or a test can run a week in minutes.
//! Everything the server writes or decides reads the time from here.

use jiff::Timestamp;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// The instant the clock showed at `real_start` (None: the real clock).
    start: Option<Timestamp>,
    real_start: Instant,
    speed: f64,
}

/// The fastest a clock may run (`--clock-speed`).
pub const MAX_SPEED: f64 = 3600.0;

impl Clock {
    /// The system clock.
    pub fn real() -> Clock {
        Clock {
            start: None,
            real_start: Instant::now(),
            speed: 1.0,
        }
    }

    /// A clock that shows `start` now and runs `speed` times faster than real time.
    pub fn started(start: Timestamp, speed: f64) -> Clock {
        debug_assert!((1.0..=MAX_SPEED).contains(&speed));
        Clock {
            start: Some(start),
            real_start: Instant::now(),
            speed,
        }
    }

    /// Now, truncated to the millisecond like every stored instant.
    pub fn now(&self) -> Timestamp {
        let now = match self.start {
            None => Timestamp::now(),
            Some(start) => {
                let elapsed = self.real_start.elapsed().mul_f64(self.speed);
                start.saturating_add(elapsed).unwrap_or(Timestamp::MAX)
            }
        };
        super::time::truncate_ms(now)
    }

    pub fn now_text(&self) -> String {
        super::time::format(self.now())
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// How much real time passes while this clock advances by `span`.
    pub fn real_time(&self, span: Duration) -> Duration {
        span.div_f64(self.speed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_clock_runs_from_its_start() {
        let start: Timestamp = "2026-03-08T06:00:00Z".parse().unwrap();
        let clock = Clock::started(start, 3600.0);
        std::thread::sleep(Duration::from_millis(20));
        let advanced = clock.now().duration_since(start);
        use jiff::SignedDuration;
        // 20 ms of real time is at least 72 s of this clock.
        assert!(advanced >= SignedDuration::from_secs(72), "{advanced:?}");
        assert_eq!(
            clock.real_time(Duration::from_secs(3600)),
            Duration::from_secs(1)
        );
    }
}
