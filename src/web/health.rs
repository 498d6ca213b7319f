use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;

/// How long a probe waits for the database: a database out of reach must not hold the probe
/// for the pool's whole acquire timeout.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// 200 when the database answers, 503 otherwise; the body says which.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let error = match tokio::time::timeout(PING_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => {
            return HttpResponse::Ok().json(json!({ "status": "ok", "database": "ok" }));
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {PING_TIMEOUT:?}"),
    };
    tracing::warn!(%error, "health check: database unavailable");
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "5"))
        .json(json!({ "status": "degraded", "database": "unavailable" }))
}
