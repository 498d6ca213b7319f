//! What bounces do to invitations: a hard bounce (or the SMTP server's own permanent refusal)
//! makes the invitation undeliverable, soft bounces are counted until [`SOFT_LIMIT`], a
//! complaint unsubscribes. Each message read is recorded under its key in the same
//! transaction as its effect, so that reading it again (a second run, a crash before the
//! mailbox was tidied) has no second effect.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait, TryInsertResult,
};
use uuid::Uuid;

use super::StoreError;
use crate::domain::bounce::{Diagnostic, References, Report, Verdict, soft_limit_reached};
use crate::entities::{bounce_message, invitation, outbox};

/// `invitations.delivery`: undeliverable, no more emails go to it.
pub const BOUNCED: &str = "bounced";
/// Soft bounces came back; emails still go to it.
pub const DEFERRED: &str = "deferred";
/// Reported as unwanted: unsubscribed.
pub const COMPLAINED: &str = "complained";
/// Was undeliverable; staff corrected the address, a new invitation replaces it. Still counts
/// as not reached.
pub const REPLACED: &str = "replaced";

/// What processing one message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Its key was recorded already: nothing done again. `recognised` says which folder of
    /// the mailbox it belongs in, had the first reading been interrupted before tidying it.
    AlreadyProcessed {
        recognised: bool,
    },
    /// A bounce or complaint naming no email jalon knows.
    UnknownEmail,
    /// Recorded, no effect (automatic reply, delivery notice).
    Ignored,
    /// Recorded for a person to look at.
    Unrecognised,
    Undeliverable(Uuid),
    /// Counted; `n` soft bounces so far.
    Deferred(Uuid, i16),
    Complained(Uuid),
}

impl Effect {
    /// In French, for the command line.
    pub fn describe(&self) -> String {
        match self {
            Effect::AlreadyProcessed { .. } => "déjà traité, rien de plus".to_owned(),
            Effect::UnknownEmail => "aucun envoi de jalon correspondant".to_owned(),
            Effect::Ignored => "sans effet".to_owned(),
            Effect::Unrecognised => "non reconnu, à examiner".to_owned(),
            Effect::Undeliverable(id) => format!("invitation {id} non distribuable"),
            Effect::Deferred(id, n) => format!("invitation {id} : échec temporaire n° {n}"),
            Effect::Complained(id) => format!("invitation {id} désinscrite (signalement)"),
        }
    }

    /// Whether the message belongs in the folder of processed messages (else "non reconnu").
    pub fn recognised(&self) -> bool {
        match self {
            Effect::AlreadyProcessed { recognised } => *recognised,
            Effect::Unrecognised | Effect::UnknownEmail => false,
            _ => true,
        }
    }
}

/// The outbox id in a `Message-ID` jalon wrote (`<{outbox id}@{domain}>`).
fn outbox_id_of(message_id: &str) -> Option<Uuid> {
    message_id.split('@').next()?.parse().ok()
}

/// The invitation an email found by the report's references was sent for.
pub async fn invitation_of(
    db: &impl ConnectionTrait,
    references: &References,
) -> Result<Option<Uuid>, StoreError> {
    for tag in references.tags() {
        let found = outbox::Entity::find()
            .filter(outbox::Column::BounceTag.eq(tag))
            .one(db)
            .await?;
        if let Some(row) = found {
            return Ok(row.invitation_id);
        }
    }
    if let Some(id) = references.message_id.as_deref().and_then(outbox_id_of) {
        let found = outbox::Entity::find_by_id(id).one(db).await?;
        return Ok(found.and_then(|row| row.invitation_id));
    }
    Ok(None)
}

/// Processes one message read as `report`, recorded under `key`, in one transaction.
pub async fn process(
    db: &DatabaseConnection,
    key: &str,
    report: &Report,
    now: DateTime<Utc>,
) -> Result<Effect, StoreError> {
    let txn = db.begin().await?;
    let acts = matches!(
        report.verdict,
        Verdict::Hard(_) | Verdict::Soft(_) | Verdict::Complaint
    );
    let invitation = if acts {
        invitation_of(&txn, &report.references).await?
    } else {
        None
    };
    let recorded = bounce_message::Entity::insert(bounce_message::ActiveModel {
        key: Set(key.to_owned()),
        verdict: Set(report.verdict.code().to_owned()),
        invitation_id: Set(invitation),
        processed_at: Set(now),
    })
    .on_conflict_do_nothing_on([bounce_message::Column::Key])
    .exec_without_returning(&txn)
    .await?;
    if !matches!(recorded, TryInsertResult::Inserted(n) if n > 0) {
        txn.rollback().await?;
        // Decided as the first reading decided it (below): unrecognised, or acting on no
        // email of jalon's.
        let recognised =
            !matches!(report.verdict, Verdict::Unrecognised) && (!acts || invitation.is_some());
        return Ok(Effect::AlreadyProcessed { recognised });
    }
    let effect = match (&report.verdict, invitation) {
        (Verdict::AutoReply | Verdict::Delivered, _) => Effect::Ignored,
        (Verdict::Unrecognised, _) => Effect::Unrecognised,
        (_, None) => Effect::UnknownEmail,
        (Verdict::Hard(diagnostic), Some(id)) => {
            mark_undeliverable(&txn, id, diagnostic, now).await?;
            Effect::Undeliverable(id)
        }
        (Verdict::Soft(diagnostic), Some(id)) => soft(&txn, id, diagnostic, now).await?,
        (Verdict::Complaint, Some(id)) => {
            complain(&txn, id, now).await?;
            Effect::Complained(id)
        }
    };
    txn.commit().await?;
    Ok(effect)
}

