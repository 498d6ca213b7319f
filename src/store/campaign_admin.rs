//! What staff do to a campaign: pause and resume its sends, close it, cancel one planned
//! invitation. Every change is guarded by the state it expects (a second click does nothing).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::StoreError;
use super::campaigns::{STATUS_CLOSED, STATUS_OPEN, STATUS_PAUSED};
use super::invitations::{STATUS_CLOSED as INVITATION_CLOSED, STATUS_COMPLETED, STATUS_PENDING};
use crate::entities::{campaign, invitation};

/// A status change asked by staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Pause,
    Resume,
    Close,
}

impl Change {
    /// (statuses it applies to, the status it sets)
    fn transition(self) -> (&'static [&'static str], &'static str) {
        match self {
            Change::Pause => (&[STATUS_OPEN], STATUS_PAUSED),
            Change::Resume => (&[STATUS_PAUSED], STATUS_OPEN),
            Change::Close => (&[STATUS_OPEN, STATUS_PAUSED], STATUS_CLOSED),
        }
    }
}

/// Applies `change`; false if the campaign was not in a status it applies to. Closing also
/// closes its pending invitations (their queued emails are then cancelled by dispatch).
pub async fn change_status(
    db: &DatabaseConnection,
    id: Uuid,
    change: Change,
) -> Result<bool, StoreError> {
    let (from, to) = change.transition();
    let txn = db.begin().await?;
    let done = campaign::Entity::update_many()
        .col_expr(campaign::Column::Status, Expr::value(to))
        .filter(campaign::Column::Id.eq(id))
        .filter(campaign::Column::Status.is_in(from.iter().copied()))
        .exec(&txn)
        .await?;
    if done.rows_affected == 1 && change == Change::Close {
        invitation::Entity::update_many()
            .col_expr(invitation::Column::Status, Expr::value(INVITATION_CLOSED))
            .filter(invitation::Column::CampaignId.eq(id))
            .filter(invitation::Column::Status.eq(STATUS_PENDING))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(done.rows_affected == 1)
}

/// Cancels an invitation not sent yet (it will never be); returns its campaign, or None if
/// it is unknown or already sent.
pub async fn cancel_planned(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<Uuid>, StoreError> {
    let Some(row) = invitation::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let done = invitation::Entity::update_many()
        .col_expr(invitation::Column::Status, Expr::value(INVITATION_CLOSED))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::Status.eq(STATUS_PENDING))
        .filter(invitation::Column::SentAt.is_null())
        .exec(db)
        .await?;
    Ok((done.rows_affected == 1).then_some(row.campaign_id))
}

/// Counts of a campaign's invitations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub planned: u64,
    pub sent: u64,
    pub completed: u64,
    pub closed: u64,
}

pub async fn counts(db: &impl ConnectionTrait, id: Uuid) -> Result<Counts, StoreError> {
    let of = || invitation::Entity::find().filter(invitation::Column::CampaignId.eq(id));
    Ok(Counts {
        planned: of()
            .filter(invitation::Column::Status.eq(STATUS_PENDING))
            .filter(invitation::Column::SentAt.is_null())
            .count(db)
            .await?,
        sent: of()
            .filter(invitation::Column::SentAt.is_not_null())
            .count(db)
            .await?,
        completed: of()
            .filter(invitation::Column::Status.eq(STATUS_COMPLETED))
            .count(db)
            .await?,
        closed: of()
            .filter(invitation::Column::Status.eq(INVITATION_CLOSED))
            .count(db)
            .await?,
    })
}

/// A planned invitation, as the campaign page lists it.
#[derive(Debug, Clone)]
pub struct Planned {
    pub id: Uuid,
    pub email: Option<String>,
    pub name: Option<String>,
    pub scheduled_for: Option<DateTime<Utc>>,
}

/// The first `limit` invitations not sent yet, soonest first.
pub async fn planned(
    db: &impl ConnectionTrait,
    id: Uuid,
    limit: u64,
) -> Result<Vec<Planned>, StoreError> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::CampaignId.eq(id))
        .filter(invitation::Column::Status.eq(STATUS_PENDING))
        .filter(invitation::Column::SentAt.is_null())
        .order_by_asc(invitation::Column::ScheduledFor)
        .order_by_asc(invitation::Column::Email)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|i| Planned {
            id: i.id,
            email: i.email,
            name: i.name,
            scheduled_for: i.scheduled_for,
        })
        .collect())
}
