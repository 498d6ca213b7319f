//! Indicator 3.1's company scores and their running sums (see the `company_scores`
//! migration), refreshed from the group tallies of the companies a batch of tallies touched,
//! in the same transaction.
//!
//! Two scopes per company: the year of 3.1 (every campaign whose invitations were sent that
//! year, as the home page and the API count it) and its campaign (the campaign's page).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::counts::{count, sum};
use crate::domain::QuestionnaireCode;
use crate::domain::indicators::{CompanyState, ScoreTotals, company_score};
use crate::domain::results::tally::RESPONDENTS;
use crate::entities::{campaign, company_score as score_row, group_tally, score_total};
use crate::store::StoreError;

pub use crate::domain::results::tally::COMPANY_DIMENSION as COMPANY;
/// Companies refreshed per statement.
const CHUNK: usize = 300;

/// Where a company's score counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScoreScope {
    Year(QuestionnaireCode, i32),
    Campaign(Uuid),
}

impl ScoreScope {
    fn key(&self) -> String {
        match self {
            ScoreScope::Year(code, year) => format!("p:{code}:{year}"),
            ScoreScope::Campaign(id) => format!("c:{id}"),
        }
    }
}

/// A company whose group tallies changed: `(campaign, period, company)`.
pub type Touched = (Uuid, i32, String);

/// Recomputes the scores of the `touched` companies in both their scopes, and moves each
/// scope's sums by the difference.
pub async fn refresh(
    db: &impl ConnectionTrait,
    touched: &BTreeSet<Touched>,
) -> Result<(), StoreError> {
    if touched.is_empty() {
        return Ok(());
    }
    let campaign_ids: BTreeSet<Uuid> = touched.iter().map(|t| t.0).collect();
    let codes: HashMap<Uuid, QuestionnaireCode> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .column(campaign::Column::QuestionnaireCode)
        .filter(campaign::Column::Id.is_in(campaign_ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, code)| Some((id, code.parse().ok()?)))
        .collect();
    let mut scopes: BTreeMap<ScoreScope, BTreeSet<&str>> = BTreeMap::new();
    for (campaign_id, period, company) in touched {
        scopes
            .entry(ScoreScope::Campaign(*campaign_id))
            .or_default()
            .insert(company);
        if let Some(code) = codes.get(campaign_id) {
            scopes
                .entry(ScoreScope::Year(*code, *period))
                .or_default()
                .insert(company);
        }
    }
    for (scope, companies) in scopes {
        let companies: Vec<&str> = companies.into_iter().collect();
        let mut totals = ScoreTotals::default();
        for chunk in companies.chunks(CHUNK) {
            totals.add(refresh_chunk(db, &scope, chunk).await?);
        }
        add_to_totals(db, &scope.key(), totals).await?;
    }
    Ok(())
}

