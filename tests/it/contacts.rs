//! docs/api.md §4.3, §5.2, §5.3: contact upsert, list, get, delete, ad-hoc contacts and stats.

use crate::common::{TestServer, locs};
use campaignd::domain::scope::Scopes;
use reqwest::Method;
use serde_json::{Value, json};

/// A configuration with `country` and a campaign using it; returns the campaign id.
async fn campaign(server: &TestServer, key: &str, country: &str, external_id: &str) -> String {
    let config = json!({"name": "c", "default_country_code": country, "default_timezone": "America/New_York"});
    let (status, config) = server
        .call(
            Method::POST,
            "/campaign/configurations",
            Some(key),
            Some(&config),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let body = json!({"name": "Q4", "configuration_id": config["id"], "external_id": external_id});
    let (status, campaign) = server
        .call(Method::POST, "/campaign/campaigns", Some(key), Some(&body))
        .await;
    assert_eq!(status, 201, "{campaign}");
    campaign["id"].as_str().unwrap().to_string()
}

fn contacts(items: Vec<Value>) -> Value {
    json!({ "contacts": items })
}

/// A valid US number, different for each `n` (650-253-xxxx is a valid Google range).
fn us_number(n: usize) -> String {
    format!("650 253 {:04}", n % 10_000)
}

async fn upsert(server: &TestServer, key: &str, campaign: &str, body: &Value) -> (u16, Value) {
    server
        .call(
            Method::POST,
            &format!("/campaign/campaigns/{campaign}/contacts"),
            Some(key),
            Some(body),
        )
        .await
}

/// Adds one contact with `external_id` and a valid number; returns its id.
async fn add_contact(server: &TestServer, key: &str, campaign: &str, external_id: &str) -> String {
    let item = json!({"external_id": external_id, "phone_numbers": ["+16502530000"]});
    let (status, body) = upsert(server, key, campaign, &contacts(vec![item])).await;
    assert_eq!(status, 200, "{body}");
    body["contact_ids"][0].as_str().unwrap().to_string()
}

async fn list(server: &TestServer, key: &str, campaign: &str, query: &str) -> Value {
    let (status, body) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/{campaign}/contacts?{query}"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_thousand_contacts_are_accepted_and_one_more_is_refused() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;

    let items: Vec<Value> = (0..1000)
        .map(|n| json!({"external_id": format!("crm-{n}"), "phone_numbers": [us_number(n)]}))
        .collect();
    let (status, body) = upsert(&server, &key, &id, &contacts(items.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["inserted"].as_u64(), body["updated"].as_u64()),
        (Some(1000), Some(0))
    );
    assert_eq!(body["contact_ids"].as_array().unwrap().len(), 1000);

    // The same thousand again, named by id and external_id (lookups of more than one chunk):
    // each one found and updated, none inserted.
    let ids = body["contact_ids"].clone();
    let again: Vec<Value> = (0..1000)
        .map(|n| json!({"id": ids[n], "external_id": format!("crm-{n}"), "data": {"n": n}}))
        .collect();
    let (status, body) = upsert(&server, &key, &id, &contacts(again)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["inserted"].as_u64(), body["updated"].as_u64()),
        (Some(0), Some(1000))
    );
    assert_eq!(body["contact_ids"], ids);

    let mut too_many = items;
    too_many.push(json!({"phone_numbers": ["+16502530000"]}));
    let (status, body) = upsert(&server, &key, &id, &contacts(too_many)).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["type"], "too_long");
    assert_eq!(locs(&body), ["body.contacts"]);

    let (status, body) = upsert(&server, &key, &id, &contacts(vec![])).await;
    assert_eq!(
        (status, body["detail"][0]["type"].as_str()),
        (422, Some("too_short"))
    );
    assert_eq!(list(&server, &key, &id, "limit=1").await["total"], 1000);
}

