//! Indicator 3.1's company scores and their running sums (see the `company_scores`
//! migration), refreshed from the group tallies of the companies a batch of tallies touched,
//! in the same transaction.
//!
//! Two scopes per company: the year of 3.1 (every campaign whose invitations were sent that
//! year, as the home page and the API count it) and its campaign (the campaign's page).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, OnConflict, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set, Statement,
};
use uuid::Uuid;

use super::counts::{count, sum};
use crate::domain::QuestionnaireCode;
use crate::domain::indicators::{CompanyState, ScoreTotals, company_score};
use crate::domain::results::tally::RESPONDENTS;
use crate::entities::{campaign, company_score as score_row, group_tally, score_total};
use crate::store::StoreError;
use crate::store::batch::execute_all;

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

/// A company whose group tallies changed, in a campaign of `questionnaire`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Touched {
    pub campaign: Uuid,
    pub questionnaire: QuestionnaireCode,
    pub period: i32,
    pub company: String,
}

/// A company in a scope: `(scope key, company)`.
type ScopedCompany = (String, String);
/// A company's respondents and `(favourable, valid)` per scored question.
type CompanyCounts = (u64, Vec<(u64, u64)>);

/// Company chunks (of one scope each) read per statement.
const CHUNKS_PER_READ: usize = 16;

/// One scope's companies, at most [`CHUNK`] of them.
struct ScopeChunk<'a> {
    key: String,
    scope: &'a ScoreScope,
    companies: Vec<&'a str>,
}

/// Recomputes the scores of the `touched` companies in both their scopes, and moves each
/// scope's sums by the difference. Two reads (the companies' counts, their stored scores)
/// and one write, whatever the number of scopes: each round trip to the database lengthens
/// the transaction that every response of a batch waits for.
pub async fn refresh(
    db: &impl ConnectionTrait,
    touched: &BTreeSet<Touched>,
) -> Result<(), StoreError> {
    if touched.is_empty() {
        return Ok(());
    }
    let mut scopes: BTreeMap<ScoreScope, BTreeSet<&str>> = BTreeMap::new();
    for t in touched {
        for scope in [
            ScoreScope::Campaign(t.campaign),
            ScoreScope::Year(t.questionnaire, t.period),
        ] {
            scopes.entry(scope).or_default().insert(&t.company);
        }
    }
    let chunks: Vec<ScopeChunk> = scopes
        .iter()
        .flat_map(|(scope, companies)| {
            let companies: Vec<&str> = companies.iter().copied().collect();
            companies
                .chunks(CHUNK)
                .map(|chunk| ScopeChunk {
                    key: scope.key(),
                    scope,
                    companies: chunk.to_vec(),
                })
                .collect::<Vec<_>>()
        })
        .collect();

    let mut after: HashMap<ScopedCompany, CompanyCounts> = HashMap::new();
    for chunk in &chunks {
        for company in &chunk.companies {
            after.insert((chunk.key.clone(), (*company).to_owned()), (0, Vec::new()));
        }
    }
    let mut before: HashMap<ScopedCompany, CompanyState> = HashMap::new();
    for group in chunks.chunks(CHUNKS_PER_READ) {
        for (key, company, question, favorable, total) in company_counts(db, group).await? {
            let Some(entry) = after.get_mut(&(key, company)) else {
                continue;
            };
            if question == RESPONDENTS {
                entry.0 = total;
            } else {
                entry.1.push((favorable, total));
            }
        }
        before.extend(stored_states(db, group).await?);
    }

    let mut totals: BTreeMap<String, ScoreTotals> = BTreeMap::new();
    let (mut upserts, mut gone) = (Vec::new(), BTreeMap::<String, Vec<String>>::new());
    for (id, (respondents, questions)) in after {
        let state = CompanyState {
            respondents,
            score: company_score(questions),
        };
        let previous = before.get(&id).copied();
        let (key, company) = id;
        totals
            .entry(key.clone())
            .or_default()
            .add(ScoreTotals::delta(previous, state));
        if respondents == 0 {
            gone.entry(key).or_default().push(company);
        } else {
            upserts.push(score_row::ActiveModel {
                scope: Set(key),
                company: Set(company),
                respondents: Set(i64::try_from(respondents).unwrap_or(i64::MAX)),
                score: Set(state.score),
            });
        }
    }

    let backend = db.get_database_backend();
    let mut statements = Vec::new();
    let mut upserts = upserts.into_iter().peekable();
    while upserts.peek().is_some() {
        let chunk: Vec<_> = upserts.by_ref().take(CHUNK).collect();
        statements.push(
            score_row::Entity::insert_many(chunk)
                .on_conflict(
                    OnConflict::columns([score_row::Column::Scope, score_row::Column::Company])
                        .update_columns([score_row::Column::Respondents, score_row::Column::Score])
                        .to_owned(),
                )
                .build(backend),
        );
    }
    for (key, companies) in gone {
        for chunk in companies.chunks(CHUNK) {
            statements.push(
                score_row::Entity::delete_many()
                    .filter(score_row::Column::Scope.eq(key.as_str()))
                    .filter(score_row::Column::Company.is_in(chunk.iter().map(String::as_str)))
                    .build(backend),
            );
        }
    }
    statements.push(totals_upsert(totals, backend));
    execute_all(db, statements).await?;
    Ok(())
}

