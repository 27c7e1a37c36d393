//! A real campaignd on 127.0.0.1:0 over a fresh temporary database, and a small HTTP client.
#![allow(dead_code)]

pub mod dialing;
pub mod process;

use campaignd::dialer;
use campaignd::domain::clock::Clock;
use campaignd::domain::credential::{Credential, Kind};
use campaignd::domain::ids::OrgId;
use campaignd::domain::scope::{Role, Scopes};
use campaignd::store::postgres::PostgresStore;
use campaignd::store::{self, Db, credentials, orgs};
use reqwest::Method;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The real binary, with no `CAMPAIGND_*` variable of the developer's environment (each would
/// change a default the test relies on).
pub fn campaignd() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_campaignd"));
    for (var, _) in std::env::vars() {
        if var.starts_with("CAMPAIGND_") {
            command.env_remove(var);
        }
    }
    command
}

/// The database a test server runs on: a temporary SQLite file, or, when
/// `CAMPAIGND_TEST_STORE=postgres`, a new database of its own on the PostgreSQL server of
/// `CAMPAIGND_TEST_POSTGRES` (scripts/test starts one).
pub enum Backing {
    File,
    Postgres { url: String, admin: PostgresStore },
}

/// The PostgreSQL server of the tests (its superuser's URL, `CAMPAIGND_TEST_POSTGRES`): the
/// tests of several nodes need it, and fail without it.
pub fn postgres_server_required() -> String {
    std::env::var("CAMPAIGND_TEST_POSTGRES").expect(
        "CAMPAIGND_TEST_POSTGRES names no PostgreSQL server: run scripts/test, which starts one",
    )
}

/// The PostgreSQL server the HTTP suite runs on, when it runs there
/// (`CAMPAIGND_TEST_STORE=postgres`).
pub fn postgres_server() -> Option<String> {
    (std::env::var("CAMPAIGND_TEST_STORE").as_deref() == Ok("postgres"))
        .then(postgres_server_required)
}

/// A new, empty database on the test PostgreSQL server; its URL.
pub fn new_postgres_database(server: &str) -> String {
    let name = format!("t_{}", uuid::Uuid::now_v7().simple());
    let server = server.to_string();
    let created = name.clone();
    std::thread::spawn(move || {
        admin_runtime().block_on(async move {
            let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
                .await
                .expect("the test PostgreSQL server answers");
            tokio::spawn(connection);
            client
                .batch_execute(&format!("CREATE DATABASE {created}"))
                .await
                .unwrap();
        })
    })
    .join()
    .unwrap();
    server_url(&name)
}

