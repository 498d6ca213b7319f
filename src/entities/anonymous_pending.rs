use sea_orm::entity::prelude::*;

/// An anonymous response acknowledged but not yet released into the results: no invitation,
/// no time (see the `anonymity` migration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "anonymous_pending")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub version_id: String,
    /// `xchacha20poly1305:` and the base64 of nonce and ciphertext of the JSON
    /// `{"answers": [[question, [values…]]…], "attributes": [[key, value]…]}` (see
    /// `store::anonymity::seal`); rows sealed before encryption hold that JSON bare.
    pub payload: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
