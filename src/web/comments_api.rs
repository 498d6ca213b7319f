//! `GET /api/v1/campaigns/{id}/comments`: a campaign's free-text answers, texts only.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;
use uuid::Uuid;

use super::{ApiError, AppState, WebError, report};
use crate::domain::anonymity::comments_readable;
use crate::domain::questionnaire::QuestionKind;
use crate::store::results::comments;

/// The texts of every free-text question, in random order, without response, attribute or
/// day; for an anonymous questionnaire, none until the campaign has the threshold's number
/// of respondents (`withheld: true`).
pub async fn list(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let results = report::campaign_results(&state, id).await?;
    let threshold = state.results.anonymity_threshold;
    let readable = comments_readable(results.anonymous, results.report.respondents, threshold);
    let questions: Vec<String> = results
        .definition
        .iter()
        .flat_map(|d| d.questions())
        .filter(|q| matches!(q.kind, QuestionKind::Text { .. }))
        .map(|q| q.id.clone())
        .collect();
    let texts = if readable {
        comments::texts(&state.db, id, &questions).await?
    } else {
        Vec::new()
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "campaign": id,
            "anonymous": results.anonymous,
            "anonymity_threshold": threshold,
            "withheld": !readable,
            "comments": texts
                .into_iter()
                .map(|(question, text)| json!({ "question": question, "text": text }))
                .collect::<Vec<_>>(),
        })))
}
