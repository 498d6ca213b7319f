//! Personal link tokens are no longer stored in clear. `invitations.token` becomes
//! `token_hash`: for new invitations the app writes a keyed hash of a token derived from the
//! invitation's id (`jalon::link_key`), with a key outside the database. This migration has no
//! key, so for each existing invitation (a random token, already emailed) it stores the plain
//! SHA-256 of the token, in hex, in both `legacy_token_hash` (what the old link is looked up
//! by from now on: 128 random bits, so the hash cannot be turned back into the link) and
//! `token_hash` (a placeholder: the app, which has the key, replaces it at start with the
//! hash of the derived token that reminders will carry; `token_hash = legacy_token_hash`
//! marks the rows still to do). The tokens in the bodies of emails already in the outbox
//! are replaced by the slot dispatch fills in when it sends (`LINK_TOKEN_SLOT` of
//! `jalon::dispatch`). After it, no clear token is left in the database.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What dispatch replaces with the token when it sends an email (kept here as it was when
/// this migration was written).
const LINK_TOKEN_SLOT: &str = "JALON-LINK-TOKEN";

fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn replace(column: Outbox, token: &str) -> SimpleExpr {
    Func::cust("REPLACE")
        .arg(Expr::col(column))
        .arg(token)
        .arg(LINK_TOKEN_SLOT)
        .into()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        db.execute_unprepared("ALTER TABLE invitations RENAME COLUMN token TO token_hash")
            .await?;
        if backend == DbBackend::Postgres {
            // SQLite does not enforce lengths.
            db.execute_unprepared(
                "ALTER TABLE invitations ALTER COLUMN token_hash TYPE varchar(64)",
            )
            .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Invitations::Table)
                    .add_column(
                        ColumnDef::new(Invitations::LegacyTokenHash)
                            .string_len(64)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invitations_legacy_token_hash")
                    .table(Invitations::Table)
                    .col(Invitations::LegacyTokenHash)
                    .to_owned(),
            )
            .await?;

        let select = Query::select()
            .column(Invitations::TokenHash)
            .from(Invitations::Table)
            .to_owned();
        let tokens: Vec<String> = db
            .query_all_raw(backend.build(&select))
            .await?
            .iter()
            .map(|row| row.try_get_by_index::<String>(0))
            .collect::<Result<_, _>>()?;
        for token in tokens {
            let hash = sha256_hex(&token);
            let of_this_invitation = Query::select()
                .column(Invitations::Id)
                .from(Invitations::Table)
                .and_where(Expr::col(Invitations::TokenHash).eq(token.as_str()))
                .to_owned();
            let emails = Query::update()
                .table(Outbox::Table)
                .value(Outbox::BodyText, replace(Outbox::BodyText, &token))
                .value(Outbox::BodyHtml, replace(Outbox::BodyHtml, &token))
                .value(
                    Outbox::UnsubscribeUrl,
                    replace(Outbox::UnsubscribeUrl, &token),
                )
                .and_where(Expr::col(Outbox::InvitationId).in_subquery(of_this_invitation))
                .to_owned();
            db.execute_raw(backend.build(&emails)).await?;
            let invitation = Query::update()
                .table(Invitations::Table)
                .value(Invitations::TokenHash, hash.as_str())
                .value(Invitations::LegacyTokenHash, hash.as_str())
                .and_where(Expr::col(Invitations::TokenHash).eq(token.as_str()))
                .to_owned();
            db.execute_raw(backend.build(&invitation)).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The clear tokens are gone: there is nothing to go back to.
        Err(DbErr::Migration(
            "les jetons des liens personnels ne sont plus conservés en clair : retour impossible"
                .to_owned(),
        ))
    }
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    TokenHash,
    LegacyTokenHash,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    InvitationId,
    BodyText,
    BodyHtml,
    UnsubscribeUrl,
}
