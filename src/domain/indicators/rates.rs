//! A question's favourable rate, and the "mean of the questions' results" of fiches 3, 6, 7.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde::Serialize;

use super::Proportion;
use crate::domain::questionnaire::{QuestionKind, Verdict};

/// A question's rate from the number of answers per value.
///
/// `counts` holds `(value, count)` for one question; respondents who left the question blank
/// have no value and are simply absent, so they weigh nowhere. Each value is judged by
/// [`QuestionKind::classify`], the rule the group tallies were written with: "not
/// applicable" values ("Je ne sais pas", "Non concerné") stay out of the denominator, the
/// respondent having no opinion to count for or against; every other value is a valid
/// answer, favourable or not.
///
/// Meant for single-valued questions (Likert, rating), the only ones that are scored: for a
/// multiple choice the counts would exceed the respondents.
pub fn question_proportion<V: AsRef<str>>(counts: &[(V, u64)], kind: &QuestionKind) -> Proportion {
    proportion_of(counts, |value| kind.classify(value))
}

/// Indicator 4: "nombre d'usagers satisfaits (très satisfait et plutôt satisfait) / nombre
/// d'usagers total" — every rating counts in the denominator, whatever its value: a value the
/// question marked not applicable (the widget's question marks none) is counted as a rating
/// that is not satisfied rather than left out, as the fiche's "total" says.
pub fn satisfaction<V: AsRef<str>>(counts: &[(V, u64)], kind: &QuestionKind) -> Proportion {
    proportion_of(counts, |value| match kind.classify(value) {
        Verdict::NotApplicable => Verdict::Unfavourable,
        verdict => verdict,
    })
}

/// Adds up the verdicts on `counts`: favourable answers over valid ones.
fn proportion_of<V: AsRef<str>>(
    counts: &[(V, u64)],
    verdict: impl Fn(&str) -> Verdict,
) -> Proportion {
    let (mut favourable, mut valid) = (0, 0);
    for (value, count) in counts {
        let (f, v) = verdict(value.as_ref()).counts();
        favourable += f * count;
        valid += v * count;
    }
    Proportion::new(favourable, valid)
}

/// One question's counts, labelled by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestionRate {
    pub question: String,
    /// Serialized with its rate, n and interval (see [`Proportion`]).
    #[serde(flatten)]
    pub proportion: Proportion,
}

impl QuestionRate {
    pub fn new(question: impl Into<String>, proportion: Proportion) -> Self {
        Self {
            question: question.into(),
            proportion,
        }
    }

    /// See [`question_proportion`].
    pub fn from_counts<V: AsRef<str>>(
        question: impl Into<String>,
        counts: &[(V, u64)],
        kind: &QuestionKind,
    ) -> Self {
        Self::new(question, question_proportion(counts, kind))
    }

    pub fn rate(&self) -> Option<f64> {
        self.proportion.rate()
    }

    /// The number of valid answers.
    pub fn n(&self) -> u64 {
        self.proportion.total()
    }
}

/// Indicators 3.2, 6 and 7: "moyenne des résultats pour chacune des questions", and for 6 and
/// 7 the "mesure de la perception d'ensemble" beside it.
///
/// The mean is unweighted: each scored question counts once, however many people answered
/// it, as the fiches define it. A scored question nobody answered validly (all blank or "not
/// applicable") has no rate and is left out of the mean, rather than counted as 0 %: it says
/// nothing about the respondents' opinion. `questions_averaged` says how many were kept, so
/// that a mean over fewer questions than the questionnaire has is visible.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeanIndicator {
    /// The mean of the scored questions' rates; `None` when no question has a rate.
    pub value: Option<f64>,
    /// Every scored question, in the order given, with its rate and n.
    pub questions: Vec<QuestionRate>,
    pub questions_averaged: usize,
    /// The overall-perception question, reported apart and never part of the mean (unless it
    /// is also passed among the scored questions).
    pub overall: Option<QuestionRate>,
}

impl MeanIndicator {
    /// Entries with the same question id are pooled into one.
    pub fn new(scored: Vec<QuestionRate>, overall: Option<QuestionRate>) -> Self {
        let questions = pool_by_question(scored);
        let (value, questions_averaged) = mean_of_rates(&questions);
        Self {
            value,
            questions,
            questions_averaged,
            overall,
        }
    }
}

/// The unweighted mean of the questions that have a rate, and how many those are.
pub(super) fn mean_of_rates(questions: &[QuestionRate]) -> (Option<f64>, usize) {
    mean(questions.iter().filter_map(QuestionRate::rate))
}

