//! docs/api.md §6.1: CSV import over HTTP, and `campaignd import` on the real binary.

use crate::common::{TestServer, locs};
use campaignd::domain::scope::Scopes;
use reqwest::Method;
use serde_json::{Value, json};

async fn campaign(server: &TestServer, key: &str) -> String {
    let config = json!({"name": "c", "default_country_code": "US"});
    let (_, config) = server
        .call(
            Method::POST,
            "/campaign/configurations",
            Some(key),
            Some(&config),
        )
        .await;
    let body = json!({"name": "Import", "configuration_id": config["id"], "external_id": "imp"});
    let (status, campaign) = server
        .call(Method::POST, "/campaign/campaigns", Some(key), Some(&body))
        .await;
    assert_eq!(status, 201);
    campaign["id"].as_str().unwrap().to_string()
}

async fn import(
    server: &TestServer,
    key: &str,
    campaign: &str,
    query: &str,
    csv: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = server
        .request(
            Method::POST,
            &format!("/campaign/campaigns/{campaign}/contacts/import?{query}"),
        )
        .bearer_auth(key)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn contacts(server: &TestServer, key: &str, campaign: &str) -> Value {
    let (status, body) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/{campaign}/contacts?limit=1000"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    body
}

#[tokio::test]
async fn every_header_kind_maps_to_its_field() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key).await;
    let csv = "\u{feff}External-ID,Phone,Mobile 2,TZ,Scheduled At,Agent_ID,agent_number,agent_version,First Name,Note\n\
               crm-1,650 253 0000,650 253 0001,America/Chicago,2026-12-01T09:00,ag,650 253 0002,2,Ada,\"Likes commas, and\n\"\"quotes\"\"\"\n\
               crm-2,,+1 650 253 0003,,,,,,Bob,\n";
    let (status, report) = import(&server, &key, &id, "", csv).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["inserted"], 2);
    assert_eq!(
        (
            report["updated"].as_u64(),
            report["skipped"].as_u64(),
            report["error_count"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(report["dry_run"], false);
    assert_eq!(
        report["columns"],
        json!({"External-ID": "external_id", "Phone": "phone_numbers", "Mobile 2": "phone_numbers", "TZ": "timezone",
               "Scheduled At": "scheduled_at", "Agent_ID": "agent_id", "agent_number": "agent_number",
               "agent_version": "agent_version", "First Name": "data.First Name", "Note": "data.Note"})
    );
    let listed = contacts(&server, &key, &id).await;
    let first = &listed["contacts"][0];
    assert_eq!(first["external_id"], "crm-1");
    assert_eq!(
        first["phone_numbers"],
        json!(["+16502530000", "+16502530001"])
    );
    assert_eq!(first["timezone"], "America/Chicago");
    assert_eq!(first["scheduled_at"], "2026-12-01T15:00:00.000Z");
    assert_eq!(
        (
            &first["agent_id"],
            &first["agent_number"],
            &first["agent_version"]
        ),
        (&json!("ag"), &json!("+16502530002"), &json!(2))
    );
    assert_eq!(
        first["data"],
        json!({"First Name": "Ada", "Note": "Likes commas, and\n\"quotes\""})
    );
    // An empty phone cell is skipped; an empty data cell is left out.
    let second = &listed["contacts"][1];
    assert_eq!(second["phone_numbers"], json!(["+16502530003"]));
    assert_eq!(second["data"], json!({"First Name": "Bob"}));
}

#[tokio::test]
async fn a_bad_row_is_422_at_its_line_and_nothing_is_written() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key).await;
    let csv = "phone,note\n650 253 0000,\"multi\nline\"\n12,bad\n650 253 0001,ok\n";
    let (status, body) = import(&server, &key, &id, "", csv).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(locs(&body), ["body.4.phone"]);
    assert_eq!(
        body["detail"][0]["msg"],
        "'12' is not a valid phone number for region US: too short"
    );
    assert_eq!(contacts(&server, &key, &id).await["total"], 0);

    // dry_run reports the same and writes nothing.
    let (status, report) = import(&server, &key, &id, "dry_run=true", csv).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            report["inserted"].as_u64(),
            report["skipped"].as_u64(),
            report["dry_run"].as_bool()
        ),
        (Some(2), Some(1), Some(true))
    );
    assert_eq!(
        report["errors"],
        json!([{"line": 4, "column": "phone", "msg": "'12' is not a valid phone number for region US: too short"}])
    );
    assert_eq!(contacts(&server, &key, &id).await["total"], 0);

    // skip_invalid imports the valid rows.
    let (status, report) = import(&server, &key, &id, "skip_invalid=true", csv).await;
    assert_eq!(
        (
            status,
            report["inserted"].as_u64(),
            report["error_count"].as_u64()
        ),
        (200, Some(2), Some(1))
    );
    assert_eq!(contacts(&server, &key, &id).await["total"], 2);
}

