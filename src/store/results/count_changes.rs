//! The participation counts' changes not yet added in (PostgreSQL; see the `count_changes`
//! migration): the triggers append them, readers add them to the counts, and [`compact`]
//! moves them into the counts, one transaction of one process at a time.

use sea_orm::sea_query::{Alias, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};

use super::backlog::{Others, take_lock};
use crate::entities::{invitation_count, opened_count};
use crate::store::StoreError;

const INVITATION_CHANGES: &str = "invitation_count_changes";
const OPENED_CHANGES: &str = "opened_count_changes";

/// The key of the advisory lock that lets one compaction at a time run ("jalonc" in ASCII):
/// two would add to the same count rows, and one would wait on the other's row locks.
const COMPACTING: i64 = 0x6a61_6c6f_6e63;

/// The changes of `changes` added to the counts, and taken away, in one statement: rows
/// appended meanwhile by transactions not yet committed are left to the next compaction.
fn compaction(changes: &str, counts: &str, key: &str) -> String {
    format!(
        "WITH moved AS (DELETE FROM {changes} RETURNING {key}, n) \
         INSERT INTO {counts} ({key}, n) SELECT {key}, SUM(n) FROM moved GROUP BY {key} \
         ON CONFLICT ({key}) DO UPDATE SET n = {counts}.n + EXCLUDED.n"
    )
}

/// `invitation_counts` with the changes not yet added in: one row per key and change, to sum.
pub(super) fn invitation_counts() -> SelectStatement {
    use invitation_count::Column as C;
    let columns = [C::CampaignId, C::SentAt, C::Status, C::RemindersSent, C::N];
    with_changes(invitation_count::Entity, INVITATION_CHANGES, columns)
}

/// `opened_counts` with the changes not yet added in: one row per key and change, to sum.
pub(super) fn opened_counts() -> SelectStatement {
    use opened_count::Column as C;
    with_changes(
        opened_count::Entity,
        OPENED_CHANGES,
        [C::CampaignId, C::OpenedOn, C::N],
    )
}

fn with_changes<T, C, const N: usize>(counts: T, changes: &str, columns: [C; N]) -> SelectStatement
where
    T: sea_orm::sea_query::IntoTableRef,
    C: sea_orm::sea_query::IntoColumnRef + Copy,
{
    let mut pending = Query::select();
    pending.columns(columns).from(Alias::new(changes));
    let mut kept = Query::select();
    kept.columns(columns)
        .from(counts)
        .union(UnionType::All, pending);
    kept
}

/// Moves the changes into the counts (PostgreSQL; nothing to do on SQLite, whose triggers
/// update the counts in place). Skips its turn if another process is compacting.
pub async fn compact(db: &DatabaseConnection) -> Result<(), StoreError> {
    if db.get_database_backend() != DbBackend::Postgres || !any_change(db).await? {
        return Ok(());
    }
    let txn = db.begin().await?;
    if !take_lock(&txn, COMPACTING, Others::Skip).await? {
        txn.rollback().await?;
        return Ok(());
    }
    txn.execute_unprepared(&compaction(
        INVITATION_CHANGES,
        "invitation_counts",
        "campaign_id, sent_at, status, reminders_sent",
    ))
    .await?;
    txn.execute_unprepared(&compaction(
        OPENED_CHANGES,
        "opened_counts",
        "campaign_id, opened_on",
    ))
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn any_change(db: &DatabaseConnection) -> Result<bool, StoreError> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT EXISTS (SELECT 1 FROM {INVITATION_CHANGES}) \
                 OR EXISTS (SELECT 1 FROM {OPENED_CHANGES})"
            ),
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get_by_index::<bool>(0))
        .transpose()?
        .unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compaction_moves_the_changes_it_deletes_into_the_counts() {
        assert_eq!(
            compaction(
                "opened_count_changes",
                "opened_counts",
                "campaign_id, opened_on"
            ),
            "WITH moved AS (DELETE FROM opened_count_changes RETURNING campaign_id, opened_on, n) \
             INSERT INTO opened_counts (campaign_id, opened_on, n) \
             SELECT campaign_id, opened_on, SUM(n) FROM moved GROUP BY campaign_id, opened_on \
             ON CONFLICT (campaign_id, opened_on) DO UPDATE SET n = opened_counts.n + EXCLUDED.n"
        );
    }
}
