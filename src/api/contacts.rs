//! `/campaign/campaigns/{id}/contacts`: bulk upsert with phone normalisation, list, get,
//! delete; and a campaign's stats. `{id}` may be `default`: the organisation's ad-hoc contacts.

use super::configurations::timezone;
use super::validate::{Checker, Field, Loc, Problem};
use super::{ApiError, ApiResult, Ctx, Request, no_content, ok};
use crate::domain::contact::{self as rules, MAX_UPSERT};
use crate::domain::json::{MAX_OBJECT_BYTES, MAX_OBJECT_DEPTH, compact};
use crate::domain::phone::{self, E164, Region};
use crate::domain::status::ContactStatus;
use crate::import;
use crate::store::StoreError;
use crate::store::campaigns::{self, CampaignStats};
use crate::store::contacts::{self as store, ContactWrite, ImportMode, PageStart, Target};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::collections::HashMap;

const CAMPAIGN_NOT_FOUND: ApiError = ApiError::NotFound("Campaign not found");
const CONTACT_NOT_FOUND: ApiError = ApiError::NotFound("Contact not found");

/// Resolves `{id}` (UUID, external_id, or `default`) in the caller's organisation.
pub async fn target(ctx: Ctx<'_>, id: &str) -> ApiResult<Target> {
    let (org, id) = (ctx.org(), id.to_string());
    let target = ctx
        .app
        .store
        .read(move |conn| store::target(conn, &org, &id))
        .await?;
    target.ok_or(CAMPAIGN_NOT_FOUND)
}

pub async fn upsert(
    ctx: Ctx<'_>,
    id: &str,
    request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    let body = request.body().await?;
    let items = read_upsert_body(&body)?;
    let target = target(ctx, id).await?;
    let region = target.region;
    let items = tokio::task::spawn_blocking(move || normalise_items(items, region))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    if target.closed {
        return Err(ApiError::BadRequest(super::error::CLOSED_CAMPAIGN.into()));
    }
    let writes: Vec<ContactWrite> = items.iter().map(|item| item.write.clone()).collect();
    let result = write_contacts(ctx, target, writes).await;
    match result {
        Err(StoreError::MissingNumbers(indexes)) => Err(ApiError::Invalid(
            indexes
                .iter()
                .map(|&i| missing_numbers(&items[i].raw, &Loc::body().at("contacts").at(i)))
                .collect(),
        )),
        other => ok(&other?),
    }
}

/// Applies the items in one transaction, re-checking that the campaign is still open.
async fn write_contacts(
    ctx: Ctx<'_>,
    target: Target,
    items: Vec<ContactWrite>,
) -> Result<store::Upserted, StoreError> {
    let clock = ctx.app.clock;
    ctx.app
        .store
        .write(move |conn| {
            store::ensure_open(conn, &target.scope)?;
            store::upsert(conn, &target.scope, &items, clock.now())
        })
        .await
}

pub fn missing_numbers(raw_item: &str, loc: &Loc) -> Problem {
    let mut check = Checker::default();
    let input: Value = serde_json::from_str(raw_item).unwrap_or(Value::Null);
    check.missing(&loc.at("phone_numbers"), &input);
    check.problems.remove(0)
}

/// An item read from the request: its raw text (for error inputs), the write, and the numbers
/// still to normalise.
pub struct Item {
    pub raw: String,
    pub write: ContactWrite,
    pub numbers: Option<Vec<String>>,
    pub agent_number: Field<String>,
}

