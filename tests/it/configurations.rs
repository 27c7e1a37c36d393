//! docs/api.md §4.2, §5.4, §5.5 and §5.6: configurations, timezones and concurrency settings, over HTTP.

use crate::common::{TestServer, locs};
use campaignd::domain::scope::Scopes;
use reqwest::Method;
use serde_json::{Value, json};

const PATH: &str = "/campaign/configurations";

fn path_of(id: &str) -> String {
    format!("{PATH}/{id}")
}

/// The `(loc, type)` pairs of a 422 answer.
fn problems(body: &Value) -> Vec<(String, String)> {
    let types = body["detail"]
        .as_array()
        .expect("a validation answer")
        .iter()
        .map(|p| p["type"].as_str().unwrap().to_string());
    locs(body).into_iter().zip(types).collect()
}

/// POSTs `body`, expects 422 with exactly one problem at `loc` of type `kind`.
async fn refused(server: &TestServer, key: &str, body: Value, loc: &str, kind: &str) {
    let (status, answer) = server
        .call(Method::POST, PATH, Some(key), Some(&body))
        .await;
    assert_eq!(status, 422, "{body} → {answer}");
    assert_eq!(
        problems(&answer),
        vec![(loc.to_string(), kind.to_string())],
        "{body} → {answer}"
    );
    for problem in answer["detail"].as_array().unwrap() {
        for member in ["type", "loc", "msg", "input"] {
            assert!(problem.get(member).is_some(), "{member} in {problem}");
        }
    }
}

async fn create(server: &TestServer, key: &str, body: Value) -> Value {
    let (status, answer) = server
        .call(Method::POST, PATH, Some(key), Some(&body))
        .await;
    assert_eq!(status, 201, "{body} → {answer}");
    answer
}

fn is_timestamp(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.len() == 24 && text.ends_with('Z') && text.as_bytes()[19] == b'.'
}

#[tokio::test]
async fn create_fills_every_default() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let body = create(&server, &key, json!({"name": "Plain"})).await;
    let id = body["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(id, id.to_lowercase());
    assert_eq!(body["organization_id"], "org_a");
    assert_eq!(body["name"], "Plain");
    assert_eq!(body["default_timezone"], "America/New_York");
    assert_eq!(body["default_windows"], json!([]));
    assert_eq!(body["overrides"], json!([]));
    assert_eq!(body["scheduled_windows"], Value::Null);
    assert_eq!(body["scheduled_overrides"], Value::Null);
    assert_eq!(body["default_country_code"], "US");
    assert_eq!(body["max_attempts"], 3);
    assert_eq!(body["retry_delay_minutes"], 60);
    assert_eq!(body["agent_id"], Value::Null);
    assert_eq!(body["agent_version"], Value::Null);
    assert_eq!(body["agent_number"], Value::Null);
    assert!(is_timestamp(&body["created_at"]), "{body}");
    assert_eq!(body["created_at"], body["updated_at"]);
    // Every nullable field is present (as null), not left out.
    for field in [
        "scheduled_windows",
        "scheduled_overrides",
        "agent_id",
        "agent_version",
        "agent_number",
    ] {
        assert!(body.as_object().unwrap().contains_key(field), "{field}");
    }

    let (status, read) = server
        .call(Method::GET, &path_of(id), Some(&key), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(read, body);
}

#[tokio::test]
async fn create_keeps_every_given_field() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let weekdays =
        json!([{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}]);
    let overrides = json!([{"timezone": "America/Phoenix", "windows": [{"days": ["sat"], "start": "10:00", "end": "14:00"}]}]);
    let night = json!([{"days": ["fri"], "start": "22:30", "end": "03:30"}]);
    let body = create(
        &server,
        &key,
        json!({
            "name": "Full",
            "default_timezone": "Europe/London",
            "default_windows": weekdays,
            "overrides": overrides,
            "scheduled_windows": night,
            "scheduled_overrides": [],
            "default_country_code": "gb",
            "max_attempts": 20,
            "retry_delay_minutes": 10080,
            "agent_id": "agent-7",
            "agent_version": 4,
            "agent_number": "+1 650-253-0000",
            "unknown_field": "ignored",
        }),
    )
    .await;
    assert_eq!(body["default_timezone"], "Europe/London");
    assert_eq!(body["default_windows"], weekdays);
    assert_eq!(body["overrides"], overrides);
    assert_eq!(body["scheduled_windows"], night);
    assert_eq!(body["scheduled_overrides"], json!([]));
    assert_eq!(body["default_country_code"], "GB");
    assert_eq!(body["max_attempts"], 20);
    assert_eq!(body["retry_delay_minutes"], 10080);
    assert_eq!(body["agent_id"], "agent-7");
    assert_eq!(body["agent_version"], 4);
    assert_eq!(body["agent_number"], "+16502530000");
    assert!(body.get("unknown_field").is_none());

    // Bounds are inclusive.
    let low = create(
        &server,
        &key,
        json!({"name": "x", "max_attempts": 1, "retry_delay_minutes": 1, "agent_version": 1}),
    )
    .await;
    assert_eq!(low["max_attempts"], 1);
    assert_eq!(low["retry_delay_minutes"], 1);
    // A name of exactly 200 characters (code points) is taken.
    let long = "é".repeat(200);
    let named = create(&server, &key, json!({"name": long})).await;
    assert_eq!(named["name"], long);
    // The agent number is read in the US by default.
    let us = create(
        &server,
        &key,
        json!({"name": "us", "agent_number": "(650) 253-0000"}),
    )
    .await;
    assert_eq!(us["agent_number"], "+16502530000");
}

