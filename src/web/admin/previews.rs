//! `/admin/questionnaires`: each questionnaire as respondents see it (the same form
//! components; sending it validates and stores nothing), its emails with example values, and
//! a test email to oneself (queued in the outbox, sent by the next dispatch run).

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::{csrf, html as page, see_other};
use crate::catalog::LoadedQuestionnaire;
use crate::domain::QuestionnaireCode;
use crate::domain::answers::{RawAnswers, UnknownKeys, validate};
use crate::domain::email_template::{EmailTemplate, EmailValues, RenderedEmail};
use crate::domain::questionnaire::Questionnaire;
use crate::domain::schedule::{french_date, paris_date};
use crate::store::outbox::{self, NewEmail};
use crate::views::admin::{EmailPreview, email_page, questionnaires_page};
use crate::views::email::email_html;
use crate::views::form::FormPage;
use crate::web::form_body;
use crate::web::questionnaire_editing_api::{code_of, working};
use crate::web::{AppState, PageError, Staff, WebError, audit};

fn loaded(state: &AppState, code: &str) -> Result<Arc<LoadedQuestionnaire>, WebError> {
    let code: QuestionnaireCode = code.parse().map_err(|_| WebError::NotFound)?;
    state.catalog.get(code).ok_or(WebError::NotFound)
}

pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    page(questionnaires_page(&state.catalog))
}

const PREVIEW_NOTICE: &str = "Aperçu : ce formulaire est celui que voient les répondants ; l’envoyer vérifie les réponses sans rien enregistrer.";

fn form_page(
    state: &AppState,
    questionnaire: &LoadedQuestionnaire,
    values: &RawAnswers,
    errors: &[crate::domain::answers::AnswerError],
    notice: &str,
    csrf: &str,
) -> maud::Markup {
    FormPage {
        questionnaire: &questionnaire.definition,
        action: format!(
            "/admin/questionnaires/{}/apercu",
            questionnaire.definition.code
        ),
        values,
        errors,
        allow_draft: false,
        notice: Some(notice),
        extra: Some(html! { input type="hidden" name="_csrf" value=(csrf); }),
        anonymity_threshold: state.results.anonymity_threshold,
    }
    .render()
}

pub async fn preview(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let questionnaire = loaded(&state, &code)?;
    Ok(page(form_page(
        &state,
        &questionnaire,
        &RawAnswers::new(),
        &[],
        PREVIEW_NOTICE,
        csrf(&staff),
    )))
}

/// Validates the preview's answers like a real submission, and stores nothing.
pub async fn check_preview(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let questionnaire = loaded(&state, &code)?;
    let form = form_body::parse(&body).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let (status, errors, notice) = match validate(
        &questionnaire.definition,
        &form.answers,
        UnknownKeys::Ignore,
    ) {
        Ok(_) => (
            StatusCode::OK,
            Vec::new(),
            "Aperçu : ces réponses seraient acceptées. Rien n’a été enregistré.",
        ),
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors, PREVIEW_NOTICE),
    };
    let markup = form_page(
        &state,
        &questionnaire,
        &form.answers,
        &errors,
        notice,
        csrf(&staff),
    );
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string()))
}

#[derive(Debug, Deserialize)]
pub struct EmailQuery {
    /// `relance` for the reminder; the invitation otherwise.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Set after a test email was queued.
    envoye: Option<String>,
}

fn is_reminder(query: &EmailQuery) -> bool {
    query.kind.as_deref() == Some("relance")
}

/// The email of `questionnaire` with example values (this server's address in the links).
fn example(
    state: &AppState,
    req: &HttpRequest,
    questionnaire: &LoadedQuestionnaire,
    reminder: bool,
    name: &str,
) -> RenderedEmail {
    example_of(
        state,
        req,
        &questionnaire.definition,
        &questionnaire.email,
        reminder,
        name,
    )
}

