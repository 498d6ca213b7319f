//! Personal data (RGPD): erasing a person's email and name (on request, or once their
//! campaign's retention is over) and exporting everything stored about them.
//!
//! Erasing keeps what the indicators count: the invitation (status, dates, attributes), its
//! outbox rows' kind and status, the responses and answers. It blanks the email, name and
//! role of the invitation, the recipient, subject and bodies of its emails, and deletes its
//! draft. Once committed, the old versions of those rows are scrubbed from the database's
//! files too ([`super::scrub`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::StoreError;
use crate::domain::email_template::NAME;
use crate::domain::retention::{InvitationTimes, campaign_closed_at, erasable};
use crate::entities::{answer, campaign, draft, email_body, invitation, outbox, response};

/// Rows updated per statement (SQLite caps bound parameters).
const CHUNK: usize = 500;

/// The tables an erasure rewrites.
const ERASED_TABLES: [&str; 4] = ["invitations", "outbox", "email_bodies", "drafts"];

/// Blanks the personal data of these invitations and their emails.
async fn erase_invitations(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), StoreError> {
    for chunk in ids.chunks(CHUNK) {
        invitation::Entity::update_many()
            .col_expr(
                invitation::Column::Email,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                invitation::Column::Name,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                invitation::Column::Role,
                Expr::value(Option::<String>::None),
            )
            // A bounce's reason often quotes the address.
            .col_expr(
                invitation::Column::DeliveryReason,
                Expr::value(Option::<String>::None),
            )
            .filter(invitation::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Recipient, Expr::value(""))
            .col_expr(outbox::Column::Subject, Expr::value(""))
            .col_expr(
                outbox::Column::UnsubscribeUrl,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                outbox::Column::ServerResponse,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                outbox::Column::LastError,
                Expr::value(Option::<String>::None),
            )
            .filter(outbox::Column::InvitationId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        // Bodies name nobody (the name is a slot) but those queued before they were shared;
        // those that no email still to be kept uses are blanked.
        let mut used = Query::select();
        used.column(outbox::Column::BodyId)
            .from(outbox::Entity)
            .and_where(outbox::Column::InvitationId.is_in(chunk.iter().copied()));
        let mut still_needed = Query::select();
        still_needed
            .expr(Expr::val(1))
            .from(outbox::Entity)
            .and_where(
                Expr::col((outbox::Entity, outbox::Column::BodyId))
                    .equals((email_body::Entity, email_body::Column::Id)),
            )
            .and_where(outbox::Column::Recipient.ne(""));
        email_body::Entity::update_many()
            .col_expr(email_body::Column::BodyText, Expr::value(""))
            .col_expr(email_body::Column::BodyHtml, Expr::value(""))
            .filter(email_body::Column::Id.in_subquery(used))
            .filter(Expr::exists(still_needed).not())
            .exec(db)
            .await?;
        draft::Entity::delete_many()
            .filter(draft::Column::InvitationId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Erases the contacts of every campaign closed `months` ago or more; returns how many
/// invitations lost their email. Idempotent: erased invitations have no email left, and
/// campaigns without personal data left are not even read.
pub async fn erase_expired(
    db: &DatabaseConnection,
    months: u32,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let personal = || {
        sea_orm::Condition::any()
            .add(invitation::Column::Email.is_not_null())
            .add(invitation::Column::Name.is_not_null())
            .add(invitation::Column::Role.is_not_null())
    };
    let with_contacts: Vec<Uuid> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::CampaignId)
        .distinct()
        .filter(personal())
        .into_tuple()
        .all(db)
        .await?;
    let mut due_campaigns = Vec::new();
    for campaign_id in with_contacts {
        let times: Vec<InvitationTimes> = invitation::Entity::find()
            .select_only()
            .columns([
                invitation::Column::ClosesAt,
                invitation::Column::ScheduledFor,
                invitation::Column::CreatedAt,
            ])
            .filter(invitation::Column::CampaignId.eq(campaign_id))
            .into_tuple::<(Option<DateTime<Utc>>, Option<DateTime<Utc>>, DateTime<Utc>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(closes_at, scheduled_for, created_at)| InvitationTimes {
                closes_at,
                scheduled_for,
                created_at,
            })
            .collect();
        if campaign_closed_at(&times).is_some_and(|closed| erasable(closed, months, now)) {
            due_campaigns.push(campaign_id);
        }
    }
    let mut erased = 0;
    for campaign_id in due_campaigns {
        let txn = db.begin().await?;
        let ids: Vec<Uuid> = invitation::Entity::find()
            .select_only()
            .column(invitation::Column::Id)
            .filter(invitation::Column::CampaignId.eq(campaign_id))
            .filter(personal())
            .into_tuple()
            .all(&txn)
            .await?;
        erase_invitations(&txn, &ids).await?;
        txn.commit().await?;
        erased += ids.len() as u64;
    }
    if erased > 0 {
        super::scrub::forget_erased(db, &ERASED_TABLES).await;
    }
    Ok(erased)
}

/// `lower(column) = lower(email)`: addresses match whatever their case.
fn same_email(column: impl sea_orm::sea_query::IntoColumnRef, email: &str) -> SimpleExpr {
    Expr::expr(Func::lower(Expr::col(column))).eq(email.trim().to_lowercase())
}

async fn invitations_of(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Vec<invitation::Model>, StoreError> {
    Ok(invitation::Entity::find()
        .filter(same_email(invitation::Column::Email, email))
        .order_by_asc(invitation::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Erases everything personal stored about `email`, in one transaction; returns how many
/// invitations it had.
pub async fn erase_contact(db: &DatabaseConnection, email: &str) -> Result<u64, StoreError> {
    let txn = db.begin().await?;
    let ids: Vec<Uuid> = invitations_of(&txn, email)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    erase_invitations(&txn, &ids).await?;
    // Emails sent to that address without an invitation (tests sent by staff…).
    outbox::Entity::delete_many()
        .filter(outbox::Column::InvitationId.is_null())
        .filter(same_email(outbox::Column::Recipient, email))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    super::scrub::forget_erased(db, &ERASED_TABLES).await;
    Ok(ids.len() as u64)
}

/// Everything stored about `email`: invitations, emails, drafts, and the answers of
/// non-anonymous responses. Tokens (secrets) are left out.
pub async fn export_contact(db: &impl ConnectionTrait, email: &str) -> Result<Value, StoreError> {
    let invitations = invitations_of(db, email).await?;
    let campaign_ids: Vec<Uuid> = invitations.iter().map(|i| i.campaign_id).collect();
    let campaigns: HashMap<Uuid, campaign::Model> = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(campaign_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut listed = Vec::new();
    for inv in &invitations {
        let emails = outbox::Entity::find()
            .filter(outbox::Column::InvitationId.eq(inv.id))
            .order_by_asc(outbox::Column::CreatedAt)
            .all(db)
            .await?;
        let bodies = super::outbox::bodies(db, emails.iter().filter_map(|m| m.body_id)).await?;
        let draft = draft::Entity::find_by_id(inv.id).one(db).await?;
        let responses = response::Entity::find()
            .filter(response::Column::InvitationId.eq(inv.id))
            .all(db)
            .await?;
        let mut answered = Vec::new();
        for r in responses {
            let answers = answer::Entity::find()
                .filter(answer::Column::ResponseId.eq(r.id))
                .order_by_asc(answer::Column::QuestionId)
                .order_by_asc(answer::Column::Position)
                .all(db)
                .await?;
            answered.push(json!({
                "submitted_at": r.submitted_at,
                "submitted_on": r.submitted_on,
                "answers": answers.iter().map(|a| json!({ "question": a.question_id, "value": a.value })).collect::<Vec<_>>(),
            }));
        }
        let campaign = campaigns.get(&inv.campaign_id);
        listed.push(json!({
            "questionnaire": campaign.map(|c| c.questionnaire_code.clone()),
            "campaign": campaign.map(|c| c.label.clone()),
            "email": inv.email,
            "name": inv.name,
            "role": inv.role,
            "attributes": serde_json::from_str::<Value>(&inv.attributes).unwrap_or(Value::Null),
            "status": inv.status,
            "registered_at": inv.created_at,
            "scheduled_for": inv.scheduled_for,
            "sent_at": inv.sent_at,
            "reminders_sent": inv.reminders_sent,
            "closes_at": inv.closes_at,
            "unsubscribed_at": inv.unsubscribed_at,
            "delivery": inv.delivery,
            "delivery_status": inv.delivery_status,
            "delivery_reason": inv.delivery_reason,
            "delivery_at": inv.delivery_at,
            "soft_bounces": inv.soft_bounces,
            "opened_on": inv.opened_on,
            "completed_on": inv.completed_on,
            "emails": emails.iter().map(|m| json!({
                "kind": m.kind,
                "to": m.recipient,
                "subject": m.subject,
                "status": m.status,
                "sent_at": m.sent_at,
                "text": m.body_id
                    .and_then(|id| bodies.get(&id))
                    .map(|b| NAME.fill(&b.body_text, inv.name.as_deref())),
            })).collect::<Vec<_>>(),
            "draft": draft.map(|d| json!({
                "saved_at": d.saved_at,
                "answers": serde_json::from_str::<Value>(&d.answers).unwrap_or(Value::Null),
            })),
            "responses": answered,
        }));
    }
    Ok(json!({ "email": email.trim(), "invitations": listed }))
}

/// Unsubscribes `email` from every campaign (nothing more is sent to it); returns how many
/// invitations were concerned.
pub async fn unsubscribe_contact(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = invitation::Entity::update_many()
        .col_expr(invitation::Column::UnsubscribedAt, Expr::value(now))
        .filter(same_email(invitation::Column::Email, email))
        .filter(invitation::Column::UnsubscribedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
