//! `POST /api/v1/responses/{token}`: the personal link, for programs.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ApiError, AppState, WebError};
use crate::domain::Token;
use crate::domain::answers::{AnswerError, AnswerErrorCode, RawAnswers, UnknownKeys, validate};
use crate::domain::attributes::response_attributes;
use crate::store::invitations;
use crate::store::responses::{self, NewResponse, Origin};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    answers: Map<String, Value>,
}

/// JSON values become the same strings a form would send; anything else is an error for
/// that question.
fn raw_answers(json: &Map<String, Value>) -> Result<RawAnswers, Vec<AnswerError>> {
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
    let token = Token::parse(&token).ok_or(WebError::UnknownLink)?;
    let invitation = invitations::find_by_token(&state.db, &token)
        .await?
        .ok_or(WebError::UnknownLink)?;
    if invitation.completed {
        return Err(WebError::AlreadyCompleted.into());
    }
    if invitation.is_closed_at(state.clock.now()) {
        return Err(WebError::Closed.into());
    }
    let questionnaire = state
        .catalog
        .get(invitation.questionnaire)
        .ok_or_else(|| WebError::MissingQuestionnaire(invitation.questionnaire.to_string()))?;
    let definition = &questionnaire.definition;
    let raw = raw_answers(&body.answers).map_err(WebError::Validation)?;
    let answers = validate(definition, &raw, UnknownKeys::Reject).map_err(WebError::Validation)?;
    let attributes = response_attributes(definition, &invitation.attributes, &answers);
    responses::submit(
        &state.db,
        NewResponse {
            campaign_id: invitation.campaign_id,
            version: &questionnaire.version,
            definition: &questionnaire.definition,
            origin: Origin::Invitation {
                id: invitation.id,
                anonymous: definition.anonymous,
            },
            answers: &answers,
            attributes: &attributes,
        },
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(json!({
        "status": "recorded",
        "questionnaire": definition.code,
        "version": questionnaire.version,
        "answers": answers.len(),
    })))
}
