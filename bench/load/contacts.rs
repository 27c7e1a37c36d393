//! Contacts: external ids in upload order or random, US numbers, batch bodies.

use crate::*;

/// How external_ids are made.
#[derive(Clone, Copy)]
pub(crate) enum Order {
    /// `crm-000000001`, … as CRM exports come.
    Upload,
    /// 16 hex digits from a hash of the position.
    Random,
    /// `kill-000000001`, … for the crash rounds.
    Crash,
}

pub(crate) fn external_id(order: Order, i: usize) -> String {
    match order {
        Order::Upload => format!("crm-{i:09}"),
        Order::Random => format!("r-{:016x}", mix(i as u64 ^ 0x5EED)),
        Order::Crash => format!("kill-{i:09}"),
    }
}

/// (area code, exchange) pairs of valid US numbers; checked against the server first.
pub(crate) const CANDIDATE_PAIRS: [(u16, u16); 10] = [
    (201, 555),
    (650, 253),
    (212, 736),
    (415, 555),
    (312, 555),
    (617, 253),
    (303, 555),
    (206, 684),
    (404, 555),
    (305, 555),
];

/// A number in one of four national spellings.
pub(crate) fn number(pairs: &[(u16, u16)], pick: usize, line: usize) -> String {
    let (area, exchange) = pairs[pick % pairs.len()];
    let line = line % 10_000;
    match pick % 4 {
        0 => format!("({area}) {exchange}-{line:04}"),
        1 => format!("{area} {exchange} {line:04}"),
        2 => format!("{area}-{exchange}-{line:04}"),
        _ => format!("{area}.{exchange}.{line:04}"),
    }
}

pub(crate) const FIRST: [&str; 8] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
];
pub(crate) const LAST: [&str; 8] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
];
pub(crate) const PLANS: [&str; 4] = ["free", "starter", "pro", "enterprise"];

/// One contact: one or two numbers, about 100 bytes of `data`.
pub(crate) fn write_contact(out: &mut String, pairs: &[(u16, u16)], order: Order, i: usize) {
    let first = number(pairs, i, i);
    let second = i
        .is_multiple_of(2)
        .then(|| number(pairs, i / 7 + 1, i.wrapping_mul(7919)));
    let _ = write!(
        out,
        r#"{{"external_id":"{}","phone_numbers":["{first}"{}],"data":{{"first_name":"{}","last_name":"{}","plan":"{}","account":"A{i:09}","score":{},"tags":["renewal","q4"]}}}}"#,
        external_id(order, i),
        second.map(|n| format!(r#","{n}""#)).unwrap_or_default(),
        FIRST[i % 8],
        LAST[(i / 8) % 8],
        PLANS[i % 4],
        i % 100,
    );
}

pub(crate) fn batch_body(pairs: &[(u16, u16)], order: Order, first: usize, count: usize) -> String {
    let mut body = String::with_capacity(count * 230 + 16);
    body.push_str(r#"{"contacts":["#);
    for i in first..first + count {
        if i > first {
            body.push(',');
        }
        write_contact(&mut body, pairs, order, i);
    }
    body.push_str("]}");
    body
}

/// Sends a few contacts of each candidate pair and spelling; keeps the pairs the server accepts.
pub(crate) async fn probe_numbers(env: &Env, campaign: &str) -> Result<Vec<(u16, u16)>> {
    let mut accepted = Vec::new();
    for pair in CANDIDATE_PAIRS {
        let numbers: Vec<String> = (0..4)
            .flat_map(|spelling| {
                // With one pair, `number` takes the pair from `pick % 1` and the spelling from
                // `pick % 4`.
                [0, 123, 5000, 9999].map(|line| number(&[pair], spelling, line))
            })
            .collect();
        let contacts: Vec<Value> = numbers
            .iter()
            .enumerate()
            .map(|(k, n)| json!({"external_id": format!("probe-{}-{}-{k}", pair.0, pair.1), "phone_numbers": [n]}))
            .collect();
        let (status, body) = env
            .post(
                &format!("/campaign/campaigns/{campaign}/contacts"),
                &json!({ "contacts": contacts }),
            )
            .await?;
        if status == 200 {
            accepted.push(pair);
        } else {
            println!(
                "  number pair ({}) {}-xxxx refused ({status}): {}",
                pair.0,
                pair.1,
                body.to_string().chars().take(200).collect::<String>()
            );
        }
    }
    if accepted.is_empty() {
        return Err("no candidate phone number was accepted".into());
    }
    Ok(accepted)
}
