//! HTTP: thin actix handlers. They parse input into domain types, call the store, render.

mod access;
mod admin;
mod answer_page;
mod answers_api;
mod assets;
mod audit;
mod comments_api;
mod dashboard;
mod entity_results;
mod error;
mod exports;
mod fallback;
mod form_body;
mod front_door;
mod guard;
mod health;
mod indicators_api;
mod oidc;
mod openapi;
mod personal_link;
mod pilot_page;
mod questionnaire_editing_api;
mod questionnaires_api;
mod registration_api;
mod report;
mod results_api;
mod security_headers;
mod sign_in;
mod state;
mod unsubscribe;
mod widget_api;
mod widget_results;
pub mod widget_script;

pub use access::STAFF_ROUTES;
pub use error::{ApiError, ErrorBody, ErrorCode, PageError, WebError};
pub use state::AppState;

use actix_web::web;

/// Every route of jalon, in one place.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(front_door::show))
        .route("/healthz", web::get().to(health::healthz))
        .route("/api/v1/openapi.json", web::get().to(openapi::document))
        .route("/api", web::get().to(openapi::page))
        .route("/static/jalon.css", web::get().to(assets::stylesheet))
        .route("/favicon.ico", web::get().to(assets::no_favicon))
        .route(
            "/api/v1/questionnaires/{code}",
            web::get().to(questionnaires_api::show),
        )
        .route(
            "/api/v1/questionnaires/{code}/draft",
            web::get().to(questionnaire_editing_api::show_draft),
        )
        .route(
            "/api/v1/questionnaires/{code}/draft",
            web::put().to(questionnaire_editing_api::save_draft),
        )
        .route(
            "/api/v1/questionnaires/{code}/draft/emails",
            web::get().to(questionnaire_editing_api::show_draft_emails),
        )
        .route(
            "/api/v1/questionnaires/{code}/draft/emails",
            web::put().to(questionnaire_editing_api::save_draft_emails),
        )
        .route(
            "/api/v1/questionnaires/{code}/draft/pilot-links",
            web::post().to(questionnaire_editing_api::create_pilot_links),
        )
        .route(
            "/api/v1/questionnaires/{code}/draft/pilot-results",
            web::get().to(questionnaire_editing_api::pilot_results),
        )
        .route(
            "/api/v1/questionnaires/{code}/draft/pilot-results",
            web::delete().to(questionnaire_editing_api::purge_pilot),
        )
        .route(
            "/api/v1/questionnaires/{code}/publish",
            web::post().to(questionnaire_editing_api::publish),
        )
        .route("/pilote/{token}", web::get().to(pilot_page::show))
        .route("/pilote/{token}", web::post().to(pilot_page::submit))
        .route("/pilote/{token}/merci", web::get().to(pilot_page::thanks))
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
    results_routes(cfg);
    staff_routes(cfg);

    // Indicator 4's widget: its script, and staff's results (the public endpoints, with
    // CORS and rate limits, are in `widget_routes`).
    cfg.route("/widget.js", web::get().to(widget_script::script))
        .route(
            "/api/v1/widget/resources",
            web::get().to(widget_results::resources),
        )
        .route(
            "/api/v1/widget/comments",
            web::get().to(widget_results::comments),
        )
        .route(
            "/api/v1/comments/{response_id}/hide",
            web::post().to(widget_results::hide),
        );
}

/// The widget's public endpoints, called from the website's origins: CORS for `origins`
/// only (a request from another origin is refused before anything runs), a per-address
/// rate limit each, small body caps.
pub fn widget_routes(cfg: &mut web::ServiceConfig, origins: &[String]) {
    use actix_web::http::{Method, header};
    use actix_web::middleware::from_fn;
    let cors = origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        })
        .allowed_methods([Method::POST])
        .allowed_header(header::CONTENT_TYPE)
        // A simple (preflight-free) POST from another origin is refused too, not just left
        // unreadable: it must not be counted.
        .block_on_origin_mismatch(true)
        .max_age(86_400);
    cfg.service(
        web::scope("/api/v1/public")
            .wrap(cors)
            .service(
                web::resource("/downloads")
                    .app_data(web::PayloadConfig::new(widget_api::DOWNLOAD_BODY_MAX))
                    .wrap(from_fn(widget_api::limit_downloads))
                    .route(web::post().to(widget_api::count_download)),
            )
            .service(
                web::resource("/ratings")
                    .app_data(web::PayloadConfig::new(widget_api::RATING_BODY_MAX))
                    .wrap(from_fn(widget_api::limit_ratings))
                    .route(web::post().to(widget_api::rate_resource)),
            ),
    );
}

