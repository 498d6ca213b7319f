//! `GET /api/v1/indicators?year=YYYY` (or `?wave=LABEL`): the five indicators of a period.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::report;
use super::{ApiError, AppState, WebError};
use crate::domain::QuestionnaireCode;
use crate::domain::indicators::QuestionRate;
use crate::domain::results::labels::indicator_title;
use crate::domain::results::report::{IndicatorEntry, PeriodQuery, PeriodRef};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorsQuery {
    /// AAAA ; absente ou vide : l’année en cours
    #[param(pattern = "^([0-9]{4})?$", example = "2026", nullable = false)]
    year: Option<String>,
    /// A wave's label (indicators 6 and 7), instead of a year.
    #[param(nullable = false)]
    wave: Option<String>,
}

/// The five indicators of a period.
#[derive(Serialize, ToSchema)]
pub struct IndicatorsBody {
    year: i32,
    /// The wave asked for, if any.
    #[schema(required = true)]
    wave: Option<String>,
    /// Below this many respondents, an anonymous questionnaire's results are suppressed.
    anonymity_threshold: u64,
    #[schema(value_type = Vec<IndicatorSummary>)]
    indicators: Vec<Value>,
}

/// One indicator: its value (a ratio, `null` without a valid answer), its target, n,
/// participation and 95 % interval, and what they are computed from (`indicator_json`).
#[derive(ToSchema)]
#[schema(as = Indicator)]
#[allow(dead_code)]
struct IndicatorSummary {
    code: crate::domain::QuestionnaireCode,
    title: String,
    /// `{"year"}`, `{"wave", "campaign_id"}` or `{"year", "wave": null}`.
    #[schema(value_type = Object)]
    period: Value,
    #[schema(required = true)]
    value: Option<f64>,
    #[schema(required = true)]
    target: Option<f64>,
    #[schema(required = true)]
    target_met: Option<bool>,
    #[schema(required = true, value_type = Option<crate::domain::indicators::Interval>)]
    interval: Option<(f64, f64)>,
    respondents: u64,
    /// Invitations that reached nobody: refused by the SMTP server or bounced (`null` for
    /// indicator 4).
    #[schema(required = true)]
    undeliverable: Option<u64>,
    /// Completed out of the invitations that reached someone (sent minus undeliverable),
    /// beside `participation_rate`, which the targets are measured against.
    #[schema(required = true)]
    participation_rate_reached: Option<f64>,
    anonymous: bool,
    /// Anonymous and below the threshold: nothing but counts is shown.
    suppressed: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/indicators",
    operation_id = "listIndicators",
    tag = "results",
    summary = "Les cinq indicateurs d’une année (ou d’une vague)",
    params(IndicatorsQuery),
    responses(
        (status = 200, description = "Les indicateurs", body = IndicatorsBody),
        (status = 400, response = super::openapi::BadRequest),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn index(
    state: web::Data<AppState>,
    query: web::Query<IndicatorsQuery>,
) -> Result<HttpResponse, ApiError> {
    let period = PeriodQuery::parse(
        query.year.as_deref(),
        query.wave.as_deref(),
        state.clock.now(),
    )
    .map_err(WebError::BadRequest)?;
    let overview = report::overview(&state, &period).await?;
    let indicators: Vec<Value> = overview.entries.iter().map(indicator_json).collect();
    Ok(HttpResponse::Ok()
        // Computed on each request from the current counts: never worth caching.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(IndicatorsBody {
            year: overview.year,
            wave: overview.wave,
            anonymity_threshold: state.results.anonymity_threshold,
            indicators,
        }))
}

pub(super) fn rate_json(rate: &QuestionRate) -> Value {
    json!({
        "question": rate.question,
        "favorable": rate.proportion.favorable(),
        "total": rate.proportion.total(),
        "rate": rate.rate(),
        "interval": rate.proportion.interval_95().map(|(l, h)| [l, h]),
    })
}

pub(super) fn period_json(period: &PeriodRef) -> Value {
    match period {
        PeriodRef::Year(year) => json!({ "year": year }),
        PeriodRef::Wave { label, campaign_id } => {
            json!({ "wave": label, "campaign_id": campaign_id })
        }
        PeriodRef::NoWave { year } => json!({ "year": year, "wave": null }),
    }
}

/// One indicator as the API publishes it: the value (a ratio, `null` without a valid
/// answer), its target, n, participation and 95 % interval, and what they are computed from.
pub(super) fn indicator_json(entry: &IndicatorEntry) -> Value {
    let r = &entry.report;
    let mut object = json!({
        "code": r.code,
        "title": indicator_title(r.code),
        "period": period_json(&entry.period),
        "value": r.value,
        "target": r.target,
        "target_met": r.target_met(),
        "interval": r.interval.map(|(l, h)| [l, h]),
        "respondents": r.respondents,
        "invited": r.invited(),
        "failed": r.participation.map(|p| p.failed()),
        "participation_rate": r.participation_rate(),
        "undeliverable": r.participation.map(|p| p.undeliverable()),
        "participation_rate_reached": r.participation.and_then(|p| p.rate_over_reached()),
        "participation_target": r.participation_target,
        "participation_target_met": r.participation_met(),
        "anonymous": entry.anonymous,
        "suppressed": entry.masked,
        "questions": r.mean.questions.iter().map(rate_json).collect::<Vec<_>>(),
        "questions_averaged": r.mean.questions_averaged,
        "trend": entry.trend.iter().map(|t| json!({
            "period": t.label,
            "value": t.value,
            "respondents": t.respondents,
        })).collect::<Vec<_>>(),
        "change": entry.change.as_ref().map(|(from, c)| json!({
            "from": from,
            "points": c.points,
            "p_value": c.test.map(|t| t.p_value),
            "significant": c.test.map(|t| t.significant),
        })),
    });
    if matches!(r.code, QuestionnaireCode::I6 | QuestionnaireCode::I7) {
        object["overall"] = r.overall().map_or(Value::Null, rate_json);
    }
    if r.code == QuestionnaireCode::I3_1 {
        let two_level = r.two_level.as_ref();
        object["pooled_value"] = json!(two_level.and_then(|t| t.pooled_value));
        object["companies"] = json!(two_level.map_or(0, |t| t.companies_counted));
        object["companies_with_respondents"] =
            json!(two_level.map_or(0, |t| t.companies_with_respondents));
    }
    if r.code == QuestionnaireCode::I4 {
        // Downloads are not counted yet (another issue adds them): no participation for 4.
        object["downloads"] = json!(r.downloads.map(|d| d.downloads));
    }
    object
}
