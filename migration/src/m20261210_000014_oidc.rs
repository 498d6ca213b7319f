//! Single sign-on (OpenID Connect): the sign-ins under way (what the callback must find:
//! `state`, `nonce`, the PKCE verifier), keyed by the SHA-256 of a short-lived cookie, and the
//! ID token of a session opened through the provider (the `id_token_hint` of its logout).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OidcFlows::Table)
                    .col(string_len(OidcFlows::TokenHash, 64).primary_key())
                    .col(string_len(OidcFlows::State, 100))
                    .col(string_len(OidcFlows::Nonce, 100))
                    .col(string_len_null(OidcFlows::PkceVerifier, 200))
                    .col(string_len(OidcFlows::Back, 1000))
                    .col(timestamp_with_time_zone(OidcFlows::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(StaffSessions::Table)
                    .add_column(text_null(StaffSessions::IdToken))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(StaffSessions::Table)
                    .drop_column(StaffSessions::IdToken)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(OidcFlows::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OidcFlows {
    Table,
    TokenHash,
    State,
    Nonce,
    PkceVerifier,
    Back,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum StaffSessions {
    Table,
    IdToken,
}
