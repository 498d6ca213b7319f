//! The invitations still to send, indexed apart. `idx_invitations_due` (status, send instant)
//! also held every invitation already queued, which stays pending until it is answered: each
//! batch of a dispatch stepped over all those the batches before it had queued, a sending of
//! 10,000 read some 95,000 rows to find its 10,000. A partial index on the invitations without
//! `sent_at` holds only those still to send, on SQLite and PostgreSQL alike.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD: &str = "idx_invitations_due";
const NEW: &str = "idx_invitations_unsent";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NEW)
                    .table(Invitations::Table)
                    .col(Invitations::Status)
                    .col(Invitations::ScheduledFor)
                    .and_where(Expr::col(Invitations::SentAt).is_null())
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(OLD).table(Invitations::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD)
                    .table(Invitations::Table)
                    .col(Invitations::Status)
                    .col(Invitations::ScheduledFor)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(NEW).table(Invitations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Status,
    ScheduledFor,
    SentAt,
}
