//! The tally backlog: a response given through a link or an open questionnaire is stored
//! with one row here (`tally_backlog`) instead of its few dozen tally increments, which every
//! writer and every instance would update in each of their transactions. The folder adds a
//! page of the backlog to the tallies and deletes its rows in one transaction, so that the
//! cost of the counts is paid once a page rather than once a response, and readers of the
//! tallies fold what is left first ([`settle`]): the results they show include every
//! response committed before the read.

use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::raw::responses_with_ids;
use super::tallies::{Counting, TallyBatch};
use crate::entities::tally_backlog;
use crate::store::StoreError;
use crate::store::batch::begin_writing;

/// Responses folded in one transaction at most.
pub const PAGE: u64 = 2_000;

/// What a fold does with backlog rows another transaction is folding (PostgreSQL; SQLite
/// runs one write transaction at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Others {
    /// Leaves them to it: the background folders of several instances never wait on each
    /// other.
    Skip,
    /// Waits for it to commit: a reader then sees them counted.
    Wait,
}

/// Adds at most `limit` responses of the backlog to the tallies (and the companies' scores),
/// removes them from the backlog, and commits: all of it or nothing. Returns how many.
pub async fn fold(
    db: &DatabaseConnection,
    limit: u64,
    others: Others,
) -> Result<usize, StoreError> {
    let txn = begin_writing(db).await?;
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
