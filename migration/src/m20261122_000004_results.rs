//! Results: running tallies of the answers, kept up to date in the transaction that stores
//! each response, and the indexes the participation figures read.
//!
//! Why tallies: a campaign of 100,000 responses has 1.5 million answer rows, and a `GROUP BY`
//! over them takes seconds on SQLite. The dashboard must answer in well under 100 ms whatever
//! the number of responses, so every count it needs is kept as it grows: one row per distinct
//! (campaign, period, version, question, value), incremented when a response is stored. The
//! raw answers stay the source of truth; the tallies can be rebuilt from them at any time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Per-value counts over all respondents. `question_id = ''` counts respondents;
        // `value = ''` under a question counts the respondents who answered it (a multiple
        // choice has several values per respondent). Values are kept raw and read with the
        // definition of `version_id`, like the answers themselves.
        manager
            .create_table(
                Table::create()
                    .table(AnswerTallies::Table)
                    .col(uuid(AnswerTallies::CampaignId))
                    // The indicator's period: the Paris year in which the invitation was sent
                    // (3.1, 3.2) or the response given (4, 6, 7; a wave is its campaign).
                    .col(integer(AnswerTallies::Period))
                    .col(string_len(AnswerTallies::VersionId, 64))
                    .col(string_len(AnswerTallies::QuestionId, 64))
                    .col(string_len(AnswerTallies::Value, 200))
                    .col(big_integer(AnswerTallies::Count))
                    .primary_key(
                        Index::create()
                            .col(AnswerTallies::CampaignId)
                            .col(AnswerTallies::Period)
                            .col(AnswerTallies::VersionId)
                            .col(AnswerTallies::QuestionId)
                            .col(AnswerTallies::Value),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_answer_tallies_campaign")
                            .from(AnswerTallies::Table, AnswerTallies::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // Per-group counts for breakdowns and for the companies of 3.1: for each response
        // attribute (company, entity, region, college…) and value, the favourable and valid
        // answers of each scored or overall question, classified with the version answered
        // when the response is stored. `question_id = ''` counts the group's respondents in
        // `total`. The dimension `@day` counts respondents per day of response.
        manager
            .create_table(
                Table::create()
                    .table(GroupTallies::Table)
                    .col(uuid(GroupTallies::CampaignId))
                    .col(integer(GroupTallies::Period))
                    .col(string_len(GroupTallies::Dimension, 64))
                    .col(string_len(GroupTallies::GroupValue, 200))
                    .col(string_len(GroupTallies::QuestionId, 64))
                    .col(big_integer(GroupTallies::Favorable))
                    .col(big_integer(GroupTallies::Total))
                    .primary_key(
                        Index::create()
                            .col(GroupTallies::CampaignId)
                            .col(GroupTallies::Period)
                            .col(GroupTallies::Dimension)
                            .col(GroupTallies::GroupValue)
                            .col(GroupTallies::QuestionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_group_tallies_campaign")
                            .from(GroupTallies::Table, GroupTallies::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // Participation: invitations sent in a period (3.1, 3.2 by year of sending), and the
        // campaign timeline (sent per dispatch batch with its reminders, opened per day). The
        // columns counted are in the index, so the counts never read the table itself.
        manager
            .create_index(
                Index::create()
                    .name("idx_invitations_campaign_sent")
                    .table(Invitations::Table)
                    .col(Invitations::CampaignId)
                    .col(Invitations::SentAt)
                    .col(Invitations::Status)
                    .col(Invitations::RemindersSent)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invitations_campaign_opened")
                    .table(Invitations::Table)
                    .col(Invitations::CampaignId)
                    .col(Invitations::OpenedOn)
                    .to_owned(),
            )
            .await?;
        // Permanently failed invitation emails, counted apart from participation.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_kind_status")
                    .table(Outbox::Table)
                    .col(Outbox::Kind)
                    .col(Outbox::Status)
                    .col(Outbox::InvitationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("idx_outbox_kind_status", Outbox::Table.into_iden()),
            (
                "idx_invitations_campaign_opened",
                Invitations::Table.into_iden(),
            ),
            (
                "idx_invitations_campaign_sent",
                Invitations::Table.into_iden(),
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(GroupTallies::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AnswerTallies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AnswerTallies {
    Table,
    CampaignId,
    Period,
    VersionId,
    QuestionId,
    Value,
    Count,
}

#[derive(DeriveIden)]
enum GroupTallies {
    Table,
    CampaignId,
    Period,
    Dimension,
    /// The attribute's value ("Bretagne", "DEMO-07"…).
    GroupValue,
    QuestionId,
    Favorable,
    Total,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    CampaignId,
    SentAt,
    Status,
    RemindersSent,
    OpenedOn,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Kind,
    Status,
    InvitationId,
}
