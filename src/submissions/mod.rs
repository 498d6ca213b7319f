//! The submission writer: responses given through a personal link (form or JSON API) or an
//! open questionnaire are queued to one task per process, which takes every submission
//! waiting, stores them all in one transaction (`store::submissions::submit_batch`),
//! commits, and only then answers each request (group commit). A 201 or 303 therefore still
//! means committed, and thousands of responses a second cost a few hundred commits instead
//! of thousands of transactions queuing for SQLite's single write lock.
//!
//! PostgreSQL goes through the writer too: one commit per batch spares the write-ahead log
//! flush of each response. A response's transaction touches no row another response shares
//! (but the link it claims): it adds one row to the tally backlog, which the same task folds
//! into the tallies every `FOLD_EVERY` (see `store::results::backlog`).

mod writer;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::seal_key::SealKey;
use crate::store::StoreError;
use crate::store::responses::SubmitError;
pub use crate::store::submissions::{Ready, Submission};

pub use writer::{WriterHandle, store_all};

/// Submissions waiting for the writer; beyond, requests wait for room.
const QUEUE_CAPACITY: usize = 8_192;
/// Longest a request waits for its commit before answering 503.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(20);

/// A submission waiting for the writer, with the way back to its request.
struct Job {
    submission: Ready,
    done: oneshot::Sender<Result<Uuid, SubmitError>>,
}

/// The queue to the writer task.
#[derive(Debug, Clone)]
pub struct Submissions {
    queue: mpsc::Sender<Job>,
    /// What the submissions' rows are written out for, before they are queued.
    backend: DbBackend,
}

impl Submissions {
    /// Starts the writer task on the current Tokio runtime.
    /// `seal_key` encrypts the sealed answers of anonymous questionnaires.
    pub fn start(db: DatabaseConnection, seal_key: SealKey) -> (Arc<Self>, WriterHandle) {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let backend = db.get_database_backend();
        let handle = writer::spawn(receiver, db, seal_key);
        (Arc::new(Self { queue, backend }), handle)
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
