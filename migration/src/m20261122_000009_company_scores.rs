//! Indicator 3.1 without reading every company: each company's score kept per scope (a
//! year of 3.1, or one campaign) and running sums over the scores of each scope, both updated
//! with the group tallies they come from. The dashboard reads one row of sums for the value
//! and its interval, and a page of companies for the table, whatever their number.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `scope`: `p:i3.1:2026` (the year of sending, all campaigns) or `c:<campaign id>`.
        manager
            .create_table(
                Table::create()
                    .table(CompanyScores::Table)
                    .col(string_len(CompanyScores::Scope, 64))
                    .col(string_len(CompanyScores::Company, 200))
                    .col(big_integer(CompanyScores::Respondents))
                    .col(double_null(CompanyScores::Score))
                    .primary_key(
                        Index::create()
                            .col(CompanyScores::Scope)
                            .col(CompanyScores::Company),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScoreTotals::Table)
                    .col(string_len(ScoreTotals::Scope, 64).primary_key())
                    .col(big_integer(ScoreTotals::Companies))
                    .col(big_integer(ScoreTotals::Scored))
                    .col(double(ScoreTotals::Sum))
                    .col(double(ScoreTotals::SumOfSquares))
                    .to_owned(),
            )
            .await?;
        // A campaign's dimensions, found one by one (a loose index scan) without reading
        // the rows of its companies.
        manager
            .create_index(
                Index::create()
                    .name("idx_group_tallies_campaign_dimension")
                    .table(GroupTallies::Table)
                    .col(GroupTallies::CampaignId)
                    .col(GroupTallies::Dimension)
                    .to_owned(),
            )
            .await?;
        // A company's group tallies, found without knowing their campaigns and periods.
        manager
            .create_index(
                Index::create()
                    .name("idx_group_tallies_group")
                    .table(GroupTallies::Table)
                    .col(GroupTallies::Dimension)
                    .col(GroupTallies::GroupValue)
                    .col(GroupTallies::CampaignId)
                    .col(GroupTallies::Period)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_group_tallies_campaign_dimension")
                    .table(GroupTallies::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_group_tallies_group")
                    .table(GroupTallies::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ScoreTotals::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CompanyScores::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CompanyScores {
    Table,
    Scope,
    Company,
    Respondents,
    Score,
}

#[derive(DeriveIden)]
enum ScoreTotals {
    Table,
    Scope,
    Companies,
    Scored,
    Sum,
    SumOfSquares,
}

#[derive(DeriveIden)]
enum GroupTallies {
    Table,
    Dimension,
    GroupValue,
    CampaignId,
    Period,
}
