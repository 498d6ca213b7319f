//! `GET /api/v1/questionnaires/{code}`: the current definition, as JSON.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{ApiError, AppState, WebError};
use crate::domain::QuestionnaireCode;
use crate::domain::questionnaire::{
    Attribute, ChoiceOption, Condition, Question, QuestionKind, Questionnaire,
};

#[derive(Serialize)]
struct QuestionnaireJson<'a> {
    code: QuestionnaireCode,
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

#[derive(Serialize)]
struct SectionJson<'a> {
    id: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    questions: Vec<&'a str>,
}

#[derive(Serialize)]
struct QuestionJson<'a> {
    id: &'a str,
    section: &'a str,
    text: &'a str,
    help: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'static str,
    required: bool,
    scored: bool,
    overall: bool,
    options: Vec<ChoiceOption>,
    favorable: &'a [String],
    not_applicable: &'a [String],
    condition: Option<&'a Condition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_choices: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<i64>,
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

pub async fn show(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code: QuestionnaireCode = code.parse().map_err(|_| WebError::NotFound)?;
    let loaded = state.catalog.get(code).ok_or(WebError::NotFound)?;
    Ok(HttpResponse::Ok().json(to_json(&loaded.definition, &loaded.version)))
}
