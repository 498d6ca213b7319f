//! Emails share their bodies. An invitation's bodies differ from one recipient to the next
//! only by the name and the personal link, which are now both left as slots and filled in when
//! the email is sent; the emails of a batch with the same bodies point to one row of
//! `email_bodies` (`outbox.body_id`). Queueing 10,000 invitations wrote some 26 MB of bodies
//! and read them back to send them; the bodies no longer hold anyone's name. The bodies of the
//! emails queued before move over as they are, one row each.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const BODY_INDEX: &str = "idx_outbox_body";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmailBodies::Table)
                    .col(pk_uuid(EmailBodies::Id))
                    .col(text(EmailBodies::BodyText))
                    .col(text(EmailBodies::BodyHtml))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(uuid_null(Outbox::BodyId))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO email_bodies (id, body_text, body_html) \
             SELECT outbox_id, body_text, body_html FROM outbox_bodies",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE outbox SET body_id = id WHERE id IN (SELECT outbox_id FROM outbox_bodies)",
        )
        .await?;
        manager
            .drop_table(Table::drop().table(OutboxBodies::Table).to_owned())
            .await?;
        // How a body finds its emails: the new ones written only if an email uses them, and an
        // erasure blanking those that no email still needs.
        manager
            .create_index(
                Index::create()
                    .name(BODY_INDEX)
                    .table(Outbox::Table)
                    .col(Outbox::BodyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
        // Each email gets its own copy, with the name slot left as it is: the name is in the
        // invitation.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO outbox_bodies (outbox_id, body_text, body_html) \
                 SELECT outbox.id, email_bodies.body_text, email_bodies.body_html \
                 FROM outbox JOIN email_bodies ON email_bodies.id = outbox.body_id",
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(BODY_INDEX)
                    .table(Outbox::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::BodyId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(EmailBodies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum EmailBodies {
    Table,
    Id,
    BodyText,
    BodyHtml,
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
    BodyId,
}
