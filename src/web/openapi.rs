//! `GET /api/v1/openapi.json`: the OpenAPI 3 description of the JSON API.
//!
//! A static document rather than one derived from the handlers' types: most responses are
//! built as JSON values, not typed structs, so derived schemas would be hand-written anyway.
//! It is kept honest by tests: `tests/api/openapi.rs` compares its operations with the routes
//! of `web::routes`, and `scripts/schemathesis` checks every response jalon gives against it.

use actix_web::HttpResponse;
use actix_web::http::header;

pub const DOCUMENT: &str = include_str!("openapi.json");

pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .content_type("application/json")
        .body(DOCUMENT)
}
