//! Unsubscribing from a campaign's emails: the link in every email and its
//! `List-Unsubscribe` header (RFC 8058 one-click posts to the same address).

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use maud::html;

use super::{AppState, PageError, WebError};
use crate::domain::Token;
use crate::store::followup;
use crate::views::layout::page;

/// A GET only shows a button: mail scanners follow links, and must not unsubscribe anyone.
pub async fn confirm(token: web::Path<String>) -> Result<HttpResponse, PageError> {
    let token = Token::parse(&token).ok_or(WebError::UnknownLink)?;
    let body = page(
        "Ne plus recevoir de messages",
        html! {
            h1 { "Ne plus recevoir de messages" }
            p { "Vous ne recevrez plus de relance au sujet de ce questionnaire. Votre lien personnel reste valable si vous souhaitez tout de même répondre." }
            form method="post" action=(format!("/desinscription/{}", token.expose())) {
                button.button.primary type="submit" { "Confirmer la désinscription" }
            }
        },
    );
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header(("Cache-Control", "no-store"))
        .body(body.into_string()))
}

pub async fn unsubscribe(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = Token::parse(&token).ok_or(WebError::UnknownLink)?;
    if !followup::unsubscribe(&state.db, state.seal_key.links(), &token, state.clock.now()).await? {
        return Err(WebError::UnknownLink.into());
    }
    let body = page(
        "Désinscription enregistrée",
        html! {
            div.message.success role="status" {
                h1 { "Désinscription enregistrée" }
                p { "Vous ne recevrez plus de message au sujet de ce questionnaire." }
            }
        },
    );
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header(("Cache-Control", "no-store"))
        .body(body.into_string()))
}
