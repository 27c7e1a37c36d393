//! The embedded admin page (docs/api.md §6.2): static files from `static/`, with strict headers.

use rust_embed::RustEmbed;
use warp::http::{Response, StatusCode};

#[derive(RustEmbed)]
#[folder = "static/"]
#[exclude = "docs/*"] // the /docs page and its vendored Swagger UI: src/api/docs.rs
struct Assets;

pub fn redirect_to_admin() -> warp::reply::Response {
    let mut response = Response::new(Default::default());
    *response.status_mut() = StatusCode::FOUND;
    response
        .headers_mut()
        .insert("location", "/admin/".parse().expect("ASCII"));
    response
}

pub fn serve(file: &str) -> warp::reply::Response {
    let file = if file.is_empty() { "index.html" } else { file };
    let Some(asset) = Assets::get(file) else {
        return super::error::ApiError::NotFound("Not Found").into_response();
    };
    let content_type = match file.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    let mut response = Response::new(asset.data.into_owned().into());
    let headers = response.headers_mut();
    headers.insert("content-type", content_type.parse().expect("ASCII"));
    headers.insert(
        "content-security-policy",
        "default-src 'self'; frame-ancestors 'none'"
            .parse()
            .expect("ASCII"),
    );
    headers.insert("referrer-policy", "no-referrer".parse().expect("ASCII"));
    headers.insert("cache-control", "no-cache".parse().expect("ASCII"));
    response
}
