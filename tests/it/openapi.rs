//! The OpenAPI document (docs/api.md §6) against the real router: every operation there is in it
//! once, and every path and method it lists is exactly what the server routes (405 + `Allow`
//! elsewhere), so the document and the router cannot drift apart silently. HEAD is not in the
//! document (FastAPI does not list it either): it is answered wherever GET is, and `Allow` says so.

use crate::common::TestServer;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

const SPEC_OPERATIONS: [&str; 22] = [
    "report_attempt_result",
    "create_campaign",
    "list_campaigns",
    "get_campaign",
    "update_campaign",
    "start_campaign",
    "pause_campaign",
    "close_campaign",
    "upsert_contacts",
    "list_contacts",
    "get_contact",
    "delete_contact",
    "get_campaign_stats",
    "create_configuration",
    "list_configurations",
    "get_configuration",
    "update_configuration",
    "delete_configuration",
    "list_timezones",
    "get_concurrency_settings",
    "update_concurrency_settings",
    "import_contacts_csv",
];

const METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

async fn document(server: &TestServer) -> Value {
    let (status, doc) = server
        .call(Method::GET, "/campaign/openapi.json", None, None)
        .await;
    assert_eq!(status, 200, "{doc}");
    doc
}

/// `(path template, method in upper case, operation)` for every operation of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            all.push((path.clone(), method.to_uppercase(), op.clone()));
        }
    }
    all
}

#[tokio::test]
async fn the_document_is_public_and_names_every_spec_operation_once() {
    let server = TestServer::start().await;
    let response = server
        .request(Method::GET, "/campaign/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");

    let ops = operations(&doc);
    let ids: Vec<&str> = ops
        .iter()
        .map(|(_, _, op)| op["operationId"].as_str().expect("an operationId"))
        .collect();
    for id in SPEC_OPERATIONS
        .iter()
        .chain(&["healthz", "get_metrics", "twilio_status_callback"])
    {
        let n = ids.iter().filter(|found| *found == id).count();
        assert_eq!(n, 1, "operationId {id} appears {n} times");
    }
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate operationIds: {ids:?}");

    // The credential rules of docs/api.md §2, per operation.
    for (path, method, op) in &ops {
        // Twilio's status callbacks carry no bearer credential: their signature authenticates them.
        let public = path == "/healthz"
            || path == "/metrics"
            || path == "/campaign/openapi.json"
            || path == "/campaign/twilio/status";
        let expected = if public {
            serde_json::json!([])
        } else {
            serde_json::json!([{"bearerAuth": []}])
        };
        assert_eq!(op["security"], expected, "{method} {path}");
        let description = op["description"].as_str().unwrap_or_default();
        assert!(description.starts_with("Scopes: "), "{method} {path}");
        let statuses: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
        assert_eq!(
            statuses.iter().any(|s| *s == "401"),
            !public,
            "{method} {path}: 401 documented exactly when a credential is needed"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"],
        serde_json::json!({
            "type": "http",
            "scheme": "bearer",
            "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
        })
    );
}

/// Every `enum` of the document, wherever it stands.
fn enums(value: &Value, found: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(names)) = map.get("enum") {
                found.push(
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect(),
                );
            }
            map.values().for_each(|v| enums(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| enums(v, found)),
        _ => {}
    }
}

/// Client generators turn enum values into identifiers: different values must stay different
/// when only their letters and digits are kept (`Etc/GMT+0` and `Etc/GMT0` would not), and every
/// operation has one of the resource tags, so that generated clients and `/docs` group them.
#[tokio::test]
async fn the_document_reads_cleanly_in_client_generators() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let mut found = Vec::new();
    enums(&doc, &mut found);
    assert!(found.len() > 5, "{found:?}");
    for names in found {
        let mut seen = BTreeSet::new();
        for name in &names {
            let identifier: String = name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_uppercase();
            assert!(
                seen.insert(identifier.clone()),
                "{name} collides as {identifier} in {names:?}"
            );
        }
    }
    assert!(doc["components"]["schemas"]["Timezone"]["enum"].is_null());

    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        BTreeSet::from([
            "campaigns",
            "contacts",
            "configurations",
            "settings",
            "dialing",
            "operations"
        ])
    );
    for (path, method, op) in operations(&doc) {
        let tagged = op["tags"].as_array().unwrap();
        assert_eq!(tagged.len(), 1, "{method} {path}");
        assert!(
            tags.contains(tagged[0].as_str().unwrap()),
            "{method} {path}: {tagged:?}"
        );
    }
    let tag = |path: &str, method: &str| doc["paths"][path][method]["tags"][0].clone();
    assert_eq!(tag("/campaign/campaigns/{id}/stats", "get"), "campaigns");
    assert_eq!(
        tag("/campaign/campaigns/{id}/contacts/{contact_id}", "get"),
        "contacts"
    );
    assert_eq!(tag("/campaign/concurrency-settings", "put"), "settings");
    assert_eq!(tag("/healthz", "get"), "operations");
}

