//! Turning due invitations and reminders into outbox rows.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use super::deliver::{Leases, Queueing};
use super::turns::WriteTurns;
use super::{Dispatcher, LINK_TOKEN_SLOT};
use crate::domain::QuestionnaireCode;
use crate::domain::email_template::{EmailValues, NAME};
use crate::domain::schedule::{self, french_date};
use crate::store::StoreError;
use crate::store::followup::{self, Recipient};
use crate::store::outbox::{self, NewEmail};
use crate::views::email::email_html;

const BATCH: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Invitation,
    Reminder(usize),
}

impl Kind {
    /// As the outbox names it.
    fn label(self) -> String {
        match self {
            Kind::Invitation => "invitation".to_owned(),
            Kind::Reminder(n) => format!("reminder_{n}"),
        }
    }
}

/// What an email's subject and bodies depend on: recipients alike in all of it read the same.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Alike {
    questionnaire: QuestionnaireCode,
    entity: Option<String>,
    closes_at: DateTime<Utc>,
    /// Whether the contact has a name (its slot is filled in at sending).
    named: bool,
    kind: Kind,
}

/// A subject (its name slot still in) and bodies (their slots still in), rendered once for
/// every recipient alike.
struct Rendered {
    subject: String,
    text: Arc<str>,
    html: Arc<str>,
}

/// The emails rendered in one queueing pass, by what they depend on.
type RenderedEmails = HashMap<Alike, Rendered>;

impl Dispatcher {
    fn compose(
        &self,
        recipient: &Recipient,
        kind: Kind,
        closes_at: DateTime<Utc>,
        rendered: &mut RenderedEmails,
    ) -> Option<NewEmail> {
        let alike = Alike {
            questionnaire: recipient.questionnaire,
            entity: recipient
                .attributes
                .get("entity")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            closes_at,
            named: recipient.name.is_some(),
            kind,
        };
        let email = match rendered.entry(alike) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let email = self.render(entry.key())?;
                entry.insert(email)
            }
        };
        let kind = kind.label();
        let bounce_tag = self.seal_key.links().bounce_tag(recipient.id, &kind);
        Some(NewEmail {
            bounce_tag: Some(bounce_tag),
            invitation_id: Some(recipient.id),
            kind,
            recipient: recipient.email.clone(),
            subject: NAME.fill(&email.subject, recipient.name.as_deref()),
            body_text: email.text.clone(),
            body_html: email.html.clone(),
            unsubscribe_url: Some(self.unsubscribe_url()),
        })
    }

    /// `{base}/desinscription/{token slot}`: the token is filled in at sending.
    fn unsubscribe_url(&self) -> String {
        format!("{}/desinscription/{LINK_TOKEN_SLOT}", self.base_url)
    }

    fn render(&self, alike: &Alike) -> Option<Rendered> {
        let loaded = self.catalog.get(alike.questionnaire)?;
        // `{entite}` reads « l’Aract Bretagne »: every entity of the network is an Anact or
        // an Aract, whose article elides.
        let entity = alike
            .entity
            .as_deref()
            .and_then(|code| self.catalog.network.get(code))
            .map_or("Anact", |e| e.name.as_str());
        let entity = format!("l’{entity}");
        // The token itself is filled in when the email is sent (`deliver`): never stored.
        let link = format!("{}/r/{LINK_TOKEN_SLOT}", self.base_url);
        let unsubscribe = self.unsubscribe_url();
        let closes_on = french_date(schedule::paris_date(alike.closes_at));
        let privacy = format!("{}/confidentialite/{}", self.base_url, alike.questionnaire);
        // The name is filled in when the email is sent (`deliver`): the bodies of a batch
        // that read the same are stored once, naming nobody.
        let values = EmailValues {
            name: alike.named.then_some(NAME.marker),
            entity: &entity,
            title: &loaded.definition.title,
            minutes: loaded.definition.estimated_minutes,
            link: &link,
            unsubscribe: &unsubscribe,
            closes_on: &closes_on,
            privacy: &privacy,
        };
        let rendered = match alike.kind {
            Kind::Invitation => loaded.email.render_invitation(&values),
            Kind::Reminder(_) => loaded.email.render_reminder(&values),
        };
        Some(Rendered {
            html: email_html(&rendered).into_string().into(),
            subject: rendered.subject,
            text: rendered.text.into(),
        })
    }

    /// Queues the invitation email of every due invitation, in batches of one transaction
    /// each: the outbox rows and the invitations' `sent_at` are written together, each kind
    /// of row in one statement. The emails are written before the transaction begins, so
    /// that it holds the write lock only for its statements.
    pub(super) async fn queue_due_invitations(
        &self,
        now: DateTime<Utc>,
        queueing: &Queueing,
        turns: &WriteTurns,
        leases: &Leases,
    ) -> Result<u64, StoreError> {
        let mut queued = 0;
        let mut rendered = RenderedEmails::new();
        loop {
            let due = followup::due_invitations(&self.db, now, BATCH).await?;
            if due.is_empty() {
                return Ok(queued);
            }
            // Invitations of one questionnaire close at the same instant: one update each.
            let mut by_closing: BTreeMap<DateTime<Utc>, Vec<(Uuid, Option<NewEmail>)>> =
                BTreeMap::new();
            for recipient in &due {
                let rules = self
                    .catalog
                    .get(recipient.questionnaire)
                    .map(|q| q.definition.schedule.clone())
                    .unwrap_or_default();
                let closes_at = schedule::closes_at(now, &rules);
                let email = self.compose(recipient, Kind::Invitation, closes_at, &mut rendered);
                if email.is_none() {
                    tracing::error!(questionnaire = %recipient.questionnaire, "no definition to write the invitation with");
                }
                by_closing
                    .entry(closes_at)
                    .or_default()
                    .push((recipient.id, email));
            }
            let names = due.iter().map(|r| (r.id, r.name.clone())).collect();
            queueing.room().await;
            let turn = turns.take().await;
            let txn = self.db.begin().await?;
            let mut emails = Vec::with_capacity(due.len());
            let mut progressed = false;
            for (closes_at, recipients) in by_closing {
                let ids: Vec<Uuid> = recipients.iter().map(|(id, _)| *id).collect();
                // Claim first: those another instance got are written nothing.
                let marked: HashSet<Uuid> = followup::mark_all_sent(&txn, &ids, now, closes_at)
                    .await?
                    .into_iter()
                    .collect();
                progressed |= !marked.is_empty();
                emails.extend(
                    recipients
                        .into_iter()
                        .filter(|(id, _)| marked.contains(id))
                        .filter_map(|(_, email)| email),
                );
            }
            let written = write(&txn, &emails, &names, now, queueing, leases).await?;
            txn.commit().await?;
            drop(turn);
            queued += written.hand_to(queueing);
            if !progressed {
                return Ok(queued);
            }
        }
    }

    /// Queues the reminder that is due for each unanswered invitation. If several are due
    /// (dispatch did not run for a while) only the latest goes out: one message, not a burst.
    pub(super) async fn queue_due_reminders(
        &self,
        now: DateTime<Utc>,
        queueing: &Queueing,
        turns: &WriteTurns,
        leases: &Leases,
    ) -> Result<u64, StoreError> {
        // Only those sent long enough ago for some questionnaire's first reminder: on most
        // days that leaves out every invitation of the last sendings.
        let Some(sent_by) = self
            .catalog
            .iter()
            .filter_map(|q| schedule::reminders_owed_if_sent_by(now, &q.definition.schedule))
            .max()
        else {
            return Ok(0);
        };
        let mut queued = 0;
        let mut after = None;
        let mut rendered = RenderedEmails::new();
        loop {
            let waiting = followup::awaiting_answer(&self.db, now, sent_by, after, BATCH).await?;
            let Some(last) = waiting.last() else {
                return Ok(queued);
            };
            after = Some(last.id);
            // (invitation, reminders it had, reminders it will have had, the email)
            let mut owed = Vec::new();
            for recipient in &waiting {
                let (Some(sent_at), Some(closes_at)) = (recipient.sent_at, recipient.closes_at)
                else {
                    continue;
                };
                let rules = self
                    .catalog
                    .get(recipient.questionnaire)
                    .map(|q| q.definition.schedule.clone())
                    .unwrap_or_default();
                let due = schedule::reminder_instants(sent_at, &rules)
                    .into_iter()
                    .filter(|at| *at <= now)
                    .count();
                let already = usize::try_from(recipient.reminders_sent).unwrap_or(0);
                if due <= already {
                    continue;
                }
                let to = i16::try_from(due).unwrap_or(i16::MAX);
                let email = self.compose(recipient, Kind::Reminder(due), closes_at, &mut rendered);
                owed.push((recipient.id, recipient.reminders_sent, to, email));
            }
            if owed.is_empty() {
                continue;
            }
            let mut emails = Vec::new();
            let names = waiting.iter().map(|r| (r.id, r.name.clone())).collect();
            queueing.room().await;
            let turn = turns.take().await;
            let txn = self.db.begin().await?;
            for (invitation, from, to, email) in owed {
                if followup::record_reminder(&txn, invitation, from, to).await? {
                    emails.extend(email);
                }
            }
            let written = write(&txn, &emails, &names, now, queueing, leases).await?;
            txn.commit().await?;
            drop(turn);
            queued += written.hand_to(queueing);
        }
    }
}

