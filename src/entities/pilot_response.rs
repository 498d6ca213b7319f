use sea_orm::entity::prelude::*;

/// A response to a draft's pilot: never counted anywhere, shown on the pilot page only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pilot_responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub link_hash: String,
    /// Content hash of the draft answered.
    pub version_id: String,
    /// JSON of `RawAnswers`.
    #[sea_orm(column_type = "Text")]
    pub answers: String,
    /// When the form was shown, to tell the time taken.
    pub started_at: Option<DateTimeUtc>,
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