/// Staff sign-in and administration (see `access` for who may call what).
fn staff_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/connexion", web::get().to(sign_in::show))
        .route("/connexion", web::post().to(sign_in::sign_in))
        .route("/connexion/oidc", web::get().to(oidc::start))
        .route("/connexion/oidc/retour", web::get().to(oidc::callback))
        .route("/deconnexion", web::post().to(sign_in::sign_out))
        .route("/admin", web::get().to(admin::home))
        .route("/admin/journal", web::get().to(audit::page))
        .route("/admin/comptes", web::get().to(admin::accounts::page))
        .route("/admin/comptes", web::post().to(admin::accounts::add))
        .route(
            "/admin/comptes/{id}/suppression",
            web::post().to(admin::accounts::remove),
        )
        .route(
            "/admin/jetons/{id}/revocation",
            web::post().to(admin::accounts::revoke),
        )
        .route(
            "/admin/questionnaires",
            web::get().to(admin::previews::list),
        )
        .route(
            "/admin/questionnaires/{code}/apercu",
            web::get().to(admin::previews::preview),
        )
        .route(
            "/admin/questionnaires/{code}/apercu",
            web::post().to(admin::previews::check_preview),
        )
        .route(
            "/admin/questionnaires/{code}/edition",
            web::get().to(admin::editing::edit),
        )
        .route(
            "/admin/questionnaires/{code}/edition",
            web::post().to(admin::editing::save_edit),
        )
        .route(
            "/admin/questionnaires/{code}/edition/apercu",
            web::get().to(admin::editing::preview),
        )
        .route(
            "/admin/questionnaires/{code}/edition/apercu",
            web::post().to(admin::editing::check_preview),
        )
        .route(
            "/admin/questionnaires/{code}/edition/email",
            web::get().to(admin::previews::draft_email),
        )
        .route(
            "/admin/questionnaires/{code}/publication",
            web::post().to(admin::editing::publish),
        )
        .route(
            "/admin/questionnaires/{code}/pilote",
            web::get().to(admin::editing::pilot),
        )
        .route(
            "/admin/questionnaires/{code}/pilote/liens",
            web::post().to(admin::editing::create_links),
        )
        .route(
            "/admin/questionnaires/{code}/pilote/effacement",
            web::post().to(admin::editing::purge),
        )
        .route(
            "/admin/questionnaires/{code}/email",
            web::get().to(admin::previews::email),
        )
        .route(
            "/admin/questionnaires/{code}/email.html",
            web::get().to(admin::previews::email_html_part),
        )
        .route(
            "/admin/questionnaires/{code}/email/essai",
            web::post().to(admin::previews::send_test),
        )
        .route(
            "/admin/enregistrements",
            web::get().to(admin::registrations::page),
        )
        .route(
            "/admin/enregistrements/intervention",
            web::post().to(admin::registrations::intervention),
        )
        .route(
            "/admin/enregistrements/coproduction",
            web::post().to(admin::registrations::coproduction),
        )
        .route(
            "/admin/enregistrements/vague",
            web::post().to(admin::registrations::wave),
        )
        .route("/admin/imports", web::get().to(admin::imports::page))
        .route("/admin/imports", web::post().to(admin::imports::upload))
        .route("/admin/campagnes", web::get().to(admin::campaigns::list))
        .route(
            "/admin/campagnes/{id}",
            web::get().to(admin::campaigns::show),
        )
        .route(
            "/admin/campagnes/{id}/suspension",
            web::post().to(admin::campaigns::pause),
        )
        .route(
            "/admin/campagnes/{id}/reprise",
            web::post().to(admin::campaigns::resume),
        )
        .route(
            "/admin/campagnes/{id}/cloture",
            web::post().to(admin::campaigns::close),
        )
        .route(
            "/admin/invitations/{id}/annulation",
            web::post().to(admin::campaigns::cancel_invitation),
        )
        .route(
            "/admin/invitations/{id}/adresse",
            web::post().to(admin::campaigns::correct_address),
        )
        .route("/admin/contacts", web::get().to(admin::contacts::page))
        .route(
            "/admin/contacts/export",
            web::get().to(admin::contacts::export),
        )
        .route(
            "/admin/contacts/desinscription",
            web::post().to(admin::contacts::unsubscribe),
        )
        .route(
            "/admin/contacts/effacement",
            web::post().to(admin::contacts::erase),
        );
}

/// Results: the indicators, campaign results, the staff dashboard and the exports.
fn results_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/indicators", web::get().to(indicators_api::index))
        .route(
            "/api/v1/campaigns/{id}/results",
            web::get().to(results_api::show),
        )
        .route(
            "/api/v1/campaigns/{id}/comments",
            web::get().to(comments_api::list),
        )
        .route("/tableau-de-bord", web::get().to(dashboard::home))
        .route(
            "/tableau-de-bord/ressources",
            web::get().to(dashboard::resources),
        )
        .route(
            "/tableau-de-bord/entites/{code}",
            web::get().to(entity_results::page),
        )
        .route(
            "/tableau-de-bord/commentaires/{response_id}/masquer",
            web::post().to(dashboard::hide_comment),
        )
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
            "/exports/campagnes/{id}/codebook",
            web::get().to(exports::codebook),
        )
        .route(
            "/exports/campagnes/{id}/{file}",
            web::get().to(exports::statistics_file),
        )
        .route(
            "/exports/indicateurs.xlsx",
            web::get().to(exports::indicators_xlsx),
        )
        .route(
            "/exports/ressources.csv",
            web::get().to(exports::resources_csv),
        );
}

pub use fallback::{error_bodies, not_found};
pub use guard::{Staff, guard};
pub use security_headers::security_headers;
