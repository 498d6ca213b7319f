//! Questionnaire versions: each distinct file content stored once, by hash.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::StoreError;
use crate::catalog::Catalog;
use crate::domain::questionnaire::{Questionnaire, parse_questionnaire};
use crate::entities::questionnaire_version;

/// Records every loaded definition that the database does not know yet.
pub async fn record_all(
    db: &impl ConnectionTrait,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for loaded in catalog.iter() {
        let row = questionnaire_version::ActiveModel {
            id: Set(loaded.version.clone()),
            code: Set(loaded.definition.code.as_str().to_owned()),
            source: Set(loaded.source.clone()),
            created_at: Set(now),
        };
        questionnaire_version::Entity::insert(row)
            .on_conflict_do_nothing_on([questionnaire_version::Column::Id])
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The definition a stored response answered, even if the file has changed since.
pub async fn load(
    db: &impl ConnectionTrait,
    version: &str,
) -> Result<Option<Questionnaire>, StoreError> {
    let Some(row) = questionnaire_version::Entity::find_by_id(version.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    parse_questionnaire(&row.source)
        .map(Some)
        .map_err(|_| StoreError::Corrupt(format!("version {version} ne se relit plus")))
}
