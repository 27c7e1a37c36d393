//! The HTTP edge: one warp filter hands every request to `handle`, which routes it (404/405),
//! authorises it, reads its body within the size limit, and calls the resource's handler.
//! Routing is a plain `match` on path segments so that 404, 405 + `Allow` and the order of checks
//! are exactly the contract's.

mod admin;
mod attempts;
pub mod auth;
mod campaigns;
mod configurations;
mod contacts;
mod docs;
pub mod error;
mod settings;
mod timeline;
mod twilio;
pub mod validate;

use crate::App;
use crate::domain::ids::OrgId;
use crate::domain::scope;
use auth::Access;
use bytes::{Bytes, BytesMut};
use error::{ApiError, ApiResult};
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use std::pin::Pin;
use std::sync::Arc;
use validate::{Checker, Loc};
use warp::Filter;
use warp::http::{HeaderMap, Method, StatusCode};

/// Largest request body (docs/api.md §1).
pub const MAX_BODY: usize = 10 * 1024 * 1024;

type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, warp::Error>> + Send>>;

/// A request as the handlers see it.
pub struct Request {
    pub method: Method,
    pub headers: HeaderMap,
    query: String,
    body: Option<BodyStream>,
}

impl Request {
    /// Every `(name, value)` of the query string, decoded, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }

    /// The body, read up to `MAX_BODY` (413 past it).
    pub async fn body(&mut self) -> ApiResult<Bytes> {
        let declared = self
            .headers
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY as u64) {
            return Err(ApiError::TooLarge);
        }
        let Some(mut stream) = self.body.take() else {
            return Ok(Bytes::new());
        };
        let mut body = BytesMut::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::BadRequest(format!("Could not read the request body: {e}"))
            })?;
            if body.len() + chunk.len() > MAX_BODY {
                return Err(ApiError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    /// The body as a JSON value (any Content-Type); 422 `json_invalid` at `["body"]` otherwise.
    pub async fn json(&mut self) -> ApiResult<serde_json::Value> {
        let body = self.body().await?;
        parse_json(&body)
    }
}

/// The body as borrowed raw JSON (checked to be JSON), for handlers that keep parts of it as sent.
pub fn parse_json_borrowed(body: &[u8]) -> ApiResult<&serde_json::value::RawValue> {
    let text = std::str::from_utf8(body)
        .map_err(|_| json_invalid(body, "the body is not UTF-8".into()))?;
    serde_json::from_str(text).map_err(|error| json_invalid(body, error.to_string()))
}

fn json_invalid(body: &[u8], error: String) -> ApiError {
    let mut checker = Checker::default();
    let ctx = serde_json::json!({"error": error});
    let input = serde_json::Value::String(
        String::from_utf8_lossy(&body[..body.len().min(1000)]).into_owned(),
    );
    checker.push(
        "json_invalid",
        &Loc::body(),
        "JSON decode error",
        &input,
        Some(ctx),
    );
    ApiError::Invalid(checker.problems)
}

pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|error| json_invalid(body, error.to_string()))
}

/// The routes of campaignd. Path parameters are percent-decoded segments.
#[derive(Debug)]
enum Route {
    Health,
    Metrics,
    Root,
    Admin(String),
    DocsPage,
    Docs(String),
    OpenApi,
    Timezones,
    ConcurrencySettings,
    Configurations,
    Configuration(String),
    Campaigns,
    Campaign(String),
    Lifecycle(String, crate::domain::status::Lifecycle),
    Contacts(String),
    ContactsImport(String),
    Contact(String, String),
    Stats(String),
    Timeline(String),
    AttemptResult(String),
    TwilioStatus,
}

impl Route {
    /// The route's path template: what metrics label a request with (never the raw path, which
    /// carries ids).
    fn template(&self) -> &'static str {
        use crate::domain::status::Lifecycle;
        match self {
            Route::Health => "/healthz",
            Route::Metrics => "/metrics",
            Route::Root => "/",
            Route::Admin(_) => "/admin/{file}",
            Route::DocsPage => "/docs",
            Route::Docs(_) => "/docs/{file}",
            Route::OpenApi => "/campaign/openapi.json",
            Route::Timezones => "/campaign/timezones",
            Route::ConcurrencySettings => "/campaign/concurrency-settings",
            Route::Configurations => "/campaign/configurations",
            Route::Configuration(_) => "/campaign/configurations/{configuration_id}",
            Route::Campaigns => "/campaign/campaigns",
            Route::Campaign(_) => "/campaign/campaigns/{campaign_id}",
            Route::Lifecycle(_, Lifecycle::Start) => "/campaign/campaigns/{campaign_id}/start",
            Route::Lifecycle(_, Lifecycle::Pause) => "/campaign/campaigns/{campaign_id}/pause",
            Route::Lifecycle(_, Lifecycle::Close) => "/campaign/campaigns/{campaign_id}/close",
            Route::Contacts(_) => "/campaign/campaigns/{campaign_id}/contacts",
            Route::ContactsImport(_) => "/campaign/campaigns/{campaign_id}/contacts/import",
            Route::Contact(..) => "/campaign/campaigns/{campaign_id}/contacts/{contact_id}",
            Route::Stats(_) => "/campaign/campaigns/{campaign_id}/stats",
            Route::Timeline(_) => "/campaign/campaigns/{campaign_id}/timeline",
            Route::AttemptResult(_) => "/campaign/attempts/{attempt_id}/result",
            Route::TwilioStatus => "/campaign/twilio/status",
        }
    }
}

