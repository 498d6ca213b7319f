use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;

/// 200 when the database answers, 503 otherwise; the body says which.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok", "database": "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "degraded", "database": "unavailable" }))
        }
    }
}
