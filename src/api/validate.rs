//! FastAPI-style validation: read JSON values into typed values, collecting every problem with
//! its `loc`, so that one 422 answer names every bad field.

use crate::domain::ids::ResourceId;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// One step of a `loc`: a field name or a 0-based list index.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Step {
    Key(String),
    Index(usize),
}

impl From<&str> for Step {
    fn from(key: &str) -> Self {
        Step::Key(key.to_string())
    }
}

impl From<usize> for Step {
    fn from(index: usize) -> Self {
        Step::Index(index)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Loc(Vec<Step>);

impl Loc {
    pub fn body() -> Loc {
        Loc(vec!["body".into()])
    }

    pub fn query() -> Loc {
        Loc(vec!["query".into()])
    }

    pub fn at(&self, step: impl Into<Step>) -> Loc {
        let mut steps = self.0.clone();
        steps.push(step.into());
        Loc(steps)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<Step>,
    pub msg: String,
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

/// Collects problems while reading a request.
#[derive(Debug, Default)]
pub struct Checker {
    pub problems: Vec<Problem>,
}

/// A field that may be absent, explicitly null, or set (PATCH and upsert semantics).
#[derive(Clone, Debug, PartialEq)]
pub enum Field<T> {
    Absent,
    Null,
    Set(T),
}

impl<T> Field<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    /// The value for a nullable column: `Some(None)` clears, `None` keeps.
    pub fn update(self) -> Option<Option<T>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Set(value) => Some(Some(value)),
        }
    }
}

impl Checker {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn push(
        &mut self,
        kind: &'static str,
        loc: &Loc,
        msg: impl Into<String>,
        input: &Value,
        ctx: Option<Value>,
    ) {
        self.problems.push(Problem {
            kind,
            loc: loc.0.clone(),
            msg: msg.into(),
            input: input.clone(),
            ctx,
        });
    }

    /// A rule of ours that the value breaks (`value_error`); `msg` says what is wrong.
    pub fn value_error(&mut self, loc: &Loc, msg: impl Into<String>, input: &Value) {
        let msg = msg.into();
        let ctx = json!({"error": msg});
        self.push("value_error", loc, msg, input, Some(ctx));
    }

    pub fn missing(&mut self, loc: &Loc, enclosing: &Value) {
        self.push("missing", loc, "Field required", enclosing, None);
    }

