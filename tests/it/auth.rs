//! docs/api.md §2: credentials, organisations and scopes, over HTTP.

use crate::common::TestServer;
use campaignd::domain::ids::OrgId;
use campaignd::domain::scope::{Role, Scope, Scopes};
use reqwest::Method;
use serde_json::json;

/// Credential changes must apply within one second (docs/api.md §2): wait exactly that long.
const WITHIN_A_SECOND: std::time::Duration = std::time::Duration::from_secs(1);

#[tokio::test]
async fn every_auth_failure_has_its_status_and_detail() {
    let server = TestServer::start().await;
    let key_a = server.key("org_a", Scopes::ALL);
    let path = "/campaign/configurations";

    let cases: Vec<(Option<String>, Option<&str>, u16, &str)> = vec![
        (None, None, 401, "Not authenticated"),
        (
            Some(format!("Basic {key_a}")),
            None,
            401,
            "Not authenticated",
        ),
        (Some("Bearer".into()), None, 401, "Not authenticated"),
        (
            Some("Bearer ak_nope.nope".into()),
            None,
            401,
            "Invalid token",
        ),
        (Some("Bearer garbage".into()), None, 401, "Invalid token"),
        (Some(format!("Bearer {key_a}x")), None, 401, "Invalid token"),
        (Some(format!("bEaReR {key_a}")), None, 200, ""),
        (Some(format!("Bearer {key_a}")), Some("org_a"), 200, ""),
        (
            Some(format!("Bearer {key_a}")),
            Some("org_b"),
            403,
            "API key does not belong to this organization",
        ),
    ];
    for (authorization, org, status, detail) in cases {
        let mut request = server.request(Method::GET, path);
        if let Some(authorization) = &authorization {
            request = request.header("authorization", authorization);
        }
        if let Some(org) = org {
            request = request.header("x-anyreach-org", org);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            status,
            "{authorization:?} {org:?}"
        );
        if status == 401 {
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }
        let body: serde_json::Value = response.json().await.unwrap();
        if status != 200 {
            assert_eq!(body, json!({"detail": detail}), "{authorization:?} {org:?}");
        }
    }
}