/// A number written without `+` is read in the configuration's own country (GB's metadata
/// patterns are free-spacing, multi-line: this also guards their whole-number match).
#[tokio::test]
async fn agent_number_is_read_with_the_configurations_country() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let body = create(
        &server,
        &key,
        json!({"name": "gb", "default_country_code": "gb", "agent_number": "020 7031 3000"}),
    )
    .await;
    assert_eq!(body["default_country_code"], "GB");
    assert_eq!(body["agent_number"], "+442070313000");
    let path = path_of(body["id"].as_str().unwrap());
    let (status, patched) = server
        .call(
            Method::PATCH,
            &path,
            Some(&key),
            Some(&json!({"agent_number": "020 7031 3001"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["agent_number"], "+442070313001");
}

fn window(days: Value, start: &str, end: &str) -> Value {
    json!({"days": days, "start": start, "end": end})
}

#[tokio::test]
async fn bad_windows_are_refused_at_their_field() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let with = |windows: Value| json!({"name": "w", "default_windows": windows});
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            with(json!([window(json!([]), "09:00", "17:00")])),
            "body.default_windows.0.days",
            "too_short",
        ),
        (
            with(json!([window(json!(["mon", "funday"]), "09:00", "17:00")])),
            "body.default_windows.0.days.1",
            "enum",
        ),
        (
            with(json!([window(json!(["Mon"]), "09:00", "17:00")])),
            "body.default_windows.0.days.0",
            "enum",
        ),
        (
            with(json!([window(
                json!(["mon", "tue", "mon"]),
                "09:00",
                "17:00"
            )])),
            "body.default_windows.0.days.2",
            "value_error",
        ),
        (
            with(json!([window(json!(["mon"]), "9:00", "17:00")])),
            "body.default_windows.0.start",
            "value_error",
        ),
        (
            with(json!([window(json!(["mon"]), "09:00", "24:00")])),
            "body.default_windows.0.end",
            "value_error",
        ),
        (
            with(json!([window(json!(["mon"]), "09:60", "17:00")])),
            "body.default_windows.0.start",
            "value_error",
        ),
        (
            with(json!([
                window(json!(["mon"]), "09:00", "17:00"),
                window(json!(["tue"]), "10:00", "10:00")
            ])),
            "body.default_windows.1.end",
            "value_error",
        ),
        (
            with(json!([{"days": ["mon"], "end": "17:00"}])),
            "body.default_windows.0.start",
            "missing",
        ),
        (
            with(json!([{"days": ["mon"], "start": 900, "end": "17:00"}])),
            "body.default_windows.0.start",
            "string_type",
        ),
        (
            with(json!(["09:00"])),
            "body.default_windows.0",
            "dict_type",
        ),
        (with(json!({})), "body.default_windows", "list_type"),
        (
            json!({"name": "w", "scheduled_windows": [window(json!(["sun"]), "00:00", "00:00")]}),
            "body.scheduled_windows.0.end",
            "value_error",
        ),
        (
            json!({"name": "w", "overrides": [
                {"timezone": "UTC", "windows": [window(json!(["sat", "sat"]), "10:00", "12:00")]}
            ]}),
            "body.overrides.0.windows.0.days.1",
            "value_error",
        ),
    ];
    for (body, loc, kind) in cases {
        refused(&server, &key, body, loc, kind).await;
    }

    // Exactly 50 windows are taken, 51 are not.
    let fifty: Vec<Value> = (0..50)
        .map(|_| window(json!(["mon"]), "09:00", "17:00"))
        .collect();
    create(&server, &key, with(json!(fifty))).await;
    let fifty_one: Vec<Value> = (0..51)
        .map(|_| window(json!(["mon"]), "09:00", "17:00"))
        .collect();
    refused(
        &server,
        &key,
        with(json!(fifty_one.clone())),
        "body.default_windows",
        "too_long",
    )
    .await;
    refused(
        &server,
        &key,
        json!({"name": "w", "overrides": [{"timezone": "UTC", "windows": fifty_one}]}),
        "body.overrides.0.windows",
        "too_long",
    )
    .await;

    let (status, _) = server.call(Method::GET, PATH, Some(&key), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_timezones_and_overrides_are_refused() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let ok_windows = json!([window(json!(["mon"]), "09:00", "17:00")]);
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"name": "t", "default_timezone": "Mars/Olympus_Mons"}),
            "body.default_timezone",
            "value_error",
        ),
        (
            json!({"name": "t", "default_timezone": "america/new_york"}),
            "body.default_timezone",
            "value_error",
        ),
        (
            json!({"name": "t", "default_timezone": 5}),
            "body.default_timezone",
            "string_type",
        ),
        (
            json!({"name": "t", "overrides": [{"timezone": "Nowhere/Land", "windows": ok_windows}]}),
            "body.overrides.0.timezone",
            "value_error",
        ),
        (
            json!({"name": "t", "scheduled_overrides": [
                {"timezone": "UTC", "windows": ok_windows},
                {"timezone": "Bad/Zone", "windows": ok_windows}
            ]}),
            "body.scheduled_overrides.1.timezone",
            "value_error",
        ),
        (
            json!({"name": "t", "overrides": [
                {"timezone": "Europe/Paris", "windows": ok_windows},
                {"timezone": "UTC", "windows": []},
                {"timezone": "Europe/Paris", "windows": []}
            ]}),
            "body.overrides.2.timezone",
            "value_error",
        ),
        (
            json!({"name": "t", "overrides": [{"windows": ok_windows}]}),
            "body.overrides.0.timezone",
            "missing",
        ),
        (
            json!({"name": "t", "overrides": [{"timezone": "UTC"}]}),
            "body.overrides.0.windows",
            "missing",
        ),
    ];
    for (body, loc, kind) in cases {
        refused(&server, &key, body, loc, kind).await;
    }
    // An alias and UTC are accepted, kept as written.
    let body = create(
        &server,
        &key,
        json!({"name": "t", "default_timezone": "US/Eastern", "overrides": [
            {"timezone": "UTC", "windows": ok_windows},
            {"timezone": "America/New_York", "windows": []}
        ]}),
    )
    .await;
    assert_eq!(body["default_timezone"], "US/Eastern");
    assert_eq!(body["overrides"][1]["windows"], json!([]));
}

