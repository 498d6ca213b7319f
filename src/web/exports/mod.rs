//! Exports: a campaign's responses as CSV, a period's indicators as an XLSX workbook. The
//! printable fiche is a dashboard page (`/tableau-de-bord/fiches/{code}`).
//!
//! Anonymous questionnaires export no identifier and no row: only aggregated figures, with
//! the same suppression as the dashboard.

mod columns;
mod csv_export;
mod statistics;
mod xlsx_export;

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use self::columns::RawColumns;
use self::csv_export::{CsvFile, RAW_LEADING, aggregated, raw_row};
pub use self::statistics::{codebook, file as statistics_file};
use self::xlsx_export::Book;
use super::{AppState, PageError, Staff, WebError, audit, report};
use crate::domain::QuestionnaireCode;
use crate::domain::results::report::PeriodQuery;
use crate::domain::results::tally::DAY_DIMENSION;
use crate::domain::results::{GroupCount, measured_by_wave, paris_year_bounds};
use crate::domain::spreadsheet_cell::Figure;
use crate::store::StoreError;
use crate::store::results::campaigns;
use crate::store::results::counts::{Dimensions, Scope, group_counts, value_counts};
use crate::store::results::raw::{RawScope, StoredResponse, responses_page};

type PageResult = Result<HttpResponse, PageError>;

/// Responses read at a time: memory holds one page, plus the file being built.
const PAGE: u64 = 1000;

/// A file could not be written: a bug, not the user's fault.
fn export_failed(what: &str, error: impl std::fmt::Display) -> WebError {
    tracing::error!(%error, what, "export failed");
    WebError::Store(StoreError::Corrupt(format!("export {what} impossible")))
}

/// `Bretagne 2026` → `bretagne-2026`, for file names.
fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').chars().take(60).collect()
}

