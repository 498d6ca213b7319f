use sea_orm::entity::prelude::*;

/// A message of the bounce mailbox already processed: its IMAP UIDVALIDITY and UID, or its
/// Message-ID (`domain::bounce::message_key`), recorded with its effect.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bounce_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// `domain::bounce::Verdict::code`.
    pub verdict: String,
    pub invitation_id: Option<Uuid>,
    pub processed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
