//! `/admin/questionnaires/{code}/edition` and `/pilote`: the pages over the same steps as the
//! JSON API (`questionnaire_editing_api`), for people, without JavaScript.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::{csrf, html as page, see_other};
use crate::domain::answers::{RawAnswers, UnknownKeys, validate};
use crate::store::editing;
use crate::views::admin::{EditView, PilotView, edit_page, pilot_page};
use crate::views::form::FormPage;
use crate::web::form_body;
use crate::web::questionnaire_editing_api::{
    check, code_of, in_use, pilot_count, pilot_summary, publish_draft, review, save, working,
};
use crate::web::{AppState, PageError, Staff, WebError};

fn with_status(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// The value of `name` in a url-encoded form (the textarea may exceed serde's form limit).
fn field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[derive(Deserialize)]
pub struct EditQuery {
    /// Set after a save (`enregistre`) or a publish (`publie`).
    etat: Option<String>,
}

pub async fn edit(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
    query: web::Query<EditQuery>,
) -> Result<HttpResponse, PageError> {
    let code = code_of(&code)?;
    let working = working(&state, code).await?;
    let review = if working.is_draft {
        let emails = working.draft_emails.then_some(&working.email);
        Some(review(&state, &working.definition, emails).await?)
    } else {
        None
    };
    let notice = match query.etat.as_deref() {
        Some("enregistre") => Some("Brouillon enregistré."),
        Some("publie") => Some(
            "Publié : c’est désormais la version des nouvelles invitations et réponses, sur tous les serveurs en quelques secondes.",
        ),
        _ => None,
    };
    Ok(page(edit_page(&EditView {
        code,
        source: &working.source,
        emails: &working.emails,
        is_draft: working.is_draft,
        errors: &[],
        email_errors: &[],
        changes: review.as_ref().map_or(&[], |r| &r.changes),
        refusals: review.as_ref().map_or(&[], |r| &r.refusals),
        notice,
        csrf: csrf(&staff),
    })))
}

/// Saves the two textareas (definition, emails) as the draft; errors are shown at their
/// lines under their field, nothing saved (422).
pub async fn save_edit(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let code = code_of(&code)?;
    // Browsers send a textarea's line breaks as CRLF.
    let text_of = |name: &str| field(&body, name).map(|text| text.replace("\r\n", "\n"));
    let source = text_of("definition").unwrap_or_default();
    // A form without the emails' field (an older page) leaves the draft's emails as they are.
    let emails = match text_of("messages") {
        Some(emails) => Some(emails),
        None => working(&state, code)
            .await?
            .emails_to_keep()
            .map(str::to_owned),
    };
    let current = in_use(&state, code)?;
    let errors = match check(&current, &source, emails.as_deref()) {
        Ok(draft) => {
            save(&state, &staff, code, &draft).await?;
            return Ok(see_other(&format!(
                "/admin/questionnaires/{code}/edition?etat=enregistre"
            )));
        }
        Err(errors) => errors,
    };
    Ok(with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        edit_page(&EditView {
            code,
            source: &source,
            emails: emails.as_deref().unwrap_or(&current.email_source),
            is_draft: true,
            errors: &errors.definition,
            email_errors: &errors.emails,
            changes: &[],
            refusals: &[],
            notice: None,
            csrf: csrf(&staff),
        }),
    ))
}

pub async fn publish(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let code = code_of(&code)?;
    match publish_draft(&state, &staff, code).await {
        Ok(_) => Ok(see_other(&format!(
            "/admin/questionnaires/{code}/edition?etat=publie"
        ))),
        Err(WebError::PublicationRefused(reasons)) => {
            let working = working(&state, code).await?;
            Ok(with_status(
                StatusCode::CONFLICT,
                edit_page(&EditView {
                    code,
                    source: &working.source,
                    emails: &working.emails,
                    is_draft: working.is_draft,
                    errors: &[],
                    email_errors: &[],
                    changes: &[],
                    refusals: &reasons,
                    notice: None,
                    csrf: csrf(&staff),
                }),
            ))
        }
        Err(other) => Err(other.into()),
    }
}

