//! Checking what a respondent sent against the questionnaire they answered.
//!
//! Input arrives as strings (form fields, or JSON values flattened to strings) keyed by
//! question id; output is either every accepted answer, typed, or every error, in French, per
//! question. Answers to questions hidden by their condition are dropped, never stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::questionnaire::{Question, QuestionKind, Questionnaire};

/// What was submitted: question id → values in the order sent (a multiple choice repeats).
/// Also the shape of a saved draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawAnswers(BTreeMap<String, Vec<String>>);

impl RawAnswers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, question: impl Into<String>, value: impl Into<String>) {
        self.0
            .entry(question.into())
            .or_default()
            .push(value.into());
    }

    pub fn values(&self, question: &str) -> &[String] {
        self.0.get(question).map_or(&[], Vec::as_slice)
    }

    pub fn first(&self, question: &str) -> Option<&str> {
        self.values(question).first().map(String::as_str)
    }

    pub fn question_ids(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0
            .values()
            .all(|values| values.iter().all(|v| v.trim().is_empty()))
    }

    /// Keeps only questions of the questionnaire and caps each text so that a saved draft
    /// never holds more than the form could submit.
    pub fn for_draft(&self, questionnaire: &Questionnaire) -> Self {
        let mut kept = Self::new();
        for question in questionnaire.questions() {
            for value in self.values(&question.id) {
                let value = match question.kind {
                    QuestionKind::Text { max_length, .. } => {
                        value.chars().take(max_length).collect()
                    }
                    _ => value.chars().take(64).collect::<String>(),
                };
                kept.push(question.id.clone(), value);
            }
        }
        kept
    }
}

/// A checked answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AnswerValue {
    Choice(String),
    Choices(Vec<String>),
    Text(String),
    Number(i64),
}

impl AnswerValue {
    /// The stored form: one string per chosen option, else one string.
    pub fn stored_values(&self) -> Vec<String> {
        match self {
            Self::Choice(v) | Self::Text(v) => vec![v.clone()],
            Self::Choices(vs) => vs.clone(),
            Self::Number(n) => vec![n.to_string()],
        }
    }
}

/// Every accepted answer, in questionnaire order; unanswered optional questions are absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidAnswers(pub Vec<(String, AnswerValue)>);

