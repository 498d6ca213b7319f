//! The one gate in front of every staff route: finds who is calling (a bearer token or a
//! session cookie), checks their role against `access`, checks the CSRF token of every
//! state-changing form sent with a session, and hands the caller to the handler as `Staff`.
//! Refusals: pages redirect to the sign-in page (303), programs get 401; a role that may not
//! do a thing gets 403.

use std::future::{Ready, ready};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};

use super::access::{self, Access};
use super::{ApiError, AppState, PageError, WebError};
use crate::domain::staff::{Identity, secret};
use crate::store::{self, StoreError};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "jalon_session";
/// Name of the CSRF field of every staff form (or the `X-CSRF-Token` header).
pub const CSRF_FIELD: &str = "_csrf";

/// The staff member (or API token) calling a guarded route.
#[derive(Debug, Clone)]
pub struct Staff {
    pub identity: Identity,
    /// The CSRF token to put in forms (sessions only).
    pub csrf: Option<String>,
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Staff>()
                .cloned()
                .ok_or(ApiError(WebError::Unauthorized)),
        )
    }
}

/// How the caller proved who they are.
enum Credentials {
    Bearer(String),
    Session(String),
}

fn credentials(req: &ServiceRequest) -> Option<Credentials> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or_default();
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or_default()
            .trim();
        // A malformed header is a failed attempt, not an anonymous one.
        return Some(Credentials::Bearer(token.to_owned()));
    }
    req.cookie(SESSION_COOKIE)
        .map(|c| Credentials::Session(c.value().to_owned()))
}

fn refuse(req: ServiceRequest, api: bool, error: WebError) -> ServiceResponse<BoxBody> {
    let response = if api {
        ApiError(error).error_response()
    } else if matches!(error, WebError::Unauthorized) {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, sign_in_location(&req)))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()
    } else {
        PageError(error).error_response()
    };
    req.into_response(response)
}

/// `/connexion?retour=<the page asked for>`.
fn sign_in_location(req: &ServiceRequest) -> String {
    let back = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("retour", &back)
        .finish();
    format!("/connexion?{query}")
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if access::is_public_path(req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let Some(pattern) = req.match_pattern() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Access::Staff(permission) = access::of(req.method(), &pattern) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let api = access::is_api(&pattern);
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(refuse(req, api, WebError::Unauthorized));
    };
    let now = state.clock.now();
    let found: Result<Option<(Identity, Option<String>)>, StoreError> = match credentials(&req) {
        None => Ok(None),
        Some(Credentials::Bearer(token)) => store::staff::identify_token(&state.db, &token)
            .await
            .map(|found| found.map(|identity| (identity, None))),
        Some(Credentials::Session(token)) => store::staff::identify_session(&state.db, &token, now)
            .await
            .map(|found| found.map(|identity| (identity, Some(secret::csrf_token(&token))))),
    };
    let (identity, csrf) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(refuse(req, api, WebError::Unauthorized)),
        Err(e) => return Ok(refuse(req, api, WebError::Store(e))),
    };
    if !identity.role.may(permission) {
        return Ok(refuse(req, api, WebError::Forbidden));
    }
    if let Some(expected) = &csrf {
        let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        // A body too large to read is answered as such (413), not as a bad token.
        if unsafe_method && !csrf_matches(&mut req, expected).await? {
            return Ok(refuse(req, api, WebError::CsrfRejected));
        }
    }
    req.extensions_mut().insert(Staff { identity, csrf });
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The token of a form sent with a session: the `X-CSRF-Token` header, the `_csrf` query
/// parameter (file uploads), or the `_csrf` field of a url-encoded body (which is read here
/// and put back for the handler).
async fn csrf_matches(req: &mut ServiceRequest, expected: &str) -> Result<bool, actix_web::Error> {
    let from_header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let from_query = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    if let Some(given) = from_header.or(from_query) {
        return Ok(secret::same_secret(&given, expected));
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok(false);
    }
    let body = req.extract::<web::Bytes>().await?;
    let given = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    req.set_payload(Payload::from(body));
    Ok(given.is_some_and(|given| secret::same_secret(&given, expected)))
}
