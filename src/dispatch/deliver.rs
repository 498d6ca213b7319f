//! Sending the outbox: claim a batch with a lease, send each message, record each outcome.

use chrono::{DateTime, Duration, Utc};
use tokio::task::JoinSet;

use super::{Dispatcher, LINK_TOKEN_SLOT};
use crate::mail::{MailError, OutgoingEmail};
use crate::progress::Progress;
use crate::store::StoreError;
use crate::store::bounces;
use crate::store::outbox::{self, Outcome};

const CLAIM: u64 = 64;
/// Long enough for a batch to be sent; a crashed sender's rows come back after it.
const LEASE_MINUTES: i64 = 5;
/// After this many transient failures (about a day and a half of backoff) a message is failed.
const MAX_ATTEMPTS: i32 = 12;

#[derive(Debug, Default)]
pub(super) struct Delivered {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
}

/// 1, 2, 4… minutes, at most 6 hours.
fn backoff(attempts: i32) -> Duration {
    let minutes = 1_i64 << attempts.clamp(0, 9);
    Duration::minutes(minutes.min(360))
}

impl Dispatcher {
    pub(super) async fn deliver(
        &self,
        now: DateTime<Utc>,
        progress: &dyn Progress,
    ) -> Result<Delivered, StoreError> {
        let mut delivered = Delivered::default();
        progress.set_length(outbox::ready_count(&self.db, now).await?);
        loop {
            let batch =
                outbox::claim(&self.db, now, Duration::minutes(LEASE_MINUTES), CLAIM).await?;
            if batch.is_empty() {
                progress.finish();
                return Ok(delivered);
            }
            // Sent concurrently: the SMTP transport pools its connections.
            let mut sending = JoinSet::new();
            for row in batch {
                let mailer = self.mailer.clone();
                // The personal link's token, recomputed from the invitation's id: the outbox
                // row only has its slot.
                let token = row.invitation_id.map(|id| self.seal_key.links().token(id));
                let fill = |stored: &str| match &token {
                    Some(token) => stored.replace(LINK_TOKEN_SLOT, token.expose()),
                    None => stored.to_owned(),
                };
                let email = OutgoingEmail {
                    id: row.id,
                    from: self.from.clone(),
                    to: row.recipient.clone(),
                    subject: row.subject.clone(),
                    text: fill(&row.body_text),
                    html: fill(&row.body_html),
                    unsubscribe_url: row.unsubscribe_url.as_deref().map(fill),
                    envelope_from: self
                        .bounce_address
                        .as_ref()
                        .zip(row.bounce_tag.as_deref())
                        .map(|(address, tag)| address.with_tag(tag)),
                    bounce_tag: row.bounce_tag.clone(),
                };
                sending.spawn(async move {
                    let result = mailer.send(&email).await;
                    (row, result)
                });
            }
            while let Some(joined) = sending.join_next().await {
                let Ok((row, result)) = joined else {
                    // A panicking transport: the row stays leased and comes back later.
                    continue;
                };
                let outcome = match result {
                    Ok(server_response) => {
                        delivered.sent += 1;
                        Outcome::Sent { server_response }
                    }
                    Err(MailError::Transient(error)) if row.attempts + 1 < MAX_ATTEMPTS => {
                        delivered.retried += 1;
                        tracing::warn!(outbox = %row.id, %error, "email will be retried");
                        Outcome::Retry {
                            error,
                            next_attempt_at: now + backoff(row.attempts),
                        }
                    }
                    Err(MailError::Transient(error) | MailError::Permanent(error)) => {
                        delivered.failed += 1;
                        tracing::warn!(outbox = %row.id, %error, "email failed permanently");
                        // The server refused the address itself: as a bounce, so that staff
                        // see one list (recorded first: a crash before the outbox row is
                        // recorded sends it again, refused again).
                        if let (Some(invitation), Some(refusal)) = (
                            row.invitation_id,
                            crate::domain::bounce::smtp_refusal(&error),
                        ) {
                            bounces::mark_undeliverable(&self.db, invitation, &refusal, now)
                                .await?;
                        }
                        Outcome::Failed { error }
                    }
                };
                outbox::record(&self.db, &row, outcome, now).await?;
                progress.advance(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_six_hours() {
        let minutes: Vec<i64> = (0..12).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360]);
    }
}
