//! Registration (interventions, co-productions, waves) and the follow-up machinery:
//! planned invitations, reminders, closing, unsubscribing and the durable email outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Interventions::Table)
                    .col(pk_uuid(Interventions::Id))
                    .col(string_len_uniq(Interventions::Reference, 64))
                    .col(string_len(Interventions::CompanyName, 200))
                    .col(string_len_null(Interventions::CompanySiret, 14))
                    .col(string_len(Interventions::CompanySizeBand, 16))
                    .col(string_len_null(Interventions::CompanySector, 120))
                    .col(string_len(Interventions::Kind, 32))
                    .col(string_len(Interventions::EntityCode, 64))
                    .col(date(Interventions::StartedOn))
                    .col(date(Interventions::EndedOn))
                    .col(timestamp_with_time_zone(Interventions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Coproductions::Table)
                    .col(pk_uuid(Coproductions::Id))
                    .col(string_len_uniq(Coproductions::Reference, 64))
                    .col(string_len(Coproductions::Tool, 200))
                    .col(string_len(Coproductions::EntityCode, 64))
                    .col(date(Coproductions::FinalisedOn))
                    .col(timestamp_with_time_zone(Coproductions::CreatedAt))
                    .to_owned(),
            )
            .await?;

        // A wave of i6 or i7 is a campaign with a milestone (or an explicit send date).
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .add_column(date_null(Campaigns::MilestoneOn))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .add_column(date_null(Campaigns::SendOn))
                    .to_owned(),
            )
            .await?;

        // SQLite adds one column per ALTER TABLE.
        let invitation_columns = [
            // Where the person comes from: an intervention, a co-production, a wave's roster.
            string_len_null(Invitations::SourceKind, 16),
            uuid_null(Invitations::SourceId),
            string_len_null(Invitations::Name, 200),
            string_len_null(Invitations::Role, 200),
            // Planned send instant; null for invitations created to be sent at once.
            timestamp_with_time_zone_null(Invitations::ScheduledFor),
            timestamp_with_time_zone_null(Invitations::SentAt),
            small_integer(Invitations::RemindersSent)
                .default(0)
                .to_owned(),
            timestamp_with_time_zone_null(Invitations::ClosesAt),
            timestamp_with_time_zone_null(Invitations::UnsubscribedAt),
            // First time the link was opened; the day only, like completion.
            date_null(Invitations::OpenedOn),
        ];
        for column in invitation_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Invitations::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // Natural key: one invitation per person per intervention, co-production or wave.
        manager
            .create_index(
                Index::create()
                    .name("uq_invitations_source_email")
                    .table(Invitations::Table)
                    .col(Invitations::SourceId)
                    .col(Invitations::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invitations_due")
                    .table(Invitations::Table)
                    .col(Invitations::Status)
                    .col(Invitations::ScheduledFor)
                    .to_owned(),
            )
            .await?;

        // Every email is a row before it is sent. (invitation, kind) is unique, so running
        // dispatch twice can never queue the same message twice.
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    .col(uuid_null(Outbox::InvitationId))
                    .col(string_len(Outbox::Kind, 24))
                    .col(string_len(Outbox::Recipient, 254))
                    .col(string_len(Outbox::Subject, 300))
                    .col(text(Outbox::BodyText))
                    .col(text(Outbox::BodyHtml))
                    .col(string_len_null(Outbox::UnsubscribeUrl, 500))
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(string_len_null(Outbox::LeaseOwner, 64))
                    .col(timestamp_with_time_zone_null(Outbox::LeaseUntil))
                    .col(text_null(Outbox::LastError))
                    .col(text_null(Outbox::ServerResponse))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_outbox_invitation")
                            .from(Outbox::Table, Outbox::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_outbox_invitation_kind")
                    .table(Outbox::Table)
                    .col(Outbox::InvitationId)
                    .col(Outbox::Kind)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_ready")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("uq_invitations_source_email")
                    .table(Invitations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_invitations_due")
                    .table(Invitations::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Invitations::SourceKind,
            Invitations::SourceId,
            Invitations::Name,
            Invitations::Role,
            Invitations::ScheduledFor,
            Invitations::SentAt,
            Invitations::RemindersSent,
            Invitations::ClosesAt,
            Invitations::UnsubscribedAt,
            Invitations::OpenedOn,
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
        for column in [Campaigns::MilestoneOn, Campaigns::SendOn] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Campaigns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Coproductions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Interventions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Interventions {
    Table,
    Id,
    Reference,
    CompanyName,
    CompanySiret,
    CompanySizeBand,
    CompanySector,
    Kind,
    EntityCode,
    StartedOn,
    EndedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Coproductions {
    Table,
    Id,
    Reference,
    Tool,
    EntityCode,
    FinalisedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    MilestoneOn,
    SendOn,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    Email,
    Status,
    SourceKind,
    SourceId,
    Name,
    Role,
    ScheduledFor,
    SentAt,
    RemindersSent,
    ClosesAt,
    UnsubscribedAt,
    OpenedOn,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    InvitationId,
    Kind,
    Recipient,
    Subject,
    BodyText,
    BodyHtml,
    UnsubscribeUrl,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseOwner,
    LeaseUntil,
    LastError,
    ServerResponse,
    CreatedAt,
    SentAt,
}
