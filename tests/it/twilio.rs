//! The Twilio placer and `POST /campaign/twilio/status` (docs/telephony.md, "Twilio") through
//! the real HTTP interface, against the real thing's descriptions rather than our idea of them:
//!
//! - a Twilio test double on 127.0.0.1 checks every request campaignd sends against Twilio's
//!   published OpenAPI description of creating a call (tests/data/twilio/, from twilio/twilio-oai)
//!   and answers as Twilio's documentation shows: `201` with the call resource, `400` with
//!   Twilio's error body, `401`, `429`, `500`;
//! - every status callback is signed by Twilio's own Python library (`RequestValidator`, pinned in
//!   scripts/requirements.txt) through tests/twilio_signer.py;
//! - the real binary refuses each bad `--twilio-…` flag in one line and never prints a secret.
//!
//! Progress is awaited by polling with a deadline.

use crate::common::dialing::{Org, ended, eventually, number};
use crate::common::{TestServer, campaignd};
use bytes::Bytes;
use campaignd::dialer::twilio::{MachineDetection, Settings, Target};
use campaignd::dialer::{self, Mode};
use campaignd::domain::clock::Clock;
use campaignd::domain::twilio::Secret;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use warp::Filter;
use warp::http::{HeaderMap, StatusCode};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
const API_KEY: &str = "SKfedcba9876543210fedcba9876543210";
const API_SECRET: &str = "Sk3cr3t-of-the-api-key-0123456789";
const APPLICATION: &str = "AP00112233445566778899aabbccddeeff";
const FROM: &str = "+16502539999";

// ---------------------------------------------------------------------------------------------
// Twilio's OpenAPI description, and a validator for the requests it describes

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/twilio/twilio_api_v2010.calls.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Schema keywords this validator understands; any other in the description fails the test, so
/// that a rule Twilio adds is never skipped silently.
const KEYWORDS: [&str; 10] = [
    "type",
    "format",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "items",
    "description",
    "title",
    "nullable",
];

/// The problems of one form value against its schema.
fn check_value(name: &str, value: &str, schema: &Value, problems: &mut Vec<String>) {
    for keyword in schema.as_object().unwrap().keys() {
        assert!(
            KEYWORDS.contains(&keyword.as_str()),
            "{name}: keyword {keyword} not understood by this test"
        );
    }
    let mut problem = |what: String| problems.push(format!("{name}={value:?}: {what}"));
    match schema["type"].as_str() {
        Some("string") => {}
        Some("integer") => {
            if value.parse::<i64>().is_err() {
                problem("not an integer".into());
            }
        }
        Some("boolean") => {
            if !matches!(value, "true" | "false") {
                problem("not a boolean".into());
            }
        }
        other => panic!("{name}: type {other:?} not understood by this test"),
    }
    if let Some(names) = schema["enum"].as_array()
        && !names.iter().any(|n| n == value)
    {
        problem(format!("not one of {names:?}"));
    }
    if let Some(pattern) = schema["pattern"].as_str()
        && !regex::Regex::new(pattern).unwrap().is_match(value)
    {
        problem(format!("does not match {pattern}"));
    }
    let chars = value.chars().count() as u64;
    if schema["minLength"].as_u64().is_some_and(|min| chars < min)
        || schema["maxLength"].as_u64().is_some_and(|max| chars > max)
    {
        problem("length out of bounds".into());
    }
    match schema["format"].as_str() {
        None | Some("http-method") => {} // its `enum` says which
        Some("uri") => {
            let ok = reqwest::Url::parse(value)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if !ok {
                problem("not an absolute http(s) URI".into());
            }
        }
        // A phone number, SIP address or client identifier; campaignd only calls phones.
        Some("endpoint") => {
            if !regex::Regex::new(r"^\+[1-9][0-9]{1,14}$")
                .unwrap()
                .is_match(value)
            {
                problem("not an E.164 phone number".into());
            }
        }
        Some(format) => panic!("{name}: format {format} not understood by this test"),
    }
}

/// Every way `method path` with these headers and body breaks the description of the one
/// operation it holds (Twilio's `CreateCall`); empty when the request is one Twilio accepts.
fn problems_of(
    spec: &Value,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Vec<String> {
    let mut problems = Vec::new();
    let (template, item) = spec["paths"].as_object().unwrap().iter().next().unwrap();
    let Some(operation) = item.get(method.to_lowercase()) else {
        return vec![format!("method {method} is not described")];
    };
    assert_eq!(operation["operationId"], "CreateCall");
    // The path, its parameters checked by their own schemas.
    let pattern = regex::Regex::new(r"\{([A-Za-z]+)\}").unwrap();
    let as_regex = format!(
        "^{}$",
        pattern.replace_all(
            &regex::escape(template)
                .replace(r"\{", "{")
                .replace(r"\}", "}"),
            "(?P<$1>[^/]+)"
        )
    );
    let Some(captured) = regex::Regex::new(&as_regex).unwrap().captures(path) else {
        return vec![format!("path {path} is not {template}")];
    };
    for parameter in operation["parameters"].as_array().unwrap() {
        let name = parameter["name"].as_str().unwrap();
        assert_eq!(parameter["in"], "path");
        check_value(name, &captured[name], &parameter["schema"], &mut problems);
    }
    // The security scheme: HTTP Basic.
    let security = operation.get("security").unwrap_or(&spec["security"]);
    let scheme_name = security[0].as_object().unwrap().keys().next().unwrap();
    let scheme = &spec["components"]["securitySchemes"][scheme_name];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&json!("http"), &json!("basic"))
    );
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    if basic.is_none() {
        problems.push("no HTTP Basic Authorization".into());
    }
    // The body: its content type, then each field.
    let content = operation["requestBody"]["content"].as_object().unwrap();
    let (content_type, media) = content.iter().next().unwrap();
    let sent_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if sent_type.split(';').next().unwrap().trim() != content_type {
        problems.push(format!("Content-Type {sent_type:?}, not {content_type}"));
    }
    let schema = &media["schema"];
    let properties = schema["properties"].as_object().unwrap();
    let mut fields: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in form_urlencoded::parse(body).into_owned() {
        fields.entry(name).or_default().push(value);
    }
    for required in schema["required"].as_array().unwrap() {
        if !fields.contains_key(required.as_str().unwrap()) {
            problems.push(format!("required field {required} missing"));
        }
    }
    for (name, values) in &fields {
        let Some(property) = properties.get(name) else {
            problems.push(format!("field {name} is not in the schema"));
            continue;
        };
        if property["type"] == "array" {
            for value in values {
                check_value(name, value, &property["items"], &mut problems);
            }
        } else if values.len() != 1 {
            problems.push(format!("field {name} sent {} times", values.len()));
        } else {
            check_value(name, &values[0], property, &mut problems);
        }
    }
    // Twilio's own rule across fields: exactly one of each `conditional` group.
    for group in operation["x-twilio"]["conditional"].as_array().unwrap() {
        let named: Vec<&String> = group
            .as_array()
            .unwrap()
            .iter()
            .map(|snake| {
                let wanted = snake.as_str().unwrap().replace('_', "");
                properties
                    .keys()
                    .find(|p| p.eq_ignore_ascii_case(&wanted))
                    .unwrap()
            })
            .collect();
        let given = named
            .iter()
            .filter(|n| fields.contains_key(n.as_str()))
            .count();
        if given != 1 {
            problems.push(format!("{given} of {named:?} given, exactly one must be"));
        }
    }
    problems
}

