//! The audit log of staff actions: who did what to what, when. Written in the same
//! transaction as the action where there is one.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::StoreError;
use crate::entities::audit_entry;

/// Records one action. `target` names what was acted on (a campaign id, an email…),
/// `detail` says more in a few words.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(now),
        actor: Set(actor.chars().take(300).collect()),
        action: Set(action.to_owned()),
        target: Set(target.chars().take(300).collect()),
        detail: Set(detail.to_owned()),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// The latest `limit` entries, newest first.
pub async fn latest(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<audit_entry::Model>, StoreError> {
    Ok(audit_entry::Entity::find()
        .order_by_desc(audit_entry::Column::At)
        .order_by_desc(audit_entry::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
