//! Staff edit, pilot and publish a questionnaire, as a program would: its draft (TOML, like
//! the files), links to try it, what the pilot gave, and the publication, refused with its
//! reasons when it would change the meaning of answers already stored.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use std::sync::Arc;

use super::{ApiError, AppState, Staff, WebError};
use crate::catalog::{LoadedQuestionnaire, content_version};
use crate::domain::QuestionnaireCode;
use crate::domain::email_template::EmailTemplate;
use crate::domain::pilot::{PilotAnswers, PilotSummary, summarize};
use crate::domain::questionnaire::{DefinitionError, Questionnaire, diff, parse_draft, refusals};
use crate::domain::registration::FieldError;
use crate::store::editing;

/// The questionnaire's code from the path: an unknown one is a 404.
pub(super) fn code_of(raw: &str) -> Result<QuestionnaireCode, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// What staff are working on: the saved draft, else the version in use.
pub(super) struct Working {
    pub source: String,
    pub definition: Questionnaire,
    /// Whether it is a saved draft (else the version in use).
    pub is_draft: bool,
    /// The emails' text: the draft's when it changes them, else those in use.
    pub emails: String,
    pub email: EmailTemplate,
    /// Whether the draft changes the emails.
    pub draft_emails: bool,
}

impl Working {
    pub fn version(&self) -> String {
        content_version(&self.source)
    }

    /// The emails to keep with the draft: none when it leaves them as they are.
    pub fn emails_to_keep(&self) -> Option<&str> {
        self.draft_emails.then_some(self.emails.as_str())
    }
}

pub(super) fn in_use(
    state: &AppState,
    code: QuestionnaireCode,
) -> Result<Arc<LoadedQuestionnaire>, WebError> {
    state
        .catalog
        .get(code)
        .ok_or_else(|| WebError::MissingQuestionnaire(code.to_string()))
}

pub(super) async fn working(
    state: &AppState,
    code: QuestionnaireCode,
) -> Result<Working, WebError> {
    let current = in_use(state, code)?;
    let saved = editing::draft(&state.db, code).await?.and_then(|draft| {
        let definition = parse_draft(&draft.source, code).ok()?;
        Some((draft, definition))
    });
    let (source, definition, is_draft, draft_emails) = match saved {
        Some((draft, definition)) => (draft.source, definition, true, draft.emails),
        None => (
            current.source.clone(),
            current.definition.as_ref().clone(),
            false,
            None,
        ),
    };
    // Saved emails were checked; ones that no longer read are left out, not shown broken.
    let draft_emails =
        draft_emails.and_then(|text| EmailTemplate::parse(&text).ok().map(|email| (text, email)));
    let (emails, email, draft_emails) = match draft_emails {
        Some((text, email)) => (text, email, true),
        None => (
            current.email_source.clone(),
            current.email.as_ref().clone(),
            false,
        ),
    };
    Ok(Working {
        source,
        definition,
        is_draft,
        emails,
        email,
        draft_emails,
    })
}

/// What publishing `draft` would change, and what would refuse it (in French).
pub(super) struct Review {
    pub changes: Vec<String>,
    pub refusals: Vec<String>,
}

/// Reviews a draft's definition, and its emails when it changes them.
pub(super) async fn review(
    state: &AppState,
    draft: &Questionnaire,
    emails: Option<&EmailTemplate>,
) -> Result<Review, WebError> {
    let code = draft.code;
    let current = in_use(state, code)?;
    let context = editing::publish_context(&state.db, code).await?;
    let mut changes: Vec<String> = diff(&current.definition, draft)
        .iter()
        .map(ToString::to_string)
        .collect();
    if let Some(emails) = emails {
        changes.extend(current.email.changes_to(emails));
    }
    Ok(Review {
        changes,
        refusals: refusals(Some(&current.definition), draft, &context)
            .iter()
            .map(ToString::to_string)
            .collect(),
    })
}