/// Reads `{"contacts": [...]}` without touching the database: every shape and type problem.
fn read_upsert_body(body: &[u8]) -> ApiResult<Vec<Item>> {
    let top: &RawValue = super::parse_json_borrowed(body)?;
    let mut check = Checker::default();
    let loc = Loc::body();
    let Ok(fields) = serde_json::from_str::<HashMap<String, &RawValue>>(top.get()) else {
        check.object(&to_value(top), &loc);
        return Err(ApiError::Invalid(check.problems));
    };
    let Some(list) = fields.get("contacts") else {
        check.missing(&loc.at("contacts"), &to_value(top));
        return Err(ApiError::Invalid(check.problems));
    };
    let loc = loc.at("contacts");
    let Ok(raw_items) = serde_json::from_str::<Vec<&RawValue>>(list.get()) else {
        check.list(&to_value(list), &loc, 1, MAX_UPSERT);
        return Err(ApiError::Invalid(check.problems));
    };
    if raw_items.is_empty() || raw_items.len() > MAX_UPSERT {
        check.list(
            &Value::Array(vec![Value::Null; raw_items.len()]),
            &loc,
            1,
            MAX_UPSERT,
        );
        // The list itself is not echoed back: it can be large.
        check
            .problems
            .iter_mut()
            .for_each(|p| p.input = json!(format!("{} items", raw_items.len())));
        return Err(ApiError::Invalid(check.problems));
    }
    let items: Vec<Option<Item>> = raw_items
        .iter()
        .enumerate()
        .map(|(i, raw)| read_item(&mut check, raw, &loc.at(i)))
        .collect();
    if !check.is_ok() {
        return Err(ApiError::Invalid(check.problems));
    }
    Ok(items.into_iter().flatten().collect())
}

fn to_value(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap_or(Value::Null)
}

/// Reads one ContactIn. Free-form objects (`data`, `agent_config`) stay raw, so their key order
/// and number text are kept.
pub fn read_item(c: &mut Checker, raw: &RawValue, loc: &Loc) -> Option<Item> {
    let Ok(fields) = serde_json::from_str::<HashMap<String, &RawValue>>(raw.get()) else {
        c.object(&to_value(raw), loc);
        return None;
    };
    let value = |key: &str| fields.get(key).map(|raw| to_value(raw));
    let map: serde_json::Map<String, Value> = [
        "id",
        "external_id",
        "phone_numbers",
        "timezone",
        "scheduled_at",
        "agent_id",
        "agent_number",
        "agent_version",
        "initial_context",
    ]
    .into_iter()
    .filter_map(|key| value(key).map(|v| (key.to_string(), v)))
    .collect();

    let id = c.optional(&map, "id", loc, |c, v, l| c.uuid(v, l));
    let external_id = c.nullable(&map, "external_id", loc, external_id);
    let numbers = c.optional(&map, "phone_numbers", loc, |c, v, l| {
        let items = c.list(v, l, *rules::NUMBERS.start(), *rules::NUMBERS.end())?;
        let numbers: Vec<Option<String>> = items
            .iter()
            .enumerate()
            .map(|(j, n)| c.string_in(n, &l.at(j), &rules::PHONE_TEXT))
            .collect();
        numbers.into_iter().collect::<Option<Vec<_>>>()
    });
    let data = match fields.get("data") {
        None => Some(None),
        Some(raw) => free_object(c, raw, &loc.at("data")).map(Some),
    };
    let timezone = c.nullable(&map, "timezone", loc, timezone);
    let scheduled_at = c.nullable(&map, "scheduled_at", loc, scheduled_at);
    let agent_id = c.nullable(&map, "agent_id", loc, |c, v, l| {
        c.string_in(v, l, &rules::AGENT_ID)
    });
    let agent_config = match fields.get("agent_config") {
        None => Some(Field::Absent),
        Some(raw) if raw.get() == "null" => Some(Field::Null),
        Some(raw) => free_object(c, raw, &loc.at("agent_config")).map(Field::Set),
    };
    let agent_number = c.nullable(&map, "agent_number", loc, |c, v, l| {
        c.string_in(v, l, &rules::PHONE_TEXT)
    });
    let agent_version = c.nullable(&map, "agent_version", loc, |c, v, l| {
        c.int(
            v,
            l,
            *rules::AGENT_VERSION.start(),
            *rules::AGENT_VERSION.end(),
        )
    });
    let initial_context = c.nullable(&map, "initial_context", loc, |c, v, l| {
        c.string_in(v, l, &rules::INITIAL_CONTEXT)
    });

    Some(Item {
        raw: raw.get().to_string(),
        write: ContactWrite {
            id: id?,
            external_id: external_id?.update(),
            phone_numbers: None,
            data: data?,
            timezone: timezone?.update(),
            scheduled_at: scheduled_at?.update(),
            agent_id: agent_id?.update(),
            agent_config: agent_config?.update(),
            agent_number: None,
            agent_version: agent_version?.update(),
            initial_context: initial_context?.update(),
        },
        numbers: numbers?,
        agent_number: agent_number?,
    })
}

