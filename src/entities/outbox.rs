use sea_orm::entity::prelude::*;

/// An email, recorded before it is sent; its bodies are in `email_body`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub invitation_id: Option<Uuid>,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub unsubscribe_url: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub server_response: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The tag of the envelope sender (VERP) and of jalon's header: a keyed hash of the
    /// invitation and kind (`crate::link_key`), by which a bounce finds this row.
    pub bounce_tag: Option<String>,
    /// Its bodies (`email_body`), shared with the emails of its batch that read the same.
    pub body_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