/// A text body as UTF-8, else a definition error at its first line.
pub(super) fn utf8_source(body: &[u8]) -> Result<&str, WebError> {
    std::str::from_utf8(body).map_err(|_| {
        WebError::InvalidDefinition(vec![DefinitionError::at_line(
            1,
            "le texte n'est pas en UTF-8",
        )])
    })
}

/// A draft checked, ready to save.
pub(super) struct CheckedDraft<'a> {
    pub source: &'a str,
    pub definition: Questionnaire,
    /// Its emails, when they differ from those in use.
    pub emails: Option<(&'a str, EmailTemplate)>,
}

/// The errors of a draft, per text, each at its line and column.
#[derive(Debug, Default)]
pub(super) struct DraftErrors {
    pub definition: Vec<DefinitionError>,
    pub emails: Vec<DefinitionError>,
}

impl From<DraftErrors> for WebError {
    fn from(errors: DraftErrors) -> Self {
        WebError::InvalidDefinition(errors.definition.into_iter().chain(errors.emails).collect())
    }
}

/// Checks a draft of the questionnaire `current`: its definition like a file of
/// `questionnaires/`, its emails (if given) like a file of `emails/`. Emails identical to
/// those in use are no change: the draft leaves them as they are.
pub(super) fn check<'a>(
    current: &LoadedQuestionnaire,
    source: &'a str,
    emails: Option<&'a str>,
) -> Result<CheckedDraft<'a>, DraftErrors> {
    let definition = parse_draft(source, current.definition.code);
    let emails = emails
        .filter(|text| *text != current.email_source)
        .map(|text| EmailTemplate::parse(text).map(|email| (text, email)))
        .transpose();
    match (definition, emails) {
        (Ok(definition), Ok(emails)) => Ok(CheckedDraft {
            source,
            definition,
            emails,
        }),
        (definition, emails) => Err(DraftErrors {
            definition: definition.err().unwrap_or_default(),
            emails: emails.err().unwrap_or_default(),
        }),
    }
}

/// Saves a checked draft.
pub(super) async fn save(
    state: &AppState,
    staff: &Staff,
    code: QuestionnaireCode,
    draft: &CheckedDraft<'_>,
) -> Result<(), WebError> {
    editing::save_draft(
        &state.db,
        code,
        draft.source,
        draft.emails.as_ref().map(|(text, _)| *text),
        &staff.identity.actor,
        state.clock.now(),
    )
    .await?;
    Ok(())
}

/// Publishes the saved draft of `code` unless a change is refused; in use here at once, on
/// the other instances within seconds. Returns the version and the changes.
pub(super) async fn publish_draft(
    state: &AppState,
    staff: &Staff,
    code: QuestionnaireCode,
) -> Result<(String, Vec<String>), WebError> {
    let Some(draft) = editing::draft(&state.db, code).await? else {
        return Err(WebError::PublicationRefused(vec![
            "aucun brouillon à publier : enregistrez d'abord un brouillon.".to_owned(),
        ]));
    };
    let current = in_use(state, code)?;
    let checked = check(&current, &draft.source, draft.emails.as_deref())?;
    let review = review(
        state,
        &checked.definition,
        checked.emails.as_ref().map(|(_, email)| email),
    )
    .await?;
    if !review.refusals.is_empty() {
        return Err(WebError::PublicationRefused(review.refusals));
    }
    let emails_text = checked.emails.as_ref().map(|(text, _)| *text);
    let version = editing::publish(
        &state.db,
        code,
        checked.source,
        emails_text,
        &staff.identity.actor,
        state.clock.now(),
    )
    .await?;
    state.catalog.publish(
        checked.definition,
        checked.source.to_owned(),
        checked.emails.map(|(text, email)| (email, text.to_owned())),
    );
    Ok((version, review.changes))
}

