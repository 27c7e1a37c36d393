//! `/campaign/configurations`: create, list, get, update (validated as the merged result), delete.

use super::validate::{Checker, Field, Loc};
use super::{ApiError, ApiResult, Ctx, Request, created, no_content, ok};
use crate::domain::contact;
use crate::domain::ids::ConfigurationId;
use crate::domain::phone::{self, Region};
use crate::domain::schedule::{self, ScheduleOverride, TimeWindow};
use crate::domain::time;
use crate::store::configurations::{self as store, ConfigurationFields};
use serde_json::{Value, json};

const NOT_FOUND: ApiError = ApiError::NotFound("Configuration not found");

pub async fn create(ctx: Ctx<'_>, request: &mut Request) -> ApiResult<warp::reply::Response> {
    let body = request.json().await?;
    let fields = read_configuration(&body)?;
    let org = ctx.org();
    let clock = ctx.app.clock;
    let configuration = ctx
        .app
        .store
        .write(move |conn| store::create(conn, &org, &fields, &clock.now_text()))
        .await?;
    created(&configuration)
}

pub async fn list(ctx: Ctx<'_>, request: &mut Request) -> ApiResult<warp::reply::Response> {
    let mut check = Checker::default();
    let (mut limit, mut cursor) = (200, None);
    for (name, value) in request.query_pairs() {
        let loc = Loc::query().at(name.as_str());
        match name.as_str() {
            "limit" => limit = check.int_text(&value, &loc, 1, 200).unwrap_or(limit),
            "cursor" => cursor = check.cursor(value, &loc),
            _ => {}
        }
    }
    if !check.is_ok() {
        return Err(ApiError::Invalid(check.problems));
    }
    let org = ctx.org();
    let (configurations, next_cursor) = ctx
        .app
        .store
        .read(move |conn| store::list(conn, &org, limit as usize, cursor.as_ref()))
        .await?;
    ok(&json!({"configurations": configurations, "next_cursor": next_cursor}))
}

pub async fn get(ctx: Ctx<'_>, id: &str) -> ApiResult<warp::reply::Response> {
    let id = ConfigurationId::parse(id).ok_or(NOT_FOUND)?;
    let org = ctx.org();
    let found = ctx
        .app
        .store
        .read(move |conn| store::get(conn, &org, &id))
        .await?;
    ok(&found.ok_or(NOT_FOUND)?)
}

pub async fn update(
    ctx: Ctx<'_>,
    id: &str,
    request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    let id = ConfigurationId::parse(id).ok_or(NOT_FOUND)?;
    let body = request.json().await?;
    let mut check = Checker::default();
    let Some(patch) = check.object(&body, &Loc::body()).cloned() else {
        return Err(ApiError::Invalid(check.problems));
    };
    let org = ctx.org();
    let clock = ctx.app.clock;
    let result = ctx
        .app
        .store
        .write(move |conn| {
            let Some(stored) = store::get(conn, &org, &id)? else {
                return Ok(Err(NOT_FOUND));
            };
            // The PATCH is validated as the merged result, so every rule sees the whole object.
            let Value::Object(mut merged) = serde_json::to_value(&stored).expect("serialisable")
            else {
                unreachable!("a configuration serialises to an object")
            };
            merged.extend(patch);
            match read_configuration(&Value::Object(merged)) {
                Ok(fields) => Ok(Ok(store::update(
                    conn,
                    &org,
                    &id,
                    &fields,
                    &clock.now_text(),
                )?)),
                Err(error) => Ok(Err(error)),
            }
        })
        .await?;
    ok(&result?)
}

pub async fn delete(ctx: Ctx<'_>, id: &str) -> ApiResult<warp::reply::Response> {
    let id = ConfigurationId::parse(id).ok_or(NOT_FOUND)?;
    let org = ctx.org();
    match ctx
        .app
        .store
        .write(move |conn| store::delete(conn, &org, &id))
        .await
    {
        Err(crate::store::StoreError::NotFound) => Err(NOT_FOUND),
        other => other.map_err(ApiError::from).and_then(|()| no_content()),
    }
}

