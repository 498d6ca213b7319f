//! The respondent's pages: a personal link (`/r/{token}`) and an open questionnaire
//! (`/o/{code}`), each shown, submitted and thanked.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::Markup;
use serde::Deserialize;

use super::form_body::{self, SubmittedForm};
use super::widget_api::visitor_address;
use super::{AppState, PageError, WebError, personal_link};
use crate::catalog::LoadedQuestionnaire;
use crate::domain::answers::{RawAnswers, UnknownKeys, validate};
use crate::domain::attributes::response_attributes;
use crate::domain::widget::ResourceId;
use crate::domain::{QuestionnaireCode, Token};
use crate::store::invitations::Invitation;
use crate::store::responses::Origin;
use crate::store::{campaigns, drafts, invitations};
use crate::submissions::Submission;
use crate::views::form::{FormPage, open_form_fields};
use crate::views::messages;
use crate::views::privacy::privacy_page;
use crate::widget::{self, Endpoint};

type PageResult = Result<HttpResponse, PageError>;

fn html(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        // Answers and personal links must not linger in shared caches or history snapshots.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn loaded(state: &AppState, code: QuestionnaireCode) -> Result<Arc<LoadedQuestionnaire>, WebError> {
    state
        .catalog
        .get(code)
        .ok_or_else(|| WebError::MissingQuestionnaire(code.to_string()))
}

async fn invitation_for(
    state: &AppState,
    raw_token: &str,
) -> Result<(Token, Invitation), WebError> {
    let token = Token::parse(raw_token).ok_or(WebError::UnknownLink)?;
    let invitation = invitations::find_by_token(&state.db, state.seal_key.links(), &token)
        .await?
        .ok_or(WebError::UnknownLink)?;
    Ok((token, invitation))
}

#[derive(Deserialize)]
pub struct ShowQuery {
    brouillon: Option<String>,
}

pub async fn show_personal(
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> PageResult {
    let (token, invitation) = invitation_for(&state, &token).await?;
    if invitation.completed {
        return Ok(html(StatusCode::OK, messages::already_answered()));
    }
    if invitation.is_closed_at(state.clock.now()) {
        return Err(WebError::Closed.into());
    }
    let questionnaire = loaded(&state, invitation.questionnaire)?;
    let draft = drafts::load(&state.db, invitation.id)
        .await?
        .unwrap_or_default();
    let notice = query.brouillon.is_some().then_some(
        "Votre brouillon est enregistré. Vous pouvez revenir par le même lien pour le compléter.",
    );
    let page = FormPage {
        questionnaire: &questionnaire.definition,
        action: format!("/r/{}", token.expose()),
        values: &draft,
        errors: &[],
        allow_draft: !questionnaire.definition.anonymous,
        notice,
        extra: None,
        anonymity_threshold: state.results.anonymity_threshold,
    };
    Ok(html(StatusCode::OK, page.render()))
}

pub async fn submit_personal(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let link = personal_link::answerable(&state, &token).await?;
    let (token, questionnaire) = (&link.token, link.questionnaire.clone());
    let form = parse_form(&body)?;
    let now = state.clock.now();
    let definition = &questionnaire.definition;

    // An anonymous questionnaire keeps no draft: a draft sits next to the invitation, and
    // would tie unfinished answers to a person.
    if form.action.as_deref() == Some("draft") && !definition.anonymous {
        drafts::save(
            &state.db,
            link.invitation.id,
            &form.answers.for_draft(definition),
            now,
        )
        .await?;
        return Ok(see_other(format!(
            "/r/{}?brouillon=enregistre",
            token.expose()
        )));
    }
    let answers = match validate(definition, &form.answers, UnknownKeys::Ignore) {
        Ok(answers) => answers,
        Err(errors) => {
            let page = FormPage {
                questionnaire: definition,
                action: format!("/r/{}", token.expose()),
                values: &form.answers,
                errors: &errors,
                allow_draft: !definition.anonymous,
                notice: None,
                extra: None,
                anonymity_threshold: state.results.anonymity_threshold,
            };
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()));
        }
    };
    link.store(&state, answers).await?;
    Ok(see_other(format!("/r/{}/merci", token.expose())))
}

pub async fn thanks_personal(state: web::Data<AppState>, token: web::Path<String>) -> PageResult {
    let (token, invitation) = invitation_for(&state, &token).await?;
    if !invitation.completed {
        return Ok(see_other(format!("/r/{}", token.expose())));
    }
    let definition = &loaded(&state, invitation.questionnaire)?.definition;
    Ok(html(
        StatusCode::OK,
        messages::thanks(
            &definition.title,
            definition.thanks.as_deref(),
            definition
                .anonymous
                .then_some(state.results.anonymity_threshold),
        ),
    ))
}

fn open_questionnaire(
    state: &AppState,
    raw_code: &str,
) -> Result<Arc<LoadedQuestionnaire>, WebError> {
    let code: QuestionnaireCode = raw_code.parse().map_err(|_| WebError::NotFound)?;
    let questionnaire = state.catalog.get(code).ok_or(WebError::NotFound)?;
    if !questionnaire.definition.open {
        return Err(WebError::NotFound);
    }
    Ok(questionnaire)
}