#[tokio::test]
async fn bad_scalars_are_refused_at_their_field() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"name": "n", "max_attempts": 0}),
            "body.max_attempts",
            "greater_than_equal",
        ),
        (
            json!({"name": "n", "max_attempts": 21}),
            "body.max_attempts",
            "less_than_equal",
        ),
        (
            json!({"name": "n", "max_attempts": "3"}),
            "body.max_attempts",
            "int_type",
        ),
        (
            json!({"name": "n", "max_attempts": 3.5}),
            "body.max_attempts",
            "int_type",
        ),
        (
            json!({"name": "n", "max_attempts": true}),
            "body.max_attempts",
            "int_type",
        ),
        (
            json!({"name": "n", "retry_delay_minutes": 0}),
            "body.retry_delay_minutes",
            "greater_than_equal",
        ),
        (
            json!({"name": "n", "retry_delay_minutes": 10081}),
            "body.retry_delay_minutes",
            "less_than_equal",
        ),
        (
            json!({"name": "n", "default_country_code": "XX"}),
            "body.default_country_code",
            "value_error",
        ),
        (
            json!({"name": "n", "default_country_code": "usa"}),
            "body.default_country_code",
            "value_error",
        ),
        (
            json!({"name": "n", "agent_version": 0}),
            "body.agent_version",
            "greater_than_equal",
        ),
        (
            json!({"name": "n", "agent_version": "2"}),
            "body.agent_version",
            "int_type",
        ),
        (
            json!({"name": "n", "agent_id": ""}),
            "body.agent_id",
            "string_too_short",
        ),
        (
            json!({"name": "n", "agent_id": "a".repeat(256)}),
            "body.agent_id",
            "string_too_long",
        ),
        (
            json!({"name": "n", "agent_number": "12"}),
            "body.agent_number",
            "value_error",
        ),
        (
            json!({"name": "n", "default_country_code": "GB", "agent_number": "(650) 253-0000"}),
            "body.agent_number",
            "value_error",
        ),
        (json!({}), "body.name", "missing"),
        (json!({"name": ""}), "body.name", "string_too_short"),
        (
            json!({"name": "n".repeat(201)}),
            "body.name",
            "string_too_long",
        ),
        (json!({"name": 7}), "body.name", "string_type"),
        (json!({"name": null}), "body.name", "string_type"),
        (
            json!({"name": "n", "overrides": null}),
            "body.overrides",
            "list_type",
        ),
        (
            json!({"name": "n", "default_windows": null}),
            "body.default_windows",
            "list_type",
        ),
        (
            json!({"name": "n", "max_attempts": null}),
            "body.max_attempts",
            "int_type",
        ),
        (
            json!({"name": "n", "default_timezone": null}),
            "body.default_timezone",
            "string_type",
        ),
        (
            json!({"name": "n", "default_country_code": null}),
            "body.default_country_code",
            "string_type",
        ),
        (json!([{"name": "n"}]), "body", "dict_type"),
        (json!("n"), "body", "dict_type"),
    ];
    for (body, loc, kind) in cases {
        refused(&server, &key, body, loc, kind).await;
    }

    // The nullable fields take null.
    let body = create(
        &server,
        &key,
        json!({"name": "n", "scheduled_windows": null, "scheduled_overrides": null,
               "agent_id": null, "agent_version": null, "agent_number": null}),
    )
    .await;
    assert_eq!(body["agent_number"], Value::Null);
}