/// `(scope key, company, question, favourable, valid)` of every company of `chunks`, summed
/// over each scope's campaigns and periods, in one statement.
async fn company_counts(
    db: &impl ConnectionTrait,
    chunks: &[ScopeChunk<'_>],
) -> Result<Vec<(String, String, String, u64, u64)>, StoreError> {
    let mut selects = chunks.iter().map(counts_of_chunk);
    let Some(mut query) = selects.next() else {
        return Ok(Vec::new());
    };
    for select in selects {
        query.union(UnionType::All, select);
    }
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("", "scope")?,
                row.try_get("", "group_value")?,
                row.try_get("", "question_id")?,
                count(row, "favorable")?,
                count(row, "total")?,
            ))
        })
        .collect()
}

fn counts_of_chunk(chunk: &ScopeChunk) -> SelectStatement {
    use group_tally::Column as C;
    let t = group_tally::Entity;
    let mut query = Query::select();
    query
        .from(t)
        // Typed, so that PostgreSQL knows the column's type in every branch of the union.
        .expr_as(
            Func::cast_as(Expr::val(chunk.key.as_str()), Alias::new("TEXT")),
            Alias::new("scope"),
        )
        .column((t, C::GroupValue))
        .column((t, C::QuestionId))
        .expr_as(sum((t, C::Favorable)), Alias::new("favorable"))
        .expr_as(sum((t, C::Total)), Alias::new("total"))
        .and_where(Expr::col((t, C::Dimension)).eq(COMPANY))
        .and_where(Expr::col((t, C::GroupValue)).is_in(chunk.companies.iter().copied()))
        .group_by_col((t, C::GroupValue))
        .group_by_col((t, C::QuestionId));
    match chunk.scope {
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
    query
}

/// The stored score of every company of `chunks` that has one, in one statement.
async fn stored_states(
    db: &impl ConnectionTrait,
    chunks: &[ScopeChunk<'_>],
) -> Result<Vec<(ScopedCompany, CompanyState)>, StoreError> {
    let mut any = Condition::any();
    for chunk in chunks {
        any = any.add(
            Condition::all()
                .add(score_row::Column::Scope.eq(chunk.key.as_str()))
                .add(score_row::Column::Company.is_in(chunk.companies.iter().copied())),
        );
    }
    Ok(score_row::Entity::find()
        .filter(any)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let state = CompanyState {
                respondents: u64::try_from(row.respondents).unwrap_or(0),
                score: row.score,
            };
            ((row.scope, row.company), state)
        })
        .collect())
}

/// Adds each scope's difference to its sums, in one statement.
fn totals_upsert(deltas: BTreeMap<String, ScoreTotals>, backend: DbBackend) -> Statement {
    use score_total::Column as C;
    let added = |column: C| {
        Expr::col((score_total::Entity, column)).add(Expr::col((Alias::new("excluded"), column)))
    };
    let rows = deltas
        .into_iter()
        .map(|(scope, delta)| score_total::ActiveModel {
            scope: Set(scope),
            companies: Set(delta.companies),
            scored: Set(delta.scored),
            sum: Set(delta.sum),
            sum_of_squares: Set(delta.sum_of_squares),
        });
    score_total::Entity::insert_many(rows)
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
        .build(backend)
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
