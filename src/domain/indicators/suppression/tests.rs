use super::*;

const K: u64 = DEFAULT_THRESHOLD;

fn hidden(counts: &[u64]) -> Vec<bool> {
    suppression_mask(counts, K).hidden
}

// ---------------------------------------------------------------------------------------
// Hand-worked breakdowns

#[test]
fn large_cells_are_all_shown() {
    let mask = suppression_mask(&[12, 7, 30], K);
    assert_eq!(mask.hidden, [false, false, false]);
    assert!(!mask.total_hidden);
    assert_eq!(mask.hidden_count(), 0);
}

#[test]
fn a_single_small_cell_takes_the_smallest_other_with_it() {
    // 3 < 5 is hidden; alone, 52 − (12 + 7 + 30) would give it back, so the smallest shown
    // cell, 7, is hidden too: 52 − 42 = 10 spread over two cells.
    assert_eq!(hidden(&[3, 12, 7, 30]), [true, false, true, false]);
}

#[test]
fn small_cells_adding_up_to_less_than_k_take_another() {
    // 1 and 2 hidden: their sum 3 would be a group of 3 → 9 (smallest shown) hidden too.
    assert_eq!(hidden(&[1, 2, 20, 9]), [true, true, false, true]);
}

#[test]
fn small_cells_adding_up_to_k_are_enough() {
    // 3 + 4 = 7 ≥ 5, two cells: nothing more to hide.
    assert_eq!(hidden(&[3, 4, 20, 9]), [true, true, false, false]);
}

#[test]
fn an_empty_group_is_hidden_like_a_small_one() {
    // "0 in this region" would tell its members that none of them answered.
    assert_eq!(hidden(&[0, 10, 15]), [true, true, false]);
    // Two zeros add up to 0 < 5: the smallest shown cell follows.
    assert_eq!(hidden(&[0, 0, 12, 20]), [true, true, true, false]);
    // All hidden but the total is still ≥ 5: it stays.
    let mask = suppression_mask(&[0, 0, 12], K);
    assert_eq!(mask.hidden, [true, true, true]);
    assert!(!mask.total_hidden);
}

#[test]
fn ties_take_the_first_cell() {
    assert_eq!(hidden(&[2, 6, 6]), [true, true, false]);
}

#[test]
fn a_total_below_k_hides_everything() {
    let mask = suppression_mask(&[1, 2, 1], K);
    assert_eq!(mask.hidden, [true, true, true]);
    assert!(mask.total_hidden);
    // A single cell below k is hidden with the total; at or above k it is shown.
    assert_eq!(
        suppression_mask(&[3], K),
        SuppressionMask {
            hidden: vec![true],
            total_hidden: true
        }
    );
    assert_eq!(hidden(&[5]), [false]);
    assert!(suppression_mask(&[], K).total_hidden);
}

#[test]
fn the_threshold_is_configurable() {
    // k = 10: 7 and 9 hidden, 16 ≥ 10 over two cells.
    assert_eq!(
        suppression_mask(&[7, 9, 30], 10).hidden,
        [true, true, false]
    );
    // k = 1 only protects empty groups: 0 hidden, then 3 (smallest) with it.
    assert_eq!(suppression_mask(&[0, 3, 4], 1).hidden, [true, true, false]);
    // k = 0 hides nothing.
    assert_eq!(suppression_mask(&[0, 1], 0).hidden, [false, false]);
}

#[test]
fn mask_lookup_outside_the_cells_is_hidden() {
    let mask = suppression_mask(&[10, 10], K);
    assert!(!mask.is_hidden(1));
    assert!(mask.is_hidden(2));
}

#[test]
fn labelled_breakdown() {
    let published = suppress_breakdown(
        &[
            ("Anact", 14),
            ("Aract Bretagne", 3),
            ("Aract Occitanie", 6),
            ("Aract Hauts-de-France", 9),
        ],
        K,
    );
    let shown: Vec<(&str, Option<u64>)> = published
        .cells
        .iter()
        .map(|c| (c.label.as_str(), c.count))
        .collect();
    // 3 hidden; 6 is the smallest other cell. Shown: 14 + 9 = 23 of 32, so the two hidden
    // cells are 9 together, which could be 0 + 9, 1 + 8, … .
    assert_eq!(
        shown,
        [
            ("Anact", Some(14)),
            ("Aract Bretagne", None),
            ("Aract Occitanie", None),
            ("Aract Hauts-de-France", Some(9)),
        ]
    );
    assert_eq!(published.total, Some(32));

    let tiny = suppress_breakdown(&[("employeurs", 2), ("salariés", 2)], K);
    assert_eq!(tiny.total, None);
    assert!(tiny.cells.iter().all(|c| c.count.is_none()));
}

#[test]
fn published_breakdown_serializes_hidden_as_null() {
    let json =
        serde_json::to_value(suppress_breakdown(&[("a", 1), ("b", 9), ("c", 9)], K)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "cells": [
                {"label": "a", "count": null},
                {"label": "b", "count": null},
                {"label": "c", "count": 9},
            ],
            "total": 19,
        })
    );
}