#[tokio::test]
async fn every_problem_of_a_request_is_listed() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let (status, body) = server
        .call(
            Method::POST,
            PATH,
            Some(&key),
            Some(&json!({
                "name": "",
                "default_timezone": "Nowhere",
                "default_windows": [{"days": [], "start": "9", "end": "17:00"}],
                "max_attempts": 0,
                "retry_delay_minutes": "60",
                "default_country_code": "XX",
                "agent_version": 0,
            })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let mut found = problems(&body);
    found.sort();
    let mut expected: Vec<(String, String)> = [
        ("body.name", "string_too_short"),
        ("body.default_timezone", "value_error"),
        ("body.default_windows.0.days", "too_short"),
        ("body.default_windows.0.start", "value_error"),
        ("body.max_attempts", "greater_than_equal"),
        ("body.retry_delay_minutes", "int_type"),
        ("body.default_country_code", "value_error"),
        ("body.agent_version", "greater_than_equal"),
    ]
    .iter()
    .map(|(l, t)| (l.to_string(), t.to_string()))
    .collect();
    expected.sort();
    assert_eq!(found, expected, "{body}");
    let ge = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["loc"] == json!(["body", "max_attempts"]))
        .unwrap();
    assert_eq!(ge["ctx"], json!({"ge": 1}));
    assert_eq!(ge["input"], 0);

    // Nothing was stored.
    let (_, list) = server.call(Method::GET, PATH, Some(&key), None).await;
    assert_eq!(list["configurations"], json!([]));
}

