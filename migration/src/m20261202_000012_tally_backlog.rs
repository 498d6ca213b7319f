//! The responses whose answers are stored but not yet added to the tallies. A response
//! writes one row here instead of upserting a few dozen tally rows in its own transaction
//! (rows every writer and every instance shares); the results' folder adds a backlog to the
//! tallies in one transaction and deletes its rows. Deleting a response removes its row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TallyBacklog::Table)
                    .col(uuid(TallyBacklog::ResponseId).primary_key())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tally_backlog_response")
                            .from(TallyBacklog::Table, TallyBacklog::ResponseId)
                            .to(Responses::Table, Responses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TallyBacklog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TallyBacklog {
    Table,
    ResponseId,
}

#[derive(DeriveIden)]
enum Responses {
    Table,
    Id,
}
