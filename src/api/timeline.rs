//! `GET /campaign/campaigns/{id}/timeline` [ext]: a campaign's calls bucket by bucket, read from
//! the counters the writes keep (so its cost follows the range, not the campaign), with the
//! finish estimate. `{id}` may be `default`: the organisation's ad-hoc contacts.

use super::validate::{Checker, Loc};
use super::{ApiError, ApiResult, Ctx, Request, ok};
use crate::domain::ids::CampaignId;
use crate::domain::status::CampaignStatus;
use crate::domain::time;
use crate::domain::timeline::{self as domain, Bucket, MAX_BUCKETS, Range, minute_of};
use crate::store::configurations::Rules;
use crate::store::contacts::{self as contacts_store, Scope};
use crate::store::{campaigns, timeline as store};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};

const NOT_FOUND: ApiError = ApiError::NotFound("Campaign not found");

/// The query as sent; absent values take their defaults once the campaign is known.
struct Query {
    bucket: Option<Bucket>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
}

fn read_query(pairs: &[(String, String)]) -> ApiResult<Query> {
    let mut check = Checker::default();
    let mut query = Query {
        bucket: None,
        from: None,
        to: None,
    };
    for (name, value) in pairs {
        let loc = Loc::query().at(name.as_str());
        match name.as_str() {
            "bucket" => {
                query.bucket = check
                    .one_of(&Value::String(value.clone()), &loc, &Bucket::NAMES)
                    .and_then(Bucket::parse);
            }
            "from" => query.from = instant(&mut check, value, &loc),
            "to" => query.to = instant(&mut check, value, &loc),
            _ => {}
        }
    }
    if let (Some(from), Some(to)) = (query.from, query.to) {
        check_order(&mut check, from, to);
    }
    if check.is_ok() {
        Ok(query)
    } else {
        Err(ApiError::Invalid(check.problems))
    }
}

fn instant(check: &mut Checker, text: &str, loc: &Loc) -> Option<Timestamp> {
    let at = super::attempts::rfc3339(text);
    if at.is_none() {
        let msg = "Input should be a valid datetime: RFC 3339 with an offset or Z";
        check.push(
            "datetime_parsing",
            loc,
            msg,
            &Value::String(text.to_string()),
            None,
        );
    }
    at
}

fn check_order(check: &mut Checker, from: Timestamp, to: Timestamp) {
    if from >= to {
        check.value_error(
            &Loc::query().at("from"),
            format!(
                "from ({}) must be before to ({})",
                time::format(from),
                time::format(to)
            ),
            &Value::String(time::format(from)),
        );
    }
}

/// What the read finds: the scope and its campaign's state, the buckets and the estimate's inputs.
struct Found {
    campaign_id: Option<CampaignId>,
    status: Option<CampaignStatus>,
    rules: Option<Rules>,
    range: Range,
    buckets: Vec<store::Counts>,
    remaining: i64,
    recent: Vec<domain::Minute>,
}

