//! The rules that keep anonymous responses (indicators 6 and 7) from pointing at a person:
//! when pending answers may be released into the results, and how coarse the attributes
//! copied from the roster must become so that no stored combination is rare.
//!
//! A response to an anonymous questionnaire is first kept sealed (no link to its invitation,
//! no time, no order) and counted nowhere. A *release* then rewrites every anonymous response
//! of the campaign at once, with fresh random ids, in random order, under one common day: the
//! people who answered can only be matched to "one of the campaign's responses". Each release
//! adds at least `k` new responses (or the last ones, when the campaign is over), so even two
//! copies of the database taken before and after a release only differ by a crowd.

use std::collections::BTreeMap;

/// Whether a campaign's pending anonymous answers are released now.
///
/// - at least `threshold` are pending: they join the results together;
/// - the campaign is over (nobody can answer any more): whatever is pending is released, so
///   nothing acknowledged stays uncounted;
/// - some stored responses were never released (stored before releases existed): they are
///   rewritten once, like the others.
pub fn release_due(pending: u64, threshold: u64, campaign_over: bool, unreleased: bool) -> bool {
    (pending > 0 && (pending >= threshold.max(1) || campaign_over)) || unreleased
}

/// Whether a campaign's free-text answers may be read: for an anonymous questionnaire, only
/// once it has at least `threshold` respondents (a comment among three is nearly signed).
pub fn comments_readable(anonymous: bool, respondents: u64, threshold: u64) -> bool {
    !anonymous || respondents >= threshold
}

