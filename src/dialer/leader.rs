//! Which node dials (docs/api.md §10.3). On SQLite the one server always does. On PostgreSQL the
//! nodes share a lease in the database: the holder renews it every second for five; the others
//! try as often and take it once it has run out, so a leader that dies is replaced within six
//! seconds, and one that stops cleanly gives it up at once.

use crate::domain::clock::Clock;
use crate::store::lease::{self, Lease};
use crate::store::{Db, Dialect, Store, StoreResult, dialing};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How long a lease lasts without renewal.
const LEASE_SECONDS: f64 = 5.0;
/// How often the holder renews it, and the others try to take it.
const RENEW_EVERY: Duration = Duration::from_secs(1);

/// This node's name in the lease, and whether it holds it.
pub struct Leadership {
    node: String,
    leads: AtomicBool,
}

impl Default for Leadership {
    fn default() -> Self {
        Leadership {
            node: crate::domain::ids::new_id(),
            leads: AtomicBool::new(false),
        }
    }
}

impl Leadership {
    pub fn leads(&self) -> bool {
        self.leads.load(Ordering::Relaxed)
    }

    fn set(&self, leads: bool) {
        self.leads.store(leads, Ordering::Relaxed);
        crate::metrics::dialer_leader(leads);
    }

    /// Inside a pass's transaction: refuses it unless this node still holds the lease.
    pub fn fence(&self, db: &Db) -> StoreResult<()> {
        match db.dialect() {
            Dialect::Sqlite => Ok(()),
            Dialect::Postgres => lease::fence(db, &self.node),
        }
    }
}

/// Keeps this node's claim on dialing until `stop`; then gives the lease up. On taking the
/// lease it wakes the dialer's loop (`wake`), which then dials at once rather than at its next
/// second.
pub async fn keep(
    store: Store,
    leadership: Arc<Leadership>,
    clock: Clock,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let Some(postgres) = store.as_postgres().cloned() else {
        leadership.set(true);
        return;
    };
    loop {
        let node = leadership.node.clone();
        let held = postgres
            .unlocked(move |db| lease::hold(db, &node, LEASE_SECONDS))
            .await;
        match held {
            Ok(Lease::Taken) => {
                tracing::info!("this node now leads the dialer");
                end_calls_of_the_last_leader(&store, clock).await;
                leadership.set(true);
                wake.notify_one();
            }
            Ok(Lease::Renewed) => leadership.set(true),
            Ok(Lease::Elsewhere) => {
                if leadership.leads() {
                    tracing::warn!("another node took the dialer's lease");
                }
                leadership.set(false);
            }
            Err(error) => {
                if leadership.leads() {
                    tracing::warn!("the dialer's lease could not be renewed: {error}");
                }
                leadership.set(false);
            }
        }
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(RENEW_EVERY) => {}
        }
    }
    if leadership.leads() {
        leadership.set(false);
        let node = leadership.node.clone();
        match postgres.unlocked(move |db| lease::release(db, &node)).await {
            Ok(()) => tracing::info!("dialer's lease released"),
            Err(error) => tracing::warn!("releasing the dialer's lease: {error}"),
        }
    }
}

/// Simulated calls live in the process that placed them: those still up when this node starts
/// leading belonged to a process that is gone, and end `failed`.
pub async fn end_calls_of_the_last_leader(store: &Store, clock: Clock) {
    match store
        .write(move |conn| dialing::end_simulated_calls(conn, clock.now()))
        .await
    {
        Ok(0) => {}
        Ok(ended) => {
            (0..ended).for_each(|_| crate::metrics::attempt_ended("failed"));
            tracing::info!("{ended} simulated call(s) left up by the last run ended as failed");
        }
        Err(error) => tracing::warn!("ending the last leader's simulated calls: {error}"),
    }
}