#[derive(Deserialize)]
pub struct OpenQuery {
    /// The resource rated (indicator 4's widget without script): `/o/i4?resource=ID`.
    resource: Option<String>,
}

/// The resource an open form rates: only the widget's questionnaire rates resources, and an
/// id that is not one is ignored (the person can still answer).
fn rated_resource(code: QuestionnaireCode, raw: Option<&str>) -> Option<ResourceId> {
    (code == widget::QUESTIONNAIRE)
        .then(|| raw.and_then(|r| ResourceId::parse(r).ok()))
        .flatten()
}

pub async fn show_open(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<OpenQuery>,
) -> PageResult {
    let questionnaire = open_questionnaire(&state, &code)?;
    let definition = &questionnaire.definition;
    let resource = rated_resource(definition.code, query.resource.as_deref());
    let page = FormPage {
        questionnaire: definition,
        action: format!("/o/{}", definition.code),
        values: &RawAnswers::new(),
        errors: &[],
        allow_draft: false,
        notice: None,
        extra: Some(open_form_fields(resource.as_ref().map(ResourceId::as_str))),
        anonymity_threshold: state.results.anonymity_threshold,
    };
    Ok(html(StatusCode::OK, page.render()))
}

pub async fn submit_open(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let questionnaire = open_questionnaire(&state, &code)?;
    let definition = &questionnaire.definition;
    // The open form is public: each visitor address has a budget, and robots that fill the
    // honeypot are turned away like over-eager visitors. Neither stores anything.
    let address = visitor_address(&req, &state.widget);
    if let Err(wait) = state.widget.check_rate(Endpoint::Ratings, address) {
        return Err(WebError::RateLimited {
            retry_after: wait.as_secs().max(1),
        }
        .into());
    }
    let form = parse_form(&body)?;
    if form
        .honeypot
        .as_deref()
        .is_some_and(|v| !v.trim().is_empty())
    {
        return Err(WebError::RateLimited { retry_after: 60 }.into());
    }
    let resource = match form.resource.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() && definition.code == widget::QUESTIONNAIRE => {
            Some(ResourceId::parse(raw).map_err(|e| WebError::BadRequest(format!("{e}.")))?)
        }
        _ => None,
    };
    let answers = match validate(definition, &form.answers, UnknownKeys::Ignore) {
        Ok(answers) => answers,
        Err(errors) => {
            let page = FormPage {
                questionnaire: definition,
                action: format!("/o/{}", definition.code),
                values: &form.answers,
                errors: &errors,
                allow_draft: false,
                notice: None,
                extra: Some(open_form_fields(resource.as_ref().map(ResourceId::as_str))),
                anonymity_threshold: state.results.anonymity_threshold,
            };
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()));
        }
    };
    let attributes = response_attributes(definition, &serde_json::Map::new(), &answers);
    if let Some(resource) = resource {
        // A rating of a resource: one per visitor, resource and day, like the widget's.
        state
            .widget
            .submit_rating(
                &resource,
                address,
                &questionnaire.version,
                answers,
                attributes,
            )
            .await
            .map_err(WebError::from)?;
        return Ok(see_other(format!("/o/{}/merci", definition.code)));
    }
    let now = state.clock.now();
    let campaign =
        campaigns::find_or_create(&state.db, definition.code, &open_campaign_label(now), now)
            .await?;
    if !campaigns::accepts_responses(&campaign.status) {
        return Err(WebError::Closed.into());
    }
    state
        .submissions
        .submit(Submission {
            campaign_id: campaign.id,
            version: questionnaire.version.clone(),
            definition: questionnaire.definition.clone(),
            origin: Origin::Open,
            answers,
            attributes,
            submitted_at: now,
        })
        .await?;
    Ok(see_other(format!("/o/{}/merci", definition.code)))
}

pub async fn thanks_open(state: web::Data<AppState>, code: web::Path<String>) -> PageResult {
    let definition = &open_questionnaire(&state, &code)?.definition;
    Ok(html(
        StatusCode::OK,
        messages::thanks(
            &definition.title,
            definition.thanks.as_deref(),
            definition
                .anonymous
                .then_some(state.results.anonymity_threshold),
        ),
    ))
}

/// Open questionnaires are counted by calendar year in Paris (indicator 4 is yearly).
pub fn open_campaign_label(now: chrono::DateTime<chrono::Utc>) -> String {
    crate::domain::schedule::paris_year(now).to_string()
}

/// The plain-French notice of what is kept, linked from every form and from the emails.
pub async fn privacy(state: web::Data<AppState>, code: web::Path<String>) -> PageResult {
    let code: QuestionnaireCode = code.parse().map_err(|_| WebError::NotFound)?;
    let definition = &state
        .catalog
        .get(code)
        .ok_or(WebError::NotFound)?
        .definition;
    Ok(html(
        StatusCode::OK,
        privacy_page(definition, state.results.anonymity_threshold),
    ))
}

fn parse_form(body: &[u8]) -> Result<SubmittedForm, WebError> {
    form_body::parse(body).map_err(|e| WebError::BadRequest(e.to_string()))
}