async fn refresh_chunk(
    db: &impl ConnectionTrait,
    scope: &ScoreScope,
    companies: &[&str],
) -> Result<ScoreTotals, StoreError> {
    let key = scope.key();
    let mut after: BTreeMap<String, (u64, Vec<(u64, u64)>)> = companies
        .iter()
        .map(|c| ((*c).to_owned(), (0, Vec::new())))
        .collect();
    for (company, question, favorable, total) in company_counts(db, scope, companies).await? {
        let Some(entry) = after.get_mut(&company) else {
            continue;
        };
        if question == RESPONDENTS {
            entry.0 = total;
        } else {
            entry.1.push((favorable, total));
        }
    }
    let before: HashMap<String, CompanyState> = score_row::Entity::find()
        .filter(score_row::Column::Scope.eq(&key))
        .filter(score_row::Column::Company.is_in(companies.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let state = CompanyState {
                respondents: u64::try_from(row.respondents).unwrap_or(0),
                score: row.score,
            };
            (row.company, state)
        })
        .collect();

    let mut totals = ScoreTotals::default();
    let mut upserts = Vec::new();
    let mut gone = Vec::new();
    for (company, (respondents, questions)) in after {
        let state = CompanyState {
            respondents,
            score: company_score(questions),
        };
        totals.add(ScoreTotals::delta(before.get(&company).copied(), state));
        if respondents == 0 {
            gone.push(company);
        } else {
            upserts.push(score_row::ActiveModel {
                scope: Set(key.clone()),
                company: Set(company),
                respondents: Set(i64::try_from(respondents).unwrap_or(i64::MAX)),
                score: Set(state.score),
            });
        }
    }
    if !upserts.is_empty() {
        score_row::Entity::insert_many(upserts)
            .on_conflict(
                OnConflict::columns([score_row::Column::Scope, score_row::Column::Company])
                    .update_columns([score_row::Column::Respondents, score_row::Column::Score])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    if !gone.is_empty() {
        score_row::Entity::delete_many()
            .filter(score_row::Column::Scope.eq(&key))
            .filter(score_row::Column::Company.is_in(gone))
            .exec(db)
            .await?;
    }
    Ok(totals)
}

/// `(company, question, favourable, valid)` summed over the scope's campaigns and periods.
async fn company_counts(
    db: &impl ConnectionTrait,
    scope: &ScoreScope,
    companies: &[&str],
) -> Result<Vec<(String, String, u64, u64)>, StoreError> {
    use group_tally::Column as C;
    let t = group_tally::Entity;
    let mut query = Query::select();
    query
        .from(t)
        .column((t, C::GroupValue))
        .column((t, C::QuestionId))
        .expr_as(sum((t, C::Favorable)), Alias::new("favorable"))
        .expr_as(sum((t, C::Total)), Alias::new("total"))
        .and_where(Expr::col((t, C::Dimension)).eq(COMPANY))
        .and_where(Expr::col((t, C::GroupValue)).is_in(companies.iter().copied()))
        .group_by_col((t, C::GroupValue))
        .group_by_col((t, C::QuestionId));
    match scope {
        ScoreScope::Campaign(id) => {
            query.and_where(Expr::col((t, C::CampaignId)).eq(*id));
        }
        ScoreScope::Year(code, period) => {
            query
                .inner_join(
                    campaign::Entity,
                    Expr::col((campaign::Entity, campaign::Column::Id)).equals((t, C::CampaignId)),
                )
                .and_where(
                    Expr::col((campaign::Entity, campaign::Column::QuestionnaireCode))
                        .eq(code.as_str()),
                )
                .and_where(Expr::col((t, C::Period)).eq(*period));
        }
    }
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("", "group_value")?,
                row.try_get("", "question_id")?,
                count(row, "favorable")?,
                count(row, "total")?,
            ))
        })
        .collect()
}

async fn add_to_totals(
    db: &impl ConnectionTrait,
    scope: &str,
    delta: ScoreTotals,
) -> Result<(), StoreError> {
    use score_total::Column as C;
    let added = |column: C| {
        Expr::col((score_total::Entity, column)).add(Expr::col((Alias::new("excluded"), column)))
    };
    score_total::Entity::insert(score_total::ActiveModel {
        scope: Set(scope.to_owned()),
        companies: Set(delta.companies),
        scored: Set(delta.scored),
        sum: Set(delta.sum),
        sum_of_squares: Set(delta.sum_of_squares),
    })
    .on_conflict(
        OnConflict::column(C::Scope)
            .values([
                (C::Companies, added(C::Companies)),
                (C::Scored, added(C::Scored)),
                (C::Sum, added(C::Sum)),
                (C::SumOfSquares, added(C::SumOfSquares)),
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The sums of a scope (zero when no company has answered).
pub async fn totals(
    db: &impl ConnectionTrait,
    scope: &ScoreScope,
) -> Result<ScoreTotals, StoreError> {
    Ok(score_total::Entity::find_by_id(scope.key())
        .one(db)
        .await?
        .map(|row| ScoreTotals {
            companies: row.companies,
            scored: row.scored,
            sum: row.sum,
            sum_of_squares: row.sum_of_squares,
        })
        .unwrap_or_default())
}

/// One page of a scope's companies, in the order of their references: `(company,
/// respondents, score)`.
pub async fn page(
    db: &impl ConnectionTrait,
    scope: &ScoreScope,
    offset: u64,
    limit: u64,
) -> Result<Vec<(String, u64, Option<f64>)>, StoreError> {
    Ok(score_row::Entity::find()
        .filter(score_row::Column::Scope.eq(scope.key()))
        .order_by_asc(score_row::Column::Company)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let respondents = u64::try_from(row.respondents).unwrap_or(0);
            (row.company, respondents, row.score)
        })
        .collect())
}

/// Forgets every score and sum (before the tallies are rebuilt).
pub async fn clear(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    score_row::Entity::delete_many().exec(db).await?;
    score_total::Entity::delete_many().exec(db).await?;
    Ok(())
}
