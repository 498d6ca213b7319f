//! Indicator 4's public endpoints, called by the widget from the agency's website:
//! `POST /api/v1/public/downloads` (202) and `POST /api/v1/public/ratings` (201 once
//! committed, or 422). CORS, rate limits and body caps are set where they are mounted
//! (`super::widget_routes`).

use std::net::{IpAddr, Ipv4Addr};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::answers_api::raw_answers;
use super::{ApiError, AppState, WebError};
use crate::domain::answers::{UnknownKeys, validate};
use crate::domain::attributes::response_attributes;
use crate::domain::registration::FieldError;
use crate::domain::widget::{ResourceId, THEME_MAX, TITLE_MAX, clean_label};
use crate::widget::{self, Endpoint, Widget};

/// Largest body of a download call: an id, a title and a theme.
pub const DOWNLOAD_BODY_MAX: usize = 2 * 1024;
/// Largest body of a rating: a 1,000-character comment, even fully `\u`-escaped, fits.
pub const RATING_BODY_MAX: usize = 16 * 1024;
/// What a robot that filled the honeypot is told to wait.
const HONEYPOT_RETRY_AFTER: u64 = 60;

/// The visitor's address: the TCP peer, or the `X-Forwarded-For` of a trusted proxy.
pub fn visitor_address(req: &HttpRequest, widget: &Widget) -> IpAddr {
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok());
    widget
        .client_address(req.peer_addr().map(|peer| peer.ip()), forwarded)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

pub async fn limit_downloads(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    limit(Endpoint::Downloads, req, next).await
}

pub async fn limit_ratings(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    limit(Endpoint::Ratings, req, next).await
}

/// Answers 429 before anything is read when the visitor has spent their budget. The answer
/// is a response, not an error, so that the CORS layer around it still labels it and the
/// widget can read it.
async fn limit<B: MessageBody + 'static>(
    endpoint: Endpoint,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let verdict = req
        .app_data::<web::Data<AppState>>()
        .map(|state| {
            let address = visitor_address(req.request(), &state.widget);
            state.widget.check_rate(endpoint, address)
        })
        .unwrap_or(Ok(()));
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(wait) => {
            let error = ApiError(WebError::RateLimited {
                retry_after: wait.as_secs().max(1),
            });
            Ok(req
                .into_response(error.error_response())
                .map_into_right_body())
        }
    }
}

/// The body as JSON. `text/plain` is accepted too: `navigator.sendBeacon` and a
/// preflight-free `fetch` send JSON that way.
fn json_body<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, WebError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    match content_type.as_deref() {
        None | Some("application/json") | Some("text/plain") => {}
        Some(_) => {
            return Err(WebError::BadRequest(
                "Content-Type application/json ou text/plain attendu.".to_owned(),
            ));
        }
    }
    serde_json::from_slice(body)
        .map_err(|e| WebError::BadRequest(format!("Corps JSON invalide : {e}")))
}

fn resource_id(raw: &str) -> Result<ResourceId, WebError> {
    ResourceId::parse(raw).map_err(|e| {
        WebError::InvalidFields(vec![FieldError {
            field: "resource".to_owned(),
            message: e.to_string(),
        }])
    })
}

fn honeypot_filled(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.trim().is_empty())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadBody {
    /// 1 à 64 caractères parmi A-Z a-z 0-9 - _ . ~
    #[schema(pattern = "^[A-Za-z0-9._~-]{1,64}$")]
    resource: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    theme: Option<String>,
    /// The honeypot: people never fill it (pot de miel : toujours vide).
    #[serde(default)]
    website: Option<String>,
}

/// A download counted.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    #[schema(inline)]
    status: AcceptedStatus,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AcceptedStatus {
    Accepted,
}

/// A rating recorded.
#[derive(Serialize, ToSchema)]
pub struct RatingRecorded {
    #[schema(inline)]
    status: super::answers_api::RecordedStatus,
    questionnaire: crate::domain::QuestionnaireCode,
    resource: String,
}

