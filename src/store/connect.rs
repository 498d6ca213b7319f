use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::pool::PoolOptions;
use sea_orm::sqlx::{self, Connection};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Opens the database named by `url`. SQLite files are created on first use and run in WAL
/// mode (synchronous FULL: a 201 or 303 means the answer survives a power cut too)
/// with foreign keys enforced and a busy timeout, so concurrent writers wait instead of
/// failing.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let is_sqlite = url.starts_with("sqlite:");
    let url = if is_sqlite && !url.contains("mode=") && !url.contains(":memory:") {
        ensure_parent_dir(url);
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_owned()
    };
    let file = PathBuf::from(sqlite_path(&url));
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_pool_opts(move |options| sqlite_pool(options, file.clone()))
        .map_sqlx_postgres_pool_opts(close_unfinished_transactions);
    if is_sqlite {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Deleted rows are overwritten, not left in free pages: the sealed answers
                // of anonymous questionnaires leave no trace once released.
                .pragma("secure_delete", "on")
        });
    }
    Database::connect(options).await
}

/// A connection given back to its pool still inside a transaction is closed, never reused.
/// That happens when a COMMIT or ROLLBACK fails (disk full, I/O error, a session lost in the
/// middle): the driver then still counts the transaction as open, so the connection's next
/// BEGIN would become a SAVEPOINT inside a transaction that nobody ever commits, and every
/// write after it would be acknowledged yet lost. The ping first runs the rollback the
/// dropped transaction queued.
///
/// SQLite's driver counts a transaction closed only once its worker thread has run the
/// rollback: a connection it counts outside any transaction has nothing queued that
/// matters, and is given back without the ping, a round trip to that thread after every
/// query of the pool. PostgreSQL's counts it closed as soon as the rollback is queued: its
/// connections are always pinged.
pub(super) fn close_unfinished_transactions<DB>(options: PoolOptions<DB>) -> PoolOptions<DB>
where
    DB: sqlx::Database,
{
    options.after_release(|connection, _| {
        Box::pin(async move {
            if DB::NAME == <sqlx::Sqlite as sqlx::Database>::NAME && !connection.is_in_transaction()
            {
                return Ok(true);
            }
            connection.ping().await?;
            let unfinished = connection.is_in_transaction();
            if unfinished {
                tracing::warn!("connection left inside a transaction: closed");
            }
            Ok(!unfinished)
        })
    })
}

/// The pool options of every SQLite pool on `file`: [`close_unfinished_transactions`], and
/// no connection opened while the file or its write-ahead log cannot be written. SQLite then
/// opens them read-only without a word (an immutable file, a filesystem remounted read-only
/// after an I/O error), and the connection stays so after they are writable again: every
/// write through it would fail until it is closed. Refused, the connection is opened again
/// at the next acquire, and the request meanwhile is a 503.
pub(super) fn sqlite_pool(
    options: PoolOptions<sqlx::Sqlite>,
    file: PathBuf,
) -> PoolOptions<sqlx::Sqlite> {
    let files = Arc::new([file.clone(), wal_of(&file)]);
    close_unfinished_transactions(options).after_connect(move |_, _| {
        let files = files.clone();
        Box::pin(async move {
            // Asked, never opened: closing any descriptor of the database file would release
            // every POSIX lock SQLite's own connections hold on it in this process.
            for file in files.iter().filter(|f| f.exists()) {
                rustix::fs::access(file, rustix::fs::Access::WRITE_OK)
                    .map_err(|e| sqlx::Error::Io(e.into()))?;
            }
            Ok(())
        })
    })
}

fn wal_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    // The results' tallies arrived with a migration: the responses stored before it are
    // counted once, here (a no-op afterwards).
    super::results::tallies::backfill_if_needed(db)
        .await
        .map_err(|e| DbErr::Custom(format!("calcul des résultats impossible : {e}")))?;
    Ok(())
}

/// The file of a `sqlite:` URL (empty for another URL or an in-memory database).
fn sqlite_path(url: &str) -> &str {
    if !url.starts_with("sqlite:") || url.contains(":memory:") {
        return "";
    }
    url.trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default()
}

fn ensure_parent_dir(url: &str) {
    let path = sqlite_path(url);
    if let Some(parent) = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        // A failure here surfaces as a clear connection error right after.
        let _ = std::fs::create_dir_all(parent);
    }
}
