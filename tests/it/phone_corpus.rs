//! Our phone normaliser against the reference implementation (libphonenumber through its Python
//! port `phonenumbers`, same metadata release): tests/data/phone_corpus.tsv, made by
//! tests/data/make_phone_corpus.py. The corpus is split in two halves by a hash of each row; the
//! held-out half is the check that agreement was not tuned to the rows at hand.

use campaignd::domain::phone::{Region, normalise};
use proptest::prelude::*;

#[derive(Default)]
struct Tally {
    rows: usize,
    agree: usize,
    valid_refused: Vec<String>,
    invalid_accepted: Vec<String>,
    different: Vec<String>,
}

#[test]
fn normaliser_agrees_with_libphonenumber() {
    let corpus = include_str!("../data/phone_corpus.tsv");
    let mut lines = corpus.split('\n');
    assert_eq!(lines.next(), Some("region\tinput\texpected\thalf"));
    let (mut tune, mut held_out) = (Tally::default(), Tally::default());
    let mut regions = std::collections::BTreeSet::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [region, input, expected, half] = fields[..] else {
            panic!("bad corpus line {line:?}")
        };
        regions.insert(region);
        let tally = match half {
            "tune" => &mut tune,
            "held-out" => &mut held_out,
            other => panic!("unknown half {other:?}"),
        };
        tally.rows += 1;
        let parsed_region =
            (region != "-").then(|| Region::parse(region).expect("a region with a plan"));
        let ours = normalise(input, parsed_region).ok();
        let expected = (!expected.is_empty()).then_some(expected);
        let row = format!("{region}\t{input:?}\texpected {expected:?}\tgot {ours:?}");
        match (ours.as_deref(), expected) {
            (a, b) if a == b => tally.agree += 1,
            (Some(_), None) => tally.invalid_accepted.push(row),
            (Some(_), Some(_)) => tally.different.push(row),
            (None, _) => tally.valid_refused.push(row),
        }
    }
    // Every region of the metadata (245 in 9.0.42), and the no-region mode.
    assert!(regions.len() > 240, "{} regions", regions.len());
    for (name, tally) in [("tune", &tune), ("held-out", &held_out)] {
        assert!(tally.rows >= 12_500, "{name}: {} rows", tally.rows);
        // The two ways of being wrong that would harm a campaign: never.
        assert!(
            tally.invalid_accepted.is_empty() && tally.different.is_empty(),
            "{name}: invalid numbers accepted:\n{}\nnormalised to a different number:\n{}",
            tally.invalid_accepted.join("\n"),
            tally.different.join("\n"),
        );
        // Refusing a number libphonenumber accepts is the safe direction, and still rare.
        let agreement = tally.agree as f64 / tally.rows as f64;
        assert!(
            agreement >= 0.999,
            "{name}: {:.3} % agreement; valid numbers refused:\n{}",
            agreement * 100.0,
            tally.valid_refused.join("\n")
        );
    }
}

proptest! {
    #[test]
    fn normaliser_never_panics(input in any::<String>(), region in prop::sample::select(vec!["US", "GB", "DE", "JP", "BR", "IN"])) {
        let _ = normalise(&input, Region::parse(region));
        let _ = normalise(&input, None);
    }

    #[test]
    fn normaliser_never_panics_on_phone_like_text(input in "[+0-9 ()./x;=a-zA-Z-]{0,40}") {
        let _ = normalise(&input, Some(Region::US));
        let _ = normalise(&input, None);
    }

    /// An accepted number is E.164 and normalises to itself, with or without a region.
    #[test]
    fn accepted_numbers_are_e164_fixed_points(input in "\\+?[0-9 ()-]{2,20}", region in prop::sample::select(vec!["US", "GB", "DE", "RU", "IN", "BR"])) {
        if let Ok(e164) = normalise(&input, Region::parse(region)) {
            prop_assert!(e164.starts_with('+') && e164[1..].bytes().all(|b| b.is_ascii_digit()), "{e164}");
            prop_assert_eq!(normalise(&e164, None), Ok(e164.clone()));
        }
    }
}