/// The invitation gets no more emails; its address stays, for the record. A complaint
/// already recorded is kept (it says more).
pub async fn mark_undeliverable(
    db: &impl ConnectionTrait,
    id: Uuid,
    diagnostic: &Diagnostic,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    set_delivery(db, id, BOUNCED, diagnostic, now).await
}

/// Records a delivery state with the server's status and reason, unless a harder one (bounced,
/// complained) is already there.
async fn set_delivery(
    db: &impl ConnectionTrait,
    id: Uuid,
    state: &str,
    diagnostic: &Diagnostic,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    invitation::Entity::update_many()
        .col_expr(invitation::Column::Delivery, Expr::value(state))
        .col_expr(
            invitation::Column::DeliveryStatus,
            Expr::value(diagnostic.status.map(|s| s.to_string())),
        )
        .col_expr(
            invitation::Column::DeliveryReason,
            Expr::value(diagnostic.detail.clone()),
        )
        .col_expr(invitation::Column::DeliveryAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(invitation::Column::Delivery.is_null())
                .add(invitation::Column::Delivery.eq(DEFERRED)),
        )
        .exec(db)
        .await?;
    Ok(())
}

async fn soft(
    db: &impl ConnectionTrait,
    id: Uuid,
    diagnostic: &Diagnostic,
    now: DateTime<Utc>,
) -> Result<Effect, StoreError> {
    let Some(row) = invitation::Entity::find_by_id(id).one(db).await? else {
        return Ok(Effect::UnknownEmail);
    };
    let count = row.soft_bounces.saturating_add(1);
    invitation::Entity::update_many()
        .col_expr(invitation::Column::SoftBounces, Expr::value(count))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::SoftBounces.eq(row.soft_bounces))
        .exec(db)
        .await?;
    if soft_limit_reached(row.soft_bounces) {
        mark_undeliverable(db, id, diagnostic, now).await?;
        return Ok(Effect::Undeliverable(id));
    }
    set_delivery(db, id, DEFERRED, diagnostic, now).await?;
    Ok(Effect::Deferred(id, count))
}

/// As an unsubscribe (that invitation and the same address's others in the campaign), and
/// the complaint recorded on the invitation it is about.
async fn complain(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(row) = invitation::Entity::find_by_id(id).one(db).await? else {
        return Ok(());
    };
    invitation::Entity::update_many()
        .col_expr(invitation::Column::UnsubscribedAt, Expr::value(now))
        .filter(
            Condition::any().add(invitation::Column::Id.eq(row.id)).add(
                Condition::all()
                    .add(invitation::Column::CampaignId.eq(row.campaign_id))
                    .add(invitation::Column::Email.eq(row.email)),
            ),
        )
        .filter(invitation::Column::UnsubscribedAt.is_null())
        .exec(db)
        .await?;
    invitation::Entity::update_many()
        .col_expr(invitation::Column::Delivery, Expr::value(COMPLAINED))
        .col_expr(
            invitation::Column::DeliveryStatus,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            invitation::Column::DeliveryReason,
            Expr::value(Option::<String>::None),
        )
        .col_expr(invitation::Column::DeliveryAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// An invitation whose emails came back, as staff see it.
#[derive(Debug, Clone)]
pub struct Undeliverable {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// `questionnaire code – label`.
    pub campaign: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// [`BOUNCED`], [`DEFERRED`] or [`COMPLAINED`].
    pub delivery: String,
    pub status: Option<String>,
    pub reason: Option<String>,
    pub at: Option<DateTime<Utc>>,
    pub soft_bounces: i16,
}

/// The invitations of `campaign` (or of every campaign) with a delivery problem, most recent
/// first, at most `limit`.
pub async fn undeliverable(
    db: &impl ConnectionTrait,
    campaign: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Undeliverable>, StoreError> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut query = invitation::Entity::find()
        .find_also_related(crate::entities::campaign::Entity)
        .filter(invitation::Column::Delivery.is_in([BOUNCED, DEFERRED, COMPLAINED]));
    if let Some(id) = campaign {
        query = query.filter(invitation::Column::CampaignId.eq(id));
    }
    let rows = query
        .order_by_desc(invitation::Column::DeliveryAt)
        .order_by_asc(invitation::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(i, c)| Undeliverable {
            id: i.id,
            campaign_id: i.campaign_id,
            campaign: c
                .map(|c| format!("{} – {}", c.questionnaire_code, c.label))
                .unwrap_or_default(),
            email: i.email,
            name: i.name,
            delivery: i.delivery.unwrap_or_default(),
            status: i.delivery_status,
            reason: i.delivery_reason,
            at: i.delivery_at,
            soft_bounces: i.soft_bounces,
        })
        .collect())
}

/// How many invitations of a campaign are in each delivery state (the API's `delivery`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    /// Undeliverable: a hard bounce, three soft ones, or the SMTP server's permanent refusal
    /// (including those whose address staff corrected since).
    pub bounced: u64,
    /// Soft bounces came back (fewer than three); emails still go to them.
    pub deferred: u64,
    /// Reported as unwanted by the recipient: unsubscribed.
    pub complained: u64,
}

