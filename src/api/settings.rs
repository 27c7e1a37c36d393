//! Health, the timezone list, and the organisation's concurrency settings.

use super::validate::{Checker, Loc};
use super::{ApiError, ApiResult, Ctx, Request, ok};
use crate::domain::ids::OrgId;
use crate::domain::time;
use crate::store::orgs;
use serde_json::json;
use warp::http::StatusCode;

/// `GET /metrics`: the Prometheus text format (no credential; `--metrics off` hides the route).
pub async fn metrics(ctx: Ctx<'_>) -> ApiResult<warp::reply::Response> {
    let counts = ctx
        .app
        .store
        .read(crate::store::maintenance::counts_for_metrics)
        .await?;
    let text = crate::metrics::render(counts, ctx.app.metrics.org_labels);
    let mut response = warp::reply::Response::new(text.into());
    response.headers_mut().insert(
        "content-type",
        "text/plain; version=0.0.4; charset=utf-8"
            .parse()
            .expect("ASCII"),
    );
    Ok(response)
}

pub async fn health(ctx: Ctx<'_>) -> ApiResult<warp::reply::Response> {
    let answered = ctx.app.store.read(crate::store::ping).await;
    let store = crate::store::postgres::dialect_name(ctx.app.store.dialect());
    Ok(match answered {
        Ok(()) => {
            let mut body = json!({
                "status": "ok",
                "dialer": ctx.app.dialer.mode.as_str(),
                "store": store,
            });
            if ctx.app.dialer.mode != crate::dialer::Mode::Off {
                body["dialer_leader"] = json!(ctx.app.leads_dialing());
            }
            super::json_response(StatusCode::OK, &body)
        }
        Err(error) => {
            tracing::warn!("health check: {error}");
            super::json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"status": "unavailable", "store": store}),
            )
        }
    })
}

pub fn timezones() -> warp::reply::Response {
    super::json_response(StatusCode::OK, time::timezone_names())
}

fn settings_json(org: &OrgId, limit: i64) -> serde_json::Value {
    json!({"organization_id": org, "concurrency_limit": limit})
}

pub async fn get_concurrency(ctx: Ctx<'_>) -> ApiResult<warp::reply::Response> {
    let org = ctx.org();
    let (limit, _) = ctx
        .app
        .store
        .read({
            let org = org.clone();
            move |conn| orgs::concurrency(conn, &org)
        })
        .await?;
    ok(&settings_json(&org, limit))
}

pub async fn put_concurrency(
    ctx: Ctx<'_>,
    request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    let body = request.json().await?;
    let mut check = Checker::default();
    let limit = check.object(&body, &Loc::body()).and_then(|map| {
        check.required(map, "concurrency_limit", &Loc::body(), |c, v, l| {
            c.int(v, l, 1, 10_000)
        })
    });
    let Some(limit) = limit else {
        return Err(ApiError::Invalid(check.problems));
    };
    let org = ctx.org();
    let stored_org = org.clone();
    ctx.app
        .store
        .write(move |conn| orgs::set_concurrency_limit(conn, &stored_org, limit))
        .await?;
    ok(&settings_json(&org, limit))
}
