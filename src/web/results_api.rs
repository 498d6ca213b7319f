//! `GET /api/v1/campaigns/{id}/results`: a campaign's indicator, per-question counts and
//! breakdowns (suppressed where an anonymous questionnaire requires it).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::indicators_api::rate_json;
use super::report;
use super::{ApiError, AppState, WebError};
use crate::domain::results::report::CampaignResults;

/// A campaign's results, as `results_json` builds them.
#[derive(ToSchema)]
#[allow(dead_code)]
struct CampaignResultsBody {
    campaign: CampaignRef,
    anonymous: bool,
    anonymity_threshold: u64,
    /// Anonymous and below the threshold: nothing but counts is shown.
    suppressed: bool,
    respondents: u64,
    /// Invitations sent, failed, delivered, answered and opened, and the rate (`rate`, what the
    /// targets are measured against); those that reached nobody (`undeliverable`: refused or
    /// bounced), the others (`reached`) and the rate over them (`rate_over_reached`); `null`
    /// for an open campaign.
    #[schema(required = true, value_type = Option<Object>)]
    participation: Option<Value>,
    #[schema(required = true)]
    delivery: Option<crate::domain::results::report::DeliveryBacklog>,
    /// The previous wave the groups are compared with.
    #[schema(required = true)]
    compared_with: Option<String>,
    #[schema(value_type = Object)]
    indicator: Value,
    /// Counts per question and option.
    #[schema(value_type = Vec<Object>)]
    questions: Vec<Value>,
    /// Breakdowns by attribute, groups below the threshold suppressed.
    #[schema(value_type = Vec<Object>)]
    breakdowns: Vec<Value>,
    /// Participation per roster attribute (6, 7).
    #[schema(value_type = Vec<Object>)]
    participation_by_group: Vec<Value>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct CampaignRef {
    id: Uuid,
    questionnaire: crate::domain::QuestionnaireCode,
    label: String,
    status: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/results",
    operation_id = "showCampaignResults",
    tag = "results",
    summary = "Les résultats d’une campagne",
    description = "Indicateur, décomptes par question, ventilations (masquées sous le seuil d’anonymat).",
    params(("id" = Uuid, Path, description = "La campagne")),
    responses(
        (status = 200, description = "Indicateur, décomptes par question, ventilations (masquées sous le seuil d’anonymat)", body = CampaignResultsBody),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn show(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let results = report::campaign_results(&state, id, report::CompanyDetail::All).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(results_json(&results)))
}

fn results_json(results: &CampaignResults) -> Value {
    let r = &results.report;
    let c = &results.campaign;
    let questions: Vec<Value> = results
        .distributions
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "text": d.text,
                "type": d.kind,
                "scored": d.scored,
                "overall": d.overall,
                "answered": d.answered,
                "options": d.options.iter().map(|o| json!({
                    "value": o.value,
                    "label": o.label,
                    "count": o.count,
                    "favorable": o.favorable,
                    "not_applicable": o.not_applicable,
                })).collect::<Vec<_>>(),
                "rate": d.rate.as_ref().map(rate_json),
            })
        })
        .collect();
    let breakdowns: Vec<Value> = results
        .breakdowns
        .iter()
        .map(|b| {
            json!({
                "key": b.breakdown.dimension,
                "label": b.label,
                "total": b.breakdown.total,
                "suppressed_groups": b.breakdown.hidden_count(),
                "groups": b.breakdown.groups.iter().zip(&b.group_labels).map(|(g, label)| json!({
                    "value": g.group,
                    "label": label,
                    "respondents": g.respondents,
                    "indicator": g.value,
                    "overall_rate": g.overall.and_then(|p| p.rate()),
                    "suppressed": g.hidden,
                    "change": g.change.map(|c| json!({
                        "points": c.points,
                        "z": c.test.map(|t| t.z),
                        "p_value": c.test.map(|t| t.p_value),
                        "significant": c.test.map(|t| t.significant),
                    })),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let participation_by_group: Vec<Value> = results
        .participation_groups
        .iter()
        .map(|t| {
            json!({
                "key": t.key,
                "label": t.label,
                "invited": t.breakdown.invited,
                "completed": t.breakdown.completed,
                "groups": t.breakdown.groups.iter().zip(&t.group_labels).map(|(g, label)| json!({
                    "value": g.label,
                    "label": label,
                    "invited": g.invited,
                    "completed": g.completed,
                    "rate": g.rate,
                    "suppressed": g.completed.is_none(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut body = json!({
        "participation_by_group": participation_by_group,
        "compared_with": results.previous_wave,
        "campaign": {
            "id": c.id,
            "questionnaire": results.code,
            "label": c.label,
            "status": c.status,
        },
        "anonymous": results.anonymous,
        "anonymity_threshold": results.threshold,
        "suppressed": results.masked,
        "respondents": r.respondents,
        "participation": results.participation.map(|p| json!({
            "sent": p.sent(),
            "failed": p.failed(),
            "delivered": p.delivered(),
            "completed": p.completed(),
            "opened": results.opened,
            "rate": p.rate(),
            "undeliverable": p.undeliverable(),
            "reached": p.reached(),
            "rate_over_reached": p.rate_over_reached(),
        })),
        "delivery": results.delivery,
        "indicator": {
            "value": r.value,
            "target": r.target,
            "target_met": r.target_met(),
            "interval": r.interval.map(|(l, h)| [l, h]),
            "questions": r.mean.questions.iter().map(rate_json).collect::<Vec<_>>(),
            "overall": r.overall().map(rate_json),
        },
        "questions": questions,
        "breakdowns": breakdowns,
    });
    if let Some(two_level) = &r.two_level {
        body["indicator"]["pooled_value"] = json!(two_level.pooled_value);
        body["companies"] = json!(two_level.companies.iter().map(|company| json!({
            "company": company.company,
            "respondents": results.company_respondents.get(&company.company).copied().unwrap_or(0),
            "score": company.score,
            "questions_averaged": company.questions_averaged,
        })).collect::<Vec<_>>());
    }
    body
}
