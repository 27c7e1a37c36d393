//! docs/api.md §3, §4.1, §5.1: campaigns over HTTP — create, list, get, update, lifecycle.

use crate::common::{TestServer, locs};
use campaignd::domain::scope::{Scope, Scopes};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::{Value, json};

const CAMPAIGNS: &str = "/campaign/campaigns";

/// A server, an all-scopes key of `org_a` and one configuration of `org_a`.
struct Fixture {
    server: TestServer,
    key: String,
    config: String,
}

impl Fixture {
    async fn start() -> Fixture {
        let server = TestServer::start().await;
        let key = server.key("org_a", Scopes::ALL);
        let config = configuration(&server, &key).await;
        Fixture {
            server,
            key,
            config,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.server
            .call(method, path, Some(&self.key), body.as_ref())
            .await
    }

    /// Creates a campaign from `extra` fields plus a name and the fixture's configuration.
    async fn create(&self, name: &str, extra: Value) -> Value {
        let mut body = json!({"name": name, "configuration_id": self.config});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, campaign) = self.call(Method::POST, CAMPAIGNS, Some(body)).await;
        assert_eq!(status, 201, "{campaign}");
        campaign
    }

    async fn get(&self, id: &str) -> Value {
        let (status, campaign) = self.call(Method::GET, &campaign_path(id), None).await;
        assert_eq!(status, 200, "{campaign}");
        campaign
    }

    async fn action(&self, id: &str, action: &str) -> (u16, Value) {
        let path = format!("{}/{action}", campaign_path(id));
        self.call(Method::POST, &path, None).await
    }

    /// Every id of the list with `query`, page by page (`limit` each), checking the page sizes.
    async fn walk(&self, query: &str, limit: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (page, next) = self.page(query, limit, cursor.as_deref()).await;
            ids.extend(page.iter().map(|c| c["id"].as_str().unwrap().to_string()));
            match next {
                Some(next) => {
                    assert_eq!(page.len(), limit, "only the last page may be short");
                    cursor = Some(next);
                }
                None => return ids,
            }
        }
    }

    async fn page(
        &self,
        query: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> (Vec<Value>, Option<String>) {
        let mut path = format!("{CAMPAIGNS}?limit={limit}{query}");
        if let Some(cursor) = cursor {
            path += &format!("&cursor={}", utf8_percent_encode(cursor, NON_ALPHANUMERIC));
        }
        let (status, body) = self.call(Method::GET, &path, None).await;
        assert_eq!(status, 200, "{body}");
        let page = body["campaigns"].as_array().unwrap().clone();
        (page, body["next_cursor"].as_str().map(String::from))
    }
}

