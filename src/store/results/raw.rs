//! Reading stored responses one page at a time, with their answers and attributes: for the
//! exports of non-anonymous questionnaires and for rebuilding the tallies. Never used by the
//! dashboard, which reads tallies.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::QuestionnaireCode;
use crate::entities::{answer, campaign, invitation, response, response_attribute};
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub version: String,
    pub invitation_id: Option<Uuid>,
    pub submitted_on: NaiveDate,
    /// `(question, values in position order)`, by question id.
    pub answers: Vec<(String, Vec<String>)>,
    pub attributes: Vec<(String, String)>,
}

/// Which responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawScope {
    All,
    Campaign(Uuid),
    /// Responses to invitations sent within `[from, to)` (3.1, 3.2 by year of sending).
    SentBetween {
        code: QuestionnaireCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// Responses given on days within `[from, to]` (4 by year of response).
    SubmittedBetween {
        code: QuestionnaireCode,
        from: NaiveDate,
        to: NaiveDate,
    },
}

/// Up to `limit` responses after `after` (by id), with their answers and attributes.
pub async fn responses_page(
    db: &impl ConnectionTrait,
    scope: RawScope,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<StoredResponse>, StoreError> {
    let (r, i, c) = (response::Entity, invitation::Entity, campaign::Entity);
    let mut query = Query::select();
    query
        .from(r)
        .columns(RESPONSE_COLUMNS.map(|column| (r, column)))
        .order_by((r, response::Column::Id), sea_orm::Order::Asc)
        .limit(limit);
    if let Some(after) = after {
        query.and_where(Expr::col((r, response::Column::Id)).gt(after));
    }
    let by_code = |query: &mut sea_orm::sea_query::SelectStatement, code: QuestionnaireCode| {
        query
            .inner_join(
                c,
                Expr::col((c, campaign::Column::Id)).equals((r, response::Column::CampaignId)),
            )
            .and_where(Expr::col((c, campaign::Column::QuestionnaireCode)).eq(code.as_str()));
    };
    match scope {
        RawScope::All => {}
        RawScope::Campaign(id) => {
            query.and_where(Expr::col((r, response::Column::CampaignId)).eq(id));
        }
        RawScope::SentBetween { code, from, to } => {
            by_code(&mut query, code);
            query
                .inner_join(
                    i,
                    Expr::col((i, invitation::Column::Id))
                        .equals((r, response::Column::InvitationId)),
                )
                .and_where(Expr::col((i, invitation::Column::SentAt)).gte(from))
                .and_where(Expr::col((i, invitation::Column::SentAt)).lt(to));
        }
        RawScope::SubmittedBetween { code, from, to } => {
            by_code(&mut query, code);
            query
                .and_where(Expr::col((r, response::Column::SubmittedOn)).gte(from))
                .and_where(Expr::col((r, response::Column::SubmittedOn)).lte(to));
        }
    }
    load(db, &query).await
}

/// The responses `ids` (in id order), with their answers and attributes.
pub async fn responses_with_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<StoredResponse>, StoreError> {
    let r = response::Entity;
    let mut query = Query::select();
    query
        .from(r)
        .columns(RESPONSE_COLUMNS.map(|column| (r, column)))
        .and_where(Expr::col((r, response::Column::Id)).is_in(padded(ids)))
        .order_by((r, response::Column::Id), sea_orm::Order::Asc);
    load(db, &query).await
}

/// `ids` with the last one repeated up to the next power of two: an `IN` list then takes
/// one of a dozen lengths, not one per page read, and each connection's cache of compiled
/// statements (a hundred) is not filled with texts that differ only by their length, each
/// compiled with up to thousands of parameters. A repeated id selects nothing more.
pub fn padded(ids: &[Uuid]) -> Vec<Uuid> {
    let mut padded = ids.to_vec();
    if let Some(last) = ids.last() {
        padded.resize(ids.len().next_power_of_two(), *last);
    }
    padded
}

/// What [`StoredResponse`] holds of the `responses` row.
const RESPONSE_COLUMNS: [response::Column; 5] = [
    response::Column::Id,
    response::Column::CampaignId,
    response::Column::VersionId,
    response::Column::InvitationId,
    response::Column::SubmittedOn,
];

async fn load(
    db: &impl ConnectionTrait,
    query: &sea_orm::sea_query::SelectStatement,
) -> Result<Vec<StoredResponse>, StoreError> {
    let rows = db.query_all(query).await?;
    let mut responses = Vec::with_capacity(rows.len());
    for row in &rows {
        responses.push(StoredResponse {
            id: row.try_get("", "id")?,
            campaign_id: row.try_get("", "campaign_id")?,
            version: row.try_get("", "version_id")?,
            invitation_id: row.try_get("", "invitation_id")?,
            submitted_on: row.try_get("", "submitted_on")?,
            answers: Vec::new(),
            attributes: Vec::new(),
        });
    }
    with_details(db, &mut responses).await?;
    Ok(responses)
}

/// Fills in the answers and attributes of `responses`, in two queries.
pub async fn with_details(
    db: &impl ConnectionTrait,
    responses: &mut [StoredResponse],
) -> Result<(), StoreError> {
    if responses.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = responses.iter().map(|r| r.id).collect();
    let answers = answer::Entity::find()
        .filter(answer::Column::ResponseId.is_in(padded(&ids)))
        .order_by_asc(answer::Column::ResponseId)
        .order_by_asc(answer::Column::QuestionId)
        .order_by_asc(answer::Column::Position)
        .all(db)
        .await?;
    let attributes = response_attribute::Entity::find()
        .filter(response_attribute::Column::ResponseId.is_in(padded(&ids)))
        .order_by_asc(response_attribute::Column::ResponseId)
        .order_by_asc(response_attribute::Column::Key)
        .all(db)
        .await?;
    let mut answers_of: HashMap<Uuid, Vec<(String, Vec<String>)>> = HashMap::new();
    for row in answers {
        let stored = answers_of.entry(row.response_id).or_default();
        match stored.last_mut() {
            Some((question, values)) if *question == row.question_id => values.push(row.value),
            _ => stored.push((row.question_id, vec![row.value])),
        }
    }
    let mut attributes_of: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
    for row in attributes {
        attributes_of
            .entry(row.response_id)
            .or_default()
            .push((row.key, row.value));
    }
    for r in responses {
        r.answers = answers_of.remove(&r.id).unwrap_or_default();
        r.attributes = attributes_of.remove(&r.id).unwrap_or_default();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_lists_take_a_power_of_two_length_and_select_the_same_ids() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
        let list = padded(&ids);
        assert_eq!(list.len(), 8);
        assert_eq!(&list[..5], &ids[..]);
        assert!(list[5..].iter().all(|id| *id == ids[4]));
        assert_eq!(padded(&ids[..4]).len(), 4);
        assert!(padded(&[]).is_empty());
    }
}
