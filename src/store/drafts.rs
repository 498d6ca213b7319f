//! Drafts: answers saved without validation, restored when the person comes back.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use super::StoreError;
use crate::domain::answers::RawAnswers;
use crate::entities::draft;

pub async fn save(
    db: &impl ConnectionTrait,
    invitation_id: Uuid,
    answers: &RawAnswers,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(answers)
        .map_err(|e| StoreError::Corrupt(format!("brouillon non sérialisable : {e}")))?;
    let row = draft::ActiveModel {
        invitation_id: Set(invitation_id),
        answers: Set(json),
        saved_at: Set(now),
    };
    draft::Entity::insert(row)
        .on_conflict(
            OnConflict::column(draft::Column::InvitationId)
                .update_columns([draft::Column::Answers, draft::Column::SavedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn load(
    db: &impl ConnectionTrait,
    invitation_id: Uuid,
) -> Result<Option<RawAnswers>, StoreError> {
    let Some(row) = draft::Entity::find_by_id(invitation_id).one(db).await? else {
        return Ok(None);
    };
    serde_json::from_str(&row.answers)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("brouillon illisible : {e}")))
}
