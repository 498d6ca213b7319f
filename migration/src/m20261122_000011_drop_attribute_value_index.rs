//! Drops the `(key, value)` index of `response_attributes`. Every query reaches a response's
//! attributes through its id (the primary key), so the index served no read, while each
//! stored response added one entry per attribute at as many places in it: about half of the
//! pages a batch of responses wrote, each one more page to flush at commit.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_response_attributes_key_value";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(ResponseAttributes::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(ResponseAttributes::Table)
                    .col(ResponseAttributes::Key)
                    .col(ResponseAttributes::Value)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ResponseAttributes {
    Table,
    Key,
    Value,
}
