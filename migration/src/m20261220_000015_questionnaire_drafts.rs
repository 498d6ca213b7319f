//! Questionnaires edited by staff: one draft per questionnaire (its TOML text, who saved it
//! when), the publications (which version became the one in use, who published it when; the
//! newest per questionnaire wins, and its growing id is what every instance watches to
//! notice a publish), and the pilot of a draft: its links and its responses, kept apart from
//! `responses` so that no indicator, breakdown or export can ever count them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QuestionnaireDrafts::Table)
                    .col(string_len(QuestionnaireDrafts::Code, 10).primary_key())
                    .col(text(QuestionnaireDrafts::Source))
                    .col(string_len(QuestionnaireDrafts::SavedBy, 300))
                    .col(timestamp_with_time_zone(QuestionnaireDrafts::SavedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QuestionnairePublications::Table)
                    .col(pk_auto(QuestionnairePublications::Id))
                    .col(string_len(QuestionnairePublications::Code, 10))
                    .col(string_len(QuestionnairePublications::VersionId, 64))
                    .col(string_len(QuestionnairePublications::PublishedBy, 300))
                    .col(timestamp_with_time_zone(
                        QuestionnairePublications::PublishedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_questionnaire_publications_code")
                    .table(QuestionnairePublications::Table)
                    .col(QuestionnairePublications::Code)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PilotLinks::Table)
                    .col(string_len(PilotLinks::TokenHash, 64).primary_key())
                    .col(string_len(PilotLinks::Code, 10))
                    .col(boolean(PilotLinks::Open))
                    .col(string_len(PilotLinks::CreatedBy, 300))
                    .col(timestamp_with_time_zone(PilotLinks::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PilotResponses::Table)
                    .col(pk_uuid(PilotResponses::Id))
                    .col(string_len(PilotResponses::Code, 10))
                    .col(string_len(PilotResponses::LinkHash, 64))
                    .col(string_len(PilotResponses::VersionId, 64))
                    .col(text(PilotResponses::Answers))
                    .col(timestamp_with_time_zone_null(PilotResponses::StartedAt))
                    .col(timestamp_with_time_zone(PilotResponses::SubmittedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pilot_responses_code")
                    .table(PilotResponses::Table)
                    .col(PilotResponses::Code)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PilotResponses::Table.into_iden(),
            PilotLinks::Table.into_iden(),
            QuestionnairePublications::Table.into_iden(),
            QuestionnaireDrafts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum QuestionnaireDrafts {
    Table,
    Code,
    Source,
    SavedBy,
    SavedAt,
}

#[derive(DeriveIden)]
enum QuestionnairePublications {
    Table,
    Id,
    Code,
    VersionId,
    PublishedBy,
    PublishedAt,
}

#[derive(DeriveIden)]
enum PilotLinks {
    Table,
    TokenHash,
    Code,
    Open,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PilotResponses {
    Table,
    Id,
    Code,
    LinkHash,
    VersionId,
    Answers,
    StartedAt,
    SubmittedAt,
}
