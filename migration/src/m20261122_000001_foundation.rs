//! Questionnaire versions, campaigns, invitations, drafts, responses and their answers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per distinct content of a definition file; responses point at the version
        // they answered so that editing a file never reinterprets stored answers.
        manager
            .create_table(
                Table::create()
                    .table(QuestionnaireVersions::Table)
                    .col(string_len(QuestionnaireVersions::Id, 64).primary_key())
                    .col(string_len(QuestionnaireVersions::Code, 8))
                    .col(text(QuestionnaireVersions::Source))
                    .col(timestamp_with_time_zone(QuestionnaireVersions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_questionnaire_versions_code")
                    .table(QuestionnaireVersions::Table)
                    .col(QuestionnaireVersions::Code)
                    .col(QuestionnaireVersions::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(pk_uuid(Campaigns::Id))
                    .col(string_len(Campaigns::QuestionnaireCode, 8))
                    .col(string_len(Campaigns::Label, 120))
                    .col(string_len(Campaigns::Status, 16))
                    .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_campaigns_questionnaire_label")
                    .table(Campaigns::Table)
                    .col(Campaigns::QuestionnaireCode)
                    .col(Campaigns::Label)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(pk_uuid(Invitations::Id))
                    .col(uuid(Invitations::CampaignId))
                    .col(string_len_uniq(Invitations::Token, 32))
                    // Nullable: erased once the retention period is over.
                    .col(string_len_null(Invitations::Email, 254))
                    // Roster or registration attributes (JSON object) used for breakdowns.
                    .col(text(Invitations::Attributes))
                    .col(string_len(Invitations::Status, 16))
                    // Day only: an anonymous survey must not be joinable by time.
                    .col(date_null(Invitations::CompletedOn))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_campaign")
                            .from(Invitations::Table, Invitations::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invitations_campaign_status")
                    .table(Invitations::Table)
                    .col(Invitations::CampaignId)
                    .col(Invitations::Status)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Drafts::Table)
                    .col(pk_uuid(Drafts::InvitationId))
                    .col(text(Drafts::Answers))
                    .col(timestamp_with_time_zone(Drafts::SavedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drafts_invitation")
                            .from(Drafts::Table, Drafts::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Responses::Table)
                    .col(pk_uuid(Responses::Id))
                    .col(uuid(Responses::CampaignId))
                    .col(string_len(Responses::VersionId, 64))
                    // Null for anonymous questionnaires and open ones: no path back to a person.
                    .col(uuid_null(Responses::InvitationId).unique_key())
                    .col(date(Responses::SubmittedOn))
                    // Null for anonymous questionnaires: the day is all they keep.
                    .col(timestamp_with_time_zone_null(Responses::SubmittedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_responses_campaign")
                            .from(Responses::Table, Responses::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_responses_version")
                            .from(Responses::Table, Responses::VersionId)
                            .to(QuestionnaireVersions::Table, QuestionnaireVersions::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_responses_invitation")
                            .from(Responses::Table, Responses::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_responses_campaign")
                    .table(Responses::Table)
                    .col(Responses::CampaignId)
                    .col(Responses::SubmittedOn)
                    .to_owned(),
            )
            .await?;

        // One row per value: a multiple choice has one row per ticked option, so counts per
        // option are a GROUP BY. No surrogate id: an autoincrement would reveal order.
        manager
            .create_table(
                Table::create()
                    .table(Answers::Table)
                    .col(uuid(Answers::ResponseId))
                    .col(string_len(Answers::QuestionId, 64))
                    .col(small_integer(Answers::Position))
                    .col(text(Answers::Value))
                    .primary_key(
                        Index::create()
                            .col(Answers::ResponseId)
                            .col(Answers::QuestionId)
                            .col(Answers::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_answers_response")
                            .from(Answers::Table, Answers::ResponseId)
                            .to(Responses::Table, Responses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Answers::Table.into_iden(),
            Responses::Table.into_iden(),
            Drafts::Table.into_iden(),
            Invitations::Table.into_iden(),
            Campaigns::Table.into_iden(),
            QuestionnaireVersions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum QuestionnaireVersions {
    Table,
    Id,
    Code,
    Source,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    QuestionnaireCode,
    Label,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    CampaignId,
    Token,
    Email,
    Attributes,
    Status,
    CompletedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Drafts {
    Table,
    InvitationId,
    Answers,
    SavedAt,
}

#[derive(DeriveIden)]
enum Responses {
    Table,
    Id,
    CampaignId,
    VersionId,
    InvitationId,
    SubmittedOn,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum Answers {
    Table,
    ResponseId,
    QuestionId,
    Position,
    Value,
}
