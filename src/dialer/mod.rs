//! The dialer (docs/api.md, "Dialing"): about once a second of campaignd's clock it clears stale
//! locks, shares the free call slots between organisations, claims their due contacts and hands
//! each attempt to a placer; a recorder writes what the placers report. It knows no HTTP server
//! types: the API only wakes it.

pub mod leader;
pub mod outbound;
pub mod simulate;
pub mod slots;
pub mod twilio;
pub mod webhook;

use crate::domain::attempt::Call;
use crate::domain::clock::Clock;
use crate::domain::ids::AttemptId;
use crate::domain::status::Outcome;
use crate::store::Db;
use crate::store::configurations::RulesCache;
use crate::store::dialing::{self, EndAttempt, Ended, Expired};
use crate::store::{Store, StoreError, StoreResult, savepoint};
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc, watch};

/// `serve --dialer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Off,
    Simulate,
    Webhook,
    Twilio,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Simulate => "simulate",
            Mode::Webhook => "webhook",
            Mode::Twilio => "twilio",
        }
    }
}

/// How the dialer runs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub mode: Mode,
    /// Calls up at once over all organisations.
    pub global_concurrency: i64,
    /// An attempt still in progress after this long ends `failed`.
    pub max_call: SignedDuration,
    pub simulation: simulate::Settings,
    /// The webhook placer's; required in `Mode::Webhook`.
    pub webhook: Option<webhook::Settings>,
    /// The Twilio placer's; required in `Mode::Twilio`. When given in another mode, status
    /// callbacks of calls placed before are still verified and recorded.
    pub twilio: Option<twilio::Settings>,
    /// `--public-url`: how the placer's side reaches campaignd (no trailing slash); `None`:
    /// `http://<listen address>`.
    pub public_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Off,
            global_concurrency: 50,
            max_call: SignedDuration::from_mins(120),
            simulation: simulate::Settings::default(),
            webhook: None,
            twilio: None,
            public_url: None,
        }
    }
}

/// What a placer did with a call.
#[derive(Clone, Debug)]
pub enum Placement {
    /// The call is up; its result comes later.
    Accepted { conversation_id: Option<String> },
    /// The call already ended.
    Ended {
        outcome: Outcome,
        conversation_id: Option<String>,
    },
    /// The call never reached the placer: no attempt is used up.
    NotDelivered,
}

/// A placer's handing over of one call.
pub type Placing = std::pin::Pin<Box<dyn std::future::Future<Output = Placement> + Send>>;

/// Places calls: simulated, or through the user's telephony.
pub trait Placer: Send + Sync + 'static {
    /// Hands a call over; the future resolves when the placer has it (or could not take it).
    fn place(&self, call: Call) -> Placing;

    /// The loop starts no call before this instant (a placer that backs off after failures).
    fn hold_until(&self) -> Option<Instant> {
        None
    }
}

/// What the recorder writes.
#[derive(Clone, Debug)]
pub enum Event {
    Placed {
        attempt_id: AttemptId,
        placement: Placement,
    },
    Ended {
        attempt_id: AttemptId,
        outcome: Outcome,
        ended_at: Timestamp,
        conversation_id: Option<String>,
    },
}

/// Most events the recorder writes in one transaction: enough to share commits under load, few
/// enough that an API write queued behind them waits only a few milliseconds.
const EVENTS_PER_WRITE: usize = 200;
/// The loop's period is one second of campaignd's clock, but never under this much real time.
const SHORTEST_PERIOD: Duration = Duration::from_millis(10);
/// Most calls one pass starts, so that a pass holds the writer for tens of milliseconds at most;
/// a pass that starts this many is followed by the next one at once.
const CLAIMS_PER_PASS: usize = 1000;
/// A contact claimed longer than this without its call being placed returns to `pending`.
pub const LOCK_TIMEOUT: SignedDuration = SignedDuration::from_secs(60);
/// How soon the recorder tries again to write events the database could not take.
const RECORD_RETRY: Duration = Duration::from_millis(500);

/// Starts the loop and the recorder for `placer`. They stop taking contacts when `stop` turns
/// true; calls up keep going and are recorded while the runtime lives.
pub fn start(
    store: Store,
    leadership: Arc<leader::Leadership>,
    clock: Clock,
    settings: Settings,
    wake: Arc<Notify>,
    stop: watch::Receiver<bool>,
    placer: impl FnOnce(mpsc::UnboundedSender<Event>) -> Arc<dyn Placer>,
) {
    let (events, queue) = mpsc::unbounded_channel();
    let placer = placer(events.clone());
    tokio::spawn(record(store.clone(), clock, queue, wake.clone()));
    tokio::spawn(run_loop(
        store, leadership, clock, settings, placer, events, wake, stop,
    ));
}

