//! `docs/api.md` against the real server: every route of the OpenAPI document (which the router's
//! drift tests keep equal to the router) and every page outside it has a heading there, and every
//! route a heading names is served. Also: no text of the repository sends its reader to a file
//! outside it.

use crate::common::TestServer;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn reference() -> String {
    std::fs::read_to_string(root().join("docs/api.md")).expect("docs/api.md")
}

/// Routes the router serves that are pages, not API operations, so not in the OpenAPI document.
const PAGES: [(&str, &str); 3] = [("GET", "/"), ("GET", "/admin/"), ("GET", "/docs")];

/// Documented here ahead of their code, which other branches are adding: a heading may name them
/// while they answer 404. Once they are served they are checked like every other route.
const COMING: [(&str, &str); 1] = [("POST", "/campaign/attempts/{attempt_id}/result")];

/// Every `` `METHOD /path` `` named on a heading line of the reference.
fn headed_routes(text: &str) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for line in text.lines().filter(|l| l.starts_with('#')) {
        for quoted in line.split('`').skip(1).step_by(2) {
            if let Some((method, path)) = quoted.split_once(' ')
                && ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method)
                && path.starts_with('/')
            {
                routes.insert((method.to_string(), path.to_string()));
            }
        }
    }
    routes
}

/// A concrete path for a template: each `{param}` gets a sample value.
fn sample(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "0b6f2a52-8a2e-4f0b-b2b4-3d5f3b6f8c21"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_route_has_a_heading_in_the_reference() {
    let server = TestServer::start().await;
    let (status, doc) = server
        .call(Method::GET, "/campaign/openapi.json", None, None)
        .await;
    assert_eq!(status, 200);
    let headed = headed_routes(&reference());

    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let route = (method.to_uppercase(), path.clone());
            if !headed.contains(&route) {
                missing.push(format!("{} {}", route.0, route.1));
            }
        }
    }
    for (method, path) in PAGES {
        // A page is served (the router has it) …
        let response = server
            .request(Method::from_bytes(method.as_bytes()).unwrap(), path)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{method} {path}");
        // … and not in the document, so it is listed here by hand.
        assert!(
            doc["paths"].get(path).is_none(),
            "{path} is in the document"
        );
        if !headed.contains(&(method.to_string(), path.to_string())) {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes without a heading `METHOD /path` in docs/api.md: {missing:#?}"
    );
}

#[tokio::test]
async fn every_route_the_reference_names_is_served() {
    let server = TestServer::start().await;
    let (_, doc) = server
        .call(Method::GET, "/campaign/openapi.json", None, None)
        .await;
    let headed = headed_routes(&reference());
    assert!(headed.len() >= 25, "{headed:?}");
    for (method, path) in &headed {
        let documented = doc["paths"][path.as_str()]
            .get(method.to_lowercase())
            .is_some();
        let page = PAGES.contains(&(method.as_str(), path.as_str()));
        if documented || page {
            continue;
        }
        // Not in the document: it must still be routed (no 404 "Not Found", no 405), unless it
        // is one of the routes still coming.
        let response = server
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                &sample(path),
            )
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let unrouted = status == 405 || (status == 404 && body["detail"] == "Not Found");
        let coming = COMING.contains(&(method.as_str(), path.as_str()));
        assert!(
            !unrouted || coming,
            "docs/api.md has a heading for {method} {path}, which the server does not route"
        );
    }
}

/// Text files of the repository that a user or maintainer reads: sources, tests, docs, scripts,
/// CI, the README. (Not the vendored Swagger UI, nor recorded benchmark logs.)
fn readable_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "swagger-ui" && name != "screenshots" {
                readable_files(&path, out);
            }
        } else if !name.ends_with(".log") && !name.ends_with(".png") {
            out.push(path);
        }
    }
}

#[test]
fn no_text_points_outside_the_repository() {
    let mut files = vec![root().join("README.md"), root().join("Cargo.toml")];
    for dir in ["src", "tests", "docs", "scripts", "bench", "static", ".ci"] {
        if root().join(dir).is_dir() {
            readable_files(&root().join(dir), &mut files);
        }
    }
    // Written in pieces, so that this file does not find itself.
    let outside = [
        format!("{}/", "shared"),
        format!("{}.md", "API"),
        format!("{} §", "spec"),
        format!("{} §", "Spec"),
        format!("{}'s", "spec"),
        format!("the {} says", "spec"),
    ];
    let mut found = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue; // not text
        };
        for (n, line) in text.lines().enumerate() {
            if outside.iter().any(|p| line.contains(p.as_str())) {
                let shown = file.strip_prefix(root()).unwrap().display();
                found.push(format!("{shown}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "these lines send the reader to a document outside the repository; point them at \
         docs/api.md §N or state the rule in place:\n{}",
        found.join("\n")
    );
}