/// The attributes each response keeps, given every response of the campaign: each row keeps
/// a prefix of `keys`, which lists the questionnaire's attributes from the broadest to the
/// finest (i6: college, then region), chosen so that every stored combination (the full set
/// of attributes a row keeps) is shared by at least `threshold` rows. When the campaign
/// itself has fewer rows than that, no row keeps any. A row without a value for an
/// attribute keeps nothing finer than it.
///
/// The rule, applied top-down from the whole campaign: within a group of at least
/// `threshold` rows sharing a prefix, the rows are split by the next attribute; a split
/// smaller than `threshold` drops that attribute (and every finer one) and stays in the
/// group's remainder; if the remainder is non-empty but smaller than `threshold`, the
/// smallest splits join it until it is not (complementary suppression, as for published
/// cells); the remaining splits go on to the next attribute.
///
/// What this guarantees, and the tests check:
/// - attributes are only ever dropped, finest first, never altered: a stored combination is
///   always a generalisation of the true one;
/// - every stored combination has at least `threshold` rows (or the campaign has fewer);
/// - the result depends on the multiset of rows, not on their order;
/// - nothing is dropped when no combination is rare;
/// - it is idempotent, and monotone across releases: each release applies it again to the
///   stored (already coarsened) rows plus the new ones, and an already stored row only ever
///   keeps what it had or less, never more, so no release can undo an earlier one's
///   protection. The price: a row coarsened early (when few had answered) stays coarse.
pub fn coarsen(
    keys: &[String],
    rows: &[Vec<(String, String)>],
    threshold: u64,
) -> Vec<Vec<(String, String)>> {
    let order = keys;
    let paths: Vec<Vec<&str>> = rows
        .iter()
        .map(|row| {
            order
                .iter()
                .map_while(|key| value_of(row, key))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut depth = vec![0usize; rows.len()];
    if (rows.len() as u64) >= threshold {
        let all: Vec<usize> = (0..rows.len()).collect();
        split(&paths, all, 0, threshold.max(1) as usize, &mut depth);
    }
    depth
        .iter()
        .zip(&paths)
        .map(|(&d, path)| {
            order
                .iter()
                .zip(path)
                .take(d)
                .map(|(key, value)| (key.clone(), (*value).to_owned()))
                .collect()
        })
        .collect()
}

fn value_of<'a>(row: &'a [(String, String)], key: &str) -> Option<&'a str> {
    row.iter()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// `group` (at least `k` rows) shares its first `level` values: decides who stops here.
fn split(paths: &[Vec<&str>], group: Vec<usize>, level: usize, k: usize, depth: &mut [usize]) {
    let mut remainder: Vec<usize> = Vec::new();
    let mut splits: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in group {
        match paths[i].get(level) {
            Some(value) => splits.entry(value).or_default().push(i),
            None => remainder.push(i),
        }
    }
    let mut large: Vec<(&str, Vec<usize>)> = Vec::new();
    for (value, rows) in splits {
        if rows.len() < k {
            remainder.extend(rows);
        } else {
            large.push((value, rows));
        }
    }
    // Smallest first, then by value: a choice that does not depend on the rows' order.
    large.sort_by(|a, b| (a.1.len(), a.0).cmp(&(b.1.len(), b.0)));
    let mut large = std::collections::VecDeque::from(large);
    while !remainder.is_empty() && remainder.len() < k {
        let Some((_, rows)) = large.pop_front() else {
            break;
        };
        remainder.extend(rows);
    }
    for i in remainder {
        depth[i] = level;
    }
    for (_, rows) in large {
        split(paths, rows, level + 1, k, depth);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    /// Broadest first.
    fn keys() -> Vec<String> {
        vec!["college".to_owned(), "region".to_owned()]
    }

    fn row(region: &str, college: &str) -> Vec<(String, String)> {
        let mut r = Vec::new();
        if !region.is_empty() {
            r.push(("region".to_owned(), region.to_owned()));
        }
        if !college.is_empty() {
            r.push(("college".to_owned(), college.to_owned()));
        }
        r
    }

    fn rows(spec: &[(&str, &str, usize)]) -> Vec<Vec<(String, String)>> {
        spec.iter()
            .flat_map(|(r, c, n)| std::iter::repeat_n(row(r, c), *n))
            .collect()
    }

    fn combinations(out: &[Vec<(String, String)>]) -> HashMap<Vec<(String, String)>, usize> {
        let mut counts = HashMap::new();
        for r in out {
            let mut sorted = r.clone();
            sorted.sort();
            *counts.entry(sorted).or_default() += 1;
        }
        counts
    }

    fn sorted(mut r: Vec<(String, String)>) -> Vec<(String, String)> {
        r.sort();
        r
    }

    #[test]
    fn release_waits_for_k_pending_or_the_end() {
        assert!(!release_due(0, 5, false, false));
        assert!(!release_due(4, 5, false, false));
        assert!(release_due(5, 5, false, false));
        assert!(release_due(9, 5, false, false));
        // The campaign is over: the last few are released rather than lost.
        assert!(release_due(1, 5, true, false));
        assert!(!release_due(0, 5, true, false));
        // Responses stored before releases existed are rewritten.
        assert!(release_due(0, 5, false, true));
        // A threshold of 0 behaves as 1.
        assert!(release_due(1, 0, false, false));
    }

    #[test]
    fn comments_of_an_anonymous_campaign_wait_for_k_respondents() {
        assert!(!comments_readable(true, 4, 5));
        assert!(comments_readable(true, 5, 5));
        assert!(comments_readable(false, 1, 5));
    }

    #[test]
    fn frequent_combinations_keep_everything() {
        let input = rows(&[
            ("bretagne", "employeurs", 5),
            ("bretagne", "salaries", 6),
            ("occitanie", "salaries", 5),
        ]);
        let out = coarsen(&keys(), &input, 5);
        for (i, o) in input.iter().zip(&out) {
            assert_eq!(sorted(i.clone()), sorted(o.clone()));
        }
    }

    #[test]
    fn a_rare_region_loses_its_region_not_its_college() {
        // College is the broader attribute: it is kept, the region dropped.
        let input = rows(&[
            ("bretagne", "salaries", 6),
            ("occitanie", "salaries", 5),
            ("corse", "salaries", 1),
            ("bretagne", "employeurs", 7),
        ]);
        let out = coarsen(&keys(), &input, 5);
        let counts = combinations(&out);
        // The lone Corsican joins the smallest salaried region (Occitanie, 5) in "salariés".
        assert_eq!(counts[&sorted(row("", "salaries"))], 6);
        assert_eq!(counts[&sorted(row("bretagne", "salaries"))], 6);
        assert_eq!(counts[&sorted(row("bretagne", "employeurs"))], 7);
        assert!(counts.values().all(|&n| n >= 5));
    }

    #[test]
    fn a_rare_college_drops_everything() {
        let input = rows(&[
            ("bretagne", "salaries", 5),
            ("occitanie", "salaries", 5),
            ("corse", "salaries", 5),
            ("bretagne", "employeurs", 2),
        ]);
        let out = coarsen(&keys(), &input, 5);
        let counts = combinations(&out);
        // Two employers cannot be kept apart: with the only other college they keep nothing.
        assert_eq!(counts[&Vec::new()], 17);
        assert_eq!(counts.len(), 1);
    }

    #[test]
    fn fewer_than_k_in_all_keep_nothing() {
        let out = coarsen(&keys(), &rows(&[("bretagne", "salaries", 4)]), 5);
        assert!(out.iter().all(Vec::is_empty));
    }

    #[test]
    fn a_missing_value_stops_the_path() {
        // No college on 5 rows: they keep nothing finer than what precedes college.
        let input = rows(&[("bretagne", "", 5), ("bretagne", "salaries", 5)]);
        let out = coarsen(&keys(), &input, 5);
        let counts = combinations(&out);
        assert!(counts.values().all(|&n| n >= 5), "{counts:?}");
        assert_eq!(out.len(), 10);
    }

    fn arbitrary_rows() -> impl Strategy<Value = Vec<Vec<(String, String)>>> {
        let region = prop::sample::select(vec!["", "a", "b", "c", "d", "e", "f"]);
        let college = prop::sample::select(vec!["", "x", "y"]);
        prop::collection::vec((region, college), 0..60)
            .prop_map(|pairs| pairs.into_iter().map(|(r, c)| row(r, c)).collect())
    }

    proptest! {
        #[test]
        fn every_stored_combination_has_k_rows(input in arbitrary_rows(), k in 1u64..8) {
            let out = coarsen(&keys(), &input, k);
            prop_assert_eq!(out.len(), input.len());
            if (input.len() as u64) >= k {
                for (combination, n) in combinations(&out) {
                    prop_assert!(n as u64 >= k, "{:?}: {}", combination, n);
                }
            } else {
                prop_assert!(out.iter().all(Vec::is_empty));
            }
        }

        #[test]
        fn attributes_are_only_dropped_never_changed(input in arbitrary_rows(), k in 1u64..8) {
            let out = coarsen(&keys(), &input, k);
            for (i, o) in input.iter().zip(&out) {
                for pair in o {
                    prop_assert!(i.contains(pair));
                }
            }
        }

        #[test]
        fn the_order_of_rows_does_not_matter(input in arbitrary_rows(), k in 1u64..8, seed in any::<u64>()) {
            let out = coarsen(&keys(), &input, k);
            let mut shuffled: Vec<usize> = (0..input.len()).collect();
            // A deterministic permutation from the seed.
            shuffled.sort_by_key(|i| (*i as u64).wrapping_mul(seed | 1).rotate_left(17));
            let permuted: Vec<_> = shuffled.iter().map(|&i| input[i].clone()).collect();
            let out_permuted = coarsen(&keys(), &permuted, k);
            prop_assert_eq!(combinations(&out), combinations(&out_permuted));
        }

        #[test]
        fn coarsening_again_changes_nothing(input in arbitrary_rows(), k in 1u64..8) {
            let once = coarsen(&keys(), &input, k);
            let twice = coarsen(&keys(), &once, k);
            prop_assert_eq!(&once, &twice);
        }

        #[test]
        fn a_release_never_gives_back_what_an_earlier_one_dropped(
            first in arbitrary_rows(),
            later in arbitrary_rows(),
            k in 1u64..8,
        ) {
            let released = coarsen(&keys(), &first, k);
            let mut all = released.clone();
            all.extend(later);
            let again = coarsen(&keys(), &all, k);
            for (before, after) in released.iter().zip(&again) {
                prop_assert!(after.len() <= before.len());
                for pair in after {
                    prop_assert!(before.contains(pair));
                }
            }
            if (all.len() as u64) >= k {
                for (_, n) in combinations(&again) {
                    prop_assert!(n as u64 >= k);
                }
            }
        }

        #[test]
        fn nothing_is_dropped_when_nothing_is_rare(input in arbitrary_rows(), k in 1u64..8) {
            let full = combinations(&input);
            let complete = input.iter().all(|r| r.len() == 2);
            if complete && full.values().all(|&n| n as u64 >= k) && (input.len() as u64) >= k {
                let out = coarsen(&keys(), &input, k);
                prop_assert_eq!(combinations(&out), full);
            }
        }
    }
}
