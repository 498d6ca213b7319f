//! An email's bodies move out of its outbox row into `outbox_bodies`, written once when the
//! email is queued and read once when it is sent. The outbox row keeps the state that
//! changes (lease, attempts, status): updating it no longer rewrites some 5 KiB of bodies,
//! and the claim's index scan no longer reads them to check a lease.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxBodies::Table)
                    .col(pk_uuid(OutboxBodies::OutboxId))
                    .col(text(OutboxBodies::BodyText))
                    .col(text(OutboxBodies::BodyHtml))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_outbox_bodies_outbox")
                            .from(OutboxBodies::Table, OutboxBodies::OutboxId)
                            .to(Outbox::Table, Outbox::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let copy = Query::insert()
            .into_table(OutboxBodies::Table)
            .columns([
                OutboxBodies::OutboxId,
                OutboxBodies::BodyText,
                OutboxBodies::BodyHtml,
            ])
            .select_from(
                Query::select()
                    .columns([Outbox::Id, Outbox::BodyText, Outbox::BodyHtml])
                    .from(Outbox::Table)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(copy).await?;
        // SQLite drops one column per ALTER TABLE.
        for column in [Outbox::BodyText, Outbox::BodyHtml] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Outbox::BodyText, Outbox::BodyHtml] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .add_column(text(column).default(""))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE outbox SET \
                 body_text = (SELECT body_text FROM outbox_bodies WHERE outbox_id = outbox.id), \
                 body_html = (SELECT body_html FROM outbox_bodies WHERE outbox_id = outbox.id) \
                 WHERE id IN (SELECT outbox_id FROM outbox_bodies)",
            )
            .await?;
        manager
            .drop_table(Table::drop().table(OutboxBodies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum OutboxBodies {
    Table,
    OutboxId,
    BodyText,
    BodyHtml,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    BodyText,
    BodyHtml,
}
