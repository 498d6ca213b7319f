//! `/admin/imports`: the CSV imports of `jalon import` as a file upload, with the same
//! line-by-line report. The form is `multipart/form-data`, so its CSRF token travels in the
//! action's query string (`?_csrf=`), where the guard reads it.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use futures_util::StreamExt as _;
use uuid::Uuid;

use super::{csrf, html};
use crate::domain::QuestionnaireCode;
use crate::import::{self, ImportError, ImportKind};
use crate::store::results::campaigns;
use crate::views::admin::{WaveChoice, import_report_page, imports_page};
use crate::web::{AppState, PageError, Staff, WebError, audit};

/// Largest file accepted (a year of interventions is far smaller).
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

async fn waves(state: &AppState) -> Result<Vec<WaveChoice>, WebError> {
    let mut waves = Vec::new();
    for code in [QuestionnaireCode::I6, QuestionnaireCode::I7] {
        for c in campaigns::of_questionnaire(&state.db, code).await? {
            waves.push(WaveChoice {
                id: c.id,
                label: format!("{} – {}", code, c.label),
            });
        }
    }
    Ok(waves)
}

pub async fn page(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, PageError> {
    Ok(html(imports_page(&waves(&state).await?, csrf(&staff))))
}

/// The fields of the upload form.
#[derive(Default)]
struct Upload {
    kind: String,
    wave: String,
    skip_invalid: bool,
    file: Vec<u8>,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, WebError> {
    let bad = |m: &str| WebError::BadRequest(m.to_owned());
    let mut upload = Upload::default();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| bad(&format!("formulaire illisible : {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| bad(&format!("envoi interrompu : {e}")))?;
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                return Err(bad("Fichier trop volumineux (5 Mo au plus)."));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
        match name.as_str() {
            "type" => upload.kind = text(),
            "vague" => upload.wave = text(),
            "lignes_valides" => upload.skip_invalid = text() == "oui",
            "fichier" => upload.file = bytes,
            _ => {}
        }
    }
    Ok(upload)
}

pub async fn upload(
    state: web::Data<AppState>,
    staff: Staff,
    multipart: Multipart,
) -> Result<HttpResponse, PageError> {
    let upload = read_upload(multipart).await?;
    let kind = match upload.kind.as_str() {
        "interventions" => ImportKind::Interventions,
        "coproductions" => ImportKind::Coproductions,
        "roster" => ImportKind::Roster(
            Uuid::parse_str(&upload.wave)
                .map_err(|_| WebError::BadRequest("Choisissez la vague de cette liste.".into()))?,
        ),
        _ => return Err(WebError::BadRequest("Type d’import inconnu.".into()).into()),
    };
    if upload.file.is_empty() {
        return Err(WebError::BadRequest("Choisissez un fichier CSV.".into()).into());
    }
    let report = match import::run(
        &state.db,
        state.seal_key.links(),
        &state.catalog,
        kind,
        &upload.file,
        upload.skip_invalid,
        state.clock.now(),
        &crate::progress::Silent,
    )
    .await
    {
        Ok(report) => report,
        Err(ImportError::Store(e)) => return Err(WebError::Store(e).into()),
        Err(other) => return Err(WebError::BadRequest(other.to_string()).into()),
    };
    audit::record(
        &state,
        &staff,
        "import_csv",
        &upload.kind,
        &format!(
            "{} ligne(s), {} acceptée(s), {} nouvelle(s), {} rejetée(s){}",
            report.rows,
            report.accepted,
            report.created,
            report.rejected.len(),
            if report.aborted {
                ", rien importé"
            } else {
                ""
            }
        ),
    )
    .await?;
    let status = if report.rejected.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(import_report_page(&report).into_string()))
}
