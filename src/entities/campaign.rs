use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub questionnaire_code: String,
    pub label: String,
    pub status: String,
    pub created_at: DateTimeUtc,
    /// Waves (i6, i7): the reorganisation milestone the send date is computed from…
    pub milestone_on: Option<Date>,
    /// …or a send date chosen by staff.
    pub send_on: Option<Date>,
    /// Anonymous questionnaires: the one day all the released responses carry.
    pub released_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
