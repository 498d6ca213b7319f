//! Indicator 4's widget: download counts, ratings of resources, their results, and hidden
//! comments.
//!
//! Writes come in batches from the widget's single writer task (`crate::widget`): each call
//! is one transaction, so a batch of ratings is committed, or nothing of it is.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, OnConflict, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::batch::{begin_writing, execute_all, insert_statements};
use super::responses::{attribute_value, time_ordered_id};
use super::results::backlog;
use super::{StoreError, campaigns};
use crate::domain::QuestionnaireCode;
use crate::domain::answers::ValidAnswers;
use crate::domain::results::ValueCount;
use crate::domain::schedule::{paris_date, paris_year};
use crate::domain::widget::{RESOURCE_ATTRIBUTE, ResourceId, ResourceTally};
use crate::entities::{
    answer, campaign, download, hidden_comment, rating_visitor, resource, response,
    response_attribute, tally_backlog,
};

/// Rows per multi-row statement: far below SQLite's and PostgreSQL's bound-parameter limits,
/// and above the writer's batches, so that a batch is one statement per table.
const CHUNK: usize = 1_024;

/// Downloads of a resource on a day, as accumulated in memory since the last flush.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadCount {
    pub resource: ResourceId,
    pub day: NaiveDate,
    pub title: Option<String>,
    pub theme: Option<String>,
    pub count: u64,
}

