//! A draft's pilot, as its test panel sees it (`/pilote/{token}`): the draft rendered with
//! the respondents' own components, answers checked as theirs, and stored apart
//! (`store::editing`), never counted.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use maud::{Markup, html};

use super::form_body;
use super::questionnaire_editing_api::{code_of, working};
use super::{AppState, PageError, WebError};
use crate::domain::answers::{RawAnswers, UnknownKeys, validate};
use crate::entities::pilot_link;
use crate::store::editing;
use crate::views::form::FormPage;
use crate::views::messages;

type PageResult = Result<HttpResponse, PageError>;

/// The longest a pilot response is believed to take: a start older than this (or in the
/// future) is not a start.
const LONGEST_SECONDS: i64 = 24 * 3600;

fn html_page(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// The link of `token`, still answerable.
async fn answerable(state: &AppState, token: &str) -> Result<pilot_link::Model, WebError> {
    let link = editing::pilot_link(&state.db, token)
        .await?
        .ok_or(WebError::UnknownLink)?;
    if editing::pilot_link_used(&state.db, &link).await? {
        return Err(WebError::AlreadyCompleted);
    }
    Ok(link)
}

/// The hidden fields of a pilot form: when it was shown, to tell the time taken.
fn pilot_fields(started: i64) -> Markup {
    html! {
        input type="hidden" name="_started" value=(started);
    }
}

const PILOT_NOTICE: &str = "Ceci est un test : vos réponses servent à améliorer le questionnaire et ne comptent dans aucun résultat.";

pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> PageResult {
    let link = answerable(&state, &token).await?;
    let code = code_of(&link.code)?;
    let working = working(&state, code).await?;
    let page = FormPage {
        questionnaire: &working.definition,
        action: format!("/pilote/{token}"),
        values: &RawAnswers::new(),
        errors: &[],
        allow_draft: false,
        notice: Some(PILOT_NOTICE),
        extra: Some(pilot_fields(state.clock.now().timestamp())),
        anonymity_threshold: state.results.anonymity_threshold,
    };
    Ok(html_page(StatusCode::OK, page.render()))
}

pub async fn submit(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let link = answerable(&state, &token).await?;
    let code = code_of(&link.code)?;
    let working = working(&state, code).await?;
    let form = form_body::parse(&body).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let now = state.clock.now();
    let started = form
        .started
        .as_deref()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|s| (0..=LONGEST_SECONDS).contains(&(now.timestamp() - s)));
    let answers = match validate(&working.definition, &form.answers, UnknownKeys::Ignore) {
        Ok(_) => form.answers.for_draft(&working.definition),
        Err(errors) => {
            let page = FormPage {
                questionnaire: &working.definition,
                action: format!("/pilote/{token}"),
                values: &form.answers,
                errors: &errors,
                allow_draft: false,
                notice: Some(PILOT_NOTICE),
                extra: Some(pilot_fields(started.unwrap_or(now.timestamp()))),
                anonymity_threshold: state.results.anonymity_threshold,
            };
            return Ok(html_page(StatusCode::UNPROCESSABLE_ENTITY, page.render()));
        }
    };
    editing::record_pilot_response(
        &state.db,
        &link,
        &working.version(),
        &answers,
        started.and_then(|s| chrono::DateTime::from_timestamp(s, 0)),
        now,
    )
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/pilote/{token}/merci")))
        .finish())
}

pub async fn thanks(state: web::Data<AppState>, token: web::Path<String>) -> PageResult {
    let link = editing::pilot_link(&state.db, &token)
        .await?
        .ok_or(WebError::UnknownLink)?;
    let code = code_of(&link.code)?;
    let working = working(&state, code).await?;
    Ok(html_page(
        StatusCode::OK,
        messages::thanks(
            &working.definition.title,
            Some("Merci d’avoir testé ce questionnaire : vos remarques aideront à l’améliorer."),
            None,
        ),
    ))
}
