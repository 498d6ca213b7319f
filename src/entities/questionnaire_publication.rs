use sea_orm::entity::prelude::*;

/// A version made the one in use; the newest per questionnaire wins.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "questionnaire_publications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub code: String,
    pub version_id: String,
    pub published_by: String,
    pub published_at: DateTimeUtc,
    /// The emails (TOML) in use from this publication on; none while the file's are.
    #[sea_orm(column_type = "Text", nullable)]
    pub emails: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
