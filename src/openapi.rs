//! The OpenAPI 3.1 document served at `/campaign/openapi.json`, built once from small helpers so
//! that each schema is written once (under `components`) and every bound comes from the code that
//! enforces it. `tests/it/openapi.rs` checks it against the router; Schemathesis checks the answers.

use crate::domain::attempt::MAX_CONVERSATION_ID;
use crate::domain::contact;
use crate::domain::phone::Region;
use crate::domain::schedule::{DAY_NAMES, MAX_OVERRIDES, MAX_WINDOWS};
use crate::domain::scope::{self, Scope, describe};
use crate::domain::status::{AttemptStatus, CampaignStatus, ContactStatus, Outcome};
use crate::domain::timeline::{Bucket, MAX_BUCKETS, State as TimelineState};
use crate::domain::twilio::{ANSWERED_BY, CALL_STATUSES};
use serde_json::{Map, Value, json};

pub fn document() -> &'static Value {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(build)
}

// ---------------------------------------------------------------------------------------------
// Schema helpers

/// `{"$ref": "#/components/schemas/<name>"}`.
fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn string(min: usize, max: usize) -> Value {
    json!({"type": "string", "minLength": min, "maxLength": max})
}

/// A string whose length in characters is within `bounds`.
fn length(bounds: &std::ops::RangeInclusive<usize>) -> Value {
    string(*bounds.start(), *bounds.end())
}

fn int(min: i64, max: i64) -> Value {
    json!({"type": "integer", "minimum": min, "maximum": max})
}

