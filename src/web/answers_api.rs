//! `POST /api/v1/responses/{token}`: the personal link, for programs.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ApiError, AppState, WebError, personal_link};
use crate::domain::answers::{AnswerError, AnswerErrorCode, RawAnswers, UnknownKeys, validate};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    answers: Map<String, Value>,
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

pub async fn submit(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Json<SubmitBody>,
) -> Result<HttpResponse, ApiError> {
    let link = personal_link::answerable(&state, &token).await?;
    let definition = &link.questionnaire.definition;
    let raw = raw_answers(&body.answers).map_err(WebError::Validation)?;
    let answers = validate(definition, &raw, UnknownKeys::Reject).map_err(WebError::Validation)?;
    link.store(&state, &answers).await?;
    Ok(HttpResponse::Created().json(json!({
        "status": "recorded",
        "questionnaire": definition.code,
        "version": link.questionnaire.version,
        "answers": answers.len(),
    })))
}