#[tokio::test]
async fn personal_tokens_need_the_organisation_header_and_membership() {
    let server = TestServer::start().await;
    let token = server.user_token("ada", &[("org_a", Role::Admin)], None);
    let get = |org: Option<&'static str>| {
        let mut request = server
            .request(Method::GET, "/campaign/configurations")
            .bearer_auth(&token);
        if let Some(org) = org {
            request = request.header("x-anyreach-org", org);
        }
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    assert_eq!(
        get(None).await,
        (
            401,
            json!({"detail": "Token is missing organization claim"})
        )
    );
    assert_eq!(
        get(Some("org_b")).await,
        (403, json!({"detail": "Not a member of this organization"}))
    );
    assert_eq!(
        get(Some("org_c")).await,
        (403, json!({"detail": "Not a member of this organization"}))
    );
    assert_eq!(get(Some("org_a")).await.0, 200);

    // The timezone list needs a credential but no organisation.
    let (status, zones) = server
        .call(Method::GET, "/campaign/timezones", Some(&token), None)
        .await;
    assert_eq!(status, 200);
    assert!(
        zones
            .as_array()
            .unwrap()
            .contains(&json!("America/New_York"))
    );

    // Membership changes apply within a second (docs/api.md §2).
    server.admin(|conn| {
        campaignd::store::credentials::remove_membership(
            conn,
            "ada",
            &OrgId::parse("org_a").unwrap(),
        )
    });
    tokio::time::sleep(WITHIN_A_SECOND).await;
    assert_eq!(get(Some("org_a")).await.0, 403);
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_write() {
    let server = TestServer::start().await;
    let token = server.user_token("vic", &[("org_a", Role::Viewer)], None);
    let send = |method: Method, path: &'static str, body: Option<serde_json::Value>| {
        let mut request = server
            .request(method, path)
            .bearer_auth(&token)
            .header("x-anyreach-org", "org_a");
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    assert_eq!(
        send(Method::GET, "/campaign/configurations", None).await.0,
        200
    );
    assert_eq!(
        send(Method::GET, "/campaign/concurrency-settings", None)
            .await
            .0,
        200
    );
    assert_eq!(
        send(
            Method::POST,
            "/campaign/configurations",
            Some(json!({"name": "x"}))
        )
        .await,
        (
            403,
            json!({"detail": "Missing required scope: one of campaigns:manage"})
        )
    );
    assert_eq!(
        send(
            Method::PUT,
            "/campaign/concurrency-settings",
            Some(json!({"concurrency_limit": 5}))
        )
        .await,
        (
            403,
            json!({"detail": "Missing required scope: one of campaigns:manage, concurrency:manage"})
        )
    );
}

#[tokio::test]
async fn a_concurrency_read_key_reads_concurrency_settings_and_nothing_else() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::of(&[Scope::ConcurrencyRead]));
    let (status, body) = server
        .call(
            Method::GET,
            "/campaign/concurrency-settings",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"organization_id": "org_a", "concurrency_limit": 10})
        )
    );
    let (status, body) = server
        .call(Method::GET, "/campaign/configurations", Some(&key), None)
        .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"detail": "Missing required scope: one of campaigns:read, campaigns:manage"})
        )
    );
    let put = json!({"concurrency_limit": 5});
    assert_eq!(
        server
            .call(
                Method::PUT,
                "/campaign/concurrency-settings",
                Some(&key),
                Some(&put)
            )
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn revoked_and_expired_keys_stop_working_within_a_second() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    assert_eq!(
        server
            .call(Method::GET, "/campaign/configurations", Some(&key), None)
            .await
            .0,
        200
    );
    let key_id = key
        .trim_start_matches("ak_")
        .split('.')
        .next()
        .unwrap()
        .to_string();
    server.admin(|conn| {
        campaignd::store::credentials::revoke(
            conn,
            campaignd::domain::credential::Kind::ApiKey,
            &key_id,
            "2026-01-01T00:00:00.000Z",
        )
    });
    tokio::time::sleep(WITHIN_A_SECOND).await;
    let (status, body) = server
        .call(Method::GET, "/campaign/configurations", Some(&key), None)
        .await;
    assert_eq!((status, body), (401, json!({"detail": "Invalid token"})));

    let expired = server.key("org_a", Scopes::ALL);
    let (status, _) = server
        .call(
            Method::GET,
            "/campaign/configurations",
            Some(&expired),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let expired_id = expired
        .trim_start_matches("ak_")
        .split('.')
        .next()
        .unwrap()
        .to_string();
    server.admin(|conn| {
        conn.execute(
            "UPDATE api_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE key_id = ?1",
            campaignd::store::args![&expired_id],
        )?;
        Ok(())
    });
    tokio::time::sleep(WITHIN_A_SECOND).await;
    assert_eq!(
        server
            .call(
                Method::GET,
                "/campaign/configurations",
                Some(&expired),
                None
            )
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    assert_eq!(
        server
            .call(Method::GET, "/campaign/nope", Some(&key), None)
            .await,
        (404, json!({"detail": "Not Found"}))
    );
    assert_eq!(
        server
            .call(Method::GET, "/campaign/configurations/", Some(&key), None)
            .await
            .0,
        404
    );
    let response = server
        .request(Method::DELETE, "/campaign/configurations")
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD, POST");
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": "Method Not Allowed"})
    );
    // Route before credential: an unknown route is 404 even without a credential.
    assert_eq!(
        server
            .call(Method::GET, "/campaign/nope", None, None)
            .await
            .0,
        404
    );
    assert_eq!(
        server.call(Method::GET, "/healthz", None, None).await,
        (
            200,
            json!({"status": "ok", "dialer": "off", "store": server.store_name()})
        )
    );
}

#[tokio::test]
async fn oversize_bodies_are_413_after_the_credential_check() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let huge = "x".repeat(10 * 1024 * 1024 + 1);
    let response = server
        .request(Method::POST, "/campaign/configurations")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let response = server
        .request(Method::POST, "/campaign/configurations")
        .bearer_auth(&key)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": "Request body too large"})
    );
}
