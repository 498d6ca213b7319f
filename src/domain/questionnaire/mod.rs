//! The questionnaire model: what a definition file means once it has been checked.
//!
//! Parsing and validation live in [`parse`]; everything else in jalon only ever sees a
//! [`Questionnaire`] that passed them.

mod change;
mod parse;
mod verdict;

pub use change::{Change, PublishContext, Refusal, diff, parse_draft, refusals};
pub use parse::{DefinitionError, parse_questionnaire, position_of};
pub use verdict::Verdict;

use std::collections::BTreeMap;

use serde::Serialize;

use super::QuestionnaireCode;
use super::schedule::SendRules;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Questionnaire {
    pub code: QuestionnaireCode,
    pub title: String,
    pub introduction: String,
    pub estimated_minutes: u32,
    /// Responses can never be linked back to a person (indicators 6 and 7).
    pub anonymous: bool,
    /// Answerable without a personal link, at `/o/{code}` (indicator 4).
    pub open: bool,
    pub thanks: Option<String>,
    pub schedule: SendRules,
    pub attributes: Vec<Attribute>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub help: Option<String>,
    pub required: bool,
    /// Counts in the indicator ("moyenne des résultats pour chacune des questions").
    pub scored: bool,
    /// The overall-perception question ("mesure de la perception d'ensemble").
    pub overall: bool,
    pub condition: Option<Condition>,
    pub kind: QuestionKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChoiceOption {
    pub value: String,
    pub label: String,
}

/// An ordered list of options with the values that count as favourable and those that mean
/// "not applicable" (left out of denominators).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scale {
    pub options: Vec<ChoiceOption>,
    pub favorable: Vec<String>,
    pub not_applicable: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum QuestionKind {
    SingleChoice {
        options: Vec<ChoiceOption>,
    },
    MultipleChoice {
        options: Vec<ChoiceOption>,
        max_choices: Option<usize>,
    },
    Likert(Scale),
    Rating {
        min: i64,
        max: i64,
        min_label: Option<String>,
        max_label: Option<String>,
        favorable: Vec<String>,
    },
    Text {
        max_length: usize,
        multiline: bool,
    },
    Number {
        min: i64,
        max: i64,
        unit: Option<String>,
    },
}

/// "Shown only if an earlier answer has a given value."
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Condition {
    pub question: String,
    pub equals: String,
}

/// A respondent attribute used for breakdowns: carried by the invitation (roster or
/// registration), or collected by a question of the form.
///
/// One dimension has one list of values: when the registration and a question both give it
/// (a company's size), `values` maps each option of the question to the registration's value,
/// and [`crate::domain::attributes::response_attributes`] decides which source wins.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(
    description = "A respondent attribute used for breakdowns: carried by the invitation, or collected by a question of the form (`question`), whose options `values` maps to the dimension's values."
)]
pub struct Attribute {
    pub key: String,
    pub label: String,
    /// The question that collects it, if any.
    #[schema(required = true)]
    pub question: Option<String>,
    /// Option value of `question` → the dimension's value; empty: the option value itself.
    pub values: BTreeMap<String, String>,
}

impl Attribute {
    /// The dimension's value for an answer to the attribute's question.
    pub fn value_of_answer(&self, option: &str) -> String {
        self.values
            .get(option)
            .cloned()
            .unwrap_or_else(|| option.to_owned())
    }

    /// The option a dimension's value stands for, when it comes from (or is mapped to) an
    /// option of the question: its label names the group.
    pub fn option_of_value<'a>(&'a self, value: &'a str) -> &'a str {
        self.values
            .iter()
            .find(|(_, mapped)| mapped.as_str() == value)
            .map_or(value, |(option, _)| option.as_str())
    }
}

impl Questionnaire {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions().find(|q| q.id == id)
    }

    pub fn scored_questions(&self) -> impl Iterator<Item = &Question> {
        self.questions().filter(|q| q.scored)
    }

    pub fn overall_question(&self) -> Option<&Question> {
        self.questions().find(|q| q.overall)
    }

    pub fn question_count(&self) -> usize {
        self.questions().count()
    }
}

impl QuestionKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::SingleChoice { .. } => "single_choice",
            Self::MultipleChoice { .. } => "multiple_choice",
            Self::Likert(_) => "likert",
            Self::Rating { .. } => "rating",
            Self::Text { .. } => "text",
            Self::Number { .. } => "number",
        }
    }

    /// The options a respondent picks from, in order; a rating's are its integers.
    pub fn options(&self) -> Vec<ChoiceOption> {
        match self {
            Self::SingleChoice { options } | Self::MultipleChoice { options, .. } => {
                options.clone()
            }
            Self::Likert(scale) => scale.options.clone(),
            Self::Rating { min, max, .. } => (*min..=*max)
                .map(|n| ChoiceOption {
                    value: n.to_string(),
                    label: n.to_string(),
                })
                .collect(),
            Self::Text { .. } | Self::Number { .. } => Vec::new(),
        }
    }

    pub fn has_option(&self, value: &str) -> bool {
        match self {
            Self::SingleChoice { options } | Self::MultipleChoice { options, .. } => {
                options.iter().any(|o| o.value == value)
            }
            Self::Likert(scale) => scale.options.iter().any(|o| o.value == value),
            Self::Rating { min, max, .. } => value
                .parse::<i64>()
                .is_ok_and(|n| (*min..=*max).contains(&n) && n.to_string() == value),
            Self::Text { .. } | Self::Number { .. } => false,
        }
    }

    pub fn favorable(&self) -> &[String] {
        match self {
            Self::Likert(scale) => &scale.favorable,
            Self::Rating { favorable, .. } => favorable,
            _ => &[],
        }
    }

    pub fn not_applicable(&self) -> &[String] {
        match self {
            Self::Likert(scale) => &scale.not_applicable,
            _ => &[],
        }
    }

    /// Ordinal questions are the only ones a favourable rate makes sense for.
    pub fn is_ordinal(&self) -> bool {
        matches!(self, Self::Likert(_) | Self::Rating { .. })
    }

    pub fn has_options(&self) -> bool {
        !matches!(self, Self::Text { .. } | Self::Number { .. })
    }
}

#[cfg(test)]
mod tests;
