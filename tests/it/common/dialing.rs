//! What the dialer's tests share: an organisation's client for campaigns and contacts, windows
//! that are always open, and polling with a deadline instead of sleeping.

use super::TestServer;
use campaignd::domain::scope::Scopes;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long a test waits for the dialer to get somewhere before it fails.
const DEADLINE: Duration = Duration::from_secs(240);

/// Polls `check` until it gives a value, or fails after the deadline.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Windows open all week, every minute.
pub fn always() -> Value {
    let days = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    json!([{"days": days, "start": "00:00", "end": "12:00"}, {"days": days, "start": "12:00", "end": "00:00"}])
}

/// A valid US number, different for each `n` below 10,000.
pub fn number(n: usize) -> String {
    format!("+1650253{:04}", n % 10_000)
}

pub fn ended(contact: &Value) -> bool {
    matches!(contact["status"].as_str(), Some("completed" | "exhausted"))
}

/// An organisation's API client with a key of all scopes.
pub struct Org<'a> {
    pub server: &'a TestServer,
    pub key: String,
}

impl<'a> Org<'a> {
    pub fn new(server: &'a TestServer, org: &str) -> Org<'a> {
        Org {
            server,
            key: server.key(org, Scopes::ALL),
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.server
            .call(method, path, Some(&self.key), body.as_ref())
            .await
    }

    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, body) = self.call(method, path, body).await;
        assert!((200..300).contains(&status), "{path}: {status} {body}");
        body
    }

    /// A campaign on a new configuration (windows always open unless `config` says otherwise)
    /// with `config`'s fields; returns its id.
    pub async fn campaign(&self, config: Value) -> String {
        let mut fields = json!({"name": "dialing", "default_windows": always()});
        fields
            .as_object_mut()
            .unwrap()
            .extend(config.as_object().unwrap().clone());
        let config = self
            .ok(Method::POST, "/campaign/configurations", Some(fields))
            .await;
        let campaign = self
            .ok(
                Method::POST,
                "/campaign/campaigns",
                Some(json!({"name": "c", "configuration_id": config["id"]})),
            )
            .await;
        campaign["id"].as_str().unwrap().to_string()
    }

    /// Upserts `contacts`, a JSON array (1,000 a request); returns their ids.
    pub async fn add(&self, campaign: &str, contacts: impl Into<Value>) -> Vec<String> {
        let contacts: Value = contacts.into();
        let mut ids = Vec::new();
        for chunk in contacts.as_array().unwrap().chunks(1000) {
            let body = self
                .ok(
                    Method::POST,
                    &format!("/campaign/campaigns/{campaign}/contacts"),
                    Some(json!({ "contacts": chunk })),
                )
                .await;
            ids.extend(
                body["contact_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|id| id.as_str().unwrap().to_string()),
            );
        }
        ids
    }

    pub async fn contact(&self, campaign: &str, id: &str) -> Value {
        self.ok(
            Method::GET,
            &format!("/campaign/campaigns/{campaign}/contacts/{id}"),
            None,
        )
        .await
    }

    pub async fn contacts(&self, campaign: &str) -> Vec<Value> {
        let body = self
            .ok(
                Method::GET,
                &format!("/campaign/campaigns/{campaign}/contacts?limit=1000"),
                None,
            )
            .await;
        body["contacts"].as_array().unwrap().clone()
    }

    pub async fn stats(&self, campaign: &str) -> Value {
        self.ok(
            Method::GET,
            &format!("/campaign/campaigns/{campaign}/stats"),
            None,
        )
        .await
    }

    /// Posts a call's result as the user's telephony would.
    pub async fn result(&self, attempt: &str, body: Value) -> (u16, Value) {
        self.call(
            Method::POST,
            &format!("/campaign/attempts/{attempt}/result"),
            Some(body),
        )
        .await
    }
}