#[tokio::test]
async fn malformed_json_is_json_invalid() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let created = create(&server, &key, json!({"name": "x"})).await;
    let id = created["id"].as_str().unwrap();
    for (method, path) in [
        (Method::POST, PATH.to_string()),
        (Method::PATCH, path_of(id)),
    ] {
        for raw in ["{\"name\": ", "not json", ""] {
            let response = server
                .request(method.clone(), &path)
                .bearer_auth(&key)
                .header("content-type", "application/json")
                .body(raw)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 422, "{method} {raw:?}");
            let body: Value = response.json().await.unwrap();
            let detail = body["detail"].as_array().unwrap();
            assert_eq!(detail.len(), 1, "{body}");
            assert_eq!(detail[0]["type"], "json_invalid");
            assert_eq!(detail[0]["loc"], json!(["body"]));
        }
    }
    // Any Content-Type is read as JSON.
    let response = server
        .request(Method::POST, PATH)
        .bearer_auth(&key)
        .header("content-type", "text/plain")
        .body(r#"{"name": "plain"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
}

#[tokio::test]
async fn patch_merges_into_the_stored_configuration() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let weekdays = json!([window(json!(["mon", "tue"]), "09:00", "17:00")]);
    let original = create(
        &server,
        &key,
        json!({
            "name": "Orig",
            "default_timezone": "Europe/London",
            "default_windows": weekdays,
            "overrides": [{"timezone": "UTC", "windows": weekdays}],
            "scheduled_windows": weekdays,
            "default_country_code": "GB",
            "max_attempts": 5,
            "agent_id": "a1",
            "agent_number": "+1 650 253 0000",
        }),
    )
    .await;
    let id = original["id"].as_str().unwrap().to_string();
    let path = path_of(&id);
    let patch = |body: Value| {
        let server = &server;
        let key = &key;
        let path = &path;
        async move {
            server
                .call(Method::PATCH, path, Some(key), Some(&body))
                .await
        }
    };

    // An identical PATCH (and an empty one) changes nothing, updated_at included.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (status, same) = patch(json!({"name": "Orig", "max_attempts": 5})).await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same, original);
    let (status, same) = patch(json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(same, original);
    // Re-sending the whole object as read is a no-op too.
    let (status, same) = patch(original.clone()).await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same, original);

    // One field changes, the others stay; updated_at moves.
    let (status, renamed) = patch(json!({"name": "Renamed"})).await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["name"], "Renamed");
    assert_ne!(renamed["updated_at"], original["updated_at"]);
    assert_eq!(renamed["created_at"], original["created_at"]);
    for field in [
        "id",
        "organization_id",
        "default_timezone",
        "default_windows",
        "overrides",
        "scheduled_windows",
        "scheduled_overrides",
        "default_country_code",
        "max_attempts",
        "retry_delay_minutes",
        "agent_id",
        "agent_version",
        "agent_number",
    ] {
        assert_eq!(renamed[field], original[field], "{field}");
    }

    // Lists are replaced whole.
    let weekend = json!([window(json!(["sat"]), "10:00", "12:00")]);
    let (status, replaced) = patch(json!({"default_windows": weekend, "overrides": []})).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["default_windows"], weekend);
    assert_eq!(replaced["overrides"], json!([]));
    assert_eq!(replaced["scheduled_windows"], weekdays);

    // null resets a nullable field.
    let (status, reset) = patch(json!({"scheduled_windows": null, "agent_id": null})).await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!(reset["scheduled_windows"], Value::Null);
    assert_eq!(reset["agent_id"], Value::Null);
    assert_eq!(reset["agent_number"], "+16502530000");

    // A number without '+' is read with the country sent in the same PATCH …
    let (status, numbered) =
        patch(json!({"default_country_code": "us", "agent_number": "201 555 0123"})).await;
    assert_eq!(status, 200, "{numbered}");
    assert_eq!(numbered["default_country_code"], "US");
    assert_eq!(numbered["agent_number"], "+12015550123");
    // … or with the stored one.
    let (status, numbered) = patch(json!({"agent_number": "(650) 253-0000"})).await;
    assert_eq!(status, 200, "{numbered}");
    assert_eq!(numbered["agent_number"], "+16502530000");
    // Changing the country keeps the stored (E.164) number.
    let (status, moved) = patch(json!({"default_country_code": "GB"})).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["agent_number"], "+16502530000");

    // An invalid merged result is refused and changes nothing.
    let before = server.call(Method::GET, &path, Some(&key), None).await.1;
    let (status, body) = patch(json!({"name": "", "max_attempts": 99})).await;
    assert_eq!(status, 422);
    let mut found = locs(&body);
    found.sort();
    assert_eq!(found, vec!["body.max_attempts", "body.name"]);
    let (status, body) = patch(json!({"overrides": null})).await;
    assert_eq!(status, 422);
    assert_eq!(
        problems(&body),
        vec![("body.overrides".into(), "list_type".into())]
    );
    let (status, body) = patch(json!({"max_attempts": "4"})).await;
    assert_eq!(status, 422);
    assert_eq!(
        problems(&body),
        vec![("body.max_attempts".into(), "int_type".into())]
    );
    let (status, body) = patch(json!([1])).await;
    assert_eq!(status, 422);
    assert_eq!(problems(&body), vec![("body".into(), "dict_type".into())]);
    let after = server.call(Method::GET, &path, Some(&key), None).await.1;
    assert_eq!(after, before);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let created = create(&server, &key, json!({"name": "x"})).await;
    let id = created["id"].as_str().unwrap();
    let not_found = json!({"detail": "Configuration not found"});
    let unknown = "0b6f2a52-8a2e-4f0b-b2b4-3d5f3b6f8c21".to_string();
    let compact = id.replace('-', "");
    for target in [unknown.as_str(), "not-a-uuid", "42", compact.as_str()] {
        let path = path_of(target);
        let (status, body) = server.call(Method::GET, &path, Some(&key), None).await;
        assert_eq!((status, &body), (404, &not_found), "GET {target}");
        let (status, body) = server
            .call(
                Method::PATCH,
                &path,
                Some(&key),
                Some(&json!({"name": "y"})),
            )
            .await;
        assert_eq!((status, &body), (404, &not_found), "PATCH {target}");
        let (status, body) = server.call(Method::DELETE, &path, Some(&key), None).await;
        assert_eq!((status, &body), (404, &not_found), "DELETE {target}");
    }
    // An upper-case spelling of a real id finds it.
    let (status, body) = server
        .call(Method::GET, &path_of(&id.to_uppercase()), Some(&key), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], id);
}

