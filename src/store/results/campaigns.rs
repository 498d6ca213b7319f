//! The campaigns results are shown for.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::QuestionnaireCode;
use crate::entities::campaign;
use crate::store::StoreError;

pub async fn by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<campaign::Model>, StoreError> {
    Ok(campaign::Entity::find_by_id(id).one(db).await?)
}

/// The campaigns of a questionnaire, oldest first.
pub async fn of_questionnaire(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
) -> Result<Vec<campaign::Model>, StoreError> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::QuestionnaireCode.eq(code.as_str()))
        .order_by_asc(campaign::Column::CreatedAt)
        .order_by_asc(campaign::Column::Label)
        .all(db)
        .await?)
}

/// Every campaign, for the dashboard's list.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<campaign::Model>, StoreError> {
    Ok(campaign::Entity::find()
        .order_by_asc(campaign::Column::QuestionnaireCode)
        .order_by_asc(campaign::Column::CreatedAt)
        .all(db)
        .await?)
}
