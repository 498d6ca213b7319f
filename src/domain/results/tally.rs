//! What one response adds to the running tallies (see the `results` migration).
//!
//! Two kinds of rows, both plain counts:
//! - per-value rows over all respondents, kept raw (the value as stored) and read later with
//!   the definition of the version answered, like the answers themselves;
//! - per-group rows for breakdowns and for the companies of 3.1: for each breakdown attribute
//!   of the response, its scored and overall questions classified once, with the version
//!   answered, into favourable and valid answers by [`QuestionKind::classify`], the rule
//!   [`question_proportion`] reads the per-value rows with ("not applicable" counts in
//!   neither), so that a breakdown and the headline never judge an answer differently.
//!
//! [`question_proportion`]: crate::domain::indicators::question_proportion
//! [`QuestionKind::classify`]: crate::domain::questionnaire::QuestionKind::classify

use chrono::NaiveDate;

use crate::domain::answers::{AnswerValue, ValidAnswers};
use crate::domain::questionnaire::Questionnaire;

/// The question id of the rows that count respondents.
pub const RESPONDENTS: &str = "";
/// The value of the rows that count the respondents who answered a question.
pub const ANSWERED: &str = "";
/// The synthetic dimension counting respondents per day of response (the timeline). An `@`
/// cannot start an attribute key, so it never collides with one.
pub const DAY_DIMENSION: &str = "@day";
/// The attribute whose groups are 3.1's companies, consolidated at two levels.
pub const COMPANY_DIMENSION: &str = "company";
/// Longest stored value or group label (the columns' width).
pub const MAX_VALUE_CHARS: usize = 200;

/// One per-value row to increment by one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AnswerIncrement {
    pub question: String,
    pub value: String,
}

/// One per-group row to increment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupIncrement {
    pub dimension: String,
    pub group: String,
    /// [`RESPONDENTS`] for the row counting the group's respondents (in `total`).
    pub question: String,
    pub favorable: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseTally {
    pub answers: Vec<AnswerIncrement>,
    pub groups: Vec<GroupIncrement>,
}

/// The increments of one response. Every key appears once, so the rows can be written in one
/// multi-row upsert.
///
/// Free texts and numbers only count as answered: their values would turn the tallies into a
/// copy of the comments, and nothing is computed from them.
pub fn response_tally(
    definition: &Questionnaire,
    answers: &ValidAnswers,
    attributes: &[(String, String)],
    day: NaiveDate,
) -> ResponseTally {
    let mut rows = vec![AnswerIncrement {
        question: RESPONDENTS.to_owned(),
        value: ANSWERED.to_owned(),
    }];
    for (question_id, answer) in &answers.0 {
        rows.push(AnswerIncrement {
            question: question_id.clone(),
            value: ANSWERED.to_owned(),
        });
        let counted = definition
            .question(question_id)
            .is_some_and(|q| q.kind.has_options());
        if counted {
            for value in answer.stored_values() {
                rows.push(AnswerIncrement {
                    question: question_id.clone(),
                    value: truncate(&value),
                });
            }
        }
    }
    rows.sort();
    rows.dedup();

    // Scored and overall questions, classified once for every group of the response.
    let classified: Vec<(String, bool, u64, u64)> = answers
        .0
        .iter()
        .filter_map(|(question_id, answer)| {
            let question = definition.question(question_id)?;
            if !(question.scored || question.overall) {
                return None;
            }
            let AnswerValue::Choice(value) = answer else {
                return None;
            };
            // Not applicable adds (0, 0): no row, as if the question had been left blank.
            let (favorable, valid) = question.kind.classify(value).counts();
            (valid > 0).then(|| (question_id.clone(), question.scored, favorable, valid))
        })
        .collect();

    let mut groups = Vec::new();
    let mut seen_dimensions: Vec<&str> = Vec::new();
    for (dimension, group) in attributes {
        if seen_dimensions.contains(&dimension.as_str()) || dimension.starts_with('@') {
            continue;
        }
        seen_dimensions.push(dimension);
        let group = truncate(group);
        groups.push(GroupIncrement {
            dimension: dimension.clone(),
            group: group.clone(),
            question: RESPONDENTS.to_owned(),
            favorable: 0,
            total: 1,
        });
        for (question, scored, favorable, total) in &classified {
            // A company's score averages its scored questions only; the overall question
            // (if a version of 3.1 had one) stays out of it.
            if dimension == COMPANY_DIMENSION && !scored {
                continue;
            }
            groups.push(GroupIncrement {
                dimension: dimension.clone(),
                group: group.clone(),
                question: question.clone(),
                favorable: *favorable,
                total: *total,
            });
        }
    }
    groups.push(GroupIncrement {
        dimension: DAY_DIMENSION.to_owned(),
        group: day.format("%Y-%m-%d").to_string(),
        question: RESPONDENTS.to_owned(),
        favorable: 0,
        total: 1,
    });
    ResponseTally {
        answers: rows,
        groups,
    }
}

