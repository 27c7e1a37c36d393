//! `/campaign/campaigns`: create, list, get, update, lifecycle, stats.

use super::validate::{Checker, Field, Loc};
use super::{ApiError, ApiResult, Ctx, Request, created, ok};
use crate::domain::ids::{ConfigurationId, OrgId};
use crate::domain::status::{CampaignStatus, Lifecycle};

use crate::store::Db;
use crate::store::campaigns::{self as store, Campaign, CampaignFields, ListFilter};
use crate::store::{StoreResult, configurations};
use serde_json::{Map, Value, json};

const NOT_FOUND: ApiError = ApiError::NotFound("Campaign not found");

/// External ids that clients' URL clean-up would rewrite, or that name the ad-hoc pseudo-campaign.
const RESERVED_EXTERNAL_IDS: [&str; 3] = ["default", ".", ".."];

pub async fn create(ctx: Ctx<'_>, request: &mut Request) -> ApiResult<warp::reply::Response> {
    let body = request.json().await?;
    let fields = read_new_campaign(&body)?;
    let org = ctx.org();
    let clock = ctx.app.clock;
    let result = ctx
        .app
        .store
        .write(move |conn| {
            if let Err(error) = check_configuration(conn, &org, &fields.configuration_id)? {
                return Ok(Err(error));
            }
            Ok(Ok(store::create(conn, &org, &fields, &clock.now_text())?))
        })
        .await?;
    created(&result?)
}

pub async fn list(ctx: Ctx<'_>, request: &mut Request) -> ApiResult<warp::reply::Response> {
    let mut check = Checker::default();
    let (mut limit, mut cursor, mut filter) = (50, None, ListFilter::default());
    for (name, value) in request.query_pairs() {
        let loc = Loc::query().at(name.as_str());
        match name.as_str() {
            "limit" => limit = check.int_text(&value, &loc, 1, 200).unwrap_or(limit),
            "cursor" => cursor = check.cursor(value, &loc),
            "name" => filter.name = Some(value.to_lowercase()),
            "status" => {
                let status = check
                    .one_of(&Value::String(value), &loc, CampaignStatus::NAMES)
                    .and_then(CampaignStatus::parse);
                filter.statuses.extend(status);
            }
            _ => {}
        }
    }
    if !check.is_ok() {
        return Err(ApiError::Invalid(check.problems));
    }
    let org = ctx.org();
    let (campaigns, next_cursor) = ctx
        .app
        .store
        .read(move |conn| store::list(conn, &org, limit as usize, cursor.as_ref(), &filter))
        .await?;
    ok(&json!({"campaigns": campaigns, "next_cursor": next_cursor}))
}

pub async fn get(ctx: Ctx<'_>, id: &str) -> ApiResult<warp::reply::Response> {
    let (org, id) = (ctx.org(), id.to_string());
    let found = ctx
        .app
        .store
        .read(move |conn| store::resolve(conn, &org, &id))
        .await?;
    ok(&found.ok_or(NOT_FOUND)?)
}

pub async fn update(
    ctx: Ctx<'_>,
    id: &str,
    request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    let body = request.json().await?;
    let patch = read_patch(&body)?;
    let (org, id) = (ctx.org(), id.to_string());
    let clock = ctx.app.clock;
    let result = ctx
        .app
        .store
        .write(move |conn| {
            // The order of checks: path (404), stored data (422), state (400), conflict (409).
            let Some(stored) = store::resolve(conn, &org, &id)? else {
                return Ok(Err(NOT_FOUND));
            };
            if let Some(configuration_id) = &patch.configuration_id
                && let Err(error) = check_configuration(conn, &org, configuration_id)?
            {
                return Ok(Err(error));
            }
            if stored.status == CampaignStatus::Closed {
                return Ok(Err(ApiError::BadRequest("Campaign is closed".into())));
            }
            let fields = patch.applied_to(&stored);
            Ok(Ok(store::update(
                conn,
                &org,
                &stored.id,
                &fields,
                &clock.now_text(),
            )?))
        })
        .await?;
    ok(&result?)
}

pub async fn lifecycle(
    ctx: Ctx<'_>,
    id: &str,
    action: Lifecycle,
) -> ApiResult<warp::reply::Response> {
    let (org, id) = (ctx.org(), id.to_string());
    let clock = ctx.app.clock;
    let result = ctx
        .app
        .store
        .write(move |conn| {
            let Some(campaign) = store::resolve(conn, &org, &id)? else {
                return Ok(Err(NOT_FOUND));
            };
            let now = clock.now_text();
            Ok(Ok(store::transition(
                conn,
                &org,
                &campaign.id,
                action,
                &now,
            )?))
        })
        .await?;
    ok(&result?)
}

