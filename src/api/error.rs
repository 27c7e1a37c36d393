//! The one error type of the HTTP edge, and its mapping to a status and `{"detail": …}`.

use super::validate::Problem;
use crate::store::StoreError;
use serde_json::json;
use warp::http::StatusCode;

#[derive(Debug)]
pub enum ApiError {
    /// 404 with this detail (`Not Found`, `Campaign not found`, …).
    NotFound(&'static str),
    MethodNotAllowed(Vec<&'static str>),
    /// 401 with this detail; always with `WWW-Authenticate: Bearer`.
    Unauthorized(&'static str),
    Forbidden(String),
    TooLarge,
    Invalid(Vec<Problem>),
    /// 400: understood, but not in this state.
    BadRequest(String),
    Conflict(String),
    Busy,
    /// 503: the database server does not answer.
    Unavailable,
    /// 500; the cause goes to the log, never to the client.
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The refusal of a write into a closed campaign.
pub const CLOSED_CAMPAIGN: &str = "Cannot add contacts to a closed campaign";

/// An error and its causes, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text.push_str(&format!(": {error}"));
        cause = error.source();
    }
    text
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound("Not Found"),
            StoreError::Conflict(detail) => ApiError::Conflict(detail),
            StoreError::WrongState(refusal) => ApiError::BadRequest(refusal.into()),
            StoreError::CampaignClosed => ApiError::BadRequest(CLOSED_CAMPAIGN.into()),
            StoreError::ContactBeingDialled => ApiError::Conflict("Contact is being dialed".into()),
            StoreError::ConfigurationInUse(campaigns) => {
                ApiError::Conflict(format!("Configuration is used by {campaigns} campaign(s)"))
            }
            StoreError::Busy => ApiError::Busy,
            StoreError::Unavailable => ApiError::Unavailable,
            cause @ (StoreError::MissingNumbers(_)
            | StoreError::Constraint(_)
            | StoreError::NotLeader
            | StoreError::Sqlite(_)
            | StoreError::Postgres(_)
            | StoreError::Pool(_)
            | StoreError::Corrupt(_)
            | StoreError::Stopped(_)) => ApiError::Internal(error_chain(&cause)),
        }
    }
}

impl ApiError {
    pub fn into_response(self) -> warp::reply::Response {
        let (status, detail) = match &self {
            ApiError::NotFound(detail) => (StatusCode::NOT_FOUND, json!(detail)),
            ApiError::MethodNotAllowed(_) => {
                (StatusCode::METHOD_NOT_ALLOWED, json!("Method Not Allowed"))
            }
            ApiError::Unauthorized(detail) => (StatusCode::UNAUTHORIZED, json!(detail)),
            ApiError::Forbidden(detail) => (StatusCode::FORBIDDEN, json!(detail)),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!("Request body too large"),
            ),
            ApiError::Invalid(problems) => (StatusCode::UNPROCESSABLE_ENTITY, json!(problems)),
            ApiError::BadRequest(detail) => (StatusCode::BAD_REQUEST, json!(detail)),
            ApiError::Conflict(detail) => (StatusCode::CONFLICT, json!(detail)),
            ApiError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!("Service Unavailable"),
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!("Database unavailable"),
            ),
            ApiError::Internal(cause) => {
                tracing::error!("internal error: {cause}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!("Internal Server Error"),
                )
            }
        };
        let mut response = super::json_response(status, &json!({ "detail": detail }));
        let headers = response.headers_mut();
        match self {
            ApiError::MethodNotAllowed(allow) => {
                headers.insert(
                    "allow",
                    allow.join(", ").parse().expect("method names are ASCII"),
                );
            }
            ApiError::Unauthorized(_) => {
                headers.insert("www-authenticate", "Bearer".parse().expect("ASCII"));
            }
            ApiError::Busy | ApiError::Unavailable => {
                headers.insert("retry-after", "1".parse().expect("ASCII"));
            }
            _ => {}
        }
        response
    }
}
