//! Leaving no readable copy of erased data in the database's files, after an erasure of
//! personal data (`personal_data`) or an anonymous release (`anonymity`).
//!
//! - SQLite: every connection overwrites deleted content with zeros (`secure_delete`, see
//!   `connect`), so the pages as they are now hold no copy; but the write-ahead log still
//!   holds earlier images of the same pages until it is checkpointed. [`forget_erased`]
//!   checkpoints it into the file and truncates it to nothing.
//! - PostgreSQL: an `UPDATE` or `DELETE` leaves the old row version in the table file (a dead
//!   tuple) until `VACUUM` prunes it. [`forget_erased`] runs a plain `VACUUM` on the tables
//!   touched, so that the space is pruned and reused at once rather than whenever autovacuum
//!   comes by. It does not promise that the bytes are overwritten (only `VACUUM FULL`
//!   rewrites the files, under an exclusive lock), nor reach the server's write-ahead log
//!   archive or backups: the README says what the operator does about those.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// Best effort, after the erasing transaction committed (`VACUUM` cannot run inside one):
/// a failure is logged, and the next erasure or release tries again.
pub async fn forget_erased(db: &DatabaseConnection, tables: &[&str]) {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            // Waits (busy timeout) for readers of older snapshots, then copies the log into the
            // file and empties it; `busy = 1` means a reader kept it from finishing.
            let done = db
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Sqlite,
                    "PRAGMA wal_checkpoint(TRUNCATE)",
                ))
                .await;
            match done {
                Ok(Some(row)) if row.try_get::<i32>("", "busy").unwrap_or(1) == 0 => {}
                Ok(_) => tracing::warn!("write-ahead log not emptied: a reader held it"),
                Err(e) => tracing::warn!(error = %e, "write-ahead log not emptied"),
            }
        }
        DatabaseBackend::Postgres if !tables.is_empty() => {
            let list = tables
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ");
            if let Err(e) = db.execute_unprepared(&format!("VACUUM {list}")).await {
                tracing::warn!(error = %e, "VACUUM after an erasure failed");
            }
        }
        _ => {}
    }
}