/// The arithmetic mean and the number of values; `None` for no value.
pub(super) fn mean(values: impl Iterator<Item = f64>) -> (Option<f64>, usize) {
    let (sum, count) = values.fold((0.0, 0_usize), |(sum, count), v| (sum + v, count + 1));
    ((count > 0).then(|| sum / count as f64), count)
}

/// Merges entries with the same question id by adding their counts, keeping the order in
/// which each question first appears.
pub(super) fn pool_by_question(rates: impl IntoIterator<Item = QuestionRate>) -> Vec<QuestionRate> {
    group_by_key(
        rates,
        |rate| rate.question.clone(),
        |existing, rate| existing.proportion = existing.proportion + rate.proportion,
    )
}

/// Keeps the first item of each key, in order, folding later ones into it with `merge`.
/// Linear in the number of items (thousands of companies a year for 3.1).
pub(super) fn group_by_key<T>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> String,
    mut merge: impl FnMut(&mut T, T),
) -> Vec<T> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut grouped: Vec<T> = Vec::new();
    for item in items {
        match index.entry(key(&item)) {
            Entry::Occupied(slot) => merge(&mut grouped[*slot.get()], item),
            Entry::Vacant(slot) => {
                slot.insert(grouped.len());
                grouped.push(item);
            }
        }
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::Scale;

    fn likert(favorable: &[&str], not_applicable: &[&str]) -> QuestionKind {
        let strings = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect();
        QuestionKind::Likert(Scale {
            options: Vec::new(),
            favorable: strings(favorable),
            not_applicable: strings(not_applicable),
        })
    }

    /// Agreement, "ne sait pas" not applicable.
    fn agree() -> QuestionKind {
        likert(
            &["tout_a_fait_d_accord", "plutot_d_accord"],
            &["ne_sait_pas"],
        )
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn a_question_rate_leaves_out_not_applicable() {
        // 4 + 2 favourable, 1 + 1 unfavourable, 3 "ne sait pas":
        // valid = 4 + 2 + 1 + 1 = 8, favourable = 6 → 6 / 8 = 0.75 (not 6 / 11).
        let counts = [
            ("tout_a_fait_d_accord", 4),
            ("plutot_d_accord", 2),
            ("plutot_pas_d_accord", 1),
            ("pas_du_tout_d_accord", 1),
            ("ne_sait_pas", 3),
        ];
        let p = question_proportion(&counts, &agree());
        assert_eq!(p, Proportion::new(6, 8));
        assert_eq!(p.rate(), Some(0.75));
    }

    #[test]
    fn missing_answers_are_absent_and_zero_counts_harmless() {
        // 10 respondents, 4 left the question blank: only the 6 answers are passed.
        let counts = [
            ("plutot_d_accord", 5),
            ("pas_du_tout_d_accord", 1),
            ("tout_a_fait_d_accord", 0),
        ];
        assert_eq!(
            question_proportion(&counts, &agree()),
            Proportion::new(5, 6)
        );
    }

    #[test]
    fn only_not_applicable_answers_give_no_rate() {
        let counts = [("ne_sait_pas", 7)];
        let p = question_proportion(&counts, &agree());
        assert_eq!(p, Proportion::new(0, 0));
        assert_eq!(p.rate(), None);
        let none: [(&str, u64); 0] = [];
        assert_eq!(question_proportion(&none, &agree()).rate(), None);
    }

    #[test]
    fn works_with_owned_strings_and_ratings() {
        let rating = QuestionKind::Rating {
            min: 1,
            max: 5,
            min_label: None,
            max_label: None,
            favorable: vec!["4".to_owned(), "5".to_owned()],
        };
        let counts = vec![
            ("5".to_owned(), 2),
            ("4".to_owned(), 1),
            ("1".to_owned(), 1),
        ];
        assert_eq!(question_proportion(&counts, &rating), Proportion::new(3, 4));
    }

    #[test]
    fn a_value_in_both_lists_counts_as_not_applicable() {
        let counts = [("a", 1), ("b", 1)];
        assert_eq!(
            question_proportion(&counts, &likert(&["a"], &["a"])),
            Proportion::new(0, 1)
        );
    }

    #[test]
    fn repeated_values_add_up() {
        let counts = [
            ("plutot_d_accord", 1),
            ("plutot_d_accord", 2),
            ("plutot_pas_d_accord", 1),
        ];
        assert_eq!(
            question_proportion(&counts, &agree()),
            Proportion::new(3, 4)
        );
    }

    #[test]
    fn satisfaction_counts_every_rating() {
        // 30 très + 40 plutôt satisfaits out of 30 + 40 + 20 + 10 = 100 ratings → 0.70.
        let counts = [
            ("tres_satisfait", 30),
            ("plutot_satisfait", 40),
            ("plutot_pas_satisfait", 20),
            ("pas_du_tout_satisfait", 10),
        ];
        let satisfied = likert(&["tres_satisfait", "plutot_satisfait"], &[]);
        let p = satisfaction(&counts, &satisfied);
        assert_eq!(p, Proportion::new(70, 100));
        assert_eq!(p.rate(), Some(0.7));
        // Without not-applicable values it is the question's rate.
        assert_eq!(question_proportion(&counts, &satisfied), p);
    }

    #[test]
    fn satisfaction_keeps_not_applicable_ratings_in_the_denominator() {
        // 3 satisfied, 1 not, 2 a version marked not applicable: 3 / 6, where the question's
        // rate would be 3 / 4.
        let counts = [("oui", 3), ("non", 1), ("nsp", 2)];
        let kind = likert(&["oui"], &["nsp"]);
        assert_eq!(satisfaction(&counts, &kind), Proportion::new(3, 6));
        assert_eq!(question_proportion(&counts, &kind), Proportion::new(3, 4));
    }

    #[test]
    fn mean_indicator_averages_question_rates_unweighted() {
        // q1: 3/4 = 0.75, q2: 1/2 = 0.5, q3: 9/10 = 0.9
        // mean = (0.75 + 0.5 + 0.9) / 3 = 2.15 / 3 = 0.716666…
        // (pooling all answers would give 13/16 = 0.8125: not the fiche's definition)
        let indicator = MeanIndicator::new(
            vec![
                QuestionRate::new("q1", Proportion::new(3, 4)),
                QuestionRate::new("q2", Proportion::new(1, 2)),
                QuestionRate::new("q3", Proportion::new(9, 10)),
            ],
            None,
        );
        assert!(close(indicator.value.unwrap(), 2.15 / 3.0));
        assert_eq!(indicator.questions_averaged, 3);
        assert_eq!(indicator.questions.len(), 3);
        assert_eq!(indicator.overall, None);
    }

    #[test]
    fn questions_without_valid_answers_are_left_out_of_the_mean() {
        // q2 only got "ne sait pas": (0.75 + 0.25) / 2 = 0.5, over 2 questions, not 3.
        let q2 = QuestionRate::from_counts("q2", &[("ne_sait_pas", 4)], &agree());
        let indicator = MeanIndicator::new(
            vec![
                QuestionRate::new("q1", Proportion::new(3, 4)),
                q2,
                QuestionRate::new("q3", Proportion::new(1, 4)),
            ],
            None,
        );
        assert_eq!(indicator.value, Some(0.5));
        assert_eq!(indicator.questions_averaged, 2);
        assert_eq!(indicator.questions[1].n(), 0);
        assert_eq!(indicator.questions[1].rate(), None);
    }

    #[test]
    fn no_answers_at_all_gives_no_value() {
        let indicator = MeanIndicator::new(
            vec![QuestionRate::new("q1", Proportion::default())],
            Some(QuestionRate::new("overall", Proportion::default())),
        );
        assert_eq!(indicator.value, None);
        assert_eq!(indicator.questions_averaged, 0);
        assert_eq!(MeanIndicator::new(Vec::new(), None).value, None);
    }

    #[test]
    fn the_overall_question_is_reported_apart() {
        // Scored: 1/2 and 1/1 → (0.5 + 1) / 2 = 0.75; overall 2/5 = 0.4 does not enter it.
        let indicator = MeanIndicator::new(
            vec![
                QuestionRate::new("q1", Proportion::new(1, 2)),
                QuestionRate::new("q2", Proportion::new(1, 1)),
            ],
            Some(QuestionRate::new(
                "perception_globale",
                Proportion::new(2, 5),
            )),
        );
        assert_eq!(indicator.value, Some(0.75));
        assert_eq!(indicator.overall.as_ref().unwrap().rate(), Some(0.4));
    }

    #[test]
    fn duplicate_question_entries_are_pooled() {
        // q1 given twice: 1/2 + 2/2 = 3/4; mean of 0.75 and q2's 0.25 = 0.5.
        let indicator = MeanIndicator::new(
            vec![
                QuestionRate::new("q1", Proportion::new(1, 2)),
                QuestionRate::new("q2", Proportion::new(1, 4)),
                QuestionRate::new("q1", Proportion::new(2, 2)),
            ],
            None,
        );
        assert_eq!(indicator.questions.len(), 2);
        assert_eq!(indicator.questions[0].proportion, Proportion::new(3, 4));
        assert_eq!(indicator.value, Some(0.5));
    }

    #[test]
    fn question_rates_serialize_flat() {
        let json = serde_json::to_value(QuestionRate::new("q1", Proportion::new(1, 2))).unwrap();
        assert_eq!(json["question"], "q1");
        assert_eq!(json["total"], 2);
        assert_eq!(json["rate"], 0.5);
    }
}
