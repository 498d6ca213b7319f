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

static PATHS: std::sync::LazyLock<Vec<(String, String)>> = std::sync::LazyLock::new(|| {
    let document: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap_or_default();
    document["paths"]
        .as_object()
        .map(|paths| {
            paths
                .iter()
                .filter_map(|(path, item)| {
                    let methods: Vec<String> =
                        item.as_object()?.keys().map(|m| m.to_uppercase()).collect();
                    Some((path.clone(), methods.join(", ")))
                })
                .collect()
        })
        .unwrap_or_default()
});

/// The methods of a documented route pattern (`/api/v1/waves/{id}/roster`), as an `Allow`
/// header value.
pub fn allowed_methods(pattern: &str) -> Option<&'static str> {
    PATHS
        .iter()
        .find(|(path, _)| path == pattern)
        .map(|(_, methods)| methods.as_str())
}