#[tokio::test]
async fn one_bad_number_among_500_writes_nothing_and_is_named() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    let mut items: Vec<Value> = (0..500)
        .map(|n| json!({"phone_numbers": [us_number(n)]}))
        .collect();
    items[3] = json!({"phone_numbers": ["+16502530000", "12"]});
    items[321] = json!({"phone_numbers": ["555-0100"]});
    let (status, body) = upsert(&server, &key, &id, &contacts(items)).await;
    assert_eq!(status, 422);
    assert_eq!(
        locs(&body),
        [
            "body.contacts.3.phone_numbers.1",
            "body.contacts.321.phone_numbers.0"
        ]
    );
    assert_eq!(
        body["detail"][0]["msg"],
        "'12' is not a valid phone number for region US: too short"
    );
    assert_eq!(body["detail"][0]["input"], "12");
    assert_eq!(list(&server, &key, &id, "").await["total"], 0);
}

#[tokio::test]
async fn numbers_are_normalised_with_the_configuration_region_and_deduplicated() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let gb = campaign(&server, &key, "gb", "uk").await;
    let item = json!({"phone_numbers": ["020 7031 3000", "+44 20 7031 3000", "+1 650-253-0000"]});
    let (status, body) = upsert(&server, &key, &gb, &contacts(vec![item])).await;
    assert_eq!(status, 200, "{body}");
    let contact_id = body["contact_ids"][0].as_str().unwrap();
    let (_, contact) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/uk/contacts/{contact_id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        contact["phone_numbers"],
        json!(["+442070313000", "+16502530000"])
    );
    assert_eq!(contact["data"], json!({}));
    assert_eq!(contact["status"], "pending");
    assert_eq!(contact["attempts"], json!([]));
}

#[tokio::test]
async fn updates_by_id_and_external_id_keep_absent_fields() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    let first = json!({"external_id": "crm-1", "phone_numbers": ["650 253 0000"], "data": {"b": 1.50, "a": [1e3]},
        "timezone": "America/Los_Angeles", "agent_id": "agent-7", "initial_context": "hello"});
    let (status, body) = upsert(&server, &key, &id, &contacts(vec![first])).await;
    assert_eq!(status, 200, "{body}");
    let contact_id = body["contact_ids"][0].as_str().unwrap().to_string();
    let path = format!("/campaign/campaigns/{id}/contacts/{contact_id}");
    let (_, before) = server.call(Method::GET, &path, Some(&key), None).await;

    // Identical item: counted as updated, nothing changes (updated_at included).
    let same = json!({"external_id": "crm-1", "phone_numbers": ["+16502530000"]});
    let (_, body) = upsert(&server, &key, &id, &contacts(vec![same])).await;
    assert_eq!(
        body,
        json!({"inserted": 0, "updated": 1, "contact_ids": [contact_id]})
    );
    let (_, after) = server.call(Method::GET, &path, Some(&key), None).await;
    assert_eq!(after, before);

    // By external_id: data replaced whole, an explicit null clears, absent fields stay.
    let by_external = json!({"external_id": "crm-1", "data": {"plan": "pro"}, "agent_id": null});
    upsert(&server, &key, &id, &contacts(vec![by_external])).await;
    // By id: new numbers.
    let by_id = json!({"id": contact_id, "phone_numbers": ["+16502530001"]});
    let (_, body) = upsert(&server, &key, &id, &contacts(vec![by_id])).await;
    assert_eq!(body["updated"], 1);
    let (_, contact) = server.call(Method::GET, &path, Some(&key), None).await;
    assert_eq!(contact["data"], json!({"plan": "pro"}));
    assert_eq!(contact["agent_id"], Value::Null);
    assert_eq!(contact["timezone"], "America/Los_Angeles");
    assert_eq!(contact["initial_context"], "hello");
    assert_eq!(contact["phone_numbers"], json!(["+16502530001"]));
    assert_ne!(contact["updated_at"], before["updated_at"]);
    // Also reachable by external_id.
    let (status, by_ext) = server
        .call(
            Method::GET,
            "/campaign/campaigns/q4/contacts/crm-1",
            Some(&key),
            None,
        )
        .await;
    assert_eq!((status, &by_ext["id"]), (200, &json!(contact_id)));
}

