//! On PostgreSQL, the participation counts no longer share rows between transactions: the
//! triggers on `invitations` append each change (+1 for the new key, −1 for the old) to
//! `invitation_count_changes` and `opened_count_changes`, and one task at a time adds them
//! to `invitation_counts` and `opened_counts`. With the counts updated in place, every
//! claim of a dispatch batch moved the same two rows (pending − 1, completed + 1), so the
//! writers of two instances, and a dispatch beside them, waited on each other's row locks
//! until commit. Readers sum both tables.
//!
//! SQLite runs one write transaction at a time, so an update in place never waits there:
//! its triggers stay as they were and its change tables stay empty.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Also what `m20261227_000023_count_changes_per_statement` restores when undone.
pub(crate) const POSTGRES_TRIGGERS: &str = r#"
CREATE OR REPLACE FUNCTION invitation_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND (OLD.campaign_id, OLD.sent_at, OLD.status, OLD.reminders_sent)
         IS NOT DISTINCT FROM (NEW.campaign_id, NEW.sent_at, NEW.status, NEW.reminders_sent) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.sent_at IS NOT NULL THEN
    INSERT INTO invitation_count_changes (campaign_id, sent_at, status, reminders_sent, n)
      VALUES (OLD.campaign_id, OLD.sent_at, OLD.status, OLD.reminders_sent, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.sent_at IS NOT NULL THEN
    INSERT INTO invitation_count_changes (campaign_id, sent_at, status, reminders_sent, n)
      VALUES (NEW.campaign_id, NEW.sent_at, NEW.status, NEW.reminders_sent, 1);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION opened_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND (OLD.campaign_id, OLD.opened_on) IS NOT DISTINCT FROM (NEW.campaign_id, NEW.opened_on) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.opened_on IS NOT NULL THEN
    INSERT INTO opened_count_changes (campaign_id, opened_on, n)
      VALUES (OLD.campaign_id, OLD.opened_on, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.opened_on IS NOT NULL THEN
    INSERT INTO opened_count_changes (campaign_id, opened_on, n)
      VALUES (NEW.campaign_id, NEW.opened_on, 1);
  END IF;
  RETURN NULL;
END $$;
"#;

/// Tables whose rows are appended, then deleted a page at a time: autovacuum finds them
/// empty again and again, and by default gives the empty pages back to the system, which
/// takes an exclusive lock on the table: every transaction appending a row (a claim, a
/// response) then waits for it. Measured on the count changes: sessions waiting on a
/// relation lock of `invitation_count_changes` while two instances answered. The dead rows
/// are still vacuumed; only the truncation goes.
const NO_VACUUM_TRUNCATE: &str = "
ALTER TABLE invitation_count_changes SET (vacuum_truncate = false);
ALTER TABLE opened_count_changes SET (vacuum_truncate = false);
ALTER TABLE tally_backlog SET (vacuum_truncate = false);
";

/// The functions of `m20261122_000010_invitation_counts`, for `down`.
const POSTGRES_TRIGGERS_BEFORE: &str = r#"
CREATE OR REPLACE FUNCTION invitation_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE invitation_counts SET n = n - 1
      WHERE campaign_id = OLD.campaign_id AND sent_at = OLD.sent_at AND status = OLD.status
        AND reminders_sent = OLD.reminders_sent;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.sent_at IS NOT NULL THEN
    INSERT INTO invitation_counts (campaign_id, sent_at, status, reminders_sent, n)
      VALUES (NEW.campaign_id, NEW.sent_at, NEW.status, NEW.reminders_sent, 1)
      ON CONFLICT (campaign_id, sent_at, status, reminders_sent)
      DO UPDATE SET n = invitation_counts.n + 1;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION opened_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE opened_counts SET n = n - 1
      WHERE campaign_id = OLD.campaign_id AND opened_on = OLD.opened_on;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.opened_on IS NOT NULL THEN
    INSERT INTO opened_counts (campaign_id, opened_on, n)
      VALUES (NEW.campaign_id, NEW.opened_on, 1)
      ON CONFLICT (campaign_id, opened_on) DO UPDATE SET n = opened_counts.n + 1;
  END IF;
  RETURN NULL;
END $$;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No key: rows are only ever appended, then taken away all at once.
        manager
            .create_table(
                Table::create()
                    .table(InvitationCountChanges::Table)
                    .col(uuid(InvitationCountChanges::CampaignId))
                    .col(timestamp_with_time_zone(InvitationCountChanges::SentAt))
                    .col(string_len(InvitationCountChanges::Status, 16))
                    .col(small_integer(InvitationCountChanges::RemindersSent))
                    .col(big_integer(InvitationCountChanges::N))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OpenedCountChanges::Table)
                    .col(uuid(OpenedCountChanges::CampaignId))
                    .col(date(OpenedCountChanges::OpenedOn))
                    .col(big_integer(OpenedCountChanges::N))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(POSTGRES_TRIGGERS).await?;
            db.execute_unprepared(NO_VACUUM_TRUNCATE).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE tally_backlog RESET (vacuum_truncate);")
                .await?;
            db.execute_unprepared(POSTGRES_TRIGGERS_BEFORE).await?;
            db.execute_unprepared(
                "INSERT INTO invitation_counts (campaign_id, sent_at, status, reminders_sent, n)
                   SELECT campaign_id, sent_at, status, reminders_sent, SUM(n)
                   FROM invitation_count_changes
                   GROUP BY campaign_id, sent_at, status, reminders_sent
                   ON CONFLICT (campaign_id, sent_at, status, reminders_sent)
                   DO UPDATE SET n = invitation_counts.n + EXCLUDED.n;
                 INSERT INTO opened_counts (campaign_id, opened_on, n)
                   SELECT campaign_id, opened_on, SUM(n) FROM opened_count_changes
                   GROUP BY campaign_id, opened_on
                   ON CONFLICT (campaign_id, opened_on) DO UPDATE SET n = opened_counts.n + EXCLUDED.n;",
            )
            .await?;
        }
        manager
            .drop_table(Table::drop().table(OpenedCountChanges::Table).to_owned())
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(InvitationCountChanges::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum InvitationCountChanges {
    Table,
    CampaignId,
    SentAt,
    Status,
    RemindersSent,
    N,
}

#[derive(DeriveIden)]
enum OpenedCountChanges {
    Table,
    CampaignId,
    OpenedOn,
    N,
}
