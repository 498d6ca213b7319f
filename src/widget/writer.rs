//! What the writer (`crate::writer`) does for the widget: group commit of ratings, periodic
//! flush of download counts, daily purge of visitor keys.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

use super::{QUESTIONNAIRE, RatingError, RatingJob, Widget};
use crate::store::StoreError;
use crate::store::widget::{self as store, RatingOutcome};

/// Ratings written in one transaction at most.
pub(super) const MAX_BATCH: usize = 1_024;
/// How often the rate limiter forgets visitors whose budget is full again.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// When the upkeep last did its daily and minutely work.
#[derive(Debug)]
pub struct Upkeep {
    purged_on: Option<NaiveDate>,
    forgotten_at: Instant,
}

impl Default for Upkeep {
    fn default() -> Self {
        Self {
            purged_on: None,
            forgotten_at: Instant::now(),
        }
    }
}

/// The widget's work every `flush_interval`: the download counts written, the visitor keys
/// of past days purged (once a day), the rate limiter's idle visitors forgotten.
pub async fn upkeep(widget: &Widget, db: &DatabaseConnection, state: &mut Upkeep) {
    flush_downloads(widget, db).await;
    let today = widget.today();
    if state.purged_on != Some(today) {
        match store::purge_visitor_keys(db, today).await {
            Ok(_) => state.purged_on = Some(today),
            Err(e) => tracing::warn!(error = %e, "purge of visitor keys failed"),
        }
    }
    if state.forgotten_at.elapsed() >= FORGET_EVERY {
        widget.forget_idle_visitors();
        state.forgotten_at = Instant::now();
    }
}

/// Writes a batch of ratings taken from the queue in one transaction, then
/// answers each request. If the batch fails for another reason than an unavailable
/// database, each rating is tried alone, so that one bad row cannot sink the others.
/// `false` if the database could not serve.
pub async fn write_ratings(db: &DatabaseConnection, batch: Vec<RatingJob>) -> bool {
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

pub async fn flush_downloads(widget: &Widget, db: &DatabaseConnection) {
    let counts = widget.downloads.take();
    if counts.is_empty() {
        return;
    }
    if let Err(e) = store::record_downloads(db, &counts, widget.clock.now()).await {
        tracing::warn!(error = %e, "download counts not written yet; retrying at the next flush");
        widget.downloads.restore(counts);
    }
}
