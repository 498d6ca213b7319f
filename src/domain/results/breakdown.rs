//! Breakdowns ("tris"): the indicator per group of respondents, by one attribute at a time,
//! with small-cell suppression for anonymous questionnaires.

use std::collections::BTreeMap;

use crate::domain::indicators::{
    MeanChange, MeanIndicator, Proportion, QuestionRate, compare_indicators, suppression_mask,
};

use super::counts::GroupCount;
use super::tally::{DAY_DIMENSION, RESPONDENTS};

/// Dimensions that are not breakdowns: the timeline, and the companies of 3.1 (shown as their
/// own table, consolidated at two levels).
pub const NOT_BREAKDOWNS: [&str; 2] = [DAY_DIMENSION, "company"];

#[derive(Debug, Clone, PartialEq)]
pub struct BreakdownGroup {
    pub group: String,
    /// `None` when suppressed.
    pub respondents: Option<u64>,
    /// The mean of the group's scored question rates (respondents pooled); `None` when
    /// suppressed or without a valid answer.
    pub value: Option<f64>,
    /// The overall-perception question's rate in the group (6, 7).
    pub overall: Option<Proportion>,
    pub hidden: bool,
    /// Since the previous wave ([`with_changes`]): `None` when the group is hidden in either
    /// wave, or absent from the previous one.
    pub change: Option<MeanChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    pub dimension: String,
    pub groups: Vec<BreakdownGroup>,
    /// `None` when the total itself is below the threshold.
    pub total: Option<u64>,
}

impl Breakdown {
    pub fn hidden_count(&self) -> usize {
        self.groups.iter().filter(|g| g.hidden).count()
    }
}

/// One breakdown per dimension present in `groups` (except [`NOT_BREAKDOWNS`]), its groups
/// in the order of their values.
///
/// For an anonymous questionnaire a group with fewer respondents than `threshold` is never
/// shown, nor derivable from the total and the other groups ([`suppression_mask`]), and the
/// mask of the respondents applies to every figure of the group.
pub fn breakdowns(
    groups: &[GroupCount],
    scored: &[String],
    overall: Option<&str>,
    anonymous: bool,
    threshold: u64,
) -> Vec<Breakdown> {
    // dimension → group → (respondents, question rates, overall)
    type Cell = (u64, Vec<QuestionRate>, Option<Proportion>);
    let mut by_dimension: BTreeMap<&str, BTreeMap<&str, Cell>> = BTreeMap::new();
    for g in groups {
        if NOT_BREAKDOWNS.contains(&g.dimension.as_str()) {
            continue;
        }
        let cell = by_dimension
            .entry(g.dimension.as_str())
            .or_default()
            .entry(g.group.as_str())
            .or_default();
        let Some(proportion) = Proportion::checked(g.favorable, g.total) else {
            continue;
        };
        if g.question == RESPONDENTS {
            cell.0 += g.total;
        } else if scored.contains(&g.question) {
            cell.1.push(QuestionRate::new(&g.question, proportion));
        }
        if overall == Some(g.question.as_str()) {
            cell.2 = Some(cell.2.unwrap_or_default() + proportion);
        }
    }

    by_dimension
        .into_iter()
        .map(|(dimension, cells)| {
            let counts: Vec<u64> = cells.values().map(|c| c.0).collect();
            let mask = anonymous.then(|| suppression_mask(&counts, threshold));
            let groups = cells
                .into_iter()
                .enumerate()
                .map(|(i, (group, (respondents, questions, overall)))| {
                    let hidden = mask.as_ref().is_some_and(|m| m.is_hidden(i));
                    let value = MeanIndicator::new(questions, None).value;
                    BreakdownGroup {
                        group: group.to_owned(),
                        respondents: (!hidden).then_some(respondents),
                        value: value.filter(|_| !hidden),
                        overall: overall.filter(|_| !hidden),
                        hidden,
                        change: None,
                    }
                })
                .collect();
            let total_hidden = mask.as_ref().is_some_and(|m| m.total_hidden);
            Breakdown {
                dimension: dimension.to_owned(),
                groups,
                total: (!total_hidden).then(|| counts.iter().sum()),
            }
        })
        .collect()
}