    pub fn object<'v>(&mut self, value: &'v Value, loc: &Loc) -> Option<&'v Map<String, Value>> {
        let map = value.as_object();
        if map.is_none() {
            self.push(
                "dict_type",
                loc,
                "Input should be a valid dictionary",
                value,
                None,
            );
        }
        map
    }

    pub fn list<'v>(
        &mut self,
        value: &'v Value,
        loc: &Loc,
        min: usize,
        max: usize,
    ) -> Option<&'v Vec<Value>> {
        let Some(items) = value.as_array() else {
            self.push(
                "list_type",
                loc,
                "Input should be a valid list",
                value,
                None,
            );
            return None;
        };
        let n = items.len();
        if n < min {
            let s = if min == 1 { "" } else { "s" };
            let msg = format!("List should have at least {min} item{s} after validation, not {n}");
            let ctx = json!({"field_type": "List", "min_length": min, "actual_length": n});
            self.push("too_short", loc, msg, value, Some(ctx));
            return None;
        }
        if n > max {
            let msg = format!("List should have at most {max} items after validation, not {n}");
            let ctx = json!({"field_type": "List", "max_length": max, "actual_length": n});
            self.push("too_long", loc, msg, value, Some(ctx));
            return None;
        }
        Some(items)
    }

    /// A string of `min..=max` characters (code points).
    /// A string whose length in characters is within `bounds`.
    pub fn string_in(
        &mut self,
        value: &Value,
        loc: &Loc,
        bounds: &std::ops::RangeInclusive<usize>,
    ) -> Option<String> {
        self.string(value, loc, *bounds.start(), *bounds.end())
    }

    pub fn string(&mut self, value: &Value, loc: &Loc, min: usize, max: usize) -> Option<String> {
        let Some(text) = value.as_str() else {
            self.push(
                "string_type",
                loc,
                "Input should be a valid string",
                value,
                None,
            );
            return None;
        };
        let n = text.chars().count();
        if n < min {
            let s = if min == 1 { "" } else { "s" };
            let ctx = json!({"min_length": min});
            self.push(
                "string_too_short",
                loc,
                format!("String should have at least {min} character{s}"),
                value,
                Some(ctx),
            );
            return None;
        }
        if n > max {
            let ctx = json!({"max_length": max});
            self.push(
                "string_too_long",
                loc,
                format!("String should have at most {max} characters"),
                value,
                Some(ctx),
            );
            return None;
        }
        Some(text.to_string())
    }

    /// A JSON integer (not a float, not a string) in `ge..=le`.
    pub fn int(&mut self, value: &Value, loc: &Loc, ge: i64, le: i64) -> Option<i64> {
        let Some(n) = value.as_i64().or_else(|| value.as_u64().map(|_| i64::MAX)) else {
            self.push(
                "int_type",
                loc,
                "Input should be a valid integer",
                value,
                None,
            );
            return None;
        };
        self.bounded(n, value, loc, ge, le)
    }

    /// An integer read from query text.
    pub fn int_text(&mut self, text: &str, loc: &Loc, ge: i64, le: i64) -> Option<i64> {
        let value = Value::String(text.to_string());
        let Ok(n) = text.parse::<i64>() else {
            let msg = "Input should be a valid integer, unable to parse string as an integer";
            self.push("int_type", loc, msg, &value, None);
            return None;
        };
        self.bounded(n, &value, loc, ge, le)
    }

    fn bounded(&mut self, n: i64, value: &Value, loc: &Loc, ge: i64, le: i64) -> Option<i64> {
        if n < ge {
            let ctx = json!({"ge": ge});
            self.push(
                "greater_than_equal",
                loc,
                format!("Input should be greater than or equal to {ge}"),
                value,
                Some(ctx),
            );
            return None;
        }
        if n > le {
            let ctx = json!({"le": le});
            self.push(
                "less_than_equal",
                loc,
                format!("Input should be less than or equal to {le}"),
                value,
                Some(ctx),
            );
            return None;
        }
        Some(n)
    }

    pub fn boolean_text(&mut self, text: &str, loc: &Loc) -> Option<bool> {
        match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" => Some(false),
            _ => {
                let msg = "Input should be a valid boolean, unable to interpret input";
                self.push(
                    "bool_type",
                    loc,
                    msg,
                    &Value::String(text.to_string()),
                    None,
                );
                None
            }
        }
    }

    /// One of `names`, exactly.
    pub fn one_of<'n>(&mut self, value: &Value, loc: &Loc, names: &[&'n str]) -> Option<&'n str> {
        if let Some(found) = value
            .as_str()
            .and_then(|text| names.iter().find(|n| **n == text))
        {
            return Some(found);
        }
        let expected = quoted_alternatives(names);
        let ctx = json!({"expected": expected});
        self.push(
            "enum",
            loc,
            format!("Input should be {expected}"),
            value,
            Some(ctx),
        );
        None
    }

    /// A page cursor from query text, as `next_cursor` wrote it.
    pub fn cursor(&mut self, text: String, loc: &Loc) -> Option<crate::store::Cursor> {
        let cursor = crate::store::Cursor::parse(&text);
        if cursor.is_none() {
            self.value_error(
                loc,
                "Invalid cursor: pass back a next_cursor as it was",
                &Value::String(text),
            );
        }
        cursor
    }

    /// A resource id: a UUID in the 8-4-4-4-12 form, returned canonical.
    pub fn uuid<T: ResourceId>(&mut self, value: &Value, loc: &Loc) -> Option<T> {
        let Some(text) = value.as_str() else {
            self.push(
                "string_type",
                loc,
                "Input should be a valid string",
                value,
                None,
            );
            return None;
        };
        let id = T::parse(text);
        if id.is_none() {
            let msg = "Input should be a valid UUID in the 8-4-4-4-12 hyphenated form";
            self.push("uuid_parsing", loc, msg, value, None);
        }
        id
    }

    /// Reads an optional field that may also be `null`.
    pub fn nullable<T>(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        loc: &Loc,
        read: impl FnOnce(&mut Checker, &Value, &Loc) -> Option<T>,
    ) -> Option<Field<T>> {
        match map.get(key) {
            None => Some(Field::Absent),
            Some(Value::Null) => Some(Field::Null),
            Some(value) => read(self, value, &loc.at(key)).map(Field::Set),
        }
    }

    /// Reads an optional, non-nullable field (`null` is a type error of the field).
    pub fn optional<T>(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        loc: &Loc,
        read: impl FnOnce(&mut Checker, &Value, &Loc) -> Option<T>,
    ) -> Option<Option<T>> {
        match map.get(key) {
            None => Some(None),
            Some(value) => read(self, value, &loc.at(key)).map(Some),
        }
    }

    /// Reads a required, non-nullable field.
    pub fn required<T>(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        loc: &Loc,
        read: impl FnOnce(&mut Checker, &Value, &Loc) -> Option<T>,
    ) -> Option<T> {
        match map.get(key) {
            None => {
                self.missing(&loc.at(key), &Value::Object(map.clone()));
                None
            }
            Some(value) => read(self, value, &loc.at(key)),
        }
    }
}

/// `'a', 'b' or 'c'`, as Pydantic lists enum members.
pub fn quoted_alternatives(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
