//! Sharing the free call slots between organisations (docs/api.md, "The dialing loop", step 3),
//! as the hosted service does: each organisation that wants a slot has a fair share of the global
//! concurrency in proportion to its concurrency limit, and the free slots go one at a time to the
//! organisation whose calls up are furthest below that share. From an idle start this is the
//! hosted split (whole parts first, then the largest remainders); unlike a split of only the free
//! slots, it keeps the mix of calls up proportional however calls happen to end between passes.
//! Pure, so it is property-tested.

use crate::domain::ids::OrgId;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// An organisation's claim on the free slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demand {
    pub org: OrgId,
    /// Its `concurrency_limit`: the weight of its fair share.
    pub limit: u64,
    /// Its calls up now (contacts `locked` or `in_progress`).
    pub up: u64,
    /// How many calls it could start now: `min(due contacts, limit - calls up)`.
    pub want: u64,
}

/// How many of `free` slots each organisation of `demands` gets, in the same order, when at most
/// `global` calls may be up at once.
pub fn share(global: u64, free: u64, demands: &[Demand]) -> Vec<u64> {
    let mut given = vec![0u64; demands.len()];
    let wanting = |d: &Demand| d.want > 0 && d.limit > 0;
    let weight: i128 = demands
        .iter()
        .filter(|d| wanting(d))
        .map(|d| i128::from(d.limit))
        .sum();
    // How far an organisation is below its fair share `global * limit / weight`, scaled by
    // `weight` so that it stays a whole number: `global * limit - weight * calls`.
    let deficit = |d: &Demand, calls: u64| {
        i128::from(global) * i128::from(d.limit) - weight * i128::from(calls)
    };
    let mut heap: BinaryHeap<(i128, Reverse<&OrgId>, usize)> = demands
        .iter()
        .enumerate()
        .filter(|(_, d)| wanting(d))
        .map(|(i, d)| (deficit(d, d.up), Reverse(&d.org), i))
        .collect();
    let mut left = free;
    while left > 0 {
        let Some((_, org, i)) = heap.pop() else { break };
        given[i] += 1;
        left -= 1;
        let d = &demands[i];
        if given[i] < d.want {
            heap.push((deficit(d, d.up + given[i]), org, i));
        }
    }
    given
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn demand(org: &str, limit: u64, up: u64, want: u64) -> Demand {
        Demand {
            org: OrgId::parse(org).expect("a valid organisation id"),
            limit,
            up,
            want,
        }
    }

    #[test]
    fn limits_10_and_30_share_8_slots_2_to_6() {
        let demands = [demand("a", 10, 0, 100), demand("b", 30, 0, 100)];
        assert_eq!(share(8, 8, &demands), [2, 6]);
    }

    #[test]
    fn free_slots_go_to_whoever_is_furthest_below_its_share() {
        // Fair shares 2 and 6 of 8: b has 6 up and a none, so both freed slots go to a …
        let demands = [demand("a", 10, 0, 100), demand("b", 30, 6, 100)];
        assert_eq!(share(8, 2, &demands), [2, 0]);
        // … and with a at its share and b two below, both go to b.
        let demands = [demand("a", 10, 2, 100), demand("b", 30, 4, 100)];
        assert_eq!(share(8, 2, &demands), [0, 2]);
    }

    #[test]
    fn what_one_cannot_use_goes_to_the_others() {
        let demands = [
            demand("a", 10, 0, 1),
            demand("b", 10, 0, 100),
            demand("c", 20, 0, 100),
        ];
        // Shares 2.5 / 2.5 / 5: a takes its 1, the rest go to whoever is furthest below.
        assert_eq!(share(10, 10, &demands), [1, 3, 6]);
    }

    #[test]
    fn equal_deficits_go_to_the_smaller_org_id() {
        let demands = [
            demand("b", 10, 0, 5),
            demand("a", 10, 0, 5),
            demand("c", 10, 0, 5),
        ];
        assert_eq!(share(4, 4, &demands), [1, 2, 1]);
    }

    fn demands() -> impl Strategy<Value = Vec<Demand>> {
        prop::collection::vec((1u64..10_000, 0u64..50, 0u64..200), 0..12).prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (limit, up, want))| demand(&format!("org{i:02}"), limit, up, want))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn never_above_a_want_nor_the_free_count(free in 0u64..2000, demands in demands()) {
            let given = share(2000, free, &demands);
            prop_assert!(given.iter().sum::<u64>() <= free);
            for (g, d) in given.iter().zip(&demands) {
                prop_assert!(*g <= d.want);
            }
        }

        #[test]
        fn every_free_slot_is_used_while_someone_wants_one(free in 0u64..2000, demands in demands()) {
            let given = share(2000, free, &demands);
            let wanted: u64 = demands.iter().map(|d| d.want).sum();
            prop_assert_eq!(given.iter().sum::<u64>(), free.min(wanted));
        }

        /// From an idle start, the hosted split: each organisation within one slot of
        /// `free * limit / weight`.
        #[test]
        fn from_idle_unbounded_wants_get_their_proportion_within_one_slot(
            free in 0u64..2000,
            limits in prop::collection::vec(1u64..10_000, 1..12),
        ) {
            let demands: Vec<Demand> = limits
                .iter()
                .enumerate()
                .map(|(i, &limit)| demand(&format!("org{i:02}"), limit, 0, u64::MAX / 4))
                .collect();
            let given = share(free, free, &demands);
            let weight: u64 = limits.iter().sum();
            for (g, limit) in given.iter().zip(&limits) {
                let exact = free as f64 * *limit as f64 / weight as f64;
                prop_assert!((*g as f64 - exact).abs() < 1.0, "{} vs {}", g, exact);
            }
        }

        /// Whatever calls ended, filling every free slot brings each organisation's calls up to
        /// within one slot of its fair share of the global concurrency: the mix cannot drift.
        #[test]
        fn refilling_restores_the_fair_mix_whatever_ended(
            global in 1u64..500,
            limits in prop::collection::vec(1u64..10_000, 1..8),
            ended in prop::collection::vec(0.0f64..=1.0, 8),
        ) {
            let weight: u64 = limits.iter().sum();
            // Start from the fair split, then let an arbitrary part of each one's calls end.
            let idle: Vec<Demand> = limits
                .iter()
                .enumerate()
                .map(|(i, &limit)| demand(&format!("org{i:02}"), limit, 0, u64::MAX / 4))
                .collect();
            let up: Vec<u64> = share(global, global, &idle)
                .iter()
                .zip(&ended)
                .map(|(&calls, &part)| calls - (calls as f64 * part) as u64)
                .collect();
            let demands: Vec<Demand> = idle
                .iter()
                .zip(&up)
                .map(|(d, &up)| demand(d.org.as_str(), d.limit, up, u64::MAX / 4))
                .collect();
            let free = global - up.iter().sum::<u64>();
            let given = share(global, free, &demands);
            for ((g, u), limit) in given.iter().zip(&up).zip(&limits) {
                let fair = global as f64 * *limit as f64 / weight as f64;
                prop_assert!((*g + *u) as f64 - fair < 1.0, "{} + {} vs {}", g, u, fair);
            }
        }

        #[test]
        fn the_order_the_organisations_are_listed_in_does_not_matter(
            free in 0u64..2000,
            demands in demands(),
        ) {
            let mut reversed = demands.clone();
            reversed.reverse();
            let mut back = share(2000, free, &reversed);
            back.reverse();
            prop_assert_eq!(back, share(2000, free, &demands));
        }
    }
}
