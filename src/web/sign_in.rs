//! `/connexion` (sign in, or see one's session) and `/deconnexion` (sign out).
//!
//! The sign-in form carries its own CSRF token (double submit: a random value in an
//! HttpOnly, SameSite=Strict cookie and in the form). Failed attempts are counted per
//! account and per address: past a few, each further attempt must wait longer, then the key
//! is locked for a while (`domain::staff::throttle`); a waiting attempt is not even checked.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::guard::{SESSION_COOKIE, Staff};
use super::widget_api::visitor_address;
use super::{AppState, PageError};
use crate::domain::staff::throttle::ThrottleRules;
use crate::domain::staff::{Permission, Role, password, secret};
use crate::store;
use crate::views::sign_in::{SignInForm, sign_in_page, signed_in_page};

const LOGIN_CSRF_COOKIE: &str = "jalon_connexion";
const DEFAULT_BACK: &str = "/tableau-de-bord";

#[derive(Debug, Deserialize)]
pub struct BackParams {
    pub(super) retour: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SignInFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    retour: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// A path of this site to go back to, never another site (`//host`, `/\host`, `https:`).
pub(super) fn safe_back(raw: Option<&str>) -> &str {
    match raw {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => DEFAULT_BACK,
    }
}

/// Where a signed-in staff member lands when no page was asked for: the dashboard for those
/// who may read it, a regional account its entity's results, anyone else their session page.
/// The one rule for signing in and for the front door (`/`), so that both send a role to the
/// same place.
pub(super) fn landing_page(role: Option<&Role>) -> String {
    let Some(role) = role else {
        return "/connexion".to_owned();
    };
    if role.may(Permission::ReadResults) {
        return DEFAULT_BACK.to_owned();
    }
    if role.may(Permission::EditQuestionnaires) {
        return "/admin/questionnaires".to_owned();
    }
    match role.entity() {
        Some(entity) => format!("/tableau-de-bord/entites/{entity}"),
        None => "/connexion".to_owned(),
    }
}

fn page(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"));
    response
}

pub(super) fn cookie<'a>(state: &AppState, name: &'a str, value: String) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(state.auth.secure_cookies)
        .finish()
}

/// The form with a fresh CSRF pair (and the single sign-on button when configured).
pub(super) fn form_response(
    state: &AppState,
    status: StatusCode,
    back: &str,
    email: &str,
    error: Option<&str>,
) -> HttpResponse {
    let csrf = secret::session_token();
    let markup = sign_in_page(&SignInForm {
        csrf: &csrf,
        back,
        email,
        error,
        provider: state.auth.oidc.as_ref().map(|oidc| oidc.name.as_str()),
        passwords: state.auth.local_passwords,
    });
    let mut login_cookie = cookie(state, LOGIN_CSRF_COOKIE, csrf);
    login_cookie.set_same_site(SameSite::Strict);
    login_cookie.set_path("/connexion");
    page(status).cookie(login_cookie).body(markup.into_string())
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    params: web::Query<BackParams>,
) -> Result<HttpResponse, PageError> {
    if let Some(session) = req.cookie(SESSION_COOKIE) {
        let token = session.value();
        if let Some(identity) =
            store::staff::identify_session(&state.db, token, state.clock.now()).await?
        {
            let markup =
                signed_in_page(&identity.actor, &identity.role, &secret::csrf_token(token));
            return Ok(page(StatusCode::OK).body(markup.into_string()));
        }
    }
    let back = safe_back(params.retour.as_deref());
    Ok(form_response(&state, StatusCode::OK, back, "", None))
}

pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SignInFields>,
) -> Result<HttpResponse, PageError> {
    let back = safe_back(Some(&form.retour)).to_owned();
    let email = form.email.trim().to_lowercase();
    if !state.auth.local_passwords {
        return Ok(form_response(
            &state,
            StatusCode::FORBIDDEN,
            &back,
            "",
            Some(
                "La connexion par mot de passe est désactivée : identifiez-vous avec le service d’identification.",
            ),
        ));
    }
    let expected = req.cookie(LOGIN_CSRF_COOKIE);
    if !expected
        .is_some_and(|c| !c.value().is_empty() && secret::same_secret(c.value(), &form.csrf))
    {
        return Ok(form_response(
            &state,
            StatusCode::FORBIDDEN,
            &back,
            &email,
            Some("Le formulaire a expiré : saisissez à nouveau votre mot de passe."),
        ));
    }
    let now = state.clock.now();
    let account_key = format!("account:{email}");
    let address_key = format!("address:{}", visitor_address(&req, &state.widget));
    let keys = [account_key.clone(), address_key.clone()];
    if let Some(until) = store::staff::locked_until(&state.db, &keys, now).await? {
        let seconds = (until - now).num_seconds().max(1);
        let wait = if seconds >= 120 {
            format!("{} minutes", (seconds + 59) / 60)
        } else {
            format!("{seconds} secondes")
        };
        let mut response = form_response(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &back,
            &email,
            Some(&format!(
                "Trop de tentatives infructueuses : réessayez dans {wait}."
            )),
        );
        if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Ok(response);
    }
    let user = store::staff::find_user(&state.db, &email).await?;
    let hash = user
        .as_ref()
        .map_or(password::DECOY_HASH.to_owned(), |u| u.password_hash.clone());
    let typed = form.password.clone();
    // argon2 takes tens of milliseconds of CPU: off the async workers.
    let matches = web::block(move || password::verify(&typed, &hash))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| matches) else {
        store::staff::record_failure(&state.db, &account_key, &ThrottleRules::ACCOUNT, now).await?;
        store::staff::record_failure(&state.db, &address_key, &ThrottleRules::ADDRESS, now).await?;
        tracing::info!("staff sign-in refused");
        return Ok(form_response(
            &state,
            StatusCode::OK,
            &back,
            &email,
            Some("Adresse ou mot de passe incorrect."),
        ));
    };
    store::staff::clear_failures(&state.db, &account_key).await?;
    store::audit::record(&state.db, &user.email, "connexion", "", "", now).await?;
    signed_in(&state, &user, None, back).await
}

/// Opens the session of `user` (with the provider's ID token after single sign-on) and sends
/// them on: to `back`, or without an explicit page, to their role's own page.
pub(super) async fn signed_in(
    state: &AppState,
    user: &crate::entities::staff_user::Model,
    id_token: Option<String>,
    back: String,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let token = store::staff::open_session(
        &state.db,
        user.id,
        state.auth.session_lifetime,
        id_token,
        now,
    )
    .await?;
    let back = if back == DEFAULT_BACK {
        let role = Role::from_parts(&user.role, user.entity.as_deref()).ok();
        landing_page(role.as_ref())
    } else {
        back
    };
    let mut session = cookie(state, SESSION_COOKIE, token);
    session.set_same_site(SameSite::Lax);
    session.set_max_age(time::Duration::seconds(
        state.auth.session_lifetime.num_seconds(),
    ));
    let mut spent = cookie(state, LOGIN_CSRF_COOKIE, String::new());
    spent.set_path("/connexion");
    spent.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, back))
        .cookie(session)
        .cookie(spent)
        .finish())
}

/// Signs out: the session is deleted server-side and the cookie removed. A session opened
/// through single sign-on goes on to the provider's logout (RP-initiated logout), which
/// sends the browser back to `/connexion`.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
) -> Result<HttpResponse, PageError> {
    let mut next = "/connexion".to_owned();
    if let Some(session) = req.cookie(SESSION_COOKIE) {
        let id_token = store::staff::close_session(&state.db, session.value()).await?;
        if let (Some(id_token), Some(oidc)) = (id_token, &state.oidc)
            && let Some(logout) = oidc.logout_url(&id_token).await
        {
            next = logout;
        }
        store::audit::record(
            &state.db,
            &staff.identity.actor,
            "deconnexion",
            "",
            "",
            state.clock.now(),
        )
        .await?;
    }
    let mut removal = cookie(&state, SESSION_COOKIE, String::new());
    removal.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(removal)
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_lands_on_its_own_page() {
        assert_eq!(landing_page(Some(&Role::Admin)), "/tableau-de-bord");
        assert_eq!(landing_page(Some(&Role::Analyst)), "/tableau-de-bord");
        assert_eq!(
            landing_page(Some(&Role::Regional("aract-bretagne".to_owned()))),
            "/tableau-de-bord/entites/aract-bretagne"
        );
        // A stored role this version cannot read: the session page, which says who one is.
        assert_eq!(landing_page(None), "/connexion");
    }
}