/// The label of requests that match no route.
const UNMATCHED: &str = "unmatched";

/// Matches a path to a route and the methods it answers.
fn resolve(segments: &[String]) -> Option<(Route, &'static [Method])> {
    use crate::domain::status::Lifecycle;
    const GET: &[Method] = &[Method::GET];
    const POST: &[Method] = &[Method::POST];
    let strs: Vec<&str> = segments.iter().map(String::as_str).collect();
    // A path parameter is never empty: `/campaign/campaigns/` (trailing slash) is another path,
    // a 404, not the campaign "" (docs/api.md §1).
    if strs.first() == Some(&"campaign") && strs.contains(&"") {
        return None;
    }
    let id = |at: usize| segments[at].clone();
    Some(match strs.as_slice() {
        ["healthz"] => (Route::Health, GET),
        ["metrics"] => (Route::Metrics, GET),
        [""] | ["admin"] => (Route::Root, GET),
        ["admin", rest @ ..] => (Route::Admin(rest.join("/")), GET),
        ["docs"] => (Route::DocsPage, GET),
        ["docs", rest @ ..] => (Route::Docs(rest.join("/")), GET),
        ["campaign", "openapi.json"] => (Route::OpenApi, GET),
        ["campaign", "timezones"] => (Route::Timezones, GET),
        ["campaign", "concurrency-settings"] => {
            (Route::ConcurrencySettings, &[Method::GET, Method::PUT])
        }
        ["campaign", "configurations"] => (Route::Configurations, &[Method::GET, Method::POST]),
        ["campaign", "configurations", _] => (
            Route::Configuration(id(2)),
            &[Method::GET, Method::PATCH, Method::DELETE],
        ),
        ["campaign", "campaigns"] => (Route::Campaigns, &[Method::GET, Method::POST]),
        ["campaign", "campaigns", _] => (Route::Campaign(id(2)), &[Method::GET, Method::PATCH]),
        ["campaign", "campaigns", _, "start"] => (Route::Lifecycle(id(2), Lifecycle::Start), POST),
        ["campaign", "campaigns", _, "pause"] => (Route::Lifecycle(id(2), Lifecycle::Pause), POST),
        ["campaign", "campaigns", _, "close"] => (Route::Lifecycle(id(2), Lifecycle::Close), POST),
        ["campaign", "campaigns", _, "stats"] => (Route::Stats(id(2)), GET),
        ["campaign", "campaigns", _, "timeline"] => (Route::Timeline(id(2)), GET),
        ["campaign", "campaigns", _, "contacts"] => {
            (Route::Contacts(id(2)), &[Method::GET, Method::POST])
        }
        ["campaign", "campaigns", _, "contacts", "import"] => (
            Route::ContactsImport(id(2)),
            &[Method::GET, Method::POST, Method::DELETE],
        ),
        ["campaign", "campaigns", _, "contacts", _] => {
            (Route::Contact(id(2), id(4)), &[Method::GET, Method::DELETE])
        }
        ["campaign", "attempts", _, "result"] => (Route::AttemptResult(id(2)), POST),
        ["campaign", "twilio", "status"] => (Route::TwilioStatus, POST),
        _ => return None,
    })
}

/// The `Allow` header of a 405: the route's methods, with HEAD wherever GET is.
fn allowed(methods: &'static [Method]) -> Vec<&'static str> {
    methods
        .iter()
        .flat_map(|m| match *m {
            Method::GET => vec!["GET", "HEAD"],
            _ => vec![m.as_str()],
        })
        .collect()
}

/// What each route and method asks of the caller (docs/api.md §2).
fn access(route: &Route, method: &Method) -> Access {
    match route {
        Route::Health | Route::Metrics | Route::Root | Route::Admin(_) | Route::OpenApi => {
            Access::Public
        }
        Route::DocsPage | Route::Docs(_) => Access::Public,
        // Authenticated by its X-Twilio-Signature instead (api/twilio.rs).
        Route::TwilioStatus => Access::Public,
        Route::Timezones => Access::AnyCredential,
        Route::ConcurrencySettings if method == Method::GET => Access::Org(scope::CONCURRENCY_READ),
        Route::ConcurrencySettings => Access::Org(scope::CONCURRENCY_MANAGE),
        _ if method == Method::GET => Access::Org(scope::READ),
        _ => Access::Org(scope::MANAGE),
    }
}

/// Splits a path into percent-decoded segments; `None` when a segment is not UTF-8.
fn segments(path: &str) -> Option<Vec<String>> {
    path.strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|s| s.into_owned())
        })
        .collect()
}