#[tokio::test]
async fn another_organisation_sees_nothing() {
    let server = TestServer::start().await;
    let key_a = server.key("org_a", Scopes::ALL);
    let key_b = server.key("org_b", Scopes::ALL);
    let created = create(&server, &key_a, json!({"name": "a's"})).await;
    let id = created["id"].as_str().unwrap();
    let path = path_of(id);
    let not_found = json!({"detail": "Configuration not found"});

    let (status, body) = server.call(Method::GET, &path, Some(&key_b), None).await;
    assert_eq!((status, body), (404, not_found.clone()));
    let (status, body) = server
        .call(
            Method::PATCH,
            &path,
            Some(&key_b),
            Some(&json!({"name": "b"})),
        )
        .await;
    assert_eq!((status, body), (404, not_found.clone()));
    // Even an invalid PATCH does not confirm the existence.
    let (status, _) = server
        .call(
            Method::PATCH,
            &path,
            Some(&key_b),
            Some(&json!({"name": ""})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = server.call(Method::DELETE, &path, Some(&key_b), None).await;
    assert_eq!((status, body), (404, not_found));
    let (status, body) = server.call(Method::GET, PATH, Some(&key_b), None).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"configurations": [], "next_cursor": null}));

    // org_a's configuration is untouched.
    let (status, body) = server.call(Method::GET, &path, Some(&key_a), None).await;
    assert_eq!(status, 200);
    assert_eq!(body, created);
}

