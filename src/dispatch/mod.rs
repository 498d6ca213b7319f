//! Sending each invitation on its day, once, and chasing those who have not answered.
//!
//! `Dispatcher::run(now)` does everything as of one instant: queue due invitations, queue due
//! reminders, close expired invitations, then deliver the outbox. The same function serves
//! `jalon dispatch --as-of` and the scheduler of `jalon serve`; nothing reads the wall clock.
//! Every step is idempotent: state changes are guarded by the state they expect, and the
//! outbox has one row per (invitation, kind). The run ends by erasing the emails and names of
//! campaigns closed longer ago than the retention (`domain::retention`).

mod deliver;
mod queue;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::mail::Mailer;
use crate::store::StoreError;

pub struct Dispatcher {
    pub db: DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub mailer: Arc<dyn Mailer>,
    /// Public address for links, without trailing slash.
    pub base_url: String,
    /// `From:` of every email.
    pub from: String,
    /// Months after a campaign closes before its contacts' emails and names are erased.
    pub retention_months: u32,
}

/// What one run did, printed by `jalon dispatch` and logged by the scheduler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DispatchSummary {
    pub invitations_queued: u64,
    pub reminders_queued: u64,
    pub closed: u64,
    pub cancelled: u64,
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    /// Invitations whose email and name were erased (retention over).
    pub erased: u64,
}

impl DispatchSummary {
    pub fn report(&self) -> String {
        format!(
            "invitations mises en file : {}\nrelances mises en file : {}\ninvitations closes : {}\nmessages annulés : {}\nmessages envoyés : {}\nenvois à réessayer : {}\nenvois en échec définitif : {}\ncontacts effacés (durée de conservation écoulée) : {}\n",
            self.invitations_queued,
            self.reminders_queued,
            self.closed,
            self.cancelled,
            self.sent,
            self.retried,
            self.failed,
            self.erased
        )
    }
}

impl Dispatcher {
    pub async fn run(&self, now: DateTime<Utc>) -> Result<DispatchSummary, StoreError> {
        let mut summary = DispatchSummary {
            invitations_queued: self.queue_due_invitations(now).await?,
            reminders_queued: self.queue_due_reminders(now).await?,
            closed: queue::close_expired(&self.db, now).await?,
            ..Default::default()
        };
        summary.cancelled = queue::cancel_moot(&self.db).await?;
        let delivered = self.deliver(now).await?;
        summary.sent = delivered.sent;
        summary.retried = delivered.retried;
        summary.failed = delivered.failed;
        // Last: personal data whose retention is over (RGPD), after anything still to send.
        summary.erased =
            crate::store::personal_data::erase_expired(&self.db, self.retention_months, now)
                .await?;
        if summary.erased > 0 {
            crate::store::audit::record(
                &self.db,
                "envoi automatique",
                "effacement_conservation",
                &format!("{} mois après clôture", self.retention_months),
                &format!("{} invitation(s)", summary.erased),
                now,
            )
            .await?;
        }
        Ok(summary)
    }
}