/// Emails written to the outbox by a transaction, for the sending once it is committed.
enum Written {
    /// Leased to the sending, to be handed over.
    Leased(Vec<outbox::Claimed>),
    /// Left for the sending to claim.
    Queued(u64),
}

impl Written {
    /// Tells the sending (after the commit); returns how many were queued.
    fn hand_to(self, queueing: &Queueing) -> u64 {
        match self {
            Written::Leased(emails) => {
                let count = emails.len() as u64;
                queueing.hand_over(emails);
                count
            }
            Written::Queued(count) => {
                queueing.add(count);
                count
            }
        }
    }
}

/// Queues `emails` in `txn`, leased to the sending if the queueing hands them over.
async fn write(
    txn: &impl ConnectionTrait,
    emails: &[NewEmail],
    names: &HashMap<Uuid, Option<String>>,
    now: DateTime<Utc>,
    queueing: &Queueing,
    leases: &Leases,
) -> Result<Written, StoreError> {
    Ok(if queueing.hands_over() {
        Written::Leased(outbox::enqueue_leased(txn, emails, names, now, leases.until()).await?)
    } else {
        Written::Queued(outbox::enqueue_all(txn, emails, now).await?)
    })
}

pub(super) async fn close_expired(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    followup::close_expired(db, now).await
}

pub(super) async fn cancel_moot(db: &DatabaseConnection) -> Result<u64, StoreError> {
    outbox::cancel_moot(db).await
}