/// A contact external_id (`rules::EXTERNAL_ID` characters, not a dot segment).
pub fn external_id(c: &mut Checker, value: &Value, loc: &Loc) -> Option<String> {
    let text = c.string_in(value, loc, &rules::EXTERNAL_ID)?;
    if let Err(error) = rules::check_external_id(&text) {
        c.value_error(loc, error.to_string(), value);
        return None;
    }
    Some(text)
}

/// Checks the text of a local or offset date-time; it is read in the contact's zone on write.
fn scheduled_at(c: &mut Checker, value: &Value, loc: &Loc) -> Option<String> {
    let text = c.string_in(value, loc, &rules::SCHEDULED_AT)?;
    if rules::check_scheduled_at(&text).is_err() {
        let msg = "Input should be a valid datetime: RFC 3339 with an offset, or a local YYYY-MM-DDTHH:MM[:SS]";
        c.push("datetime_parsing", loc, msg, value, None);
        return None;
    }
    Some(text)
}

/// A JSON object kept as its compact text, within the size and depth bounds.
fn free_object(c: &mut Checker, raw: &RawValue, loc: &Loc) -> Option<String> {
    if !raw.get().starts_with('{') {
        c.object(&to_value(raw), loc);
        return None;
    }
    let (text, depth) = compact(raw.get());
    if text.len() > MAX_OBJECT_BYTES {
        c.value_error(
            loc,
            format!(
                "object is {} bytes as compact JSON; at most {MAX_OBJECT_BYTES} are allowed",
                text.len()
            ),
            &json!("…"),
        );
        return None;
    }
    if depth > MAX_OBJECT_DEPTH {
        c.value_error(
            loc,
            format!("object is nested {depth} levels deep; at most {MAX_OBJECT_DEPTH} are allowed"),
            &json!("…"),
        );
        return None;
    }
    Some(text)
}

/// Normalises every number with the target's region; every bad one is reported.
pub fn normalise_items(mut items: Vec<Item>, region: Option<Region>) -> ApiResult<Vec<Item>> {
    let mut check = Checker::default();
    for (i, item) in items.iter_mut().enumerate() {
        let loc = Loc::body().at("contacts").at(i);
        if let Some(numbers) = &item.numbers {
            item.write.phone_numbers =
                normalise_numbers(&mut check, numbers, region, &loc.at("phone_numbers"));
        }
        item.write.agent_number = match &item.agent_number {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Set(raw) => {
                normalise_one(&mut check, raw, region, &loc.at("agent_number")).map(Some)
            }
        };
    }
    if !check.is_ok() {
        return Err(ApiError::Invalid(check.problems));
    }
    Ok(items)
}

/// The numbers in E.164, duplicates dropped (first kept).
pub fn normalise_numbers(
    check: &mut Checker,
    numbers: &[String],
    region: Option<Region>,
    loc: &Loc,
) -> Option<Vec<E164>> {
    let mut normalised: Vec<E164> = Vec::with_capacity(numbers.len());
    let mut ok = true;
    for (j, raw) in numbers.iter().enumerate() {
        match normalise_one(check, raw, region, &loc.at(j)) {
            Some(number) if !normalised.contains(&number) => normalised.push(number),
            Some(_) => {}
            None => ok = false,
        }
    }
    ok.then_some(normalised)
}

fn normalise_one(
    check: &mut Checker,
    raw: &str,
    region: Option<Region>,
    loc: &Loc,
) -> Option<E164> {
    match phone::normalise(raw, region) {
        Ok(number) => Some(number),
        Err(msg) => {
            check.value_error(loc, msg, &Value::String(raw.to_string()));
            None
        }
    }
}

