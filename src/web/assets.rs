use actix_web::HttpResponse;
use actix_web::http::header::{CacheControl, CacheDirective};

use crate::views::STYLESHEET;

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Content-Type", "text/css; charset=utf-8"))
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(3600),
        ]))
        .body(STYLESHEET)
}

/// jalon has no icon. Pages say so (`rel=icon` of `data:`), but a browser still asks for
/// `/favicon.ico` when it opens something else (an email's HTML preview, a JSON document):
/// nothing, for a day, rather than a 404 in the log and in the browser's console.
pub async fn no_favicon() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(86400),
        ]))
        .finish()
}
