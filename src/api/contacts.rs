//! `/campaign/campaigns/{id}/contacts`: upsert, list, get, delete, CSV import.

use super::{ApiError, ApiResult, Ctx, Request};

pub async fn upsert(
    _ctx: Ctx<'_>,
    _id: &str,
    _request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    Err(ApiError::NotFound("Campaign not found"))
}
pub async fn list(
    _ctx: Ctx<'_>,
    _id: &str,
    _request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    Err(ApiError::NotFound("Campaign not found"))
}
pub async fn get(_ctx: Ctx<'_>, _id: &str, _contact: &str) -> ApiResult<warp::reply::Response> {
    Err(ApiError::NotFound("Campaign not found"))
}
pub async fn delete(_ctx: Ctx<'_>, _id: &str, _contact: &str) -> ApiResult<warp::reply::Response> {
    Err(ApiError::NotFound("Campaign not found"))
}
pub async fn import(
    _ctx: Ctx<'_>,
    _id: &str,
    _request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    Err(ApiError::NotFound("Campaign not found"))
}