/// Adds the counts (`count = count + n` per resource and day) and records the resources with
/// their latest title and theme, in one transaction.
pub async fn record_downloads(
    db: &DatabaseConnection,
    counts: &[DownloadCount],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if counts.is_empty() {
        return Ok(());
    }
    // One row per resource: the latest known title and theme win.
    let mut resources: HashMap<&str, (&DownloadCount, Option<&str>, Option<&str>)> = HashMap::new();
    for count in counts {
        let entry = resources
            .entry(count.resource.as_str())
            .or_insert((count, None, None));
        entry.0 = if count.day < entry.0.day {
            count
        } else {
            entry.0
        };
        entry.1 = count.title.as_deref().or(entry.1);
        entry.2 = count.theme.as_deref().or(entry.2);
    }
    let resources: Vec<_> = resources.into_values().collect();

    let txn = begin_writing(db).await?;
    for chunk in resources.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(resource::Entity).columns([
            resource::Column::Id,
            resource::Column::Title,
            resource::Column::Theme,
            resource::Column::FirstSeenOn,
            resource::Column::UpdatedAt,
        ]);
        for (first, title, theme) in chunk {
            insert
                .values([
                    first.resource.as_str().into(),
                    title.map(str::to_owned).into(),
                    theme.map(str::to_owned).into(),
                    first.day.into(),
                    now.into(),
                ])
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
        let keep_known = |column: resource::Column| {
            Func::coalesce([
                Expr::col((Alias::new("excluded"), column)),
                Expr::col((resource::Entity, column)),
            ])
        };
        insert.on_conflict(
            OnConflict::column(resource::Column::Id)
                .value(resource::Column::Title, keep_known(resource::Column::Title))
                .value(resource::Column::Theme, keep_known(resource::Column::Theme))
                .update_column(resource::Column::UpdatedAt)
                .to_owned(),
        );
        txn.execute(&insert).await?;
    }
    for chunk in counts.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(download::Entity).columns([
            download::Column::ResourceId,
            download::Column::Day,
            download::Column::Count,
        ]);
        for count in chunk {
            insert
                .values([
                    count.resource.as_str().into(),
                    count.day.into(),
                    i64::try_from(count.count).unwrap_or(i64::MAX).into(),
                ])
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
        insert.on_conflict(
            OnConflict::columns([download::Column::ResourceId, download::Column::Day])
                .value(
                    download::Column::Count,
                    Expr::col((download::Entity, download::Column::Count))
                        .add(Expr::col((Alias::new("excluded"), download::Column::Count))),
                )
                .to_owned(),
        );
        txn.execute(&insert).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A checked rating of a resource, ready to store as a response of the open questionnaire.
#[derive(Debug, Clone)]
pub struct NewRating {
    /// `VisitorKeys::rating_key`: the visitor, resource and day, hashed.
    pub visitor_key: String,
    pub submitted_at: DateTime<Utc>,
    pub version: String,
    pub answers: ValidAnswers,
    /// Including `resource`.
    pub attributes: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatingOutcome {
    /// Committed (possibly replacing the visitor's earlier rating of the day).
    Recorded,
    /// The year's campaign of the questionnaire is closed: nothing stored.
    Closed,
}

/// Stores a batch of ratings in one transaction. A rating whose visitor key already has a
/// rating today replaces it: the earlier response and its answers are deleted in the same
/// transaction, so the count never sees both. Within a batch the last one wins.
pub async fn record_ratings(
    db: &DatabaseConnection,
    code: QuestionnaireCode,
    ratings: &[NewRating],
) -> Result<Vec<RatingOutcome>, StoreError> {
    let txn = begin_writing(db).await?;
    let mut campaign_of_year: HashMap<i32, Option<Uuid>> = HashMap::new();
    let mut outcomes = Vec::with_capacity(ratings.len());
    let mut kept: HashMap<&str, (usize, Uuid)> = HashMap::new();
    for (index, rating) in ratings.iter().enumerate() {
        let year = paris_year(rating.submitted_at);
        let campaign = match campaign_of_year.get(&year) {
            Some(known) => *known,
            None => {
                let found =
                    campaigns::find_or_create(&txn, code, &year.to_string(), rating.submitted_at)
                        .await?;
                let open = (found.status == campaigns::STATUS_OPEN).then_some(found.id);
                campaign_of_year.insert(year, open);
                open
            }
        };
        match campaign {
            Some(campaign_id) => {
                kept.insert(rating.visitor_key.as_str(), (index, campaign_id));
                outcomes.push(RatingOutcome::Recorded);
            }
            None => outcomes.push(RatingOutcome::Closed),
        }
    }
    let mut kept: Vec<(&str, usize, Uuid)> = kept
        .into_iter()
        .map(|(key, (index, campaign))| (key, index, campaign))
        .collect();
    kept.sort_by_key(|(_, index, _)| *index);
    let keys: Vec<&str> = kept.iter().map(|(key, _, _)| *key).collect();

    let backend = txn.get_database_backend();
    let mut statements = Vec::new();
    // The visitor's earlier rating of the day, if any, is replaced: taken out of the counts,
    // deleted with its answers, attributes, hidden-comment mark and backlog row (ON DELETE
    // CASCADE), in this same transaction. Keys are unique within the batch, so no rating of
    // this batch is among them.
    for chunk in keys.chunks(CHUNK) {
        let replaced: Vec<Uuid> = rating_visitor::Entity::find()
            .filter(rating_visitor::Column::VisitorKey.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|row| row.response_id)
            .collect();
        backlog::uncount(&txn, &replaced).await?;
        let earlier = Query::select()
            .column(rating_visitor::Column::ResponseId)
            .from(rating_visitor::Entity)
            .and_where(Expr::col(rating_visitor::Column::VisitorKey).is_in(chunk.iter().copied()))
            .to_owned();
        statements.push(
            backend.build(
                Query::delete()
                    .from_table(response::Entity)
                    .and_where(Expr::col(response::Column::Id).in_subquery(earlier)),
            ),
        );
        statements.push(
            backend.build(
                Query::delete()
                    .from_table(rating_visitor::Entity)
                    .and_where(
                        Expr::col(rating_visitor::Column::VisitorKey).is_in(chunk.iter().copied()),
                    ),
            ),
        );
    }

    let mut responses = Vec::with_capacity(kept.len());
    let mut answers = Vec::new();
    let mut attributes = Vec::new();
    let mut visitors = Vec::with_capacity(kept.len());
    // Counted by the folder shortly after, like every other response.
    let mut waiting = Vec::with_capacity(kept.len());
    for (key, index, campaign_id) in &kept {
        let rating = &ratings[*index];
        let response_id = time_ordered_id(rating.submitted_at);
        let day = paris_date(rating.submitted_at);
        waiting.push(tally_backlog::ActiveModel {
            response_id: Set(response_id),
        });
        responses.push(response::ActiveModel {
            id: Set(response_id),
            campaign_id: Set(*campaign_id),
            version_id: Set(rating.version.clone()),
            invitation_id: Set(None),
            submitted_on: Set(day),
            submitted_at: Set(Some(rating.submitted_at)),
        });
        for (question, value) in &rating.answers.0 {
            for (position, value) in value.stored_values().into_iter().enumerate() {
                answers.push(answer::ActiveModel {
                    response_id: Set(response_id),
                    question_id: Set(question.clone()),
                    position: Set(i16::try_from(position).unwrap_or(i16::MAX)),
                    value: Set(value),
                });
            }
        }
        for (key, value) in &rating.attributes {
            attributes.push(response_attribute::ActiveModel {
                response_id: Set(response_id),
                key: Set(key.clone()),
                value: Set(attribute_value(value).to_owned()),
            });
        }
        visitors.push(rating_visitor::ActiveModel {
            visitor_key: Set((*key).to_owned()),
            day: Set(day),
            response_id: Set(response_id),
        });
    }
    insert_statements::<response::Entity, _>(backend, responses, &mut statements);
    insert_statements::<answer::Entity, _>(backend, answers, &mut statements);
    insert_statements::<response_attribute::Entity, _>(backend, attributes, &mut statements);
    insert_statements::<rating_visitor::Entity, _>(backend, visitors, &mut statements);
    insert_statements::<tally_backlog::Entity, _>(backend, waiting, &mut statements);
    execute_all(&txn, statements).await?;
    txn.commit().await?;
    Ok(outcomes)
}

/// Forgets the visitor keys of days before `today`: after its day a key serves nothing.
pub async fn purge_visitor_keys(
    db: &impl ConnectionTrait,
    today: NaiveDate,
) -> Result<u64, StoreError> {
    Ok(rating_visitor::Entity::delete_many()
        .filter(rating_visitor::Column::Day.lt(today))
        .exec(db)
        .await?
        .rows_affected)
}

fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate), StoreError> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1);
    let next = NaiveDate::from_ymd_opt(year + 1, 1, 1);
    first
        .zip(next)
        .ok_or_else(|| StoreError::Corrupt(format!("année hors limites : {year}")))
}

