//! Submissions: responses given through a personal link (form or JSON API) or an open
//! questionnaire are queued to the writer task of the process (`crate::writer`), which takes every submission
//! waiting, stores them all in one transaction (`store::submissions::submit_batch`),
//! commits, and only then answers each request (group commit). A 201 or 303 therefore still
//! means committed, and thousands of responses a second cost a few hundred commits instead
//! of thousands of transactions queuing for SQLite's single write lock.
//!
//! PostgreSQL goes through the writer too: one commit per batch spares the write-ahead log
//! flush of each response, and a second task takes batches beside it, so that one batch is
//! written while the other commits. A response's transaction touches no row another
//! response shares (but the link it claims): it adds one row to the tally backlog, which the
//! process's writer folds into the tallies every `FOLD_EVERY` (see
//! `store::results::backlog`).

mod writer;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DbBackend, DbErr};
use tokio::sync::{Mutex, mpsc, oneshot, watch};
use uuid::Uuid;

use crate::store::StoreError;
use crate::store::responses::SubmitError;
pub use crate::store::submissions::{Ready, Submission};

pub use writer::{FoldJob, apply_fold, prepare_folds, serve, store_all, write};

/// Submissions waiting for the writer; beyond, requests wait for room.
const QUEUE_CAPACITY: usize = 8_192;
/// Submissions written in one transaction at most.
const MAX_BATCH: usize = 512;
/// Longest a request waits for its commit before answering 503.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(20);

/// A submission waiting for the writer, with the way back to its request.
pub struct Job {
    submission: Ready,
    done: oneshot::Sender<Result<Uuid, SubmitError>>,
}

/// The writers' end of the queue of submissions: on PostgreSQL several writers take their
/// batches from it (see `crate::writer`), one at a time.
pub type AnswerQueue = Batches<Job>;

/// The receiving end of a queue, shared by the tasks that take batches from it.
pub struct Batches<T> {
    queue: Arc<Mutex<mpsc::Receiver<T>>>,
    /// Set by [`Batches::close`]: wakes the taker that holds the queue while it waits for an
    /// item, so that closing never waits for one to come.
    closing: Arc<watch::Sender<bool>>,
}

impl<T> Clone for Batches<T> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
            closing: self.closing.clone(),
        }
    }
}

impl<T> Batches<T> {
    pub fn new(receiver: mpsc::Receiver<T>) -> Self {
        Self {
            queue: Arc::new(Mutex::new(receiver)),
            closing: Arc::new(watch::Sender::new(false)),
        }
    }

    /// The next batch: the first item to come and every one already waiting behind it,
    /// [`MAX_BATCH`] at most. `None` once the queue is closed and empty. Cancel-safe: a batch
    /// is taken whole or not at all.
    pub async fn next_batch(&self) -> Option<Vec<T>> {
        let mut closing = self.closing.subscribe();
        let mut queue = self.queue.lock().await;
        let first = tokio::select! {
            biased;
            item = queue.recv() => item?,
            () = async {
                // The value's guard must not live across the `recv` below.
                let _ = closing.wait_for(|closing| *closing).await;
            } => {
                queue.close();
                queue.recv().await?
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        Some(batch)
    }

    /// Refuses new items; those queued can still be taken.
    pub async fn close(&self) {
        self.closing.send_replace(true);
        self.queue.lock().await.close();
    }
}

/// The queue to the writer task.
#[derive(Debug, Clone)]
pub struct Submissions {
    queue: mpsc::Sender<Job>,
    /// What the submissions' rows are written out for, before they are queued.
    backend: DbBackend,
}

impl Submissions {
    /// The queue of submissions; the writer (`crate::writer::spawn`) serves its other end.
    pub fn new(backend: DbBackend) -> (Arc<Self>, AnswerQueue) {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Batches::new(receiver);
        (Arc::new(Self { queue, backend }), receiver)
    }

    /// Queues a checked submission and waits until it is committed (its id), or refused
    /// (already answered), or failed. A writer that is stopping or saturated is a 503.
    pub async fn submit(&self, submission: Submission) -> Result<Uuid, SubmitError> {
        let busy = || {
            SubmitError::Store(StoreError::Unavailable(DbErr::Custom(
                "file d'attente des réponses saturée ou arrêt en cours".to_owned(),
            )))
        };
        let (done, committed) = oneshot::channel();
        let submission = submission.ready(self.backend);
        let wait = async {
            self.queue
                .send(Job { submission, done })
                .await
                .map_err(|_| busy())?;
            committed.await.map_err(|_| busy())?
        };
        tokio::time::timeout(COMMIT_TIMEOUT, wait)
            .await
            .map_err(|_| busy())?
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn several_takers_get_every_item_once_in_bounded_batches() {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let queue = Batches::new(receiver);
        let takers: Vec<_> = (0..3)
            .map(|_| {
                let queue = queue.clone();
                tokio::spawn(async move {
                    let mut taken = Vec::new();
                    while let Some(batch) = queue.next_batch().await {
                        assert!((1..=MAX_BATCH).contains(&batch.len()));
                        taken.extend(batch);
                    }
                    taken
                })
            })
            .collect();
        let senders: Vec<_> = (0..4u32)
            .map(|n| {
                let sender = sender.clone();
                tokio::spawn(async move {
                    for i in 0..5_000u32 {
                        sender.send(n * 5_000 + i).await.unwrap();
                    }
                })
            })
            .collect();
        drop(sender);
        for task in senders {
            task.await.unwrap();
        }
        let mut all = Vec::new();
        for task in takers {
            all.extend(task.await.unwrap());
        }
        assert_eq!(all.len(), 20_000, "each item taken once");
        assert_eq!(all.into_iter().collect::<BTreeSet<_>>().len(), 20_000);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_wakes_a_taker_waiting_on_an_empty_queue() {
        let (_sender, receiver) = mpsc::channel::<u32>(QUEUE_CAPACITY);
        let queue = Batches::new(receiver);
        let waiting = tokio::spawn({
            let queue = queue.clone();
            async move { queue.next_batch().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        tokio::time::timeout(Duration::from_secs(5), queue.close())
            .await
            .expect("closing does not wait for an item");
        assert_eq!(waiting.await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_closed_queue_still_gives_what_it_holds_then_none() {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let queue = Batches::new(receiver);
        for i in 0..(MAX_BATCH + 3) {
            sender.send(i).await.unwrap();
        }
        queue.close().await;
        assert!(sender.send(0).await.is_err(), "closed to new items");
        assert_eq!(queue.next_batch().await.map(|b| b.len()), Some(MAX_BATCH));
        assert_eq!(
            queue.next_batch().await,
            Some(vec![MAX_BATCH, MAX_BATCH + 1, MAX_BATCH + 2])
        );
        assert_eq!(queue.next_batch().await, None);
    }
}