async fn handle(app: Arc<App>, path: String, mut request: Request) -> warp::reply::Response {
    let started = std::time::Instant::now();
    let mut template = UNMATCHED;
    let response = match dispatch(&app, &path, &mut request, &mut template).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    if app.metrics.enabled {
        crate::metrics::http_request(
            template,
            request.method.as_str(),
            response.status().as_u16(),
            started.elapsed(),
        );
    }
    response
}

async fn dispatch(
    app: &App,
    path: &str,
    request: &mut Request,
    template: &mut &'static str,
) -> ApiResult<warp::reply::Response> {
    let (route, methods) = segments(path)
        .as_deref()
        .and_then(resolve)
        .filter(|(route, _)| app.metrics.enabled || !matches!(route, Route::Metrics))
        .ok_or(ApiError::NotFound("Not Found"))?;
    *template = route.template();
    // HEAD is GET without the body (RFC 9110 §9.3.2): the GET handler answers, and hyper sends
    // its status and headers (Content-Length included) but never the body of a HEAD response.
    let method = match request.method.clone() {
        Method::HEAD if methods.contains(&Method::GET) => Method::GET,
        method => method,
    };
    if !methods.contains(&method) {
        return Err(ApiError::MethodNotAllowed(allowed(methods)));
    }
    let caller = auth::authorize(
        &app.store,
        app.clock,
        &app.credentials,
        &request.headers,
        access(&route, &method),
    )
    .await?;
    let ctx = Ctx {
        app,
        caller: &caller,
    };
    match (route, method) {
        (Route::Health, _) => settings::health(ctx).await,
        (Route::Metrics, _) => settings::metrics(ctx).await,
        (Route::Root, _) => Ok(admin::redirect_to_admin()),
        (Route::Admin(file), _) => Ok(admin::serve(&file)),
        (Route::DocsPage, _) => Ok(docs::page()),
        (Route::Docs(file), _) => Ok(docs::file(&file)),
        (Route::OpenApi, _) => Ok(json_response(StatusCode::OK, crate::openapi::document())),
        (Route::Timezones, _) => Ok(settings::timezones()),
        (Route::ConcurrencySettings, Method::GET) => settings::get_concurrency(ctx).await,
        (Route::ConcurrencySettings, _) => settings::put_concurrency(ctx, request).await,
        (Route::Configurations, Method::GET) => configurations::list(ctx, request).await,
        (Route::Configurations, _) => configurations::create(ctx, request).await,
        (Route::Configuration(id), Method::GET) => configurations::get(ctx, &id).await,
        (Route::Configuration(id), Method::PATCH) => {
            configurations::update(ctx, &id, request).await
        }
        (Route::Configuration(id), _) => configurations::delete(ctx, &id).await,
        (Route::Campaigns, Method::GET) => campaigns::list(ctx, request).await,
        (Route::Campaigns, _) => campaigns::create(ctx, request).await,
        (Route::Campaign(id), Method::GET) => campaigns::get(ctx, &id).await,
        (Route::Campaign(id), _) => campaigns::update(ctx, &id, request).await,
        (Route::Lifecycle(id, action), _) => campaigns::lifecycle(ctx, &id, action).await,
        (Route::Stats(id), _) => contacts::stats(ctx, &id).await,
        (Route::Timeline(id), _) => timeline::get(ctx, &id, request).await,
        (Route::Contacts(id), Method::GET) => contacts::list(ctx, &id, request).await,
        (Route::Contacts(id), _) => contacts::upsert(ctx, &id, request).await,
        (Route::ContactsImport(id), Method::POST) => contacts::import(ctx, &id, request).await,
        (Route::ContactsImport(id), Method::GET) => contacts::get(ctx, &id, "import").await,
        (Route::ContactsImport(id), _) => contacts::delete(ctx, &id, "import").await,
        (Route::Contact(id, contact), Method::GET) => contacts::get(ctx, &id, &contact).await,
        (Route::Contact(id, contact), _) => contacts::delete(ctx, &id, &contact).await,
        (Route::AttemptResult(id), _) => attempts::report_result(ctx, &id, request).await,
        (Route::TwilioStatus, _) => twilio::status_callback(app, request).await,
    }
}

