//! `/admin/comptes`: staff accounts and API tokens: add an account, remove one, revoke a
//! token. (Tokens are created with `jalon api-token create`, which prints them once.)

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use super::{csrf, see_other};
use crate::domain::Email;
use crate::domain::staff::{Role, password};
use crate::store;
use crate::views::admin::{AccountsView, accounts_page};
use crate::web::{AppState, PageError, Staff, WebError, audit};

type Fields = HashMap<String, String>;

async fn render(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    error: Option<&str>,
    done: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let users = store::staff::users(&state.db).await?;
    let tokens = store::staff::api_tokens(&state.db).await?;
    let markup = accounts_page(&AccountsView {
        csrf: csrf(staff),
        users: &users,
        tokens: &tokens,
        network: &state.catalog.network,
        passwords: state.auth.local_passwords,
        error,
        done,
    });
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string()))
}

pub async fn page(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<Fields>,
) -> Result<HttpResponse, PageError> {
    render(
        &state,
        &staff,
        StatusCode::OK,
        None,
        query.get("fait").map(String::as_str),
    )
    .await
}

fn get<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map(|v| v.trim()).unwrap_or_default()
}

pub async fn add(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Fields>,
) -> Result<HttpResponse, PageError> {
    let f = &form.0;
    let entity = Some(get(f, "entite")).filter(|e| !e.is_empty() && get(f, "role") == "regional");
    let checked = (|| -> Result<(Email, Role), String> {
        let email = Email::parse(get(f, "email")).map_err(|e| e.to_string())?;
        let role = Role::from_parts(get(f, "role"), entity).map_err(|e| e.to_string())?;
        if let Some(code) = role.entity()
            && state.catalog.network.get(code).is_none()
        {
            return Err(format!("entité « {code} » inconnue"));
        }
        Ok((email, role))
    })();
    let (email, role) = match checked {
        Ok(ok) => ok,
        Err(message) => {
            return render(
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&message),
                None,
            )
            .await;
        }
    };
    let typed = f.get("mot_de_passe").cloned().unwrap_or_default();
    let hash = if !state.auth.local_passwords {
        password::SINGLE_SIGN_ON_ONLY.to_owned()
    } else {
        match web::block(move || password::hash(&typed)).await {
            Ok(Ok(hash)) => hash,
            Ok(Err(e)) => {
                return render(
                    &state,
                    &staff,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(&e.to_string()),
                    None,
                )
                .await;
            }
            Err(_) => return Err(WebError::Busy.into()),
        }
    };
    let now = state.clock.now();
    if store::staff::add_user(&state.db, &email, &hash, &role, now)
        .await?
        .is_none()
    {
        let message = format!("Un compte existe déjà pour {email}.");
        return render(
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&message),
            None,
        )
        .await;
    }
    audit::record(
        &state,
        &staff,
        "compte_cree",
        email.as_str(),
        &role.to_string(),
    )
    .await?;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("fait", &format!("Compte {email} créé (rôle {role})."))
        .finish();
    Ok(see_other(&format!("/admin/comptes?{query}")))
}

fn id_of(raw: &str) -> Result<Uuid, WebError> {
    Uuid::parse_str(raw).map_err(|_| WebError::NotFound)
}

pub async fn remove(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = id_of(&id)?;
    let own = store::staff::find_user(&state.db, &staff.identity.actor)
        .await?
        .is_some_and(|u| u.id == id);
    if own {
        return Err(WebError::BadRequest(
            "Vous ne pouvez pas supprimer votre propre compte.".into(),
        )
        .into());
    }
    let email = store::staff::remove_user(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    audit::record(&state, &staff, "compte_supprime", &email, "").await?;
    Ok(see_other("/admin/comptes?fait=Compte+supprim%C3%A9."))
}

pub async fn revoke(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = id_of(&id)?;
    let name = store::staff::revoke_token(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    audit::record(&state, &staff, "jeton_revoque", &name, "").await?;
    Ok(see_other("/admin/comptes?fait=Jeton+r%C3%A9voqu%C3%A9."))
}