fn attachment(content_type: &str, name: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The breakdown attributes present in the counts, in a stable order.
fn dimensions(groups: &[GroupCount]) -> Vec<String> {
    let mut keys: Vec<String> = groups
        .iter()
        .filter(|g| g.dimension != DAY_DIMENSION)
        .map(|g| g.dimension.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[derive(Debug, Deserialize)]
pub struct CsvParams {
    sep: Option<String>,
}

pub async fn responses_csv(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    params: web::Query<CsvParams>,
) -> PageResult {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let separator = separator(params.sep.as_deref())?;
    let campaign = campaigns::by_id(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let code: QuestionnaireCode = campaign
        .questionnaire_code
        .parse()
        .map_err(|_| WebError::MissingQuestionnaire(campaign.questionnaire_code.clone()))?;
    let anonymous = state
        .catalog
        .get(code)
        .is_none_or(|l| l.definition.anonymous);
    let mut file = CsvFile::new(separator);
    let name = if anonymous {
        let results = report::campaign_results(&state, id, report::CompanyDetail::All).await?;
        aggregated(&mut file, &results, separator == b';').map_err(|e| export_failed("CSV", e))?;
        format!(
            "repartitions-{}-{}.csv",
            slug(code.as_str()),
            slug(&campaign.label)
        )
    } else {
        let counts = value_counts(&state.db, Scope::Campaign(id)).await?;
        let groups = group_counts(&state.db, Scope::Campaign(id), Dimensions::All).await?;
        let versions = report::versions_for(&state, code, &counts).await?;
        let columns = RawColumns::new(&versions, &counts, &dimensions(&groups));
        file.row(columns.header(&RAW_LEADING))
            .map_err(|e| export_failed("CSV", e))?;
        let mut after = None;
        loop {
            let page = responses_page(&state.db, RawScope::Campaign(id), after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for response in &page {
                raw_row(&mut file, &columns, response).map_err(|e| export_failed("CSV", e))?;
            }
        }
        format!(
            "reponses-{}-{}.csv",
            slug(code.as_str()),
            slug(&campaign.label)
        )
    };
    let body = file.finish().map_err(|e| export_failed("CSV", e))?;
    audit::record(&state, &staff, "export_csv", &id.to_string(), &name).await?;
    Ok(attachment("text/csv; charset=utf-8", &name, body))
}

#[derive(Debug, Deserialize)]
pub struct PeriodParams {
    annee: Option<String>,
    vague: Option<String>,
}

pub async fn indicators_xlsx(
    state: web::Data<AppState>,
    staff: Staff,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let period = PeriodQuery::parse(
        params.annee.as_deref(),
        params.vague.as_deref(),
        state.clock.now(),
    )
    .map_err(WebError::BadRequest)?;
    let overview = report::overview(&state, &period).await?;
    let failed = |e: rust_xlsxwriter::XlsxError| export_failed("XLSX", e);
    let mut book = Book::default();
    book.summary(&overview).map_err(failed)?;
    for entry in &overview.entries {
        let loaded = state.catalog.get(entry.report.code);
        let definition = loaded.as_ref().map(|l| l.definition.as_ref());
        book.indicator(entry, definition).map_err(failed)?;
    }

    // Raw responses of the year, for the questionnaires that are not anonymous.
    let year = overview.year;
    let labels: HashMap<Uuid, String> = campaigns::all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.label))
        .collect();
    let mut parts: Vec<(QuestionnaireCode, RawColumns, RawScope)> = Vec::new();
    for code in QuestionnaireCode::ALL {
        let exportable = state
            .catalog
            .get(code)
            .is_some_and(|l| !l.definition.anonymous);
        if !exportable || measured_by_wave(code) {
            continue;
        }
        let counts: Vec<_> = value_counts(&state.db, Scope::PerPeriod(code))
            .await?
            .into_iter()
            .filter(|c| c.period == year)
            .collect();
        let groups: Vec<_> = group_counts(&state.db, Scope::PerPeriod(code), Dimensions::All)
            .await?
            .into_iter()
            .filter(|g| g.period == year)
            .collect();
        let versions = report::versions_for(&state, code, &counts).await?;
        let columns = RawColumns::new(&versions, &counts, &dimensions(&groups));
        let scope = if code == QuestionnaireCode::I4 {
            let day = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or_default();
            RawScope::SubmittedBetween {
                code,
                from: day(1, 1),
                to: day(12, 31),
            }
        } else {
            let (from, to) = paris_year_bounds(year);
            RawScope::SentBetween { code, from, to }
        };
        parts.push((code, columns, scope));
    }
    let header: Vec<(QuestionnaireCode, &RawColumns)> = parts
        .iter()
        .map(|(code, columns, _)| (*code, columns))
        .collect();
    book.raw_header(&header).map_err(failed)?;
    let campaign_of = |r: &StoredResponse| labels.get(&r.campaign_id).cloned().unwrap_or_default();
    let mut offset: u16 = 4;
    for (code, columns, scope) in &parts {
        let mut after = None;
        loop {
            let page = responses_page(&state.db, *scope, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            book.raw_rows(*code, &campaign_of, columns, offset, &page)
                .map_err(failed)?;
        }
        offset = offset.saturating_add(u16::try_from(columns.header(&[]).len()).unwrap_or(0));
    }
    let (resources, _, _) = super::widget_results::year_results(&state, year).await?;
    book.resources(&resources).map_err(failed)?;
    book.note(
        "Indicateurs 6 et 7 : questionnaires anonymes, aucune réponse individuelle exportée.",
    )
    .map_err(failed)?;
    let body = book.finish().map_err(failed)?;
    let name = match &overview.wave {
        Some(wave) => format!("indicateurs-vague-{}.xlsx", slug(wave)),
        None => format!("indicateurs-{year}.xlsx"),
    };
    audit::record(&state, &staff, "export_xlsx", "indicateurs", &name).await?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &name,
        body,
    ))
}

#[derive(Debug, Deserialize)]
pub struct ResourcesParams {
    annee: Option<String>,
    sep: Option<String>,
}

/// `GET /exports/ressources.csv?annee=YYYY[&sep=,]`: indicator 4 per resource of the year.
pub async fn resources_csv(
    state: web::Data<AppState>,
    staff: Staff,
    params: web::Query<ResourcesParams>,
) -> PageResult {
    let separator = separator(params.sep.as_deref())?;
    let year = super::widget_results::year_param(&state, params.annee.as_deref())?;
    let (results, _, _) = super::widget_results::year_results(&state, year).await?;
    let mut file = CsvFile::new(separator);
    let decimal_comma = separator == b';';
    let decimal = |v: Option<f64>| Figure::decimal(v, decimal_comma);
    let failed = |e| export_failed("CSV", e);
    file.row(xlsx_export::RESOURCE_COLUMNS).map_err(failed)?;
    for r in &results.resources {
        let s = r.rates.satisfaction;
        let interval = s.interval_95();
        file.row_with_figures(
            xlsx_export::resource_cells(r),
            [
                decimal(s.rate()),
                decimal(interval.map(|b| b.0)),
                decimal(interval.map(|b| b.1)),
                Figure::count(s.favorable()),
                Figure::count(s.total()),
                Figure::count(r.rates.participation.downloads),
                decimal(r.rates.participation.rate()),
            ],
        )
        .map_err(failed)?;
    }
    let body = file.finish().map_err(|e| export_failed("CSV", e))?;
    let name = format!("ressources-{year}.csv");
    audit::record(&state, &staff, "export_csv", "ressources", &name).await?;
    Ok(attachment("text/csv; charset=utf-8", &name, body))
}

/// `;` (French Excel, the default) or `,`.
fn separator(raw: Option<&str>) -> Result<u8, WebError> {
    match raw {
        None | Some(";") => Ok(b';'),
        Some(",") => Ok(b','),
        Some(_) => Err(WebError::BadRequest(
            "Séparateur inconnu : « ; » (par défaut) ou « , ».".into(),
        )),
    }
}
