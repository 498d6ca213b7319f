//! The tally backlog: a response given through a link or an open questionnaire is stored
//! with one row here (`tally_backlog`) instead of its few dozen tally increments, which every
//! writer and every instance would update in each of their transactions. A fold reads a page
//! of the backlog and counts it without any lock ([`prepare`]), then adds the counts to the
//! tallies and deletes the page's rows in one short transaction ([`apply`]): the counts cost
//! once a page what they cost once a response. Readers of the tallies fold what is left
//! first ([`settle`]): the results they show include every response committed before the
//! read.

use std::collections::BTreeSet;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};
use uuid::Uuid;

use super::company_scores::{self, Touched};
use super::raw::{padded, responses_with_ids};
use super::tallies::{Counting, TallyBatch};
use crate::entities::tally_backlog;
use crate::store::StoreError;
use crate::store::batch::{begin_writing, execute_all};

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
    take_lock(txn, FOLDING, others).await
}

/// Takes the transaction-scoped advisory lock `key` (PostgreSQL; SQLite's write lock already
/// lets one writer at a time in); `false` if another transaction holds it and `others` says
/// not to wait.
pub(super) async fn take_lock(
    txn: &DatabaseTransaction,
    key: i64,
    others: Others,
) -> Result<bool, StoreError> {
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
            [key.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get_by_index::<bool>(0))
        .transpose()?
        .unwrap_or(false))
}

/// A page of the backlog counted and its upserts built, ready to be run by [`apply`]: the
/// writer's turn runs statements, it builds none.
#[derive(Debug, Default)]
pub struct Fold {
    ids: Vec<Uuid>,
    upserts: Vec<Statement>,
    touched: BTreeSet<Touched>,
}

impl Fold {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Reads at most `limit` responses of the backlog and counts them, outside any write
/// transaction: the work of a fold that holds no lock, done beside the writer.
pub async fn prepare(db: &impl ConnectionTrait, limit: u64) -> Result<Fold, StoreError> {
    let mut select = Query::select();
    select
        .column(tally_backlog::Column::ResponseId)
        .from(tally_backlog::Entity)
        .order_by(tally_backlog::Column::ResponseId, sea_orm::Order::Asc)
        .limit(limit);
    let mut ids = Vec::new();
    for row in db.query_all(&select).await? {
        ids.push(row.try_get::<Uuid>("", "response_id")?);
    }
    let mut fold = Fold {
        ids,
        ..Fold::default()
    };
    if !fold.ids.is_empty() {
        let responses = responses_with_ids(db, &fold.ids).await?;
        let mut batch = TallyBatch::default();
        Counting::default().add(db, responses, &mut batch).await?;
        fold.touched = batch.upserts(db.get_database_backend(), &mut fold.upserts);
    }
    Ok(fold)
}

/// Adds a prepared fold to the tallies (and the companies' scores) and removes its responses
/// from the backlog, in one short write transaction. If some of them left the backlog since
/// [`prepare`] read it (another fold counted them, or they were erased), nothing is written:
/// `false`, to prepare again.
pub async fn apply(
    db: &DatabaseConnection,
    fold: Fold,
    others: Others,
) -> Result<bool, StoreError> {
    if fold.is_empty() {
        return Ok(true);
    }
    let txn = begin_writing(db).await?;
    if !take_folding_lock(&txn, others).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    let removed = tally_backlog::Entity::delete_many()
        .filter(Expr::col(tally_backlog::Column::ResponseId).is_in(fold.ids.iter().copied()))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed != fold.ids.len() as u64 {
        txn.rollback().await?;
        return Ok(false);
    }
    execute_all(&txn, fold.upserts).await?;
    company_scores::refresh(&txn, &fold.touched).await?;
    txn.commit().await?;
    Ok(true)
}

/// Takes responses about to be deleted in `txn` out of the counts: those still in the
/// backlog were never counted (their backlog rows go with them, `ON DELETE CASCADE`); the
/// others are subtracted from the tallies. Holds the folding lock for the rest of `txn`
/// (PostgreSQL): a fold running meanwhile could otherwise count a response that this
/// transaction believes uncounted.
pub async fn uncount(txn: &DatabaseTransaction, ids: &[Uuid]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    take_folding_lock(txn, Others::Wait).await?;
    let waiting: std::collections::HashSet<Uuid> = tally_backlog::Entity::find()
        .select_only()
        .column(tally_backlog::Column::ResponseId)
        .filter(Expr::col(tally_backlog::Column::ResponseId).is_in(padded(ids)))
        .into_tuple::<Uuid>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let counted: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| !waiting.contains(id))
        .collect();
    if counted.is_empty() {
        return Ok(());
    }
    let mut batch = TallyBatch::default();
    let responses = responses_with_ids(txn, &counted).await?;
    Counting::default()
        .remove(txn, responses, &mut batch)
        .await?;
    batch.write(txn).await
}

/// Folds the whole backlog, waiting for folds in progress elsewhere: what every reader of the
/// tallies calls first. Costs one indexed read when the backlog is empty, as it is but for
/// the last fraction of a second of answering.
pub async fn settle(db: &DatabaseConnection) -> Result<(), StoreError> {
    while is_waiting(db).await? {
        // A fold that lost its race to another is prepared again from what is left.
        apply(db, prepare(db, PAGE).await?, Others::Wait).await?;
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
