use sea_orm::entity::prelude::*;

/// The draft of a questionnaire being edited by staff (one per questionnaire).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "questionnaire_drafts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub source: String,
    /// Its emails (TOML), when the draft changes them.
    #[sea_orm(column_type = "Text", nullable)]
    pub emails: Option<String>,
    pub saved_by: String,
    pub saved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
