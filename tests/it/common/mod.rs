//! A real campaignd on 127.0.0.1:0 over a fresh temporary database, and a small HTTP client.
#![allow(dead_code)]

pub mod dialing;

use campaignd::dialer;
use campaignd::domain::clock::Clock;
use campaignd::domain::credential::{Credential, Kind};
use campaignd::domain::scope::{Role, Scopes};
use campaignd::store::{self, credentials, orgs};
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

pub struct TestServer {
    pub addr: SocketAddr,
    pub db: PathBuf,
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
    pub async fn start_with(clock: Clock, settings: dialer::Settings) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("campaignd.db");
        let mut server = TestServer::start_at(&db, clock, settings).await;
        server._dir = Some(dir);
        server
    }

    /// Starts a server on the database at `db` (created with `org_a` and `org_b` if new).
    pub async fn start_at(
        db: &std::path::Path,
        clock: Clock,
        settings: dialer::Settings,
    ) -> TestServer {
        let db = db.to_path_buf();
        let store = store::Store::open(&db, store::Synchronous::Normal).unwrap();
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
            _dir: None,
            shutdown,
            served,
            http: reqwest::Client::new(),
        };
        server.admin(|conn| {
            for (org, name) in [("org_a", "A"), ("org_b", "B")] {
                if !orgs::exists(conn, org)? {
                    orgs::create(conn, org, name, "2026-01-01T00:00:00.000Z")?;
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
    pub fn admin<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> store::StoreResult<T>) -> T {
        let mut conn = store::open_connection(&self.db).unwrap();
        store::write_now(&mut conn, f).unwrap()
    }

    /// A new API key of `org` with `scopes`.
    pub fn key(&self, org: &str, scopes: Scopes) -> String {
        let key = Credential::generate(Kind::ApiKey);
        let new = credentials::NewKey {
            organization_id: org,
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
                credentials::set_membership(conn, name, org, *role)?;
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
