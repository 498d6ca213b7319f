//! `/admin/contacts`: find a person by email, download everything stored about them (JSON),
//! unsubscribe them from every campaign, erase them (RGPD).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{csrf, html, see_other};
use crate::domain::retention::contact_reference;
use crate::store::personal_data;
use crate::views::admin::{ContactView, contacts_page};
use crate::web::{AppState, PageError, Staff, WebError, audit};

/// Undeliverable contacts listed.
const UNDELIVERABLE_SHOWN: u64 = 500;

#[derive(Debug, Deserialize)]
pub struct Search {
    email: Option<String>,
    fait: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ContactForm {
    email: String,
    #[serde(default)]
    confirmation: Option<String>,
}

fn email_of(raw: &str) -> Result<String, WebError> {
    let email = raw.trim();
    if email.is_empty() || email.len() > 254 || !email.contains('@') {
        return Err(WebError::BadRequest(
            "Adresse électronique attendue.".into(),
        ));
    }
    Ok(email.to_owned())
}

fn back_to(email: &str, done: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .append_pair("fait", done)
        .finish();
    format!("/admin/contacts?{query}")
}

pub async fn page(
    state: web::Data<AppState>,
    staff: Staff,
    search: web::Query<Search>,
) -> Result<HttpResponse, PageError> {
    let found = match search.email.as_deref().map(str::trim) {
        Some(email) if !email.is_empty() => {
            let email = email_of(email)?;
            let data = personal_data::export_contact(&state.db, &email).await?;
            Some((email, data))
        }
        _ => None,
    };
    let undeliverable =
        crate::store::bounces::undeliverable(&state.db, None, UNDELIVERABLE_SHOWN).await?;
    let view = ContactView {
        undeliverable: &undeliverable,
        csrf: csrf(&staff),
        found: found.as_ref().map(|(email, data)| (email.as_str(), data)),
        done: search.fait.as_deref(),
    };
    Ok(html(contacts_page(&view)))
}

pub async fn export(
    state: web::Data<AppState>,
    staff: Staff,
    search: web::Query<Search>,
) -> Result<HttpResponse, PageError> {
    let email = email_of(search.email.as_deref().unwrap_or_default())?;
    let data = personal_data::export_contact(&state.db, &email).await?;
    audit::record(
        &state,
        &staff,
        "export_contact",
        &contact_reference(&email),
        "",
    )
    .await?;
    let body = serde_json::to_vec_pretty(&data)
        .map_err(|e| WebError::BadRequest(format!("export impossible : {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"donnees-contact.json\"",
        ))
        .body(body))
}

pub async fn unsubscribe(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, PageError> {
    let email = email_of(&form.email)?;
    let count = personal_data::unsubscribe_contact(&state.db, &email, state.clock.now()).await?;
    audit::record(
        &state,
        &staff,
        "desinscription_contact",
        &contact_reference(&email),
        &format!("{count} invitation(s)"),
    )
    .await?;
    Ok(see_other(&back_to(&email, "desinscription")))
}

pub async fn erase(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, PageError> {
    let email = email_of(&form.email)?;
    if form.confirmation.as_deref() != Some("oui") {
        return Err(WebError::BadRequest(
            "Cochez la case de confirmation pour effacer ce contact.".into(),
        )
        .into());
    }
    let count = personal_data::erase_contact(&state.db, &email).await?;
    audit::record(
        &state,
        &staff,
        "effacement_contact",
        &contact_reference(&email),
        &format!("{count} invitation(s)"),
    )
    .await?;
    Ok(see_other(&back_to(&email, "effacement")))
}
