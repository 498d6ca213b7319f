//! The audit log: what handlers call to record a staff action, and the admin page that reads
//! it (`/admin/journal`).

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};

use super::{AppState, PageError, Staff};
use crate::store::{self, StoreError};
use crate::views::admin::audit_page;

/// Entries shown on the page (newest first).
const SHOWN: u64 = 500;

/// Records that `staff` did `action` to `target`.
pub async fn record(
    state: &AppState,
    staff: &Staff,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), StoreError> {
    store::audit::record(
        &state.db,
        &staff.identity.actor,
        action,
        target,
        detail,
        state.clock.now(),
    )
    .await
}

pub async fn page(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let entries = store::audit::latest(&state.db, SHOWN).await?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(audit_page(&entries).into_string()))
}
