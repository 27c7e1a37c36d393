//! The interactive API reference at `/docs` (Swagger UI, embedded): its headers and files without
//! a browser, then in a real headless Chromium: it lists every operation of the OpenAPI document,
//! takes an API key through "Authorize", and a "Try it out" call answers 200 — with nothing loaded
//! from another host and no Content-Security-Policy violation.

use crate::browser::Browser;
use crate::common::TestServer;
use campaignd::domain::scope::Scopes;
use reqwest::Method;
use serde_json::{Value, json};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page and its files, with their headers; the vendored Swagger UI with its licence and
/// version; nothing of it in the admin page's files.
#[tokio::test]
async fn docs_page_and_its_files_are_served_with_strict_headers() {
    let server = TestServer::start().await;
    let vendored = env!("CARGO_MANIFEST_DIR").to_string() + "/static/docs/swagger-ui/";
    let version = std::fs::read_to_string(vendored.clone() + "VERSION").unwrap();
    for (path, content_type, contains) in [
        ("/docs", "text/html; charset=utf-8", "docs/init.js"),
        (
            "/docs/init.js",
            "text/javascript; charset=utf-8",
            "SwaggerUIBundle(",
        ),
        (
            "/docs/swagger-ui/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
            "SwaggerUIBundle",
        ),
        (
            "/docs/swagger-ui/swagger-ui.css",
            "text/css; charset=utf-8",
            ".swagger-ui",
        ),
        (
            "/docs/swagger-ui/LICENSE",
            "text/plain; charset=utf-8",
            "Apache License",
        ),
        (
            "/docs/swagger-ui/NOTICE",
            "text/plain; charset=utf-8",
            "swagger-ui",
        ),
        (
            "/docs/swagger-ui/VERSION",
            "text/plain; charset=utf-8",
            version.as_str(),
        ),
    ] {
        let response = server.request(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let h = response.headers();
        assert_eq!(h["content-type"], content_type, "{path}");
        assert_eq!(h["content-security-policy"], CSP, "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(
            !h.keys().any(|k| k.as_str().starts_with("access-control-")),
            "{path}: no CORS headers"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(contains), "{path} contains {contains:?}");
    }
    assert!(version.starts_with("swagger-ui-dist 5."), "{version}");

    // The page's scripts are files of campaignd: no inline script, nothing from another host.
    let page = server
        .request(Method::GET, "/docs")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scripts: Vec<&str> = page.split("<script").skip(1).collect();
    assert_eq!(scripts.len(), 2, "{page}");
    for script in scripts {
        assert!(script.starts_with(" src=\"docs/"), "{script}");
        assert!(script.contains("></script>"), "an empty element: {script}");
    }
    assert!(
        !page.contains("//"),
        "no absolute or protocol-relative URL: {page}"
    );
    assert!(!page.contains("style="), "no inline style: {page}");

    // `/docs/` is the page's address with a slash: a redirect to it. Unknown files are a JSON 404,
    // and the page is not served under another name (its links are relative to `/docs`).
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(server.url("/docs/")).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/docs");
    for path in [
        "/docs/nope.js",
        "/docs/index.html",
        "/docs/swagger-ui/swagger-ui-bundle.js.map",
        // The admin page's embed leaves the docs folder out.
        "/admin/docs/init.js",
        "/admin/docs/swagger-ui/swagger-ui-bundle.js",
    ] {
        let (status, body) = server.call(Method::GET, path, None, None).await;
        assert_eq!(
            (status, body),
            (404, json!({"detail": "Not Found"})),
            "{path}"
        );
    }
    // A page: GET only, no credential needed.
    let (status, body) = server.call(Method::POST, "/docs", None, None).await;
    assert_eq!(
        (status, &body["detail"]),
        (405, &json!("Method Not Allowed"))
    );
}

/// The page in Chromium: every operation of the document listed; Authorize with an API key; a
/// "Try it out" of list_campaigns answers 200 with the campaign made through the API.
#[tokio::test]
async fn docs_page_lists_every_operation_and_tries_one_out_with_a_key() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let (status, config) = server
        .call(
            Method::POST,
            "/campaign/configurations",
            Some(&key),
            Some(&json!({"name": "Weekdays"})),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let (status, campaign) = server
        .call(
            Method::POST,
            "/campaign/campaigns",
            Some(&key),
            Some(&json!({"name": "Seen from the docs page", "configuration_id": config["id"]})),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let (_, doc) = server
        .call(Method::GET, "/campaign/openapi.json", None, None)
        .await;
    let operation_ids: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|op| {
            let id = op["operationId"].as_str().unwrap().to_string();
            (id, op["tags"][0].as_str().unwrap().to_string())
        })
        .collect();
    assert!(operation_ids.len() >= 21, "{operation_ids:?}");

    let b = Browser::start().await;
    let origin = format!("http://{}", server.addr);
    b.goto(&server.url("/docs")).await;
    b.wait_displayed(".swagger-ui .info .title").await;
    let title = b.text(".swagger-ui .info .title").await;
    assert!(
        title.contains(doc["info"]["title"].as_str().unwrap()),
        "{title}"
    );

    // Every operation of the document, each once, under its resource's heading (Swagger UI gives
    // each block the id `operations-<tag>-<operationId>`).
    b.wait_until("every operation to be listed", || async {
        b.js("return document.querySelectorAll('.opblock').length;")
            .await
            == json!(operation_ids.len())
    })
    .await;
    for (id, tag) in &operation_ids {
        assert!(
            b.displayed(&format!("#operations-{tag}-{id}")).await,
            "operation {id} is listed under {tag}"
        );
    }
    assert!(
        !b.displayed("#operations-tag-default").await,
        "no `default` heading"
    );
    b.screenshot("docs-operations").await;

    // Authorize: the bearer scheme takes the key.
    b.click(".swagger-ui .auth-wrapper .authorize").await;
    b.fill(".swagger-ui .modal-ux .auth-container input", &key)
        .await;
    b.click(".swagger-ui .modal-ux .auth-btn-wrapper .authorize")
        .await;
    b.wait_displayed(".swagger-ui .modal-ux .auth-btn-wrapper .btn-done")
        .await;
    b.click(".swagger-ui .modal-ux .auth-btn-wrapper .btn-done")
        .await;
    b.wait_until("the Authorize dialog to close", || async {
        !b.displayed(".swagger-ui .modal-ux").await
    })
    .await;

    // Try it out: list_campaigns.
    let op = "#operations-campaigns-list_campaigns";
    b.click(&format!("{op} .opblock-summary")).await;
    b.click(&format!("{op} .try-out__btn")).await;
    b.click(&format!("{op} .execute")).await;
    let status = b
        .wait_text(
            &format!("{op} .live-responses-table .response .response-col_status"),
            "show the answer's status",
            |t| !t.trim().is_empty(),
        )
        .await;
    assert_eq!(status.trim(), "200", "the try-it-out answer");
    let body = b
        .text(&format!(
            "{op} .live-responses-table .response .response-col_description pre"
        ))
        .await;
    assert!(body.contains("Seen from the docs page"), "{body}");
    // The request carried the key (Swagger UI shows the curl line it sent).
    let curl = b.text(&format!("{op} .curl-command")).await;
    assert!(curl.contains(&format!("Bearer {key}")), "{curl}");
    b.screenshot("docs-try-it-out").await;

    // Everything came from campaignd, nothing broke the page's policy, nothing kept the key.
    let urls = b.loaded_urls().await;
    for url in &urls {
        assert!(url.starts_with(&format!("{origin}/")), "loaded {url}");
    }
    for needed in [
        "/docs/init.js",
        "/docs/swagger-ui/swagger-ui-bundle.js",
        "/campaign/openapi.json",
        "/campaign/campaigns",
    ] {
        assert!(
            urls.iter()
                .any(|u| u.starts_with(&format!("{origin}{needed}"))),
            "{needed} among {urls:?}"
        );
    }
    let violations = b.csp_violations().await;
    assert_eq!(violations, Vec::<Value>::new(), "CSP violations");
    b.assert_no_persistent_storage().await;
    // The check above can fail: an inline script is refused, and seen.
    b.js(
        "var s = document.createElement('script'); s.textContent = 'window.ran = 1;';\
          document.body.appendChild(s);",
    )
    .await;
    b.wait_until("the inline script's refusal to be reported", || async {
        !b.csp_violations().await.is_empty()
    })
    .await;
    assert_eq!(b.js("return window.ran === undefined;").await, json!(true));
    b.close().await;
}
