//! Phone normalisation against the reference corpus: how often campaignd agrees with
//! libphonenumber (tests/data/phone_corpus.tsv), and how fast it normalises, on one and two threads.
//!
//!     cargo run --release --example phone [-- --passes N]
//!
//! The speed figure runs every corpus row (a mix of valid numbers, invalid ones and garbage, as the
//! corpus has them) after one warm-up pass; on two threads both threads run the whole corpus at
//! once and the figure is wall time over all the numbers normalised.

use campaignd::domain::phone::{Region, normalise};
use std::time::Instant;

struct Row {
    region: Option<Region>,
    input: String,
    expected: Option<String>,
    held_out: bool,
}

fn main() {
    let passes: usize = std::env::args()
        .skip_while(|a| a != "--passes")
        .nth(1)
        .map(|n| n.parse().expect("--passes N"))
        .unwrap_or(3);
    let rows = corpus();
    report_agreement(&rows);
    let one = time(&rows, 1, passes);
    let two = time(&rows, 2, passes);
    println!(
        "speed over {} rows × {passes} passes: 1 thread {one:.2} µs/number ({:.0} numbers/s); \
         2 threads {two:.2} µs/number in all ({:.0} numbers/s)",
        rows.len(),
        1e6 / one,
        1e6 / two
    );
}

fn corpus() -> Vec<Row> {
    let text = std::fs::read_to_string("tests/data/phone_corpus.tsv").expect("run from the repo");
    text.split('\n')
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            Row {
                region: (f[0] != "-").then(|| Region::parse(f[0]).expect("a known region")),
                input: f[1].to_string(),
                expected: (!f[2].is_empty()).then(|| f[2].to_string()),
                held_out: f[3] == "held-out",
            }
        })
        .collect()
}

fn report_agreement(rows: &[Row]) {
    for (name, half) in [("tune", false), ("held-out", true)] {
        let (mut n, mut agree, mut invalid_accepted, mut different, mut valid_refused) =
            (0, 0, 0, 0, 0);
        for row in rows.iter().filter(|r| r.held_out == half) {
            n += 1;
            let ours = normalise(&row.input, row.region).ok().map(String::from);
            match (&ours, &row.expected) {
                (a, b) if a == b => agree += 1,
                (Some(_), None) => invalid_accepted += 1,
                (Some(_), Some(_)) => different += 1,
                (None, Some(_)) => valid_refused += 1,
                (None, None) => unreachable!(),
            }
        }
        println!(
            "{name}: {n} rows, {agree} agree ({:.3} %), {valid_refused} valid refused, \
             {invalid_accepted} invalid accepted, {different} normalised to a different number",
            100.0 * agree as f64 / n as f64
        );
    }
}

/// Microseconds per number, wall time over all the numbers every thread normalised.
fn time(rows: &[Row], threads: usize, passes: usize) -> f64 {
    let run = |passes: usize| {
        let mut accepted = 0usize;
        for _ in 0..passes {
            for row in rows {
                accepted += normalise(&row.input, row.region).is_ok() as usize;
            }
        }
        std::hint::black_box(accepted);
    };
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| run(1));
        }
    });
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| run(passes));
        }
    });
    start.elapsed().as_secs_f64() * 1e6 / (rows.len() * passes * threads) as f64
}