#[test]
fn the_validator_finds_what_twilio_would_refuse() {
    let spec = spec();
    let path = format!("/2010-04-01/Accounts/{ACCOUNT}/Calls.json");
    let mut headers = HeaderMap::new();
    headers.insert("authorization", "Basic QUM6dA==".parse().unwrap());
    headers.insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    let good = "To=%2B16502530001&From=%2B16502539999&Url=https%3A%2F%2Fa.example%2Ft\
                &StatusCallbackEvent=initiated&StatusCallbackEvent=completed&Timeout=30";
    assert_eq!(
        problems_of(&spec, "POST", &path, &headers, good.as_bytes()),
        Vec::<String>::new()
    );
    for (bad, why) in [
        (
            "From=%2B16502539999&Url=https%3A%2F%2Fa.example%2Ft",
            "required field",
        ),
        (&format!("{good}&Shout=1"), "not in the schema"),
        (&format!("{good}&StatusCallbackMethod=PUT"), "not one of"),
        (
            &good.replace("Timeout=30", "Timeout=soon"),
            "not an integer",
        ),
        (
            &format!("{good}&ApplicationSid={APPLICATION}"),
            "exactly one",
        ),
        (
            &good.replace("Url=https%3A%2F%2Fa.example%2Ft", "Url=%2Ft"),
            "URI",
        ),
        (&good.replace("To=%2B16502530001", "To=6502530001"), "E.164"),
        (&format!("{good}&Timeout=30"), "sent 2 times"),
    ] {
        let problems = problems_of(&spec, "POST", &path, &headers, bad.as_bytes());
        assert!(
            problems.iter().any(|p| p.contains(why)),
            "{bad}: {problems:?}"
        );
    }
    let problems = problems_of(
        &spec,
        "POST",
        "/2010-04-01/Accounts/ACnope/Calls.json",
        &headers,
        good.as_bytes(),
    );
    assert!(
        problems.iter().any(|p| p.contains("AccountSid")),
        "{problems:?}"
    );
    assert!(!problems_of(&spec, "PUT", &path, &headers, good.as_bytes()).is_empty());
    headers.remove("authorization");
    assert!(!problems_of(&spec, "POST", &path, &headers, good.as_bytes()).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Twilio's own library, signing callbacks

/// tests/twilio_signer.py on the pinned `twilio` package (scripts/requirements.txt, installed
/// into target/contract-venv by scripts/lib/venv.sh on first use).
struct Signer {
    io: Mutex<(
        std::process::ChildStdin,
        BufReader<std::process::ChildStdout>,
    )>,
    child: Mutex<std::process::Child>,
}

impl Drop for Signer {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Signer {
    async fn start() -> Arc<Signer> {
        tokio::task::spawn_blocking(Signer::start_blocking)
            .await
            .unwrap()
    }

    fn start_blocking() -> Arc<Signer> {
        let root = env!("CARGO_MANIFEST_DIR");
        let venv = std::process::Command::new("bash")
            .args([
                "-c",
                "source scripts/lib/venv.sh && ensure_venv >&2 && echo \"$VENV\"",
            ])
            .current_dir(root)
            .output()
            .unwrap();
        assert!(venv.status.success(), "{venv:?}");
        let venv = String::from_utf8(venv.stdout).unwrap();
        let python = format!("{}/bin/python", venv.trim());
        let mut child = std::process::Command::new(python)
            .arg(format!("{root}/tests/twilio_signer.py"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Arc::new(Signer {
            io: Mutex::new((stdin, stdout)),
            child: Mutex::new(child),
        })
    }

    /// The X-Twilio-Signature of a request to `url` with `params`, by Twilio's library.
    async fn sign(self: &Arc<Self>, token: &str, url: &str, params: &[(String, String)]) -> String {
        let request = json!({"token": token, "url": url, "params": params});
        let signer = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut io = signer.io.lock().unwrap();
            writeln!(io.0, "{request}").unwrap();
            io.0.flush().unwrap();
            let mut line = String::new();
            io.1.read_line(&mut line).unwrap();
            let answer: Value = serde_json::from_str(&line).expect("the signer answers");
            answer["signature"].as_str().unwrap().to_string()
        })
        .await
        .unwrap()
    }
}

/// A status callback's parameters, as Twilio sends them.
fn callback(
    call: &Value,
    status: &str,
    sequence: usize,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("AccountSid", ACCOUNT),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call["sid"].as_str().unwrap()),
        ("CallStatus", status),
        ("Called", call["to"].as_str().unwrap()),
        ("Caller", call["from"].as_str().unwrap()),
        ("CallerName", "Zoë O'Brien & Co +1"),
        ("Direction", "outbound-api"),
        ("From", call["from"].as_str().unwrap()),
        ("To", call["to"].as_str().unwrap()),
        ("CallbackSource", "call-progress-events"),
        ("Timestamp", "Wed, 04 Mar 2026 12:00:01 +0000"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    params.push(("SequenceNumber".into(), sequence.to_string()));
    params.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    params
}

/// Posts a callback to campaignd, signed with `token` over `signed_url` (None: unsigned).
async fn post_callback(
    http: &reqwest::Client,
    server: &TestServer,
    signer: &Arc<Signer>,
    token: &str,
    signed_url: Option<&str>,
    params: &[(String, String)],
) -> (u16, Value) {
    let mut request = http
        .post(server.url("/campaign/twilio/status"))
        .form(params);
    if let Some(url) = signed_url {
        request = request.header("x-twilio-signature", signer.sign(token, url, params).await);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

// ---------------------------------------------------------------------------------------------
// The Twilio test double

/// What the double does with a request for a number (by `To`), in turn.
#[derive(Clone, Debug)]
enum Step {
    /// `201`; then, unless `None`, callbacks up to this final status (and `AnsweredBy`).
    Call(Option<(&'static str, Option<&'static str>)>),
    /// The callbacks first, and the `201` a moment later: Twilio's callbacks can overtake its
    /// answer to the request.
    Early(&'static str, Option<&'static str>),
    /// This error status with Twilio's error body.
    Error(u16),
}

/// A request the double received: its `To`, its problems against the description, its form.
type Received = (String, Vec<String>, Vec<(String, String)>);

struct DoubleState {
    spec: Value,
    /// `Authorization` expected: Basic of the API key or the account and token.
    authorization: String,
    /// Where campaignd is, and the signer, for the callbacks.
    callbacks: Mutex<Option<(String, Arc<Signer>)>>,
    script: Mutex<HashMap<String, Vec<Step>>>,
    /// Every request: (To, its problems against the description, the form).
    requests: Mutex<Vec<Received>>,
    /// Calls created: sid → the call resource answered.
    calls: Mutex<Vec<Value>>,
    /// Callbacks campaignd did not answer 200.
    callback_errors: Mutex<Vec<String>>,
    http: reqwest::Client,
}

#[derive(Clone)]
struct Double {
    addr: SocketAddr,
    state: Arc<DoubleState>,
}

impl Double {
    async fn start(user: &str, password: &str) -> Double {
        use base64::Engine;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let state = Arc::new(DoubleState {
            spec: spec(),
            authorization: format!("Basic {basic}"),
            callbacks: Mutex::default(),
            script: Mutex::default(),
            requests: Mutex::default(),
            calls: Mutex::default(),
            callback_errors: Mutex::default(),
            http: reqwest::Client::new(),
        });
        let shared = state.clone();
        let route = warp::method()
            .and(warp::path::full())
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .then(
                move |method: Method,
                      path: warp::path::FullPath,
                      headers: HeaderMap,
                      body: Bytes| {
                    answer(
                        shared.clone(),
                        method,
                        path.as_str().to_string(),
                        headers,
                        body,
                    )
                },
            );
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Double { addr, state }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn script(&self, to: &str, steps: Vec<Step>) {
        self.state.script.lock().unwrap().insert(to.into(), steps);
    }

    fn call_back_to(&self, server: &TestServer, signer: Arc<Signer>) {
        *self.state.callbacks.lock().unwrap() =
            Some((server.url("/campaign/twilio/status"), signer));
    }

    fn requests(&self) -> Vec<Received> {
        self.state.requests.lock().unwrap().clone()
    }

    fn calls(&self) -> Vec<Value> {
        self.state.calls.lock().unwrap().clone()
    }

    /// Every request was one Twilio accepts, and every callback was taken.
    fn assert_all_valid(&self) {
        for (to, problems, form) in self.requests() {
            assert!(
                problems.is_empty(),
                "request for {to}: {problems:?}\n{form:?}"
            );
        }
        let errors = self.state.callback_errors.lock().unwrap();
        assert!(errors.is_empty(), "{errors:?}");
    }
}

fn reply(status: u16, body: &Value) -> warp::reply::Response {
    let mut response = warp::reply::Response::new(body.to_string().into());
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

/// Twilio's error body, as its docs show it.
fn twilio_error(status: u16) -> Value {
    let (code, message) = match status {
        400 => (
            21211,
            "The 'To' number +1 650 253 0000 is not a valid phone number.",
        ),
        401 => (20003, "Authenticate"),
        429 => (20429, "Too Many Requests"),
        _ => (20500, "Internal Server Error"),
    };
    json!({"code": code, "message": message,
           "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status})
}

async fn answer(
    state: Arc<DoubleState>,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
) -> warp::reply::Response {
    let mut problems = problems_of(&state.spec, method.as_str(), &path, &headers, &body);
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let to = field("To");
    let authorized = headers
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == state.authorization.as_bytes());
    if !authorized {
        problems.push("not the expected credentials".into());
    }
    state
        .requests
        .lock()
        .unwrap()
        .push((to.clone(), problems.clone(), form.clone()));
    if !authorized {
        return reply(401, &twilio_error(401));
    }
    if !problems.is_empty() {
        return reply(
            400,
            &json!({"code": 21205, "message": problems.join("; "), "status": 400}),
        );
    }
    let step = {
        let mut script = state.script.lock().unwrap();
        let steps = script.get_mut(&to).expect("a scripted number");
        if steps.len() > 1 {
            steps.remove(0)
        } else {
            steps[0].clone()
        }
    };
    let (last, early) = match step {
        Step::Error(status) => return reply(status, &twilio_error(status)),
        Step::Call(last) => (last, false),
        Step::Early(status, answered_by) => (Some((status, answered_by)), true),
    };
    // The call resource, as the description's own example of a 201 shows it.
    let example = &state.spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()["post"]["responses"]["201"]["content"]["application/json"]["examples"]["create"]
        ["value"];
    let mut call = example.clone();
    call["account_sid"] = json!(ACCOUNT);
    call["to"] = json!(to);
    call["from"] = json!(field("From"));
    call["status"] = json!("queued");
    call["direction"] = json!("outbound-api");
    {
        // Numbered and kept under one lock: two calls created at once get two sids.
        let mut calls = state.calls.lock().unwrap();
        call["sid"] = json!(format!("CA{:032x}", calls.len()));
        calls.push(call.clone());
    }
    if let Some((final_status, answered_by)) = last {
        let state = state.clone();
        let call = call.clone();
        tokio::spawn(async move { call_back(state, call, final_status, answered_by).await });
    }
    if early {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    reply(201, &call)
}

/// Twilio's callbacks for a call: initiated, ringing, (answered,) then the final status, signed
/// by Twilio's library.
async fn call_back(
    state: Arc<DoubleState>,
    call: Value,
    final_status: &'static str,
    answered_by: Option<&'static str>,
) {
    let Some((url, signer)) = state.callbacks.lock().unwrap().clone() else {
        return;
    };
    let mut events = vec![("initiated", vec![]), ("ringing", vec![])];
    if final_status == "completed" {
        events.push(("in-progress", vec![]));
    }
    let mut last = vec![("CallDuration", "42"), ("Duration", "1")];
    if let Some(by) = answered_by {
        last.push(("AnsweredBy", by));
    }
    events.push((final_status, last));
    for (sequence, (status, extra)) in events.into_iter().enumerate() {
        let params = callback(&call, status, sequence, &extra);
        let signature = signer.sign(TOKEN, &url, &params).await;
        let answer = state
            .http
            .post(&url)
            .header("x-twilio-signature", signature)
            .form(&params)
            .send()
            .await
            .unwrap();
        if answer.status() != 200 {
            let text = format!(
                "{status}: {} {}",
                answer.status(),
                answer.text().await.unwrap()
            );
            state.callback_errors.lock().unwrap().push(text);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// campaignd

fn settings(double: &Double, target: Target, api_key: bool) -> dialer::Settings {
    dialer::Settings {
        mode: Mode::Twilio,
        global_concurrency: 50,
        twilio: Some(Settings {
            account_sid: ACCOUNT.into(),
            auth_token: Secret::parse(TOKEN).unwrap(),
            api_key: api_key.then(|| (API_KEY.into(), Secret::parse(API_SECRET).unwrap())),
            from: Some(FROM.into()),
            target,
            machine_detection: MachineDetection::Enable,
            ring_seconds: 25,
            api_base: reqwest::Url::parse(&double.base()).unwrap(),
        }),
        ..dialer::Settings::default()
    }
}

fn twiml_url() -> Target {
    Target::Url(reqwest::Url::parse("https://agent.example.com/twiml?voice=calm").unwrap())
}

fn clock(speed: f64) -> Clock {
    Clock::started("2026-03-04T12:00:00Z".parse().unwrap(), speed)
}

/// The form field of a request.
fn field<'f>(form: &'f [(String, String)], name: &str) -> Vec<&'f str> {
    form.iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A campaign through the double

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_runs_through_twilio_and_ends_with_the_right_stats() {
    let signer = Signer::start().await;
    let double = Double::start(ACCOUNT, TOKEN).await;
    // A minute of campaignd's clock per real second: a retry delay of 1 minute is a second, and
    // the back-off's pauses (1 s, 2 s … of that clock) are tens of milliseconds.
    let server = TestServer::start_with(clock(60.0), settings(&double, twiml_url(), false)).await;
    double.call_back_to(&server, signer.clone());
    let org = Org::new(&server, "org_a");
    let campaign = org
        .campaign(
            json!({"max_attempts": 3, "retry_delay_minutes": 1, "agent_number": number(9000)}),
        )
        .await;
    let answered = Step::Call(Some(("completed", Some("human"))));
    let script: Vec<(&str, usize, Vec<Step>)> = vec![
        ("human", 1, vec![answered.clone()]),
        ("early", 8, vec![Step::Early("completed", Some("unknown"))]),
        (
            "machine",
            2,
            vec![Step::Call(Some(("completed", Some("machine_end_beep"))))],
        ),
        // Twilio refuses the number itself: the attempt is used, three times over.
        ("bad-number", 3, vec![Step::Error(400)]),
        // Twilio refuses campaignd's credentials, then is rate-limited, then fails: no attempt
        // used; then the call goes through.
        (
            "outage",
            4,
            vec![
                Step::Error(401),
                Step::Error(429),
                Step::Error(500),
                answered.clone(),
            ],
        ),
        (
            "busy-then-answer",
            5,
            vec![Step::Call(Some(("busy", None))), answered.clone()],
        ),
        (
            "never",
            6,
            vec![
                Step::Call(Some(("no-answer", None))),
                Step::Call(Some(("failed", None))),
                Step::Call(Some(("canceled", None))),
            ],
        ),
    ];
    for (_, n, steps) in &script {
        double.script(&number(*n), steps.clone());
    }
    let contacts: Vec<Value> = script
        .iter()
        .map(|(id, n, _)| json!({"external_id": id, "phone_numbers": [number(*n)]}))
        .collect();
    org.add(&campaign, Value::Array(contacts)).await;
    // An ad-hoc contact calls from its own agent_number, and --twilio-from is not needed.
    double.script(&number(7), vec![answered.clone()]);
    org.add(
        "default",
        json!([{"external_id": "adhoc", "phone_numbers": [number(7)], "agent_number": number(9001)}]),
    )
    .await;

    let (done, adhoc) = eventually("every contact to end", || async {
        let contacts = org.contacts(&campaign).await;
        let adhoc = org.contacts("default").await;
        (contacts.iter().chain(&adhoc).all(ended)).then_some((contacts, adhoc))
    })
    .await;
    let by_id: HashMap<&str, &Value> = done
        .iter()
        .chain(&adhoc)
        .map(|c| (c["external_id"].as_str().unwrap(), c))
        .collect();
    let expect: [(&str, &str, &[&str]); 8] = [
        ("human", "completed", &["answered"]),
        ("early", "completed", &["answered"]),
        (
            "machine",
            "exhausted",
            &["voicemail", "voicemail", "voicemail"],
        ),
        ("bad-number", "exhausted", &["failed", "failed", "failed"]),
        ("outage", "completed", &["answered"]),
        ("busy-then-answer", "completed", &["busy", "answered"]),
        ("never", "exhausted", &["no_answer", "failed", "failed"]),
        ("adhoc", "completed", &["answered"]),
    ];
    let calls = double.calls();
    let sids: Vec<&str> = calls.iter().map(|c| c["sid"].as_str().unwrap()).collect();
    for (external_id, status, outcomes) in expect {
        let contact = by_id[external_id];
        assert_eq!(contact["status"], status, "{contact}");
        assert_eq!(contact["attempt_count"], json!(outcomes.len()), "{contact}");
        let attempts = contact["attempts"].as_array().unwrap();
        let got: Vec<&str> = attempts
            .iter()
            .map(|a| a["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(got, outcomes, "{contact}");
        for attempt in attempts {
            let conversation = &attempt["conversation_id"];
            if external_id == "bad-number" {
                // Twilio made no call: there is no sid.
                assert_eq!(conversation, &Value::Null, "{contact}");
            } else {
                assert!(sids.contains(&conversation.as_str().unwrap()), "{contact}");
            }
            assert!(attempt["ended_at"].is_string());
        }
    }
    // The stats of the campaign: 7 contacts, 4 completed, 3 exhausted, 14 attempts.
    let stats = org.stats(&campaign).await;
    assert_eq!(
        stats["contacts"],
        json!({"total": 7, "pending": 0, "in_progress": 0, "completed": 4, "exhausted": 3})
    );
    assert_eq!(
        stats["attempts"],
        json!({"total": 14, "average_per_contact": 2.0})
    );
    assert_eq!(stats["active_calls"], 0);

    // What campaignd sent: every request valid against Twilio's description; four requests for
    // the outage number (three not delivered), three for the bad number.
    double.assert_all_valid();
    let requests = double.requests();
    let count = |n: usize| requests.iter().filter(|(to, ..)| *to == number(n)).count();
    assert_eq!(count(4), 4);
    assert_eq!(count(3), 3);
    assert_eq!(requests.len(), 1 + 1 + 3 + 3 + 4 + 2 + 3 + 1);
    let attempt_ids: Vec<String> = done
        .iter()
        .chain(&adhoc)
        .flat_map(|c| {
            c["attempts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_string())
        })
        .collect();
    for (to, _, form) in &requests {
        assert_eq!(
            field(form, "StatusCallback"),
            [server.url("/campaign/twilio/status").as_str()]
        );
        assert_eq!(field(form, "StatusCallbackMethod"), ["POST"]);
        assert_eq!(
            field(form, "StatusCallbackEvent"),
            ["initiated", "ringing", "answered", "completed"]
        );
        assert_eq!(field(form, "MachineDetection"), ["Enable"]);
        assert_eq!(field(form, "Timeout"), ["25"]);
        let from = if *to == number(7) {
            number(9001)
        } else {
            number(9000)
        };
        assert_eq!(field(form, "From"), [from.as_str()]);
        // The user's TwiML URL keeps its own query; the attempt's ids are added.
        let url = reqwest::Url::parse(field(form, "Url")[0]).unwrap();
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(query["voice"], "calm");
        let contact = done
            .iter()
            .chain(&adhoc)
            .find(|c| c["phone_numbers"][0] == *to)
            .unwrap();
        assert_eq!(query["contact_id"], contact["id"].as_str().unwrap());
        match contact["campaign_id"].as_str() {
            Some(id) => assert_eq!(query["campaign_id"], id),
            None => assert!(!query.contains_key("campaign_id")),
        }
        // A request that was delivered is an attempt of its contact; the three that were not
        // (the outage's) left none.
        let delivered = attempt_ids.contains(&query["attempt_id"]);
        assert_eq!(
            delivered,
            *to != number(4) || form == &requests.iter().rev().find(|r| r.0 == *to).unwrap().2
        );
    }
    assert_eq!(attempt_ids.len(), 15);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The status callback route

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_callbacks_are_verified_mapped_and_idempotent() {
    let signer = Signer::start().await;
    // An API key authenticates the requests; callbacks are still verified with the auth token.
    let double = Double::start(API_KEY, API_SECRET).await;
    let target = Target::Application(APPLICATION.into());
    let clk = clock(1.0);
    let server = TestServer::start_with(clk, settings(&double, target, true)).await;
    let org = Org::new(&server, "org_a");
    org.ok(
        Method::PUT,
        "/campaign/concurrency-settings",
        Some(json!({"concurrency_limit": 20})),
    )
    .await;
    let campaign = org.campaign(json!({"max_attempts": 1})).await;
    // One call per final status to map; the double creates each call and calls back nothing.
    let finals: Vec<(&str, Option<&str>, &str)> = vec![
        ("completed", None, "answered"),
        ("completed", Some("human"), "answered"),
        ("completed", Some("unknown"), "answered"),
        ("completed", Some("machine_start"), "voicemail"),
        ("completed", Some("machine_end_beep"), "voicemail"),
        ("completed", Some("machine_end_silence"), "voicemail"),
        ("completed", Some("machine_end_other"), "voicemail"),
        ("completed", Some("fax"), "voicemail"),
        ("busy", None, "busy"),
        ("no-answer", None, "no_answer"),
        ("failed", None, "failed"),
        ("canceled", None, "failed"),
    ];
    let contacts: Vec<Value> = (0..finals.len())
        .map(|i| {
            double.script(&number(i), vec![Step::Call(None)]);
            json!({"external_id": format!("c{i}"), "phone_numbers": [number(i)]})
        })
        .collect();
    org.add(&campaign, Value::Array(contacts)).await;
    let up = eventually("every call up", || async {
        let contacts = org.contacts(&campaign).await;
        contacts
            .iter()
            .all(|c| c["status"] == "in_progress")
            .then_some(contacts)
    })
    .await;
    double.assert_all_valid();
    for (_, _, form) in double.requests() {
        assert_eq!(field(&form, "ApplicationSid"), [APPLICATION]);
        assert!(field(&form, "Url").is_empty());
        assert_eq!(field(&form, "From"), [FROM]);
    }
    let call_of = |i: usize| -> Value {
        let calls = double.calls();
        calls.iter().find(|c| c["to"] == number(i)).unwrap().clone()
    };
    let contact_of = |i: usize| {
        up.iter()
            .find(|c| c["external_id"] == format!("c{i}"))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let http = reqwest::Client::new();
    let url = server.url("/campaign/twilio/status");
    let first = call_of(0);
    let completed = callback(&first, "completed", 3, &[("CallDuration", "42")]);

    // Refused, and nothing changes: unsigned, signed with another token, signed over another
    // URL (a stale --public-url), a parameter changed after signing.
    let (status, body) = post_callback(&http, &server, &signer, TOKEN, None, &completed).await;
    assert_eq!(
        (status, body),
        (403, json!({"detail": "Missing X-Twilio-Signature header"}))
    );
    let forbidden = (403, json!({"detail": "Invalid X-Twilio-Signature"}));
    let other_token = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        post_callback(&http, &server, &signer, other_token, Some(&url), &completed).await,
        forbidden
    );
    // Signed with the API secret, which signs nothing of Twilio's.
    assert_eq!(
        post_callback(&http, &server, &signer, API_SECRET, Some(&url), &completed).await,
        forbidden
    );
    let stale = "https://old.example.com/campaign/twilio/status";
    assert_eq!(
        post_callback(&http, &server, &signer, TOKEN, Some(stale), &completed).await,
        forbidden
    );
    let signature = signer.sign(TOKEN, &url, &completed).await;
    let mut tampered = completed.clone();
    tampered
        .iter_mut()
        .find(|(n, _)| n == "CallStatus")
        .unwrap()
        .1 = "busy".into();
    let response = http
        .post(&url)
        .header("x-twilio-signature", &signature)
        .form(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // Signed over the URL with a query the request does not have.
    assert_eq!(
        post_callback(
            &http,
            &server,
            &signer,
            TOKEN,
            Some(&format!("{url}?x=1")),
            &completed
        )
        .await,
        forbidden
    );
    let contact = org.contact(&campaign, &contact_of(0)).await;
    assert_eq!(contact["status"], "in_progress", "{contact}");
    assert_eq!(contact["attempts"][0]["status"], "in_progress");
    // The wrong method: 405.
    let response = http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");

    // Statuses that are not final change nothing.
    for (sequence, status) in ["queued", "initiated", "ringing", "in-progress"]
        .iter()
        .enumerate()
    {
        let params = callback(&first, status, sequence, &[]);
        let (code, body) = post_callback(&http, &server, &signer, TOKEN, Some(&url), &params).await;
        assert_eq!(code, 200, "{status}: {body}");
        assert_eq!(body["changed"], false);
        assert_eq!(body["outcome"], Value::Null);
        assert_eq!(body["attempt_id"], contact["attempts"][0]["id"]);
    }
    assert_eq!(org.contact(&campaign, &contact_of(0)).await, contact);
    // An unknown call (after the wait for a sid not yet recorded), a status Twilio does not
    // send, and no CallSid at all.
    let mut unknown = completed.clone();
    unknown.iter_mut().find(|(n, _)| n == "CallSid").unwrap().1 = format!("CA{:032x}", 999_999);
    let (code, body) = post_callback(&http, &server, &signer, TOKEN, Some(&url), &unknown).await;
    assert_eq!((code, body), (404, json!({"detail": "Call not found"})));
    let strange = callback(&first, "Completed", 3, &[]);
    let (code, body) = post_callback(&http, &server, &signer, TOKEN, Some(&url), &strange).await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(crate::common::locs(&body), ["body.CallStatus"]);
    let nameless: Vec<(String, String)> = completed
        .iter()
        .filter(|(n, _)| n != "CallSid")
        .cloned()
        .collect();
    let (code, body) = post_callback(&http, &server, &signer, TOKEN, Some(&url), &nameless).await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(crate::common::locs(&body), ["body.CallSid"]);
    assert_eq!(org.contact(&campaign, &contact_of(0)).await, contact);

    // Every final status, every AnsweredBy value.
    for (i, (status, answered_by, outcome)) in finals.iter().enumerate() {
        let mut extra = vec![("CallDuration", "17")];
        if let Some(by) = answered_by {
            extra.push(("AnsweredBy", by));
        }
        let params = callback(&call_of(i), status, 4, &extra);
        let before = campaignd::domain::time::truncate_ms(clk.now());
        let (code, body) = post_callback(&http, &server, &signer, TOKEN, Some(&url), &params).await;
        assert_eq!(code, 200, "{status} {answered_by:?}: {body}");
        assert_eq!(body["changed"], true, "{body}");
        assert_eq!(body["outcome"], *outcome, "{status} {answered_by:?}");
        let contact = org.contact(&campaign, &contact_of(i)).await;
        let attempt = &contact["attempts"][0];
        assert_eq!(attempt["outcome"], *outcome, "{contact}");
        let connected = matches!(*outcome, "answered" | "voicemail");
        assert_eq!(
            attempt["status"],
            if connected { "completed" } else { "failed" }
        );
        assert_eq!(attempt["conversation_id"], call_of(i)["sid"]);
        // ended_at is the callback's arrival.
        let ended_at: jiff::Timestamp = attempt["ended_at"].as_str().unwrap().parse().unwrap();
        assert!(ended_at >= before && ended_at <= clk.now(), "{contact}");
        // max_attempts 1: answered completes, anything else exhausts.
        let expected = if *outcome == "answered" {
            "completed"
        } else {
            "exhausted"
        };
        assert_eq!(contact["status"], expected, "{contact}");

        // Twilio retries callbacks: the same final status again, or another one, changes
        // nothing and answers 200.
        let (code, again) =
            post_callback(&http, &server, &signer, TOKEN, Some(&url), &params).await;
        assert_eq!((code, &again["changed"]), (200, &json!(false)), "{again}");
        let busy = callback(&call_of(i), "busy", 5, &[]);
        let (code, _) = post_callback(&http, &server, &signer, TOKEN, Some(&url), &busy).await;
        assert_eq!(code, 200);
        assert_eq!(org.contact(&campaign, &contact_of(i)).await, contact);
    }
    let stats = org.stats(&campaign).await;
    assert_eq!(
        stats["contacts"],
        json!({"total": 12, "pending": 0, "in_progress": 0, "completed": 3, "exhausted": 9})
    );
    server.stop().await;
}

/// Without --twilio-auth-token no callback can be verified: each is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_twilio_settings_every_callback_is_refused() {
    let server = TestServer::start().await;
    let response = reqwest::Client::new()
        .post(server.url("/campaign/twilio/status"))
        .header("x-twilio-signature", "AAAA")
        .form(&[("CallSid", "CA00"), ("CallStatus", "completed")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"detail": "Twilio status callbacks need --twilio-auth-token to be verified"})
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The flags, on the real binary

/// The flags of a good Twilio set-up.
fn good_flags() -> Vec<String> {
    [
        "--twilio-account-sid",
        ACCOUNT,
        "--twilio-auth-token",
        TOKEN,
        "--twilio-url",
        "https://agent.example.com/twiml",
    ]
    .map(String::from)
    .to_vec()
}

/// Runs `serve --ephemeral --dialer twilio` with `flags` (the `--twilio-…` ones replaced or
/// added) and its environment emptied of CAMPAIGND_ variables; returns its output.
fn serve_refused(flags: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = campaignd();
    command
        .args([
            "serve",
            "--ephemeral",
            "--listen",
            "127.0.0.1:0",
            "--dialer",
            "twilio",
        ])
        .args(flags)
        .envs(env.iter().copied());
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A refusal ends at once; a server that started is stopped after a while.
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn bad_twilio_flags_are_refused_at_start_up_in_one_line_without_secrets() {
    let secret = "VerySecretToken-0123456789abcdef";
    let with = |replace: &str, value: Option<&str>| -> Vec<String> {
        let mut flags = good_flags();
        if let Some(at) = flags.iter().position(|f| f == replace) {
            flags.drain(at..at + 2);
        }
        if let Some(value) = value {
            flags.extend([replace.to_string(), value.to_string()]);
        }
        flags
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (with("--twilio-account-sid", None), "--twilio-account-sid"),
        (
            with("--twilio-account-sid", Some("AC123")),
            "--twilio-account-sid",
        ),
        (with("--twilio-auth-token", None), "--twilio-auth-token"),
        (
            with("--twilio-auth-token", Some("short secret")),
            "--twilio-auth-token",
        ),
        (
            with("--twilio-url", None),
            "--twilio-url URL or --twilio-application-sid",
        ),
        (
            with("--twilio-url", Some("ftp://agent.example.com/")),
            "--twilio-url",
        ),
        (
            with("--twilio-url", Some("agent.example.com/twiml")),
            "--twilio-url",
        ),
        (
            [
                with("--twilio-url", None),
                vec!["--twilio-application-sid".into(), "APnope".into()],
            ]
            .concat(),
            "--twilio-application-sid",
        ),
        (
            [
                good_flags(),
                vec!["--twilio-application-sid".into(), APPLICATION.into()],
            ]
            .concat(),
            "--twilio-url",
        ),
        (
            [
                good_flags(),
                vec!["--twilio-api-key".into(), API_KEY.into()],
            ]
            .concat(),
            "--twilio-api-key",
        ),
        (
            [
                good_flags(),
                vec!["--twilio-api-secret".into(), secret.into()],
            ]
            .concat(),
            "--twilio-api-secret",
        ),
        (
            [
                good_flags(),
                vec![
                    "--twilio-api-key".into(),
                    "SK1".into(),
                    "--twilio-api-secret".into(),
                    secret.into(),
                ],
            ]
            .concat(),
            "--twilio-api-key",
        ),
        (
            [good_flags(), vec!["--twilio-from".into(), "12".into()]].concat(),
            "--twilio-from",
        ),
        (
            [
                good_flags(),
                vec!["--twilio-machine-detection".into(), "maybe".into()],
            ]
            .concat(),
            "--twilio-machine-detection",
        ),
        (
            [
                good_flags(),
                vec!["--twilio-ring-seconds".into(), "4".into()],
            ]
            .concat(),
            "--twilio-ring-seconds",
        ),
        (
            [
                good_flags(),
                vec!["--twilio-ring-seconds".into(), "601".into()],
            ]
            .concat(),
            "--twilio-ring-seconds",
        ),
        (
            [
                good_flags(),
                vec!["--twilio-ring-seconds".into(), "ten".into()],
            ]
            .concat(),
            "--twilio-ring-seconds",
        ),
        (
            [
                good_flags(),
                vec![
                    "--twilio-api-base".into(),
                    "https://api.example.com/?x=1".into(),
                ],
            ]
            .concat(),
            "--twilio-api-base",
        ),
        // A token that is refused is never echoed, nor is one that is fine.
        (
            with(
                "--twilio-auth-token",
                Some(&format!("{secret} with spaces")),
            ),
            "--twilio-auth-token",
        ),
        (
            [
                with("--twilio-auth-token", Some(secret)),
                vec!["--twilio-ring-seconds".into(), "0".into()],
            ]
            .concat(),
            "--twilio-ring-seconds",
        ),
    ];
    for (flags, says) in cases {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let output = serve_refused(&flags, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{flags:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{flags:?}: {stderr}");
        assert!(lines[0].starts_with("campaignd: "), "{stderr}");
        assert!(lines[0].contains(says), "{flags:?}: {stderr}");
        for hidden in [secret, TOKEN, API_SECRET] {
            assert!(
                !stderr.contains(hidden),
                "{flags:?} printed a secret: {stderr}"
            );
        }
    }
    // The same from the environment.
    let output = serve_refused(
        &[],
        &[
            ("CAMPAIGND_TWILIO_ACCOUNT_SID", ACCOUNT),
            (
                "CAMPAIGND_TWILIO_AUTH_TOKEN",
                "tab\tin-the-token-0123456789",
            ),
            ("CAMPAIGND_TWILIO_APPLICATION_SID", APPLICATION),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--twilio-auth-token"), "{stderr}");
    assert!(!stderr.contains("in-the-token"), "{stderr}");

    // Good flags start the server, whose log names the placer and shows no secret.
    let flags = [
        good_flags(),
        vec![
            "--twilio-api-key".into(),
            API_KEY.into(),
            "--twilio-api-secret".into(),
            API_SECRET.into(),
            "--twilio-api-base".into(),
            "http://127.0.0.1:9/".into(),
        ],
    ]
    .concat();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut child = campaignd()
        .args([
            "serve",
            "--ephemeral",
            "--listen",
            "127.0.0.1:0",
            "--dialer",
            "twilio",
        ])
        .args(&flags)
        .env("CAMPAIGND_LOG", "debug")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let reader = {
        let log = log.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                log.lock().unwrap().push_str(&format!("{line}\n"));
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !log.lock().unwrap().contains("status callbacks expected at") {
        assert!(Instant::now() < deadline, "{}", log.lock().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    let log = log.lock().unwrap().clone();
    assert!(log.contains(&format!("as {API_KEY}")), "{log}");
    assert!(log.contains("dialer twilio"), "{log}");
    for hidden in [TOKEN, API_SECRET] {
        assert!(!log.contains(hidden), "the log shows a secret: {log}");
    }
    // --help never shows a secret given in the environment.
    let help = campaignd()
        .args(["serve", "--help"])
        .env("CAMPAIGND_TWILIO_AUTH_TOKEN", TOKEN)
        .env("CAMPAIGND_TWILIO_API_SECRET", API_SECRET)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--twilio-auth-token"), "{help}");
    assert!(
        !help.contains(TOKEN) && !help.contains(API_SECRET),
        "{help}"
    );
}

/// The real binary against a double that refuses campaignd's credentials: an ERROR line names
/// the flags to check, no attempt is used, and the log never shows the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_are_an_error_naming_the_flags_and_use_no_attempt() {
    let double = Double::start(ACCOUNT, "not-the-token-campaignd-has-00000").await;
    let key = "ak_twilio.0123456789abcdef0123456789abcdef";
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = campaignd()
        .args([
            "serve",
            "--ephemeral",
            "--listen",
            "127.0.0.1:0",
            "--dialer",
            "twilio",
        ])
        .args(["--bootstrap-key", key, "--twilio-api-base", &double.base()])
        .args(["--twilio-from", FROM])
        .args(good_flags())
        .env_remove("CAMPAIGND_LOG_FORMAT")
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let read = || std::fs::read_to_string(log.path()).unwrap();
    let base = eventually("the server to listen", || async {
        let text = read();
        let at = text.find("listening on http://")?;
        let rest = &text[at + "listening on ".len()..];
        Some(rest[..rest.find(' ')?].to_string())
    })
    .await;
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let days = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    let windows = json!([{"days": days, "start": "00:00", "end": "12:00"},
                         {"days": days, "start": "12:00", "end": "00:00"}]);
    let config: Value = post(
        "/campaign/configurations",
        json!({"name": "t", "default_windows": windows}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let campaign: Value = post(
        "/campaign/campaigns",
        json!({"name": "t", "external_id": "t", "configuration_id": config["id"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(campaign["status"], "active", "{campaign}");
    let answer = post(
        "/campaign/campaigns/t/contacts",
        json!({"contacts": [{"external_id": "c", "phone_numbers": [number(1)]}]}),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 200);
    let line = eventually("the ERROR line", || async {
        read()
            .lines()
            .find(|l| l.contains("ERROR") && l.contains("refused campaignd's credentials"))
            .map(String::from)
    })
    .await;
    assert!(line.contains("--twilio-account-sid"), "{line}");
    assert!(line.contains("--twilio-auth-token"), "{line}");
    assert!(line.contains("the contact stays pending"), "{line}");
    // Between two tries (paused 1 s, 2 s, 4 s …) the contact is pending, as before any call.
    let contact = eventually("the contact pending, no attempt used", || async {
        let contact: Value = http
            .get(format!("{base}/campaign/campaigns/t/contacts/c"))
            .bearer_auth(key)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (contact["status"] == "pending").then_some(contact)
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(contact["attempt_count"], 0, "{contact}");
    assert_eq!(contact["attempts"], json!([]), "{contact}");
    // The double saw the requests, each valid but for the credentials.
    for (_, problems, _) in double.requests() {
        assert_eq!(problems, ["not the expected credentials"]);
    }
    assert!(!read().contains(TOKEN), "the log shows the token");
}
