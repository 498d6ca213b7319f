use sea_orm::entity::prelude::*;

/// A single sign-on under way: what the provider's callback must match, keyed by the SHA-256
/// of the browser's short-lived flow cookie.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_flows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: Option<String>,
    /// The page of this site to go to once signed in.
    pub back: String,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
