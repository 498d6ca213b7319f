//! Bodies for the errors actix produces by itself (unknown route, wrong method, body too
//! large, malformed JSON…), so that people get a French page and programs get JSON.

use super::error::{ErrorBody, ErrorCode};
use crate::views::messages;
use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, Result};

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The default service: an unknown route, or a known JSON route asked with another method
/// (405 with the route's methods in `Allow`).
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let allowed = is_api(req.path())
        .then(|| req.resource_map().match_pattern(req.path()))
        .flatten()
        .and_then(|pattern| super::openapi::allowed_methods(&pattern));
    if let Some(allowed) = allowed {
        HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, allowed))
            .json(ErrorBody::new(
                ErrorCode::MethodNotAllowed,
                "Méthode non autorisée pour cette adresse.",
            ))
    } else if is_api(req.path()) {
        HttpResponse::NotFound().json(ErrorBody::new(
            ErrorCode::NotFound,
            "Ressource introuvable.",
        ))
    } else {
        HttpResponse::NotFound()
            .content_type("text/html; charset=utf-8")
            .body(messages::page_not_found().into_string())
    }
}

/// Replaces the plain-text body of any error response that has no body of ours.
pub fn error_bodies<B>(res: ServiceResponse<B>) -> Result<ErrorHandlerResponse<B>> {
    let ours = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"));
    if ours {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (code, message, page) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::PayloadTooLarge,
            "Le corps de la requête dépasse la taille autorisée.",
            messages::too_large(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "Méthode non autorisée pour cette adresse.",
            messages::bad_request("Méthode non autorisée pour cette adresse."),
        ),
        StatusCode::NOT_FOUND => (
            ErrorCode::NotFound,
            "Ressource introuvable.",
            messages::page_not_found(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorCode::UnsupportedMediaType,
            "Type de contenu non pris en charge.",
            messages::bad_request("Type de contenu non pris en charge."),
        ),
        s if s.is_server_error() => (
            ErrorCode::Internal,
            "Erreur inattendue ; rien n'a été enregistré.",
            messages::internal_error(),
        ),
        _ => (
            ErrorCode::BadRequest,
            "Requête invalide.",
            messages::bad_request("La requête envoyée est invalide."),
        ),
    };
    let (req, res) = res.into_parts();
    let (body, content_type) = if is_api(req.path()) {
        (
            serde_json::to_string(&ErrorBody::new(code, message)).unwrap_or_default(),
            "application/json",
        )
    } else {
        (page.into_string(), "text/html; charset=utf-8")
    };
    let mut res = res.set_body(BoxBody::new(body));
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let res = ServiceResponse::new(req, res).map_body(|_, body| EitherBody::right(body));
    Ok(ErrorHandlerResponse::Response(res))
}
