//! Queries. Every function takes a connection (or transaction) and, where time matters, `now`.

pub mod audit;
pub mod campaign_admin;
pub mod campaigns;
mod connect;
pub mod drafts;
pub mod followup;
pub mod invitations;
pub mod outbox;
pub mod personal_data;
pub mod registration;
pub mod responses;
pub mod results;
pub mod staff;
pub mod versions;
pub mod widget;

pub use connect::{connect, migrate};

use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded: worth retrying later (HTTP 503).
    #[error("base de données indisponible")]
    Unavailable(#[source] DbErr),
    #[error("erreur de base de données")]
    Database(#[source] DbErr),
    #[error("données enregistrées illisibles : {0}")]
    Corrupt(String),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            StoreError::Unavailable(err)
        } else {
            StoreError::Database(err)
        }
    }
}

fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        other => {
            // sqlx reports lost connections, pool timeouts and SQLite's "database is locked"
            // as plain errors; they all mean "try again", not "bug".
            let text = other.to_string().to_lowercase();
            [
                "pool timed out",
                "connection refused",
                "database is locked",
                "broken pipe",
                "connection reset",
                "terminating connection",
                "the database system is",
            ]
            .iter()
            .any(|needle| text.contains(needle))
        }
    }
}
