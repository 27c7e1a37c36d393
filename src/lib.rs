//! campaignd: the Anyreach Campaigns API on one SQLite file. This is the library face: build the
//! app from a database and serve it on a listener; `main.rs` only reads the command line.

pub mod api;
pub mod cli;
pub mod config;
pub mod domain;
pub mod import;
pub mod openapi;
pub mod store;

use std::future::Future;
use std::sync::Arc;
use store::Store;

/// Everything a request handler needs.
pub struct App {
    pub store: Store,
    pub credentials: api::auth::CredentialCache,
}

impl App {
    pub fn new(store: Store) -> Arc<App> {
        Arc::new(App {
            store,
            credentials: Default::default(),
        })
    }
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    warp::serve(api::routes(app))
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
}

/// The version line of `campaignd --version`: ours, the phone metadata's and the tz database's.
pub fn version_text() -> String {
    format!(
        "campaignd {}\nphone metadata: {}\ntz database: {}\nschema version: {}",
        env!("CARGO_PKG_VERSION"),
        domain::phone::METADATA_VERSION,
        domain::time::tzdb_version(),
        store::SCHEMA_VERSION,
    )
}
