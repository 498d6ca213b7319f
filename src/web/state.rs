use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::domain::results::ResultsSettings;

/// What every handler may use. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub clock: Arc<dyn Clock>,
    /// Targets and anonymity threshold of the published results.
    pub results: ResultsSettings,
}
