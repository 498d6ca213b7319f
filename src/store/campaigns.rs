//! Campaigns: one run of a questionnaire (a year, a wave), grouping its invitations.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::StoreError;
use crate::domain::QuestionnaireCode;
use crate::entities::campaign;

pub const STATUS_OPEN: &str = "open";
/// Paused by staff: nothing is sent (invitations, reminders), links still accept answers.
pub const STATUS_PAUSED: &str = "paused";
/// Closed by staff: nothing is sent and links no longer accept answers.
pub const STATUS_CLOSED: &str = "closed";

/// Whether a campaign in this status still accepts responses.
pub fn accepts_responses(status: &str) -> bool {
    status != STATUS_CLOSED
}

pub async fn find_or_create(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
    label: &str,
    now: DateTime<Utc>,
) -> Result<campaign::Model, StoreError> {
    if let Some(existing) = find(db, code, label).await? {
        return Ok(existing);
    }
    let row = campaign::ActiveModel {
        id: Set(Uuid::new_v4()),
        questionnaire_code: Set(code.as_str().to_owned()),
        label: Set(label.to_owned()),
        status: Set(STATUS_OPEN.to_owned()),
        created_at: Set(now),
        ..Default::default()
    };
    // Two requests may race to create the same campaign: the unique index settles it.
    campaign::Entity::insert(row)
        .on_conflict_do_nothing_on([campaign::Column::QuestionnaireCode, campaign::Column::Label])
        .exec(db)
        .await?;
    find(db, code, label)
        .await?
        .ok_or_else(|| StoreError::Corrupt("campagne introuvable après création".into()))
}

pub async fn find(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
    label: &str,
) -> Result<Option<campaign::Model>, StoreError> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::QuestionnaireCode.eq(code.as_str()))
        .filter(campaign::Column::Label.eq(label))
        .one(db)
        .await?)
}