#[tokio::test]
async fn data_comes_back_exactly_as_sent() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    let raw = r#"{"contacts": [{"phone_numbers": ["+16502530000"], "data": {"zeta": 1.50, "alpha": [1e3, 12345678901234567890], "nested": {"b": true}}}]}"#;
    let response = server
        .request(Method::POST, &format!("/campaign/campaigns/{id}/contacts"))
        .bearer_auth(&key)
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = server
        .request(Method::GET, &format!("/campaign/campaigns/{id}/contacts"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#""data":{"zeta":1.50,"alpha":[1e3,12345678901234567890],"nested":{"b":true}}"#
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_repeated_external_id_inserts_once_then_updates() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    let items = vec![
        json!({"external_id": "x", "phone_numbers": ["+16502530000"], "data": {"n": 1}}),
        json!({"external_id": "x", "data": {"n": 2}}),
    ];
    let (status, body) = upsert(&server, &key, &id, &contacts(items)).await;
    assert_eq!(
        (status, &body["inserted"], &body["updated"]),
        (200, &json!(1), &json!(1))
    );
    assert_eq!(body["contact_ids"][0], body["contact_ids"][1]);
    let listed = list(&server, &key, &id, "").await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["contacts"][0]["data"], json!({"n": 2}));
}

#[tokio::test]
async fn inserts_need_numbers_and_conflicts_are_409() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let one = campaign(&server, &key, "US", "one").await;
    let two = campaign(&server, &key, "US", "two").await;
    let a_id = add_contact(&server, &key, &one, "a").await;

    let (status, body) = upsert(
        &server,
        &key,
        &one,
        &contacts(vec![json!({"external_id": "new"})]),
    )
    .await;
    assert_eq!(
        (status, locs(&body)),
        (422, vec!["body.contacts.0.phone_numbers".to_string()])
    );
    assert_eq!(body["detail"][0]["type"], "missing");

    let (status, body) = upsert(
        &server,
        &key,
        &two,
        &contacts(vec![json!({"id": a_id, "phone_numbers": ["+16502530000"]})]),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            409,
            json!({"detail": format!("Contact id {a_id} is already in use")})
        )
    );

    let other = "0193a000-0000-7000-8000-000000000001";
    let (status, body) = upsert(
        &server,
        &key,
        &one,
        &contacts(vec![json!({"id": other, "external_id": "a"})]),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            409,
            json!({"detail": format!("Contact id {other} does not match external_id 'a'")})
        )
    );

    // A client-chosen id inserts with that id; the same id in another organisation is no conflict.
    let key_b = server.key("org_b", Scopes::ALL);
    let b_campaign = campaign(&server, &key_b, "US", "one").await;
    let (status, body) = upsert(
        &server,
        &key_b,
        &b_campaign,
        &contacts(vec![json!({"id": a_id, "phone_numbers": ["+16502530000"]})]),
    )
    .await;
    assert_eq!((status, &body["contact_ids"][0]), (200, &json!(a_id)));
    assert_eq!(list(&server, &key, &one, "").await["total"], 1);
}

#[tokio::test]
async fn item_validation_names_every_bad_field() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    let items = vec![
        json!({"phone_numbers": "+16502530000"}),
        json!({"phone_numbers": [], "external_id": ".."}),
        json!({"phone_numbers": ["+16502530000"], "timezone": "Mars/Base", "data": [1], "agent_version": 0, "id": "nope"}),
        json!({"phone_numbers": ["+16502530000"], "scheduled_at": "tomorrow", "status": "completed", "data": null}),
        json!(7),
    ];
    let (status, body) = upsert(&server, &key, &id, &contacts(items)).await;
    assert_eq!(status, 422);
    assert_eq!(
        locs(&body),
        [
            "body.contacts.0.phone_numbers",
            "body.contacts.1.external_id",
            "body.contacts.1.phone_numbers",
            "body.contacts.2.id",
            "body.contacts.2.data",
            "body.contacts.2.timezone",
            "body.contacts.2.agent_version",
            "body.contacts.3.data",
            "body.contacts.3.scheduled_at",
            "body.contacts",
        ]
        .map(|l| if l == "body.contacts" {
            "body.contacts.4".to_string()
        } else {
            l.to_string()
        })
    );
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/campaign/campaigns/{id}/contacts"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        (status, body["detail"][0]["type"].as_str()),
        (422, Some("json_invalid"))
    );
}

