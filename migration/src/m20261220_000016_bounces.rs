//! Bounces: the tag of each outgoing email's envelope sender (VERP), the delivery state of an
//! invitation as the reports sent back tell it, and the messages already processed (so that
//! reading one twice has one effect).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(string_len_null(Outbox::BounceTag, 24))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_bounce_tag")
                    .table(Outbox::Table)
                    .col(Outbox::BounceTag)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            string_len_null(Invitations::Delivery, 16),
            string_len_null(Invitations::DeliveryStatus, 16),
            string_len_null(Invitations::DeliveryReason, 200),
            timestamp_with_time_zone_null(Invitations::DeliveryAt),
            small_integer(Invitations::SoftBounces)
                .default(0)
                .to_owned(),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Invitations::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(BounceMessages::Table)
                    .col(string_len(BounceMessages::Key, 220).primary_key())
                    .col(string_len(BounceMessages::Verdict, 16))
                    .col(uuid_null(BounceMessages::InvitationId))
                    .col(timestamp_with_time_zone(BounceMessages::ProcessedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BounceMessages::Table).to_owned())
            .await?;
        for column in [
            Invitations::Delivery,
            Invitations::DeliveryStatus,
            Invitations::DeliveryReason,
            Invitations::DeliveryAt,
            Invitations::SoftBounces,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Invitations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("outbox_bounce_tag")
                    .table(Outbox::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::BounceTag)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    BounceTag,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Delivery,
    DeliveryStatus,
    DeliveryReason,
    DeliveryAt,
    SoftBounces,
}

#[derive(DeriveIden)]
enum BounceMessages {
    Table,
    Key,
    Verdict,
    InvitationId,
    ProcessedAt,
}
