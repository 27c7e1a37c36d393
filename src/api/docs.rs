//! The interactive API reference at `/docs` (as FastAPI services serve theirs): Swagger UI,
//! vendored from npm `swagger-ui-dist` into `static/docs/swagger-ui/` (see
//! `scripts/update-swagger-ui`) and embedded in the binary, over `/campaign/openapi.json`.

use rust_embed::RustEmbed;
use warp::http::{Response, StatusCode};

#[derive(RustEmbed)]
#[folder = "static/docs/"]
struct Assets;

/// Scripts, styles and requests from campaignd only; images from campaignd and the `data:` URLs
/// of Swagger UI's stylesheet (its icons). No inline script or style, no frame, no form target.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// `GET /docs`: the page itself.
pub fn page() -> warp::reply::Response {
    serve_asset("index.html")
}

/// `GET /docs/<file>`: the page's script and the vendored Swagger UI files. The page is served
/// at `/docs` only (its links are relative to it), so `/docs/` goes there.
pub fn file(file: &str) -> warp::reply::Response {
    match file {
        "" => {
            let mut response = Response::new(Default::default());
            *response.status_mut() = StatusCode::FOUND;
            response
                .headers_mut()
                .insert("location", "/docs".parse().expect("ASCII"));
            response
        }
        "index.html" => super::error::ApiError::NotFound("Not Found").into_response(),
        file => serve_asset(file),
    }
}

fn serve_asset(file: &str) -> warp::reply::Response {
    let Some(asset) = Assets::get(file) else {
        return super::error::ApiError::NotFound("Not Found").into_response();
    };
    let name = file.rsplit('/').next().unwrap_or(file);
    let content_type = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        // LICENSE, NOTICE, VERSION and the bundle's licence list.
        _ => "text/plain; charset=utf-8",
    };
    let mut response = Response::new(asset.data.into_owned().into());
    let headers = response.headers_mut();
    headers.insert("content-type", content_type.parse().expect("ASCII"));
    headers.insert("content-security-policy", CSP.parse().expect("ASCII"));
    headers.insert("referrer-policy", "no-referrer".parse().expect("ASCII"));
    headers.insert("cache-control", "no-cache".parse().expect("ASCII"));
    response
}