async fn configuration(server: &TestServer, key: &str) -> String {
    let (status, config) = server
        .call(
            Method::POST,
            "/campaign/configurations",
            Some(key),
            Some(&json!({"name": "hours"})),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    config["id"].as_str().unwrap().to_string()
}

/// `/campaign/campaigns/{id}` with the id percent-encoded as one path segment.
fn campaign_path(id: &str) -> String {
    format!("{CAMPAIGNS}/{}", utf8_percent_encode(id, NON_ALPHANUMERIC))
}

fn id_of(campaign: &Value) -> String {
    campaign["id"].as_str().unwrap().to_string()
}

fn not_found() -> (u16, Value) {
    (404, json!({"detail": "Campaign not found"}))
}

fn is_timestamp(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.len() == 24 && text.ends_with('Z') && text.as_bytes()[19] == b'.'
}

#[tokio::test]
async fn create_answers_the_campaign_in_the_contract_shape() {
    let f = Fixture::start().await;
    let campaign = f.create("Q4 renewals", json!({})).await;
    let keys: Vec<&str> = campaign
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "organization_id",
            "external_id",
            "name",
            "status",
            "priority",
            "configuration_id",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(campaign["organization_id"], "org_a");
    assert_eq!(campaign["external_id"], Value::Null);
    assert_eq!(campaign["name"], "Q4 renewals");
    assert_eq!(campaign["status"], "active");
    assert_eq!(campaign["priority"], 0);
    assert_eq!(campaign["configuration_id"], f.config.as_str());
    assert!(is_timestamp(&campaign["created_at"]), "{campaign}");
    assert_eq!(campaign["created_at"], campaign["updated_at"]);
    assert_eq!(f.get(&id_of(&campaign)).await, campaign);

    // Every optional field, the configuration id in upper case, and an explicit "active".
    let full = f
        .create(
            "Full",
            json!({"external_id": "q4", "priority": 100, "status": "active",
                   "configuration_id": f.config.to_uppercase()}),
        )
        .await;
    assert_eq!(
        (
            &full["external_id"],
            &full["priority"],
            &full["configuration_id"]
        ),
        (&json!("q4"), &json!(100), &json!(f.config))
    );
    assert_eq!(f.get("q4").await, full);
    let explicit_null = f.create("No ext", json!({"external_id": null})).await;
    assert_eq!(explicit_null["external_id"], Value::Null);
}

#[tokio::test]
async fn create_refuses_every_invalid_field_with_its_loc() {
    let f = Fixture::start().await;
    let other_org_key = f.server.key("org_b", Scopes::ALL);
    let other_org_config = configuration(&f.server, &other_org_key).await;
    let config = f.config.clone();
    let long = |n: usize| "x".repeat(n);
    // (body, expected (type, loc) of every problem)
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (json!([]), vec![("dict_type", "body")]),
        (json!("name"), vec![("dict_type", "body")]),
        (
            json!({}),
            vec![
                ("missing", "body.name"),
                ("missing", "body.configuration_id"),
            ],
        ),
        (
            json!({"configuration_id": config}),
            vec![("missing", "body.name")],
        ),
        (
            json!({"name": "", "configuration_id": config}),
            vec![("string_too_short", "body.name")],
        ),
        (
            json!({"name": long(201), "configuration_id": config}),
            vec![("string_too_long", "body.name")],
        ),
        (
            json!({"name": 5, "configuration_id": config}),
            vec![("string_type", "body.name")],
        ),
        (
            json!({"name": null, "configuration_id": config}),
            vec![("string_type", "body.name")],
        ),
        (
            json!({"name": "n", "configuration_id": "nope"}),
            vec![("uuid_parsing", "body.configuration_id")],
        ),
        (
            json!({"name": "n", "configuration_id": config.replace('-', "")}),
            vec![("uuid_parsing", "body.configuration_id")],
        ),
        (
            json!({"name": "n", "configuration_id": 7}),
            vec![("string_type", "body.configuration_id")],
        ),
        (
            json!({"name": "n", "configuration_id": null}),
            vec![("string_type", "body.configuration_id")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "external_id": ""}),
            vec![("string_too_short", "body.external_id")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "external_id": long(256)}),
            vec![("string_too_long", "body.external_id")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "external_id": 12}),
            vec![("string_type", "body.external_id")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "external_id": "default"}),
            vec![("value_error", "body.external_id")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "external_id": "."}),
            vec![("value_error", "body.external_id")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "external_id": ".."}),
            vec![("value_error", "body.external_id")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "priority": -1}),
            vec![("greater_than_equal", "body.priority")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "priority": 101}),
            vec![("less_than_equal", "body.priority")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "priority": "5"}),
            vec![("int_type", "body.priority")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "priority": 1.5}),
            vec![("int_type", "body.priority")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "priority": null}),
            vec![("int_type", "body.priority")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "status": "paused"}),
            vec![("enum", "body.status")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "status": "closed"}),
            vec![("enum", "body.status")],
        ),
        (
            json!({"name": "n", "configuration_id": config, "status": null}),
            vec![("enum", "body.status")],
        ),
        // Every problem of the shape stage is listed at once.
        (
            json!({"name": "", "configuration_id": "x", "external_id": "..", "priority": 500, "status": "paused"}),
            vec![
                ("string_too_short", "body.name"),
                ("uuid_parsing", "body.configuration_id"),
                ("value_error", "body.external_id"),
                ("less_than_equal", "body.priority"),
                ("enum", "body.status"),
            ],
        ),
        // Stored-data checks: an unknown configuration, or another organisation's.
        (
            json!({"name": "n", "configuration_id": "0b6f2a52-8a2e-4f0b-b2b4-3d5f3b6f8c21"}),
            vec![("value_error", "body.configuration_id")],
        ),
        (
            json!({"name": "n", "configuration_id": other_org_config}),
            vec![("value_error", "body.configuration_id")],
        ),
        // The configuration is looked up only once the shape is right.
        (
            json!({"name": "", "configuration_id": other_org_config}),
            vec![("string_too_short", "body.name")],
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = f.call(Method::POST, CAMPAIGNS, Some(body.clone())).await;
        assert_eq!(status, 422, "{body} → {answer}");
        let types: Vec<&str> = answer["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["type"].as_str().unwrap())
            .collect();
        let found: Vec<(&str, String)> = types.into_iter().zip(locs(&answer)).collect();
        let expected: Vec<(&str, String)> =
            expected.into_iter().map(|(t, l)| (t, l.into())).collect();
        assert_eq!(found, expected, "{body} → {answer}");
    }

    // A body that is not JSON.
    let response = f
        .server
        .request(Method::POST, CAMPAIGNS)
        .bearer_auth(&f.key)
        .body("{name: ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["detail"][0]["type"], "json_invalid");
    assert_eq!(locs(&answer), ["body"]);

    // Boundaries that are accepted.
    f.create(&long(200), json!({"external_id": long(255), "priority": 0}))
        .await;
    f.create("n", json!({"external_id": "..."})).await;

    // Nothing was half-written: only the two accepted campaigns exist.
    assert_eq!(f.walk("", 200).await.len(), 2);
}

#[tokio::test]
async fn create_and_patch_messages_name_the_problem() {
    let f = Fixture::start().await;
    let (_, answer) = f
        .call(
            Method::POST,
            CAMPAIGNS,
            Some(json!({"name": "n", "configuration_id": "0b6f2a52-8a2e-4f0b-b2b4-3d5f3b6f8c21"})),
        )
        .await;
    assert_eq!(
        answer["detail"][0]["msg"],
        "Configuration '0b6f2a52-8a2e-4f0b-b2b4-3d5f3b6f8c21' not found"
    );
    assert_eq!(
        answer["detail"][0]["input"],
        "0b6f2a52-8a2e-4f0b-b2b4-3d5f3b6f8c21"
    );
    let campaign = f.create("n", json!({})).await;
    let (status, answer) = f
        .call(
            Method::PATCH,
            &campaign_path(&id_of(&campaign)),
            Some(json!({"status": "paused"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(locs(&answer), ["body.status"]);
    let msg = answer["detail"][0]["msg"].as_str().unwrap();
    assert!(msg.contains("start") && msg.contains("pause") && msg.contains("close"));
}

#[tokio::test]
async fn a_duplicate_external_id_conflicts_within_the_organisation_only() {
    let f = Fixture::start().await;
    f.create("first", json!({"external_id": "q4"})).await;
    let (status, answer) = f
        .call(
            Method::POST,
            CAMPAIGNS,
            Some(json!({"name": "second", "external_id": "q4", "configuration_id": f.config})),
        )
        .await;
    assert_eq!(
        (status, answer),
        (
            409,
            json!({"detail": "A campaign with external_id 'q4' already exists"})
        )
    );
    // External ids compare exactly: another case is another id.
    f.create("third", json!({"external_id": "Q4"})).await;
    assert_eq!(f.walk("", 200).await.len(), 2);

    // Another organisation may use the same external_id.
    let key_b = f.server.key("org_b", Scopes::ALL);
    let config_b = configuration(&f.server, &key_b).await;
    let (status, _) = f
        .server
        .call(
            Method::POST,
            CAMPAIGNS,
            Some(&key_b),
            Some(&json!({"name": "b", "external_id": "q4", "configuration_id": config_b})),
        )
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn patch_validates_then_finds_then_checks_data_state_and_conflicts() {
    let f = Fixture::start().await;
    let other = f.create("other", json!({"external_id": "taken"})).await;
    let campaign = f.create("c", json!({"external_id": "mine"})).await;
    let path = campaign_path("mine");
    let unknown_config = "0b6f2a52-8a2e-4f0b-b2b4-3d5f3b6f8c21";

    let invalid: Vec<(Value, Vec<&str>)> = vec![
        (json!([]), vec!["body"]),
        (json!({"name": ""}), vec!["body.name"]),
        (json!({"name": null}), vec!["body.name"]),
        (json!({"name": "x".repeat(201)}), vec!["body.name"]),
        (json!({"priority": 101}), vec!["body.priority"]),
        (json!({"priority": -1}), vec!["body.priority"]),
        (json!({"priority": "1"}), vec!["body.priority"]),
        (json!({"priority": null}), vec!["body.priority"]),
        (json!({"external_id": ""}), vec!["body.external_id"]),
        (json!({"external_id": "default"}), vec!["body.external_id"]),
        (json!({"external_id": "."}), vec!["body.external_id"]),
        (json!({"external_id": 3}), vec!["body.external_id"]),
        (
            json!({"configuration_id": "x"}),
            vec!["body.configuration_id"],
        ),
        (
            json!({"configuration_id": null}),
            vec!["body.configuration_id"],
        ),
        (json!({"status": "active"}), vec!["body.status"]),
        (json!({"status": null}), vec!["body.status"]),
        (
            json!({"name": "", "priority": 500, "status": "closed"}),
            vec!["body.name", "body.priority", "body.status"],
        ),
    ];
    for (body, expected) in invalid {
        let (status, answer) = f.call(Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(status, 422, "{body} → {answer}");
        assert_eq!(locs(&answer), expected, "{body} → {answer}");
        // Shape problems come before the path: an unknown campaign answers the same.
        let (status, _) = f
            .call(Method::PATCH, &campaign_path("nope"), Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body}");
    }
    assert_eq!(f.get("mine").await, campaign, "nothing was changed");

    // Path (404) before stored data (422).
    let (status, answer) = f
        .call(
            Method::PATCH,
            &campaign_path("nope"),
            Some(json!({"configuration_id": unknown_config})),
        )
        .await;
    assert_eq!((status, answer), not_found());
    assert_eq!(
        f.call(Method::PATCH, &campaign_path("nope"), Some(json!({})))
            .await,
        not_found()
    );
    let (status, answer) = f
        .call(
            Method::PATCH,
            &path,
            Some(json!({"configuration_id": unknown_config})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(locs(&answer), ["body.configuration_id"]);
    assert_eq!(answer["detail"][0]["type"], "value_error");

    // Conflict (409).
    let (status, answer) = f
        .call(Method::PATCH, &path, Some(json!({"external_id": "taken"})))
        .await;
    assert_eq!(
        (status, answer),
        (
            409,
            json!({"detail": "A campaign with external_id 'taken' already exists"})
        )
    );
    assert_eq!(f.get("mine").await, campaign, "nothing was changed");

    // A closed campaign: stored data (422) before state (400) before conflict (409).
    let (status, _) = f.action("mine", "close").await;
    assert_eq!(status, 200);
    let closed = f.get("mine").await;
    let (status, answer) = f
        .call(
            Method::PATCH,
            &path,
            Some(json!({"configuration_id": unknown_config})),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    let refused = (400, json!({"detail": "Campaign is closed"}));
    for body in [
        json!({}),
        json!({"name": "renamed"}),
        json!({"external_id": "taken"}),
    ] {
        assert_eq!(f.call(Method::PATCH, &path, Some(body)).await, refused);
    }
    assert_eq!(f.get("mine").await, closed, "nothing was changed");
    assert_eq!(f.get("taken").await, other);
}

#[tokio::test]
async fn patch_changes_fields_and_moves_updated_at_only_on_a_change() {
    let f = Fixture::start().await;
    let config2 = configuration(&f.server, &f.key).await;
    let campaign = f
        .create("c", json!({"external_id": "q4", "priority": 5}))
        .await;
    let id = id_of(&campaign);
    let path = campaign_path(&id);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    // An empty PATCH, an identical one, and its own external_id again change nothing.
    for body in [
        json!({}),
        json!({"name": "c", "priority": 5, "external_id": "q4", "configuration_id": f.config}),
        json!({"configuration_id": f.config.to_uppercase(), "unknown_field": 1}),
    ] {
        assert_eq!(
            f.call(Method::PATCH, &path, Some(body)).await,
            (200, campaign.clone())
        );
    }
    let (status, started) = f.action(&id, "start").await;
    assert_eq!(
        (status, &started),
        (200, &campaign),
        "start of an active campaign"
    );

    let (status, changed) = f
        .call(
            Method::PATCH,
            &path,
            Some(json!({"name": "renamed", "priority": 100, "configuration_id": config2})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["name"], "renamed");
    assert_eq!(changed["priority"], 100);
    assert_eq!(changed["configuration_id"], config2.as_str());
    assert_eq!(changed["external_id"], "q4");
    assert_eq!(changed["created_at"], campaign["created_at"]);
    assert!(changed["updated_at"].as_str() > campaign["updated_at"].as_str());
    assert_eq!(f.get(&id).await, changed);

    // `null` clears the external_id, which then no longer addresses it.
    let (status, cleared) = f
        .call(Method::PATCH, &path, Some(json!({"external_id": null})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(cleared["external_id"], Value::Null);
    assert_eq!(
        f.call(Method::GET, &campaign_path("q4"), None).await,
        not_found()
    );
    // And the freed external_id can be taken by another campaign.
    f.create("again", json!({"external_id": "q4"})).await;
}

#[tokio::test]
async fn every_lifecycle_transition_has_its_answer() {
    let f = Fixture::start().await;
    let refusal = |detail: &str| Some(json!({"detail": detail}));
    // (state before, action, state after or the 400 detail)
    let table: [(&str, &str, &str, Option<Value>); 9] = [
        ("active", "start", "active", None),
        ("active", "pause", "paused", None),
        ("active", "close", "closed", None),
        ("paused", "start", "active", None),
        (
            "paused",
            "pause",
            "paused",
            refusal("Campaign is not active"),
        ),
        ("paused", "close", "closed", None),
        (
            "closed",
            "start",
            "closed",
            refusal("Cannot start a closed campaign"),
        ),
        (
            "closed",
            "pause",
            "closed",
            refusal("Campaign is not active"),
        ),
        (
            "closed",
            "close",
            "closed",
            refusal("Campaign is already closed"),
        ),
    ];
    for (before, action, after, refused) in table {
        let campaign = f.create(&format!("{before} {action}"), json!({})).await;
        let id = id_of(&campaign);
        match before {
            "paused" => assert_eq!(f.action(&id, "pause").await.0, 200),
            "closed" => assert_eq!(f.action(&id, "close").await.0, 200),
            _ => {}
        }
        let stored = f.get(&id).await;
        assert_eq!(stored["status"], before);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        let (status, answer) = f.action(&id, action).await;
        let now = f.get(&id).await;
        assert_eq!(now["status"], after, "{before} {action}");
        match refused {
            Some(detail) => {
                assert_eq!((status, answer), (400, detail), "{before} {action}");
                assert_eq!(now, stored, "a refused action changes nothing");
            }
            None => {
                assert_eq!((status, &answer), (200, &now), "{before} {action}");
                let moved = before != after;
                assert_eq!(
                    now["updated_at"] != stored["updated_at"],
                    moved,
                    "{before} {action}: updated_at moves exactly when the status does"
                );
            }
        }
    }
}

#[tokio::test]
async fn concurrent_closes_succeed_exactly_once() {
    let f = Fixture::start().await;
    let id = id_of(&f.create("race", json!({})).await);
    let path = format!("{}/close", campaign_path(&id));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = f
            .server
            .request(Method::POST, &path)
            .bearer_auth(&f.key)
            .send();
        tasks.spawn(async move {
            let response = request.await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        });
    }
    let answers = tasks.join_all().await;
    let closed: Vec<_> = answers.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(closed.len(), 1, "{answers:?}");
    assert_eq!(closed[0].1["status"], "closed");
    for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(
            (*status, body),
            (400, &json!({"detail": "Campaign is already closed"}))
        );
    }
    assert_eq!(f.get(&id).await, closed[0].1);
}

#[tokio::test]
async fn every_route_addresses_a_campaign_by_id_or_external_id() {
    let f = Fixture::start().await;
    let spaced = f
        .create("spaced", json!({"external_id": "q4 renewals"}))
        .await;
    let slashed = f.create("slashed", json!({"external_id": "a/b"})).await;
    let unicode = f.create("unicode", json!({"external_id": "ünï ✓"})).await;
    // A UUID-shaped external_id that is no campaign's id is still an external_id …
    let uuid_like = "0b6f2a52-8a2e-4f0b-b2b4-3d5f3b6f8c21";
    let by_uuid_text = f
        .create("uuid-like", json!({"external_id": uuid_like}))
        .await;
    // … but a campaign's own id wins over another's external_id (UUID first).
    let shadow = f
        .create("shadow", json!({"external_id": id_of(&spaced)}))
        .await;

    assert_eq!(f.get(uuid_like).await, by_uuid_text);
    assert_eq!(f.get(&id_of(&spaced)).await, spaced);
    assert_eq!(f.get(&id_of(&spaced).to_uppercase()).await, spaced);
    assert_eq!(f.get(&id_of(&shadow)).await, shadow);
    assert_eq!(f.get("a/b").await, slashed);
    assert_eq!(f.get("ünï ✓").await, unicode);
    // The raw `%20` form, as a client would write it by hand.
    let (status, body) = f
        .call(Method::GET, "/campaign/campaigns/q4%20renewals", None)
        .await;
    assert_eq!((status, &body), (200, &spaced));

    for (external, campaign) in [("q4 renewals", &spaced), ("a/b", &slashed)] {
        let id = id_of(campaign);
        let (status, renamed) = f
            .call(
                Method::PATCH,
                &campaign_path(external),
                Some(json!({"name": "renamed"})),
            )
            .await;
        assert_eq!((status, renamed["id"].as_str()), (200, Some(id.as_str())));
        assert_eq!(renamed["name"], "renamed");
        for (action, status_after) in [
            ("pause", "paused"),
            ("start", "active"),
            ("close", "closed"),
        ] {
            let (status, answer) = f.action(external, action).await;
            assert_eq!(status, 200, "{action} {answer}");
            assert_eq!(answer["id"], id.as_str());
            assert_eq!(answer["status"], status_after);
        }
    }
    // The shadowing campaign was never touched by the id-addressed calls.
    assert_eq!(f.get(&id_of(&shadow)).await["status"], "active");

    // Nothing else matches: `default`, unknown names, unknown UUIDs, near misses.
    for path_id in [
        "default",
        "nope",
        "Q4 RENEWALS",
        "q4",
        "7d0c5f8e-3b8a-4c5e-9a51-6f1f2f0f9b11",
    ] {
        let path = campaign_path(path_id);
        assert_eq!(f.call(Method::GET, &path, None).await, not_found());
        assert_eq!(
            f.call(Method::PATCH, &path, Some(json!({}))).await,
            not_found()
        );
        for action in ["start", "pause", "close"] {
            assert_eq!(f.action(path_id, action).await, not_found(), "{action}");
        }
    }
}

#[tokio::test]
async fn another_organisations_campaign_is_not_found_on_every_route() {
    let f = Fixture::start().await;
    let campaign = f.create("a's", json!({"external_id": "q4"})).await;
    let key_b = f.server.key("org_b", Scopes::ALL);
    let as_b = |method: Method, path: String, body: Option<Value>| {
        let server = &f.server;
        let key_b = key_b.clone();
        async move {
            server
                .call(method, &path, Some(&key_b), body.as_ref())
                .await
        }
    };
    for path_id in [id_of(&campaign), "q4".to_string()] {
        let path = campaign_path(&path_id);
        assert_eq!(as_b(Method::GET, path.clone(), None).await, not_found());
        for body in [json!({}), json!({"name": "mine now"})] {
            assert_eq!(
                as_b(Method::PATCH, path.clone(), Some(body)).await,
                not_found()
            );
        }
        for action in ["start", "pause", "close"] {
            let path = format!("{path}/{action}");
            assert_eq!(as_b(Method::POST, path, None).await, not_found());
        }
    }
    let (status, list) = as_b(Method::GET, CAMPAIGNS.into(), None).await;
    assert_eq!(
        (status, list),
        (200, json!({"campaigns": [], "next_cursor": null}))
    );
    // Org B cannot use org A's configuration either.
    let (status, answer) = as_b(
        Method::POST,
        CAMPAIGNS.into(),
        Some(json!({"name": "b", "configuration_id": f.config})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(locs(&answer), ["body.configuration_id"]);
    assert_eq!(f.get("q4").await, campaign, "untouched");
}

#[tokio::test]
async fn list_pages_through_every_campaign_once_with_and_without_filters() {
    let f = Fixture::start().await;
    // Newest first: the reverse of creation order. Even ones are named with an accented capital,
    // so that only Unicode lower-casing matches them with `éVEN`.
    let mut created = Vec::new();
    for i in 0..250 {
        let name = if i % 2 == 0 {
            format!("Éven {i:03}")
        } else {
            format!("odd {i:03}")
        };
        let id = id_of(&f.create(&name, json!({})).await);
        if i % 5 == 0 {
            assert_eq!(f.action(&id, "close").await.0, 200);
        } else if i % 3 == 0 {
            assert_eq!(f.action(&id, "pause").await.0, 200);
        }
        created.push(id);
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(f.walk("", 7).await, newest_first);
    // 250 = 2 × 125: the second page is full and still the last (`next_cursor` null).
    assert_eq!(f.walk("", 125).await, newest_first);
    assert_eq!(f.walk("", 200).await, newest_first);
    // The default limit is 50.
    let (first, next) = f.page("", 50, None).await;
    let (status, default_page) = f.call(Method::GET, CAMPAIGNS, None).await;
    assert_eq!(status, 200);
    assert_eq!(default_page["campaigns"], json!(first));
    assert_eq!(default_page["next_cursor"], json!(next));

    let filtered: Vec<String> = (0..250)
        .rev()
        .filter(|i| i % 2 == 0 && (i % 5 == 0 || i % 3 == 0))
        .map(|i| created[i].clone())
        .collect();
    assert_eq!(
        f.walk("&name=%C3%A9VEN&status=paused&status=closed", 7)
            .await,
        filtered
    );
    let active_odd: Vec<String> = (0..250)
        .rev()
        .filter(|i| i % 2 == 1 && i % 5 != 0 && i % 3 != 0)
        .map(|i| created[i].clone())
        .collect();
    assert_eq!(
        f.walk("&status=active&name=ODD&status=active", 7).await,
        active_odd
    );
    assert_eq!(f.walk("&name=nobody", 7).await, Vec::<String>::new());

    // Campaigns created between two pages neither shift nor repeat the rows of the walk.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (page, next) = f.page("", 7, cursor.as_deref()).await;
        walked.extend(page.iter().map(id_of));
        f.create("Éven newcomer", json!({})).await;
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(walked, newest_first);
    let all = f.walk("", 200).await;
    assert_eq!(all.len(), 250 + newest_first.len().div_ceil(7));
    assert_eq!(all[all.len() - 250..], newest_first[..]);
}

#[tokio::test]
async fn the_name_filter_ignores_case_and_treats_wildcards_as_text() {
    let f = Fixture::start().await;
    let mut ids = std::collections::HashMap::new();
    for name in ["100% sure", "100 sure", "a_b", "axb", "ÅNGSTRÖM", "Straße"] {
        ids.insert(name, id_of(&f.create(name, json!({})).await));
    }
    let names = |query: &'static str| {
        let f = &f;
        async move {
            let (status, body) = f
                .call(Method::GET, &format!("{CAMPAIGNS}?name={query}"), None)
                .await;
            assert_eq!(status, 200, "{body}");
            let mut names: Vec<String> = body["campaigns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(names("%25").await, ["100% sure"]);
    assert_eq!(names("_").await, ["a_b"]);
    assert_eq!(names("0%25%20S").await, ["100% sure"]);
    assert_eq!(names("%C3%A5ngstr%C3%B6m").await, ["ÅNGSTRÖM"]);
    assert_eq!(names("STRA%C3%9FE").await, ["Straße"]);
    assert_eq!(names("").await.len(), 6);
    assert_eq!(names("SURE").await, ["100 sure", "100% sure"]);
}

#[tokio::test]
async fn list_refuses_a_malformed_query() {
    let f = Fixture::start().await;
    f.create("one", json!({})).await;
    let cases: [(&str, &[(&str, &str)]); 8] = [
        ("limit=0", &[("greater_than_equal", "query.limit")]),
        ("limit=201", &[("less_than_equal", "query.limit")]),
        ("limit=abc", &[("int_type", "query.limit")]),
        ("limit=", &[("int_type", "query.limit")]),
        ("cursor=abc", &[("value_error", "query.cursor")]),
        ("status=open", &[("enum", "query.status")]),
        ("status=Active", &[("enum", "query.status")]),
        (
            "limit=0&cursor=x&status=active&status=done",
            &[
                ("greater_than_equal", "query.limit"),
                ("value_error", "query.cursor"),
                ("enum", "query.status"),
            ],
        ),
    ];
    for (query, expected) in cases {
        let (status, answer) = f
            .call(Method::GET, &format!("{CAMPAIGNS}?{query}"), None)
            .await;
        assert_eq!(status, 422, "{query} → {answer}");
        let found: Vec<(String, String)> = answer["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["type"].as_str().unwrap().to_string())
            .zip(locs(&answer))
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(t, l)| (t.to_string(), l.to_string()))
            .collect();
        assert_eq!(found, expected, "{query}");
    }
    let (status, body) = f
        .call(Method::GET, &format!("{CAMPAIGNS}?limit=1&other=x"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_configuration_used_by_a_closed_campaign_cannot_be_deleted() {
    let f = Fixture::start().await;
    let campaign = f.create("c", json!({})).await;
    assert_eq!(f.action(&id_of(&campaign), "close").await.0, 200);
    let path = format!("/campaign/configurations/{}", f.config);
    assert_eq!(
        f.call(Method::DELETE, &path, None).await,
        (
            409,
            json!({"detail": "Configuration is used by 1 campaign(s)"})
        )
    );
    assert_eq!(f.call(Method::GET, &path, None).await.0, 200, "still there");
    assert_eq!(
        f.get(&id_of(&campaign)).await["configuration_id"],
        f.config.as_str()
    );
}

#[tokio::test]
async fn campaign_routes_need_their_scopes() {
    let f = Fixture::start().await;
    let campaign = f.create("c", json!({})).await;
    let reader = f.server.key("org_a", Scopes::of(&[Scope::CampaignsRead]));
    let (status, _) = f
        .server
        .call(
            Method::GET,
            &campaign_path(&id_of(&campaign)),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, answer) = f
        .server
        .call(
            Method::POST,
            &format!("{}/close", campaign_path(&id_of(&campaign))),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(
        (status, answer),
        (
            403,
            json!({"detail": "Missing required scope: one of campaigns:manage"})
        )
    );
    assert_eq!(f.get(&id_of(&campaign)).await, campaign);
}
