//! Sending each invitation on its day, once, and chasing those who have not answered.
//!
//! `Dispatcher::run(now)` does everything as of one instant: close expired invitations, cancel
//! moot emails, queue due invitations and reminders while delivering the outbox, then release the sealed answers
//! of anonymous questionnaires that may join the results (`store::anonymity`). The same function serves
//! `jalon dispatch --as-of` and the scheduler of `jalon serve`; nothing reads the wall clock.
//! Every step is idempotent: state changes are guarded by the state they expect, and the
//! outbox has one row per (invitation, kind). The run ends by erasing the contacts (email,
//! name, role) of campaigns closed longer ago than the retention (`domain::retention`,
//! `store::personal_data`).

mod deliver;
mod queue;
mod turns;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::mail::Mailer;
use crate::store::StoreError;

/// Where an outbox row's bodies and unsubscribe address have the personal link's token: the
/// row is written with this, and the token (derived from the invitation's id,
/// `crate::link_key`) replaces it only in the message being sent, so that no email stored
/// in the database gives a working link. Migration 13 put it in the emails queued before.
pub const LINK_TOKEN_SLOT: &str = "JALON-LINK-TOKEN";

pub struct Dispatcher {
    pub db: DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub mailer: Arc<dyn Mailer>,
    /// Public address for links, without trailing slash.
    pub base_url: String,
    /// `From:` of every email.
    pub from: lettre::message::Mailbox,
    /// Months after a campaign closes before its contacts' emails and names are erased.
    pub retention_months: u32,
    /// Anonymous questionnaires: sealed responses are released by at least this many.
    pub anonymity_threshold: u64,
    /// Opens the sealed responses to release them (`store::anonymity`).
    pub seal_key: crate::seal_key::SealKey,
    /// `JALON_BOUNCE_ADDRESS`: the envelope sender of each email, tagged (VERP). `None`: the
    /// address of `From:`.
    pub bounce_address: Option<crate::domain::bounce::BounceAddress>,
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
    /// Sealed anonymous responses that joined the results.
    pub released: u64,
    /// Sealed anonymous responses kept back: the seal key cannot open them.
    pub withheld: u64,
    /// Invitations whose contact details were erased (retention period over).
    pub erased: u64,
}

impl DispatchSummary {
    pub fn report(&self) -> String {
        format!(
            "invitations mises en file : {}\nrelances mises en file : {}\ninvitations closes : {}\nmessages annulés : {}\nmessages envoyés : {}\nenvois à réessayer : {}\nenvois en échec définitif : {}\nréponses anonymes publiées : {}\nréponses anonymes retenues (clé de scellement qui ne les ouvre pas) : {}\ncoordonnées effacées (durée de conservation échue) : {}\n",
            self.invitations_queued,
            self.reminders_queued,
            self.closed,
            self.cancelled,
            self.sent,
            self.retried,
            self.failed,
            self.released,
            self.withheld,
            self.erased
        )
    }
}

impl Dispatcher {
    pub async fn run(&self, now: DateTime<Utc>) -> Result<DispatchSummary, StoreError> {
        self.run_showing(now, &crate::progress::Silent).await
    }

    /// [`Self::run`], reporting the emails sent to `progress` (the command line's bar).
    pub async fn run_showing(
        &self,
        now: DateTime<Utc>,
        progress: &dyn crate::progress::Progress,
    ) -> Result<DispatchSummary, StoreError> {
        let closed = queue::close_expired(&self.db, now).await?;
        let cancelled = queue::cancel_moot(&self.db).await?;
        // Sending starts with the first batch queued, not after the last.
        // Under a rate limit emails wait for their turn longer than a lease: they are
        // claimed as the sending gets to them, not leased as they are queued.
        let queueing = deliver::Queueing::new(self.mailer.pace().per_second.is_none());
        let turns = turns::WriteTurns::for_backend(self.db.get_database_backend());
        let leases = deliver::Leases::starting(now);
        let queue = async {
            let queued = async {
                let invitations = self
                    .queue_due_invitations(now, &queueing, &turns, &leases)
                    .await?;
                let reminders = self
                    .queue_due_reminders(now, &queueing, &turns, &leases)
                    .await?;
                Ok::<_, StoreError>((invitations, reminders))
            }
            .await;
            queueing.finish();
            queued
        };
        let ((invitations_queued, reminders_queued), delivered) = tokio::try_join!(
            queue,
            self.deliver(now, progress, &queueing, &turns, &leases)
        )?;
        let mut summary = DispatchSummary {
            invitations_queued,
            reminders_queued,
            closed,
            cancelled,
            sent: delivered.sent,
            retried: delivered.retried,
            failed: delivered.failed,
            ..Default::default()
        };
        let released = self.release_anonymous(now).await?;
        summary.released = released.released;
        summary.withheld = released.withheld;
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

    /// Releases the sealed responses of anonymous questionnaires whose time has come.
    async fn release_anonymous(
        &self,
        now: DateTime<Utc>,
    ) -> Result<crate::store::anonymity::ReleaseSummary, StoreError> {
        let anonymous: Vec<_> = self
            .catalog
            .iter()
            .filter(|l| l.definition.anonymous)
            .map(|l| l.definition.code)
            .collect();
        crate::store::anonymity::release_due_campaigns(
            &self.db,
            &self.seal_key,
            &anonymous,
            self.anonymity_threshold,
            now,
        )
        .await
    }
}
