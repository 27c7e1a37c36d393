//! The connection loop: accepts connections and serves each with the routes, closes clients that
//! are slow to send a request (or idle between requests), and sheds a flood of connections before
//! the process runs out of file descriptors, so that the API keeps answering.

use crate::App;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};

/// How long a client may take to send a request's head, counted from the moment the server waits
/// for it: on a new connection, and after each answer on a kept-alive one (hyper times both the
/// same way, so this is also the idle keep-alive timeout).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// File descriptors kept for everything but client connections: the database (writer, readers,
/// WAL, checkpointer), the lock file, the placers' outgoing connections, the logs.
const RESERVED_DESCRIPTORS: u64 = 256;

/// Raises the soft limit on open files to the hard one (a terminal's usual soft limit of 1,024
/// is far below what a server needs), and says so.
pub fn raise_open_file_limit() {
    let before = open_file_limit();
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(now) if now > before => tracing::info!(
            "open-file limit raised from {before} to {now}: up to {} client connections",
            max_connections(now)
        ),
        Ok(now) => tracing::info!(
            "open-file limit {now}: up to {} client connections",
            max_connections(now)
        ),
        Err(error) => tracing::warn!("could not raise the open-file limit ({before}): {error}"),
    }
}

fn open_file_limit() -> u64 {
    rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
}

/// The client connections that `open_files` descriptors leave room for.
fn max_connections(open_files: u64) -> usize {
    let reserved = RESERVED_DESCRIPTORS.min(open_files / 4);
    usize::try_from(open_files - reserved).unwrap_or(usize::MAX)
}

/// Accepts connections and serves each with the routes until `shutdown` completes; returns the
/// handle that waits for the connections still open. At most `max_connections` of the open-file
/// limit are open at once:
/// past that, the connection that has waited longest without sending a request is closed to make
/// room, so that a flood of slow or silent clients cannot lock out the others. A client that goes
/// away is no error (warp's own loop logs an ERROR line per dropped connection).
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> hyper_util::server::graceful::GracefulShutdown {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let filter = crate::api::routes(app);
    let open = Arc::new(Open::default());
    let mut shutdown = std::pin::pin!(shutdown);
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let builder = Arc::new(builder);
    let most = max_connections(open_file_limit());
    let mut next_id: u64 = 0;
    loop {
        let (stream, _) = tokio::select! {
            () = &mut shutdown => break,
            accepted = async {
                open.make_room(most).await;
                listener.accept().await
            } => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    accept_error(error).await;
                    continue;
                }
            },
        };
        next_id += 1;
        let id = next_id;
        let evicted = open.admit(id);
        let requested = Arc::new(AtomicBool::new(false));
        let tower = hyper_util::service::TowerToHyperService::new(warp::service(filter.clone()));
        let service = {
            let (open, requested) = (open.clone(), requested.clone());
            warp::hyper::service::service_fn(move |request| {
                if !requested.swap(true, Ordering::Relaxed) {
                    open.requested(id);
                }
                warp::hyper::service::Service::call(&tower, request)
            })
        };
        let (watcher, builder, open) = (graceful.watcher(), builder.clone(), open.clone());
        tokio::spawn(async move {
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            tokio::select! {
                served = watcher.watch(connection) => {
                    if let Err(error) = served {
                        connection_error(&*error);
                    }
                }
                // Dropping the connection closes it. (An `Err` only says that the connection sent
                // a request and can no longer be picked: that branch is then disabled.)
                Ok(()) = evicted => tracing::debug!("closed a connection that sent no request, to make room"),
            }
            open.closed(id);
        });
    }
    graceful
}

/// The connections open, and among them those that have not sent a request yet (by age).
#[derive(Default)]
struct Open {
    state: Mutex<OpenState>,
    /// Signalled each time a connection closes.
    closed: Notify,
}

#[derive(Default)]
struct OpenState {
    count: usize,
    waiting: BTreeMap<u64, oneshot::Sender<()>>,
}

impl Open {
    /// Completes once fewer than `most` connections are open. Past that, it closes the oldest
    /// connection still waiting for a request and waits for it to go (or for any to close, when
    /// all are busy with requests): the descriptor is free before the next one is accepted.
    async fn make_room(&self, most: usize) {
        loop {
            {
                let mut state = self.state.lock().expect("not poisoned");
                if state.count < most {
                    return;
                }
                if let Some((_, oldest)) = state.waiting.pop_first() {
                    let _ = oldest.send(());
                }
            }
            self.closed.notified().await;
        }
    }

    /// Counts a new connection in; the receiver fires if it is closed to make room.
    fn admit(&self, id: u64) -> oneshot::Receiver<()> {
        let (evict, evicted) = oneshot::channel();
        let mut state = self.state.lock().expect("not poisoned");
        state.count += 1;
        state.waiting.insert(id, evict);
        evicted
    }

    /// The connection sent its first request: it is no longer one to close to make room.
    fn requested(&self, id: u64) {
        self.state.lock().expect("not poisoned").waiting.remove(&id);
    }

    fn closed(&self, id: u64) {
        let mut state = self.state.lock().expect("not poisoned");
        state.waiting.remove(&id);
        state.count -= 1;
        self.closed.notify_one();
    }
}

/// A failed accept: the peer left before it completed (nothing to say), or the process is out of
/// file descriptors (say so, and give connections a moment to close).
async fn accept_error(error: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    tracing::warn!("accepting a connection: {error}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// A connection that ended in error. A client that closed it, reset it, stopped sending or was too
/// slow to send a request is the normal life of a server (debug); anything else (a malformed
/// request) is worth a WARN line, never an ERROR: nothing of ours failed.
fn connection_error(error: &(dyn std::error::Error + 'static)) {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(error) = error.downcast_ref::<warp::hyper::Error>()
            && (error.is_incomplete_message()
                || error.is_canceled()
                || error.is_closed()
                || error.is_timeout())
        {
            tracing::debug!("client went away: {error}");
            return;
        }
        if let Some(error) = error.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                error.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | NotConnected
            ) {
                tracing::debug!("client went away: {error}");
                return;
            }
        }
        cause = error.source();
    }
    tracing::warn!("HTTP connection error: {error}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_of_a_small_limit_is_kept_back_and_256_of_a_large_one() {
        assert_eq!(max_connections(400), 300);
        assert_eq!(max_connections(1024), 768);
        assert_eq!(max_connections(65536), 65280);
    }

    #[test]
    fn at_the_limit_the_oldest_connection_without_a_request_makes_room() {
        use futures_util::FutureExt;
        let open = Open::default();
        let mut first = open.admit(1);
        let mut second = open.admit(2);
        open.requested(1);
        let mut third = open.admit(3);
        assert_eq!(open.make_room(4).now_or_never(), Some(()));
        // Three open, at most three: 1 has sent a request, so 2 (the oldest still waiting) is
        // told to close, and there is room once it has.
        let mut room = Box::pin(open.make_room(3));
        assert_eq!((&mut room).now_or_never(), None);
        assert!(first.try_recv().is_err());
        assert!(second.try_recv().is_ok());
        assert!(third.try_recv().is_err());
        open.closed(2);
        assert_eq!(room.now_or_never(), Some(()));
    }
}
