//! Indicator 3.1: the two-level consolidation of the companies' answers.
//!
//! The fiche consolidates "à deux échelles": first each company (its degree of appropriation),
//! then all the beneficiary companies. So each company weighs the same in the indicator,
//! whether one or ten of its people answered; the pooled figure (every respondent weighing
//! the same) is published beside it, labelled as such, because the two can differ and the
//! difference is informative (large companies answering differently from small ones).

use serde::Serialize;

use super::rates::{group_by_key, mean, mean_of_rates, pool_by_question};
use super::{MeanIndicator, QuestionRate, ScoreTotals};

/// One company's counts: per scored question, favourable and valid answers over the company's
/// respondents (see [`super::question_proportion`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompanyCounts {
    pub company: String,
    pub questions: Vec<QuestionRate>,
}

impl CompanyCounts {
    pub fn new(company: impl Into<String>, questions: Vec<QuestionRate>) -> Self {
        Self {
            company: company.into(),
            questions,
        }
    }
}

/// A company's degree of appropriation: the mean of its questions' rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompanyScore {
    pub company: String,
    /// `None` when none of the company's respondents gave a valid answer to any scored
    /// question; such a company is not counted in the indicator.
    pub score: Option<f64>,
    pub questions_averaged: usize,
    pub questions: Vec<QuestionRate>,
}

/// Indicator 3.1 with its pooled counterpart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoLevelIndicator {
    /// The mean of the company scores over the companies that have one.
    pub value: Option<f64>,
    /// How many companies `value` averages.
    pub companies_counted: usize,
    /// Companies with at least one respondent, scored or not.
    pub companies_with_respondents: usize,
    /// Every company given, in order of first appearance, scored or not; empty when the
    /// value was read from the running sums ([`TwoLevelIndicator::from_totals`]).
    pub companies: Vec<CompanyScore>,
    /// The mean of the question rates computed on all respondents pooled together, as if they
    /// came from a single company.
    pub pooled_value: Option<f64>,
    /// The pooled counts per question, from which `pooled_value` is computed.
    pub pooled_questions: Vec<QuestionRate>,
}

impl TwoLevelIndicator {
    /// The indicator from the running sums of the company scores and the pooled counts per
    /// question (every respondent), without the list of companies.
    pub fn from_totals(totals: &ScoreTotals, pooled_questions: Vec<QuestionRate>) -> Self {
        let (pooled_value, _) = mean_of_rates(&pooled_questions);
        TwoLevelIndicator {
            value: totals.mean(),
            companies_counted: usize::try_from(totals.scored).unwrap_or(0),
            companies_with_respondents: usize::try_from(totals.companies).unwrap_or(0),
            companies: Vec::new(),
            pooled_value,
            pooled_questions,
        }
    }

    /// The pooled figures as a mean-of-questions indicator, e.g. to compare two years question
    /// by question with [`super::compare_indicators`]. (The two-level value itself has no test
    /// of change here: its noise comes from the choice of companies as much as from the
    /// answers; its change is `value` minus `value`.)
    pub fn pooled(&self) -> MeanIndicator {
        MeanIndicator::new(self.pooled_questions.clone(), None)
    }
}

