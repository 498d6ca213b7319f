//! What the writer (`crate::writer`) does with submissions: store a batch of them in one
//! transaction, and fold the tally backlog, counted beside it.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};
use tokio::time::MissedTickBehavior;
use uuid::Uuid;

use super::{AnswerQueue, Job, Ready};
use crate::seal_key::SealKey;
use crate::store::StoreError;
use crate::store::batch::WriterConnection;
use crate::store::responses::SubmitError;
use crate::store::results::backlog::{self, Others};
use crate::store::submissions::{Outcome, submit_batch};

/// How often the responses stored since the last fold are added to the tallies: the most a
/// reader of the tallies would have to fold itself.
const FOLD_EVERY: Duration = Duration::from_millis(250);

/// A fold counted beside the writer, and the way back of its result.
pub type FoldJob = (backlog::Fold, oneshot::Sender<Result<bool, StoreError>>);

/// Every `FOLD_EVERY`, reads and counts the backlog of stored responses on `db` (the pool,
/// not the writer's connection), and hands each page to the writer, which only adds it to
/// the tallies in a short transaction. Ends with the writer. A failure leaves the backlog as
/// it was, for the next tick or the next reader.
pub async fn prepare_folds(db: DatabaseConnection, folds: mpsc::Sender<FoldJob>) {
    let mut tick = tokio::time::interval(FOLD_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            let started = std::time::Instant::now();
            let fold = match backlog::prepare(&db, backlog::PAGE).await {
                Ok(fold) if fold.is_empty() => break,
                Ok(fold) => fold,
                Err(e) => {
                    tracing::warn!(error = %e, "tally backlog not read; retrying at the next tick");
                    break;
                }
            };
            let count = fold.len();
            let (done, applied) = oneshot::channel();
            if folds.send((fold, done)).await.is_err() {
                return; // the writer has stopped
            }
            match applied.await {
                Ok(Ok(true)) => {
                    tracing::debug!(count, elapsed = ?started.elapsed(), "tally backlog folded");
                }
                // Another fold took part of it: the next tick.
                Ok(Ok(false)) => break,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "tally backlog not folded; retrying at the next tick");
                    break;
                }
                Err(_) => return,
            }
            if (count as u64) < backlog::PAGE {
                break;
            }
        }
    }
}

/// Adds a fold's counts to the tallies on the writer's connection and says so to its
/// preparer. `false` if the database could not serve.
pub async fn apply_fold(db: &DatabaseConnection, (fold, done): FoldJob) -> bool {
    let applied = backlog::apply(db, fold, Others::Skip).await;
    let unavailable = matches!(applied, Err(StoreError::Unavailable(_)));
    let _ = done.send(applied);
    !unavailable
}

/// Writes a batch taken from the queue, then answers each request. `false` if the database
/// could not serve.
pub async fn write(db: &DatabaseConnection, seal_key: &SealKey, batch: Vec<Job>) -> bool {
    let (count, started) = (batch.len(), std::time::Instant::now());
    let (submissions, replies): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|job| (job.submission, job.done))
        .unzip();
    let results = store_all(db, seal_key, submissions).await;
    tracing::debug!(count, elapsed = ?started.elapsed(), "batch of responses written");
    let served = !results
        .iter()
        .any(|r| matches!(r, Err(SubmitError::Store(StoreError::Unavailable(_)))));
    for (reply, result) in replies.into_iter().zip(results) {
        // A request that gave up waiting (timeout, client gone) finds its response stored.
        let _ = reply.send(result);
    }
    served
}

/// An answer writer besides the process's writer (`crate::writer`), on PostgreSQL: takes
/// batches from `queue` and writes them on `connection` until the queue is closed and empty.
pub async fn serve(mut connection: WriterConnection, seal_key: SealKey, queue: AnswerQueue) {
    while let Some(batch) = queue.next_batch().await {
        if !write(connection.get(), &seal_key, batch).await {
            connection.renew().await;
        }
    }
}

/// Stores the submissions in one transaction and says what became of each, in order. If
/// that transaction fails for another reason than an unavailable database, each submission
/// is tried alone, so that one bad submission cannot sink the others. Used by the writer
/// task; public so that the batch behaviour can be tested deterministically.
pub async fn store_all(
    db: &DatabaseConnection,
    seal_key: &SealKey,
    submissions: Vec<Ready>,
) -> Vec<Result<Uuid, SubmitError>> {
    let count = submissions.len();
    match submit_batch(db, seal_key, &submissions).await {
        Ok(outcomes) => outcomes.into_iter().map(answer).collect(),
        Err(StoreError::Unavailable(e)) => {
            tracing::warn!(error = %e, count, "responses not stored: database unavailable");
            (0..count)
                .map(|_| Err(SubmitError::Store(StoreError::Unavailable(e.clone()))))
                .collect()
        }
        Err(e) if count == 1 => {
            tracing::error!(error = ?e, "response not stored");
            vec![Err(SubmitError::Store(e))]
        }
        Err(e) => {
            tracing::warn!(error = ?e, count, "batch of responses failed; storing one by one");
            let mut results = Vec::with_capacity(count);
            for submission in submissions {
                let result = submit_batch(db, seal_key, std::slice::from_ref(&submission))
                    .await
                    .map_err(SubmitError::Store)
                    .and_then(|outcomes| {
                        outcomes.into_iter().next().map_or_else(
                            || {
                                Err(SubmitError::Store(StoreError::Corrupt(
                                    "lot vide".to_owned(),
                                )))
                            },
                            answer,
                        )
                    });
                if let Err(SubmitError::Store(e)) = &result {
                    tracing::error!(error = ?e, "response not stored");
                }
                results.push(result);
            }
            results
        }
    }
}

fn answer(outcome: Outcome) -> Result<Uuid, SubmitError> {
    match outcome {
        Outcome::Stored(id) => Ok(id),
        Outcome::AlreadyCompleted => Err(SubmitError::AlreadyCompleted),
    }
}