/// The answers of a stored response, as validation returned them, from its stored rows
/// `(question, values in position order)`: what rebuilding the tallies needs.
pub fn answers_from_stored(
    definition: &Questionnaire,
    stored: Vec<(String, Vec<String>)>,
) -> ValidAnswers {
    use crate::domain::questionnaire::QuestionKind;
    let answers = stored
        .into_iter()
        .filter_map(|(question, mut values)| {
            let kind = definition.question(&question).map(|q| &q.kind);
            let value = match kind {
                Some(QuestionKind::MultipleChoice { .. }) => AnswerValue::Choices(values),
                Some(QuestionKind::Text { .. }) => AnswerValue::Text(values.pop()?),
                Some(QuestionKind::Number { .. }) => {
                    AnswerValue::Number(values.pop()?.parse().ok()?)
                }
                _ => AnswerValue::Choice(values.pop()?),
            };
            Some((question, value))
        })
        .collect();
    ValidAnswers(answers)
}

fn truncate(value: &str) -> String {
    value.chars().take(MAX_VALUE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::answers::{RawAnswers, UnknownKeys, validate};
    use crate::domain::questionnaire::parse_questionnaire;

    const SOURCE: &str = r#"code = "i7"
title = "T"
introduction = ""
estimated_minutes = 2
anonymous = true

[scales.accord]
options = [
  { value = "oui", label = "Oui" },
  { value = "non", label = "Non" },
  { value = "nsp", label = "Ne sait pas" },
]
favorable = ["oui"]
not_applicable = ["nsp"]

[[sections]]
id = "s"
title = "S"

[[sections.questions]]
id = "q1"
text = "Q1"
type = "likert"
scale = "accord"
scored = true

[[sections.questions]]
id = "q2"
text = "Q2"
type = "likert"
scale = "accord"
scored = true

[[sections.questions]]
id = "global"
text = "G"
type = "likert"
scale = "accord"
overall = true

[[sections.questions]]
id = "freins"
text = "F"
type = "multiple_choice"
options = [{ value = "a", label = "A" }, { value = "b", label = "B" }]

[[sections.questions]]
id = "commentaire"
text = "C"
type = "text"
max_length = 100
"#;

    fn tally(pairs: &[(&str, &str)], attributes: &[(&str, &str)]) -> ResponseTally {
        let definition = parse_questionnaire(SOURCE).unwrap();
        let mut raw = RawAnswers::new();
        for (k, v) in pairs {
            raw.push(*k, *v);
        }
        let answers = validate(&definition, &raw, UnknownKeys::Reject).unwrap();
        let attributes: Vec<(String, String)> = attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let day = NaiveDate::from_ymd_opt(2026, 3, 16).unwrap();
        response_tally(&definition, &answers, &attributes, day)
    }

    fn answer_rows(t: &ResponseTally) -> Vec<(&str, &str)> {
        t.answers
            .iter()
            .map(|r| (r.question.as_str(), r.value.as_str()))
            .collect()
    }

    #[test]
    fn counts_the_respondent_each_answered_question_and_each_value() {
        let t = tally(
            &[
                ("q1", "oui"),
                ("freins", "a"),
                ("freins", "b"),
                ("commentaire", "Texte libre"),
            ],
            &[],
        );
        assert_eq!(
            answer_rows(&t),
            [
                ("", ""),
                ("commentaire", ""),
                ("freins", ""),
                ("freins", "a"),
                ("freins", "b"),
                ("q1", ""),
                ("q1", "oui"),
            ]
        );
    }

    #[test]
    fn groups_get_favourable_and_valid_answers_of_scored_and_overall_questions() {
        // q1 favourable, q2 "ne sait pas" (in neither count), global unfavourable.
        let t = tally(
            &[("q1", "oui"), ("q2", "nsp"), ("global", "non")],
            &[("entity", "aract-bretagne")],
        );
        let rows: Vec<_> = t
            .groups
            .iter()
            .map(|g| {
                (
                    g.dimension.as_str(),
                    g.group.as_str(),
                    g.question.as_str(),
                    g.favorable,
                    g.total,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("entity", "aract-bretagne", "", 0, 1),
                ("entity", "aract-bretagne", "q1", 1, 1),
                ("entity", "aract-bretagne", "global", 0, 1),
                ("@day", "2026-03-16", "", 0, 1),
            ]
        );
    }

    #[test]
    fn group_rows_judge_every_value_as_the_rates_read_it() {
        // What is frozen at submission must be what reading the per-value rows gives.
        use crate::domain::indicators::{Proportion, question_proportion};
        let definition = parse_questionnaire(SOURCE).unwrap();
        for question in ["q1", "global"] {
            let kind = &definition.question(question).unwrap().kind;
            for option in kind.options() {
                let t = tally(&[(question, option.value.as_str())], &[("entity", "e")]);
                let frozen = t
                    .groups
                    .iter()
                    .find(|g| g.question == question)
                    .map_or(Proportion::default(), |g| {
                        Proportion::new(g.favorable, g.total)
                    });
                let read = question_proportion(&[(option.value.as_str(), 1)], kind);
                assert_eq!(frozen, read, "{question} = {}", option.value);
            }
        }
    }

    #[test]
    fn an_empty_response_still_counts_as_a_respondent() {
        let t = tally(&[], &[("region", "Bretagne"), ("region", "doublon")]);
        assert_eq!(answer_rows(&t), [("", "")]);
        assert_eq!(t.groups.len(), 2, "one region row and the day row");
    }
}
