//! Queries. Every function takes a connection (or transaction) and, where time matters, `now`.

pub mod anonymity;
pub mod audit;
pub mod batch;
pub mod campaign_admin;
pub mod campaigns;
mod connect;
pub mod drafts;
pub mod followup;
pub mod invitations;
pub mod json_rows;
pub mod outbox;
pub mod personal_data;
pub mod registration;
pub mod responses;
pub mod results;
pub mod staff;
pub mod submissions;
pub mod versions;
pub mod widget;

pub use connect::{connect, migrate};

use sea_orm::{DbErr, RuntimeErr, SqlxError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded: worth retrying later (HTTP 503).
    #[error("base de données indisponible")]
    Unavailable(#[source] DbErr),
    #[error("erreur de base de données")]
    Database(#[source] DbErr),
    #[error("données enregistrées illisibles : {0}")]
    Corrupt(String),
    /// Sealed anonymous responses this instance's key cannot open (`store::anonymity`):
    /// kept, never released with another key, never deleted.
    #[error("{0} réponse(s) anonyme(s) scellée(s) illisible(s) avec la clé de scellement")]
    Unsealable(u64),
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
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e))
            if is_lost_connection(e) =>
        {
            true
        }
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

/// A connection lost mid-request (the server went away: EOF, reset), the pool exhausted or
/// closed, or the server saying it cannot serve now (SQLSTATE classes 08, 53 and 57P):
/// the request may be retried, it is no bug.
fn is_lost_connection(err: &SqlxError) -> bool {
    match err {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        SqlxError::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("53") || code.starts_with("57P")
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn query_error(err: SqlxError) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
    }

    #[test]
    fn a_connection_lost_mid_query_is_unavailable_not_a_bug() {
        let eof = std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "expected to read 5 bytes",
        );
        for err in [
            query_error(SqlxError::Io(eof)),
            query_error(SqlxError::PoolTimedOut),
            query_error(SqlxError::PoolClosed),
            DbErr::Exec(RuntimeErr::SqlxError(Arc::new(SqlxError::WorkerCrashed))),
        ] {
            assert!(matches!(StoreError::from(err), StoreError::Unavailable(_)));
        }
        for err in [
            query_error(SqlxError::RowNotFound),
            query_error(SqlxError::Protocol("bad".into())),
            DbErr::Custom("bug".into()),
        ] {
            assert!(matches!(StoreError::from(err), StoreError::Database(_)));
        }
    }
}
