//! `/`: the front door. Whoever lands there without a session reads what jalon is, what it
//! keeps, and where staff sign in; signed-in staff go straight to their own landing page.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};

use super::guard::SESSION_COOKIE;
use super::sign_in::landing_page;
use super::{AppState, PageError};
use crate::store;
use crate::views::front_door::{Notice, front_door_page};

pub async fn show(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    // The same address answers a page or a redirect depending on the cookie: neither may be
    // kept by a cache and served to someone else (or to the same browser after sign-in).
    if let Some(session) = req.cookie(SESSION_COOKIE) {
        let identity =
            store::staff::identify_session(&state.db, session.value(), state.clock.now()).await?;
        if let Some(identity) = identity {
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, landing_page(Some(&identity.role))))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish());
        }
    }
    let catalog: Vec<_> = state.catalog.iter().collect();
    let notices: Vec<Notice<'_>> = catalog
        .iter()
        .map(|loaded| Notice {
            code: loaded.definition.code,
            title: &loaded.definition.title,
        })
        .collect();
    let markup = front_door_page(&notices, state.results.anonymity_threshold);
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string()))
}
