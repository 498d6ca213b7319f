use sea_orm::entity::prelude::*;

/// Today's rating of one visitor for one resource, by keyed hash only; purged after the day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rating_visitors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub visitor_key: String,
    pub day: Date,
    pub response_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