/// The pilot of `code` summed up against what staff are working on.
pub(super) async fn pilot_summary(
    state: &AppState,
    code: QuestionnaireCode,
) -> Result<(Working, PilotSummary), WebError> {
    let working = working(state, code).await?;
    let responses: Vec<PilotAnswers> = editing::pilot_responses(&state.db, code)
        .await?
        .into_iter()
        .map(|r| PilotAnswers {
            seconds: r
                .started_at
                .map(|started| (r.submitted_at - started).num_seconds().max(0)),
            answers: r.answers,
        })
        .collect();
    let summary = summarize(&working.definition, &responses);
    Ok((working, summary))
}

#[utoipa::path(
    get,
    path = "/api/v1/questionnaires/{code}/draft",
    operation_id = "showQuestionnaireDraft",
    tag = "questionnaires",
    summary = "Le brouillon d’un questionnaire (TOML), sinon la version en vigueur",
    params(("code" = String, Path, example = "i3.1", description = "i3.1, i3.2, i4, i6 ou i7")),
    responses(
        (status = 200, description = "La définition, en TOML (en-tête `X-Jalon-Draft` : `saved` pour un brouillon enregistré, `published` pour la version en vigueur)", body = String, content_type = "application/toml"),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn show_draft(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code_of(&code)?;
    let working = working(&state, code).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/toml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            "X-Jalon-Draft",
            if working.is_draft {
                "saved"
            } else {
                "published"
            },
        ))
        .body(working.source))
}

