//! `POST /campaign/twilio/status`: Twilio's status callbacks for the calls of the Twilio placer
//! (docs/telephony.md, "Twilio"). No bearer credential: Twilio cannot send one, so each callback
//! is authenticated by its `X-Twilio-Signature`, made with the auth token over the URL Twilio
//! called (`--public-url` and this path) and the form's parameters.

use super::validate::{Checker, Loc};
use super::{ApiError, ApiResult, Request, ok};
use crate::App;
use crate::domain::ids::AttemptId;
use crate::domain::twilio::{self, CallProgress, STATUS_PATH};
use crate::store::attempts::{self, CallEnd};
use serde_json::{Value, json};
use std::time::Duration;

/// How long a callback naming an unknown call waits for it to become known. Twilio may call
/// back (`initiated`, or at once `failed`) before campaignd has read the `201` that tells it the
/// call's sid; only a signed request gets this far, so the wait cannot be abused by strangers.
/// How often a callback for a call not known yet reads the store again (the call may have been
/// placed by another node).
const STORED_CALL_POLL: Duration = Duration::from_millis(100);
const UNKNOWN_CALL_WAIT: Duration = Duration::from_secs(2);

const CALL_NOT_FOUND: ApiError = ApiError::NotFound("Call not found");

pub async fn status_callback(app: &App, request: &mut Request) -> ApiResult<warp::reply::Response> {
    let arrived = app.clock.now();
    let Some(settings) = app.dialer.twilio.as_ref() else {
        return Err(ApiError::Forbidden(
            "Twilio status callbacks need --twilio-auth-token to be verified".into(),
        ));
    };
    let body = request.body().await?;
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let Some(signature) = request
        .headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return Err(ApiError::Forbidden(
            "Missing X-Twilio-Signature header".into(),
        ));
    };
    // The URL Twilio called, as it knows it: the public URL, this path and the query sent.
    let mut url = format!("{}{STATUS_PATH}", app.public_url());
    if !request.query.is_empty() {
        url = format!("{url}?{}", request.query);
    }
    if !twilio::verify(&settings.auth_token, &url, &params, signature) {
        // The usual cause is a --public-url other than the URL Twilio calls: say which was used.
        tracing::warn!(
            "a Twilio status callback's X-Twilio-Signature does not verify over {url}: \
             refused (is that the URL Twilio calls? --public-url sets it)"
        );
        return Err(ApiError::Forbidden("Invalid X-Twilio-Signature".into()));
    }

    let (call_sid, call_status, answered_by) = read_callback(&params)?;
    let progress = twilio::progress(&call_status, answered_by.as_deref()).ok_or_else(|| {
        let mut c = Checker::default();
        let status = Value::String(call_status.clone());
        c.one_of(
            &status,
            &Loc::body().at("CallStatus"),
            &twilio::CALL_STATUSES,
        );
        ApiError::Invalid(c.problems)
    })?;
    let attempt_id = wait_for_call(app, &call_sid).await?;
    let answer = |outcome: Option<&str>, changed: bool| {
        ok(&json!({
            "attempt_id": attempt_id, "call_status": call_status,
            "outcome": outcome, "changed": changed,
        }))
    };
    let CallProgress::Ended(outcome) = progress else {
        return answer(None, false);
    };
    let duration = param(&params, "CallDuration").unwrap_or_default();
    let (sid, attempt) = (call_sid.clone(), attempt_id.clone());
    let ended = app
        .store
        .write(move |conn| attempts::end_call(conn, &attempt, &sid, outcome, arrived))
        .await?;
    // From now on the attempt is found by its conversation_id.
    app.twilio_calls.forget(&call_sid);
    match ended {
        None => Err(CALL_NOT_FOUND),
        Some(CallEnd::Ended) => {
            tracing::debug!(
                "twilio call {call_sid} of attempt {attempt_id} ended {call_status} \
                 ({} s): {}",
                duration,
                outcome.as_str()
            );
            // A call ended: its slot is free for the next one.
            app.wake_dialer.notify_one();
            answer(Some(outcome.as_str()), true)
        }
        Some(CallEnd::AlreadyEnded) => answer(Some(outcome.as_str()), false),
    }
}

/// The first value of a form parameter.
fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// `CallSid` and `CallStatus` (both required), and `AnsweredBy`.
fn read_callback(params: &[(String, String)]) -> ApiResult<(String, String, Option<String>)> {
    let mut c = Checker::default();
    let enclosing = Value::Object(
        params
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect(),
    );
    let mut required = |name: &str| {
        let value = param(params, name).filter(|v| !v.is_empty());
        if value.is_none() {
            c.missing(&Loc::body().at(name), &enclosing);
        }
        value
    };
    let (sid, status) = (required("CallSid"), required("CallStatus"));
    match (sid, status) {
        (Some(sid), Some(status)) => Ok((sid, status, param(params, "AnsweredBy"))),
        _ => Err(ApiError::Invalid(c.problems)),
    }
}

/// The attempt of the call `call_sid`: one this node's placer just created, else one whose sid
/// is written, else (Twilio called back before the placer read the `201`) waiting up to
/// `UNKNOWN_CALL_WAIT` for the placer to learn it — this node's in memory, another node's (on
/// PostgreSQL) by reading again every `STORED_CALL_POLL`; 404 after that.
async fn wait_for_call(app: &App, call_sid: &str) -> ApiResult<AttemptId> {
    if let Some(attempt_id) = app.twilio_calls.attempt_of(call_sid) {
        return Ok(attempt_id);
    }
    let stored = || {
        let sid = call_sid.to_string();
        app.store
            .read(move |conn| attempts::by_conversation(conn, &sid))
    };
    let deadline = tokio::time::Instant::now() + UNKNOWN_CALL_WAIT;
    loop {
        if let Some(attempt_id) = stored().await? {
            return Ok(attempt_id);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(CALL_NOT_FOUND);
        }
        if let Some(attempt_id) = app.twilio_calls.wait_for(call_sid, STORED_CALL_POLL).await {
            return Ok(attempt_id);
        }
    }
}
