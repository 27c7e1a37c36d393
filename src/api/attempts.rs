//! `POST /campaign/attempts/{attempt_id}/result`: the user's telephony reports how a call it took
//! from the webhook placer ended (docs/telephony.md).

use super::validate::{Checker, Loc};
use super::{ApiError, ApiResult, Ctx, Request, ok};
use crate::domain::attempt::MAX_CONVERSATION_ID;
use crate::domain::ids::AttemptId;
use crate::domain::status::Outcome;
use crate::domain::time;
use crate::store::StoreError;
use crate::store::attempts::{self, Report, Reported};
use jiff::Timestamp;
use serde_json::Value;

const ATTEMPT_NOT_FOUND: ApiError = ApiError::NotFound("Attempt not found");

/// A result body, read.
struct ResultIn {
    outcome: Outcome,
    ended_at: Option<Timestamp>,
    conversation_id: Option<String>,
}

pub async fn report_result(
    ctx: Ctx<'_>,
    attempt_id: &str,
    request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    let body = request.json().await?;
    let result = read_result(&body)?;
    let (Some(attempt_id), org) = (AttemptId::parse(attempt_id), ctx.org()) else {
        return Err(ATTEMPT_NOT_FOUND);
    };
    let clock = ctx.app.clock;
    let reported = ctx
        .app
        .store
        .write(move |conn| {
            let report = Report {
                attempt_id: &attempt_id,
                outcome: result.outcome,
                ended_at: result.ended_at,
                conversation_id: result.conversation_id.as_deref(),
            };
            attempts::report(conn, &org, &report, clock.now())
        })
        .await;
    let loc = Loc::body().at("ended_at");
    let input = body.get("ended_at").cloned().unwrap_or(Value::Null);
    let mut check = Checker::default();
    match reported {
        Err(StoreError::NotFound) => Err(ATTEMPT_NOT_FOUND),
        Err(error) => Err(error.into()),
        Ok(Reported::Contact { contact, ended }) => {
            if ended {
                crate::metrics::attempt_ended(result.outcome.as_str());
                // A call ended: its slot is free for the next one.
                ctx.app.wake_dialer.notify_one();
            }
            ok(&contact)
        }
        Ok(Reported::AlreadyEnded) => Err(ApiError::Conflict("Attempt already ended".into())),
        Ok(Reported::BeforeStart(started_at)) => {
            check.value_error(
                &loc,
                format!("ended_at is before the attempt started ({started_at})"),
                &input,
            );
            Err(ApiError::Invalid(check.problems))
        }
        Ok(Reported::InTheFuture) => {
            check.value_error(
                &loc,
                format!("ended_at is in the future (now is {})", clock.now_text()),
                &input,
            );
            Err(ApiError::Invalid(check.problems))
        }
    }
}

/// `{"outcome", "ended_at"?, "conversation_id"?}`: every shape problem at once.
fn read_result(body: &Value) -> ApiResult<ResultIn> {
    let mut c = Checker::default();
    let loc = Loc::body();
    let Some(map) = c.object(body, &loc) else {
        return Err(ApiError::Invalid(c.problems));
    };
    let outcome = c.required(map, "outcome", &loc, |c, v, l| {
        c.one_of(v, l, Outcome::NAMES).and_then(Outcome::parse)
    });
    let ended_at = c.optional(map, "ended_at", &loc, |c, v, l| {
        let text = c.string(v, l, 1, 64)?;
        let at = rfc3339(&text);
        if at.is_none() {
            let msg = "Input should be a valid datetime: RFC 3339 with an offset or Z";
            c.push("datetime_parsing", l, msg, v, None);
        }
        at
    });
    let conversation_id = c.optional(map, "conversation_id", &loc, |c, v, l| {
        c.string(v, l, 0, MAX_CONVERSATION_ID)
    });
    match (outcome, ended_at, conversation_id) {
        (Some(outcome), Some(ended_at), Some(conversation_id)) if c.is_ok() => Ok(ResultIn {
            outcome,
            ended_at,
            conversation_id,
        }),
        _ => Err(ApiError::Invalid(c.problems)),
    }
}

/// An RFC 3339 instant with an offset (a local time has no meaning here), to the millisecond.
pub(super) fn rfc3339(text: &str) -> Option<Timestamp> {
    let offset = text.len() >= 16 && {
        let time_part = &text[10..];
        time_part.ends_with(['Z', 'z']) || time_part.contains(['+', '-'])
    };
    if !text.is_ascii() || !offset {
        return None;
    }
    text.parse::<Timestamp>().ok().map(time::truncate_ms)
}
