//! HTTP: thin actix handlers. They parse input into domain types, call the store, render.

mod answer_page;
mod answers_api;
mod assets;
mod dashboard;
mod error;
mod exports;
mod fallback;
mod form_body;
mod health;
mod indicators_api;
mod questionnaires_api;
mod report;
mod results_api;
mod state;

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
        .route("/o/{code}/merci", web::get().to(answer_page::thanks_open));
    results_routes(cfg);
}

/// Results: the indicators, campaign results, the staff dashboard and the exports.
fn results_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/indicators", web::get().to(indicators_api::index))
        .route(
            "/api/v1/campaigns/{id}/results",
            web::get().to(results_api::show),
        )
        .route("/tableau-de-bord", web::get().to(dashboard::home))
        .route(
            "/tableau-de-bord/campagnes/{id}",
            web::get().to(dashboard::campaign),
        )
        .route(
            "/tableau-de-bord/fiches/{code}",
            web::get().to(dashboard::fiche),
        )
        .route(
            "/exports/campagnes/{id}/reponses.csv",
            web::get().to(exports::responses_csv),
        )
        .route(
            "/exports/indicateurs.xlsx",
            web::get().to(exports::indicators_xlsx),
        );
}

pub use fallback::{error_bodies, not_found};
