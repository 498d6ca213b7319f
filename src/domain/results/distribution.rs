//! Per-question distributions of a campaign: how many chose each option.

use std::collections::HashMap;

use crate::domain::indicators::QuestionRate;
use crate::domain::questionnaire::Verdict;

use super::counts::{ValueCount, Versions, answered_by_question, by_version_and_question};
use super::rates::rates;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionCount {
    pub value: String,
    pub label: String,
    pub count: u64,
    pub favorable: bool,
    pub not_applicable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionDistribution {
    pub id: String,
    pub text: String,
    pub kind: &'static str,
    pub scored: bool,
    pub overall: bool,
    /// Respondents who answered the question (for a multiple choice, fewer than the sum of
    /// the option counts).
    pub answered: u64,
    /// In the options' order; values only older versions offered come last. Empty for free
    /// texts and numbers, which are only counted as answered.
    pub options: Vec<OptionCount>,
    /// The favourable rate, for scored and overall questions.
    pub rate: Option<QuestionRate>,
}

/// Every question of the current definition, then those only older versions asked, with
/// their counts summed over versions (a question id is stable forever; its options are
/// labelled as the newest version that has them labels them).
pub fn distributions(counts: &[ValueCount], versions: &Versions) -> Vec<QuestionDistribution> {
    let (grouped, _) = by_version_and_question(counts);
    let answered = answered_by_question(counts);
    let rates = rates(counts, versions);
    let mut by_value: HashMap<&str, Vec<(&str, u64)>> = HashMap::new();
    for ((_, question), values) in &grouped {
        let entry = by_value.entry(*question).or_default();
        for (value, count) in values {
            match entry.iter_mut().find(|(v, _)| v == value) {
                Some(slot) => slot.1 += count,
                None => entry.push((value, *count)),
            }
        }
    }

    let mut result: Vec<QuestionDistribution> = Vec::new();
    for (_, definition) in versions.ordered() {
        for question in definition.questions() {
            if result.iter().any(|d| d.id == question.id) {
                continue;
            }
            let counted = by_value.get(question.id.as_str());
            let count_of = |value: &str| {
                counted
                    .and_then(|c| c.iter().find(|(v, _)| *v == value))
                    .map_or(0, |(_, n)| *n)
            };
            let kind = &question.kind;
            let mut options: Vec<OptionCount> = kind
                .options()
                .into_iter()
                .map(|o| {
                    // Coloured and marked as the rate counts them.
                    let verdict = kind.classify(&o.value);
                    OptionCount {
                        count: count_of(&o.value),
                        favorable: verdict == Verdict::Favourable,
                        not_applicable: verdict == Verdict::NotApplicable,
                        value: o.value,
                        label: o.label,
                    }
                })
                .collect();
            if let Some(counted) = counted {
                let mut extra: Vec<&(&str, u64)> = counted
                    .iter()
                    .filter(|(v, _)| !options.iter().any(|o| o.value == *v))
                    .collect();
                extra.sort();
                options.extend(extra.into_iter().map(|(value, count)| OptionCount {
                    value: (*value).to_owned(),
                    label: (*value).to_owned(),
                    count: *count,
                    favorable: false,
                    not_applicable: false,
                }));
            }
            let rate = rates
                .scored
                .iter()
                .chain(rates.overall.iter())
                .find(|r| r.question == question.id)
                .cloned();
            result.push(QuestionDistribution {
                id: question.id.clone(),
                text: question.text.clone(),
                kind: kind.type_name(),
                scored: question.scored,
                overall: question.overall,
                answered: answered.get(question.id.as_str()).copied().unwrap_or(0),
                options,
                rate,
            });
        }
    }
    result
}