/// The CSV reader enforces the same field bounds as the JSON upsert (one home for each rule):
/// at the bound a row is taken, past it the row is refused with the bound named.
#[tokio::test]
async fn cells_are_held_to_the_bounds_of_the_json_upsert() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key).await;
    let long = |n: usize| "7".repeat(n);
    let csv = format!(
        "phone,external_id,agent_id,scheduled_at\n\
         650 253 0000,{},{},2026-12-01T09:00\n\
         650 253 0001,{},b,2026-12-01T09:00\n\
         650 253 0002,c,{},2026-12-01T09:00\n\
         650 253 0003,d,d,{}\n\
         {},e,e,2026-12-01T09:00\n",
        long(255),
        long(255),
        long(256),
        long(256),
        long(65),
        long(101),
    );
    let (status, report) = import(&server, &key, &id, "dry_run=true", csv).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["inserted"], 1, "{report}");
    assert_eq!(
        report["errors"],
        json!([
            {"line": 3, "column": "external_id", "msg": "external_id is longer than 255 characters (256)"},
            {"line": 4, "column": "agent_id", "msg": "agent_id is longer than 255 characters (256)"},
            {"line": 5, "column": "scheduled_at", "msg": "scheduled_at is longer than 64 characters (65)"},
            {"line": 6, "column": "phone", "msg": "a phone number is longer than 100 characters (101)"},
        ])
    );
}

#[tokio::test]
async fn conflicts_and_missing_numbers_are_row_errors() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key).await;
    import(
        &server,
        &key,
        &id,
        "",
        "external_id,phone\na,+16502530000\n",
    )
    .await;
    let csv = "external_id,phone,id\na,,\nnew,,\nb,+16502530001,0193a000-0000-7000-8000-000000000001\na,+16502530002,0193a000-0000-7000-8000-000000000001\n";
    let (status, report) = import(&server, &key, &id, "dry_run=1", csv).await;
    assert_eq!(status, 200);
    assert_eq!(
        (report["updated"].as_u64(), report["inserted"].as_u64()),
        (Some(1), Some(1))
    );
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 5]);
    let (status, body) = import(&server, &key, &id, "", csv).await;
    assert_eq!(
        (status, locs(&body)),
        (422, vec!["body.3".to_string(), "body.5".to_string()])
    );
}

