//! Anonymous questionnaires (6, 7): answers wait sealed until they can be released together.
//!
//! `anonymous_pending` holds answers already acknowledged to the respondent but not yet in
//! the results: a random id, the campaign, the version and the answers with the attributes
//! (JSON). No invitation, no time. On SQLite the table is `WITHOUT ROWID`, so rows are kept
//! in the order of their random ids, not in the order they arrived (the same builder output,
//! with that clause appended; PostgreSQL has no rowid).
//!
//! `campaigns.released_on` is the common day of a campaign's released anonymous responses.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let table = Table::create()
            .table(AnonymousPending::Table)
            .col(pk_uuid(AnonymousPending::Id))
            .col(uuid(AnonymousPending::CampaignId))
            .col(string_len(AnonymousPending::VersionId, 64))
            .col(text(AnonymousPending::Payload))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_anonymous_pending_campaign")
                    .from(AnonymousPending::Table, AnonymousPending::CampaignId)
                    .to(Campaigns::Table, Campaigns::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_anonymous_pending_version")
                    .from(AnonymousPending::Table, AnonymousPending::VersionId)
                    .to(QuestionnaireVersions::Table, QuestionnaireVersions::Id)
                    .on_delete(ForeignKeyAction::Restrict),
            )
            .to_owned();
        match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DatabaseBackend::Sqlite => {
                let sql = format!("{} WITHOUT ROWID", table.to_string(SqliteQueryBuilder));
                manager.get_connection().execute_unprepared(&sql).await?;
            }
            _ => manager.create_table(table).await?,
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_anonymous_pending_campaign")
                    .table(AnonymousPending::Table)
                    .col(AnonymousPending::CampaignId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .add_column(date_null(Campaigns::ReleasedOn))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .drop_column(Campaigns::ReleasedOn)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(AnonymousPending::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AnonymousPending {
    Table,
    Id,
    CampaignId,
    VersionId,
    Payload,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    ReleasedOn,
}

#[derive(DeriveIden)]
enum QuestionnaireVersions {
    Table,
    Id,
}
