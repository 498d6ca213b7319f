//! `POST /api/v1/responses/{token}`: the personal link, for programs.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{ApiError, AppState, WebError, personal_link};
use crate::domain::answers::{AnswerError, AnswerErrorCode, RawAnswers, UnknownKeys, validate};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AnswersBody)]
pub struct SubmitBody {
    #[schema(value_type = Answers)]
    answers: Map<String, Value>,
}

/// Question id → value: a text, a number, a list for multiple choices, `null` for none (the
/// schema of the JSON API; `raw_answers` reads it).
pub struct Answers;

impl utoipa::PartialSchema for Answers {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        let scalar = || {
            OneOfBuilder::new()
                .item(ObjectBuilder::new().schema_type(Type::String))
                .item(ObjectBuilder::new().schema_type(Type::Number))
        };
        let value = scalar()
            .item(ArrayBuilder::new().items(scalar()))
            .item(ObjectBuilder::new().schema_type(Type::Null));
        ObjectBuilder::new()
            .description(Some(
                "identifiant de question → valeur (texte, nombre, liste pour les choix multiples, null pour aucune)",
            ))
            .additional_properties(Some(utoipa::openapi::schema::Schema::OneOf(
                value.build(),
            )))
            .into()
    }
}

impl ToSchema for Answers {}

/// What a personal link's answer is recorded as.
#[derive(Serialize, ToSchema)]
pub struct Recorded {
    #[schema(inline)]
    status: RecordedStatus,
    questionnaire: crate::domain::QuestionnaireCode,
    /// The version of the questionnaire answered (SHA-256 of its file).
    version: String,
    /// How many answers were stored.
    answers: usize,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordedStatus {
    Recorded,
}

/// JSON values become the same strings a form would send; anything else is an error for
/// that question.
pub(super) fn raw_answers(json: &Map<String, Value>) -> Result<RawAnswers, Vec<AnswerError>> {
    let mut raw = RawAnswers::new();
    let mut errors = Vec::new();
    for (question, value) in json {
        let mut push = |v: &Value| match v {
            Value::String(s) => {
                raw.push(question.clone(), s.clone());
                true
            }
            Value::Number(n) => {
                raw.push(question.clone(), n.to_string());
                true
            }
            _ => false,
        };
        let ok = match value {
            Value::Null => true,
            Value::Array(items) => items.iter().all(&mut push),
            scalar => push(scalar),
        };
        if !ok {
            errors.push(AnswerError {
                question: question.clone(),
                code: AnswerErrorCode::InvalidType,
                message: "Type de valeur invalide : texte, nombre ou liste attendus.".to_owned(),
            });
        }
    }
    if errors.is_empty() {
        Ok(raw)
    } else {
        Err(errors)
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/responses/{token}",
    operation_id = "submitResponse",
    tag = "respondents",
    summary = "Enregistrer la réponse d’un lien personnel",
    params(("token" = String, Path, description = "Le jeton du lien personnel")),
    request_body = SubmitBody,
    responses(
        (status = 201, description = "Réponse enregistrée (validée : la transaction est faite)", body = Recorded),
        (status = 400, response = super::openapi::BadRequest),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 410, response = super::openapi::Gone),
        (status = 413, response = super::openapi::TooLarge),
        (status = 422, response = super::openapi::InvalidAnswers),
        (status = 503, response = super::openapi::Unavailable),
    )
)]
pub async fn submit(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Json<SubmitBody>,
) -> Result<HttpResponse, ApiError> {
    let link = personal_link::answerable(&state, &token).await?;
    let definition = &link.questionnaire.definition;
    let raw = raw_answers(&body.answers).map_err(WebError::Validation)?;
    let answers = validate(definition, &raw, UnknownKeys::Reject).map_err(WebError::Validation)?;
    let count = answers.len();
    link.store(&state, answers).await?;
    Ok(HttpResponse::Created().json(Recorded {
        status: RecordedStatus::Recorded,
        questionnaire: definition.code,
        version: link.questionnaire.version.clone(),
        answers: count,
    }))
}

#[cfg(test)]
mod fuzz {
    //! Arbitrary JSON bodies, against every shipped questionnaire: `raw_answers` then
    //! `validate` never panic, and what they accept is well formed.

    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::raw_answers;
    use crate::domain::answers::{AnswerValue, UnknownKeys, validate};
    use crate::domain::questionnaire::{QuestionKind, Questionnaire, parse_questionnaire};