/// A saved draft: its version, and what publishing it would change or refuse.
#[derive(Serialize, ToSchema)]
pub struct DraftSaved {
    /// SHA-256 of the draft's text.
    version: String,
    /// The changes from the version in use, in French.
    changes: Vec<String>,
    /// What would refuse its publication now, each with what to do instead (empty: it can be
    /// published).
    refusals: Vec<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/questionnaires/{code}/draft",
    operation_id = "saveQuestionnaireDraft",
    tag = "questionnaires",
    summary = "Enregistrer le brouillon d’un questionnaire (TOML)",
    description = "Le texte est vérifié comme les fichiers (`jalon questionnaires check`) ; chaque erreur est donnée avec sa ligne et sa colonne, et rien n’est enregistré. Son code doit être celui du chemin.",
    params(("code" = String, Path, example = "i3.1", description = "i3.1, i3.2, i4, i6 ou i7")),
    request_body(content = String, content_type = "text/plain", description = "La définition en TOML, comme un fichier de `questionnaires/` (tout type de contenu est lu comme ce texte, `application/toml` compris)"),
    responses(
        (status = 200, description = "Enregistré", body = DraftSaved),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 413, response = super::openapi::TooLarge),
        (status = 422, response = super::openapi::InvalidDefinition),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn save_draft(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let code = code_of(&code)?;
    let source = utf8_source(&body)?;
    let working = working(&state, code).await?;
    let current = in_use(&state, code)?;
    let draft = check(&current, source, working.emails_to_keep()).map_err(WebError::from)?;
    save(&state, &staff, code, &draft).await?;
    saved(&state, &draft).await
}

/// The answer to a saved draft: its version, what publishing it would change or refuse.
async fn saved(state: &AppState, draft: &CheckedDraft<'_>) -> Result<HttpResponse, ApiError> {
    let review = review(
        state,
        &draft.definition,
        draft.emails.as_ref().map(|(_, email)| email),
    )
    .await?;
    Ok(HttpResponse::Ok().json(DraftSaved {
        version: content_version(draft.source),
        changes: review.changes,
        refusals: review.refusals,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/questionnaires/{code}/draft/emails",
    operation_id = "showQuestionnaireDraftEmails",
    tag = "questionnaires",
    summary = "Les messages (invitation, relance) du brouillon (TOML), sinon ceux en vigueur",
    params(("code" = String, Path, example = "i3.1", description = "i3.1, i3.2, i4, i6 ou i7")),
    responses(
        (status = 200, description = "Les messages, en TOML comme un fichier de `questionnaires/emails/` (en-tête `X-Jalon-Draft` : `saved` si le brouillon les modifie, `published` pour ceux en vigueur)", body = String, content_type = "application/toml"),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn show_draft_emails(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code_of(&code)?;
    let working = working(&state, code).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/toml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            "X-Jalon-Draft",
            if working.draft_emails {
                "saved"
            } else {
                "published"
            },
        ))
        .body(working.emails))
}

#[utoipa::path(
    put,
    path = "/api/v1/questionnaires/{code}/draft/emails",
    operation_id = "saveQuestionnaireDraftEmails",
    tag = "questionnaires",
    summary = "Enregistrer les messages (invitation, relance) du brouillon (TOML)",
    description = "Le texte est vérifié comme les fichiers de `questionnaires/emails/` : clés `subject`, `body`, `reminder_subject`, `reminder_body` ; variables connues seulement ; `{lien}` et `{desinscription}` dans chaque texte. Chaque erreur est donnée avec sa ligne et sa colonne, et rien n’est enregistré. Ils sont publiés avec le brouillon ; sans brouillon, la définition en vigueur en devient un.",
    params(("code" = String, Path, example = "i3.1", description = "i3.1, i3.2, i4, i6 ou i7")),
    request_body(content = String, content_type = "text/plain", description = "Les messages en TOML, comme un fichier de `questionnaires/emails/` (tout type de contenu est lu comme ce texte, `application/toml` compris)"),
    responses(
        (status = 200, description = "Enregistrés", body = DraftSaved),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 413, response = super::openapi::TooLarge),
        (status = 422, response = super::openapi::InvalidDefinition),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn save_draft_emails(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let code = code_of(&code)?;
    let emails = utf8_source(&body)?;
    let working = working(&state, code).await?;
    let current = in_use(&state, code)?;
    let draft = check(&current, &working.source, Some(emails)).map_err(WebError::from)?;
    save(&state, &staff, code, &draft).await?;
    saved(&state, &draft).await
}

/// How many pilot links to make.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PilotLinksInput {
    /// Personal links, one response each (1 to 200).
    #[schema(minimum = 1, maximum = 200)]
    count: i64,
    /// One open link instead, answerable any number of times (`count`, still 1 to 200, is
    /// then ignored).
    #[serde(default)]
    open: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PilotLinks {
    /// Shown once: only their hashes are kept.
    links: Vec<PilotLinkJson>,
}

#[derive(Serialize, ToSchema)]
struct PilotLinkJson {
    /// The page to answer the draft at (`/pilote/…`), to put after the site's address.
    path: String,
    open: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/questionnaires/{code}/draft/pilot-links",
    operation_id = "createPilotLinks",
    tag = "questionnaires",
    summary = "Créer des liens de test du brouillon",
    description = "Les réponses données par ces liens sont gardées à part : elles ne comptent dans aucun indicateur, taux, ventilation ni export.",
    params(("code" = String, Path, example = "i3.1", description = "i3.1, i3.2, i4, i6 ou i7")),
    request_body = PilotLinksInput,
    responses(
        (status = 201, description = "Les liens", body = PilotLinks),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 413, response = super::openapi::TooLarge),
        (status = 422, response = super::openapi::InvalidFields),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn create_pilot_links(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
    body: web::Json<PilotLinksInput>,
) -> Result<HttpResponse, ApiError> {
    let code = code_of(&code)?;
    let count = pilot_count(body.count)?;
    let links = editing::create_pilot_links(
        &state.db,
        code,
        count,
        body.open,
        &staff.identity.actor,
        state.clock.now(),
    )
    .await
    .map_err(WebError::from)?;
    Ok(HttpResponse::Created().json(PilotLinks {
        links: links
            .into_iter()
            .map(|link| PilotLinkJson {
                path: format!("/pilote/{}", link.token),
                open: link.open,
            })
            .collect(),
    }))
}

/// The number of personal links asked for, checked (also with an open link, which ignores
/// it: the same body is valid or not whatever `open` says).
pub(super) fn pilot_count(count: i64) -> Result<u32, WebError> {
    match u32::try_from(count) {
        Ok(n) if (1..=editing::MAX_PILOT_LINKS).contains(&n) => Ok(n),
        _ => Err(WebError::InvalidFields(vec![FieldError {
            field: "count".into(),
            message: format!(
                "nombre de liens entre 1 et {} attendu",
                editing::MAX_PILOT_LINKS
            ),
        }])),
    }
}

/// The pilot's responses summed up against the draft.
#[derive(Serialize, ToSchema)]
pub struct PilotResults {
    /// SHA-256 of the definition the responses are read against (the draft, else the
    /// version in use).
    version: String,
    #[serde(flatten)]
    summary: PilotSummary,
}

#[utoipa::path(
    get,
    path = "/api/v1/questionnaires/{code}/draft/pilot-results",
    operation_id = "showPilotResults",
    tag = "questionnaires",
    summary = "Les réponses de test du brouillon, question par question",
    description = "Réponses par option, textes écrits, questions laissées vides, temps de réponse. Ces réponses ne comptent nulle part ailleurs.",
    params(("code" = String, Path, example = "i3.1", description = "i3.1, i3.2, i4, i6 ou i7")),
    responses(
        (status = 200, description = "Le bilan du test", body = PilotResults),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn pilot_results(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code_of(&code)?;
    let (working, summary) = pilot_summary(&state, code).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PilotResults {
            version: working.version(),
            summary,
        }))
}

#[derive(Serialize, ToSchema)]
pub struct PilotPurged {
    /// Pilot responses deleted (the links go too).
    deleted: u64,
}

#[utoipa::path(
    delete,
    path = "/api/v1/questionnaires/{code}/draft/pilot-results",
    operation_id = "purgePilotResults",
    tag = "questionnaires",
    summary = "Effacer les réponses et les liens de test",
    params(("code" = String, Path, example = "i3.1", description = "i3.1, i3.2, i4, i6 ou i7")),
    responses(
        (status = 200, description = "Effacés", body = PilotPurged),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn purge_pilot(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code_of(&code)?;
    let deleted = editing::purge_pilot(&state.db, code, &staff.identity.actor, state.clock.now())
        .await
        .map_err(WebError::from)?;
    Ok(HttpResponse::Ok().json(PilotPurged { deleted }))
}

#[derive(Serialize, ToSchema)]
pub struct Published {
    /// SHA-256 of the version now in use.
    version: String,
    /// What changed, in French.
    changes: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/questionnaires/{code}/publish",
    operation_id = "publishQuestionnaire",
    tag = "questionnaires",
    summary = "Publier le brouillon",
    description = "Le brouillon devient la version des nouvelles invitations et réponses, sur toutes les instances en quelques secondes ; ses messages aussi, s’il les modifie (sinon ceux en vigueur restent). Refusé (409, avec les raisons) s’il changerait le sens de réponses déjà enregistrées : option retirée qui a des réponses, type ou échelle changés, valeurs favorables changées pendant une campagne ouverte, identifiant d’une ancienne question réutilisé, questionnaire anonyme pendant une vague ouverte ; ou s’il n’y a pas de brouillon.",
    params(("code" = String, Path, example = "i3.1", description = "i3.1, i3.2, i4, i6 ou i7")),
    responses(
        (status = 200, description = "Publié", body = Published),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 409, description = "Refusé : chaque raison dit quoi faire à la place ; rien n’est publié", body = super::error::RefusedBody),
        (status = 422, response = super::openapi::InvalidDefinition),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn publish(
    state: web::Data<AppState>,
    staff: Staff,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code_of(&code)?;
    let (version, changes) = publish_draft(&state, &staff, code).await?;
    Ok(HttpResponse::Ok().json(Published { version, changes }))
}