#[allow(clippy::too_many_arguments)]
async fn run_loop(
    store: Store,
    leadership: Arc<leader::Leadership>,
    clock: Clock,
    settings: Settings,
    placer: Arc<dyn Placer>,
    events: mpsc::UnboundedSender<Event>,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let period = clock.real_time(Duration::from_secs(1)).max(SHORTEST_PERIOD);
    loop {
        let started = Instant::now();
        let mut next = started + period;
        let holding = placer.hold_until().is_some_and(|until| until > started);
        if leadership.leads() && !holding {
            match pass(&store, &leadership, clock, &settings).await {
                Ok(calls) => {
                    crate::metrics::dialer_pass(started.elapsed(), calls.len());
                    if calls.len() == CLAIMS_PER_PASS {
                        next = started + SHORTEST_PERIOD;
                    }
                    for call in calls {
                        let attempt_id = call.attempt_id.clone();
                        let (placing, events) = (placer.place(call), events.clone());
                        tokio::spawn(async move {
                            let placement = placing.await;
                            let _ = events.send(Event::Placed {
                                attempt_id,
                                placement,
                            });
                        });
                    }
                }
                // The lease moved to another node between the check and the pass.
                Err(StoreError::NotLeader) => {}
                Err(error) => tracing::warn!("dialer pass: {error}"),
            }
        }
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep_until(next.into()) => {}
            _ = wake.notified() => tokio::time::sleep_until((started + SHORTEST_PERIOD).into()).await,
        }
    }
    tracing::info!("dialer stopped taking contacts");
}

/// One pass: stale locks and overdue calls, then the claim, in one transaction.
async fn pass(
    store: &Store,
    leadership: &Arc<leader::Leadership>,
    clock: Clock,
    settings: &Settings,
) -> StoreResult<Vec<Call>> {
    let (global, max_call) = (settings.global_concurrency, settings.max_call);
    let leadership = leadership.clone();
    let (expired, calls) = store
        .write(move |conn| {
            leadership.fence(conn)?;
            let now = clock.now();
            let expired = dialing::expire(conn, now, LOCK_TIMEOUT, max_call)?;
            let calls = claim(conn, now, global, CLAIMS_PER_PASS)?;
            Ok((expired, calls))
        })
        .await?;
    let Expired { ended, .. } = expired;
    (0..ended).for_each(|_| crate::metrics::attempt_ended(Outcome::Failed.as_str()));
    Ok(calls)
}

/// Shares the free slots (at most `most` of them) between the organisations that have due
/// contacts (step 3), and starts that many of their contacts' attempts (steps 4 and 5).
pub fn claim(conn: &Db, now: jiff::Timestamp, global: i64, most: usize) -> StoreResult<Vec<Call>> {
    let free = (global - dialing::calls_up(conn)?).min(most as i64);
    if free <= 0 {
        return Ok(Vec::new());
    }
    let mut due_contacts = dialing::DueContacts::new(conn, now);
    let mut demands = Vec::new();
    let mut dues = Vec::new();
    for room in dialing::organisations_with_room(conn)? {
        let due = due_contacts.of(
            &room.org,
            (room.concurrency_limit - room.calls_up).min(free) as usize,
        )?;
        if !due.is_empty() {
            demands.push(slots::Demand {
                org: room.org,
                limit: room.concurrency_limit as u64,
                up: room.calls_up as u64,
                want: due.len() as u64,
            });
            dues.push(due);
        }
    }
    let shares = slots::share(global as u64, free as u64, &demands);
    let starting: Vec<dialing::Due> = dues
        .into_iter()
        .zip(shares)
        .flat_map(|(due, share)| due.into_iter().take(share as usize))
        .collect();
    dialing::start_attempts(conn, &starting, now)
}

/// Writes what placers report, many events per transaction, and wakes the loop when calls
/// ended (their slots are free). Events the database cannot take for the moment (PostgreSQL
/// unreachable or restarting) are written again until it can: a call's end that was lost would
/// keep its slot taken until `--max-call-minutes`.
async fn record(
    store: Store,
    clock: Clock,
    mut queue: mpsc::UnboundedReceiver<Event>,
    wake: Arc<Notify>,
) {
    let mut batch = Vec::with_capacity(EVENTS_PER_WRITE);
    while queue.recv_many(&mut batch, EVENTS_PER_WRITE).await > 0 {
        let events = without_placed_before_their_end(std::mem::take(&mut batch));
        let mut waited = false;
        loop {
            let written = write_events(&store, clock, events.clone()).await;
            match written {
                Ok(ended) => {
                    if waited {
                        tracing::info!("{} call event(s) recorded after the wait", events.len());
                    }
                    // Counted once committed.
                    ended
                        .into_iter()
                        .for_each(|outcome| crate::metrics::attempt_ended(outcome.as_str()));
                }
                Err(StoreError::Unavailable | StoreError::Busy) => {
                    if !waited {
                        tracing::warn!(
                            "recording {} call event(s): the database is unavailable; \
                             trying again until it is back",
                            events.len()
                        );
                        waited = true;
                    }
                    tokio::time::sleep(RECORD_RETRY).await;
                    continue;
                }
                Err(error) => tracing::error!("recording call events: {error}"),
            }
            break;
        }
        wake.notify_one();
    }
}

