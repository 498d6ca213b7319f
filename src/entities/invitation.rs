use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// Keyed hash of the personal link's token (`crate::link_key`); never the token.
    pub token_hash: String,
    /// Plain SHA-256 of a random token made before tokens were derived (migration 13), by
    /// which that already-emailed link is still found; `None` for later invitations.
    pub legacy_token_hash: Option<String>,
    pub email: Option<String>,
    /// JSON object of roster or registration attributes.
    pub attributes: String,
    pub status: String,
    pub completed_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub source_kind: Option<String>,
    pub source_id: Option<Uuid>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub scheduled_for: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    pub reminders_sent: i16,
    pub closes_at: Option<DateTimeUtc>,
    pub unsubscribed_at: Option<DateTimeUtc>,
    pub opened_on: Option<Date>,
    /// What the bounces say (`store::bounces`): `bounced` (undeliverable: no more emails),
    /// `deferred` (soft bounces, still tried), `complained` (reported as unwanted); `None`
    /// when nothing came back.
    pub delivery: Option<String>,
    /// The report's status code (`5.1.1`).
    pub delivery_status: Option<String>,
    /// The server's reason, one short line.
    pub delivery_reason: Option<String>,
    pub delivery_at: Option<DateTimeUtc>,
    pub soft_bounces: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::campaign::Entity",
        from = "Column::CampaignId",
        to = "super::campaign::Column::Id"
    )]
    Campaign,
}

impl Related<super::campaign::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