#[tokio::test]
async fn list_is_newest_first_and_paged() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let mut ids = Vec::new();
    for i in 0..5 {
        let body = create(&server, &key, json!({"name": format!("c{i}")})).await;
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();

    let (status, all) = server.call(Method::GET, PATH, Some(&key), None).await;
    assert_eq!(status, 200);
    let listed: Vec<String> = all["configurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, newest_first);
    assert_eq!(all["next_cursor"], Value::Null);
    assert_eq!(all["configurations"][0]["name"], "c4");

    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("{PATH}?limit=2&cursor={c}"),
            None => format!("{PATH}?limit=2"),
        };
        let (status, page) = server.call(Method::GET, &path, Some(&key), None).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let items = page["configurations"].as_array().unwrap();
        assert!(items.len() <= 2);
        paged.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_string()));
        match &page["next_cursor"] {
            Value::Null => break,
            Value::String(next) => cursor = Some(next.clone()),
            other => panic!("next_cursor {other}"),
        }
        assert!(pages < 10);
    }
    assert_eq!(pages, 3);
    assert_eq!(paged, newest_first);

    for (query, loc, kind) in [
        ("limit=0", "query.limit", "greater_than_equal"),
        ("limit=201", "query.limit", "less_than_equal"),
        ("limit=two", "query.limit", "int_type"),
        ("cursor=garbage", "query.cursor", "value_error"),
    ] {
        let (status, body) = server
            .call(Method::GET, &format!("{PATH}?{query}"), Some(&key), None)
            .await;
        assert_eq!(status, 422, "{query} → {body}");
        assert_eq!(
            problems(&body),
            vec![(loc.to_string(), kind.to_string())],
            "{query}"
        );
    }
    let (status, body) = server
        .call(Method::GET, &format!("{PATH}?limit=200"), Some(&key), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["configurations"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn delete_then_get_is_not_found() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let created = create(&server, &key, json!({"name": "gone"})).await;
    let path = path_of(created["id"].as_str().unwrap());
    let response = server
        .request(Method::DELETE, &path)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    let (status, body) = server.call(Method::GET, &path, Some(&key), None).await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "Configuration not found"}))
    );
    let (status, _) = server.call(Method::DELETE, &path, Some(&key), None).await;
    assert_eq!(status, 404);
    let (_, list) = server.call(Method::GET, PATH, Some(&key), None).await;
    assert_eq!(list["configurations"], json!([]));
}

