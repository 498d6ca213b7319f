//! From per-value counts to the question rates of an indicator, each version read with its
//! own definition.

use std::collections::HashSet;

use crate::domain::indicators::{
    CompanyCounts, Proportion, QuestionRate, question_proportion, satisfaction,
};

use super::counts::{GroupCount, ValueCount, Versions, by_version_and_question};
use super::tally::RESPONDENTS;

/// The rates an indicator is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rates {
    pub respondents: u64,
    /// Every scored question, in the current definition's order then the others', pooled
    /// over versions by question id (a question id is stable forever).
    pub scored: Vec<QuestionRate>,
    /// The overall-perception question, pooled likewise.
    pub overall: Option<QuestionRate>,
}

/// Reads the counts of each version with that version's favourable and not-applicable values
/// (a response is always interpreted with the questionnaire it answered). Versions without a
/// known definition are skipped: the caller loads every version it reads counts of.
pub fn rates(counts: &[ValueCount], versions: &Versions) -> Rates {
    let (grouped, respondents) = by_version_and_question(counts);
    let mut scored: Vec<QuestionRate> = Vec::new();
    let mut overall: Option<QuestionRate> = None;
    for (version, definition) in versions.ordered() {
        let answered_version = counts
            .iter()
            .any(|c| c.version == version && c.question == RESPONDENTS && c.count > 0);
        if !answered_version {
            continue;
        }
        for question in definition.questions() {
            if !(question.scored || question.overall) {
                continue;
            }
            let values = grouped
                .get(&(version, question.id.as_str()))
                .map_or(&[][..], Vec::as_slice);
            let proportion = question_proportion(values, &question.kind);
            if question.scored {
                add(&mut scored, &question.id, proportion);
            }
            if question.overall {
                let slot = overall
                    .get_or_insert_with(|| QuestionRate::new(&question.id, Proportion::default()));
                if slot.question == question.id {
                    slot.proportion = slot.proportion + proportion;
                }
            }
        }
    }
    Rates {
        respondents,
        scored,
        overall,
    }
}

/// Indicator 4: satisfied ratings over all ratings of the (first) scored question of each
/// version, pooled.
pub fn satisfaction_rate(counts: &[ValueCount], versions: &Versions) -> Option<QuestionRate> {
    let (grouped, _) = by_version_and_question(counts);
    let mut pooled: Option<QuestionRate> = None;
    for (version, definition) in versions.ordered() {
        let Some(question) = definition.scored_questions().next() else {
            continue;
        };
        let values = grouped
            .get(&(version, question.id.as_str()))
            .map_or(&[][..], Vec::as_slice);
        let proportion = satisfaction(values, &question.kind);
        match &mut pooled {
            Some(rate) if rate.question == question.id => {
                rate.proportion = rate.proportion + proportion;
            }
            Some(_) => {}
            None => pooled = Some(QuestionRate::new(&question.id, proportion)),
        }
    }
    pooled
}

fn add(rates: &mut Vec<QuestionRate>, id: &str, proportion: Proportion) {
    match rates.iter_mut().find(|r| r.question == id) {
        Some(rate) => rate.proportion = rate.proportion + proportion,
        None => rates.push(QuestionRate::new(id, proportion)),
    }
}

/// The companies of 3.1 from the group tallies of the `company` dimension: per company, the
/// favourable and valid answers of each scored question (`scored`, from [`rates`]); the
/// overall question, if any, stays out of company scores. One entry per row:
/// [`consolidate_companies`](crate::domain::indicators::consolidate_companies) pools them by
/// company, and a company whose respondents gave no valid answer still appears, unscored.
pub fn company_counts(groups: &[GroupCount], scored: &[QuestionRate]) -> Vec<CompanyCounts> {
    let scored: HashSet<&str> = scored.iter().map(|q| q.question.as_str()).collect();
    groups
        .iter()
        .filter_map(|g| {
            if g.question == RESPONDENTS {
                Some(CompanyCounts::new(&g.group, Vec::new()))
            } else if scored.contains(g.question.as_str()) {
                let proportion = Proportion::checked(g.favorable, g.total)?;
                Some(CompanyCounts::new(
                    &g.group,
                    vec![QuestionRate::new(&g.question, proportion)],
                ))
            } else {
                None
            }
        })
        .collect()
}