impl ValidAnswers {
    pub fn get(&self, question: &str) -> Option<&AnswerValue> {
        self.0.iter().find(|(id, _)| id == question).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerErrorCode {
    Required,
    UnknownOption,
    MultipleValues,
    TooManyChoices,
    TooLong,
    NotANumber,
    OutOfBounds,
    UnknownQuestion,
    InvalidType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AnswerError {
    pub question: String,
    pub code: AnswerErrorCode,
    pub message: String,
}

/// Whether keys that are not questions are an error (programs) or ignored (forms, whose
/// extra fields are buttons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownKeys {
    Reject,
    Ignore,
}

pub fn validate(
    questionnaire: &Questionnaire,
    raw: &RawAnswers,
    unknown: UnknownKeys,
) -> Result<ValidAnswers, Vec<AnswerError>> {
    let mut errors = Vec::new();
    if unknown == UnknownKeys::Reject {
        for id in raw.question_ids() {
            if questionnaire.question(id).is_none() {
                errors.push(AnswerError {
                    question: id.to_owned(),
                    code: AnswerErrorCode::UnknownQuestion,
                    message: "Cette question n’existe pas dans ce questionnaire.".to_owned(),
                });
            }
        }
    }

    let mut accepted = ValidAnswers::default();
    for question in questionnaire.questions() {
        if !is_visible(question, &accepted) {
            continue;
        }
        let values: Vec<&str> = raw
            .values(&question.id)
            .iter()
            .map(|v| v.as_str())
            .filter(|v| !v.trim().is_empty())
            .collect();
        if values.is_empty() {
            if question.required {
                errors.push(error(
                    question,
                    AnswerErrorCode::Required,
                    required_message(question),
                ));
            }
            continue;
        }
        match check_value(question, &values) {
            Ok(value) => accepted.0.push((question.id.clone(), value)),
            Err(e) => errors.push(e),
        }
    }

    if errors.is_empty() {
        Ok(accepted)
    } else {
        Err(errors)
    }
}

/// A question is shown when it has no condition, or when the earlier answer it depends on
/// holds the expected value.
pub fn is_visible(question: &Question, earlier: &ValidAnswers) -> bool {
    let Some(condition) = &question.condition else {
        return true;
    };
    match earlier.get(&condition.question) {
        Some(AnswerValue::Choice(v)) => *v == condition.equals,
        Some(AnswerValue::Choices(vs)) => vs.contains(&condition.equals),
        _ => false,
    }
}

fn error(question: &Question, code: AnswerErrorCode, message: String) -> AnswerError {
    AnswerError {
        question: question.id.clone(),
        code,
        message,
    }
}

fn required_message(question: &Question) -> String {
    match question.kind {
        QuestionKind::MultipleChoice { .. } => "Cochez au moins une réponse.".to_owned(),
        QuestionKind::Text { .. } => "Saisissez une réponse.".to_owned(),
        QuestionKind::Number { .. } => "Saisissez un nombre.".to_owned(),
        _ => "Choisissez une réponse.".to_owned(),
    }
}

fn check_value(question: &Question, values: &[&str]) -> Result<AnswerValue, AnswerError> {
    let single = || -> Result<&str, AnswerError> {
        match values {
            [one] => Ok(one.trim()),
            _ => Err(error(
                question,
                AnswerErrorCode::MultipleValues,
                "Une seule réponse est attendue.".to_owned(),
            )),
        }
    };
    let unknown_option = || {
        error(
            question,
            AnswerErrorCode::UnknownOption,
            "Cette réponse ne fait pas partie des choix proposés.".to_owned(),
        )
    };
    match &question.kind {
        QuestionKind::SingleChoice { .. }
        | QuestionKind::Likert(_)
        | QuestionKind::Rating { .. } => {
            let value = single()?;
            if question.kind.has_option(value) {
                Ok(AnswerValue::Choice(value.to_owned()))
            } else {
                Err(unknown_option())
            }
        }
        QuestionKind::MultipleChoice {
            options,
            max_choices,
        } => {
            // Kept in the questionnaire's option order, duplicates collapsed.
            if values.iter().any(|v| !question.kind.has_option(v.trim())) {
                return Err(unknown_option());
            }
            let chosen: Vec<String> = options
                .iter()
                .filter(|o| values.iter().any(|v| v.trim() == o.value))
                .map(|o| o.value.clone())
                .collect();
            if let Some(max) = max_choices.filter(|max| chosen.len() > *max) {
                return Err(error(
                    question,
                    AnswerErrorCode::TooManyChoices,
                    format!("Cochez au plus {max} réponses."),
                ));
            }
            Ok(AnswerValue::Choices(chosen))
        }
        QuestionKind::Text { max_length, .. } => {
            let text = normalize_text(single()?);
            let length = text.chars().count();
            if length > *max_length {
                return Err(error(
                    question,
                    AnswerErrorCode::TooLong,
                    format!(
                        "Votre réponse compte {length} caractères ; {max_length} au maximum sont acceptés."
                    ),
                ));
            }
            Ok(AnswerValue::Text(text))
        }
        QuestionKind::Number { min, max, .. } => {
            let raw = single()?;
            let Ok(n) = raw.replace(['\u{a0}', '\u{202f}', ' '], "").parse::<i64>() else {
                return Err(error(
                    question,
                    AnswerErrorCode::NotANumber,
                    "Saisissez un nombre entier, en chiffres.".to_owned(),
                ));
            };
            if n < *min || n > *max {
                return Err(error(
                    question,
                    AnswerErrorCode::OutOfBounds,
                    format!("Saisissez un nombre entre {min} et {max}."),
                ));
            }
            Ok(AnswerValue::Number(n))
        }
    }
}

/// Trims, unifies line endings and drops control characters other than newline and tab, so
/// that what is stored is what a person typed.
pub fn normalize_text(raw: &str) -> String {
    raw.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::parse_questionnaire;

    const FIXTURE: &str = r#"code = "i3.1"
title = "T"
introduction = ""
estimated_minutes = 3

[[sections]]
id = "s"
title = "S"

[[sections.questions]]
id = "usage"
text = "Usage"
type = "likert"
required = true
options = [{ value = "oui", label = "Oui" }, { value = "non", label = "Non" }, { value = "nc", label = "NC" }]
favorable = ["oui"]
not_applicable = ["nc"]

[[sections.questions]]
id = "pourquoi"
text = "Pourquoi ?"
type = "multiple_choice"
max_choices = 2
required = true
show_if = { question = "usage", equals = "non" }
options = [{ value = "temps", label = "Temps" }, { value = "moyens", label = "Moyens" }, { value = "autre", label = "Autre" }]

[[sections.questions]]
id = "note"
text = "Note"
type = "rating"
min = 1
max = 5

[[sections.questions]]
id = "effectif"
text = "Effectif"
type = "number"
min = 1
max = 250

[[sections.questions]]
id = "commentaire"
text = "Commentaire"
type = "text"
max_length = 10
"#;

    fn questionnaire() -> Questionnaire {
        parse_questionnaire(FIXTURE).unwrap()
    }

    fn raw(pairs: &[(&str, &str)]) -> RawAnswers {
        let mut raw = RawAnswers::new();
        for (k, v) in pairs {
            raw.push(*k, *v);
        }
        raw
    }

    fn error_codes(pairs: &[(&str, &str)], unknown: UnknownKeys) -> Vec<(String, AnswerErrorCode)> {
        validate(&questionnaire(), &raw(pairs), unknown)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.question, e.code))
            .collect()
    }

