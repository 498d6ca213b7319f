//! The writer task of submissions: one per process, so that SQLite sees one writer of
//! responses and every batch is one transaction.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use uuid::Uuid;

use super::{Job, Ready};
use crate::seal_key::SealKey;
use crate::store::StoreError;
use crate::store::batch::WriterConnection;
use crate::store::responses::SubmitError;
use crate::store::results::backlog::{self, Others};
use crate::store::submissions::{Outcome, submit_batch};

/// Submissions written in one transaction at most.
const MAX_BATCH: usize = 512;
/// How often the responses stored since the last fold are added to the tallies: the most a
/// reader of the tallies would have to fold itself.
const FOLD_EVERY: Duration = Duration::from_millis(250);

/// Stops the writer: what is queued is written first.
pub struct WriterHandle {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl WriterHandle {
    /// Writes what is queued, then returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "submission writer ended abnormally");
        }
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        // Dropped without `shutdown`: the task still writes what is queued on its own.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub(super) fn spawn(
    mut queue: mpsc::Receiver<Job>,
    db: DatabaseConnection,
    seal_key: SealKey,
) -> WriterHandle {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let (folds, mut prepared) = mpsc::channel::<FoldJob>(1);
    tokio::spawn(prepare_folds(db.clone(), folds));
    let mut db = WriterConnection::new(&db);
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                _ = &mut stopped => break,
                // At most one a tick, and first: answering never starves the counts.
                Some((fold, done)) = prepared.recv() => {
                    let applied = backlog::apply(db.get(), fold, Others::Skip).await;
                    let unavailable = matches!(applied, Err(StoreError::Unavailable(_)));
                    let _ = done.send(applied);
                    if unavailable {
                        db.renew().await;
                    }
                }
                job = queue.recv() => match job {
                    Some(first) => {
                        if !write(db.get(), &seal_key, first, &mut queue).await {
                            db.renew().await;
                        }
                    }
                    None => break,
                },
            }
        }
        // Shutting down: nothing new comes in; what is queued is written.
        queue.close();
        while let Some(first) = queue.recv().await {
            if !write(db.get(), &seal_key, first, &mut queue).await {
                db.renew().await;
            }
        }
    });
    WriterHandle {
        stop: Some(stop),
        task: Some(task),
    }
}

/// A fold counted beside the writer, and the way back of its result.
type FoldJob = (backlog::Fold, oneshot::Sender<Result<bool, StoreError>>);

/// Every `FOLD_EVERY`, reads and counts the backlog of stored responses on `db` (the pool,
/// not the writer's connection), and hands each page to the writer, which only adds it to
/// the tallies in a short transaction. Ends with the writer. A failure leaves the backlog as
/// it was, for the next tick or the next reader.
async fn prepare_folds(db: DatabaseConnection, folds: mpsc::Sender<FoldJob>) {
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

/// Writes `first` and every submission already waiting behind it, then answers each request.
/// `false` if the database could not serve.
async fn write(
    db: &DatabaseConnection,
    seal_key: &SealKey,
    first: Job,
    queue: &mut mpsc::Receiver<Job>,
) -> bool {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
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
