//! What a draft's pilot tells staff: for each question, how its test panel answered, what
//! they wrote, how many left it blank; and how long answering took. Pilot responses are
//! read here only, never by indicators.

use serde::Serialize;

use super::answers::RawAnswers;
use super::questionnaire::{Question, QuestionKind, Questionnaire};

/// One pilot response: what was sent, and the seconds between showing the form and sending
/// it (when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PilotAnswers {
    pub answers: RawAnswers,
    pub seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PilotSummary {
    pub responses: usize,
    /// Seconds taken by each response whose start is known, in order.
    pub durations: Vec<i64>,
    /// The median of `durations`.
    #[schema(required = true)]
    pub median_seconds: Option<i64>,
    pub questions: Vec<PilotQuestion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PilotQuestion {
    pub id: String,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Responses that answered it.
    pub answered: usize,
    /// Responses it was shown to (its condition held) that left it blank.
    pub blank: usize,
    /// Choices: how often each option was picked.
    pub options: Vec<PilotOption>,
    /// Texts and numbers as written.
    pub written: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PilotOption {
    pub value: String,
    pub label: String,
    pub count: usize,
}

/// Whether `question` was shown to a respondent who sent `answers`.
fn shown(question: &Question, answers: &RawAnswers) -> bool {
    question
        .condition
        .as_ref()
        .is_none_or(|c| answers.values(&c.question).contains(&c.equals))
}

pub fn summarize(draft: &Questionnaire, responses: &[PilotAnswers]) -> PilotSummary {
    let durations: Vec<i64> = responses.iter().filter_map(|r| r.seconds).collect();
    let questions = draft
        .questions()
        .map(|question| {
            let mut summary = PilotQuestion {
                id: question.id.clone(),
                text: question.text.clone(),
                kind: question.kind.type_name().to_owned(),
                answered: 0,
                blank: 0,
                options: question
                    .kind
                    .options()
                    .into_iter()
                    .map(|o| PilotOption {
                        value: o.value,
                        label: o.label,
                        count: 0,
                    })
                    .collect(),
                written: Vec::new(),
            };
            for response in responses {
                let values: Vec<&String> = response
                    .answers
                    .values(&question.id)
                    .iter()
                    .filter(|v| !v.trim().is_empty())
                    .collect();
                if values.is_empty() {
                    if shown(question, &response.answers) {
                        summary.blank += 1;
                    }
                    continue;
                }
                summary.answered += 1;
                match question.kind {
                    QuestionKind::Text { .. } | QuestionKind::Number { .. } => {
                        summary.written.extend(values.into_iter().cloned());
                    }
                    _ => {
                        for value in values {
                            if let Some(option) =
                                summary.options.iter_mut().find(|o| &o.value == value)
                            {
                                option.count += 1;
                            }
                        }
                    }
                }
            }
            summary
        })
        .collect();
    PilotSummary {
        responses: responses.len(),
        median_seconds: median(&durations),
        durations,
        questions,
    }
}

fn median(values: &[i64]) -> Option<i64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::parse_questionnaire;

    const DRAFT: &str = r#"code = "i4"
title = "T"
introduction = "I"
estimated_minutes = 2

[[sections]]
id = "s"
title = "S"

[[sections.questions]]
id = "satisfaction"
text = "Satisfait ?"
type = "single_choice"
options = [{ value = "oui", label = "Oui" }, { value = "non", label = "Non" }]

[[sections.questions]]
id = "pourquoi"
text = "Pourquoi ?"
type = "text"
max_length = 200
show_if = { question = "satisfaction", equals = "non" }

[[sections.questions]]
id = "commentaire"
text = "Un commentaire ?"
type = "text"
max_length = 200
"#;

    fn response(pairs: &[(&str, &str)], seconds: Option<i64>) -> PilotAnswers {
        let mut answers = RawAnswers::new();
        for (q, v) in pairs {
            answers.push(*q, *v);
        }
        PilotAnswers { answers, seconds }
    }

    #[test]
    fn answers_blanks_texts_and_times_are_summed_up() {
        let draft = parse_questionnaire(DRAFT).unwrap();
        let summary = summarize(
            &draft,
            &[
                response(
                    &[("satisfaction", "oui"), ("commentaire", "Clair")],
                    Some(90),
                ),
                response(&[("satisfaction", "non")], Some(30)),
                response(&[("commentaire", "  ")], None),
                response(
                    &[("satisfaction", "non"), ("pourquoi", "Trop long")],
                    Some(60),
                ),
            ],
        );
        assert_eq!(summary.responses, 4);
        assert_eq!(summary.durations, [90, 30, 60]);
        assert_eq!(summary.median_seconds, Some(60));
        let [satisfaction, pourquoi, commentaire] = &summary.questions[..] else {
            panic!("three questions");
        };
        assert_eq!((satisfaction.answered, satisfaction.blank), (3, 1));
        assert_eq!(
            satisfaction
                .options
                .iter()
                .map(|o| o.count)
                .collect::<Vec<_>>(),
            [1, 2]
        );
        // Shown twice (answered "non"), left blank once; never shown to the others.
        assert_eq!((pourquoi.answered, pourquoi.blank), (1, 1));
        assert_eq!(pourquoi.written, ["Trop long"]);
        assert_eq!((commentaire.answered, commentaire.blank), (1, 3));
        assert_eq!(commentaire.written, ["Clair"]);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_middle_pair_s_mean() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[10, 40, 20, 30]), Some(25));
    }
}
