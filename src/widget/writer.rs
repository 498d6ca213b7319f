//! The widget's one writer: group commit of ratings, periodic flush of download counts,
//! daily purge of visitor keys. One task, so SQLite sees one writer and every batch is one
//! transaction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::{QUESTIONNAIRE, RatingError, RatingJob, Widget};
use crate::store::StoreError;
use crate::store::batch::WriterConnection;
use crate::store::widget::{self as store, RatingOutcome};

/// Ratings written in one transaction at most.
const MAX_BATCH: usize = 1_024;
/// How often the rate limiter forgets visitors whose budget is full again.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// Stops the writer: what is queued is written, pending downloads are flushed.
pub struct WriterHandle {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl WriterHandle {
    /// Writes what is queued and pending, then returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "widget writer ended abnormally");
        }
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        // Dropped without `shutdown`: the task still finishes its work on its own.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub(super) fn spawn(
    widget: Arc<Widget>,
    mut queue: mpsc::Receiver<RatingJob>,
    db: DatabaseConnection,
) -> WriterHandle {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let mut connection = WriterConnection::new(&db);
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(widget.settings.flush_interval);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut purged_on = None;
        let mut forgotten_at = Instant::now();
        loop {
            tokio::select! {
                biased;
                _ = &mut stopped => break,
                job = queue.recv() => match job {
                    Some(first) => {
                        if !write_ratings(connection.get(), first, &mut queue).await {
                            connection.renew().await;
                        }
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    let db = connection.get();
                    flush_downloads(&widget, db).await;
                    let today = widget.today();
                    if purged_on != Some(today) {
                        match store::purge_visitor_keys(db, today).await {
                            Ok(_) => purged_on = Some(today),
                            Err(e) => tracing::warn!(error = %e, "purge of visitor keys failed"),
                        }
                    }
                    if forgotten_at.elapsed() >= FORGET_EVERY {
                        widget.forget_idle_visitors();
                        forgotten_at = Instant::now();
                    }
                }
            }
        }
        // Shutting down: nothing new comes in; what is queued is written.
        queue.close();
        while let Some(first) = queue.recv().await {
            if !write_ratings(connection.get(), first, &mut queue).await {
                connection.renew().await;
            }
        }
        flush_downloads(&widget, connection.get()).await;
    });
    WriterHandle {
        stop: Some(stop),
        task: Some(task),
    }
}

/// Writes `first` and every rating already waiting behind it in one transaction, then
/// answers each request. If the batch fails for another reason than an unavailable
/// database, each rating is tried alone, so that one bad row cannot sink the others.
/// `false` if the database could not serve.
async fn write_ratings(
    db: &DatabaseConnection,
    first: RatingJob,
    queue: &mut mpsc::Receiver<RatingJob>,
) -> bool {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    let (ratings, replies): (Vec<_>, Vec<_>) =
        batch.into_iter().map(|job| (job.rating, job.done)).unzip();
    match store::record_ratings(db, QUESTIONNAIRE, &ratings).await {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(answer(outcome));
            }
        }
        Err(StoreError::Unavailable(e)) => {
            tracing::warn!(error = %e, count = ratings.len(), "ratings not stored: database unavailable");
            for reply in replies {
                let _ = reply.send(Err(RatingError::Busy));
            }
            return false;
        }
        Err(e) if ratings.len() == 1 => {
            tracing::error!(error = ?e, "rating not stored");
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(RatingError::Store(e)));
            }
        }
        Err(e) => {
            tracing::warn!(error = ?e, count = ratings.len(), "batch of ratings failed; storing one by one");
            for (rating, reply) in ratings.into_iter().zip(replies) {
                let result =
                    store::record_ratings(db, QUESTIONNAIRE, std::slice::from_ref(&rating))
                        .await
                        .map_err(RatingError::Store)
                        .and_then(|outcomes| {
                            outcomes
                                .first()
                                .copied()
                                .map_or(Err(RatingError::Busy), answer)
                        });
                if let Err(e) = &result {
                    tracing::error!(error = ?e, "rating not stored");
                }
                let _ = reply.send(result);
            }
        }
    }
    true
}

fn answer(outcome: RatingOutcome) -> Result<(), RatingError> {
    match outcome {
        RatingOutcome::Recorded => Ok(()),
        RatingOutcome::Closed => Err(RatingError::Closed),
    }
}

async fn flush_downloads(widget: &Widget, db: &DatabaseConnection) {
    let counts = widget.downloads.take();
    if counts.is_empty() {
        return;
    }
    if let Err(e) = store::record_downloads(db, &counts, widget.clock.now()).await {
        tracing::warn!(error = %e, "download counts not written yet; retrying at the next flush");
        widget.downloads.restore(counts);
    }
}