/// `POST /api/v1/public/downloads`: counted in memory now, written within a second.
#[utoipa::path(
    post,
    path = "/api/v1/public/downloads",
    operation_id = "countDownload",
    tag = "widget",
    summary = "Compter un téléchargement (le widget)",
    request_body(content(
        (DownloadBody = "application/json"),
        (DownloadBody = "text/plain"),
    )),
    responses(
        (status = 202, description = "Compté en mémoire, écrit dans la seconde", body = Accepted),
        (status = 400, response = super::openapi::BadRequest),
        (status = 413, response = super::openapi::TooLarge),
        (status = 422, response = super::openapi::InvalidFields),
        (status = 429, response = super::openapi::RateLimited),
        (status = 503, response = super::openapi::Unavailable),
    )
)]
pub async fn count_download(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: DownloadBody = json_body(&req, &body)?;
    if honeypot_filled(body.website.as_deref()) {
        return Err(WebError::RateLimited {
            retry_after: HONEYPOT_RETRY_AFTER,
        }
        .into());
    }
    let resource = resource_id(&body.resource)?;
    state
        .widget
        .count_download(
            resource,
            clean_label(body.title.as_deref(), TITLE_MAX),
            clean_label(body.theme.as_deref(), THEME_MAX),
        )
        .map_err(|_| WebError::Busy)?;
    Ok(HttpResponse::Accepted().json(Accepted {
        status: AcceptedStatus::Accepted,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    /// 1 à 64 caractères parmi A-Z a-z 0-9 - _ . ~
    #[schema(pattern = "^[A-Za-z0-9._~-]{1,64}$")]
    resource: String,
    #[schema(value_type = super::answers_api::Answers)]
    answers: Map<String, Value>,
    /// The honeypot: people never fill it.
    #[serde(default)]
    website: Option<String>,
}

/// `POST /api/v1/public/ratings`: 201 once committed, 422 with the errors per question.
#[utoipa::path(
    post,
    path = "/api/v1/public/ratings",
    operation_id = "rateResource",
    tag = "widget",
    summary = "Enregistrer une note de ressource (le widget)",
    request_body(content(
        (RatingBody = "application/json"),
        (RatingBody = "text/plain"),
    )),
    responses(
        (status = 201, description = "Note enregistrée (validée : la transaction est faite)", body = RatingRecorded),
        (status = 400, response = super::openapi::BadRequest),
        (status = 410, response = super::openapi::Gone),
        (status = 413, response = super::openapi::TooLarge),
        (status = 422, description = "Ressource ou réponses invalides ; rien n’est enregistré", body = super::error::ValidationErrorBody),
        (status = 429, response = super::openapi::RateLimited),
        (status = 503, response = super::openapi::Unavailable),
    )
)]
pub async fn rate_resource(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: RatingBody = json_body(&req, &body)?;
    if honeypot_filled(body.website.as_deref()) {
        return Err(WebError::RateLimited {
            retry_after: HONEYPOT_RETRY_AFTER,
        }
        .into());
    }
    let resource = resource_id(&body.resource)?;
    let questionnaire = state
        .catalog
        .get(widget::QUESTIONNAIRE)
        .ok_or_else(|| WebError::MissingQuestionnaire(widget::QUESTIONNAIRE.to_string()))?;
    let definition = &questionnaire.definition;
    let raw = raw_answers(&body.answers).map_err(WebError::Validation)?;
    let answers = validate(definition, &raw, UnknownKeys::Reject).map_err(WebError::Validation)?;
    let attributes = response_attributes(definition, &Map::new(), &answers);
    let address = visitor_address(&req, &state.widget);
    state
        .widget
        .submit_rating(
            &resource,
            address,
            &questionnaire.version,
            answers,
            attributes,
        )
        .await
        .map_err(WebError::from)?;
    Ok(HttpResponse::Created().json(RatingRecorded {
        status: super::answers_api::RecordedStatus::Recorded,
        questionnaire: definition.code,
        resource: resource.to_string(),
    }))
}
