//! The staff dashboard: `/tableau-de-bord` (indicators of a year or a wave), a campaign's
//! page and printable fiches. Computed on every request: never cached.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use maud::Markup;
use serde::Deserialize;
use uuid::Uuid;

use super::report;
use super::{AppState, PageError, WebError};
use crate::domain::QuestionnaireCode;
use crate::domain::results::report::PeriodQuery;
use crate::store::results::campaigns;
use crate::views::dashboard::{
    COMPANIES_PER_PAGE, CampaignLink, campaign_page, fiche_page, home_page,
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
    let comments = report::campaign_comments(&state, &results).await?;
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
    let definition = state.catalog.get(code).map(|l| l.definition.as_ref());
    Ok(html(fiche_page(
        entry,
        definition,
        state.clock.now(),
        state.results.anonymity_threshold,
    )))
}
