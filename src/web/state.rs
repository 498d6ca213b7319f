use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::config::AuthSettings;
use crate::domain::results::ResultsSettings;
use crate::oidc::OidcClient;
use crate::seal_key::SealKey;
use crate::submissions::Submissions;
use crate::web::widget_script::LiveWidgetScript;
use crate::widget::Widget;

/// What every handler may use. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub clock: Arc<dyn Clock>,
    /// Indicator 4's download widget: rate limits, pending downloads, the ratings writer.
    pub widget: Arc<Widget>,
    pub widget_script: Arc<LiveWidgetScript>,
    /// The queue to the submission writer (group commit of responses).
    pub submissions: Arc<Submissions>,
    /// Targets and anonymity threshold of the published results.
    pub results: ResultsSettings,
    /// Encrypts the sealed answers of anonymous questionnaires.
    pub seal_key: SealKey,
    /// Staff sign-in settings.
    pub auth: Arc<AuthSettings>,
    /// Single sign-on's client, when a provider is configured.
    pub oidc: Option<Arc<OidcClient>>,
}
