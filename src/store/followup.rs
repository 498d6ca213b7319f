//! The invitation side of dispatch: which are due, and moving them along, each update
//! guarded by the state it expects so that two instances never do the same step twice.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::StoreError;
use super::campaigns::STATUS_OPEN;
use super::invitations::{STATUS_CLOSED, STATUS_PENDING};
use crate::domain::QuestionnaireCode;
use crate::entities::{campaign, invitation};

/// An invitation to write to, with what its email needs.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub questionnaire: QuestionnaireCode,
    pub attributes: Map<String, Value>,
    pub sent_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub reminders_sent: i16,
}

/// The columns of an invitation and of its campaign that its email needs, and nothing else:
/// dispatch reads them by batches of 500.
#[derive(Debug, FromQueryResult)]
struct RecipientRow {
    id: Uuid,
    email: Option<String>,
    name: Option<String>,
    questionnaire_code: String,
    attributes: String,
    sent_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
    reminders_sent: i16,
}

/// Invitations with their campaign, as [`RecipientRow`]s.
fn recipients() -> Select<invitation::Entity> {
    invitation::Entity::find()
        .select_only()
        .columns([
            invitation::Column::Id,
            invitation::Column::Email,
            invitation::Column::Name,
            invitation::Column::Attributes,
            invitation::Column::SentAt,
            invitation::Column::ClosesAt,
            invitation::Column::RemindersSent,
        ])
        .column(campaign::Column::QuestionnaireCode)
        .inner_join(campaign::Entity)
}

fn recipient(row: RecipientRow) -> Option<Recipient> {
    let questionnaire = row.questionnaire_code.parse().ok()?;
    let attributes = match serde_json::from_str(&row.attributes) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    Some(Recipient {
        id: row.id,
        email: row.email?,
        name: row.name,
        questionnaire,
        attributes,
        sent_at: row.sent_at,
        closes_at: row.closes_at,
        reminders_sent: row.reminders_sent,
    })
}

fn open_and_reachable() -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(invitation::Column::Status.eq(STATUS_PENDING))
        .add(invitation::Column::UnsubscribedAt.is_null())
        .add(invitation::Column::Email.is_not_null())
        .add(
            sea_orm::Condition::any()
                .add(invitation::Column::Delivery.is_null())
                .add(invitation::Column::Delivery.ne(super::bounces::BOUNCED)),
        )
        .add(campaign::Column::Status.eq(STATUS_OPEN))
}

/// Pending invitations whose send instant has come and whose email is not queued yet.
pub async fn due_invitations(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Recipient>, StoreError> {
    let rows = recipients()
        .filter(open_and_reachable())
        .filter(invitation::Column::SentAt.is_null())
        .filter(invitation::Column::ScheduledFor.lte(now))
        .order_by_asc(invitation::Column::ScheduledFor)
        .limit(limit)
        .into_model::<RecipientRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(recipient).collect())
}

/// Records that the invitation emails of `ids` were queued; returns those that no one else
/// had already marked.
pub async fn mark_all_sent(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    sent_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
) -> Result<Vec<Uuid>, StoreError> {
    let update = Query::update()
        .table(invitation::Entity)
        .value(invitation::Column::SentAt, sent_at)
        .value(invitation::Column::ClosesAt, closes_at)
        .and_where(invitation::Column::Id.is_in(ids.iter().copied()))
        .and_where(invitation::Column::SentAt.is_null())
        .returning_col(invitation::Column::Id)
        .to_owned();
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&update)).await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get_by_index::<Uuid>(0))
        .collect::<Result<_, _>>()?)
}

/// Unanswered, still open invitations sent by `sent_by` (they may owe a reminder), by id,
/// after `after`.
pub async fn awaiting_answer(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    sent_by: DateTime<Utc>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Recipient>, StoreError> {
    let mut page = recipients()
        .filter(open_and_reachable())
        .filter(invitation::Column::SentAt.lte(sent_by.min(now)))
        .filter(invitation::Column::ClosesAt.gt(now));
    // The page after the last id seen: an offset would read every page before it again.
    if let Some(after) = after {
        page = page.filter(invitation::Column::Id.gt(after));
    }
    let rows = page
        .order_by_asc(invitation::Column::Id)
        .limit(limit)
        .into_model::<RecipientRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(recipient).collect())
}

/// Moves the reminder count from `from` to `to`; false if it had moved already.
pub async fn record_reminder(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: i16,
    to: i16,
) -> Result<bool, StoreError> {
    let result = invitation::Entity::update_many()
        .col_expr(invitation::Column::RemindersSent, Expr::value(to))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::RemindersSent.eq(from))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Pending invitations past their closing instant become closed.
pub async fn close_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let result = invitation::Entity::update_many()
        .col_expr(invitation::Column::Status, Expr::value(STATUS_CLOSED))
        .filter(invitation::Column::Status.eq(STATUS_PENDING))
        .filter(invitation::Column::ClosesAt.lte(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Unsubscribes the person behind `token` from the campaign: that invitation and any other
/// of the same address in the same campaign. Returns false for an unknown token.
pub async fn unsubscribe(
    db: &impl ConnectionTrait,
    links: &crate::link_key::LinkKey,
    token: &crate::domain::Token,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Some(row) = super::invitations::row_by_token(db, links, token).await? else {
        return Ok(false);
    };
    invitation::Entity::update_many()
        .col_expr(invitation::Column::UnsubscribedAt, Expr::value(now))
        .filter(
            sea_orm::Condition::any()
                .add(invitation::Column::Id.eq(row.id))
                .add(
                    sea_orm::Condition::all()
                        .add(invitation::Column::CampaignId.eq(row.campaign_id))
                        .add(invitation::Column::Email.eq(row.email)),
                ),
        )
        .filter(invitation::Column::UnsubscribedAt.is_null())
        .exec(db)
        .await?;
    Ok(true)
}