fn count() -> Value {
    json!({"type": "integer", "minimum": 0})
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn date_time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn array(items: Value, min: usize, max: Option<usize>) -> Value {
    let mut a = json!({"type": "array", "items": items, "minItems": min});
    if let Some(max) = max {
        a["maxItems"] = json!(max);
    }
    a
}

fn enumeration(names: &[&str]) -> Value {
    json!({"type": "string", "enum": names})
}

/// The same schema, also accepting `null` (docs/api.md §1 "Nullable fields"): `"type": [<t>, "null"]`.
/// `enum` and `format` keywords only constrain values of their own type, so they stay as they are
/// (an `enum` gains `null`, since it applies to every value).
fn or_null(mut s: Value) -> Value {
    let t = s["type"].clone();
    assert!(t.is_string(), "or_null needs a schema with one type: {s}");
    s["type"] = json!([t, "null"]);
    if let Some(names) = s.get_mut("enum").and_then(Value::as_array_mut) {
        names.push(Value::Null);
    }
    s
}

/// A timezone name: a string, not an enum of the ~600 names (generators turn an enum into
/// identifiers, and `Etc/GMT+0`, `Etc/GMT-0` and `Etc/GMT0` collide as identifiers). The format
/// names what it is, for tools that know it (the contract test draws from the list).
fn timezone_name() -> Value {
    json!({
        "type": "string", "minLength": 1, "maxLength": 255, "format": "timezone",
        "description": "IANA timezone name, case-sensitive: one of the names that \
            GET /campaign/timezones lists (the tz database bundled with campaignd)",
        "examples": ["America/New_York", "Europe/London"],
    })
}

fn described(mut s: Value, text: &str) -> Value {
    s["description"] = json!(text);
    s
}

fn with_default(mut s: Value, default: Value) -> Value {
    s["default"] = default;
    s
}

/// An object with these properties, of which `required` must be present.
fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

/// An object whose properties are all required (a response object).
fn record(properties: Value) -> Value {
    let required: Vec<&str> = properties
        .as_object()
        .expect("properties are an object")
        .keys()
        .map(String::as_str)
        .collect();
    object(&required, properties.clone())
}

fn schemas() -> Value {
    let campaign_statuses = CampaignStatus::NAMES;
    let time_of_day = json!({
        "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        "description": "24-hour HH:MM"
    });
    let windows = || array(schema("TimeWindow"), 0, Some(MAX_WINDOWS));
    let overrides = || array(schema("ScheduleOverride"), 0, Some(MAX_OVERRIDES));
    let timezone = || schema("Timezone");
    let org_id = || json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"});
    let phone = || length(&contact::PHONE_TEXT);
    let e164 = json!({"type": "string", "pattern": "^\\+[1-9][0-9]{1,14}$"});
    let agent_version = || {
        int(
            *contact::AGENT_VERSION.start(),
            *contact::AGENT_VERSION.end(),
        )
    };
    let json_object = || json!({"type": "object"});
    let external_id = || or_null(string(1, 255));

    // The writable configuration fields, in their request form (absent = default / unchanged).
    let configuration_fields = json!({
        "name": string(1, 200),
        "default_timezone": with_default(timezone(), json!("America/New_York")),
        "default_windows": with_default(windows(), json!([])),
        "overrides": with_default(overrides(), json!([])),
        "scheduled_windows": or_null(windows()),
        "scheduled_overrides": or_null(overrides()),
        "default_country_code": described(
            with_default(schema("Region"), json!("US")),
            "also accepted in lower or mixed case; stored upper-case",
        ),
        "max_attempts": with_default(int(1, 20), json!(3)),
        "retry_delay_minutes": with_default(int(1, 10_080), json!(60)),
        "agent_id": or_null(length(&contact::AGENT_ID)),
        "agent_version": or_null(agent_version()),
        "agent_number": or_null(described(phone(), "phone number, normalised to E.164 with default_country_code")),
    });
    let configuration_create = object(&["name"], configuration_fields.clone());
    let configuration_update = described(
        object(&[], configuration_fields),
        "Any writable fields; lists are replaced whole; null resets a nullable field. \
         Validated as the merged result.",
    );

    let contact_in_fields = json!({
        "id": uuid(),
        "external_id": or_null(length(&contact::EXTERNAL_ID)),
        "phone_numbers": described(
            array(phone(), *contact::NUMBERS.start(), Some(*contact::NUMBERS.end())),
            "required to insert a contact, optional to update one",
        ),
        "data": json_object(),
        "timezone": or_null(timezone_name()),
        "scheduled_at": or_null(described(
            length(&contact::SCHEDULED_AT),
            "RFC 3339 with an offset, or a local date-time without offset",
        )),
        "agent_id": or_null(length(&contact::AGENT_ID)),
        "agent_config": or_null(json_object()),
        "agent_number": or_null(phone()),
        "agent_version": or_null(agent_version()),
        "initial_context": or_null(length(&contact::INITIAL_CONTEXT)),
    });

    let regions: Vec<String> = (b'A'..=b'Z')
        .flat_map(|a| (b'A'..=b'Z').map(move |b| String::from_utf8(vec![a, b]).expect("ASCII")))
        .filter(|code| Region::parse(code).is_some())
        .collect();
    let mut configuration_create = configuration_create;
    configuration_create["examples"] = json!([{
        "name": "US business hours",
        "default_timezone": "America/New_York",
        "default_windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}],
        "overrides": [{"timezone": "America/Phoenix", "windows": [{"days": ["sat"], "start": "10:00", "end": "14:00"}]}],
        "default_country_code": "US",
        "max_attempts": 3,
        "retry_delay_minutes": 60,
        "agent_number": "+14155550123",
    }]);

    let mut all = json!({
        "Timezone": timezone_name(),
        "Region": described(
            json!({"type": "string", "enum": regions}),
            "ISO 3166-1 alpha-2 region that the phone metadata has a numbering plan for",
        ),
        "Error": record(json!({"detail": {"type": "string"}})),
        "ValidationError": object(&["type", "loc", "msg", "input"], json!({
            "type": enumeration(&[
                "missing", "json_invalid", "string_type", "int_type", "bool_type", "list_type",
                "dict_type", "string_too_short", "string_too_long", "too_short", "too_long",
                "greater_than_equal", "less_than_equal", "enum", "uuid_parsing",
                "datetime_parsing", "value_error",
            ]),
            "loc": array(json!({"type": ["string", "integer"]}), 1, None),
            "msg": {"type": "string"},
            "input": described(json!({}), "the offending value (for `missing`, the enclosing object)"),
            "ctx": json_object(),
        })),
        "HTTPValidationError": record(json!({"detail": array(schema("ValidationError"), 1, None)})),
        "Health": object(&["status"], json!({
            "status": enumeration(&["ok", "unavailable"]),
            "dialer": enumeration(&["off", "simulate", "webhook"]),
        })),
        "TimeWindow": record(json!({
            "days": json!({
                "type": "array", "items": enumeration(&DAY_NAMES),
                "minItems": 1, "maxItems": 7, "uniqueItems": true
            }),
            "start": time_of_day.clone(),
            "end": described(time_of_day.clone(), "24-hour HH:MM, different from start; before start = crosses midnight"),
        })),
        "ScheduleOverride": record(json!({"timezone": timezone(), "windows": windows()})),
        "Configuration": record(json!({
            "id": uuid(),
            "organization_id": org_id(),
            "name": string(1, 200),
            "default_timezone": timezone(),
            "default_windows": windows(),
            "overrides": overrides(),
            "scheduled_windows": or_null(windows()),
            "scheduled_overrides": or_null(overrides()),
            "default_country_code": schema("Region"),
            "max_attempts": int(1, 20),
            "retry_delay_minutes": int(1, 10_080),
            "agent_id": or_null(length(&contact::AGENT_ID)),
            "agent_version": or_null(agent_version()),
            "agent_number": or_null(e164.clone()),
            "created_at": date_time(),
            "updated_at": date_time(),
        })),
        "ConfigurationCreate": configuration_create,
        "ConfigurationUpdate": configuration_update,
        "ConfigurationList": record(json!({
            "configurations": array(schema("Configuration"), 0, Some(200)),
            "next_cursor": or_null(json!({"type": "string"})),
        })),
        "Campaign": record(json!({
            "id": uuid(),
            "organization_id": org_id(),
            "external_id": external_id(),
            "name": string(1, 200),
            "status": enumeration(campaign_statuses),
            "priority": int(0, 100),
            "configuration_id": uuid(),
            "created_at": date_time(),
            "updated_at": date_time(),
        })),
        "CampaignCreate": object(&["name", "configuration_id"], json!({
            "name": string(1, 200),
            "configuration_id": uuid(),
            "external_id": described(external_id(), "unique in the organisation; never `default`, `.` or `..`"),
            "priority": with_default(int(0, 100), json!(0)),
            "status": described(enumeration(&["active"]), "a new campaign is active"),
        })),
        "CampaignUpdate": described(object(&[], json!({
            "name": string(1, 200),
            "configuration_id": uuid(),
            "external_id": described(external_id(), "null clears it"),
            "priority": int(0, 100),
        })), "`status` is refused here: use the start/pause/close routes"),
        "CampaignList": record(json!({
            "campaigns": array(schema("Campaign"), 0, Some(200)),
            "next_cursor": or_null(json!({"type": "string"})),
        })),
        "Attempt": record(json!({
            "id": uuid(),
            "phone_number": e164.clone(),
            "conversation_id": or_null(json!({"type": "string"})),
            "status": enumeration(AttemptStatus::NAMES),
            "outcome": or_null(enumeration(&["answered", "voicemail", "no_answer", "busy", "failed"])),
            "started_at": date_time(),
            "ended_at": or_null(date_time()),
        })),
        "Contact": record(json!({
            "id": uuid(),
            "campaign_id": described(or_null(uuid()), "null for ad-hoc contacts (the `default` campaign)"),
            "external_id": or_null(length(&contact::EXTERNAL_ID)),
            "phone_numbers": array(e164.clone(), *contact::NUMBERS.start(), Some(*contact::NUMBERS.end())),
            "data": json_object(),
            "timezone": or_null(timezone_name()),
            "scheduled_at": or_null(date_time()),
            "agent_id": or_null(length(&contact::AGENT_ID)),
            "agent_config": or_null(json_object()),
            "agent_number": or_null(e164),
            "agent_version": or_null(agent_version()),
            "initial_context": or_null(length(&contact::INITIAL_CONTEXT)),
            "status": enumeration(ContactStatus::NAMES),
            "attempt_count": count(),
            "next_attempt_at": or_null(date_time()),
            "created_at": date_time(),
            "updated_at": date_time(),
            "attempts": array(schema("Attempt"), 0, None),
        })),
        "ContactIn": described(
            object(&[], contact_in_fields),
            "Matched by `id`, then `external_id`: a match is updated (present fields replace \
             stored ones, null clears), otherwise the item is inserted.",
        ),
        "ContactUpsert": record(json!({"contacts": array(schema("ContactIn"), 1, Some(contact::MAX_UPSERT))})),
        "UpsertResult": record(json!({
            "inserted": count(),
            "updated": count(),
            "contact_ids": array(uuid(), 1, Some(contact::MAX_UPSERT)),
        })),
        "ContactList": record(json!({
            "contacts": array(schema("Contact"), 0, Some(1000)),
            "total": count(),
            "limit": int(1, 1000),
            "offset": count(),
        })),
        "Stats": record(json!({
            "campaign_id": uuid(),
            "status": enumeration(campaign_statuses),
            "contacts": record(json!({
                "total": count(), "pending": count(), "in_progress": count(),
                "completed": count(), "exhausted": count(),
            })),
            "attempts": record(json!({
                "total": count(),
                "average_per_contact": {"type": "number", "minimum": 0},
            })),
            "active_calls": count(),
            "concurrency_limit": int(1, 10_000),
        })),
        "ConcurrencySettings": record(json!({
            "organization_id": org_id(),
            "concurrency_limit": int(1, 10_000),
        })),
        "ConcurrencySettingsUpdate": object(&["concurrency_limit"], json!({
            "concurrency_limit": int(1, 10_000),
        })),
        "ImportError": object(&["line", "msg"], json!({
            "line": json!({"type": "integer", "minimum": 1}),
            "column": or_null(json!({"type": "string"})),
            "msg": {"type": "string"},
        })),
        "ImportReport": record(json!({
            "inserted": count(),
            "updated": count(),
            "skipped": count(),
            "dry_run": {"type": "boolean"},
            "columns": {"type": "object", "additionalProperties": {"type": "string"}},
            "errors": array(schema("ImportError"), 0, Some(1000)),
            "error_count": count(),
        })),
    });
    let map = all.as_object_mut().expect("schemas are an object");
    map.extend(timeline_schemas().as_object().expect("an object").clone());
    map.extend(dialing_schemas().as_object().expect("an object").clone());
    all
}

/// The timeline's answer and its estimate (docs/api.md §6.3).
fn timeline_schemas() -> Value {
    json!({
        "TimelineBucket": record(json!({
            "start": described(date_time(), "The bucket's start (UTC-aligned)"),
            "attempts_started": described(count(), "Attempts that started in the bucket"),
            "outcomes": described(
                record(json!({
                    "answered": count(), "voicemail": count(), "no_answer": count(),
                    "busy": count(), "failed": count(),
                })),
                "Attempts that ended in the bucket, by outcome",
            ),
            "contacts_completed": described(count(), "Contacts whose last attempt (answered) ended in the bucket"),
            "contacts_exhausted": described(count(), "Contacts whose last attempt used up max_attempts in the bucket"),
        })),
        "Estimate": described(record(json!({
            "state": described(enumeration(&TimelineState::NAMES),
                "`calling`: an estimate; `no_rate`: calling, but no contact finished yet in the \
                 last hour of calling; `windows_closed`: contacts wait and every calling window \
                 is closed until `next_window_at`; `paused`, `closed`; `no_windows`: the \
                 configuration has none; `nothing_pending`: no contact is pending or being called"),
            "remaining_contacts": described(count(), "Contacts pending, locked or in progress"),
            "rate_per_hour": described(or_null(json!({"type": "number", "minimum": 0})),
                "Contacts finished (completed or exhausted) per hour over the last hour of calling"),
            "calling_left_minutes": described(or_null(count()),
                "Calling time the remaining contacts need at that rate"),
            "done_at": described(or_null(date_time()),
                "When that calling time has passed inside the default windows"),
            "next_window_at": described(or_null(date_time()),
                "With `windows_closed`: when the first window opens"),
            "timezone": described(string(1, 255),
                "The configuration's default timezone (UTC for ad-hoc contacts): the zone of the windows `done_at` is read in"),
        })), "The finish estimate [ext]: the last hour of calling's rate carried through the \
              calling windows, or why there is none"),
        "Timeline": record(json!({
            "campaign_id": described(or_null(uuid()), "The resolved campaign id; null for `default`"),
            "bucket": enumeration(&Bucket::NAMES),
            "from": described(date_time(), "The first bucket's start"),
            "to": described(date_time(), "The last bucket's end"),
            "buckets": array(schema("TimelineBucket"), 1, Some(MAX_BUCKETS as usize)),
            "estimate": schema("Estimate"),
        })),
    })
}

/// What the user's telephony (or Twilio) reports about a call.
fn dialing_schemas() -> Value {
    json!({
        "AttemptResult": object(&["outcome"], json!({
            "outcome": enumeration(Outcome::NAMES),
            "ended_at": described(date_time(), "RFC 3339 with an offset; default now. Not before \
                the attempt's started_at, not in the future (campaignd's clock)"),
            "conversation_id": described(
                json!({"type": "string", "maxLength": MAX_CONVERSATION_ID}),
                "your telephony's id of the call",
            ),
        })),
        "TwilioStatusCallback": described(object(&["CallSid", "CallStatus"], json!({
            "CallSid": described(string(1, MAX_CONVERSATION_ID), "Twilio's id of the call: \
                the attempt's conversation_id"),
            "CallStatus": described(enumeration(&CALL_STATUSES), "final: completed, busy, \
                no-answer, failed, canceled; the others change nothing"),
            "AnsweredBy": described(enumeration(&ANSWERED_BY), "with machine detection: \
                machine_* and fax make a completed call `voicemail`"),
            "CallDuration": described(json!({"type": "string", "pattern": "^[0-9]+$"}),
                "seconds the call was connected"),
        })), "Twilio's status callback parameters (those campaignd reads; every parameter is \
            signed, and others are accepted)"),
        "TwilioStatusAnswer": record(json!({
            "attempt_id": uuid(),
            "call_status": enumeration(&CALL_STATUSES),
            "outcome": or_null(enumeration(Outcome::NAMES)),
            "changed": described(json!({"type": "boolean"}), "false: a status that changes \
                nothing, or a repeated final status"),
        })),
    })
}

// ---------------------------------------------------------------------------------------------
// Responses and parameters

fn json_content(s: Value) -> Value {
    json!({"application/json": {"schema": s}})
}

fn response(description: &str, s: Value) -> Value {
    json!({"description": description, "content": json_content(s)})
}

/// `{"$ref": "#/components/responses/<name>"}`.
fn shared_response(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn header(description: &str, s: Value) -> Value {
    json!({"description": description, "required": true, "schema": s})
}

fn responses() -> Value {
    let error = |description: &str| response(description, schema("Error"));
    let mut unauthorized =
        error("Missing or invalid credential, or a `pat_` without `X-Anyreach-Org`");
    unauthorized["headers"] = json!({
        "WWW-Authenticate": header("always `Bearer`", json!({"type": "string", "const": "Bearer"}))
    });
    let mut busy = error("The database stayed busy beyond its timeout; retry");
    busy["headers"] = json!({
        "Retry-After": header("seconds", json!({"type": "string", "pattern": "^[0-9]+$"}))
    });
    json!({
        "BadRequest": error("Understood, but not possible in the resource's state"),
        "Unauthorized": unauthorized,
        "Forbidden": error("Credential valid but not allowed: organisation or scope"),
        "NotFound": error("No such resource (or one of another organisation)"),
        "Conflict": error("The resource's state forbids the action"),
        "PayloadTooLarge": error("Request body over 10 MiB"),
        "ValidationError": response("Validation failed: every problem, with its `loc`", schema("HTTPValidationError")),
        "ServiceUnavailable": busy,
    })
}

fn parameter(name: &str, location: &str, required: bool, s: Value, description: &str) -> Value {
    json!({
        "name": name, "in": location, "required": required, "schema": s, "description": description,
    })
}

/// `{"$ref": "#/components/parameters/<name>"}`.
fn shared_parameter(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

/// A repeatable query parameter (`?status=a&status=b`).
fn repeatable(name: &str, items: Value, description: &str) -> Value {
    let mut p = parameter(
        name,
        "query",
        false,
        json!({"type": "array", "items": items}),
        description,
    );
    p["style"] = json!("form");
    p["explode"] = json!(true);
    p
}

fn parameters() -> Value {
    let id = "Campaign UUID, or else the campaign's external_id (percent-encoded)";
    json!({
        "Org": parameter(
            "X-Anyreach-Org", "header", false,
            json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}),
            "Organisation to act for: required with a personal access token (`pat_`); with an \
             API key it must name the key's own organisation if given",
        ),
        "CampaignId": parameter("id", "path", true, string(1, 255), id),
        "ContactsCampaignId": parameter(
            "id", "path", true, string(1, 255),
            &format!("{id}; or `default` for the organisation's ad-hoc contacts"),
        ),
        "ContactId": parameter(
            "contact_id", "path", true, string(1, 255),
            "Contact UUID, or else the contact's external_id, within the campaign",
        ),
        "ConfigId": parameter("config_id", "path", true, uuid(), "Configuration UUID (anything else: 404)"),
        "CursorQuery": parameter(
            "cursor", "query", false, json!({"type": "string"}),
            "The `next_cursor` of the previous page",
        ),
    })
}

// ---------------------------------------------------------------------------------------------
// Operations

/// Who may call an operation.
#[derive(Clone, Copy)]
enum Guard {
    Public,
    /// Any valid credential, no organisation (the timezone list).
    AnyCredential,
    /// An organisation, and one of these scopes.
    Org(&'static [Scope]),
}

/// One operation. `errors` are the names of shared responses it can answer besides the ones its
/// guard implies (401 and 503 for a credential, 403 for an organisation).
struct Op {
    id: &'static str,
    summary: &'static str,
    guard: Guard,
    params: Vec<Value>,
    body: Option<Value>,
    success: (&'static str, Value),
    /// Answers of its own besides the shared ones.
    also: Vec<(&'static str, Value)>,
    errors: &'static [&'static str],
    note: &'static str,
}

const STATUS_OF: [(&str, &str); 8] = [
    ("BadRequest", "400"),
    ("Unauthorized", "401"),
    ("Forbidden", "403"),
    ("NotFound", "404"),
    ("Conflict", "409"),
    ("PayloadTooLarge", "413"),
    ("ValidationError", "422"),
    ("ServiceUnavailable", "503"),
];

impl Op {
    fn new(id: &'static str, summary: &'static str, guard: Guard) -> Op {
        Op {
            id,
            summary,
            guard,
            params: Vec::new(),
            body: None,
            success: ("200", json!({"description": "OK"})),
            also: Vec::new(),
            errors: &[],
            note: "",
        }
    }

    fn params(mut self, params: Vec<Value>) -> Op {
        self.params.extend(params);
        self
    }

    fn json_body(self, name: &str) -> Op {
        self.body("application/json", schema(name))
    }

    fn body(mut self, content_type: &str, s: Value) -> Op {
        self.body = Some(json!({"required": true, "content": {content_type: {"schema": s}}}));
        self
    }

    fn also(mut self, status: &'static str, answer: Value) -> Op {
        self.also.push((status, answer));
        self
    }

    fn note(mut self, note: &'static str) -> Op {
        self.note = note;
        self
    }

    fn ok(mut self, status: &'static str, answer: Value) -> Op {
        self.success = (status, answer);
        self
    }

    fn errors(mut self, errors: &'static [&'static str]) -> Op {
        self.errors = errors;
        self
    }

    fn build(self) -> Value {
        let mut errors: Vec<&str> = self.errors.to_vec();
        let mut params = Vec::new();
        let (security, scopes) = match self.guard {
            Guard::Public => (
                json!([]),
                "Scopes: none (no credential needed).".to_string(),
            ),
            Guard::AnyCredential => {
                errors.extend(["Unauthorized", "ServiceUnavailable"]);
                (
                    json!([{"bearerAuth": []}]),
                    "Scopes: any valid credential, no scope needed; not organisation-scoped."
                        .to_string(),
                )
            }
            Guard::Org(accepted) => {
                errors.extend(["Unauthorized", "Forbidden", "ServiceUnavailable"]);
                params.push(shared_parameter("Org"));
                (
                    json!([{"bearerAuth": []}]),
                    format!("Scopes: {}.", describe(accepted).replace(", ", " or ")),
                )
            }
        };
        params.extend(self.params);
        let mut answers = Map::new();
        answers.insert(self.success.0.into(), self.success.1);
        for (status, answer) in self.also {
            answers.insert(status.into(), answer);
        }
        for (name, status) in STATUS_OF {
            if errors.contains(&name) {
                answers.insert(status.into(), shared_response(name));
            }
        }
        let mut op = json!({
            "operationId": self.id,
            "summary": self.summary,
            "description": format!("{scopes} {}", self.note).trim_end(),
            "security": security,
            "responses": answers,
        });
        if !params.is_empty() {
            op["parameters"] = json!(params);
        }
        if let Some(body) = self.body {
            op["requestBody"] = body;
        }
        op
    }
}

/// An OpenAPI link to `operation_id`, passing `parameters` (runtime expressions).
fn link(operation_id: &str, parameters: Value) -> Value {
    json!({"operationId": operation_id, "parameters": parameters})
}

fn links_with(answer: Value, links: &[(&str, Value)]) -> Value {
    let mut answer = answer;
    let mut map = Map::new();
    for (name, l) in links {
        map.insert((*name).into(), l.clone());
    }
    answer["links"] = Value::Object(map);
    answer
}

fn paths() -> Value {
    use Guard::{AnyCredential, Org, Public};
    let read = Org(scope::READ);
    let manage = Org(scope::MANAGE);
    let campaign = || shared_parameter("CampaignId");
    let contacts_campaign = || shared_parameter("ContactsCampaignId");
    let config = || shared_parameter("ConfigId");
    let answer = |description: &str, name: &str| response(description, schema(name));
    let no_content = json!({"description": "Deleted (no body)"});

    // Stateful testing: what a created resource's id leads to.
    let campaign_id = json!({"id": "$response.body#/id"});
    let campaign_links: Vec<(&str, Value)> = [
        ("GetCampaign", "get_campaign"),
        ("UpdateCampaign", "update_campaign"),
        ("StartCampaign", "start_campaign"),
        ("PauseCampaign", "pause_campaign"),
        ("CloseCampaign", "close_campaign"),
        ("GetCampaignStats", "get_campaign_stats"),
        ("GetCampaignTimeline", "get_campaign_timeline"),
        ("UpsertContacts", "upsert_contacts"),
        ("ListContacts", "list_contacts"),
        ("ImportContactsCsv", "import_contacts_csv"),
    ]
    .into_iter()
    .map(|(name, op)| (name, link(op, campaign_id.clone())))
    .collect();
    let config_id = json!({"config_id": "$response.body#/id"});
    let config_links: Vec<(&str, Value)> = [
        ("GetConfiguration", "get_configuration"),
        ("UpdateConfiguration", "update_configuration"),
        ("DeleteConfiguration", "delete_configuration"),
    ]
    .into_iter()
    .map(|(name, op)| (name, link(op, config_id.clone())))
    .chain([(
        "CreateCampaign",
        json!({
            "operationId": "create_campaign",
            "requestBody": {"name": "Linked campaign", "configuration_id": "$response.body#/id"},
        }),
    )])
    .collect();
    let contact = json!({"id": "$request.path.id", "contact_id": "$response.body#/contact_ids/0"});
    let contact_links = [
        ("GetContact", link("get_contact", contact.clone())),
        ("DeleteContact", link("delete_contact", contact)),
    ];

    let campaign_status = json!({"type": "string", "enum": CampaignStatus::NAMES});
    let contact_status = json!({"type": "string", "enum": ContactStatus::NAMES});
    let lifecycle = |id: &'static str, summary: &'static str| {
        Op::new(id, summary, manage)
            .params(vec![campaign()])
            .ok("200", answer("The campaign after the action", "Campaign"))
            .errors(&["BadRequest", "NotFound"])
            .build()
    };

    json!({
        "/healthz": {"get": Op::new("healthz", "Health check", Public)
            .ok("200", answer("The database answers", "Health"))
            .also("503", answer("The database does not answer", "Health"))
            .build()},
        "/metrics": {"get": Op::new("get_metrics",
                "Prometheus metrics (text format; not served with `--metrics off`)", Public)
            .ok("200", json!({"description": "The Prometheus text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}}}))
            .build()},
        "/campaign/openapi.json": {"get": Op::new("get_openapi", "This OpenAPI document", Public)
            .ok("200", response("OpenAPI 3.1 document", json!({"type": "object"})))
            .build()},
        "/campaign/campaigns": {
            "post": Op::new("create_campaign", "Create a campaign (status active)", manage)
                .json_body("CampaignCreate")
                .ok("201", links_with(answer("Created", "Campaign"), &campaign_links))
                .errors(&["Conflict", "PayloadTooLarge", "ValidationError"])
                .build(),
            "get": Op::new("list_campaigns", "List campaigns, newest first", read)
                .params(vec![
                    parameter("limit", "query", false, with_default(int(1, 200), json!(50)), "Page size"),
                    shared_parameter("CursorQuery"),
                    parameter("name", "query", false, json!({"type": "string"}),
                        "Substring of the name, ignoring case"),
                    repeatable("status", campaign_status, "Any of these statuses"),
                ])
                .ok("200", answer("A page of campaigns", "CampaignList"))
                .errors(&["ValidationError"])
                .build(),
        },
        "/campaign/campaigns/{id}": {
            "get": Op::new("get_campaign", "Get a campaign", read)
                .params(vec![campaign()])
                .ok("200", answer("The campaign", "Campaign"))
                .errors(&["NotFound"])
                .build(),
            "patch": Op::new("update_campaign", "Update a campaign", manage)
                .params(vec![campaign()])
                .json_body("CampaignUpdate")
                .ok("200", answer("The campaign", "Campaign"))
                .errors(&["BadRequest", "NotFound", "Conflict", "PayloadTooLarge", "ValidationError"])
                .build(),
        },
        "/campaign/campaigns/{id}/start": {"post": lifecycle("start_campaign", "Start (or resume) a campaign")},
        "/campaign/campaigns/{id}/pause": {"post": lifecycle("pause_campaign", "Pause an active campaign")},
        "/campaign/campaigns/{id}/close": {"post": lifecycle("close_campaign", "Close a campaign (final)")},
        "/campaign/campaigns/{id}/stats": {
            "get": Op::new("get_campaign_stats", "Contact and attempt counts of a campaign", read)
                .params(vec![campaign()])
                .ok("200", answer("The statistics", "Stats"))
                .errors(&["NotFound"])
                .build(),
        },
        "/campaign/campaigns/{id}/timeline": {
            "get": Op::new("get_campaign_timeline",
                    "A campaign's calls over time, and when it will be done [ext]", read)
                .params(vec![
                    contacts_campaign(),
                    parameter("bucket", "query", false, enumeration(&Bucket::NAMES),
                        "Bucket size; default: the smallest giving at most 500 buckets"),
                    parameter("from", "query", false, date_time(),
                        "RFC 3339 with an offset; default: the campaign's created_at"),
                    parameter("to", "query", false, date_time(),
                        "RFC 3339 with an offset; default: now (campaignd's clock)"),
                ])
                .ok("200", answer("Every bucket from `from` to `to`, zeros included", "Timeline"))
                .errors(&["NotFound", "ValidationError"])
                .note("At most 1,000 buckets; `from` must be before `to`.")
                .build(),
        },
        "/campaign/campaigns/{id}/contacts": {
            "post": Op::new("upsert_contacts", "Insert or update contacts (all or nothing)", manage)
                .params(vec![contacts_campaign()])
                .json_body("ContactUpsert")
                .ok("200", links_with(answer("Applied", "UpsertResult"), &contact_links))
                .errors(&["BadRequest", "NotFound", "Conflict", "PayloadTooLarge", "ValidationError"])
                .build(),
            "get": Op::new("list_contacts", "List contacts, oldest first", read)
                .params(vec![
                    contacts_campaign(),
                    parameter("limit", "query", false, with_default(int(1, 1000), json!(100)), "Page size"),
                    parameter("offset", "query", false,
                        with_default(json!({"type": "integer", "minimum": 0}), json!(0)),
                        "Rows to skip (not with `after`)"),
                    parameter("after", "query", false, uuid(),
                        "Keyset paging: the contacts after this contact id (not with `offset`)"),
                    repeatable("status", contact_status, "Any of these statuses"),
                ])
                .ok("200", answer("A page of contacts", "ContactList"))
                .errors(&["NotFound", "ValidationError"])
                .build(),
        },
        "/campaign/campaigns/{id}/contacts/import": {
            "post": Op::new("import_contacts_csv", "Import contacts from a CSV file", manage)
                .params(vec![
                    contacts_campaign(),
                    parameter("dry_run", "query", false, with_default(json!({"type": "boolean"}), json!(false)),
                        "Report what would happen; write nothing"),
                    parameter("skip_invalid", "query", false, with_default(json!({"type": "boolean"}), json!(false)),
                        "Import the valid rows and report the others"),
                ])
                .ok("200", answer("Import report", "ImportReport"))
                .errors(&["BadRequest", "NotFound", "PayloadTooLarge", "ValidationError"])
                .body("text/csv", json!({"type": "string"}))
                .note("GET and DELETE on this path address the contact whose id or external_id \
                       is `import` (get_contact, delete_contact).")
                .build(),
        },
        "/campaign/campaigns/{id}/contacts/{contact_id}": {
            "get": Op::new("get_contact", "Get a contact with its attempts", read)
                .params(vec![contacts_campaign(), shared_parameter("ContactId")])
                .ok("200", answer("The contact", "Contact"))
                .errors(&["NotFound"])
                .build(),
            "delete": Op::new("delete_contact", "Delete a contact and its attempts", manage)
                .params(vec![contacts_campaign(), shared_parameter("ContactId")])
                .ok("204", no_content.clone())
                .errors(&["NotFound", "Conflict"])
                .build(),
        },
        "/campaign/attempts/{attempt_id}/result": {
            "post": Op::new("report_attempt_result", "Report how a call placed through the webhook ended", manage)
                .params(vec![parameter("attempt_id", "path", true, uuid(),
                    "The attempt's id: `webhook-id` of its delivery (anything else: 404)")])
                .json_body("AttemptResult")
                .ok("200", answer("The contact with its attempts, the result applied", "Contact"))
                .errors(&["NotFound", "Conflict", "PayloadTooLarge", "ValidationError"])
                .note("The same outcome sent again for an attempt that already ended answers 200 \
                       (retries are safe); another outcome answers 409.")
                .build(),
        },
        "/campaign/twilio/status": {
            "post": Op::new("twilio_status_callback",
                    "Twilio's status callback for a call of the Twilio placer", Public)
                .params(vec![parameter("X-Twilio-Signature", "header", true, json!({"type": "string"}),
                    "base64 HMAC-SHA1, keyed with --twilio-auth-token, over the URL Twilio called \
                     (--public-url + this path) followed by every parameter's name and value, \
                     sorted by name (Twilio's RequestValidator)")])
                .body("application/x-www-form-urlencoded", schema("TwilioStatusCallback"))
                .ok("200", answer("Recorded (or nothing to record)", "TwilioStatusAnswer"))
                .errors(&["Forbidden", "NotFound", "PayloadTooLarge", "ValidationError",
                    "ServiceUnavailable"])
                .note("No bearer credential: a missing or wrong X-Twilio-Signature answers 403 \
                       and changes nothing. A final CallStatus ends the attempt (completed: \
                       answered, or voicemail when AnsweredBy is machine_* or fax; busy; \
                       no-answer: no_answer; failed and canceled: failed); a final status for an \
                       attempt that already ended answers 200 and changes nothing. An unknown \
                       CallSid answers 404.")
                .build(),
        },
        "/campaign/configurations": {
            "post": Op::new("create_configuration", "Create a configuration", manage)
                .json_body("ConfigurationCreate")
                .ok("201", links_with(answer("Created", "Configuration"), &config_links))
                .errors(&["PayloadTooLarge", "ValidationError"])
                .build(),
            "get": Op::new("list_configurations", "List configurations, newest first", read)
                .params(vec![
                    parameter("limit", "query", false, with_default(int(1, 200), json!(200)), "Page size"),
                    shared_parameter("CursorQuery"),
                ])
                .ok("200", answer("A page of configurations", "ConfigurationList"))
                .errors(&["ValidationError"])
                .build(),
        },
        "/campaign/configurations/{config_id}": {
            "get": Op::new("get_configuration", "Get a configuration", read)
                .params(vec![config()])
                .ok("200", answer("The configuration", "Configuration"))
                .errors(&["NotFound"])
                .build(),
            "patch": Op::new("update_configuration", "Update a configuration", manage)
                .params(vec![config()])
                .json_body("ConfigurationUpdate")
                .ok("200", answer("The configuration", "Configuration"))
                .errors(&["NotFound", "PayloadTooLarge", "ValidationError"])
                .build(),
            "delete": Op::new("delete_configuration", "Delete an unused configuration", manage)
                .params(vec![config()])
                .ok("204", no_content)
                .errors(&["NotFound", "Conflict"])
                .build(),
        },
        "/campaign/timezones": {
            "get": Op::new("list_timezones", "Every IANA timezone name accepted", AnyCredential)
                .ok("200", response(
                    "Sorted by code point",
                    json!({"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": true}),
                ))
                .build(),
        },
        "/campaign/concurrency-settings": {
            "get": Op::new("get_concurrency_settings", "The organisation's concurrency limit",
                    Org(scope::CONCURRENCY_READ))
                .ok("200", answer("The settings", "ConcurrencySettings"))
                .build(),
            "put": Op::new("update_concurrency_settings", "Set the organisation's concurrency limit",
                    Org(scope::CONCURRENCY_MANAGE))
                .json_body("ConcurrencySettingsUpdate")
                .ok("200", answer("The settings", "ConcurrencySettings"))
                .errors(&["PayloadTooLarge", "ValidationError"])
                .build(),
        },
    })
}

/// The headings under which `/docs` and generated clients group the operations, by resource.
const TAGS: [(&str, &str); 6] = [
    (
        "campaigns",
        "Campaigns, their lifecycle and their statistics",
    ),
    (
        "contacts",
        "The contacts a campaign dials (`default`: ad-hoc contacts)",
    ),
    (
        "configurations",
        "Dialing configurations: calling windows, retry policy, default agent",
    ),
    (
        "settings",
        "The organisation's concurrency limit and the accepted timezones",
    ),
    (
        "dialing",
        "What your telephony reports back about the calls campaignd places",
    ),
    ("operations", "Health, metrics and this document"),
];

/// The tag of the operations under `path` (one of `TAGS`).
fn tag_of(path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["campaign", "campaigns", _, "contacts", ..] => "contacts",
        ["campaign", "campaigns", ..] => "campaigns",
        ["campaign", "configurations", ..] => "configurations",
        ["campaign", "timezones" | "concurrency-settings"] => "settings",
        ["campaign", "attempts" | "twilio", ..] => "dialing",
        ["healthz" | "metrics"] | ["campaign", "openapi.json"] => "operations",
        _ => panic!("no tag for the operations of {path}: add it to tag_of"),
    }
}

/// `paths()` with each operation under its resource's tag.
fn tagged_paths() -> Value {
    let mut paths = paths();
    for (path, operations) in paths.as_object_mut().expect("paths are an object") {
        let tag = tag_of(path);
        for operation in operations
            .as_object_mut()
            .expect("a path item")
            .values_mut()
        {
            operation["tags"] = json!([tag]);
        }
    }
    paths
}

fn build() -> Value {
    let tags: Vec<Value> = TAGS
        .iter()
        .map(|(name, description)| json!({"name": name, "description": description}))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "campaignd: Anyreach Campaigns API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Self-hosted Anyreach Campaigns API. Errors are `{\"detail\": string}`, \
                except validation errors (422), whose `detail` lists every problem.",
        },
        "tags": tags,
        "paths": tagged_paths(),
        "components": {
            "schemas": schemas(),
            "responses": responses(),
            "parameters": parameters(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An organisation API key `ak_<key_id>.<secret>`, or a personal \
                        access token `pat_<token_id>.<secret>` with the `X-Anyreach-Org` header",
                },
            },
        },
    })
}
