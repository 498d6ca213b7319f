//! Counting invitations: sent, answered, failed, opened, and the campaign's timeline.
//!
//! Sent, answered and opened invitations are read from the counts that triggers keep on
//! `invitations` (see the `invitation_counts` migration): a few rows per campaign (one per
//! dispatch batch, status and number of reminders; one per day of first opening), whatever
//! the number of invitations, plus on PostgreSQL the changes not yet added to them
//! (`count_changes`). Failed emails are read from the outbox, through an index that
//! holds the rows counted.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

use super::{count_changes, counts};
use crate::domain::QuestionnaireCode;
use crate::domain::indicators::Participation;
use crate::domain::results::{SentBatch, participation};
use crate::entities::{campaign, invitation, invitation_count, opened_count, outbox};
use crate::store::StoreError;
use crate::store::invitations::STATUS_COMPLETED;

/// The outbox kind and status of an invitation email that could not be delivered, for good.
const INVITATION_KIND: &str = "invitation";
const FAILED: &str = "failed";

/// Which invitations count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invited {
    /// Sent within `[from, to)` in any campaign of the questionnaire (3.1, 3.2 by year).
    SentBetween {
        code: QuestionnaireCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// Sent, in one campaign (a wave).
    Campaign(Uuid),
}

fn restrict(query: &mut SelectStatement, invited: Invited) {
    let i = invitation::Entity;
    match invited {
        Invited::SentBetween { code, from, to } => {
            query
                .inner_join(
                    campaign::Entity,
                    Expr::col((campaign::Entity, campaign::Column::Id))
                        .equals((i, invitation::Column::CampaignId)),
                )
                .and_where(
                    Expr::col((campaign::Entity, campaign::Column::QuestionnaireCode))
                        .eq(code.as_str()),
                )
                .and_where(Expr::col((i, invitation::Column::SentAt)).gte(from))
                .and_where(Expr::col((i, invitation::Column::SentAt)).lt(to));
        }
        Invited::Campaign(id) => {
            query
                .and_where(Expr::col((i, invitation::Column::CampaignId)).eq(id))
                .and_where(Expr::col((i, invitation::Column::SentAt)).is_not_null());
        }
    }
}

fn count(row: &QueryResult, column: &str) -> Result<u64, StoreError> {
    let n: Option<i64> = row.try_get("", column)?;
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}

/// Sent, permanently failed (and not answered) and completed invitations.
pub async fn participation_of(
    db: &impl ConnectionTrait,
    invited: Invited,
) -> Result<Participation, StoreError> {
    let c = invitation_count::Entity;
    use invitation_count::Column as C;
    let completed = Expr::case(
        Expr::col((c, C::Status)).eq(STATUS_COMPLETED),
        Expr::col((c, C::N)),
    )
    .finally(0);
    let mut query = Query::select();
    query
        .from_subquery(count_changes::invitation_counts(), c)
        .expr_as(counts::sum((c, C::N)), Alias::new("sent"))
        .expr_as(
            Func::cast_as(Func::sum(completed), Alias::new("BIGINT")),
            Alias::new("completed"),
        );
    restrict_counts(&mut query, invited);
    let row = db.query_one(&query).await?;
    let (sent, completed) = match &row {
        Some(row) => (count(row, "sent")?, count(row, "completed")?),
        None => (0, 0),
    };
    let failed = failed_of(db, invited).await?;
    let bounced = bounced_of(db, invited).await?;
    Ok(participation(sent, failed, completed).with_bounced(bounced))
}

/// Invitations found undeliverable by their bounces (`store::bounces`), not answered, and
/// not already counted by [`failed_of`].
pub async fn bounced_of(db: &impl ConnectionTrait, invited: Invited) -> Result<u64, StoreError> {
    use crate::store::bounces::{BOUNCED, REPLACED};
    let (i, o) = (invitation::Entity, outbox::Entity);
    let mut refused = Query::select();
    refused
        .expr(Expr::val(1))
        .from(o)
        .and_where(Expr::col((o, outbox::Column::InvitationId)).equals((i, invitation::Column::Id)))
        .and_where(Expr::col((o, outbox::Column::Kind)).eq(INVITATION_KIND))
        .and_where(Expr::col((o, outbox::Column::Status)).eq(FAILED));
    let mut query = Query::select();
    query
        .from(i)
        .expr_as(Func::count(Expr::val(1)), Alias::new("n"))
        .and_where(Expr::col((i, invitation::Column::Delivery)).is_in([BOUNCED, REPLACED]))
        .and_where(Expr::col((i, invitation::Column::Status)).ne(STATUS_COMPLETED))
        .and_where(Expr::exists(refused).not());
    restrict(&mut query, invited);
    match db.query_one(&query).await? {
        Some(row) => count(&row, "n"),
        None => Ok(0),
    }
}

/// [`restrict`] for the counts table.
fn restrict_counts(query: &mut SelectStatement, invited: Invited) {
    let c = invitation_count::Entity;
    use invitation_count::Column as C;
    match invited {
        Invited::SentBetween { code, from, to } => {
            query
                .inner_join(
                    campaign::Entity,
                    Expr::col((campaign::Entity, campaign::Column::Id)).equals((c, C::CampaignId)),
                )
                .and_where(
                    Expr::col((campaign::Entity, campaign::Column::QuestionnaireCode))
                        .eq(code.as_str()),
                )
                .and_where(Expr::col((c, C::SentAt)).gte(from))
                .and_where(Expr::col((c, C::SentAt)).lt(to));
        }
        Invited::Campaign(id) => {
            query.and_where(Expr::col((c, C::CampaignId)).eq(id));
        }
    }
}

