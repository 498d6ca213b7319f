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
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::batches::Batches;
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
        let receiver = Batches::new(receiver, MAX_BATCH);
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