/// One transaction of events; the outcomes of the attempts they ended.
async fn write_events(
    store: &Store,
    clock: Clock,
    events: Vec<Event>,
) -> StoreResult<Vec<Outcome>> {
    // Events almost never fail: first all of them in the one transaction; only if one does, all
    // again with a savepoint each, so that the others are kept. (A savepoint is a round trip
    // each way on PostgreSQL.)
    let unguarded = write_events_in(store, clock, events.clone(), false).await;
    match unguarded {
        Err(StoreError::Unavailable | StoreError::Busy) | Ok(_) => unguarded,
        Err(_) => write_events_in(store, clock, events, true).await,
    }
}

async fn write_events_in(
    store: &Store,
    clock: Clock,
    events: Vec<Event>,
    guarded: bool,
) -> StoreResult<Vec<Outcome>> {
    store
        .write(move |conn| {
            let now = clock.now();
            let mut rules = RulesCache::default();
            if !guarded {
                return write_batch(conn, &mut rules, &events, now);
            }
            let mut ended = Vec::new();
            for event in events {
                let applied = savepoint(conn, "event", |conn| {
                    write_batch(conn, &mut rules, std::slice::from_ref(&event), now)
                });
                match applied {
                    Ok(outcomes) => ended.extend(outcomes),
                    // The database went away: the whole batch is written again.
                    Err(error @ (StoreError::Unavailable | StoreError::Busy)) => return Err(error),
                    // One event that cannot be written must not lose the others.
                    Err(error) => tracing::error!("recording a call event: {error}"),
                }
            }
            Ok(ended)
        })
        .await
}

/// A call that ended before its placement was written (a short simulated one) needs only its
/// end written: the end carries the conversation id.
fn without_placed_before_their_end(events: Vec<Event>) -> Vec<Event> {
    let ended: std::collections::HashSet<AttemptId> = events
        .iter()
        .filter_map(|event| match event {
            Event::Ended { attempt_id, .. } => Some(attempt_id.clone()),
            Event::Placed { .. } => None,
        })
        .collect();
    events
        .into_iter()
        .filter(|event| {
            !matches!(event, Event::Placed { attempt_id, placement: Placement::Accepted { .. } }
                if ended.contains(attempt_id))
        })
        .collect()
}

/// Writes `events`: the placements in one step, the calls not delivered, then every end in one
/// step 6. The outcomes of the attempts they ended; an attempt that already ended (its result
/// came twice) or was removed is left as it is. (An attempt has one placement event, so only
/// its end must come after it.)
fn write_batch(
    conn: &Db,
    rules: &mut RulesCache,
    events: &[Event],
    now: Timestamp,
) -> StoreResult<Vec<Outcome>> {
    let mut placed = Vec::new();
    let mut ends = Vec::new();
    for event in events {
        match event {
            Event::Placed {
                attempt_id,
                placement: Placement::Accepted { conversation_id },
            } => placed.push(dialing::Placed {
                attempt_id,
                conversation_id: conversation_id.as_deref(),
            }),
            Event::Placed {
                attempt_id,
                placement: Placement::NotDelivered,
            } => dialing::release(conn, attempt_id)?,
            Event::Placed {
                attempt_id,
                placement:
                    Placement::Ended {
                        outcome,
                        conversation_id,
                    },
            } => ends.push(EndAttempt {
                attempt_id,
                outcome: *outcome,
                ended_at: now,
                conversation_id: conversation_id.as_deref(),
                org: None,
            }),
            Event::Ended {
                attempt_id,
                outcome,
                ended_at,
                conversation_id,
            } => ends.push(EndAttempt {
                attempt_id,
                outcome: *outcome,
                ended_at: *ended_at,
                conversation_id: conversation_id.as_deref(),
                org: None,
            }),
        }
    }
    dialing::placed(conn, &placed, &crate::domain::time::format(now))?;
    let mut ended = Vec::new();
    for (answer, end) in dialing::end_attempts(conn, rules, &ends, now)?
        .into_iter()
        .zip(&ends)
    {
        match answer {
            Ok(Ended::Now { .. }) => ended.push(end.outcome),
            Ok(_) | Err(StoreError::NotFound) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(ended)
}