/// Invitations whose email failed for good and that were not answered anyway.
pub async fn failed_of(db: &impl ConnectionTrait, invited: Invited) -> Result<u64, StoreError> {
    let (i, o) = (invitation::Entity, outbox::Entity);
    let mut query = Query::select();
    query
        .from(o)
        .expr_as(Func::count(Expr::val(1)), Alias::new("n"))
        .inner_join(
            i,
            Expr::col((i, invitation::Column::Id)).equals((o, outbox::Column::InvitationId)),
        )
        .and_where(Expr::col((o, outbox::Column::Kind)).eq(INVITATION_KIND))
        .and_where(Expr::col((o, outbox::Column::Status)).eq(FAILED))
        .and_where(Expr::col((i, invitation::Column::Status)).ne(STATUS_COMPLETED));
    restrict(&mut query, invited);
    match db.query_one(&query).await? {
        Some(row) => count(&row, "n"),
        None => Ok(0),
    }
}

/// The campaign's invitations by dispatch batch (sending instant), answered or not, and by
/// number of reminders recorded.
pub async fn sent_batches(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> Result<Vec<SentBatch>, StoreError> {
    let c = invitation_count::Entity;
    use invitation_count::Column as C;
    let n = counts::sum((c, C::N));
    let mut query = Query::select();
    query
        .from_subquery(count_changes::invitation_counts(), c)
        .column((c, C::SentAt))
        .column((c, C::Status))
        .column((c, C::RemindersSent))
        .expr_as(n.clone(), Alias::new("n"))
        .and_where(Expr::col((c, C::CampaignId)).eq(campaign_id))
        .group_by_columns([(c, C::SentAt), (c, C::Status), (c, C::RemindersSent)])
        .and_having(Expr::expr(n).gt(0));
    let rows = db.query_all(&query).await?;
    let mut batches = Vec::with_capacity(rows.len());
    for row in &rows {
        let sent_at: DateTime<Utc> = row.try_get("", "sent_at")?;
        let status: String = row.try_get("", "status")?;
        let reminders: i16 = row.try_get("", "reminders_sent")?;
        let n: i64 = row.try_get("", "n")?;
        batches.push(SentBatch {
            sent_at,
            completed: status == STATUS_COMPLETED,
            reminders_sent: u32::try_from(reminders).unwrap_or(0),
            count: u64::try_from(n).unwrap_or(0),
        });
    }
    Ok(batches)
}

/// Links opened for the first time, per day.
pub async fn opened_per_day(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> Result<Vec<(NaiveDate, u64)>, StoreError> {
    let o = opened_count::Entity;
    use opened_count::Column as C;
    let n = counts::sum((o, C::N));
    let mut query = Query::select();
    query
        .from_subquery(count_changes::opened_counts(), o)
        .column((o, C::OpenedOn))
        .expr_as(n.clone(), Alias::new("n"))
        .and_where(Expr::col((o, C::CampaignId)).eq(campaign_id))
        .group_by_col((o, C::OpenedOn))
        .and_having(Expr::expr(n).gt(0));
    let rows = db.query_all(&query).await?;
    let mut days = Vec::with_capacity(rows.len());
    for row in &rows {
        let day: NaiveDate = row.try_get("", "opened_on")?;
        let n: i64 = row.try_get("", "n")?;
        days.push((day, u64::try_from(n).unwrap_or(0)));
    }
    Ok(days)
}

/// The first and last sending instants of a campaign (to place a wave in a year).
pub async fn sending_span(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, StoreError> {
    let i = invitation::Entity;
    use invitation::Column as C;
    let mut query = Query::select();
    query
        .from(i)
        .expr_as(Func::min(Expr::col((i, C::SentAt))), Alias::new("first"))
        .expr_as(Func::max(Expr::col((i, C::SentAt))), Alias::new("last"))
        .and_where(Expr::col((i, C::CampaignId)).eq(campaign_id));
    let Some(row) = db.query_one(&query).await? else {
        return Ok(None);
    };
    let first: Option<DateTime<Utc>> = row.try_get("", "first")?;
    let last: Option<DateTime<Utc>> = row.try_get("", "last")?;
    Ok(first.zip(last))
}

/// Per roster attribute (`keys`) and value: invitations sent, and completed, in a campaign.
/// `(key, value, invited, completed)`, sorted. Reads each sent invitation's attributes: one
/// row per person, a wave's roster at most.
pub async fn per_group(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    keys: &[String],
) -> Result<Vec<(String, String, u64, u64)>, StoreError> {
    use std::collections::BTreeMap;
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let i = invitation::Entity;
    let mut query = Query::select();
    query.from(i).columns([
        (i, invitation::Column::Attributes),
        (i, invitation::Column::Status),
    ]);
    restrict(&mut query, Invited::Campaign(campaign_id));
    let mut counts: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for row in db.query_all(&query).await? {
        let attributes: String = row.try_get("", "attributes")?;
        let status: String = row.try_get("", "status")?;
        let attributes: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&attributes).unwrap_or_default();
        for key in keys {
            let Some(value) = attributes.get(key).and_then(|v| v.as_str()) else {
                continue;
            };
            let slot = counts.entry((key.clone(), value.to_owned())).or_default();
            slot.0 += 1;
            if status == STATUS_COMPLETED {
                slot.1 += 1;
            }
        }
    }
    Ok(counts
        .into_iter()
        .map(|((key, value), (invited, completed))| (key, value, invited, completed))
        .collect())
}