/// A concrete path for a template: each `{param}` gets a sample value.
fn sample(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{config_id}" => "0b6f2a52-8a2e-4f0b-b2b4-3d5f3b6f8c21",
            "{id}" => "sample-campaign",
            "{contact_id}" => "sample-contact",
            "{attempt_id}" => "0190a000-0000-7000-8000-000000000000",
            s if s.starts_with('{') => panic!("no sample value for {s} in {template}"),
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a concrete path matches a template (a parameter matches any one segment).
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

#[tokio::test]
async fn every_documented_path_answers_exactly_the_documented_methods() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let ops = operations(&doc);
    let templates: BTreeSet<&String> = ops.iter().map(|(path, _, _)| path).collect();

    for template in templates {
        let path = sample(template);
        // A concrete path may match several templates (`…/contacts/import` is also a contact
        // whose external_id is `import`): it answers the methods of all of them.
        let mut documented: BTreeSet<&str> = ops
            .iter()
            .filter(|(t, _, _)| matches(t, &path))
            .map(|(_, method, _)| method.as_str())
            .collect();
        if documented.contains("GET") {
            documented.insert("HEAD");
        }
        for method in METHODS {
            let response = server
                .request(Method::from_bytes(method.as_bytes()).unwrap(), &path)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let allow = response
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = response.json().await.unwrap_or(Value::Null);
            if documented.contains(method) {
                assert_ne!(status, 405, "{method} {path} is documented: {body}");
                assert!(
                    !(status == 404 && body["detail"] == "Not Found"),
                    "{method} {path} is documented but not routed"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is not documented: {body}");
                if method != "HEAD" {
                    assert_eq!(body["detail"], "Method Not Allowed");
                }
                let allowed: BTreeSet<&str> = allow
                    .as_deref()
                    .expect("a 405 carries Allow")
                    .split(',')
                    .map(str::trim)
                    .collect();
                assert_eq!(allowed, documented, "Allow of {path}");
            }
        }
        // A trailing slash makes another path, which no route has.
        let (status, body) = server
            .call(Method::GET, &format!("{path}/"), None, None)
            .await;
        assert_eq!((status, &body["detail"]), (404, &Value::from("Not Found")));
    }
}

#[tokio::test]
async fn documented_operations_without_a_credential_answer_401_with_bearer() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    for (template, method, op) in operations(&doc) {
        if op["security"] == serde_json::json!([]) {
            continue;
        }
        let response = server
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                &sample(&template),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{method} {template}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
}

/// HEAD answers every GET route exactly as GET does (status and headers, with or without a
/// credential, found or not), with no body.
#[tokio::test]
async fn head_is_get_without_the_body_on_every_get_route() {
    let server = TestServer::start().await;
    let key = server.key("org_a", campaignd::domain::scope::Scopes::ALL);
    let config = serde_json::json!({"name": "c", "default_country_code": "US"});
    let (_, config) = server
        .call(
            Method::POST,
            "/campaign/configurations",
            Some(&key),
            Some(&config),
        )
        .await;
    let campaign = serde_json::json!({"name": "c", "configuration_id": config["id"], "external_id": "sample-campaign"});
    let (status, _) = server
        .call(
            Method::POST,
            "/campaign/campaigns",
            Some(&key),
            Some(&campaign),
        )
        .await;
    assert_eq!(status, 201);
    let contact = serde_json::json!({"contacts": [{"external_id": "sample-contact", "phone_numbers": ["+16502530000"]}]});
    let (status, _) = server
        .call(
            Method::POST,
            "/campaign/campaigns/sample-campaign/contacts",
            Some(&key),
            Some(&contact),
        )
        .await;
    assert_eq!(status, 200);

    let doc = document(&server).await;
    let mut paths: Vec<String> = operations(&doc)
        .into_iter()
        .filter(|(_, method, _)| method == "GET")
        // /metrics counts this very request: its length changes from the GET to the HEAD.
        .filter(|(template, _, _)| template != "/metrics")
        .map(|(template, _, _)| sample(&template))
        .collect();
    paths.extend(
        [
            "/",
            "/admin",
            "/admin/",
            "/campaign/campaigns/nope",
            "/campaign/configurations?limit=x",
        ]
        .map(String::from),
    );
    paths.push(format!(
        "/campaign/configurations/{}",
        config["id"].as_str().unwrap()
    ));
    let mut statuses = BTreeSet::new();
    for path in &paths {
        for credential in [Some(&key), None] {
            let send = |method: Method| {
                let request = server.request(method, path);
                match credential {
                    Some(key) => request.bearer_auth(key),
                    None => request,
                }
                .send()
            };
            let get = send(Method::GET).await.unwrap();
            let head = send(Method::HEAD).await.unwrap();
            let what = format!(
                "{path} with{} a credential",
                if credential.is_some() { "" } else { "out" }
            );
            assert_eq!(head.status(), get.status(), "{what}");
            statuses.insert(get.status().as_u16());
            let without_date = |headers: &reqwest::header::HeaderMap| {
                let mut headers = headers.clone();
                headers.remove("date");
                format!("{headers:?}")
            };
            assert_eq!(
                without_date(head.headers()),
                without_date(get.headers()),
                "{what}"
            );
            assert!(
                head.bytes().await.unwrap().is_empty(),
                "{what}: HEAD has no body"
            );
            assert!(
                !get.bytes().await.unwrap().is_empty(),
                "{what}: GET has one"
            );
        }
    }
    // The comparison covered answers of every kind.
    for status in [200, 401, 404, 422] {
        assert!(statuses.contains(&status), "no {status} among {statuses:?}");
    }
}