// ---------------------------------------------------------------------------------------
// Participation per group

#[test]
fn group_sizes_can_pin_a_hidden_cell_so_more_is_hidden() {
    // A: 3/3 (primary), B: 6/6, C: 20/40.
    // The plain rule stops at {A, B}: sum 9 ≥ 5 over two cells. But A ≤ 3 invited and B ≤ 6
    // invited, so A ≥ 9 − 6 = 3: A = 3, everyone in A answered. C is hidden as well; then A
    // can be anything in [max(0, 29 − 46), 3] = [0, 3].
    let groups = [
        GroupParticipation::new("A", 3, 3),
        GroupParticipation::new("B", 6, 6),
        GroupParticipation::new("C", 40, 20),
    ];
    assert_eq!(suppression_mask(&[3, 6, 20], K).hidden, [true, true, false]);
    assert_eq!(participation_mask(&groups, K).hidden, [true, true, true]);

    let published = suppress_participation(&groups, K);
    assert_eq!(published.invited, 49);
    assert_eq!(published.completed, Some(29));
    assert!(
        published
            .groups
            .iter()
            .all(|g| g.completed.is_none() && g.rate.is_none())
    );
}

#[test]
fn the_loosening_cell_is_preferred_over_a_smaller_full_one() {
    // A: 4/4 (primary), B: 5/5, C: 6/6, D: 30/60, E: 40/50.
    // {A}: alone → add the smallest, B (5): sum 9, A ≥ 9 − 5 = 4 = A: pinned. C (6/6) would
    // not loosen anything (A ≥ 15 − 11 = 4), D does (A ≥ 39 − 65 → 0): D is hidden, C shown.
    let groups = [
        GroupParticipation::new("A", 4, 4),
        GroupParticipation::new("B", 5, 5),
        GroupParticipation::new("C", 6, 6),
        GroupParticipation::new("D", 60, 30),
        GroupParticipation::new("E", 50, 40),
    ];
    assert_eq!(
        participation_mask(&groups, K).hidden,
        [true, true, false, true, false]
    );
}

#[test]
fn group_participation_is_shown_when_safe() {
    // A: 12/20, B: 2/10 (primary), C: 8/10 → B and C (smallest shown) hidden.
    // B ∈ [max(0, 10 − 10), min(10, 10)] = [0, 10], C ∈ [0, 10]: neither pinned.
    let published = suppress_participation(
        &[
            GroupParticipation::new("A", 20, 12),
            GroupParticipation::new("B", 10, 2),
            GroupParticipation::new("C", 10, 8),
        ],
        K,
    );
    assert_eq!(published.groups[0].completed, Some(12));
    assert_eq!(published.groups[0].rate, Some(0.6));
    assert_eq!(published.groups[1].completed, None);
    assert_eq!(published.groups[2].completed, None);
    assert_eq!(published.groups[2].invited, 10);
    assert_eq!(published.completed, Some(22));
}

#[test]
fn a_group_nobody_was_invited_from_stays_visible() {
    let published = suppress_participation(
        &[
            GroupParticipation::new("A", 20, 12),
            GroupParticipation::new("vide", 0, 0),
            GroupParticipation::new("B", 20, 9),
        ],
        K,
    );
    assert_eq!(published.groups[1].completed, Some(0));
    assert_eq!(published.groups[1].rate, None);
    assert_eq!(published.groups[0].completed, Some(12));
}

#[test]
fn participation_below_k_hides_the_total_too() {
    let published = suppress_participation(
        &[
            GroupParticipation::new("A", 10, 2),
            GroupParticipation::new("B", 10, 2),
        ],
        K,
    );
    assert_eq!(published.invited, 20);
    assert_eq!(published.completed, None);
    assert!(published.groups.iter().all(|g| g.completed.is_none()));
}

#[test]
fn when_everybody_answered_the_total_says_it_anyway() {
    // 9 invited, 9 completed: all groups hidden, and still every group is known to be
    // complete from the total. Nothing in a breakdown can hide that; the total stays.
    let groups = [
        GroupParticipation::new("A", 3, 3),
        GroupParticipation::new("B", 6, 6),
    ];
    let mask = participation_mask(&groups, K);
    assert_eq!(mask.hidden, [true, true]);
    assert!(!mask.total_hidden);
}

#[test]
#[should_panic(expected = "more completed than invited")]
fn more_completed_than_invited_is_a_bug() {
    let _ = participation_mask(&[GroupParticipation::new("A", 3, 4)], K);
}

// ---------------------------------------------------------------------------------------
// Properties over many generated breakdowns

/// xorshift64*: deterministic, good enough to spread cases.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Mostly small counts, where suppression happens, some large ones.
    fn count(&mut self, k: u64) -> u64 {
        match self.below(3) {
            0 => self.below(k.max(1)),
            1 => self.below(2 * k + 2),
            _ => self.below(60),
        }
    }
}

