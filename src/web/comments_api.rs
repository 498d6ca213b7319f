//! `GET /api/v1/campaigns/{id}/comments`: a campaign's free-text answers, texts only.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ApiError, AppState, WebError, report};

/// A campaign's free-text answers, or their withholding below the threshold.
#[derive(Serialize, ToSchema)]
#[schema(as = CampaignComments)]
pub struct CommentsBody {
    campaign: Uuid,
    anonymous: bool,
    anonymity_threshold: u64,
    /// Anonymous and below the threshold: no text is given.
    withheld: bool,
    comments: Vec<CampaignComment>,
}

/// One free-text answer: the question and the text, nothing else.
#[derive(Serialize, ToSchema)]
pub struct CampaignComment {
    question: String,
    text: String,
}

/// The texts of every free-text question, in random order, without response, attribute or
/// day; for an anonymous questionnaire, none until the campaign has the threshold's number
/// of respondents (`withheld: true`).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/comments",
    operation_id = "listCampaignComments",
    tag = "results",
    summary = "Les réponses libres d’une campagne",
    description = "Les textes seuls, dans un ordre aléatoire, sans réponse, attribut ni date ; pour un questionnaire anonyme, aucun tant que la campagne n’a pas atteint le seuil d’anonymat (`withheld`).",
    params(("id" = Uuid, Path, description = "La campagne")),
    responses(
        (status = 200, description = "Les textes, ou leur rétention sous le seuil", body = CommentsBody),
        (status = 401, response = super::openapi::Unauthorized),
        (status = 403, response = super::openapi::Forbidden),
        (status = 404, response = super::openapi::NotFound),
        (status = 503, response = super::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    // Companies are not needed here: an empty page of them.
    let detail = report::CompanyDetail::Page {
        offset: 0,
        limit: 0,
    };
    let results = report::campaign_results(&state, id, detail).await?;
    let threshold = state.results.anonymity_threshold;
    let texts = report::campaign_comments(&state, &results, None).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CommentsBody {
            campaign: id,
            anonymous: results.anonymous,
            anonymity_threshold: threshold,
            withheld: texts.is_none(),
            comments: texts
                .unwrap_or_default()
                .into_iter()
                .map(|(question, text)| CampaignComment { question, text })
                .collect(),
        }))
}
