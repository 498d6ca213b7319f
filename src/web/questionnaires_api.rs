//! `GET /api/v1/questionnaires/{code}`: the current definition, as JSON.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, AppState, WebError};
use crate::domain::QuestionnaireCode;
use crate::domain::questionnaire::{
    Attribute, ChoiceOption, Condition, Question, QuestionKind, Questionnaire,
};

/// A questionnaire's current definition.
#[derive(Serialize, ToSchema)]
#[schema(as = Questionnaire)]
pub struct QuestionnaireJson<'a> {
    code: QuestionnaireCode,
    /// SHA-256 of the definition file.
    version: &'a str,
    title: &'a str,
    introduction: &'a str,
    estimated_minutes: u32,
    anonymous: bool,
    open: bool,
    attributes: &'a [Attribute],
    sections: Vec<SectionJson<'a>>,
    questions: Vec<QuestionJson<'a>>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Section)]
struct SectionJson<'a> {
    id: &'a str,
    title: &'a str,
    #[schema(required = true)]
    description: Option<&'a str>,
    /// The ids of its questions, in order.
    questions: Vec<&'a str>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Question)]
struct QuestionJson<'a> {
    id: &'a str,
    section: &'a str,
    text: &'a str,
    #[schema(required = true)]
    help: Option<&'a str>,
    #[serde(rename = "type")]
    #[schema(value_type = QuestionType)]
    kind: &'static str,
    required: bool,
    scored: bool,
    overall: bool,
    options: Vec<ChoiceOption>,
    favorable: &'a [String],
    not_applicable: &'a [String],
    /// Shown only if an earlier answer has this value.
    #[schema(required = true)]
    condition: Option<&'a Condition>,
    /// Text questions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    max_length: Option<usize>,
    /// Multiple choices with a limit only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    max_choices: Option<usize>,
    /// Ratings and numbers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    min: Option<i64>,
    /// Ratings and numbers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    max: Option<i64>,
}

/// The kinds of question (`QuestionKind::type_name`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum QuestionType {
    SingleChoice,
    MultipleChoice,
    Likert,
    Rating,
    Text,
    Number,
}

fn question_json<'a>(section: &'a str, q: &'a Question) -> QuestionJson<'a> {
    let (max_length, max_choices, min, max) = match &q.kind {
        QuestionKind::Text { max_length, .. } => (Some(*max_length), None, None, None),
        QuestionKind::MultipleChoice { max_choices, .. } => (None, *max_choices, None, None),
        QuestionKind::Rating { min, max, .. } | QuestionKind::Number { min, max, .. } => {
            (None, None, Some(*min), Some(*max))
        }
        QuestionKind::SingleChoice { .. } | QuestionKind::Likert(_) => (None, None, None, None),
    };
    QuestionJson {
        id: &q.id,
        section,
        text: &q.text,
        help: q.help.as_deref(),
        kind: q.kind.type_name(),
        required: q.required,
        scored: q.scored,
        overall: q.overall,
        options: q.kind.options(),
        favorable: q.kind.favorable(),
        not_applicable: q.kind.not_applicable(),
        condition: q.condition.as_ref(),
        max_length,
        max_choices,
        min,
        max,
    }
}

fn to_json<'a>(q: &'a Questionnaire, version: &'a str) -> QuestionnaireJson<'a> {
    QuestionnaireJson {
        code: q.code,
        version,
        title: &q.title,
        introduction: &q.introduction,
        estimated_minutes: q.estimated_minutes,
        anonymous: q.anonymous,
        open: q.open,
        attributes: &q.attributes,
        sections: q
            .sections
            .iter()
            .map(|s| SectionJson {
                id: &s.id,
                title: &s.title,
                description: s.description.as_deref(),
                questions: s.questions.iter().map(|q| q.id.as_str()).collect(),
            })
            .collect(),
        questions: q
            .sections
            .iter()
            .flat_map(|s| s.questions.iter().map(|q| question_json(&s.id, q)))
            .collect(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/questionnaires/{code}",
    operation_id = "showQuestionnaire",
    tag = "respondents",
    summary = "La définition en vigueur d’un questionnaire",
    params(("code" = String, Path, example = "i3.1", description = "i3.1, i3.2, i4, i6 ou i7")),
    responses(
        (status = 200, description = "La définition", body = QuestionnaireJson),
        (status = 404, response = super::openapi::NotFound),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code: QuestionnaireCode = code.parse().map_err(|_| WebError::NotFound)?;
    let loaded = state.catalog.get(code).ok_or(WebError::NotFound)?;
    Ok(HttpResponse::Ok().json(to_json(&loaded.definition, &loaded.version)))
}
