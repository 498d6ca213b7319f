//! The breakdown attributes of each response (entity, region, college, role, size band…),
//! copied at submission so that results group by them without touching invitations: for an
//! anonymous questionnaire the response keeps no link to its invitation.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResponseAttributes::Table)
                    .col(uuid(ResponseAttributes::ResponseId))
                    .col(string_len(ResponseAttributes::Key, 64))
                    .col(string_len(ResponseAttributes::Value, 200))
                    .primary_key(
                        Index::create()
                            .col(ResponseAttributes::ResponseId)
                            .col(ResponseAttributes::Key),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_response_attributes_response")
                            .from(ResponseAttributes::Table, ResponseAttributes::ResponseId)
                            .to(Responses::Table, Responses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_response_attributes_key_value")
                    .table(ResponseAttributes::Table)
                    .col(ResponseAttributes::Key)
                    .col(ResponseAttributes::Value)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ResponseAttributes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ResponseAttributes {
    Table,
    ResponseId,
    Key,
    Value,
}

#[derive(DeriveIden)]
enum Responses {
    Table,
    Id,
}
