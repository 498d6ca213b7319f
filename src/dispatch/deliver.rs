//! Sending the outbox: take the emails the queueing hands over (leased as they were written)
//! or claim a batch with a lease, send each message, record the outcomes.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::turns::WriteTurns;
use super::{Dispatcher, LINK_TOKEN_SLOT};
use crate::domain::email_template::{NAME, Slot};
use crate::entities::outbox as outbox_row;
use crate::mail::{EncodedBody, MailError, OutgoingEmail};
use crate::progress::Progress;
use crate::store::StoreError;
use crate::store::bounces;
use crate::store::outbox::{self, Outcome};

/// Emails claimed and not yet sent, at most: enough to keep every connection busy while the
/// next claim waits for its turn to write (a batch being queued holds it for some 30 ms).
const CLAIM: u64 = 256;
/// Outcomes are recorded once this many have come back, or once the oldest has waited
/// [`RECORD_WITHIN`]: what a crash can resend. Each record is a commit, hence an fsync: one
/// per outcome or two was most of the database's work in a sending.
const RECORD_EVERY: usize = 64;
const RECORD_WITHIN: std::time::Duration = std::time::Duration::from_millis(100);

/// Emails handed over by the queueing and not yet taken by the sending, at most (before
/// the queueing writes its next batch): with the batch being written, what waits for a
/// connection stays well within its lease.
const HANDED_AHEAD: usize = CLAIM as usize;

/// What the queueing running beside [`Dispatcher::deliver`] has done so far, and the emails
/// it queued already leased to the sending: those are handed over, not claimed and read back.
#[derive(Debug, Default)]
pub(super) struct Queueing {
    queued: AtomicU64,
    done: AtomicBool,
    changed: Notify,
    /// `None`: the queueing leases nothing and the sending claims every email (under a
    /// rate limit, where emails wait longer than a lease for their turn).
    handed: Option<Mutex<VecDeque<outbox::Claimed>>>,
    taken: Notify,
}

impl Queueing {
    /// A queueing that hands its emails over if `hand_over`, else leaves them to claims.
    pub fn new(hand_over: bool) -> Self {
        Self {
            handed: hand_over.then(Mutex::default),
            ..Self::default()
        }
    }

    /// Whether queued emails are leased to the sending and handed over ([`Self::hand_over`]).
    pub fn hands_over(&self) -> bool {
        self.handed.is_some()
    }

    /// `emails` more are in the outbox, committed.
    pub fn add(&self, emails: u64) {
        self.queued.fetch_add(emails, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// These emails, committed and leased, are for the sending to send.
    pub fn hand_over(&self, emails: Vec<outbox::Claimed>) {
        let count = emails.len() as u64;
        if let Some(handed) = &self.handed {
            handed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(emails);
        }
        self.add(count);
    }

    /// Until the sending has room for another batch (at once without handing over).
    pub async fn room(&self) {
        let Some(handed) = &self.handed else { return };
        loop {
            let waiting = handed.lock().unwrap_or_else(PoisonError::into_inner).len();
            if waiting < HANDED_AHEAD {
                return;
            }
            self.taken.notified().await;
        }
    }

    /// Up to `wanted` of the emails handed over.
    fn take(&self, wanted: u64) -> Vec<outbox::Claimed> {
        let Some(handed) = &self.handed else {
            return Vec::new();
        };
        let taken: Vec<_> = {
            let mut handed = handed.lock().unwrap_or_else(PoisonError::into_inner);
            let count = handed
                .len()
                .min(usize::try_from(wanted).unwrap_or(usize::MAX));
            handed.drain(..count).collect()
        };
        if !taken.is_empty() {
            self.taken.notify_one();
        }
        taken
    }

    /// Nothing more will be queued (also when queueing failed).
    pub fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
        self.changed.notify_one();
    }

    fn queued(&self) -> u64 {
        self.queued.load(Ordering::SeqCst)
    }

    fn is_done(&self) -> bool {
        self.done.load(Ordering::SeqCst)
    }

    /// Until something was queued or queueing finished (at once if that happened since the
    /// last wait: `notify_one` keeps one permit).
    async fn changed(&self) {
        self.changed.notified().await;
    }
}

/// The slots of a stored body, in the order [`EncodedBody::fill`] takes their values.
const SLOTS: [Slot; 2] = [
    Slot {
        marker: LINK_TOKEN_SLOT,
        drops_space_before: false,
    },
    NAME,
];

/// The two bodies of the emails that share them, encoded once for all of them.
struct Bodies {
    text: EncodedBody,
    html: EncodedBody,
}

impl Bodies {
    fn of(claimed: &outbox::Claimed) -> Self {
        Self {
            text: EncodedBody::new(&claimed.body_text, &SLOTS),
            html: EncodedBody::new(&claimed.body_html, &SLOTS),
        }
    }
}

/// Long enough for a batch to be sent; a crashed sender's rows come back after it.
const LEASE: Duration = Duration::minutes(5);

/// The end of a lease taken now, in the run's time: its instant plus how long it has run. A
/// run can last longer than a lease (a large sending, a slow relay): a lease counted from
/// the run's instant alone would have ended before it was taken, and another instance
/// would send the same emails again.
pub(super) struct Leases {
    run_at: DateTime<Utc>,
    started: std::time::Instant,
}

impl Leases {
    pub fn starting(run_at: DateTime<Utc>) -> Self {
        Self {
            run_at,
            started: std::time::Instant::now(),
        }
    }