/// The test server's URL with another database name.
fn server_url(database: &str) -> String {
    let server = postgres_server_required();
    let (base, query) = server.split_once('?').unwrap_or((&server, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{base}/{database}{query}")
}

/// The runtime of the tests' own PostgreSQL connections (admin changes, checks): its calls
/// block, so it runs beside each test's runtime, never inside it.
fn admin_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

pub struct TestServer {
    pub addr: SocketAddr,
    /// The SQLite file (unused on PostgreSQL).
    pub db: PathBuf,
    pub backing: Backing,
    _dir: Option<tempfile::TempDir>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<()>,
    http: reqwest::Client,
}

impl TestServer {
    /// Starts a server with `org_a` and `org_b` already created, the dialer off.
    pub async fn start() -> TestServer {
        TestServer::start_with(Clock::real(), dialer::Settings::default()).await
    }

    /// Starts a server on `clock` with the dialer of `settings`.
    /// On PostgreSQL when the suite runs there (`CAMPAIGND_TEST_DATABASE_URL`).
    pub async fn start_with(clock: Clock, settings: dialer::Settings) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("campaignd.db");
        let (store, backing) = match postgres_server() {
            Some(server) => {
                let url = new_postgres_database(&server);
                let store = PostgresStore::connect(&url).await.unwrap();
                let admin_url = url.clone();
                let admin = std::thread::spawn(move || {
                    admin_runtime()
                        .block_on(PostgresStore::connect(&admin_url))
                        .unwrap()
                })
                .join()
                .unwrap();
                (
                    store::Store::postgres(store),
                    Backing::Postgres { url, admin },
                )
            }
            None => (
                store::Store::open(&db, store::Synchronous::Normal).unwrap(),
                Backing::File,
            ),
        };
        let mut server = TestServer::serve(store, backing, db, clock, settings).await;
        server._dir = Some(dir);
        server
    }

    /// Starts a server on the SQLite file at `db` (created with `org_a` and `org_b` if new).
    pub async fn start_at(
        db: &std::path::Path,
        clock: Clock,
        settings: dialer::Settings,
    ) -> TestServer {
        let store = store::Store::open(db, store::Synchronous::Normal).unwrap();
        TestServer::serve(store, Backing::File, db.to_path_buf(), clock, settings).await
    }

    async fn serve(
        store: store::Store,
        backing: Backing,
        db: PathBuf,
        clock: Clock,
        settings: dialer::Settings,
    ) -> TestServer {
        // CAMPAIGND_TEST_LOG=debug (or any filter) shows the servers' logs, for a failing test.
        if let Ok(filter) = std::env::var("CAMPAIGND_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(campaignd::serve(
            campaignd::App::new(
                store,
                &campaignd::config::ServeConfig {
                    clock,
                    dialer: settings,
                    ..Default::default()
                },
            ),
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        let server = TestServer {
            addr,
            db,
            backing,
            _dir: None,
            shutdown,
            served,
            http: reqwest::Client::new(),
        };
        server.admin(|conn| {
            for (org, name) in [("org_a", "A"), ("org_b", "B")] {
                let org = OrgId::parse(org).unwrap();
                if !orgs::exists(conn, &org)? {
                    orgs::create(conn, &org, name, "2026-01-01T00:00:00.000Z")?;
                }
            }
            Ok(())
        });
        server
    }

    /// Stops serving and waits until the server has stopped.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.served.await;
    }

    /// Runs one change on the database, as the admin commands do.
    pub fn admin<T: Send>(&self, f: impl FnOnce(&Db) -> store::StoreResult<T> + Send) -> T {
        self.try_admin(f).unwrap()
    }

    /// `admin`, with the store's refusal.
    pub fn try_admin<T: Send>(
        &self,
        f: impl FnOnce(&Db) -> store::StoreResult<T> + Send,
    ) -> store::StoreResult<T> {
        match &self.backing {
            Backing::File => {
                let mut conn = store::open_connection(&self.db).unwrap();
                store::write_now(&mut conn, f)
            }
            Backing::Postgres { admin, .. } => {
                std::thread::scope(|s| s.spawn(|| admin.write_blocking(f)).join().unwrap())
            }
        }
    }

    /// Reads the database outside the server (a check, a count).
    pub fn inspect<T: Send>(&self, f: impl FnOnce(&Db) -> store::StoreResult<T> + Send) -> T {
        match &self.backing {
            Backing::File => {
                let conn = store::open_connection(&self.db).unwrap();
                f(&Db::Sqlite(&conn)).unwrap()
            }
            Backing::Postgres { admin, .. } => {
                std::thread::scope(|s| s.spawn(|| admin.read_blocking(f)).join().unwrap().unwrap())
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backing, Backing::Postgres { .. })
    }

    /// The global flags that point a command of the real binary at this server's database.
    pub fn database_args(&self) -> Vec<String> {
        match &self.backing {
            Backing::File => vec!["--db".into(), self.db.display().to_string()],
            Backing::Postgres { url, .. } => vec!["--database-url".into(), url.clone()],
        }
    }

    /// What `/healthz` names the store.
    pub fn store_name(&self) -> &'static str {
        if self.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// A new API key of `org` with `scopes`.
    pub fn key(&self, org: &str, scopes: Scopes) -> String {
        let key = Credential::generate(Kind::ApiKey);
        let org = OrgId::parse(org).unwrap();
        let new = credentials::NewKey {
            organization_id: &org,
            name: "test",
            scopes,
            expires_at: None,
        };
        self.admin(|conn| credentials::create_key(conn, &key, &new, "2026-01-01T00:00:00.000Z"));
        key.to_string()
    }

    /// A new user who is `role` in each of `orgs`, and a personal token of theirs.
    pub fn user_token(
        &self,
        name: &str,
        memberships: &[(&str, Role)],
        scopes: Option<Scopes>,
    ) -> String {
        let token = Credential::generate(Kind::PersonalToken);
        self.admin(|conn| {
            credentials::create_user(conn, name, "2026-01-01T00:00:00.000Z")?;
            for (org, role) in memberships {
                credentials::set_membership(conn, name, &OrgId::parse(org).unwrap(), *role)?;
            }
            credentials::create_token(conn, &token, name, scopes, None, "2026-01-01T00:00:00.000Z")
        });
        token.to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends a request; `body` is sent as JSON when given. Returns the status and the JSON body
    /// (`Value::Null` when the body is empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        credential: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(credential) = credential {
            request = request.bearer_auth(credential);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    /// Sends a raw request and returns the whole response.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path))
    }
}

/// The `loc`s of a 422 answer, as strings like `body.contacts.3.phone_numbers.0`.
pub fn locs(body: &Value) -> Vec<String> {
    body["detail"]
        .as_array()
        .expect("a validation answer")
        .iter()
        .map(|p| {
            p["loc"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| match s {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect()
}