#[tokio::test]
async fn scheduled_at_is_read_in_the_contacts_timezone_and_returned_in_utc() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    let items = vec![
        json!({"external_id": "la", "phone_numbers": ["+16502530000"], "timezone": "America/Los_Angeles", "scheduled_at": "2026-12-01T09:00"}),
        json!({"external_id": "ny", "phone_numbers": ["+16502530000"], "scheduled_at": "2026-12-01 09:00:00"}),
        json!({"external_id": "utc", "phone_numbers": ["+16502530000"], "scheduled_at": "2026-12-01T09:00:00.123456+02:00"}),
    ];
    let (status, _) = upsert(&server, &key, &id, &contacts(items)).await;
    assert_eq!(status, 200);
    let listed = list(&server, &key, &id, "").await;
    let at: Vec<&str> = listed["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["scheduled_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        at,
        [
            "2026-12-01T17:00:00.000Z",
            "2026-12-01T14:00:00.000Z",
            "2026-12-01T07:00:00.123Z"
        ]
    );
    assert_eq!(
        listed["contacts"][0]["next_attempt_at"],
        "2026-12-01T17:00:00.000Z"
    );
}

/// What libphonenumber accepts is accepted (Russian 8-800, extensions, other scripts' digits),
/// and each refusal names its real problem.
#[tokio::test]
async fn ad_hoc_numbers_are_read_as_libphonenumber_reads_them() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let path = "/campaign/campaigns/default/contacts";
    let body = contacts(vec![json!({"external_id": "ru", "phone_numbers": [
        "+7 800 123-45-67", "+1 650-253-0000 ext. 12", "＋４４ ２０ ７０３１ ３０００"
    ]})]);
    let (status, answer) = server
        .call(Method::POST, path, Some(&key), Some(&body))
        .await;
    assert_eq!(status, 200, "{answer}");
    let (_, contact) = server
        .call(Method::GET, &format!("{path}/ru"), Some(&key), None)
        .await;
    assert_eq!(
        contact["phone_numbers"],
        json!(["+78001234567", "+16502530000", "+442070313000"])
    );

    let refused = [
        (
            "650 253 0000",
            "'650 253 0000' is not a valid phone number: it must start with '+' and its country code (there is no region to read it in)",
        ),
        (
            "+7 800 123-45",
            "'+7 800 123-45' is not a valid phone number for +7 (RU): too short",
        ),
        (
            "+999 123 456",
            "'+999 123 456' is not a valid phone number: unknown country calling code",
        ),
        (
            "+1 201 055 0100",
            "'+1 201 055 0100' is not a valid phone number for +1 (US)",
        ),
        ("n/a", "'n/a' is not a phone number"),
    ];
    for (raw, msg) in refused {
        let body = contacts(vec![json!({"phone_numbers": [raw]})]);
        let (status, answer) = server
            .call(Method::POST, path, Some(&key), Some(&body))
            .await;
        assert_eq!(status, 422, "{raw}: {answer}");
        assert_eq!(answer["detail"][0]["msg"], msg, "{raw}");
        assert_eq!(answer["detail"][0]["input"], raw);
    }
    let (_, listed) = server.call(Method::GET, path, Some(&key), None).await;
    assert_eq!(listed["total"], 1, "nothing refused was written");
}