#[tokio::test]
async fn files_that_cannot_be_imported() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key).await;
    let (status, body) = import(&server, &key, &id, "", "name,city\nAda,Paris\n").await;
    assert_eq!((status, locs(&body)), (422, vec!["body".to_string()]));
    let (status, body) = import(
        &server,
        &key,
        &id,
        "",
        "phone,tz,Time Zone,TimeZone\n+16502530000,UTC,,UTC\n",
    )
    .await;
    assert_eq!(
        (status, locs(&body)),
        (422, vec!["body.1.TimeZone".to_string()])
    );
    let (status, body) = import(&server, &key, &id, "", "").await;
    assert_eq!((status, locs(&body)), (422, vec!["body".to_string()]));
    let (status, _) = import(&server, &key, &id, "", vec![0xffu8, 0xfe, b'\n']).await;
    assert_eq!(status, 422);
    let response = server
        .request(
            Method::POST,
            &format!("/campaign/campaigns/{id}/contacts/import"),
        )
        .bearer_auth(&key)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    // A file of updates needs no phone column.
    let (status, report) = import(
        &server,
        &key,
        &id,
        "dry_run=true",
        "external_id,plan\nnobody,pro\n",
    )
    .await;
    assert_eq!((status, report["error_count"].as_u64()), (200, Some(1)));
    // Closed campaigns take no import, dry run included; unknown campaigns are 404.
    server
        .call(
            Method::POST,
            &format!("/campaign/campaigns/{id}/close"),
            Some(&key),
            None,
        )
        .await;
    let (status, body) = import(&server, &key, &id, "dry_run=true", "phone\n+16502530000\n").await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"detail": "Cannot add contacts to a closed campaign"})
        )
    );
    let (status, _) = import(&server, &key, "nope", "", "phone\n+16502530000\n").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_hundred_thousand_rows_import_in_one_request() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let mut csv = String::from("external_id,phone\n");
    for n in 0..100_000 {
        csv.push_str(&format!("c{n},+1650253{:04}\n", n % 10_000));
    }
    let (status, report) = import(&server, &key, "default", "", csv.clone()).await;
    assert_eq!(
        (status, report["inserted"].as_u64()),
        (200, Some(100_000)),
        "{report}"
    );
    let (_, listed) = server
        .call(
            Method::GET,
            "/campaign/campaigns/default/contacts?limit=1",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(listed["total"], 100_000);
    csv.push_str("one,+16502530000\n");
    let (status, body) = import(&server, &key, "default", "", csv).await;
    assert_eq!((status, locs(&body)), (422, vec!["body".to_string()]));
}

/// Line numbers are the file's physical lines whatever its line endings (the issue's file: with
/// `\r\n` the bad row was reported at line 2).
#[tokio::test]
async fn line_numbers_are_physical_lines_for_every_line_ending() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key).await;
    for ending in ["\n", "\r\n", "\r"] {
        let csv = ["phone,name", "+14155550132,A", "12,B"].join(ending);
        let (status, body) = import(&server, &key, &id, "", csv.clone()).await;
        assert_eq!(
            (status, locs(&body)),
            (422, vec!["body.3.phone".to_string()]),
            "{ending:?}"
        );
        let (status, report) = import(&server, &key, &id, "dry_run=true", csv).await;
        assert_eq!(status, 200);
        assert_eq!(report["errors"][0]["line"], 3, "{ending:?}");
    }
    // Mixed endings, a BOM, a blank line and a quoted field over three lines of its own.
    let csv = "\u{feff}phone,note\r\n+14155550132,\"a\r\nb\rc\"\n\r\n+14155550133,x\r12,y";
    let (status, report) = import(&server, &key, &id, "dry_run=true", csv).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["errors"],
        json!([{"line": 7, "column": "phone", "msg": "'12' is not a valid phone number for region US: too short"}])
    );
    assert_eq!(contacts(&server, &key, &id).await["total"], 0);
}

#[tokio::test]
async fn the_import_command_writes_to_the_database() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let id = campaign(&server, &key).await;
    let file = server.db.with_file_name("contacts.csv");
    std::fs::write(&file, "external_id,phone\nx,650 253 0000\ny,nope\n").unwrap();
    let run = |extra: &[&str]| {
        crate::common::campaignd()
            .args(server.database_args())
            .args([
                "import",
                file.to_str().unwrap(),
                "--campaign",
                "imp",
                "--org",
                "org_a",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    for ending in ["\r\n", "\r", "\n"] {
        let csv = ["external_id,phone", "x,650 253 0000", "y,nope", ""].join(ending);
        std::fs::write(&file, csv).unwrap();
        let refused = run(&[]);
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("line 3"), "{ending:?}: {stderr}");
    }
    assert_eq!(contacts(&server, &key, &id).await["total"], 0);
    let done = run(&["--skip-invalid"]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let report: Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(report["inserted"], 1);
    assert_eq!(
        contacts(&server, &key, &id).await["contacts"][0]["phone_numbers"],
        json!(["+16502530000"])
    );
}