/// The properties every mask must have, whatever the bounds.
fn check_common(counts: &[u64], public: &[bool], k: u64, mask: &SuppressionMask) {
    let context = format!("counts {counts:?}, k {k}, mask {mask:?}");
    let total: u64 = counts.iter().sum();
    assert_eq!(mask.hidden.len(), counts.len(), "{context}");
    assert_eq!(mask.total_hidden, total < k, "{context}");
    for (&is_public, &is_hidden) in public.iter().zip(&mask.hidden) {
        assert!(
            !(is_public && is_hidden),
            "a public empty group is shown: {context}"
        );
    }
    if mask.total_hidden {
        assert!(
            (0..counts.len()).all(|i| mask.hidden[i] || public[i]),
            "{context}"
        );
        return;
    }
    let hideable = public.iter().filter(|&&p| !p).count();
    let mut hidden_sum = 0;
    for (i, &count) in counts.iter().enumerate() {
        if mask.hidden[i] {
            hidden_sum += count;
        } else if !public[i] {
            assert!(count >= k, "no shown cell below k: {context}");
        }
    }
    let hidden_count = mask.hidden_count();
    assert!(
        hidden_count == 0 || hidden_sum >= k,
        "hidden sum 0 or ≥ k: {context}"
    );
    assert!(
        hidden_count != 1 || hideable == 1,
        "never a single hidden cell: {context}"
    );
    if counts.iter().zip(public).all(|(&c, &p)| p || c >= k) {
        assert_eq!(
            hidden_count, 0,
            "nothing hidden without a small cell: {context}"
        );
    }
}

#[test]
fn property_plain_breakdowns() {
    let mut generator = Generator(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let k = generator.below(8);
        let n = generator.below(9) as usize;
        let counts: Vec<u64> = (0..n).map(|_| generator.count(k)).collect();
        let mask = suppression_mask(&counts, k);
        check_common(&counts, &vec![false; n], k, &mask);
        // Without bounds, a single-cell breakdown is only ever hidden with its total.
        if n == 1 {
            assert_eq!(mask.hidden[0], mask.total_hidden);
        }
    }
}

/// Every value a hidden cell can take given what is published (each group's invited, the
/// shown cells, the total), by enumeration: an independent check of the interval reasoning.
fn possible_values(
    invited: &[u64],
    hidden: &[usize],
    sum: u64,
) -> Vec<std::collections::BTreeSet<u64>> {
    fn walk(
        invited: &[u64],
        hidden: &[usize],
        remaining: u64,
        chosen: &mut Vec<u64>,
        seen: &mut [std::collections::BTreeSet<u64>],
    ) {
        let Some((&first, rest)) = hidden.split_first() else {
            if remaining == 0 {
                for (slot, &value) in seen.iter_mut().zip(chosen.iter()) {
                    slot.insert(value);
                }
            }
            return;
        };
        for value in 0..=invited[first].min(remaining) {
            chosen.push(value);
            walk(invited, rest, remaining - value, chosen, seen);
            chosen.pop();
        }
    }
    let mut seen = vec![std::collections::BTreeSet::new(); hidden.len()];
    walk(invited, hidden, sum, &mut Vec::new(), &mut seen);
    seen
}

#[test]
fn property_participation_breakdowns() {
    let mut generator = Generator(0x0123_4567_89ab_cdef);
    let mut pinned_cases = 0;
    for _ in 0..5_000 {
        let k = 1 + generator.below(6);
        let n = generator.below(6) as usize;
        let groups: Vec<GroupParticipation> = (0..n)
            .map(|i| {
                let invited = match generator.below(4) {
                    0 => generator.below(k + 2),
                    _ => generator.below(13),
                };
                // Often everybody or nobody: the cases where bounds bite.
                let completed = match generator.below(4) {
                    0 => invited,
                    1 => 0,
                    _ => generator.below(invited + 1),
                };
                GroupParticipation::new(format!("g{i}"), invited, completed)
            })
            .collect();
        let counts: Vec<u64> = groups.iter().map(|g| g.completed).collect();
        let invited: Vec<u64> = groups.iter().map(|g| g.invited).collect();
        let public: Vec<bool> = invited.iter().map(|&i| i == 0).collect();
        let mask = participation_mask(&groups, k);
        check_common(&counts, &public, k, &mask);
        if mask.total_hidden {
            continue;
        }

        // No hidden cell is determined by the published figures, unless every group that can
        // be hidden is, in which case the published total alone determines it.
        let hidden: Vec<usize> = (0..n).filter(|&i| mask.hidden[i]).collect();
        let sum: u64 = hidden.iter().map(|&i| counts[i]).sum();
        let possible = possible_values(&invited, &hidden, sum);
        let pinned = possible.iter().any(|values| values.len() < 2);
        if pinned {
            pinned_cases += 1;
            let hideable = public.iter().filter(|&&p| !p).count();
            assert_eq!(
                hidden.len(),
                hideable,
                "a hidden cell is recoverable: {groups:?} {mask:?} {possible:?}"
            );
        }
        for (values, &i) in possible.iter().zip(&hidden) {
            assert!(values.contains(&counts[i]), "the enumeration is sound");
        }
    }
    // The generator does reach the everybody-answered corner.
    assert!(pinned_cases > 0);
}
