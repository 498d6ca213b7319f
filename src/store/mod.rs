//! Queries. Every function takes a connection (or transaction) and, where time matters, `now`.

pub mod anonymity;
pub mod audit;
pub mod batch;
pub mod bounces;
pub mod campaign_admin;
pub mod campaigns;
mod connect;
pub mod drafts;
pub mod editing;
pub mod followup;
pub mod invitations;
pub mod json_rows;
pub mod outbox;
pub mod personal_data;
pub mod registration;
pub mod responses;
pub mod results;
pub mod scrub;
pub mod staff;
pub mod submissions;
pub mod versions;
pub mod widget;

pub use connect::{connect, migrate};

use sea_orm::sqlx::error::DatabaseError as _;
use sea_orm::sqlx::sqlite::SqliteError;
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

impl From<crate::seal_key::SealError> for StoreError {
    fn from(err: crate::seal_key::SealError) -> Self {
        StoreError::Corrupt(err.to_string())
    }
}

impl From<StoreError> for crate::seal_key::SealKeyError {
    fn from(err: StoreError) -> Self {
        crate::seal_key::SealKeyError::Database(Box::new(err))
    }
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
/// closed, or the database saying it cannot serve now: the request may be retried, it is no
/// bug. See [`sqlite_cannot_serve`] and [`postgres_cannot_serve`] for which refusals.
fn is_lost_connection(err: &SqlxError) -> bool {
    match err {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        SqlxError::Database(db) => match db.try_downcast_ref::<SqliteError>() {
            Some(sqlite) => sqlite
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .is_some_and(sqlite_cannot_serve),
            None => db.code().is_some_and(|code| postgres_cannot_serve(&code)),
        },
        _ => false,
    }
}

/// SQLite's primary result codes (the low byte of an extended code) that describe the
/// file or the machine, not the statement: busy or locked, out of memory, read-only file,
/// I/O error, corrupt file, disk full, file that cannot be opened, locking protocol.
fn sqlite_cannot_serve(extended_code: i32) -> bool {
    matches!(extended_code & 0xff, 5 | 6 | 7 | 8 | 10 | 11 | 13 | 14 | 15)
}

/// PostgreSQL's SQLSTATEs of the same kind: connection exceptions (08), insufficient
/// resources such as a full disk (53), operator intervention such as a terminated session
/// or a shutdown (57P), a statement cancelled by its timeout (57014), a transaction that
/// lost a serialization conflict or a deadlock (40001, 40P01), a lock not available
/// (55P03), a read-only standby (25006).
fn postgres_cannot_serve(sqlstate: &str) -> bool {
    ["08", "53", "57P"]
        .iter()
        .any(|class| sqlstate.starts_with(class))
        || ["57014", "40001", "40P01", "55P03", "25006"].contains(&sqlstate)
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

    #[test]
    fn the_file_or_the_machine_failing_is_unavailable_a_statement_failing_is_not() {
        // Disk full, read-only file, a write I/O error (extended), busy.
        for code in [13, 8, 10 | (3 << 8), 5] {
            assert!(sqlite_cannot_serve(code), "{code}");
        }
        // Constraint (a unique key, extended), syntax error, mismatch.
        for code in [19 | (8 << 8), 1, 20] {
            assert!(!sqlite_cannot_serve(code), "{code}");
        }
        for sqlstate in ["08006", "53100", "57P01", "57014", "40001", "40P01"] {
            assert!(postgres_cannot_serve(sqlstate), "{sqlstate}");
        }
        for sqlstate in ["23505", "42601", "22P02"] {
            assert!(!postgres_cannot_serve(sqlstate), "{sqlstate}");
        }
    }
}