    #[test]
    fn a_complete_answer_is_typed_in_questionnaire_order() {
        let answers = validate(
            &questionnaire(),
            &raw(&[
                ("commentaire", " Bien \r\n"),
                ("effectif", "1\u{202f}2"),
                ("note", "4"),
                ("usage", "non"),
                ("pourquoi", "moyens"),
                ("pourquoi", "temps"),
                ("pourquoi", "temps"),
            ]),
            UnknownKeys::Reject,
        )
        .unwrap();
        assert_eq!(
            answers.0,
            vec![
                ("usage".to_owned(), AnswerValue::Choice("non".into())),
                (
                    "pourquoi".to_owned(),
                    AnswerValue::Choices(vec!["temps".into(), "moyens".into()])
                ),
                ("note".to_owned(), AnswerValue::Choice("4".into())),
                ("effectif".to_owned(), AnswerValue::Number(12)),
                ("commentaire".to_owned(), AnswerValue::Text("Bien".into())),
            ]
        );
    }

    #[test]
    fn required_questions_must_be_answered_and_blank_counts_as_missing() {
        assert_eq!(
            error_codes(&[("usage", "  ")], UnknownKeys::Reject),
            [("usage".to_owned(), AnswerErrorCode::Required)]
        );
    }

    #[test]
    fn hidden_questions_are_neither_required_nor_kept() {
        let answers = validate(
            &questionnaire(),
            &raw(&[("usage", "oui"), ("pourquoi", "temps")]),
            UnknownKeys::Reject,
        )
        .unwrap();
        assert_eq!(answers.len(), 1);
        assert!(answers.get("pourquoi").is_none());
        // Shown, it becomes required.
        assert_eq!(
            error_codes(&[("usage", "non")], UnknownKeys::Reject),
            [("pourquoi".to_owned(), AnswerErrorCode::Required)]
        );
    }

    #[test]
    fn a_question_whose_parent_is_invalid_stays_hidden() {
        assert_eq!(
            error_codes(
                &[("usage", "peut-etre"), ("pourquoi", "x")],
                UnknownKeys::Reject
            ),
            [("usage".to_owned(), AnswerErrorCode::UnknownOption)]
        );
    }

    #[test]
    fn choices_must_be_options() {
        assert_eq!(
            error_codes(
                &[("usage", "non"), ("pourquoi", "argent")],
                UnknownKeys::Reject
            ),
            [("pourquoi".to_owned(), AnswerErrorCode::UnknownOption)]
        );
        for bad in ["0", "6", "04", "4.0", "quatre"] {
            assert_eq!(
                error_codes(&[("usage", "oui"), ("note", bad)], UnknownKeys::Reject),
                [("note".to_owned(), AnswerErrorCode::UnknownOption)],
                "{bad}"
            );
        }
    }

    #[test]
    fn a_single_choice_takes_one_value_and_a_multiple_its_maximum() {
        assert_eq!(
            error_codes(&[("usage", "oui"), ("usage", "non")], UnknownKeys::Reject),
            [("usage".to_owned(), AnswerErrorCode::MultipleValues)]
        );
        assert_eq!(
            error_codes(
                &[
                    ("usage", "non"),
                    ("pourquoi", "temps"),
                    ("pourquoi", "moyens"),
                    ("pourquoi", "autre")
                ],
                UnknownKeys::Reject
            ),
            [("pourquoi".to_owned(), AnswerErrorCode::TooManyChoices)]
        );
    }