    const SHIPPED: [&str; 5] = [
        include_str!("../../questionnaires/i3_1.toml"),
        include_str!("../../questionnaires/i3_2.toml"),
        include_str!("../../questionnaires/i4.toml"),
        include_str!("../../questionnaires/i6.toml"),
        include_str!("../../questionnaires/i7.toml"),
    ];

    static QUESTIONNAIRES: std::sync::LazyLock<Vec<Questionnaire>> =
        std::sync::LazyLock::new(|| {
            SHIPPED
                .iter()
                .map(|source| parse_questionnaire(source).expect("shipped questionnaire parses"))
                .collect()
        });

    fn shipped() -> &'static [Questionnaire] {
        &QUESTIONNAIRES
    }

    /// Any JSON value, nested a little: null, booleans, integers, floats, strings, arrays,
    /// objects.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter_map("finite", |f| {
                serde_json::Number::from_f64(f).map(Value::Number)
            }),
            "\\PC{0,40}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("\\PC{0,8}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Question ids and option values of the shipped files, so that many bodies come close
    /// to valid ones, mixed with anything.
    static VOCABULARY: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut words = Vec::new();
        for q in shipped() {
            for question in q.questions() {
                words.push(question.id.clone());
                words.extend(question.kind.options().into_iter().map(|o| o.value));
            }
        }
        words.sort();
        words.dedup();
        words
    });

    /// A valid answer to `kind`: its first option, its minimum, a short text.
    fn valid_value(kind: &QuestionKind) -> Value {
        match kind {
            QuestionKind::Text { .. } => Value::from("Un texte"),
            QuestionKind::Number { min, .. } => Value::from(*min),
            QuestionKind::MultipleChoice { options, .. } => {
                Value::Array(vec![Value::from(options[0].value.clone())])
            }
            kind => Value::from(kind.options()[0].value.clone()),
        }
    }

    /// A body built from a valid one: each question answered validly (most often), left out,
    /// or given a shipped word or any JSON value; plus, sometimes, keys that are no question.
    fn body(
        questionnaire: &Questionnaire,
        modes: &[u8],
        words: &[String],
        values: &[Value],
        extra: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut body = Map::new();
        for (i, question) in questionnaire.questions().enumerate() {
            let pick = |n: usize| i.wrapping_mul(7).wrapping_add(n);
            let value = match modes[i % modes.len()] {
                0..=5 => valid_value(&question.kind),
                6 => continue,
                7 => Value::from(words[pick(1) % words.len()].clone()),
                _ => values[pick(2) % values.len()].clone(),
            };
            body.insert(question.id.clone(), value);
        }
        if modes[0].is_multiple_of(4) {
            body.extend(extra.clone());
        }
        body
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        #[test]
        fn any_json_body_is_answered_and_only_well_formed_answers_pass(
            which in 0..SHIPPED.len(),
            modes in proptest::collection::vec(0u8..10, 1..40),
            values in proptest::collection::vec(any_json(), 1..8),
            extra in proptest::collection::btree_map("\\PC{0,12}", any_json(), 0..3),
        ) {
            let questionnaire = &shipped()[which];
            let extra: Map<String, Value> = extra.into_iter().collect();
            let answers = body(questionnaire, &modes, &VOCABULARY, &values, &extra);
            let Ok(raw) = raw_answers(&answers) else {
                return Ok(());
            };
            match validate(questionnaire, &raw, UnknownKeys::Reject) {
                Err(errors) => prop_assert!(!errors.is_empty()),
                Ok(valid) => {
                    for question in questionnaire.questions().filter(|q| q.required && q.condition.is_none()) {
                        prop_assert!(valid.get(&question.id).is_some(), "{} missing", question.id);
                    }
                    for (id, value) in &valid.0 {
                        let question = questionnaire.question(id);
                        prop_assert!(question.is_some(), "unknown {id} accepted");
                        let kind = &question.unwrap().kind;
                        match (value, kind) {
                            (AnswerValue::Choice(v), _) => prop_assert!(kind.has_option(v)),
                            (AnswerValue::Choices(vs), QuestionKind::MultipleChoice { max_choices, .. }) => {
                                prop_assert!(vs.iter().all(|v| kind.has_option(v)));
                                prop_assert!(max_choices.is_none_or(|m| vs.len() <= m));
                            }
                            (AnswerValue::Text(t), QuestionKind::Text { max_length, .. }) => {
                                prop_assert!(t.chars().count() <= *max_length);
                            }
                            (AnswerValue::Number(n), QuestionKind::Number { min, max, .. }) => {
                                prop_assert!((min..=max).contains(&n));
                            }
                            (value, kind) => prop_assert!(false, "{value:?} for {kind:?}"),
                        }
                    }
                }
            }
        }
    }
}
