//! Simulated calls: each draws a duration and an outcome, is up for that long on campaignd's
//! clock, then ends. For local development, tests and demos.

use super::{Event, Placement, Placer, Placing};
use crate::domain::attempt::Call;
use crate::domain::clock::Clock;
use crate::domain::status::Outcome;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::mpsc;

/// `--sim-outcomes`, `--sim-call-seconds`, `--sim-seed`.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub outcomes: OutcomeWeights,
    pub call_seconds: CallSeconds,
    pub seed: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            outcomes: "answered=60,no_answer=25,busy=10,voicemail=5"
                .parse()
                .expect("valid"),
            call_seconds: CallSeconds { min: 5, max: 60 },
            seed: None,
        }
    }
}

/// Weights of the outcomes, in `Outcome::ALL` order; at least one is above zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeWeights([u32; 5]);

impl FromStr for OutcomeWeights {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut weights = [0u32; 5];
        for part in text.split(',') {
            let (name, weight) = part.split_once('=').ok_or_else(|| {
                format!("'{part}' is not outcome=weight (e.g. answered=60,no_answer=40)")
            })?;
            let index = Outcome::ALL
                .iter()
                .position(|o| o.as_str() == name.trim())
                .ok_or_else(|| {
                    format!(
                        "'{name}' is not an outcome (answered, voicemail, no_answer, busy, failed)"
                    )
                })?;
            weights[index] = weight
                .trim()
                .parse()
                .map_err(|_| format!("the weight of {name} must be a whole number ≥ 0"))?;
        }
        if weights.iter().all(|w| *w == 0) {
            return Err("at least one outcome needs a weight above 0".into());
        }
        Ok(OutcomeWeights(weights))
    }
}

/// `MIN-MAX` seconds a simulated call lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallSeconds {
    pub min: u64,
    pub max: u64,
}

impl FromStr for CallSeconds {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let rule = || format!("'{text}' is not MIN-MAX seconds with MIN ≤ MAX (e.g. 5-60, or 0-0)");
        let (min, max) = text.split_once('-').ok_or_else(rule)?;
        let (min, max) = (
            min.trim().parse().map_err(|_| rule())?,
            max.trim().parse().map_err(|_| rule())?,
        );
        if min > max || max > 86_400 {
            return Err(rule());
        }
        Ok(CallSeconds { min, max })
    }
}

pub struct Simulator {
    settings: Settings,
    clock: Clock,
    rng: Mutex<StdRng>,
    events: mpsc::UnboundedSender<Event>,
}

impl Simulator {
    pub fn new(
        settings: Settings,
        clock: Clock,
        events: mpsc::UnboundedSender<Event>,
    ) -> Simulator {
        let rng = match settings.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Simulator {
            settings,
            clock,
            rng: Mutex::new(rng),
            events,
        }
    }

    /// The duration and outcome of the next call: drawn in the order calls are placed, so a
    /// seed gives the same draws for the same inputs.
    fn draw(&self) -> (Duration, Outcome) {
        let mut rng = self.rng.lock().expect("simulator rng");
        let CallSeconds { min, max } = self.settings.call_seconds;
        let seconds = rng.random_range(min..=max);
        let weights = &self.settings.outcomes.0;
        let mut pick = rng.random_range(0..weights.iter().sum::<u32>());
        let mut outcome = Outcome::Failed;
        for (&candidate, weight) in Outcome::ALL.iter().zip(weights) {
            if pick < *weight {
                outcome = candidate;
                break;
            }
            pick -= weight;
        }
        (Duration::from_secs(seconds), outcome)
    }
}

impl Placer for Simulator {
    fn place(&self, call: Call) -> Placing {
        let (duration, outcome) = self.draw();
        let conversation_id = format!("sim_{}", call.attempt_id);
        let (clock, events) = (self.clock, self.events.clone());
        let (attempt_id, id) = (call.attempt_id, conversation_id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(clock.real_time(duration)).await;
            let _ = events.send(Event::Ended {
                attempt_id,
                outcome,
                ended_at: clock.now(),
                conversation_id: Some(id),
            });
        });
        Box::pin(async move {
            Placement::Accepted {
                conversation_id: Some(conversation_id),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_read_strictly() {
        assert_eq!(
            "busy=1".parse::<OutcomeWeights>().unwrap(),
            OutcomeWeights([0, 0, 0, 1, 0])
        );
        assert!("answered=0".parse::<OutcomeWeights>().is_err());
        assert!("ringing=3".parse::<OutcomeWeights>().is_err());
        assert!("answered=-1".parse::<OutcomeWeights>().is_err());
        assert_eq!(
            "0-0".parse::<CallSeconds>().unwrap(),
            CallSeconds { min: 0, max: 0 }
        );
        assert!("60-5".parse::<CallSeconds>().is_err());
        assert!("5".parse::<CallSeconds>().is_err());
    }

    #[test]
    fn a_seed_gives_the_same_draws() {
        let (events, _) = mpsc::unbounded_channel();
        let settings = Settings {
            seed: Some(7),
            ..Settings::default()
        };
        let draws = |s: &Simulator| (0..50).map(|_| s.draw()).collect::<Vec<_>>();
        let one = Simulator::new(settings.clone(), Clock::real(), events.clone());
        let two = Simulator::new(settings, Clock::real(), events);
        assert_eq!(draws(&one), draws(&two));
    }
}