/// Consolidates indicator 3.1.
///
/// - company score = unweighted mean of the rates of the company's scored questions, leaving
///   out the questions without a valid answer in that company (as [`super::MeanIndicator`]);
/// - indicator = unweighted mean of the company scores, over the companies with at least one
///   respondent having a valid answer (a company whose respondents all answered "not
///   applicable" or left everything blank has no score, and is not counted as 0 %);
/// - pooled value = the same mean of question rates, with every company's counts added up.
///
/// Entries for the same company, and for the same question within a company, are pooled, so
/// the caller may pass counts in any grouping.
pub fn consolidate_companies(
    companies: impl IntoIterator<Item = CompanyCounts>,
) -> TwoLevelIndicator {
    let grouped = group_by_key(
        companies,
        |c| c.company.clone(),
        |existing, c| existing.questions.extend(c.questions),
    );

    let pooled_questions =
        pool_by_question(grouped.iter().flat_map(|c| c.questions.iter().cloned()));
    let (pooled_value, _) = mean_of_rates(&pooled_questions);

    let companies: Vec<CompanyScore> = grouped
        .into_iter()
        .map(|c| {
            let questions = pool_by_question(c.questions);
            let (score, questions_averaged) = mean_of_rates(&questions);
            CompanyScore {
                company: c.company,
                score,
                questions_averaged,
                questions,
            }
        })
        .collect();
    let (value, companies_counted) = mean(companies.iter().filter_map(|c| c.score));

    TwoLevelIndicator {
        value,
        companies_counted,
        companies_with_respondents: companies.len(),
        companies,
        pooled_value,
        pooled_questions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::{Proportion, question_proportion};
    use crate::domain::questionnaire::{QuestionKind, Scale};

    fn q(id: &str, favorable: u64, total: u64) -> QuestionRate {
        QuestionRate::new(id, Proportion::new(favorable, total))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Three companies and one whose only respondent answered "non concerné" everywhere.
    fn example() -> Vec<CompanyCounts> {
        vec![
            // A, 3 respondents: q1 3/3 = 1, q2 2/3, q3 1/2 (the third said "non concerné")
            // score A = (1 + 2/3 + 1/2) / 3 = (13/6) / 3 = 13/18 = 0.7222…
            CompanyCounts::new("A", vec![q("q1", 3, 3), q("q2", 2, 3), q("q3", 1, 2)]),
            // B, a single respondent who skipped q3: q1 1/1 = 1, q2 0/1 = 0, q3 no answer
            // score B = (1 + 0) / 2 = 0.5 (q3 left out, not counted as 0)
            CompanyCounts::new("B", vec![q("q1", 1, 1), q("q2", 0, 1), q("q3", 0, 0)]),
            // C, 4 respondents: q1 2/4, q2 1/4, q3 3/4
            // score C = (0.5 + 0.25 + 0.75) / 3 = 0.5
            CompanyCounts::new("C", vec![q("q1", 2, 4), q("q2", 1, 4), q("q3", 3, 4)]),
            // D: no valid answer → no score, not counted
            CompanyCounts::new("D", vec![q("q1", 0, 0), q("q2", 0, 0), q("q3", 0, 0)]),
        ]
    }

    #[test]
    fn company_scores_are_means_of_their_question_rates() {
        let result = consolidate_companies(example());
        let scores: Vec<_> = result.companies.iter().map(|c| c.score).collect();
        assert!(close(scores[0].unwrap(), 13.0 / 18.0));
        assert_eq!(scores[1], Some(0.5));
        assert_eq!(scores[2], Some(0.5));
        assert_eq!(scores[3], None);
        let averaged: Vec<_> = result
            .companies
            .iter()
            .map(|c| c.questions_averaged)
            .collect();
        assert_eq!(averaged, [3, 2, 3, 0]);
    }

    #[test]
    fn the_indicator_is_the_mean_of_company_scores() {
        // (13/18 + 1/2 + 1/2) / 3 = (13/18 + 18/18) / 3 = 31/54 = 0.574074…
        let result = consolidate_companies(example());
        assert!(close(result.value.unwrap(), 31.0 / 54.0));
        assert_eq!(result.companies_counted, 3);
        assert_eq!(result.companies.len(), 4);
    }

    #[test]
    fn the_pooled_value_adds_all_respondents_up() {
        // q1 = (3 + 1 + 2) / (3 + 1 + 4) = 6/8 = 0.75
        // q2 = (2 + 0 + 1) / 8           = 3/8 = 0.375
        // q3 = (1 + 0 + 3) / (2 + 0 + 4) = 4/6 = 0.6667
        // pooled = (3/4 + 3/8 + 2/3) / 3 = (18 + 9 + 16) / 24 / 3 = 43/72 = 0.597222…
        let result = consolidate_companies(example());
        assert_eq!(
            result.pooled_questions,
            vec![q("q1", 6, 8), q("q2", 3, 8), q("q3", 4, 6)]
        );
        assert!(close(result.pooled_value.unwrap(), 43.0 / 72.0));
        let pooled = result.pooled();
        assert_eq!(pooled.value, result.pooled_value);
        assert_eq!(pooled.questions_averaged, 3);
    }

    #[test]
    fn a_company_with_one_respondent_weighs_as_much_as_a_large_one() {
        // Big: 10 respondents, all favourable → 1. Small: 1 respondent, unfavourable → 0.
        // Indicator (0 + 1) / 2 = 0.5; pooled 10/11.
        let result = consolidate_companies([
            CompanyCounts::new("big", vec![q("q1", 10, 10)]),
            CompanyCounts::new("small", vec![q("q1", 0, 1)]),
        ]);
        assert_eq!(result.value, Some(0.5));
        assert!(close(result.pooled_value.unwrap(), 10.0 / 11.0));
    }

    #[test]
    fn counts_built_from_answers_exclude_not_applicable() {
        // One respondent: "plutôt d'accord" on q1, "non concerné" on q2 → q1 1/1, q2 none.
        let agree = QuestionKind::Likert(Scale {
            options: Vec::new(),
            favorable: vec![
                "tout_a_fait_d_accord".to_owned(),
                "plutot_d_accord".to_owned(),
            ],
            not_applicable: vec!["non_concerne".to_owned()],
        });
        let q1 = QuestionRate::new("q1", question_proportion(&[("plutot_d_accord", 1)], &agree));
        let q2 = QuestionRate::new("q2", question_proportion(&[("non_concerne", 1)], &agree));
        let result = consolidate_companies([CompanyCounts::new("solo", vec![q1, q2])]);
        assert_eq!(result.companies[0].score, Some(1.0));
        assert_eq!(result.companies[0].questions_averaged, 1);
        assert_eq!(result.value, Some(1.0));
        assert_eq!(result.companies_counted, 1);
    }

    #[test]
    fn no_companies_or_no_answers_give_no_value() {
        let empty = consolidate_companies(Vec::new());
        assert_eq!(
            (empty.value, empty.pooled_value, empty.companies_counted),
            (None, None, 0)
        );

        let silent = consolidate_companies([CompanyCounts::new("X", vec![q("q1", 0, 0)])]);
        assert_eq!(
            (silent.value, silent.pooled_value, silent.companies_counted),
            (None, None, 0)
        );
        assert_eq!(silent.companies.len(), 1);
    }

    #[test]
    fn split_entries_of_a_company_are_pooled() {
        // "A" given in two parts: q1 1/2 + 1/2 = 2/4, q2 1/1 → score (0.5 + 1) / 2 = 0.75.
        let result = consolidate_companies([
            CompanyCounts::new("A", vec![q("q1", 1, 2)]),
            CompanyCounts::new("B", vec![q("q1", 0, 1)]),
            CompanyCounts::new("A", vec![q("q1", 1, 2), q("q2", 1, 1)]),
        ]);
        assert_eq!(result.companies.len(), 2);
        assert_eq!(result.companies[0].company, "A");
        assert_eq!(
            result.companies[0].questions,
            vec![q("q1", 2, 4), q("q2", 1, 1)]
        );
        assert_eq!(result.companies[0].score, Some(0.75));
        // (0.75 + 0) / 2
        assert_eq!(result.value, Some(0.375));
    }
}
