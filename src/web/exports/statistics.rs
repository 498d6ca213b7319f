//! `GET /exports/campagnes/{id}/{file}`: a campaign's responses for statisticians (SPSS,
//! R, SPSS syntax, Triple-S) and their codebook (CSV, HTML, and a staff page at
//! `/exports/campagnes/{id}/codebook`). Built by `crate::stats`, audited like every export.
//!
//! An anonymous questionnaire has no row-level file: these addresses send (303) to the
//! campaign's CSV export, which gives its aggregated answers only, as it always has.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use super::{PageResult, attachment, export_failed, slug};
use crate::stats::{CampaignData, Format, StatsError, campaign_dataset, render};
use crate::views::dashboard::codebook::{codebook_file, codebook_page};
use crate::web::{AppState, Staff, WebError, audit};

/// Reads the campaign's dataset, or says where an anonymous one's answers are.
async fn dataset(
    state: &AppState,
    id: Uuid,
) -> Result<Result<CampaignData, HttpResponse>, WebError> {
    match campaign_dataset(&state.db, &state.catalog, id).await {
        Ok(data) => Ok(Ok(data)),
        Err(StatsError::Anonymous) => Ok(Err(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/exports/campagnes/{id}/reponses.csv"),
            ))
            .finish())),
        Err(StatsError::NotFound) => Err(WebError::NotFound),
        Err(StatsError::MissingQuestionnaire(code)) => Err(WebError::MissingQuestionnaire(code)),
        Err(StatsError::Store(e)) => Err(WebError::Store(e)),
        Err(e @ StatsError::Write(_)) => Err(export_failed("statistiques", e)),
    }
}

pub async fn file(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (id, name) = path.into_inner();
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let format = Format::parse(&name).ok_or(WebError::NotFound)?;
    let data = match dataset(&state, id).await? {
        Ok(data) => data,
        Err(redirect) => return Ok(redirect),
    };
    let created = state.clock.now().naive_utc();
    let body = render(format, &data.dataset, created, |d| {
        codebook_file(d).into_string()
    })
    .map_err(|e| export_failed(format.file_name(), e))?;
    let download = format!(
        "{}-{}-{}",
        slug(data.code.as_str()),
        slug(&data.campaign.label),
        format.file_name()
    );
    audit::record(
        &state,
        &staff,
        format.audit_action(),
        &id.to_string(),
        &download,
    )
    .await?;
    Ok(attachment(format.content_type(), &download, body))
}

/// The codebook as a staff page, with the downloads.
pub async fn codebook(state: web::Data<AppState>, id: web::Path<String>) -> PageResult {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let data = match dataset(&state, id).await? {
        Ok(data) => data,
        Err(redirect) => return Ok(redirect),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(codebook_page(&data.dataset, id).into_string()))
}
