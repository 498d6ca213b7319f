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
