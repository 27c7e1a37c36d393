//! Sharing the free call slots between organisations (docs/api.md, "The dialing loop", step 3),
//! as the hosted service does: in proportion to each organisation's concurrency limit, whole
//! shares first, then one slot each by the largest remainder, and what an organisation cannot
//! use shared again among the others. Pure, so it is property-tested.

/// An organisation's claim on the free slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demand {
    pub org: String,
    /// Its `concurrency_limit`: the weight of its share.
    pub limit: u64,
    /// How many calls it could start now: `min(due contacts, limit - calls up)`.
    pub want: u64,
}

/// How many of `free` slots each organisation of `demands` gets, in the same order.
pub fn share(free: u64, demands: &[Demand]) -> Vec<u64> {
    let mut given = vec![0u64; demands.len()];
    let mut left = free;
    loop {
        let hungry: Vec<usize> = (0..demands.len())
            .filter(|&i| given[i] < demands[i].want && demands[i].limit > 0)
            .collect();
        if left == 0 || hungry.is_empty() {
            return given;
        }
        let weight: u128 = hungry.iter().map(|&i| u128::from(demands[i].limit)).sum();
        let round = left;
        // Each share is `round * limit / weight`: its whole part first (never past the want) …
        let mut remainders = Vec::with_capacity(hungry.len());
        for &i in &hungry {
            let exact = u128::from(round) * u128::from(demands[i].limit);
            let whole = (exact / weight) as u64;
            let take = whole.min(demands[i].want - given[i]);
            given[i] += take;
            left -= take;
            if take == whole && given[i] < demands[i].want {
                remainders.push((exact % weight, i));
            }
        }
        // … then one slot each by the largest fractional part, ties to the smaller org id.
        remainders
            .sort_by(|(a, i), (b, j)| b.cmp(a).then_with(|| demands[*i].org.cmp(&demands[*j].org)));
        for (_, i) in remainders {
            if left == 0 {
                break;
            }
            given[i] += 1;
            left -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn demand(org: &str, limit: u64, want: u64) -> Demand {
        Demand {
            org: org.into(),
            limit,
            want,
        }
    }

    #[test]
    fn limits_10_and_30_share_8_slots_2_to_6() {
        let demands = [demand("a", 10, 100), demand("b", 30, 100)];
        assert_eq!(share(8, &demands), [2, 6]);
    }

    #[test]
    fn what_one_cannot_use_goes_to_the_others() {
        let demands = [
            demand("a", 10, 1),
            demand("b", 10, 100),
            demand("c", 20, 100),
        ];
        // Shares 2.5 / 2.5 / 5: a takes its 1, the 9 others are shared 10:20 between b and c.
        assert_eq!(share(10, &demands), [1, 3, 6]);
    }

    #[test]
    fn equal_remainders_go_to_the_smaller_org_id() {
        let demands = [demand("b", 10, 5), demand("a", 10, 5), demand("c", 10, 5)];
        assert_eq!(share(4, &demands), [1, 2, 1]);
    }

    fn demands() -> impl Strategy<Value = Vec<Demand>> {
        prop::collection::vec((1u64..10_000, 0u64..200), 0..12).prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (limit, want))| demand(&format!("org{i:02}"), limit, want))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn never_above_a_want_nor_the_free_count(free in 0u64..2000, demands in demands()) {
            let given = share(free, &demands);
            prop_assert!(given.iter().sum::<u64>() <= free);
            for (g, d) in given.iter().zip(&demands) {
                prop_assert!(*g <= d.want);
            }
        }

        #[test]
        fn every_free_slot_is_used_while_someone_wants_one(free in 0u64..2000, demands in demands()) {
            let given = share(free, &demands);
            let wanted: u64 = demands.iter().map(|d| d.want).sum();
            prop_assert_eq!(given.iter().sum::<u64>(), free.min(wanted));
        }

        #[test]
        fn unbounded_wants_are_shared_in_proportion_within_one_slot(
            free in 0u64..2000,
            limits in prop::collection::vec(1u64..10_000, 1..12),
        ) {
            let demands: Vec<Demand> = limits
                .iter()
                .enumerate()
                .map(|(i, &limit)| demand(&format!("org{i:02}"), limit, u64::MAX / 4))
                .collect();
            let given = share(free, &demands);
            let weight: u64 = limits.iter().sum();
            for (g, limit) in given.iter().zip(&limits) {
                let exact = free as f64 * *limit as f64 / weight as f64;
                prop_assert!((*g as f64 - exact).abs() < 1.0, "{} vs {}", g, exact);
            }
        }

        #[test]
        fn the_same_inputs_give_the_same_shares(free in 0u64..2000, demands in demands()) {
            prop_assert_eq!(share(free, &demands), share(free, &demands));
            // and the order the organisations are listed in does not matter
            let mut reversed = demands.clone();
            reversed.reverse();
            let mut back = share(free, &reversed);
            back.reverse();
            prop_assert_eq!(back, share(free, &demands));
        }
    }
}
