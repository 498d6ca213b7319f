use sea_orm::entity::prelude::*;

/// The bodies of emails: written when they are queued, read when they are sent, shared by the
/// emails of a batch that read the same. The recipient's name and personal link are slots,
/// filled in when each email is sent (`crate::dispatch`). Apart from the outbox rows, whose
/// state changes at each step.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_bodies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub body_text: String,
    pub body_html: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