pub async fn get(
    ctx: Ctx<'_>,
    id: &str,
    request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    let query = read_query(&request.query_pairs())?;
    let (org, id) = (ctx.org(), id.to_string());
    let now = ctx.app.clock.now();
    let found = ctx
        .app
        .store
        .read(move |conn| {
            let (scope, status, rules, created_at) = if id == "default" {
                // Ad-hoc contacts have no campaign: their timeline starts at their first call
                // (else an hour ago).
                let scope = Scope {
                    org: org.clone(),
                    campaign_id: None,
                };
                let first = store::first_minute(conn, &scope)?.map(domain::at_minute);
                let hour_ago = now
                    .saturating_sub(SignedDuration::from_hours(1))
                    .unwrap_or(now);
                (scope, None, None, first.unwrap_or(hour_ago))
            } else {
                let Some(campaign) = campaigns::resolve(conn, &org, &id)? else {
                    return Ok(Err(NOT_FOUND));
                };
                let rules = Rules::of_campaign(conn, Some(&campaign.id))?;
                let created: Timestamp = campaign.created_at.parse().unwrap_or(now);
                let scope = Scope {
                    org: org.clone(),
                    campaign_id: Some(campaign.id),
                };
                (scope, Some(campaign.status), rules, created)
            };
            let to = query.to.unwrap_or(now);
            // A default `from` never reaches `to` (a `to` before the campaign existed): then it
            // is the minute before `to`.
            let from = query.from.unwrap_or(if created_at < to {
                created_at
            } else {
                to.saturating_sub(SignedDuration::from_mins(1))
                    .unwrap_or(to)
            });
            let mut check = Checker::default();
            check_order(&mut check, from, to);
            if !check.is_ok() {
                return Ok(Err(ApiError::Invalid(check.problems)));
            }
            let bucket = query
                .bucket
                .unwrap_or_else(|| Bucket::default_for(from, to));
            let range = Range::new(bucket, from, to);
            if range.count > MAX_BUCKETS {
                return Ok(Err(too_many(&range, query.bucket.is_some(), from)));
            }
            let counts = contacts_store::counts(conn, &scope)?;
            Ok(Ok(Found {
                buckets: store::buckets(conn, &scope, &range)?,
                recent: store::recent_minutes(conn, &scope, minute_of(now))?,
                remaining: counts.pending + counts.locked + counts.in_progress,
                campaign_id: scope.campaign_id,
                status,
                rules,
                range,
            }))
        })
        .await??;

    let estimate = domain::estimate(&domain::Inputs {
        remaining: found.remaining,
        campaign_status: found.status,
        schedule: found.rules.as_ref().map(|r| &r.schedule),
        rate: domain::recent_rate(&found.recent),
        now,
    });
    let range = found.range;
    let buckets: Vec<BucketOut> = found
        .buckets
        .iter()
        .enumerate()
        .map(|(i, c)| BucketOut {
            start: time::format(domain::at_minute(range.start(i as i64))),
            attempts_started: c[0],
            outcomes: Outcomes {
                answered: c[1],
                voicemail: c[2],
                no_answer: c[3],
                busy: c[4],
                failed: c[5],
            },
            contacts_completed: c[6],
            contacts_exhausted: c[7],
        })
        .collect();
    ok(&TimelineOut {
        campaign_id: found.campaign_id,
        bucket: range.bucket.as_str(),
        from: time::format(domain::at_minute(range.first)),
        to: time::format(domain::at_minute(range.end())),
        buckets,
        estimate: estimate_json(&estimate),
    })
}

/// The answer, serialised straight from these structs: up to 1,000 buckets, no `Value` tree.
#[derive(Serialize)]
struct TimelineOut {
    campaign_id: Option<CampaignId>,
    bucket: &'static str,
    from: String,
    to: String,
    buckets: Vec<BucketOut>,
    estimate: Value,
}

#[derive(Serialize)]
struct BucketOut {
    start: String,
    attempts_started: i64,
    outcomes: Outcomes,
    contacts_completed: i64,
    contacts_exhausted: i64,
}

#[derive(Serialize)]
struct Outcomes {
    answered: i64,
    voicemail: i64,
    no_answer: i64,
    busy: i64,
    failed: i64,
}

/// 422 for a range of more than `MAX_BUCKETS`: at `bucket` when the caller chose it, else at
/// `from` (the day buckets of a range that long are still too many).
fn too_many(range: &Range, bucket_given: bool, from: Timestamp) -> ApiError {
    let mut check = Checker::default();
    let msg = format!(
        "from and to span {} buckets of one {}; at most {MAX_BUCKETS} are allowed: choose a \
         larger bucket or a shorter range",
        range.count,
        range.bucket.as_str()
    );
    if bucket_given {
        check.value_error(
            &Loc::query().at("bucket"),
            msg,
            &Value::String(range.bucket.as_str().into()),
        );
    } else {
        check.value_error(
            &Loc::query().at("from"),
            msg,
            &Value::String(time::format(from)),
        );
    }
    ApiError::Invalid(check.problems)
}

fn estimate_json(e: &domain::Estimate) -> Value {
    json!({
        "state": e.state.as_str(),
        "remaining_contacts": e.remaining,
        "rate_per_hour": e.rate.map(|r| (r.per_hour() * 10.0).round() / 10.0),
        "calling_left_minutes": e.calling_left.map(|d| d.as_mins()),
        "done_at": e.done_at.map(time::format),
        "next_window_at": e.next_window_at.map(time::format),
        "timezone": e.timezone,
    })
}