#[tokio::test]
async fn ad_hoc_contacts_live_in_the_default_pseudo_campaign() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let path = "/campaign/campaigns/default/contacts";
    let body = contacts(vec![
        json!({"external_id": "solo", "phone_numbers": ["+442070313000"]}),
    ]);
    let (status, answer) = server
        .call(Method::POST, path, Some(&key), Some(&body))
        .await;
    assert_eq!(status, 200, "{answer}");
    // No region: a national number is refused.
    let national = contacts(vec![json!({"phone_numbers": ["650 253 0000"]})]);
    let (status, answer) = server
        .call(Method::POST, path, Some(&key), Some(&national))
        .await;
    assert_eq!(
        (status, locs(&answer)),
        (422, vec!["body.contacts.0.phone_numbers.0".to_string()])
    );
    let (_, listed) = server.call(Method::GET, path, Some(&key), None).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["contacts"][0]["campaign_id"], Value::Null);
    let (status, _) = server
        .call(
            Method::GET,
            "/campaign/campaigns/default/contacts/solo",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // A contact may take `default` as its external_id (only campaigns may not).
    let named = contacts(vec![
        json!({"external_id": "default", "phone_numbers": ["+16502530000"]}),
    ]);
    assert_eq!(
        server
            .call(Method::POST, path, Some(&key), Some(&named))
            .await
            .0,
        200
    );
    let (status, _) = server
        .call(
            Method::GET,
            "/campaign/campaigns/default/contacts/default",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // `default` is not a campaign anywhere else.
    let (status, body) = server
        .call(
            Method::GET,
            "/campaign/campaigns/default/stats",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "Campaign not found"}))
    );
    // Another organisation's ad-hoc contacts are its own.
    let key_b = server.key("org_b", Scopes::ALL);
    let (_, listed) = server.call(Method::GET, path, Some(&key_b), None).await;
    assert_eq!(listed["total"], 0);
}

#[tokio::test]
async fn paused_campaigns_take_contacts_and_closed_ones_do_not() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    let item = contacts(vec![json!({"phone_numbers": ["+16502530000"]})]);
    server
        .call(
            Method::POST,
            &format!("/campaign/campaigns/{id}/pause"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(upsert(&server, &key, &id, &item).await.0, 200);
    server
        .call(
            Method::POST,
            &format!("/campaign/campaigns/{id}/close"),
            Some(&key),
            None,
        )
        .await;
    let (status, body) = upsert(&server, &key, &id, &item).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"detail": "Cannot add contacts to a closed campaign"})
        )
    );
    // Erasure still works on a closed campaign.
    let listed = list(&server, &key, &id, "").await;
    let contact = listed["contacts"][0]["id"].as_str().unwrap();
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("/campaign/campaigns/{id}/contacts/{contact}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(list(&server, &key, &id, "").await["total"], 0);
}

#[tokio::test]
async fn another_organisations_contacts_are_404_on_every_route() {
    let server = TestServer::start().await;
    let key_a = server.key("org_a", Scopes::ALL);
    let key_b = server.key("org_b", Scopes::ALL);
    let id = campaign(&server, &key_a, "US", "q4").await;
    let contact = &add_contact(&server, &key_a, &id, "x").await;
    let item = contacts(vec![json!({"phone_numbers": ["+16502530000"]})]);
    for (method, path, body) in [
        (
            Method::POST,
            format!("/campaign/campaigns/{id}/contacts"),
            Some(&item),
        ),
        (
            Method::GET,
            format!("/campaign/campaigns/{id}/contacts"),
            None,
        ),
        (
            Method::GET,
            format!("/campaign/campaigns/{id}/contacts/{contact}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/campaign/campaigns/{id}/contacts/{contact}"),
            None,
        ),
        (Method::GET, format!("/campaign/campaigns/{id}/stats"), None),
    ] {
        let (status, answer) = server.call(method.clone(), &path, Some(&key_b), body).await;
        assert_eq!(
            (status, answer),
            (404, json!({"detail": "Campaign not found"})),
            "{method} {path}"
        );
    }
    // Through org B's own ad-hoc scope, org A's contact is not found either.
    let (status, answer) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/default/contacts/{contact}"),
            Some(&key_b),
            None,
        )
        .await;
    assert_eq!(
        (status, answer),
        (404, json!({"detail": "Contact not found"}))
    );
    assert_eq!(list(&server, &key_a, &id, "").await["total"], 1);
}