    #[test]
    fn numbers_are_integers_within_bounds() {
        for (value, code) in [
            ("0", AnswerErrorCode::OutOfBounds),
            ("251", AnswerErrorCode::OutOfBounds),
            ("12,5", AnswerErrorCode::NotANumber),
            ("douze", AnswerErrorCode::NotANumber),
            ("99999999999999999999", AnswerErrorCode::NotANumber),
        ] {
            assert_eq!(
                error_codes(
                    &[("usage", "oui"), ("effectif", value)],
                    UnknownKeys::Reject
                ),
                [("effectif".to_owned(), code)],
                "{value}"
            );
        }
    }

    #[test]
    fn texts_are_counted_in_characters_after_trimming() {
        let ten_accents = "é".repeat(10);
        assert!(
            validate(
                &questionnaire(),
                &raw(&[
                    ("usage", "oui"),
                    ("commentaire", &format!("  {ten_accents}\n"))
                ]),
                UnknownKeys::Reject
            )
            .is_ok()
        );
        assert_eq!(
            error_codes(
                &[("usage", "oui"), ("commentaire", "onze lettre")],
                UnknownKeys::Reject
            ),
            [("commentaire".to_owned(), AnswerErrorCode::TooLong)]
        );
    }

    #[test]
    fn unknown_keys_are_errors_for_programs_only() {
        assert_eq!(
            error_codes(&[("usage", "oui"), ("inconnue", "x")], UnknownKeys::Reject),
            [("inconnue".to_owned(), AnswerErrorCode::UnknownQuestion)]
        );
        assert!(
            validate(
                &questionnaire(),
                &raw(&[("usage", "oui"), ("inconnue", "x")]),
                UnknownKeys::Ignore
            )
            .is_ok()
        );
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let codes = error_codes(
            &[("effectif", "0"), ("commentaire", "beaucoup trop long")],
            UnknownKeys::Reject,
        );
        assert_eq!(codes.len(), 3);
    }

    #[test]
    fn control_characters_are_dropped_but_lines_kept() {
        assert_eq!(normalize_text("a\u{0}b\r\nc\rd\t"), "ab\nc\nd");
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn ids() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("usage".to_owned()),
                Just("pourquoi".to_owned()),
                Just("note".to_owned()),
                Just("effectif".to_owned()),
                Just("commentaire".to_owned()),
                "[a-z_]{1,12}",
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            /// Whatever arrives, validation answers; what it accepts is always well formed.
            #[test]
            fn validation_never_panics_and_accepts_only_well_formed_answers(
                pairs in proptest::collection::vec((ids(), "\\PC{0,30}|oui|non|nc|temps|autre|[0-9]{1,4}"), 0..12),
                reject_unknown in any::<bool>(),
            ) {
                let q = questionnaire();
                let mut raw = RawAnswers::new();
                for (k, v) in &pairs {
                    raw.push(k.clone(), v.clone());
                }
                let unknown = if reject_unknown { UnknownKeys::Reject } else { UnknownKeys::Ignore };
                match validate(&q, &raw, unknown) {
                    Ok(answers) => {
                        prop_assert!(answers.get("usage").is_some(), "required question answered");
                        for (id, value) in &answers.0 {
                            let question = q.question(id).unwrap();
                            match value {
                                AnswerValue::Choice(v) => prop_assert!(question.kind.has_option(v)),
                                AnswerValue::Choices(vs) => prop_assert!(vs.iter().all(|v| question.kind.has_option(v))),
                                AnswerValue::Text(t) => prop_assert!(t.chars().count() <= 10),
                                AnswerValue::Number(n) => prop_assert!((1..=250).contains(n)),
                            }
                        }
                    }
                    Err(errors) => prop_assert!(!errors.is_empty()),
                }
            }
        }
    }

    #[test]
    fn drafts_keep_only_questions_and_cap_texts() {
        let draft = raw(&[
            ("usage", "oui"),
            ("inconnue", "x"),
            ("commentaire", &"x".repeat(50)),
        ])
        .for_draft(&questionnaire());
        assert_eq!(draft.values("inconnue"), [] as [String; 0]);
        assert_eq!(draft.first("commentaire").map(str::len), Some(10));
        assert_eq!(draft.first("usage"), Some("oui"));
    }
}