/// What a handler gets: the app and the authorised caller.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub app: &'a App,
    pub caller: &'a auth::Caller,
}

impl Ctx<'_> {
    /// The organisation of an organisation-scoped route (`Access::Org`), which `authorize` set.
    pub fn org(&self) -> OrgId {
        self.caller
            .org
            .clone()
            .expect("an organisation-scoped route has an organisation")
    }
}

pub fn json_response<T: Serialize + ?Sized>(
    status: StatusCode,
    value: &T,
) -> warp::reply::Response {
    let body = serde_json::to_vec(value).expect("API values serialise");
    let mut response = warp::http::Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().expect("ASCII"));
    response
}

pub fn ok<T: Serialize + ?Sized>(value: &T) -> ApiResult<warp::reply::Response> {
    Ok(json_response(StatusCode::OK, value))
}

pub fn created<T: Serialize + ?Sized>(value: &T) -> ApiResult<warp::reply::Response> {
    Ok(json_response(StatusCode::CREATED, value))
}

pub fn no_content() -> ApiResult<warp::reply::Response> {
    let mut response = warp::reply::Response::new(Default::default());
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

fn boxed_body<S, B>(body: S) -> BodyStream
where
    S: Stream<Item = Result<B, warp::Error>> + Send + 'static,
    B: warp::Buf,
{
    Box::pin(body.map(|chunk| chunk.map(|mut buf| buf.copy_to_bytes(buf.remaining()))))
}

/// The warp filter that serves all of campaignd.
pub fn routes(
    app: Arc<App>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = std::convert::Infallible> + Clone {
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    warp::method()
        .and(warp::path::full())
        .and(query)
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .then(
            move |method, path: warp::path::FullPath, query, headers, body| {
                let request = Request {
                    method,
                    headers,
                    query,
                    body: Some(boxed_body(body)),
                };
                handle(app.clone(), path.as_str().to_string(), request)
            },
        )
        .recover(|_rejection| async {
            Ok::<_, std::convert::Infallible>(ApiError::NotFound("Not Found").into_response())
        })
        .unify()
        .map(|mut response: warp::reply::Response| {
            response
                .headers_mut()
                .insert("x-content-type-options", "nosniff".parse().expect("ASCII"));
            response
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every path of up to 5 segments made of the document's words (and a sample parameter)
    /// resolves exactly when a documented template matches it, to exactly the documented methods:
    /// a route added to the router but not to the document (or the reverse) fails here.
    #[test]
    fn the_router_serves_exactly_the_documented_paths() {
        let doc = crate::openapi::document();
        let paths = doc["paths"].as_object().unwrap();
        let templates: Vec<(Vec<&str>, BTreeSet<String>)> = paths
            .iter()
            .map(|(path, item)| {
                let methods = item.as_object().unwrap().keys();
                (
                    path[1..].split('/').collect(),
                    methods.map(|m| m.to_uppercase()).collect(),
                )
            })
            .collect();
        let mut words: BTreeSet<&str> = templates
            .iter()
            .flat_map(|(segments, _)| segments.iter().copied())
            .filter(|s| !s.starts_with('{'))
            .collect();
        words.extend(["sample", "default", "export", "settings", ""]);
        let words: Vec<&str> = words.into_iter().collect();

        let mut path: Vec<String> = Vec::new();
        let mut checked = 0;
        fn walk(
            path: &mut Vec<String>,
            words: &[&str],
            templates: &[(Vec<&str>, BTreeSet<String>)],
            checked: &mut usize,
        ) {
            if !path.is_empty() && path[0] != "admin" && !(path.len() == 1 && path[0].is_empty()) {
                let documented: BTreeSet<String> = templates
                    .iter()
                    .filter(|(t, _)| {
                        t.len() == path.len()
                            && t.iter().zip(path.iter()).all(|(t, p)| {
                                *t == p.as_str() || (t.starts_with('{') && !p.is_empty())
                            })
                    })
                    .flat_map(|(_, methods)| methods.iter().cloned())
                    .collect();
                let routed: BTreeSet<String> = resolve(path)
                    .map(|(_, methods)| methods.iter().map(|m| m.to_string()).collect())
                    .unwrap_or_default();
                assert_eq!(routed, documented, "/{}", path.join("/"));
                *checked += 1;
            }
            if path.len() == 5 {
                return;
            }
            for word in words {
                path.push(word.to_string());
                walk(path, words, templates, checked);
                path.pop();
            }
        }
        walk(&mut path, &words, &templates, &mut checked);
        assert!(checked > 100_000, "{checked} paths");
    }
}