pub async fn list(
    ctx: Ctx<'_>,
    id: &str,
    request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    let mut check = Checker::default();
    let (mut limit, mut offset, mut after) = (100, None, None);
    let mut statuses: Vec<ContactStatus> = Vec::new();
    for (name, value) in request.query_pairs() {
        let loc = Loc::query().at(name.as_str());
        match name.as_str() {
            "limit" => limit = check.int_text(&value, &loc, 1, 1000).unwrap_or(limit),
            "offset" => offset = check.int_text(&value, &loc, 0, i64::MAX),
            "status" => {
                let name = check.one_of(&Value::String(value), &loc, ContactStatus::NAMES);
                statuses.extend(name.and_then(ContactStatus::parse))
            }
            "after" => after = check.uuid(&Value::String(value), &loc),
            _ => {}
        }
    }
    if offset.is_some() && after.is_some() {
        check.value_error(
            &Loc::query().at("after"),
            "use either offset or after, not both",
            &Value::Null,
        );
    }
    if !check.is_ok() {
        return Err(ApiError::Invalid(check.problems));
    }
    let target = target(ctx, id).await?;
    let start = after
        .clone()
        .map_or(PageStart::Offset(offset.unwrap_or(0)), PageStart::After);
    let listed = ctx
        .app
        .store
        .read(move |conn| store::list(conn, &target.scope, &statuses, &start, limit))
        .await;
    let (contacts, total) = match listed {
        Err(StoreError::NotFound) => {
            let after = Value::String(after.map(String::from).unwrap_or_default());
            check.value_error(
                &Loc::query().at("after"),
                "no contact with this id in this campaign",
                &after,
            );
            return Err(ApiError::Invalid(check.problems));
        }
        other => other?,
    };
    // Serialised directly (not through `json!`), so the raw `data` text is kept as sent.
    #[derive(serde::Serialize)]
    struct Page {
        contacts: Vec<store::Contact>,
        total: i64,
        limit: i64,
        offset: i64,
    }
    ok(&Page {
        contacts,
        total,
        limit,
        offset: offset.unwrap_or(0),
    })
}

pub async fn get(ctx: Ctx<'_>, id: &str, contact: &str) -> ApiResult<warp::reply::Response> {
    let target = target(ctx, id).await?;
    let contact = contact.to_string();
    let found = ctx
        .app
        .store
        .read(move |conn| store::resolve(conn, &target.scope, &contact))
        .await?;
    ok(&found.ok_or(CONTACT_NOT_FOUND)?)
}

pub async fn delete(ctx: Ctx<'_>, id: &str, contact: &str) -> ApiResult<warp::reply::Response> {
    let target = target(ctx, id).await?;
    let contact = contact.to_string();
    match ctx
        .app
        .store
        .write(move |conn| store::delete(conn, &target.scope, &contact))
        .await
    {
        Err(StoreError::NotFound) => Err(CONTACT_NOT_FOUND),
        other => other.map_err(ApiError::from).and_then(|()| no_content()),
    }
}

pub async fn stats(ctx: Ctx<'_>, id: &str) -> ApiResult<warp::reply::Response> {
    let (org, id) = (ctx.org(), id.to_string());
    let found = ctx
        .app
        .store
        .read(move |conn| campaigns::stats(conn, &org, &id))
        .await?;
    let CampaignStats {
        campaign,
        counts,
        concurrency_limit,
        active_calls,
    } = found.ok_or(CAMPAIGN_NOT_FOUND)?;
    ok(&json!({
        "campaign_id": campaign.id,
        "status": campaign.status.as_str(),
        "contacts": {
            "total": counts.total(),
            "pending": counts.pending,
            "in_progress": counts.locked + counts.in_progress,
            "completed": counts.completed,
            "exhausted": counts.exhausted,
        },
        "attempts": {"total": counts.attempts, "average_per_contact": average(counts.attempts, counts.total())},
        "active_calls": active_calls,
        "concurrency_limit": concurrency_limit,
    }))
}

/// `attempts / contacts` to two decimals, ties to even on the exact binary value as Python's
/// `round()` does (Rust's formatting rounds the exact value the same way); 0.0 when either is 0.
fn average(attempts: i64, contacts: i64) -> f64 {
    if attempts == 0 || contacts == 0 {
        return 0.0;
    }
    format!("{:.2}", attempts as f64 / contacts as f64)
        .parse()
        .expect("a formatted float parses")
}

