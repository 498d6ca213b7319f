//! `GET /api/v1/campaigns/{id}/comments`: a campaign's free-text answers, texts only.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;
use uuid::Uuid;

use super::{ApiError, AppState, WebError, report};

/// The texts of every free-text question, in random order, without response, attribute or
/// day; for an anonymous questionnaire, none until the campaign has the threshold's number
/// of respondents (`withheld: true`).
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
        .json(json!({
            "campaign": id,
            "anonymous": results.anonymous,
            "anonymity_threshold": threshold,
            "withheld": texts.is_none(),
            "comments": texts
                .unwrap_or_default()
                .into_iter()
                .map(|(question, text)| json!({ "question": question, "text": text }))
                .collect::<Vec<_>>(),
        })))
}
