//! The one writer task of a process: every write that needs group commit goes through it, on
//! one connection, so that SQLite sees a single writer and each batch is one transaction.
//! It takes turns between
//! - answers (personal links and open questionnaires, form and JSON API): `submissions`;
//! - the tally backlog's folds, counted beside it on the pool and only added here;
//! - the widget's ratings, and its upkeep every `flush_interval` (download counts, the daily
//!   purge of visitor keys, the rate limiter's idle visitors): `widget`.
//!
//! Whatever kind a batch is, it is committed before any of its requests is answered, and a
//! database that cannot serve has the connection renewed before the next batch.
//!
//! On PostgreSQL, other tasks write answers beside it, each batch in its own transaction
//! (`answer_writers`), and a task moves the participation counts' changes into the counts
//! every second (`store::results::count_changes`): a short transaction of the pool's, which
//! holds no lock a writer waits on.

use std::sync::Arc;

use std::time::Duration;

use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::seal_key::SealKey;
use crate::store::batch::WriterConnection;
use crate::store::results::count_changes;
use crate::submissions::{self, AnswerQueue, FoldJob};
use crate::widget::{self, RatingQueue, Widget};

/// Stops the writer: what is queued is written, pending downloads are flushed.
pub struct WriterHandle {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// The other answer writers (PostgreSQL): they end once the writer has closed the queue
    /// and it is empty.
    answer_writers: Vec<JoinHandle<()>>,
    compactor: JoinHandle<()>,
}

/// Tasks writing answers, each in its own transactions: on PostgreSQL, batches of several
/// connections commit side by side (a link's claim is row-locked, in one order for every
/// writer, so two writers holding the same link store it once), and while the process's writer
/// folds the tallies, answers still go in; SQLite takes one writer at a time, so it keeps one.
pub fn answer_writers(backend: DbBackend) -> usize {
    match backend {
        // Two: measured against one, three and six (README, "answering").
        DbBackend::Postgres => 2,
        _ => 1,
    }
}

/// How often the participation counts' changes are moved into the counts (PostgreSQL).
const COMPACTION_INTERVAL: Duration = Duration::from_secs(1);

impl WriterHandle {
    /// Writes what is queued and pending, then returns.
    pub async fn shutdown(mut self) {
        self.compactor.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "writer ended abnormally");
        }
        for task in self.answer_writers.drain(..) {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "answer writer ended abnormally");
            }
        }
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        // Dropped without `shutdown`: the task still writes what is queued on its own.
        self.compactor.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What the writer serves: the queues of answers and ratings, and the widget whose upkeep
/// it does.
pub struct Queues {
    pub answers: AnswerQueue,
    pub ratings: RatingQueue,
    pub widget: Arc<Widget>,
}

/// Starts the writer task on the current Tokio runtime. `seal_key` encrypts the sealed
/// answers of anonymous questionnaires.
pub fn spawn(db: DatabaseConnection, seal_key: SealKey, queues: Queues) -> WriterHandle {
    let Queues {
        answers,
        ratings,
        widget,
    } = queues;
    let (stop, mut stopped) = oneshot::channel::<()>();
    let (folds, mut prepared) = mpsc::channel::<FoldJob>(1);
    tokio::spawn(submissions::prepare_folds(db.clone(), folds));
    let compactor = tokio::spawn(compact_counts(db.clone()));
    let answer_writers = (1..answer_writers(db.get_database_backend()))
        .map(|_| {
            tokio::spawn(submissions::serve(
                WriterConnection::new(&db),
                seal_key.clone(),
                answers.clone(),
            ))
        })
        .collect();
    let mut connection = WriterConnection::new(&db);
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(widget.settings.flush_interval);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut upkeep = widget::Upkeep::default();
        loop {
            // Unbiased: under a steady flow of answers, ratings and folds still get their turn.
            let served = tokio::select! {
                _ = &mut stopped => break,
                Some(fold) = prepared.recv() => submissions::apply_fold(connection.get(), fold).await,
                Some(batch) = answers.next_batch() => {
                    submissions::write(connection.get(), &seal_key, batch).await
                }
                Some(batch) = ratings.next_batch() => {
                    widget::write_ratings(connection.get(), batch).await
                }
                _ = tick.tick() => {
                    widget::upkeep(&widget, connection.get(), &mut upkeep).await;
                    true
                }
            };
            if !served {
                connection.renew().await;
            }
        }
        // Shutting down: nothing new comes in; what is queued is written.
        answers.close().await;
        ratings.close().await;
        while let Some(batch) = answers.next_batch().await {
            if !submissions::write(connection.get(), &seal_key, batch).await {
                connection.renew().await;
            }
        }
        while let Some(batch) = ratings.next_batch().await {
            if !widget::write_ratings(connection.get(), batch).await {
                connection.renew().await;
            }
        }
        widget::flush_downloads(&widget, connection.get()).await;
    });
    WriterHandle {
        stop: Some(stop),
        task: Some(task),
        answer_writers,
        compactor,
    }
}

/// Moves the participation counts' changes into the counts every [`COMPACTION_INTERVAL`]
/// (PostgreSQL; SQLite keeps its counts in place). A failure waits for the next turn: the
/// changes stay, and readers count them meanwhile.
async fn compact_counts(db: DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let mut tick = tokio::time::interval(COMPACTION_INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = count_changes::compact(&db).await {
            tracing::warn!(error = %e, "participation counts' changes not moved yet");
        }
    }
}
