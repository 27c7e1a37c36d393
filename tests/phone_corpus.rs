//! Our phone normaliser against the reference implementation (libphonenumber through its Python
//! port `phonenumbers`, same metadata version): tests/data/phone_corpus.tsv, made by
//! tests/data/make_phone_corpus.py. Every disagreement is listed in
//! tests/data/phone_disagreements.tsv (region, input) and explained in docs/phone-numbers.md; the
//! test fails on any new disagreement and on any listed one that no longer disagrees.

use campaignd::domain::phone::{Region, normalise};
use proptest::prelude::*;
use std::collections::BTreeSet;

#[test]
fn normaliser_agrees_with_libphonenumber() {
    let corpus = include_str!("data/phone_corpus.tsv");
    let known: BTreeSet<&str> = include_str!("data/phone_disagreements.tsv")
        .lines()
        .collect();
    let mut disagreements = BTreeSet::new();
    let mut new = Vec::new();
    let mut rows = 0;
    for line in corpus.split('\n').skip(1).filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [region, input, expected] = fields[..] else {
            panic!("bad corpus line {line:?}")
        };
        rows += 1;
        let region = (region != "-").then(|| Region::parse(region).expect("a known region"));
        let ours = normalise(input, region).ok();
        let expected = (!expected.is_empty()).then_some(expected);
        if ours.as_deref() != expected {
            let key = format!("{}\t{input:?}", fields[0]);
            if !known.contains(key.as_str()) {
                new.push(format!("{key}\texpected {expected:?}\tgot {ours:?}"));
            }
            disagreements.insert(key);
        }
    }
    assert!(rows >= 2000, "the corpus has {rows} rows");
    assert!(
        new.is_empty(),
        "{} new disagreements with libphonenumber:\n{}",
        new.len(),
        new.join("\n")
    );
    let fixed: Vec<_> = known
        .iter()
        .filter(|k| !disagreements.contains(**k))
        .collect();
    assert!(
        fixed.is_empty(),
        "no longer disagree; remove from phone_disagreements.tsv: {fixed:?}"
    );
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
}
