//! Participation without counting invitations one by one: per campaign, the number of sent
//! invitations per (sending instant, status, reminders) and of links first opened per day,
//! kept by triggers on `invitations`; and an index to sum a year of indicator 4's downloads.
//!
//! Why triggers: invitations change in many places (registration, dispatch, answering,
//! closing, erasure), and a counter that one of them forgot to move would be a wrong figure
//! sent to the board. A trigger moves it in the same statement as the row, whatever the code
//! path. The same triggers exist for SQLite and PostgreSQL (one branch each, both run by the
//! test suite); the counts they keep are checked against `COUNT(*)` over the invitations.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_TRIGGERS: &str = r#"
CREATE TRIGGER invitation_counts_insert AFTER INSERT ON invitations
BEGIN
  INSERT INTO invitation_counts (campaign_id, sent_at, status, reminders_sent, n)
    SELECT NEW.campaign_id, NEW.sent_at, NEW.status, NEW.reminders_sent, 1
    WHERE NEW.sent_at IS NOT NULL
    ON CONFLICT (campaign_id, sent_at, status, reminders_sent) DO UPDATE SET n = n + 1;
  INSERT INTO opened_counts (campaign_id, opened_on, n)
    SELECT NEW.campaign_id, NEW.opened_on, 1
    WHERE NEW.opened_on IS NOT NULL
    ON CONFLICT (campaign_id, opened_on) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER invitation_counts_delete AFTER DELETE ON invitations
BEGIN
  UPDATE invitation_counts SET n = n - 1
    WHERE campaign_id = OLD.campaign_id AND sent_at = OLD.sent_at AND status = OLD.status
      AND reminders_sent = OLD.reminders_sent;
  UPDATE opened_counts SET n = n - 1
    WHERE campaign_id = OLD.campaign_id AND opened_on = OLD.opened_on;
END;

CREATE TRIGGER invitation_counts_update
AFTER UPDATE OF campaign_id, sent_at, status, reminders_sent ON invitations
BEGIN
  UPDATE invitation_counts SET n = n - 1
    WHERE campaign_id = OLD.campaign_id AND sent_at = OLD.sent_at AND status = OLD.status
      AND reminders_sent = OLD.reminders_sent;
  INSERT INTO invitation_counts (campaign_id, sent_at, status, reminders_sent, n)
    SELECT NEW.campaign_id, NEW.sent_at, NEW.status, NEW.reminders_sent, 1
    WHERE NEW.sent_at IS NOT NULL
    ON CONFLICT (campaign_id, sent_at, status, reminders_sent) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER opened_counts_update AFTER UPDATE OF campaign_id, opened_on ON invitations
BEGIN
  UPDATE opened_counts SET n = n - 1
    WHERE campaign_id = OLD.campaign_id AND opened_on = OLD.opened_on;
  INSERT INTO opened_counts (campaign_id, opened_on, n)
    SELECT NEW.campaign_id, NEW.opened_on, 1
    WHERE NEW.opened_on IS NOT NULL
    ON CONFLICT (campaign_id, opened_on) DO UPDATE SET n = n + 1;
END;
"#;

const POSTGRES_TRIGGERS: &str = r#"
CREATE FUNCTION invitation_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE FUNCTION opened_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER invitation_counts_track
  AFTER INSERT OR DELETE OR UPDATE OF campaign_id, sent_at, status, reminders_sent
  ON invitations FOR EACH ROW EXECUTE FUNCTION invitation_counts_track();

CREATE TRIGGER opened_counts_track
  AFTER INSERT OR DELETE OR UPDATE OF campaign_id, opened_on
  ON invitations FOR EACH ROW EXECUTE FUNCTION opened_counts_track();
"#;

/// The counts of the invitations already there.
const BACKFILL: &str = r#"
INSERT INTO invitation_counts (campaign_id, sent_at, status, reminders_sent, n)
  SELECT campaign_id, sent_at, status, reminders_sent, COUNT(*) FROM invitations
  WHERE sent_at IS NOT NULL GROUP BY campaign_id, sent_at, status, reminders_sent;
INSERT INTO opened_counts (campaign_id, opened_on, n)
  SELECT campaign_id, opened_on, COUNT(*) FROM invitations
  WHERE opened_on IS NOT NULL GROUP BY campaign_id, opened_on;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InvitationCounts::Table)
                    .col(uuid(InvitationCounts::CampaignId))
                    .col(timestamp_with_time_zone(InvitationCounts::SentAt))
                    .col(string_len(InvitationCounts::Status, 16))
                    .col(small_integer(InvitationCounts::RemindersSent))
                    .col(big_integer(InvitationCounts::N))
                    .primary_key(
                        Index::create()
                            .col(InvitationCounts::CampaignId)
                            .col(InvitationCounts::SentAt)
                            .col(InvitationCounts::Status)
                            .col(InvitationCounts::RemindersSent),
                    )
                    .to_owned(),
            )
            .await?;
        // Years of 3.1 and 3.2 count invitations by sending instant across campaigns.
        manager
            .create_index(
                Index::create()
                    .name("idx_invitation_counts_sent_at")
                    .table(InvitationCounts::Table)
                    .col(InvitationCounts::SentAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OpenedCounts::Table)
                    .col(uuid(OpenedCounts::CampaignId))
                    .col(date(OpenedCounts::OpenedOn))
                    .col(big_integer(OpenedCounts::N))
                    .primary_key(
                        Index::create()
                            .col(OpenedCounts::CampaignId)
                            .col(OpenedCounts::OpenedOn),
                    )
                    .to_owned(),
            )
            .await?;
        // Indicator 4's participation sums a year of downloads: a range of this index.
        manager
            .create_index(
                Index::create()
                    .name("idx_downloads_day_count")
                    .table(Downloads::Table)
                    .col(Downloads::Day)
                    .col(Downloads::Count)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let triggers = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES_TRIGGERS,
            _ => SQLITE_TRIGGERS,
        };
        db.execute_unprepared(triggers).await?;
        db.execute_unprepared(BACKFILL).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drop = match db.get_database_backend() {
            DbBackend::Postgres => {
                "DROP TRIGGER invitation_counts_track ON invitations;
                 DROP TRIGGER opened_counts_track ON invitations;
                 DROP FUNCTION invitation_counts_track();
                 DROP FUNCTION opened_counts_track();"
            }
            _ => {
                "DROP TRIGGER invitation_counts_insert; DROP TRIGGER invitation_counts_delete;
                 DROP TRIGGER invitation_counts_update; DROP TRIGGER opened_counts_update;"
            }
        };
        db.execute_unprepared(drop).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_downloads_day_count")
                    .table(Downloads::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(OpenedCounts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(InvitationCounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum InvitationCounts {
    Table,
    CampaignId,
    SentAt,
    Status,
    RemindersSent,
    N,
}

#[derive(DeriveIden)]
enum OpenedCounts {
    Table,
    CampaignId,
    OpenedOn,
    N,
}

#[derive(DeriveIden)]
enum Downloads {
    Table,
    Day,
    Count,
}
