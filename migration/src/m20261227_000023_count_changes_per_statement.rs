//! On PostgreSQL, the participation counts' changes are appended once per statement rather
//! than once per invitation: a trigger `FOR EACH STATEMENT` reads the rows the statement
//! changed (its transition tables) and appends one change per key with the sum of them.
//!
//! Why: the row triggers of `m20261223_000019_count_changes` ran a PL/pgSQL call and two
//! inserts for every invitation. A batch of claims (one `UPDATE` of 16 invitations sent at
//! the same instant) appended 32 changes where two say the same (pending −16,
//! completed +16), and importing 300,000 links appended 300,000 changes, which left the
//! changes' table with thousands of empty pages that every compaction then read through.
//! Measured with `pg_stat_statements` under the answering bench: the claims' `UPDATE` took
//! 1.6 ms a batch and the compaction 65-153 ms a second, together a third of the database's
//! time.
//!
//! An update that changes no key (a link opened, an email bounced) leaves its −1 and +1 on
//! the same key, which cancel out: nothing is appended. SQLite keeps its row triggers, which
//! update the counts in place (see the `count_changes` migration).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One function for the three triggers (PostgreSQL allows transition tables only on a
/// trigger of one event): `TG_OP` says which transition tables exist.
const PER_STATEMENT: &str = r#"
DROP TRIGGER invitation_counts_track ON invitations;
DROP TRIGGER opened_counts_track ON invitations;
DROP FUNCTION invitation_counts_track();
DROP FUNCTION opened_counts_track();

CREATE FUNCTION count_changes_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO invitation_count_changes (campaign_id, sent_at, status, reminders_sent, n)
      SELECT campaign_id, sent_at, status, reminders_sent, COUNT(*) FROM new_rows
      WHERE sent_at IS NOT NULL GROUP BY campaign_id, sent_at, status, reminders_sent;
    INSERT INTO opened_count_changes (campaign_id, opened_on, n)
      SELECT campaign_id, opened_on, COUNT(*) FROM new_rows
      WHERE opened_on IS NOT NULL GROUP BY campaign_id, opened_on;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO invitation_count_changes (campaign_id, sent_at, status, reminders_sent, n)
      SELECT campaign_id, sent_at, status, reminders_sent, -COUNT(*) FROM old_rows
      WHERE sent_at IS NOT NULL GROUP BY campaign_id, sent_at, status, reminders_sent;
    INSERT INTO opened_count_changes (campaign_id, opened_on, n)
      SELECT campaign_id, opened_on, -COUNT(*) FROM old_rows
      WHERE opened_on IS NOT NULL GROUP BY campaign_id, opened_on;
  ELSE
    INSERT INTO invitation_count_changes (campaign_id, sent_at, status, reminders_sent, n)
      SELECT campaign_id, sent_at, status, reminders_sent, SUM(n) FROM (
        SELECT campaign_id, sent_at, status, reminders_sent, -1 AS n FROM old_rows
          WHERE sent_at IS NOT NULL
        UNION ALL
        SELECT campaign_id, sent_at, status, reminders_sent, 1 FROM new_rows
          WHERE sent_at IS NOT NULL
      ) moved
      GROUP BY campaign_id, sent_at, status, reminders_sent HAVING SUM(n) <> 0;
    INSERT INTO opened_count_changes (campaign_id, opened_on, n)
      SELECT campaign_id, opened_on, SUM(n) FROM (
        SELECT campaign_id, opened_on, -1 AS n FROM old_rows WHERE opened_on IS NOT NULL
        UNION ALL
        SELECT campaign_id, opened_on, 1 FROM new_rows WHERE opened_on IS NOT NULL
      ) moved
      GROUP BY campaign_id, opened_on HAVING SUM(n) <> 0;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER count_changes_inserted AFTER INSERT ON invitations
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION count_changes_append();
CREATE TRIGGER count_changes_updated AFTER UPDATE ON invitations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION count_changes_append();
CREATE TRIGGER count_changes_deleted AFTER DELETE ON invitations
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION count_changes_append();
"#;

/// What `up` created, taken away by `down`.
const PER_STATEMENT_DROPPED: &str = r#"
DROP TRIGGER count_changes_inserted ON invitations;
DROP TRIGGER count_changes_updated ON invitations;
DROP TRIGGER count_changes_deleted ON invitations;
DROP FUNCTION count_changes_append();
"#;

/// The row triggers of `m20261122_000010_invitation_counts`, for `down`, running the
/// functions of `m20261223_000019_count_changes` (its `POSTGRES_TRIGGERS`, created first).
const ROW_TRIGGERS: &str = r#"
CREATE TRIGGER invitation_counts_track
  AFTER INSERT OR DELETE OR UPDATE OF campaign_id, sent_at, status, reminders_sent
  ON invitations FOR EACH ROW EXECUTE FUNCTION invitation_counts_track();
CREATE TRIGGER opened_counts_track
  AFTER INSERT OR DELETE OR UPDATE OF campaign_id, opened_on
  ON invitations FOR EACH ROW EXECUTE FUNCTION opened_counts_track();
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(PER_STATEMENT).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(PER_STATEMENT_DROPPED).await?;
            db.execute_unprepared(super::m20261223_000019_count_changes::POSTGRES_TRIGGERS)
                .await?;
            db.execute_unprepared(ROW_TRIGGERS).await?;
        }
        Ok(())
    }
}
