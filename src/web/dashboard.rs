//! The staff dashboard: `/tableau-de-bord` (indicators of a year or a wave), a campaign's
//! page and printable fiches. Computed on every request: never cached.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use maud::Markup;
use serde::Deserialize;
use uuid::Uuid;

use super::report;
use super::{AppState, PageError, Staff, WebError, widget_results};
use crate::domain::QuestionnaireCode;
use crate::domain::results::report::PeriodQuery;
use crate::domain::staff::Permission;
use crate::store::results::campaigns;
use crate::views::dashboard::{
    COMMENTS_ON_PAGE, COMPANIES_PER_PAGE, CampaignLink, campaign_page, fiche_page, home_page,
    resources_page,
};

type PageResult = Result<HttpResponse, PageError>;

fn html(markup: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        // Figures change with every response: a cached page would be a stale one.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

#[derive(Debug, Deserialize)]
pub struct PeriodParams {
    annee: Option<String>,
    vague: Option<String>,
}

fn period(state: &AppState, params: &PeriodParams) -> Result<PeriodQuery, WebError> {
    PeriodQuery::parse(
        params.annee.as_deref(),
        params.vague.as_deref(),
        state.clock.now(),
    )
    .map_err(WebError::BadRequest)
}

pub async fn home(state: web::Data<AppState>, params: web::Query<PeriodParams>) -> PageResult {
    let period = period(&state, &params)?;
    let overview = report::overview(&state, &period).await?;
    let campaigns: Vec<CampaignLink> = campaigns::all(&state.db)
        .await?
        .into_iter()
        .filter_map(|c| {
            Some(CampaignLink {
                code: c.questionnaire_code.parse().ok()?,
                id: c.id,
                label: c.label,
                status: c.status,
            })
        })
        .collect();
    Ok(html(home_page(
        &overview,
        &campaigns,
        state.results.anonymity_threshold,
    )))
}

#[derive(Debug, Deserialize)]
pub struct CampaignParams {
    /// How many companies to skip in the table of 3.1's companies.
    entreprises: Option<u64>,
}

pub async fn campaign(
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<CampaignParams>,
) -> PageResult {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let detail = report::CompanyDetail::Page {
        offset: params.entreprises.unwrap_or(0),
        limit: COMPANIES_PER_PAGE,
    };
    let results = report::campaign_results(&state, id, detail).await?;
    let comments = report::campaign_comments(&state, &results, Some(COMMENTS_ON_PAGE)).await?;
    Ok(html(campaign_page(&results, comments.as_deref())))
}

pub async fn fiche(
    state: web::Data<AppState>,
    code: web::Path<String>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let code: QuestionnaireCode = code.parse().map_err(|_| WebError::NotFound)?;
    let period = period(&state, &params)?;
    let overview = report::overview(&state, &period).await?;
    let entry = overview
        .entries
        .iter()
        .find(|e| e.report.code == code)
        .ok_or(WebError::NotFound)?;
    let loaded = state.catalog.get(code);
    Ok(html(fiche_page(
        entry,
        loaded.as_ref().map(|l| l.definition.as_ref()),
        state.clock.now(),
        state.results.anonymity_threshold,
    )))
}

#[derive(Debug, Deserialize)]
pub struct YearParams {
    annee: Option<String>,
}

/// `/tableau-de-bord/ressources?annee=YYYY`: indicator 4 per theme and resource, and the
/// comments to read.
pub async fn resources(
    state: web::Data<AppState>,
    staff: Staff,
    params: web::Query<YearParams>,
) -> PageResult {
    let year = widget_results::year_param(&state, params.annee.as_deref())?;
    let (results, _, _) = widget_results::year_results(&state, year).await?;
    let comments = widget_results::year_comments(&state, year).await?;
    // Hiding a comment is moderation (admins); the form carries the session's CSRF token.
    let moderation = staff
        .identity
        .role
        .may(Permission::Admin)
        .then(|| staff.csrf.as_deref().unwrap_or_default());
    Ok(html(resources_page(&results, &comments, moderation)))
}

/// `POST /tableau-de-bord/commentaires/{response_id}/masquer`: hides the comment, then back
/// to the list (303).
pub async fn hide_comment(
    state: web::Data<AppState>,
    staff: Staff,
    response_id: web::Path<String>,
    form: web::Form<YearParams>,
) -> PageResult {
    let response_id = Uuid::parse_str(&response_id).map_err(|_| WebError::NotFound)?;
    let year = widget_results::year_param(&state, form.annee.as_deref())?;
    if !crate::store::widget::hide_comment(&state.db, response_id, state.clock.now()).await? {
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
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/tableau-de-bord/ressources?annee={year}#titre-commentaires"),
        ))
        .finish())
}
