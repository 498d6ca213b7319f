//! Background jobs of `jalon serve`. Each job is a plain function that the tests call
//! directly with a moved clock; the scheduler only decides when.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::bounces::mailbox;
use crate::bounces::mailbox_address::MailboxAddress;
use crate::clock::Clock;
use crate::dispatch::Dispatcher;

/// Runs dispatch on `cron` (6 fields, with seconds, UTC). A run still going when the next
/// is due makes that next one skip instead of piling up.
pub async fn start(
    dispatcher: Arc<Dispatcher>,
    clock: Arc<dyn Clock>,
    cron: &str,
) -> Result<JobScheduler, JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    let running = Arc::new(Mutex::new(()));
    let job = Job::new_async(cron, move |_id, _scheduler| {
        let dispatcher = dispatcher.clone();
        let clock = clock.clone();
        let running = running.clone();
        Box::pin(async move {
            let Ok(_guard) = running.try_lock() else {
                tracing::info!("dispatch still running; this tick is skipped");
                return;
            };
            match dispatcher.run(clock.now()).await {
                Ok(summary) if summary == Default::default() => {
                    tracing::debug!("dispatch: nothing to do")
                }
                Ok(summary) => tracing::info!(?summary, "dispatch done"),
                Err(e) => tracing::warn!(error = ?e, "dispatch failed; next tick retries"),
            }
        })
    })?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    Ok(scheduler)
}

/// Reads the bounce mailbox on `cron` (`JALON_BOUNCE_CHECK_CRON`). A failure (server down,
/// wrong password) is logged and the next tick retries; messages already processed are not
/// processed twice, wherever the failure happened.
pub async fn add_bounce_check(
    scheduler: &JobScheduler,
    db: DatabaseConnection,
    mailbox: MailboxAddress,
    clock: Arc<dyn Clock>,
    cron: &str,
) -> Result<(), JobSchedulerError> {
    let running = Arc::new(Mutex::new(()));
    let job = Job::new_async(cron, move |_id, _scheduler| {
        let db = db.clone();
        let mailbox = mailbox.clone();
        let clock = clock.clone();
        let running = running.clone();
        Box::pin(async move {
            let Ok(_guard) = running.try_lock() else {
                tracing::info!("bounce mailbox still being read; this tick is skipped");
                return;
            };
            let mut each = |_: &crate::bounces::Processed| {};
            match mailbox::check(&db, &mailbox, clock.now(), &mut each).await {
                Ok(checked) if checked.processed.is_empty() && checked.unreadable.is_empty() => {
                    tracing::debug!("bounce mailbox: nothing new")
                }
                Ok(checked) => tracing::info!(
                    processed = checked.processed.len(),
                    unrecognised = checked
                        .processed
                        .iter()
                        .filter(|p| !p.effect.recognised())
                        .count(),
                    unreadable = checked.unreadable.len(),
                    "bounce mailbox read"
                ),
                Err(e) => tracing::warn!(
                    error = %e,
                    mailbox = %mailbox,
                    "bounce mailbox unreadable; next tick retries"
                ),
            }
        })
    })?;
    scheduler.add(job).await?;
    Ok(())
}