fn count_of(row: &sea_orm::QueryResult, column: &str) -> Result<u64, StoreError> {
    let n: i64 = row.try_get("", column)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Downloads and ratings per resource for the Paris calendar year `year` (the open
/// questionnaire's campaign labelled with that year).
pub async fn resource_tallies(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
    year: i32,
    scored_question: &str,
) -> Result<Vec<ResourceTally>, StoreError> {
    let (first, next) = year_bounds(year)?;
    let mut by_resource: HashMap<Option<String>, ResourceTally> = HashMap::new();

    let downloads = Query::select()
        .column(download::Column::ResourceId)
        .expr_as(
            Func::sum(Expr::col(download::Column::Count)),
            Alias::new("n"),
        )
        .from(download::Entity)
        .and_where(Expr::col(download::Column::Day).gte(first))
        .and_where(Expr::col(download::Column::Day).lt(next))
        .group_by_col(download::Column::ResourceId)
        .to_owned();
    for row in db.query_all(&downloads).await? {
        let id: String = row.try_get("", "resource_id")?;
        // SUM is a NUMERIC on PostgreSQL: read it through a cast-free path.
        let n = match row.try_get::<i64>("", "n") {
            Ok(n) => u64::try_from(n).unwrap_or(0),
            Err(_) => {
                let n: sea_orm::prelude::Decimal = row.try_get("", "n")?;
                u64::try_from(n).unwrap_or(0)
            }
        };
        by_resource.entry(Some(id)).or_default().downloads += n;
    }

    let (r, c, a, ra) = (
        Alias::new("r"),
        Alias::new("c"),
        Alias::new("a"),
        Alias::new("ra"),
    );
    // Per version answered: each version's ratings are read with its own definition.
    let ratings = Query::select()
        .expr_as(
            Expr::col((ra.clone(), response_attribute::Column::Value)),
            Alias::new("resource"),
        )
        .expr_as(
            Expr::col((r.clone(), response::Column::VersionId)),
            Alias::new("version"),
        )
        .expr_as(
            Expr::col((a.clone(), answer::Column::Value)),
            Alias::new("answer"),
        )
        .expr_as(
            Expr::col((r.clone(), response::Column::Id)).count(),
            Alias::new("n"),
        )
        .from_as(response::Entity, r.clone())
        .join_as(
            JoinType::InnerJoin,
            campaign::Entity,
            c.clone(),
            Expr::col((c.clone(), campaign::Column::Id))
                .equals((r.clone(), response::Column::CampaignId))
                .and(Expr::col((c.clone(), campaign::Column::QuestionnaireCode)).eq(code.as_str()))
                .and(Expr::col((c.clone(), campaign::Column::Label)).eq(year.to_string())),
        )
        .join_as(
            JoinType::InnerJoin,
            answer::Entity,
            a.clone(),
            Expr::col((a.clone(), answer::Column::ResponseId))
                .equals((r.clone(), response::Column::Id))
                .and(Expr::col((a.clone(), answer::Column::QuestionId)).eq(scored_question)),
        )
        .join_as(
            JoinType::LeftJoin,
            response_attribute::Entity,
            ra.clone(),
            Expr::col((ra.clone(), response_attribute::Column::ResponseId))
                .equals((r.clone(), response::Column::Id))
                .and(
                    Expr::col((ra.clone(), response_attribute::Column::Key)).eq(RESOURCE_ATTRIBUTE),
                ),
        )
        .add_group_by([
            Expr::col((ra.clone(), response_attribute::Column::Value)),
            Expr::col((r.clone(), response::Column::VersionId)),
            Expr::col((a.clone(), answer::Column::Value)),
        ])
        .to_owned();
    for row in db.query_all(&ratings).await? {
        let resource: Option<String> = row.try_get("", "resource")?;
        by_resource
            .entry(resource)
            .or_default()
            .answers
            .push(ValueCount {
                period: year,
                version: row.try_get("", "version")?,
                question: scored_question.to_owned(),
                value: row.try_get("", "answer")?,
                count: count_of(&row, "n")?,
            });
    }

    let ids: Vec<String> = by_resource.keys().flatten().cloned().collect();
    for chunk in ids.chunks(CHUNK) {
        for row in resource::Entity::find()
            .filter(resource::Column::Id.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            if let Some(entry) = by_resource.get_mut(&Some(row.id)) {
                entry.title = row.title;
                entry.theme = row.theme;
            }
        }
    }
    let mut rows: Vec<ResourceTally> = by_resource
        .into_iter()
        .map(|(resource, mut counts)| {
            counts.resource = resource;
            counts
                .answers
                .sort_by(|x, y| (&x.version, &x.value).cmp(&(&y.version, &y.value)));
            counts
        })
        .collect();
    rows.sort_by(|x, y| x.resource.cmp(&y.resource));
    Ok(rows)
}

/// Downloads counted in the Paris year `year`, every resource.
pub async fn downloads_in_year(db: &impl ConnectionTrait, year: i32) -> Result<u64, StoreError> {
    let (first, next) = year_bounds(year)?;
    let query = Query::select()
        .expr_as(
            Func::cast_as(
                Func::sum(Expr::col(download::Column::Count)),
                Alias::new("BIGINT"),
            ),
            Alias::new("n"),
        )
        .from(download::Entity)
        .and_where(Expr::col(download::Column::Day).gte(first))
        .and_where(Expr::col(download::Column::Day).lt(next))
        .to_owned();
    match db.query_one(&query).await? {
        Some(row) => {
            let n: Option<i64> = row.try_get("", "n")?;
            Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
        }
        None => Ok(0),
    }
}

/// A free-text answer staff may read (and hide).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = WidgetComment)]
pub struct Comment {
    pub response_id: Uuid,
    #[schema(required = true)]
    pub resource: Option<String>,
    pub day: NaiveDate,
    pub question: String,
    pub text: String,
}

/// The visible free-text answers of `questions` in the campaign of `year`, newest first.
/// Answers of responses in `hidden_comments` are never listed.
pub async fn comments(
    db: &impl ConnectionTrait,
    code: QuestionnaireCode,
    year: i32,
    questions: &[String],
) -> Result<Vec<Comment>, StoreError> {
    if questions.is_empty() {
        return Ok(Vec::new());
    }
    let (r, c, a, ra, h) = (
        Alias::new("r"),
        Alias::new("c"),
        Alias::new("a"),
        Alias::new("ra"),
        Alias::new("h"),
    );
    let query = Query::select()
        .expr_as(
            Expr::col((r.clone(), response::Column::Id)),
            Alias::new("response_id"),
        )
        .expr_as(
            Expr::col((r.clone(), response::Column::SubmittedOn)),
            Alias::new("day"),
        )
        .expr_as(
            Expr::col((a.clone(), answer::Column::QuestionId)),
            Alias::new("question"),
        )
        .expr_as(
            Expr::col((a.clone(), answer::Column::Value)),
            Alias::new("text"),
        )
        .expr_as(
            Expr::col((ra.clone(), response_attribute::Column::Value)),
            Alias::new("resource"),
        )
        .from_as(response::Entity, r.clone())
        .join_as(
            JoinType::InnerJoin,
            campaign::Entity,
            c.clone(),
            Expr::col((c.clone(), campaign::Column::Id))
                .equals((r.clone(), response::Column::CampaignId))
                .and(Expr::col((c.clone(), campaign::Column::QuestionnaireCode)).eq(code.as_str()))
                .and(Expr::col((c.clone(), campaign::Column::Label)).eq(year.to_string())),
        )
        .join_as(
            JoinType::InnerJoin,
            answer::Entity,
            a.clone(),
            Expr::col((a.clone(), answer::Column::ResponseId))
                .equals((r.clone(), response::Column::Id))
                .and(
                    Expr::col((a.clone(), answer::Column::QuestionId))
                        .is_in(questions.iter().cloned()),
                ),
        )
        .join_as(
            JoinType::LeftJoin,
            response_attribute::Entity,
            ra.clone(),
            Expr::col((ra.clone(), response_attribute::Column::ResponseId))
                .equals((r.clone(), response::Column::Id))
                .and(
                    Expr::col((ra.clone(), response_attribute::Column::Key)).eq(RESOURCE_ATTRIBUTE),
                ),
        )
        .join_as(
            JoinType::LeftJoin,
            hidden_comment::Entity,
            h.clone(),
            Expr::col((h.clone(), hidden_comment::Column::ResponseId))
                .equals((r.clone(), response::Column::Id)),
        )
        .and_where(Expr::col((h.clone(), hidden_comment::Column::ResponseId)).is_null())
        .order_by((r.clone(), response::Column::SubmittedOn), Order::Desc)
        .order_by((r.clone(), response::Column::Id), Order::Asc)
        .to_owned();
    db.query_all(&query)
        .await?
        .into_iter()
        .map(|row| {
            Ok(Comment {
                response_id: row.try_get("", "response_id")?,
                day: row.try_get("", "day")?,
                question: row.try_get("", "question")?,
                text: row.try_get("", "text")?,
                resource: row.try_get("", "resource")?,
            })
        })
        .collect()
}

/// Hides the free-text answers of a response from every listing. `false` if there is no
/// such response. Hiding twice changes nothing.
pub async fn hide_comment(
    db: &impl ConnectionTrait,
    response_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if response::Entity::find_by_id(response_id)
        .one(db)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    hidden_comment::Entity::insert(hidden_comment::ActiveModel {
        response_id: Set(response_id),
        hidden_at: Set(now),
    })
    .on_conflict_do_nothing_on([hidden_comment::Column::ResponseId])
    .exec_without_returning(db)
    .await?;
    Ok(true)
}
