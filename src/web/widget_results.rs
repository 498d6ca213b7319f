//! Indicator 4's results for staff: counts per resource and theme, the comments to read, and
//! hiding an abusive comment. (Staff authentication comes with the dashboard.)

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::report::versions_for;
use super::{ApiError, AppState, Staff, WebError};
use crate::domain::questionnaire::QuestionKind;
use crate::domain::results::ValueCount;
use crate::domain::schedule::paris_year;
use crate::domain::widget::{WidgetResults, summarize};
use crate::store::widget::{self as store, Comment};
use crate::widget::QUESTIONNAIRE;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// AAAA, 2000–2100 ; absente : l’année en cours (à Paris)
    #[param(minimum = 2000, maximum = 2100, nullable = false)]
    year: Option<i32>,
}

/// Indicator 4 for a year, with the scored question and its satisfied values.
#[derive(Serialize, ToSchema)]
pub struct WidgetResourcesBody {
    questionnaire: crate::domain::QuestionnaireCode,
    /// The scored question.
    question: String,
    /// Its values that count as satisfied.
    favorable: Vec<String>,
    results: WidgetResults,
}

/// The comments of a year.
#[derive(Serialize, ToSchema)]
pub struct WidgetCommentsBody {
    year: i32,
    comments: Vec<Comment>,
}

/// A comment hidden.
#[derive(Serialize, ToSchema)]
pub struct Hidden {
    response_id: Uuid,
    /// Always true.
    hidden: bool,
}

fn year(state: &AppState, query: &YearQuery) -> Result<i32, WebError> {
    checked_year(state, query.year)
}

/// A form or query `annee` (empty or absent: this year in Paris), within 2000–2100.
pub(super) fn year_param(state: &AppState, raw: Option<&str>) -> Result<i32, WebError> {
    let year = match raw {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<i32>().map_err(|_| {
            WebError::BadRequest("Année invalide : AAAA entre 2000 et 2100 attendue.".to_owned())
        })?),
    };
    checked_year(state, year)
}

/// The year asked for (this year in Paris by default), within 2000–2100.
pub(super) fn checked_year(state: &AppState, year: Option<i32>) -> Result<i32, WebError> {
    match year {
        None => Ok(paris_year(state.clock.now())),
        Some(year) if (2000..=2100).contains(&year) => Ok(year),
        Some(_) => Err(WebError::BadRequest(
            "Année invalide : AAAA entre 2000 et 2100 attendue.".to_owned(),
        )),
    }
}

/// Indicator 4 for `year`: overall, per resource and per theme, with the scored question.
pub(super) async fn year_results(
    state: &AppState,
    year: i32,
) -> Result<(WidgetResults, String, Vec<String>), WebError> {
    let definition = &state
        .catalog
        .get(QUESTIONNAIRE)
        .ok_or_else(|| WebError::MissingQuestionnaire(QUESTIONNAIRE.to_string()))?
        .definition;
    let question = definition
        .scored_questions()
        .next()
        .ok_or_else(|| WebError::MissingQuestionnaire(QUESTIONNAIRE.to_string()))?;
    let tallies = store::resource_tallies(&state.db, QUESTIONNAIRE, year, &question.id).await?;
    // The definitions of every version rated, as the headline loads them: each version's
    // ratings are judged with its own satisfied values.
    let rated: Vec<ValueCount> = tallies
        .iter()
        .flat_map(|t| t.answers.iter().cloned())
        .collect();
    let versions = versions_for(state, QUESTIONNAIRE, &rated).await?;
    let results = summarize(year, &tallies, &versions);
    // The current definition's satisfied values, for the reader of the API.
    let favorable = question.kind.favorable().to_vec();
    Ok((results, question.id.clone(), favorable))
}

/// The comments of `year` not hidden, newest first.
pub(super) async fn year_comments(state: &AppState, year: i32) -> Result<Vec<Comment>, WebError> {
    let definition = &state
        .catalog
        .get(QUESTIONNAIRE)
        .ok_or_else(|| WebError::MissingQuestionnaire(QUESTIONNAIRE.to_string()))?
        .definition;
    let text_questions: Vec<String> = definition
        .questions()
        .filter(|q| matches!(q.kind, QuestionKind::Text { .. }))
        .map(|q| q.id.clone())
        .collect();
    Ok(store::comments(&state.db, QUESTIONNAIRE, year, &text_questions).await?)
}

/// `GET /api/v1/widget/resources?year=YYYY`: satisfaction (satisfied / ratings) and
/// participation (ratings / downloads) per resource, per theme and for the year.
#[utoipa::path(
    get,
    path = "/api/v1/widget/resources",
    operation_id = "widgetResources",
    tag = "results",
    summary = "Indicateur 4 par ressource, par thème et pour l’année",
    params(YearQuery),
    responses(
        (status = 200, description = "Satisfaction et participation", body = WidgetResourcesBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn resources(
    state: web::Data<AppState>,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, ApiError> {
    let year = year(&state, &query)?;
    let (results, question, favorable) = year_results(&state, year).await?;
    Ok(HttpResponse::Ok().json(WidgetResourcesBody {
        questionnaire: QUESTIONNAIRE,
        question,
        favorable,
        results,
    }))
}

/// `GET /api/v1/widget/comments?year=YYYY`: the comments not hidden, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/widget/comments",
    operation_id = "widgetComments",
    tag = "results",
    summary = "Les commentaires de l’année, non masqués, du plus récent au plus ancien",
    params(YearQuery),
    responses(
        (status = 200, description = "Les commentaires", body = WidgetCommentsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn comments(
    state: web::Data<AppState>,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, ApiError> {
    let year = year(&state, &query)?;
    let comments = year_comments(&state, year).await?;
    Ok(HttpResponse::Ok().json(WidgetCommentsBody { year, comments }))
}

/// `POST /api/v1/comments/{response_id}/hide`: the response's free text leaves every listing.
#[utoipa::path(
    post,
    path = "/api/v1/comments/{response_id}/hide",
    operation_id = "hideComment",
    tag = "results",
    summary = "Masquer les réponses libres d’une réponse",
    params(("response_id" = Uuid, Path, description = "La réponse")),
    responses(
        (status = 200, description = "Masqué (ou déjà masqué)", body = Hidden),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn hide(
    state: web::Data<AppState>,
    staff: Staff,
    response_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let response_id = Uuid::parse_str(&response_id).map_err(|_| WebError::NotFound)?;
    if !store::hide_comment(&state.db, response_id, state.clock.now()).await? {
        return Err(WebError::NotFound.into());
    }
    super::audit::record(
        &state,
        &staff,
        "commentaire_masque",
        &response_id.to_string(),
        "",
    )
    .await?;
    Ok(HttpResponse::Ok().json(Hidden {
        response_id,
        hidden: true,
    }))
}
