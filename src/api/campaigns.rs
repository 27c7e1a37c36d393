//! `/campaign/campaigns`: create, list, get, update, lifecycle, stats.

use super::{ApiError, ApiResult, Ctx, Request};
use crate::domain::status::Lifecycle;

pub async fn create(_ctx: Ctx<'_>, _request: &mut Request) -> ApiResult<warp::reply::Response> {
    Err(ApiError::NotFound("Not Found"))
}
pub async fn list(_ctx: Ctx<'_>, _request: &mut Request) -> ApiResult<warp::reply::Response> {
    Err(ApiError::NotFound("Not Found"))
}
pub async fn get(_ctx: Ctx<'_>, _id: &str) -> ApiResult<warp::reply::Response> {
    Err(ApiError::NotFound("Campaign not found"))
}
pub async fn update(
    _ctx: Ctx<'_>,
    _id: &str,
    _request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    Err(ApiError::NotFound("Campaign not found"))
}
pub async fn lifecycle(
    _ctx: Ctx<'_>,
    _id: &str,
    _action: Lifecycle,
) -> ApiResult<warp::reply::Response> {
    Err(ApiError::NotFound("Campaign not found"))
}