    pub fn until(&self) -> DateTime<Utc> {
        let elapsed = Duration::from_std(self.started.elapsed()).unwrap_or(Duration::zero());
        self.run_at + elapsed + LEASE
    }
}
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
    /// Sends every ready message of the outbox, and those `queueing` adds meanwhile, until it
    /// is done. Rows are claimed ahead of the sending, so that the SMTP connections never
    /// wait for the database; outcomes are recorded in one transaction with the next claim,
    /// every [`RECORD_EVERY`] outcomes or [`RECORD_WITHIN`], so that a crash can resend only
    /// the few messages accepted since the last record.
    pub(super) async fn deliver(
        &self,
        now: DateTime<Utc>,
        progress: &dyn Progress,
        queueing: &Queueing,
        turns: &WriteTurns,
        leases: &Leases,
    ) -> Result<Delivered, StoreError> {
        let mut delivered = Delivered::default();
        let ready_before = outbox::ready_count(&self.db, now).await?;
        progress.set_length(ready_before);
        let pace = self.mailer.pace();
        // Under a rate limit, no more claimed at once than a minute's worth: what waits its
        // turn must not outlive its lease.
        let claim_size = pace
            .per_second
            .map_or(CLAIM, |rate| CLAIM.min(u64::from(rate.get()) * 60));
        // One message per connection at a time: more would open connections that the
        // transport closes right after (its pool keeps this many).
        let connections = Arc::new(Semaphore::new(pace.connections));
        let mut sending = JoinSet::new();
        let mut outbox_empty = false;
        // The last claim found fewer rows than it asked for: while emails are handed over,
        // the next ones come from the queueing, and the outbox is claimed again once it is
        // done.
        let mut outbox_dry = false;
        let mut outcomes = Vec::new();
        // When the oldest outcome not yet recorded came back.
        let mut unrecorded_since: Option<tokio::time::Instant> = None;
        loop {
            let wanted = if outbox_empty {
                0
            } else {
                claim_size.saturating_sub(sending.len() as u64)
            };
            // With nothing left sending, what came back is recorded too.
            let record_due = outcomes.len() >= RECORD_EVERY
                || unrecorded_since.is_some_and(|since| since.elapsed() >= RECORD_WITHIN);
            if record_due || wanted >= claim_size / 2 || sending.is_empty() {
                if !outcomes.is_empty() {
                    self.record_refusals(&outcomes, now).await?;
                }
                // Read before claiming: rows queued after this claim are seen by the next one.
                let queueing_done = queueing.is_done();
                let mut batch = queueing.take(wanted);
                let to_claim = if outbox_dry && queueing.hands_over() && !queueing_done {
                    0
                } else {
                    wanted - batch.len() as u64
                };
                let turn = turns.take().await;
                let claimed =
                    outbox::record_and_claim(&self.db, &outcomes, now, leases.until(), to_claim)
                        .await?;
                drop(turn);
                if to_claim > 0 {
                    outbox_dry = (claimed.len() as u64) < to_claim;
                }
                batch.extend(claimed);
                progress.set_length(ready_before + queueing.queued());
                progress.advance(outcomes.len() as u64);
                outcomes.clear();
                unrecorded_since = None;
                if wanted > 0 && batch.is_empty() {
                    if queueing_done {
                        outbox_empty = true;
                    } else if sending.is_empty() {
                        queueing.changed().await;
                        continue;
                    }
                }
                // The claimed emails that share their bodies share their encoding too.
                let mut encoded: HashMap<Option<Uuid>, Bodies> = HashMap::new();
                for claimed in batch {
                    let bodies = encoded
                        .entry(claimed.row.body_id)
                        .or_insert_with(|| Bodies::of(&claimed));
                    let email = self.email_of(&claimed, bodies);
                    let row = claimed.row;
                    let mailer = self.mailer.clone();
                    let connections = connections.clone();
                    sending.spawn(async move {
                        let result = match connections.acquire_owned().await {
                            Ok(_connection) => mailer.send(&email).await,
                            Err(_) => Err(MailError::Transient("envoi interrompu".to_owned())),
                        };
                        (row, result)
                    });
                }
            }
            let next = match unrecorded_since {
                Some(since) => {
                    match tokio::time::timeout_at(since + RECORD_WITHIN, sending.join_next()).await
                    {
                        Ok(next) => next,
                        // Time to record what came back.
                        Err(_elapsed) => continue,
                    }
                }
                None => sending.join_next().await,
            };
            let Some(first) = next else {
                if outbox_empty && outcomes.is_empty() {
                    progress.finish();
                    return Ok(delivered);
                }
                continue;
            };
            for joined in
                std::iter::once(first).chain(std::iter::from_fn(|| sending.try_join_next()))
            {
                // A panicking transport: the row stays leased and comes back later.
                let Ok((row, result)) = joined else { continue };
                let outcome = self.outcome(&row, result, now, &mut delivered);
                outcomes.push((row, outcome));
            }
            unrecorded_since.get_or_insert_with(tokio::time::Instant::now);
        }
    }