/// Reads a whole configuration object (defaults for absent fields).
fn read_configuration(body: &Value) -> ApiResult<ConfigurationFields> {
    let mut c = Checker::default();
    let loc = Loc::body();
    let Some(map) = c.object(body, &loc) else {
        return Err(ApiError::Invalid(c.problems));
    };
    let name = c.required(map, "name", &loc, |c, v, l| c.string(v, l, 1, 200));
    let default_timezone = c.optional(map, "default_timezone", &loc, timezone);
    let default_windows = c.optional(map, "default_windows", &loc, windows);
    let default_overrides = c.optional(map, "overrides", &loc, overrides);
    let scheduled_windows = c.nullable(map, "scheduled_windows", &loc, windows);
    let scheduled_overrides = c.nullable(map, "scheduled_overrides", &loc, overrides);
    let region = c.optional(map, "default_country_code", &loc, region);
    let max_attempts = c.optional(map, "max_attempts", &loc, |c, v, l| c.int(v, l, 1, 20));
    let retry_delay_minutes = c.optional(map, "retry_delay_minutes", &loc, |c, v, l| {
        c.int(v, l, 1, 10_080)
    });
    let agent_id = c.nullable(map, "agent_id", &loc, |c, v, l| {
        c.string_in(v, l, &contact::AGENT_ID)
    });
    let agent_version = c.nullable(map, "agent_version", &loc, |c, v, l| {
        c.int(
            v,
            l,
            *contact::AGENT_VERSION.start(),
            *contact::AGENT_VERSION.end(),
        )
    });
    // The agent number is read in the configuration's own region (US when that is missing or bad).
    let number_region = region.flatten().unwrap_or(Region::US);
    let agent_number = c.nullable(map, "agent_number", &loc, |c, v, l| {
        phone_number(c, v, l, Some(number_region))
    });

    match (
        name,
        default_timezone,
        default_windows,
        default_overrides,
        scheduled_windows,
        scheduled_overrides,
        region,
        max_attempts,
        retry_delay_minutes,
        agent_id,
        agent_version,
        agent_number,
    ) {
        (
            Some(name),
            Some(tz),
            Some(dw),
            Some(ov),
            Some(sw),
            Some(so),
            Some(region),
            Some(ma),
            Some(rd),
            Some(ai),
            Some(av),
            Some(an),
        ) if c.is_ok() => Ok(ConfigurationFields {
            name,
            default_timezone: tz.unwrap_or_else(|| "America/New_York".into()),
            default_windows: dw.unwrap_or_default(),
            overrides: ov.unwrap_or_default(),
            scheduled_windows: nullable_value(sw),
            scheduled_overrides: nullable_value(so),
            default_country_code: region.unwrap_or(Region::US).code().to_string(),
            max_attempts: ma.unwrap_or(3),
            retry_delay_minutes: rd.unwrap_or(60),
            agent_id: nullable_value(ai),
            agent_version: nullable_value(av),
            agent_number: nullable_value(an),
        }),
        _ => Err(ApiError::Invalid(c.problems)),
    }
}

fn nullable_value<T>(field: Field<T>) -> Option<T> {
    match field {
        Field::Set(value) => Some(value),
        Field::Absent | Field::Null => None,
    }
}

/// A known IANA timezone name.
pub fn timezone(c: &mut Checker, value: &Value, loc: &Loc) -> Option<String> {
    let name = c.string(value, loc, 1, 255)?;
    if time::time_zone(&name).is_none() {
        c.value_error(
            loc,
            format!("Unknown timezone '{name}' (see GET /campaign/timezones)"),
            value,
        );
        return None;
    }
    Some(name)
}