/// `POST …/contacts/import`: a CSV file as the body (docs/api.md §6.1).
pub async fn import(
    ctx: Ctx<'_>,
    id: &str,
    request: &mut Request,
) -> ApiResult<warp::reply::Response> {
    let mut check = Checker::default();
    let (mut dry_run, mut skip_invalid) = (false, false);
    for (name, value) in request.query_pairs() {
        let loc = Loc::query().at(name.as_str());
        match name.as_str() {
            "dry_run" => dry_run = check.boolean_text(&value, &loc).unwrap_or(false),
            "skip_invalid" => skip_invalid = check.boolean_text(&value, &loc).unwrap_or(false),
            _ => {}
        }
    }
    let multipart = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/"));
    if multipart {
        let msg =
            "send the CSV file itself as the body (Content-Type: text/csv), not a multipart form";
        check.value_error(&Loc::body(), msg, &Value::Null);
    }
    if !check.is_ok() {
        return Err(ApiError::Invalid(check.problems));
    }
    let body = request.body().await?;
    let csv = blocking(move || import::parse(&body))
        .await?
        .map_err(|problem| {
            let loc = match &problem.header {
                Some(header) => Loc::body().at(1).at(header.as_str()),
                None => Loc::body(),
            };
            check.value_error(&loc, problem.msg, &Value::Null);
            ApiError::Invalid(std::mem::take(&mut check.problems))
        })?;
    let target = target(ctx, id).await?;
    let region = target.region;
    let (csv, items, row_errors) = blocking(move || {
        let (items, errors) = import::items(&csv, region);
        (csv, items, errors)
    })
    .await?;
    if target.closed {
        return Err(ApiError::BadRequest(super::error::CLOSED_CAMPAIGN.into()));
    }
    let mode = if dry_run {
        ImportMode::DryRun
    } else if skip_invalid {
        ImportMode::SkipInvalid
    } else if row_errors.is_empty() {
        ImportMode::AllOrNothing
    } else {
        // Rows already refused: nothing would be written, so the database is not needed.
        return Err(import_problems(&import::Report::new(
            &csv,
            false,
            row_errors,
            &[],
        )));
    };
    let (lines, writes): (Vec<u64>, Vec<ContactWrite>) = items.into_iter().unzip();
    let scope = target.scope.clone();
    let clock = ctx.app.clock;
    let outcomes = ctx
        .app
        .store
        .write(move |conn| {
            store::ensure_open(conn, &scope)?;
            store::import(conn, &scope, &writes, mode, clock.now())
        })
        .await?;
    let applied: Vec<_> = lines.into_iter().zip(outcomes).collect();
    let report = import::Report::new(&csv, dry_run, row_errors, &applied);
    if mode == ImportMode::AllOrNothing && report.error_count > 0 {
        return Err(import_problems(&report));
    }
    ok(&report)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The 422 of an import with row errors: one entry per problem (at most 1000, then the total).
fn import_problems(report: &import::Report) -> ApiError {
    let mut check = Checker::default();
    for error in &report.errors {
        let loc = match &error.column {
            Some(column) => Loc::body().at(error.line as usize).at(column.as_str()),
            None => Loc::body().at(error.line as usize),
        };
        check.value_error(&loc, error.msg.clone(), &Value::Null);
    }
    if report.error_count > report.errors.len() {
        let msg = format!(
            "{} problems in all; the first {} are listed",
            report.error_count,
            report.errors.len()
        );
        check.value_error(&Loc::body(), msg, &Value::Null);
    }
    ApiError::Invalid(check.problems)
}

#[cfg(test)]
mod tests {
    #[test]
    fn averages_round_like_python() {
        assert_eq!(super::average(9, 8), 1.12);
        assert_eq!(super::average(3, 8), 0.38);
        assert_eq!(super::average(1, 8), 0.12);
        assert_eq!(super::average(1730, 1240), 1.4);
        assert_eq!(super::average(0, 8), 0.0);
        assert_eq!(super::average(2, 3), 0.67);
    }
}
