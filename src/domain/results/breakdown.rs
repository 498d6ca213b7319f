//! Breakdowns ("tris"): the indicator per group of respondents, by one attribute at a time,
//! with small-cell suppression for anonymous questionnaires.

use std::collections::BTreeMap;

use crate::domain::indicators::{MeanIndicator, Proportion, QuestionRate, suppression_mask};

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