    /// The message of an outbox row, with its personal link's token recomputed from the
    /// invitation's id and its contact's name: the bodies only have their slots.
    fn email_of(&self, claimed: &outbox::Claimed, bodies: &Bodies) -> OutgoingEmail {
        let row = &claimed.row;
        let token = row.invitation_id.map(|id| self.seal_key.links().token(id));
        let token = token.as_ref().map(|token| token.expose());
        let name = claimed.name.as_deref();
        let html_name = name.map(|name| maud::html! { (name) }.into_string());
        let unsubscribe_url = row.unsubscribe_url.as_deref().map(|url| match token {
            Some(token) => url.replace(LINK_TOKEN_SLOT, token),
            None => url.to_owned(),
        });
        OutgoingEmail {
            id: row.id,
            from: self.from.clone(),
            to: row.recipient.clone(),
            subject: row.subject.clone(),
            text: bodies.text.fill(&[token, name]),
            html: bodies.html.fill(&[token, html_name.as_deref()]),
            unsubscribe_url,
            envelope_from: self
                .bounce_address
                .as_ref()
                .zip(row.bounce_tag.as_deref())
                .map(|(address, tag)| address.with_tag(tag)),
            bounce_tag: row.bounce_tag.clone(),
        }
    }

    /// An address the server refused outright is recorded as a bounce, so that staff see one
    /// list; before the outbox rows, so that a crash in between sends it again, refused again.
    async fn record_refusals(
        &self,
        outcomes: &[(outbox_row::Model, Outcome)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (row, outcome) in outcomes {
            let Outcome::Failed { error } = outcome else {
                continue;
            };
            if let (Some(invitation), Some(refusal)) = (
                row.invitation_id,
                crate::domain::bounce::smtp_refusal(error),
            ) {
                bounces::mark_undeliverable(&self.db, invitation, &refusal, now).await?;
            }
        }
        Ok(())
    }

    fn outcome(
        &self,
        row: &outbox_row::Model,
        result: Result<String, MailError>,
        now: DateTime<Utc>,
        delivered: &mut Delivered,
    ) -> Outcome {
        match result {
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
                Outcome::Failed { error }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_ends_after_the_time_the_run_has_taken() {
        let run_at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 1, 8, 0, 0).unwrap();
        let leases = Leases::starting(run_at);
        assert!(leases.until() >= run_at + LEASE);
        std::thread::sleep(std::time::Duration::from_millis(30));
        assert!(leases.until() >= run_at + LEASE + Duration::milliseconds(30));
    }

    #[test]
    fn backoff_doubles_up_to_six_hours() {
        let minutes: Vec<i64> = (0..12).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360]);
    }
}