/// The writable fields of a create or PATCH body; absent ones are `None` (a PATCH keeps them).
struct Patch {
    name: Option<String>,
    configuration_id: Option<ConfigurationId>,
    external_id: Field<String>,
    priority: Option<i64>,
}

impl Patch {
    fn applied_to(self, stored: &Campaign) -> CampaignFields {
        let stored = stored.fields();
        CampaignFields {
            name: self.name.unwrap_or(stored.name),
            external_id: self.external_id.update().unwrap_or(stored.external_id),
            priority: self.priority.unwrap_or(stored.priority),
            configuration_id: self.configuration_id.unwrap_or(stored.configuration_id),
        }
    }
}

/// Reads the writable fields (name and configuration_id required when `creating`), every
/// problem into `c`; `None` when any is bad.
fn read_fields(c: &mut Checker, map: &Map<String, Value>, creating: bool) -> Option<Patch> {
    let loc = Loc::body();
    let required = |c: &mut Checker, key: &str| {
        let missing = creating && !map.contains_key(key);
        if missing {
            c.missing(&loc.at(key), &Value::Object(map.clone()));
        }
        !missing
    };
    let name = required(c, "name")
        .then(|| c.optional(map, "name", &loc, |c, v, l| c.string(v, l, 1, 200)))
        .flatten();
    let configuration_id = required(c, "configuration_id")
        .then(|| c.optional(map, "configuration_id", &loc, Checker::uuid))
        .flatten();
    let external_id = c.nullable(map, "external_id", &loc, external_id);
    let priority = c.optional(map, "priority", &loc, |c, v, l| c.int(v, l, 0, 100));
    Some(Patch {
        name: name?,
        configuration_id: configuration_id?,
        external_id: external_id?,
        priority: priority?,
    })
}

fn read_new_campaign(body: &Value) -> ApiResult<CampaignFields> {
    let mut c = Checker::default();
    let Some(map) = c.object(body, &Loc::body()) else {
        return Err(ApiError::Invalid(c.problems));
    };
    let fields = read_fields(&mut c, map, true);
    // A new campaign is active: pausing or closing it is a lifecycle action afterwards.
    c.optional(map, "status", &Loc::body(), |c, v, l| {
        c.one_of(v, l, &["active"])
    });
    match fields {
        Some(Patch {
            name: Some(name),
            configuration_id: Some(configuration_id),
            external_id,
            priority,
        }) if c.is_ok() => Ok(CampaignFields {
            name,
            external_id: external_id.update().flatten(),
            priority: priority.unwrap_or(0),
            configuration_id,
        }),
        _ => Err(ApiError::Invalid(c.problems)),
    }
}

fn read_patch(body: &Value) -> ApiResult<Patch> {
    let mut c = Checker::default();
    let Some(map) = c.object(body, &Loc::body()) else {
        return Err(ApiError::Invalid(c.problems));
    };
    let patch = read_fields(&mut c, map, false);
    if let Some(status) = map.get("status") {
        c.value_error(
            &Loc::body().at("status"),
            "status cannot be changed by PATCH: use POST /campaign/campaigns/{id}/start, /pause or /close",
            status,
        );
    }
    match patch {
        Some(patch) if c.is_ok() => Ok(patch),
        _ => Err(ApiError::Invalid(c.problems)),
    }
}

/// A campaign external_id: 1–255 characters, not one of the reserved names.
pub fn external_id(c: &mut Checker, value: &Value, loc: &Loc) -> Option<String> {
    let text = c.string(value, loc, 1, 255)?;
    if RESERVED_EXTERNAL_IDS.contains(&text.as_str()) {
        c.value_error(
            loc,
            format!("'{text}' cannot be a campaign external_id (reserved)"),
            value,
        );
        return None;
    }
    Some(text)
}

/// 422 at `["body","configuration_id"]` unless the configuration is one of the organisation's
/// (another organisation's reads as unknown, so nothing about it is revealed).
fn check_configuration(conn: &Db, org: &OrgId, id: &ConfigurationId) -> StoreResult<ApiResult<()>> {
    if configurations::exists(conn, org, id)? {
        return Ok(Ok(()));
    }
    let mut c = Checker::default();
    c.value_error(
        &Loc::body().at("configuration_id"),
        format!("Configuration '{id}' not found"),
        &Value::String(id.to_string()),
    );
    Ok(Err(ApiError::Invalid(c.problems)))
}
