//! What the single-writer tasks (the widget's ratings, the submissions) share: a
//! transaction that holds SQLite's write lock from the start, a connection of their own, and
//! multi-row inserts sent in as few round trips as possible.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    QueryTrait, SqliteTransactionMode, SqlxSqliteConnector, Statement, TransactionOptions,
    TransactionTrait,
};

/// Rows per multi-row statement: far below SQLite's and PostgreSQL's bound-parameter limits,
/// and above the writers' usual batches, so that a batch is one statement per table.
const CHUNK: usize = 1_024;

/// A transaction that holds SQLite's write lock from its first statement: these
/// transactions read before they write, and a deferred one would fail outright ("database is
/// locked", not retried by the busy timeout) if another connection wrote in between.
/// PostgreSQL ignores the mode.
pub async fn begin_writing(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// The connection of a single writer task. On SQLite, a connection of its own with the
/// pool's options (WAL, synchronous FULL, foreign keys, busy timeout): its page cache and
/// prepared statements stay warm from one batch to the next, and no pool round trip precedes
/// each transaction. Its cache is larger than the pool's 2 MiB (at most 32 MiB, filled only
/// as pages are read): a batch touches pages all over the invitations, responses and tallies,
/// and each page missing from the cache is a system call inside the write lock. Statement
/// journals stay in memory rather than in a temporary file written page by page. On
/// PostgreSQL, the pool.
fn writer_connection(db: &DatabaseConnection) -> DatabaseConnection {
    if db.get_database_backend() != DbBackend::Sqlite {
        return db.clone();
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let pool = super::connect::close_unfinished_transactions(sea_orm::sqlx::pool::PoolOptions::<
        sea_orm::sqlx::Sqlite,
    >::new())
    .max_connections(1)
    .min_connections(0)
    .test_before_acquire(false)
    .idle_timeout(None)
    .max_lifetime(None)
    .acquire_timeout(std::time::Duration::from_secs(10))
    .connect_lazy_with(
        (*options)
            .clone()
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-32768"),
    );
    SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
}

/// The connection of a single writer task, renewed after the database could not serve: a
/// connection that met a failing file may stay unusable after the file is mended (SQLite
/// opened its write-ahead log read-only meanwhile, for one), and the writer's only
/// connection would then fail every write after.
pub struct WriterConnection {
    pool: DatabaseConnection,
    current: DatabaseConnection,
}

impl WriterConnection {
    pub fn new(pool: &DatabaseConnection) -> Self {
        Self {
            pool: pool.clone(),
            current: writer_connection(pool),
        }
    }

    pub fn get(&self) -> &DatabaseConnection {
        &self.current
    }

    /// A new connection in place of the current one, which is closed (on PostgreSQL, the
    /// pool, which closes broken connections itself, stays).
    pub async fn renew(&mut self) {
        if self.pool.get_database_backend() != DbBackend::Sqlite {
            return;
        }
        let old = std::mem::replace(&mut self.current, writer_connection(&self.pool));
        if let Err(e) = old.close().await {
            tracing::warn!(error = %e, "writer's previous connection not closed cleanly");
        }
    }
}

/// Multi-row inserts of `rows`, `CHUNK` rows per statement, appended to `statements`.
pub fn insert_statements<E, A>(backend: DbBackend, rows: Vec<A>, statements: &mut Vec<Statement>)
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E>,
{
    for chunk in owned_chunks(rows, CHUNK) {
        statements.push(E::insert_many(chunk).build(backend));
    }
}

/// `rows` in owned chunks of `size` (the last one shorter), for multi-row statements that
/// take their rows by value: no row is cloned.
pub fn owned_chunks<T>(
    rows: impl IntoIterator<Item = T>,
    size: usize,
) -> impl Iterator<Item = Vec<T>> {
    let mut rows = rows.into_iter().peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        Some(rows.by_ref().take(size).collect())
    })
}

/// Runs the statements in order. On SQLite as one script: one round trip to the connection's
/// worker thread instead of one per statement (sqlx binds the `?` parameters statement after
/// statement). On PostgreSQL one by one, as its protocol wants.
pub async fn execute_all(
    db: &impl ConnectionTrait,
    statements: Vec<Statement>,
) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite && statements.len() > 1 {
        let mut sql = String::new();
        let mut values = Vec::new();
        for statement in statements {
            sql.push_str(&statement.sql);
            sql.push_str(";\n");
            values.extend(statement.values.map(|v| v.0).unwrap_or_default());
        }
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await?;
    } else {
        for statement in statements {
            db.execute_raw(statement).await?;
        }
    }
    Ok(())
}
