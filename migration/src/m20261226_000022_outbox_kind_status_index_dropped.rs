//! `idx_outbox_kind_status` (kind, status, invitation) dropped. It held every outbox row for
//! two counts of participation that other indexes serve as well: the invitation emails
//! failed for good (`status = 'failed'` is the first column of `idx_outbox_ready`) and
//! whether a bounced invitation's email failed (`uq_outbox_invitation_kind` finds it by
//! invitation and kind). Meanwhile each email queued added an entry to it, and each outcome
//! recorded moved that entry, at a place set by a random invitation id: recording the
//! outcomes of 64 emails rewrote some 64 pages of it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const DROPPED: &str = "idx_outbox_kind_status";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(DROPPED).table(Outbox::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(DROPPED)
                    .table(Outbox::Table)
                    .col(Outbox::Kind)
                    .col(Outbox::Status)
                    .col(Outbox::InvitationId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Kind,
    Status,
    InvitationId,
}
