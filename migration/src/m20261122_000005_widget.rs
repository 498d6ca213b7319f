//! Indicator 4's download widget: the resources of the agency's website, their downloads per
//! day (aggregated counts, never a row per visitor), the day's keyed visitor hashes that let a
//! second rating replace the first, and the comments staff have hidden.
//!
//! Ratings themselves are ordinary i4 responses with a `resource` response attribute.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Resource ids and titles come from the website's download links.
        manager
            .create_table(
                Table::create()
                    .table(Resources::Table)
                    .col(string_len(Resources::Id, 64).primary_key())
                    .col(string_len_null(Resources::Title, 200))
                    .col(string_len_null(Resources::Theme, 100))
                    .col(date(Resources::FirstSeenOn))
                    .col(timestamp_with_time_zone(Resources::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        // One row per resource and day; `count` grows by upsert.
        manager
            .create_table(
                Table::create()
                    .table(Downloads::Table)
                    .col(string_len(Downloads::ResourceId, 64))
                    .col(date(Downloads::Day))
                    .col(big_integer(Downloads::Count))
                    .primary_key(
                        Index::create()
                            .col(Downloads::ResourceId)
                            .col(Downloads::Day),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_downloads_resource")
                            .from(Downloads::Table, Downloads::ResourceId)
                            .to(Resources::Table, Resources::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_downloads_day")
                    .table(Downloads::Table)
                    .col(Downloads::Day)
                    .to_owned(),
            )
            .await?;

        // Today's rating of a visitor for a resource: HMAC(daily key, address, resource), 128
        // bits in hex. No address, no cookie; rows of past days are purged. Deliberately
        // lean (no foreign key, no secondary index): the widget's writer inserts thousands a
        // second, always deletes by key, and the daily purge scans one day of rows.
        manager
            .create_table(
                Table::create()
                    .table(RatingVisitors::Table)
                    .col(string_len(RatingVisitors::VisitorKey, 32).primary_key())
                    .col(date(RatingVisitors::Day))
                    .col(uuid(RatingVisitors::ResponseId))
                    .to_owned(),
            )
            .await?;

        // Free-text answers of these responses are left out of every listing and export.
        manager
            .create_table(
                Table::create()
                    .table(HiddenComments::Table)
                    .col(pk_uuid(HiddenComments::ResponseId))
                    .col(timestamp_with_time_zone(HiddenComments::HiddenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_hidden_comments_response")
                            .from(HiddenComments::Table, HiddenComments::ResponseId)
                            .to(Responses::Table, Responses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            HiddenComments::Table.into_iden(),
            RatingVisitors::Table.into_iden(),
            Downloads::Table.into_iden(),
            Resources::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Resources {
    Table,
    Id,
    Title,
    Theme,
    FirstSeenOn,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Downloads {
    Table,
    ResourceId,
    Day,
    Count,
}

#[derive(DeriveIden)]
enum RatingVisitors {
    Table,
    VisitorKey,
    Day,
    ResponseId,
}

#[derive(DeriveIden)]
enum HiddenComments {
    Table,
    ResponseId,
    HiddenAt,
}

#[derive(DeriveIden)]
enum Responses {
    Table,
    Id,
}
