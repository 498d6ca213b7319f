//! HTTP: thin actix handlers. They parse input into domain types, call the store, render.

mod answer_page;
mod answers_api;
mod assets;
mod error;
mod fallback;
mod form_body;
mod health;
mod personal_link;
mod questionnaires_api;
mod registration_api;
mod state;
mod unsubscribe;

pub use error::{ApiError, PageError, WebError};
pub use state::AppState;

use actix_web::web;

/// Every route of jalon, in one place.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/static/jalon.css", web::get().to(assets::stylesheet))
        .route(
            "/api/v1/questionnaires/{code}",
            web::get().to(questionnaires_api::show),
        )
        .route(
            "/api/v1/responses/{token}",
            web::post().to(answers_api::submit),
        )
        .route("/r/{token}", web::get().to(answer_page::show_personal))
        .route("/r/{token}", web::post().to(answer_page::submit_personal))
        .route(
            "/r/{token}/merci",
            web::get().to(answer_page::thanks_personal),
        )
        .route("/o/{code}", web::get().to(answer_page::show_open))
        .route("/o/{code}", web::post().to(answer_page::submit_open))
        .route("/o/{code}/merci", web::get().to(answer_page::thanks_open))
        .route(
            "/confidentialite/{code}",
            web::get().to(answer_page::privacy),
        )
        .route(
            "/desinscription/{token}",
            web::get().to(unsubscribe::confirm),
        )
        .route(
            "/desinscription/{token}",
            web::post().to(unsubscribe::unsubscribe),
        )
        .route(
            "/api/v1/entities",
            web::get().to(registration_api::entities),
        )
        .route(
            "/api/v1/interventions",
            web::post().to(registration_api::register_intervention),
        )
        .route(
            "/api/v1/coproductions",
            web::post().to(registration_api::register_coproduction),
        )
        .route(
            "/api/v1/waves",
            web::post().to(registration_api::register_wave),
        )
        .route(
            "/api/v1/waves/{id}/roster",
            web::post().to(registration_api::add_roster),
        );
}

pub use fallback::{error_bodies, not_found};
