//! The tally backlog: a response given through a link or an open questionnaire is stored
//! with one row here (`tally_backlog`) instead of its few dozen tally increments, which every
//! writer and every instance would update in each of their transactions. The folder adds a
//! page of the backlog to the tallies and deletes its rows in one transaction, so that the
//! cost of the counts is paid once a page rather than once a response, and readers of the
//! tallies fold what is left first ([`settle`]): the results they show include every
//! response committed before the read.

use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};
use uuid::Uuid;

use super::raw::responses_with_ids;
use super::tallies::{Counting, TallyBatch};
use crate::entities::tally_backlog;
use crate::store::StoreError;
use crate::store::batch::begin_writing;

/// Responses folded in one transaction at most.
pub const PAGE: u64 = 2_000;

/// What a fold does when another transaction is folding (PostgreSQL: another instance or a
/// reader; SQLite runs one write transaction at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Others {
    /// Leaves the backlog to it: the background folders of several instances never wait on
    /// each other.
    Skip,
    /// Waits for it to commit: a reader then sees its responses counted.
    Wait,
}

/// The key of the transaction-scoped advisory lock that lets one fold at a time run on
/// PostgreSQL: two folds would upsert the same tally rows, and one would wait on the other's
/// row locks ("jalon" in ASCII).
const FOLDING: i64 = 0x006a_616c_6f6e;

/// Takes the folding lock for the transaction (PostgreSQL); `false` if another fold holds it
/// and `others` says not to wait.
async fn take_folding_lock(txn: &DatabaseTransaction, others: Others) -> Result<bool, StoreError> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let sql = match others {
        Others::Skip => "SELECT pg_try_advisory_xact_lock($1)",
        Others::Wait => "SELECT pg_advisory_xact_lock($1)::text IS NOT NULL",
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [FOLDING.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get_by_index::<bool>(0))
        .transpose()?
        .unwrap_or(false))
}

/// Adds at most `limit` responses of the backlog to the tallies (and the companies' scores),
/// removes them from the backlog, and commits: all of it or nothing. Returns how many.
pub async fn fold(
    db: &DatabaseConnection,
    limit: u64,
    others: Others,
) -> Result<usize, StoreError> {
    let txn = begin_writing(db).await?;
    if !take_folding_lock(&txn, others).await? {
        txn.commit().await?;
        return Ok(0);
    }
    let mut select = Query::select();
    select
        .column(tally_backlog::Column::ResponseId)
        .from(tally_backlog::Entity)
        .order_by(tally_backlog::Column::ResponseId, sea_orm::Order::Asc)
        .limit(limit);
    match others {
        Others::Skip => select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked),
        Others::Wait => select.lock(LockType::Update),
    };
    let mut ids = Vec::new();
    for row in txn.query_all(&select).await? {
        ids.push(row.try_get::<Uuid>("", "response_id")?);
    }
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let responses = responses_with_ids(&txn, &ids).await?;
    let mut batch = TallyBatch::default();
    Counting::default().add(&txn, responses, &mut batch).await?;
    tally_backlog::Entity::delete_many()
        .filter(Expr::col(tally_backlog::Column::ResponseId).is_in(ids.iter().copied()))
        .exec(&txn)
        .await?;
    batch.write(&txn).await?;
    txn.commit().await?;
    Ok(ids.len())
}

/// Folds the whole backlog, waiting for folds in progress elsewhere: what every reader of the
/// tallies calls first. Costs one indexed read when the backlog is empty, as it is but for
/// the last fraction of a second of answering.
pub async fn settle(db: &DatabaseConnection) -> Result<(), StoreError> {
    while is_waiting(db).await? {
        if fold(db, PAGE, Others::Wait).await? == 0 {
            // Rows seen waiting were folded by another transaction meanwhile.
            break;
        }
    }
    Ok(())
}

async fn is_waiting(db: &DatabaseConnection) -> Result<bool, StoreError> {
    let any = tally_backlog::Entity::find()
        .select_only()
        .column(tally_backlog::Column::ResponseId)
        .limit(1)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    Ok(any.is_some())
}