#[tokio::test]
async fn a_read_only_key_cannot_change_configurations() {
    let server = TestServer::start().await;
    let manage = server.key("org_a", Scopes::ALL);
    let read = server.key(
        "org_a",
        Scopes::parse_list("campaigns:read").expect("a scope list"),
    );
    let created = create(&server, &manage, json!({"name": "x"})).await;
    let path = path_of(created["id"].as_str().unwrap());
    let (status, _) = server.call(Method::GET, &path, Some(&read), None).await;
    assert_eq!(status, 200);
    let (status, _) = server
        .call(Method::POST, PATH, Some(&read), Some(&json!({"name": "y"})))
        .await;
    assert_eq!(status, 403);
    let (status, _) = server
        .call(
            Method::PATCH,
            &path,
            Some(&read),
            Some(&json!({"name": "y"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = server.call(Method::DELETE, &path, Some(&read), None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn timezones_are_a_sorted_list() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let (status, body) = server
        .call(Method::GET, "/campaign/timezones", Some(&key), None)
        .await;
    assert_eq!(status, 200);
    let names: Vec<&str> = body
        .as_array()
        .expect("an array")
        .iter()
        .map(|n| n.as_str().expect("a string"))
        .collect();
    for wanted in ["UTC", "America/New_York", "US/Eastern", "Europe/London"] {
        assert!(names.contains(&wanted), "{wanted}");
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted, "sorted by code point, no repeats");

    // Every listed name is accepted as a configuration's timezone (a sample).
    for name in names.iter().step_by(names.len() / 10 + 1) {
        create(
            &server,
            &key,
            json!({"name": "tz", "default_timezone": name}),
        )
        .await;
    }
    let (status, _) = server
        .call(Method::GET, "/campaign/timezones", None, None)
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn concurrency_settings_default_bounds_and_isolation() {
    let server = TestServer::start().await;
    let key_a = server.key("org_a", Scopes::ALL);
    let key_b = server.key("org_b", Scopes::ALL);
    let path = "/campaign/concurrency-settings";
    let get = |key: &str| {
        let key = key.to_string();
        let server = &server;
        async move { server.call(Method::GET, path, Some(&key), None).await }
    };

    assert_eq!(
        get(&key_a).await,
        (
            200,
            json!({"organization_id": "org_a", "concurrency_limit": 10})
        )
    );

    for (value, kind) in [
        (json!(0), "greater_than_equal"),
        (json!(10001), "less_than_equal"),
        (json!("50"), "int_type"),
        (json!(5.5), "int_type"),
        (Value::Null, "int_type"),
    ] {
        let (status, body) = server
            .call(
                Method::PUT,
                path,
                Some(&key_a),
                Some(&json!({"concurrency_limit": value})),
            )
            .await;
        assert_eq!(status, 422, "{value}");
        assert_eq!(
            problems(&body),
            vec![("body.concurrency_limit".to_string(), kind.to_string())],
            "{value}"
        );
    }
    let (status, body) = server
        .call(Method::PUT, path, Some(&key_a), Some(&json!({})))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        problems(&body),
        vec![("body.concurrency_limit".into(), "missing".into())]
    );
    assert_eq!(get(&key_a).await.1["concurrency_limit"], 10);

    for limit in [1, 10000, 250] {
        let (status, body) = server
            .call(
                Method::PUT,
                path,
                Some(&key_a),
                Some(&json!({"concurrency_limit": limit})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body,
            json!({"organization_id": "org_a", "concurrency_limit": limit})
        );
        assert_eq!(get(&key_a).await.1["concurrency_limit"], limit);
    }
    // org_b's value is its own.
    assert_eq!(
        get(&key_b).await,
        (
            200,
            json!({"organization_id": "org_b", "concurrency_limit": 10})
        )
    );
    let (status, _) = server
        .call(
            Method::PUT,
            path,
            Some(&key_b),
            Some(&json!({"concurrency_limit": 7})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(get(&key_b).await.1["concurrency_limit"], 7);
    assert_eq!(get(&key_a).await.1["concurrency_limit"], 250);
}