/// Fills in each group's change since the previous wave: the same group's mean of question
/// rates in both waves, tested like the whole indicator ([`compare_indicators`]).
///
/// Two waves compared must not undo suppression: a group hidden in either wave (or absent
/// from the previous one) gets no change, since "after" and a change would give "before"
/// back. `previous` are the previous wave's breakdowns as published (masks applied), and
/// `before`/`after` the two waves' group counts.
pub fn with_changes(
    current: &mut [Breakdown],
    previous: &[Breakdown],
    before: &[GroupCount],
    after: &[GroupCount],
    scored: &[String],
) {
    for breakdown in current {
        let Some(earlier) = previous.iter().find(|b| b.dimension == breakdown.dimension) else {
            continue;
        };
        for group in &mut breakdown.groups {
            let shown_before = earlier
                .groups
                .iter()
                .any(|g| g.group == group.group && !g.hidden);
            if group.hidden || !shown_before {
                continue;
            }
            let rates = |counts: &[GroupCount]| {
                MeanIndicator::new(
                    counts
                        .iter()
                        .filter(|c| c.dimension == breakdown.dimension && c.group == group.group)
                        .filter(|c| scored.contains(&c.question))
                        .filter_map(|c| {
                            Proportion::checked(c.favorable, c.total)
                                .map(|p| QuestionRate::new(&c.question, p))
                        })
                        .collect(),
                    None,
                )
            };
            let change = compare_indicators(&rates(before), &rates(after)).value;
            group.change = change.points.is_some().then_some(change);
        }
    }
}

#[cfg(test)]
mod change_tests {
    use super::*;

    fn count(
        dimension: &str,
        group: &str,
        question: &str,
        favorable: u64,
        total: u64,
    ) -> GroupCount {
        GroupCount {
            period: 2026,
            dimension: dimension.to_owned(),
            group: group.to_owned(),
            question: question.to_owned(),
            favorable,
            total,
        }
    }

    /// Respondents and one scored question per group.
    fn wave(groups: &[(&str, u64, u64)]) -> Vec<GroupCount> {
        groups
            .iter()
            .flat_map(|(g, favorable, n)| {
                [
                    count("region", g, RESPONDENTS, *n, *n),
                    count("region", g, "q1", *favorable, *n),
                ]
            })
            .collect()
    }

    #[test]
    fn groups_shown_in_both_waves_get_their_change() {
        let scored = vec!["q1".to_owned()];
        let before = wave(&[("A", 20, 40), ("B", 30, 40)]);
        let after = wave(&[("A", 30, 40), ("B", 30, 40)]);
        let previous = breakdowns(&before, &scored, None, true, 5);
        let mut current = breakdowns(&after, &scored, None, true, 5);
        with_changes(&mut current, &previous, &before, &after, &scored);
        let a = current[0].groups[0].change.unwrap();
        // 20/40 → 30/40: +25 points; p̄ = 0.625, se = √(0.625 · 0.375 · 0.05) = 0.10825,
        // z = 2.3094: significant.
        assert!((a.points.unwrap() - 25.0).abs() < 1e-9);
        assert!((a.test.unwrap().z - 2.309_401).abs() < 1e-6);
        assert!(a.test.unwrap().significant);
        let b = current[0].groups[1].change.unwrap();
        assert_eq!(b.points, Some(0.0));
    }

    #[test]
    fn a_group_hidden_in_either_wave_gets_no_change() {
        let scored = vec!["q1".to_owned()];
        // Before: C has 3 respondents, hidden (and B with it, complementary suppression).
        let before = wave(&[("A", 20, 40), ("B", 3, 6), ("C", 1, 3)]);
        // After: C has 8, shown. Its change would give its hidden value of the first wave.
        let after = wave(&[("A", 30, 40), ("B", 4, 6), ("C", 6, 8)]);
        let previous = breakdowns(&before, &scored, None, true, 5);
        assert!(previous[0].groups[2].hidden && previous[0].groups[1].hidden);
        let mut current = breakdowns(&after, &scored, None, true, 5);
        assert!(current[0].groups.iter().all(|g| !g.hidden));
        with_changes(&mut current, &previous, &before, &after, &scored);
        assert!(current[0].groups[0].change.is_some());
        assert_eq!(current[0].groups[1].change, None);
        assert_eq!(current[0].groups[2].change, None);

        // And the other way round: shown before, hidden after.
        let mut reversed = breakdowns(&before, &scored, None, true, 5);
        let shown = breakdowns(&after, &scored, None, true, 5);
        with_changes(&mut reversed, &shown, &after, &before, &scored);
        assert_eq!(reversed[0].groups[2].change, None);
        assert!(reversed[0].groups[0].change.is_some());
    }

    #[test]
    fn a_group_new_in_this_wave_gets_no_change() {
        let scored = vec!["q1".to_owned()];
        let before = wave(&[("A", 20, 40)]);
        let after = wave(&[("A", 20, 40), ("B", 5, 10)]);
        let previous = breakdowns(&before, &scored, None, true, 5);
        let mut current = breakdowns(&after, &scored, None, true, 5);
        with_changes(&mut current, &previous, &before, &after, &scored);
        assert_eq!(current[0].groups[1].change, None);
    }
}
