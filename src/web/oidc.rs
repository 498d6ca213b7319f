//! Single sign-on's two routes: `/connexion/oidc` sends the browser to the provider, and
//! `/connexion/oidc/retour` is where the provider sends it back with a code.
//!
//! What the callback must match (`state`, `nonce`, the PKCE verifier) is stored server-side
//! for ten minutes, keyed by the SHA-256 of a random token in a short-lived HttpOnly cookie of
//! this browser (as sessions are): a callback from another browser, a second use of the same
//! flow, or a forged `state` finds nothing to match. The provider vouches for the person; the
//! account (its role, its entity) is jalon's: an admin created it, or a domain rule of
//! `JALON_OIDC_DOMAINS` creates it on the first sign-in. Every sign-in and refusal is audited.

use actix_web::cookie::{SameSite, time};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::sign_in::{BackParams, cookie, form_response, safe_back, signed_in};
use super::{AppState, PageError};
use crate::domain::Email;
use crate::domain::staff::{password, secret};
use crate::oidc::SignOnError;
use crate::store;
use crate::store::staff::OidcFlow;

const FLOW_COOKIE: &str = "jalon_oidc";
const FLOW_PATH: &str = "/connexion/oidc";
const FLOW_MINUTES: i64 = 10;

#[derive(Debug, Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn not_configured(state: &AppState) -> HttpResponse {
    form_response(
        state,
        StatusCode::NOT_FOUND,
        "/tableau-de-bord",
        "",
        Some("L’identification par un service extérieur n’est pas configurée sur ce service."),
    )
}

/// `GET /connexion/oidc`: a new sign-in, sent to the provider (303).
pub async fn start(
    state: web::Data<AppState>,
    params: web::Query<BackParams>,
) -> Result<HttpResponse, PageError> {
    let Some(oidc) = state.oidc.clone() else {
        return Ok(not_configured(&state));
    };
    let back = safe_back(params.retour.as_deref()).to_owned();
    let authorization = match oidc.authorize().await {
        Ok(authorization) => authorization,
        Err(e) => return Ok(unavailable(&state, &back, &e)),
    };
    let now = state.clock.now();
    let token = store::staff::start_oidc_flow(
        &state.db,
        OidcFlow {
            state: authorization.state,
            nonce: authorization.nonce,
            pkce_verifier: authorization.pkce_verifier,
            back,
        },
        now + chrono::Duration::minutes(FLOW_MINUTES),
        now,
    )
    .await?;
    let mut flow = cookie(&state, FLOW_COOKIE, token);
    flow.set_path(FLOW_PATH);
    // Lax: the provider's redirect back is a top-level navigation from its site.
    flow.set_same_site(SameSite::Lax);
    flow.set_max_age(time::Duration::minutes(FLOW_MINUTES));
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, authorization.url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(flow)
        .finish())
}

/// How long to wait before trying a provider that did not answer, in seconds.
const RETRY_AFTER_SECONDS: u32 = 60;

/// The provider cannot be reached: the sign-in page with the explanation, 503 with
/// `Retry-After` (the password form stays, where local passwords are on).
fn unavailable(state: &AppState, back: &str, e: &SignOnError) -> HttpResponse {
    tracing::warn!("single sign-on unavailable: {e}");
    let mut response = form_response(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        back,
        "",
        Some(e.explanation()),
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(RETRY_AFTER_SECONDS),
    );
    response
}

/// A refusal: the sign-in page with `message`, audited, the flow cookie removed.
async fn refuse(
    state: &AppState,
    actor: &str,
    reason: &str,
    message: &str,
) -> Result<HttpResponse, PageError> {
    tracing::info!("single sign-on refused: {reason}");
    store::audit::record(
        &state.db,
        actor,
        "connexion_refusee",
        "",
        &format!("authentification unique : {reason}"),
        state.clock.now(),
    )
    .await?;
    let mut response = form_response(
        state,
        StatusCode::FORBIDDEN,
        "/tableau-de-bord",
        "",
        Some(message),
    );
    let mut spent = cookie(state, FLOW_COOKIE, String::new());
    spent.set_path(FLOW_PATH);
    spent.make_removal();
    response.add_cookie(&spent).ok();
    Ok(response)
}

const EXPIRED: &str = "La connexion a expiré ou a été interrompue : recommencez.";

/// `GET /connexion/oidc/retour`: the provider's answer.
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<CallbackParams>,
) -> Result<HttpResponse, PageError> {
    let Some(oidc) = state.oidc.clone() else {
        return Ok(not_configured(&state));
    };
    let now = state.clock.now();
    let flow = match req.cookie(FLOW_COOKIE) {
        Some(cookie) => store::staff::take_oidc_flow(&state.db, cookie.value(), now).await?,
        None => None,
    };
    let Some(flow) = flow else {
        return refuse(
            &state,
            "oidc",
            "flux inconnu, expiré ou déjà utilisé",
            EXPIRED,
        )
        .await;
    };
    let given_state = params.state.as_deref().unwrap_or_default();
    if given_state.is_empty() || !secret::same_secret(given_state, &flow.state) {
        return refuse(&state, "oidc", "state différent", EXPIRED).await;
    }
    if let Some(error) = &params.error {
        let described = match &params.error_description {
            Some(description) => format!("{error} ({description})"),
            None => error.clone(),
        };
        let e = SignOnError::ProviderRefused(described);
        return refuse(&state, "oidc", &e.reason(), e.explanation()).await;
    }
    let Some(code) = params.code.as_deref().filter(|c| !c.is_empty()) else {
        return refuse(&state, "oidc", "pas de code", EXPIRED).await;
    };
    let signed_on = match oidc
        .finish(code, &flow.nonce, flow.pkce_verifier.as_deref())
        .await
    {
        Ok(signed_on) => signed_on,
        Err(e @ SignOnError::Discovery(_)) => return Ok(unavailable(&state, &flow.back, &e)),
        Err(e) => return refuse(&state, "oidc", &e.reason(), e.explanation()).await,
    };
    let email = signed_on.email.clone();
    let user = match store::staff::find_user(&state.db, &email).await? {
        Some(user) => user,
        None => {
            let role = oidc.settings().role_for(&email).cloned();
            let parsed = Email::parse(&email).ok();
            let (Some(role), Some(parsed)) = (role, parsed) else {
                return refuse(
                    &state,
                    &email,
                    "aucun compte pour cette adresse",
                    &format!(
                        "Aucun compte n’est ouvert pour l’adresse {email} : demandez à un \
                         administrateur de jalon de vous en créer un."
                    ),
                )
                .await;
            };
            store::staff::add_user(
                &state.db,
                &parsed,
                password::SINGLE_SIGN_ON_ONLY,
                &role,
                now,
            )
            .await?;
            store::audit::record(
                &state.db,
                &email,
                "compte_cree",
                &email,
                &format!("authentification unique, règle de domaine : rôle {role}"),
                now,
            )
            .await?;
            let Some(user) = store::staff::find_user(&state.db, &email).await? else {
                return refuse(&state, &email, "compte introuvable", EXPIRED).await;
            };
            user
        }
    };
    let detail = match &signed_on.acr {
        Some(acr) => format!("authentification unique (acr {acr})"),
        None => "authentification unique".to_owned(),
    };
    store::audit::record(&state.db, &user.email, "connexion", "", &detail, now).await?;
    let mut response = signed_in(&state, &user, Some(signed_on.id_token), flow.back).await?;
    let mut spent = cookie(&state, FLOW_COOKIE, String::new());
    spent.set_path(FLOW_PATH);
    spent.make_removal();
    response.add_cookie(&spent).ok();
    Ok(response)
}