/// The email `template` of `definition` with example values.
fn example_of(
    state: &AppState,
    req: &HttpRequest,
    definition: &Questionnaire,
    template: &EmailTemplate,
    reminder: bool,
    name: &str,
) -> RenderedEmail {
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    let code = definition.code;
    let link = format!("{base}/r/EXEMPLE-DE-LIEN-PERSONNEL");
    let unsubscribe = format!("{base}/desinscription/EXEMPLE-DE-LIEN-PERSONNEL");
    let privacy = format!("{base}/confidentialite/{code}");
    let closes_on = french_date(paris_date(state.clock.now() + chrono::Duration::days(30)));
    let values = EmailValues {
        name: Some(name),
        entity: "l’Aract Bretagne",
        title: &definition.title,
        minutes: definition.estimated_minutes,
        link: &link,
        unsubscribe: &unsubscribe,
        closes_on: &closes_on,
        privacy: &privacy,
    };
    if reminder {
        template.render_reminder(&values)
    } else {
        template.render_invitation(&values)
    }
}

pub async fn email(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    code: web::Path<String>,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, PageError> {
    let questionnaire = loaded(&state, &code)?;
    let reminder = is_reminder(&query);
    let rendered = example(&state, &req, &questionnaire, reminder, "Camille Martin");
    Ok(page(email_page(&EmailPreview {
        code: questionnaire.definition.code,
        reminder,
        draft: false,
        email: &rendered,
        csrf: csrf(&staff),
        can_send: !staff.identity.actor.starts_with("jeton:"),
        sent_to: query
            .envoye
            .is_some()
            .then_some(staff.identity.actor.as_str()),
    })))
}

/// The emails of the draft (else those in use) with example values, as the same page.
pub async fn draft_email(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    code: web::Path<String>,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, PageError> {
    let code = code_of(&code)?;
    let working = working(&state, code).await?;
    let reminder = is_reminder(&query);
    let rendered = example_of(
        &state,
        &req,
        &working.definition,
        &working.email,
        reminder,
        "Camille Martin",
    );
    Ok(page(email_page(&EmailPreview {
        code,
        reminder,
        draft: true,
        email: &rendered,
        csrf: csrf(&staff),
        can_send: false,
        sent_to: None,
    })))
}

/// The HTML part alone, as a mail client shows it. It carries inline styles (mail clients
/// need them), hence its own policy: inline styles, still no script, not framable.
pub async fn email_html_part(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, PageError> {
    let questionnaire = loaded(&state, &code)?;
    let rendered = example(
        &state,
        &req,
        &questionnaire,
        is_reminder(&query),
        "Camille Martin",
    );
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(email_html(&rendered).into_string()))
}

/// Queues the example email to the signed-in staff member's own address.
pub async fn send_test(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    code: web::Path<String>,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, PageError> {
    let questionnaire = loaded(&state, &code)?;
    let to = staff.identity.actor.clone();
    if to.starts_with("jeton:") {
        return Err(WebError::BadRequest(
            "Un jeton d’API n’a pas d’adresse : connectez-vous pour vous envoyer un essai.".into(),
        )
        .into());
    }
    let reminder = is_reminder(&query);
    let rendered = example(&state, &req, &questionnaire, reminder, "Camille Martin");
    let kind = if reminder {
        "test_reminder"
    } else {
        "test_invitation"
    };
    outbox::enqueue(
        &state.db,
        NewEmail {
            invitation_id: None,
            kind: kind.to_owned(),
            recipient: to.clone(),
            body_html: email_html(&rendered).into_string().into(),
            subject: format!("[Essai] {}", rendered.subject),
            body_text: rendered.text.into(),
            unsubscribe_url: None,
            bounce_tag: None,
        },
        state.clock.now(),
    )
    .await?;
    audit::record(
        &state,
        &staff,
        "email_essai",
        &questionnaire.definition.code.to_string(),
        kind,
    )
    .await?;
    let back = format!(
        "/admin/questionnaires/{}/email?type={}&envoye=1",
        questionnaire.definition.code,
        if reminder { "relance" } else { "invitation" }
    );
    Ok(see_other(&back))
}
