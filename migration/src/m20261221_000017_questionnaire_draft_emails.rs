//! The invitation and reminder emails edited with a questionnaire's definition: the draft may
//! carry their text (`emails`, the same TOML as `emails/<name>.toml`; null when the draft
//! leaves them as they are), and each publication records the text in use after it (null
//! while no publication ever set one: the file's texts stay in use).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(QuestionnaireDrafts::Table)
                    .add_column(text_null(QuestionnaireDrafts::Emails))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(QuestionnairePublications::Table)
                    .add_column(text_null(QuestionnairePublications::Emails))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(QuestionnairePublications::Table)
                    .drop_column(QuestionnairePublications::Emails)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(QuestionnaireDrafts::Table)
                    .drop_column(QuestionnaireDrafts::Emails)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum QuestionnaireDrafts {
    Table,
    Emails,
}

#[derive(DeriveIden)]
enum QuestionnairePublications {
    Table,
    Emails,
}
