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
use crate::store::batch::writer_connection;
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
    let db = writer_connection(&db);
    let task = tokio::spawn(async move {
        let mut fold_tick = tokio::time::interval(FOLD_EVERY);
        fold_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = &mut stopped => break,
                job = queue.recv() => match job {
                    Some(first) => write(&db, &seal_key, first, &mut queue).await,
                    None => break,
                },
                _ = fold_tick.tick() => fold_backlog(&db).await,
            }
        }
        // Shutting down: nothing new comes in; what is queued is written.
        queue.close();
        while let Some(first) = queue.recv().await {
            write(&db, &seal_key, first, &mut queue).await;
        }
    });
    WriterHandle {
        stop: Some(stop),
        task: Some(task),
    }
}

/// Adds the backlog of stored responses to the tallies, a page a transaction, leaving to
/// other instances what they are folding. A failure leaves the backlog as it was, for the
/// next tick or the next reader.
async fn fold_backlog(db: &DatabaseConnection) {
    loop {
        match backlog::fold(db, backlog::PAGE, Others::Skip).await {
            Ok(folded) if folded as u64 == backlog::PAGE => continue,
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "tally backlog not folded yet; retrying at the next tick");
                return;
            }
        }
    }
}

/// Writes `first` and every submission already waiting behind it, then answers each request.
async fn write(
    db: &DatabaseConnection,
    seal_key: &SealKey,
    first: Job,
    queue: &mut mpsc::Receiver<Job>,
) {
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
    for (reply, result) in replies.into_iter().zip(results) {
        // A request that gave up waiting (timeout, client gone) finds its response stored.
        let _ = reply.send(result);
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