const DRAFT_PREVIEW_NOTICE: &str = "Aperçu du brouillon : ce formulaire est celui que verront les répondants après publication ; l’envoyer vérifie les réponses sans rien enregistrer.";

async fn draft_preview(
    state: &AppState,
    staff: &Staff,
    code: &str,
    values: &RawAnswers,
    checked: bool,
) -> Result<HttpResponse, PageError> {
    let code = code_of(code)?;
    let working = working(state, code).await?;
    let (status, errors, notice) = if !checked {
        (StatusCode::OK, Vec::new(), DRAFT_PREVIEW_NOTICE)
    } else {
        match validate(&working.definition, values, UnknownKeys::Ignore) {
            Ok(_) => (
                StatusCode::OK,
                Vec::new(),
                "Aperçu du brouillon : ces réponses seraient acceptées. Rien n’a été enregistré.",
            ),
            Err(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                DRAFT_PREVIEW_NOTICE,
            ),
        }
    };
    let markup = FormPage {
        questionnaire: &working.definition,
        action: format!("/admin/questionnaires/{code}/edition/apercu"),
        values,
        errors: &errors,
        allow_draft: false,
        notice: Some(notice),
        extra: Some(html! { input type="hidden" name="_csrf" value=(csrf(staff)); }),
        anonymity_threshold: state.results.anonymity_threshold,
    }
    .render();
    Ok(with_status(status, markup))
}

pub async fn preview(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    draft_preview(&state, &staff, &code, &RawAnswers::new(), false).await
}

pub async fn check_preview(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = form_body::parse(&body).map_err(|e| WebError::BadRequest(e.to_string()))?;
    draft_preview(&state, &staff, &code, &form.answers, true).await
}

#[derive(Deserialize)]
pub struct PilotQuery {
    /// Set after a purge.
    efface: Option<String>,
}

async fn render_pilot(
    state: &AppState,
    staff: &Staff,
    code: crate::domain::QuestionnaireCode,
    new_links: &[String],
    notice: Option<&str>,
) -> Result<Markup, WebError> {
    let (_, summary) = pilot_summary(state, code).await?;
    Ok(pilot_page(&PilotView {
        code,
        summary: &summary,
        new_links,
        notice,
        csrf: csrf(staff),
    }))
}

pub async fn pilot(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
    query: web::Query<PilotQuery>,
) -> Result<HttpResponse, PageError> {
    let code = code_of(&code)?;
    let notice = query
        .efface
        .as_ref()
        .map(|_| "Réponses et liens de test effacés.");
    Ok(page(render_pilot(&state, &staff, code, &[], notice).await?))
}

pub async fn create_links(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let code = code_of(&code)?;
    let open = field(&body, "ouvert").is_some();
    let count = field(&body, "nombre")
        .and_then(|n| n.trim().parse::<i64>().ok())
        .unwrap_or(if open { 1 } else { 0 });
    let count = match pilot_count(count) {
        Ok(count) => count,
        Err(_) => {
            return Err(WebError::BadRequest(format!(
                "Nombre de liens entre 1 et {} attendu.",
                editing::MAX_PILOT_LINKS
            ))
            .into());
        }
    };
    let links = editing::create_pilot_links(
        &state.db,
        code,
        count,
        open,
        &staff.identity.actor,
        state.clock.now(),
    )
    .await
    .map_err(WebError::from)?;
    let base = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let links: Vec<String> = links
        .into_iter()
        .map(|link| format!("{base}/pilote/{}", link.token))
        .collect();
    let notice = format!("{} lien(s) créé(s).", links.len());
    Ok(page(
        render_pilot(&state, &staff, code, &links, Some(&notice)).await?,
    ))
}

pub async fn purge(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let code = code_of(&code)?;
    editing::purge_pilot(&state.db, code, &staff.identity.actor, state.clock.now())
        .await
        .map_err(WebError::from)?;
    Ok(see_other(&format!(
        "/admin/questionnaires/{code}/pilote?efface=1"
    )))
}
