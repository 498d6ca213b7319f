//! Building the HTTP application, shared by `jalon serve` and the tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::middleware::{Compress, ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpServer};
use sea_orm::DatabaseConnection;

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::config::{AuthSettings, WidgetSettings};
use crate::domain::results::ResultsSettings;
use crate::oidc::OidcClient;
use crate::seal_key::SealKey;
use crate::store;
use crate::submissions::Submissions;
use crate::web::widget_script::LiveWidgetScript;
use crate::web::{self as http, AppState};
use crate::widget::Widget;
use crate::writer::{self, Queues, WriterHandle};

pub struct Application {
    port: u16,
    server: Server,
    writer: WriterHandle,
    watcher: tokio::task::JoinHandle<()>,
}

/// How often each instance looks for a questionnaire published (by any instance).
pub const PUBLICATION_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

pub struct AppParts {
    pub db: DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub clock: Arc<dyn Clock>,
    pub max_body_bytes: usize,
    pub results: ResultsSettings,
    /// From `store::anonymity::open_seal_key`: checked against the sealed responses already
    /// stored.
    pub seal_key: SealKey,
    pub auth: AuthSettings,
}

impl Application {
    /// Binds `address` (port 0 picks a free one) and prepares the server without running it.
    pub fn build(parts: AppParts, address: &str) -> std::io::Result<Self> {
        Self::build_with_widget(parts, WidgetSettings::default(), address)
    }

    /// The same, with the download widget's settings (origins, proxies, limits, secret).
    /// Starts the writer task: call from within a Tokio runtime.
    pub fn build_with_widget(
        parts: AppParts,
        widget: WidgetSettings,
        address: &str,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address)?;
        let port = listener.local_addr()?.port();
        let origins = widget.origins.clone();
        let (widget, ratings) = Widget::new(widget, parts.clock.clone());
        let (submissions, answers) = Submissions::new(parts.db.get_database_backend());
        let writer = writer::spawn(
            parts.db.clone(),
            parts.seal_key.clone(),
            Queues {
                answers,
                ratings,
                widget: widget.clone(),
            },
        );
        let oidc = parts
            .auth
            .oidc
            .clone()
            .map(|settings| Arc::new(OidcClient::new(settings, parts.clock.clone())));
        let watcher = tokio::spawn(watch_publications(
            parts.db.clone(),
            parts.catalog.clone(),
            PUBLICATION_CHECK,
        ));
        let state = AppState {
            oidc,
            widget_script: Arc::new(LiveWidgetScript::new(&parts.catalog)),
            db: parts.db,
            catalog: parts.catalog,
            clock: parts.clock,
            widget,
            submissions,
            results: parts.results,
            seal_key: parts.seal_key,
            auth: Arc::new(parts.auth),
        };
        let server = run(listener, state, parts.max_body_bytes, origins)?;
        Ok(Self {
            port,
            server,
            writer,
            watcher,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until stopped, then writes the queued responses, the widget's queued ratings
    /// and pending downloads.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.watcher.abort();
        self.writer.shutdown().await;
        result
    }
}

/// Every `every`, asks the database for the newest publication (one indexed `MAX`), and
/// loads the published versions into `catalog` when it has moved: a publish on any instance
/// is in use on all within `every`, without a restart.
async fn watch_publications(db: DatabaseConnection, catalog: Arc<Catalog>, every: Duration) {
    let mut seen = 0;
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let newest = match store::editing::newest_publication_id(&db).await {
            Ok(newest) => newest,
            Err(e) => {
                tracing::warn!(error = ?e, "publications unreadable");
                continue;
            }
        };
        if newest == seen {
            continue;
        }
        match store::editing::apply_publications(&db, &catalog).await {
            Ok(changed) => {
                if changed > 0 {
                    tracing::info!(changed, "published questionnaires loaded");
                }
                seen = newest;
            }
            Err(e) => tracing::warn!(error = ?e, "published questionnaires not loaded"),
        }
    }
}

fn run(
    listener: TcpListener,
    state: AppState,
    max_body: usize,
    widget_origins: Vec<String>,
) -> std::io::Result<Server> {
    let state = actix_web::web::Data::new(state);
    let server = HttpServer::new(move || {
        let error_pages = [
            StatusCode::BAD_REQUEST,
            StatusCode::NOT_FOUND,
            StatusCode::METHOD_NOT_ALLOWED,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StatusCode::INTERNAL_SERVER_ERROR,
        ]
        .into_iter()
        .fold(ErrorHandlers::new(), |handlers, status| {
            handlers.handler(status, http::error_bodies)
        });
        App::new()
            // Innermost: every non-public route needs a session or a bearer token.
            .wrap(from_fn(http::guard))
            // The access log names the route pattern, never the path: paths carry tokens.
            .wrap(
                Logger::new("%{route}xi %s %Dms").custom_request_replace("route", |req| {
                    format!(
                        "{} {}",
                        req.method(),
                        req.match_pattern().unwrap_or_else(|| "?".into())
                    )
                }),
            )
            .wrap(error_pages)
            .wrap(Compress::default())
            // Outermost: every answer, refusals included, carries the security headers.
            .wrap(from_fn(http::security_headers))
            .app_data(state.clone())
            .app_data(actix_web::web::PayloadConfig::new(max_body))
            .app_data(
                actix_web::web::JsonConfig::default()
                    .limit(max_body)
                    .error_handler(|err, _req| {
                        let message = match &err {
                            actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
                            | actix_web::error::JsonPayloadError::Overflow { .. } => {
                                return actix_web::error::InternalError::from_response(
                                    err,
                                    actix_web::HttpResponse::PayloadTooLarge().json(
                                        http::ErrorBody::new(
                                            http::ErrorCode::PayloadTooLarge,
                                            "Le corps de la requête dépasse la taille autorisée.",
                                        ),
                                    ),
                                )
                                .into();
                            }
                            actix_web::error::JsonPayloadError::ContentType => {
                                "Content-Type application/json attendu.".to_owned()
                            }
                            other => format!("Corps JSON invalide : {other}"),
                        };
                        http::ApiError(http::WebError::BadRequest(message)).into()
                    }),
            )
            // The widget's public endpoints first: the busiest routes of all are then matched
            // (and named in the access log) without trying every dynamic route before them.
            .configure(|cfg| http::widget_routes(cfg, &widget_origins))
            .configure(http::routes)
            .default_service(actix_web::web::to(http::not_found))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