fn region(c: &mut Checker, value: &Value, loc: &Loc) -> Option<Region> {
    let code = c.string(value, loc, 1, 255)?;
    let region = Region::parse(&code);
    if region.is_none() {
        c.value_error(
            loc,
            format!("'{code}' is not an ISO 3166-1 alpha-2 region with a phone numbering plan"),
            value,
        );
    }
    region
}

/// A phone number normalised to E.164 (`value_error` with the normaliser's message otherwise).
pub fn phone_number(
    c: &mut Checker,
    value: &Value,
    loc: &Loc,
    region: Option<Region>,
) -> Option<String> {
    let raw = c.string_in(value, loc, &contact::PHONE_TEXT)?;
    match phone::normalise(&raw, region) {
        Ok(number) => Some(number.into()),
        Err(msg) => {
            c.value_error(loc, msg, value);
            None
        }
    }
}

fn windows(c: &mut Checker, value: &Value, loc: &Loc) -> Option<Vec<TimeWindow>> {
    let items = c.list(value, loc, 0, schedule::MAX_WINDOWS)?;
    let mut windows = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        windows.push(window(c, item, &loc.at(i)));
    }
    windows.into_iter().collect()
}

fn window(c: &mut Checker, value: &Value, loc: &Loc) -> Option<TimeWindow> {
    let map = c.object(value, loc)?;
    let days = c.required(map, "days", loc, days);
    let start = c.required(map, "start", loc, hhmm);
    let end = c.required(map, "end", loc, hhmm);
    let (days, start, end) = (days?, start?, end?);
    if start == end {
        c.value_error(
            &loc.at("end"),
            "end must differ from start (a window cannot be empty)",
            &map["end"],
        );
        return None;
    }
    Some(TimeWindow { days, start, end })
}

fn days(c: &mut Checker, value: &Value, loc: &Loc) -> Option<Vec<usize>> {
    let items = c.list(value, loc, 1, 7)?;
    let mut days = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match c
            .one_of(item, &loc.at(i), &schedule::DAY_NAMES)
            .and_then(schedule::parse_day)
        {
            Some(day) if days.contains(&day) => {
                c.value_error(
                    &loc.at(i),
                    format!("'{}' is repeated", schedule::DAY_NAMES[day]),
                    item,
                );
                ok = false;
            }
            Some(day) => days.push(day),
            None => ok = false,
        }
    }
    ok.then_some(days)
}

fn hhmm(c: &mut Checker, value: &Value, loc: &Loc) -> Option<u16> {
    let text = c.string(value, loc, 0, 255)?;
    let minutes = schedule::parse_hhmm(&text);
    if minutes.is_none() {
        c.value_error(
            loc,
            format!("'{text}' is not a time of day as HH:MM (00:00 to 23:59)"),
            value,
        );
    }
    minutes
}

fn overrides(c: &mut Checker, value: &Value, loc: &Loc) -> Option<Vec<ScheduleOverride>> {
    let items = c.list(value, loc, 0, schedule::MAX_OVERRIDES)?;
    let mut overrides: Vec<Option<ScheduleOverride>> = Vec::with_capacity(items.len());
    let mut seen: Vec<&str> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_loc = loc.at(i);
        let Some(map) = c.object(item, &item_loc) else {
            overrides.push(None);
            continue;
        };
        let timezone = c.required(map, "timezone", &item_loc, timezone);
        let windows = c.required(map, "windows", &item_loc, windows);
        if let Some(tz) = map
            .get("timezone")
            .and_then(Value::as_str)
            .filter(|_| timezone.is_some())
        {
            if seen.contains(&tz) {
                c.value_error(
                    &item_loc.at("timezone"),
                    format!("timezone '{tz}' appears more than once"),
                    &map["timezone"],
                );
                overrides.push(None);
                continue;
            }
            seen.push(tz);
        }
        overrides.push(
            timezone
                .zip(windows)
                .map(|(timezone, windows)| ScheduleOverride { timezone, windows }),
        );
    }
    overrides.into_iter().collect()
}
