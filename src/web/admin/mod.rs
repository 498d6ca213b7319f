//! Administration pages (admins only, see `super::access`): contacts (RGPD), campaigns,
//! registrations, previews. Every form carries the session's CSRF token, checked by the guard.

pub mod accounts;
pub mod campaigns;
pub mod contacts;
pub mod editing;
pub mod imports;
pub mod previews;
pub mod registrations;

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentType};
use maud::Markup;

use super::Staff;
use crate::views::admin::home_page;

/// An HTML answer that is never cached (figures and personal data).
pub(super) fn html(markup: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// 303 to `location` after a form.
pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The session's CSRF token for forms ("" for a bearer token, which needs none).
pub(super) fn csrf(staff: &Staff) -> &str {
    staff.csrf.as_deref().unwrap_or_default()
}

pub async fn home(staff: Staff) -> HttpResponse {
    html(home_page(&staff.identity.actor))
}