pub async fn delivery_counts(
    db: &impl ConnectionTrait,
    campaign: Uuid,
) -> Result<DeliveryCounts, StoreError> {
    use sea_orm::PaginatorTrait;
    let of = |states: &'static [&'static str]| {
        invitation::Entity::find()
            .filter(invitation::Column::CampaignId.eq(campaign))
            .filter(invitation::Column::Delivery.is_in(states.iter().copied()))
    };
    Ok(DeliveryCounts {
        bounced: of(&[BOUNCED, REPLACED]).count(db).await?,
        deferred: of(&[DEFERRED]).count(db).await?,
        complained: of(&[COMPLAINED]).count(db).await?,
    })
}

/// What correcting an address did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Correction {
    /// The old invitation (its link revoked) and the new one, sent at the next dispatch.
    Replaced {
        campaign: Uuid,
        new: Uuid,
    },
    NotFound,
    /// Not bounced nor deferred (a complaint is an unsubscribe: never written to again).
    NotUndeliverable,
    /// The same address as before.
    Unchanged,
    /// That address is already invited from the same source.
    AlreadyInvited,
}

/// Staff corrected the address of an undeliverable invitation: its link is revoked (it is
/// closed if still pending, and no token finds it any more), and a new invitation to `email`,
/// with the same campaign, source, name and attributes, is due at once (next dispatch).
pub async fn correct_address(
    db: &DatabaseConnection,
    links: &crate::link_key::LinkKey,
    id: Uuid,
    email: &crate::domain::Email,
    now: DateTime<Utc>,
) -> Result<Correction, StoreError> {
    use super::invitations::{self, NewInvitation, STATUS_CLOSED, STATUS_PENDING, Source};
    let txn = db.begin().await?;
    let Some(old) = invitation::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(Correction::NotFound);
    };
    let Some(state) = old
        .delivery
        .clone()
        .filter(|d| d == BOUNCED || d == DEFERRED)
    else {
        return Ok(Correction::NotUndeliverable);
    };
    if old
        .email
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(email.as_str()))
    {
        return Ok(Correction::Unchanged);
    }
    let status = if old.status == STATUS_PENDING {
        STATUS_CLOSED.to_owned()
    } else {
        old.status.clone()
    };
    let revoked = invitation::Entity::update_many()
        .col_expr(invitation::Column::Delivery, Expr::value(REPLACED))
        .col_expr(
            invitation::Column::TokenHash,
            Expr::value(format!("revoked-{}", old.id.simple())),
        )
        .col_expr(
            invitation::Column::LegacyTokenHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(invitation::Column::Status, Expr::value(status))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::Delivery.eq(state))
        .exec(&txn)
        .await?;
    if revoked.rows_affected != 1 {
        return Ok(Correction::NotUndeliverable);
    }
    let attributes = match serde_json::from_str(&old.attributes) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let new = NewInvitation {
        campaign_id: old.campaign_id,
        email,
        name: old.name.as_deref(),
        role: old.role.as_deref(),
        attributes: &attributes,
        source: Source::from_parts(old.source_kind.as_deref(), old.source_id),
        scheduled_for: Some(now),
        sent_at: None,
    };
    let Some((new, _token)) = invitations::insert(&txn, links, new, now).await? else {
        txn.rollback().await?;
        return Ok(Correction::AlreadyInvited);
    };
    txn.commit().await?;
    Ok(Correction::Replaced {
        campaign: old.campaign_id,
        new,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_id_is_read_from_jalons_message_ids_only() {
        let id = Uuid::new_v4();
        assert_eq!(outbox_id_of(&format!("{id}@anact.example")), Some(id));
        assert_eq!(outbox_id_of("20260512070003.4F1A@mx.example"), None);
        assert_eq!(outbox_id_of(""), None);
    }
}
