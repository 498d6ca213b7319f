use sea_orm::entity::prelude::*;

/// The bodies of an outbox email: written when it is queued, read when it is sent, blanked
/// when its contact is erased. Apart from the outbox row, whose state changes at each step.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_bodies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub outbox_id: Uuid,
    pub body_text: String,
    pub body_html: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