#[tokio::test]
async fn lists_page_by_offset_and_after_with_status_filters() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    let items: Vec<Value> = (0..25)
        .map(|n| json!({"external_id": format!("c{n}"), "phone_numbers": [us_number(n)]}))
        .collect();
    upsert(&server, &key, &id, &contacts(items)).await;

    let page = list(&server, &key, &id, "limit=10&offset=20").await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["limit"].as_i64(),
            page["offset"].as_i64()
        ),
        (Some(25), Some(10), Some(20))
    );
    let names: Vec<&str> = page["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c20", "c21", "c22", "c23", "c24"]);
    assert_eq!(
        list(&server, &key, &id, "offset=100").await["contacts"],
        json!([])
    );

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let query = after
            .as_ref()
            .map_or("limit=7".to_string(), |a| format!("limit=7&after={a}"));
        let page = list(&server, &key, &id, &query).await;
        let batch = page["contacts"].as_array().unwrap().clone();
        if batch.is_empty() {
            break;
        }
        after = Some(batch.last().unwrap()["id"].as_str().unwrap().to_string());
        seen.extend(
            batch
                .iter()
                .map(|c| c["external_id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(seen, (0..25).map(|n| format!("c{n}")).collect::<Vec<_>>());

    assert_eq!(
        list(&server, &key, &id, "status=pending&status=completed").await["total"],
        25
    );
    assert_eq!(
        list(&server, &key, &id, "status=completed").await["total"],
        0
    );
    for bad in [
        "status=done",
        "limit=0",
        "limit=1001",
        "offset=-1",
        "limit=x",
        "after=nope",
        "offset=1&after=0193a000-0000-7000-8000-000000000001",
    ] {
        let (status, _) = server
            .call(
                Method::GET,
                &format!("/campaign/campaigns/{id}/contacts?{bad}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(status, 422, "{bad}");
    }
}

#[tokio::test]
async fn stats_follow_inserts_updates_and_deletes() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    let path = "/campaign/campaigns/q4/stats";
    let (status, empty) = server.call(Method::GET, path, Some(&key), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        empty,
        json!({
            "campaign_id": id, "status": "active",
            "contacts": {"total": 0, "pending": 0, "in_progress": 0, "completed": 0, "exhausted": 0},
            "attempts": {"total": 0, "average_per_contact": 0.0},
            "active_calls": 0, "concurrency_limit": 10
        })
    );
    let items: Vec<Value> = (0..8)
        .map(|n| json!({"external_id": format!("c{n}"), "phone_numbers": [us_number(n)]}))
        .collect();
    upsert(&server, &key, &id, &contacts(items.clone())).await;
    upsert(&server, &key, &id, &contacts(items)).await;
    server
        .call(
            Method::DELETE,
            &format!("/campaign/campaigns/{id}/contacts/c0"),
            Some(&key),
            None,
        )
        .await;
    server
        .call(
            Method::PUT,
            "/campaign/concurrency-settings",
            Some(&key),
            Some(&json!({"concurrency_limit": 25})),
        )
        .await;
    let (_, after) = server.call(Method::GET, path, Some(&key), None).await;
    assert_eq!(
        after["contacts"],
        json!({"total": 7, "pending": 7, "in_progress": 0, "completed": 0, "exhausted": 0})
    );
    assert_eq!(after["concurrency_limit"], 25);
    assert!(after["attempts"]["average_per_contact"].is_f64());
}

#[tokio::test]
async fn delete_refuses_contacts_being_dialled() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    add_contact(&server, &key, &id, "busy").await;
    // The dialer is not built yet: put the contact in progress as it would.
    server.admin(|conn| {
        conn.execute(
            "UPDATE contacts SET status = 'in_progress' WHERE external_id = 'busy'",
            &[],
        )
    });
    let (status, body) = server
        .call(
            Method::DELETE,
            &format!("/campaign/campaigns/{id}/contacts/busy"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        (status, body),
        (409, json!({"detail": "Contact is being dialed"}))
    );
    let (_, stats) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/{id}/stats"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        (
            stats["contacts"]["in_progress"].as_i64(),
            stats["active_calls"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("/campaign/campaigns/{id}/contacts/nobody"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn eight_concurrent_clients_upsert_without_errors_and_the_count_is_exact() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key, "US", "q4").await;
    let mut clients = Vec::new();
    for client in 0..8 {
        let (server, key, id) = (server.clone(), key.clone(), id.clone());
        clients.push(tokio::spawn(async move {
            for batch in 0..5 {
                let items: Vec<Value> = (0..100)
                    .map(|n| json!({"external_id": format!("{client}-{batch}-{n}"), "phone_numbers": [us_number(client * 1000 + batch * 100 + n)]}))
                    .collect();
                let (status, body) = upsert(&server, &key, &id, &contacts(items)).await;
                assert_eq!(status, 200, "{body}");
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    assert_eq!(list(&server, &key, &id, "limit=1").await["total"], 4000);
    let (_, stats) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/{id}/stats"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(stats["contacts"]["total"], 4000);
}

/// The values at and just past each bound that `schema` states, with the problem type the one
/// past the bound gets.
fn bound_cases(
    schema: &Value,
    numbers: impl Fn(usize) -> Value,
) -> Vec<(Value, Value, &'static str)> {
    let text = |n: u64| json!("7".repeat(n as usize));
    let mut cases = Vec::new();
    if let Some(max) = schema["maxLength"].as_u64() {
        cases.push((text(max), text(max + 1), "string_too_long"));
    }
    if let Some(min) = schema["minLength"].as_u64().filter(|&min| min > 0) {
        cases.push((text(min), text(min - 1), "string_too_short"));
    }
    if let Some(max) = schema["maximum"].as_i64() {
        cases.push((json!(max), json!(max + 1), "less_than_equal"));
    }
    if let Some(min) = schema["minimum"].as_i64() {
        cases.push((json!(min), json!(min - 1), "greater_than_equal"));
    }
    if let Some(max) = schema["maxItems"].as_u64() {
        cases.push((numbers(max as usize), numbers(max as usize + 1), "too_long"));
    }
    if let Some(min) = schema["minItems"].as_u64().filter(|&min| min > 0) {
        cases.push((
            numbers(min as usize),
            numbers(min as usize - 1),
            "too_short",
        ));
    }
    cases
}

/// One section of the document, one rule: each bound that the OpenAPI document states for a
/// contact's fields is the bound the upsert enforces — a value at the bound is not refused for
/// its size, one past it is, at that field.
#[tokio::test]
async fn the_documented_contact_bounds_are_the_enforced_ones() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let campaign = campaign(&server, &key, "US", "bounds").await;
    let (_, doc) = server
        .call(Method::GET, "/campaign/openapi.json", None, None)
        .await;
    let fields = doc["components"]["schemas"]["ContactIn"]["properties"]
        .as_object()
        .unwrap();
    let numbers = |n: usize| json!((0..n).map(us_number).collect::<Vec<_>>());
    let mut checked = Vec::new();
    for (name, schema) in fields {
        // A field's own bounds, and those of a list's items (at the first item).
        let mut cases: Vec<(Value, Value, &str, Vec<Value>)> = bound_cases(schema, numbers)
            .into_iter()
            .map(|(at, past, kind)| (at, past, kind, vec![json!(name)]))
            .collect();
        for (at, past, kind) in bound_cases(&schema["items"], numbers) {
            cases.push((
                json!([at]),
                json!([past]),
                kind,
                vec![json!(name), json!(0)],
            ));
        }
        for (at, past, kind, field) in cases {
            let mut loc = vec![json!("body"), json!("contacts"), json!(0)];
            loc.extend(field);
            let problems = |body: &Value| -> Vec<Value> {
                body["detail"]
                    .as_array()
                    .map(|all| {
                        all.iter()
                            .filter(|p| p["loc"] == json!(loc) && p["type"] == kind)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let item = |value: Value| {
                let mut item = json!({"external_id": "bounds", "phone_numbers": [us_number(1)]});
                item[name.as_str()] = value;
                contacts(vec![item])
            };
            let (status, body) = upsert(&server, &key, &campaign, &item(at.clone())).await;
            assert!(
                problems(&body).is_empty(),
                "{name} at its bound ({kind}) was refused for it: {status} {body}"
            );
            let (status, body) = upsert(&server, &key, &campaign, &item(past)).await;
            assert_eq!(status, 422, "{name} past its bound ({kind}): {body}");
            assert_eq!(
                problems(&body).len(),
                1,
                "{name} past its bound ({kind}): {body}"
            );
        }
        checked.push(name.as_str());
    }
    for name in [
        "external_id",
        "phone_numbers",
        "scheduled_at",
        "agent_id",
        "agent_number",
        "agent_version",
        "initial_context",
    ] {
        assert!(checked.contains(&name), "{name} in {checked:?}");
    }
}
