use sea_orm::entity::prelude::*;

/// Running sums over the 3.1 company scores of a scope (see the `company_scores` migration).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "score_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    pub companies: i64,
    pub scored: i64,
    pub sum: f64,
    pub sum_of_squares: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
