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
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, Statement,
};
use uuid::Uuid;

use super::backlog::settle;
use super::counts::{count, non_negative, sum};
use crate::domain::QuestionnaireCode;
use crate::domain::indicators::{CompanyState, ScoreTotals, company_score};
use crate::domain::results::tally::RESPONDENTS;
use crate::entities::{campaign, company_score as score_row, group_tally, score_total};
use crate::store::StoreError;
use crate::store::batch::{execute_all, owned_chunks};

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
/// scope's sums by the difference. One read (the companies' counts and their stored scores)
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
        for row in counts_and_stored(db, group).await? {
            match row {
                Read::Counts { company, questions } => {
                    let Some(entry) = after.get_mut(&company) else {
                        continue;
                    };
                    for (question, favorable, total) in questions {
                        if question == RESPONDENTS {
                            entry.0 = total;
                        } else {
                            entry.1.push((favorable, total));
                        }
                    }
                }
                Read::Stored { company, state } => {
                    before.insert(company, state);
                }
            }
        }
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
    for chunk in owned_chunks(upserts, CHUNK) {
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

/// A row of [`counts_and_stored`].
enum Read {
    /// A company's `(question, favorable, total)` counts, summed over the scope's campaigns
    /// and periods.
    Counts {
        company: ScopedCompany,
        questions: Vec<(String, u64, u64)>,
    },
    /// A company's score as stored before this transaction refreshes it.
    Stored {
        company: ScopedCompany,
        state: CompanyState,
    },
}

/// The counts of every company of `chunks` and the scores stored for them, in one statement
/// (one round trip): a union of one select of the group tallies per chunk and one select of
/// the stored scores, in the same columns, one row a company. A company's counts come as
/// one JSON array: a row per question, as before, was ten times the rows, and reading them
/// was most of the time the writer spent refreshing scores.
async fn counts_and_stored(
    db: &impl ConnectionTrait,
    chunks: &[ScopeChunk<'_>],
) -> Result<Vec<Read>, StoreError> {
    let backend = db.get_database_backend();
    let mut query = stored_of_chunks(chunks);
    for chunk in chunks {
        query.union(UnionType::All, counts_of_chunk(chunk, backend));
    }
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| {
            let company = (row.try_get("", "scope")?, row.try_get("", "company")?);
            let counts: Option<String> = row.try_get("", "counts")?;
            Ok(match counts {
                Some(counts) => Read::Counts {
                    company,
                    questions: question_counts(&counts)?,
                },
                None => Read::Stored {
                    company,
                    state: CompanyState {
                        respondents: count(row, "total")?,
                        score: row.try_get("", "score")?,
                    },
                },
            })
        })
        .collect()
}

/// A company's `[question, favorable, total]` arrays, each count read as a column is
/// ([`non_negative`]).
fn question_counts(json: &str) -> Result<Vec<(String, u64, u64)>, StoreError> {
    let counts: Vec<(String, i64, i64)> = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("counts of a company's questions: {e}")))?;
    Ok(counts
        .into_iter()
        .map(|(question, favorable, total)| {
            (question, non_negative(favorable), non_negative(total))
        })
        .collect())
}

/// `CAST(expression AS type)`: every branch of the union names its columns' types, which
/// PostgreSQL needs for the literals and nulls.
fn typed(expression: Expr, sql_type: &str) -> Expr {
    Func::cast_as(expression, Alias::new(sql_type)).into()
}

/// The union's columns: scope, company, counts (a JSON array of `[question, favorable,
/// total]`), total, score.
fn counts_of_chunk(chunk: &ScopeChunk, backend: DbBackend) -> SelectStatement {
    use group_tally::Column as C;
    let t = group_tally::Entity;
    let mut per_question = Query::select();
    per_question
        .from(t)
        .expr_as(Expr::col((t, C::GroupValue)), Alias::new("company"))
        .expr_as(Expr::col((t, C::QuestionId)), Alias::new("question"))
        .expr_as(sum((t, C::Favorable)), Alias::new("favorable"))
        .expr_as(sum((t, C::Total)), Alias::new("total"))
        .and_where(Expr::col((t, C::Dimension)).eq(COMPANY))
        .and_where(Expr::col((t, C::GroupValue)).is_in(chunk.companies.iter().copied()))
        .group_by_col((t, C::GroupValue))
        .group_by_col((t, C::QuestionId));
    match chunk.scope {
        ScoreScope::Campaign(id) => {
            per_question.and_where(Expr::col((t, C::CampaignId)).eq(*id));
        }
        ScoreScope::Year(code, period) => {
            per_question
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
    let q = Alias::new("q");
    let (array, aggregate) = match backend {
        DbBackend::Postgres => ("json_build_array", "json_agg"),
        _ => ("json_array", "json_group_array"),
    };
    let row = Func::cust(Alias::new(array)).args([
        Expr::col((q.clone(), Alias::new("question"))),
        Expr::col((q.clone(), Alias::new("favorable"))),
        Expr::col((q.clone(), Alias::new("total"))),
    ]);
    let counts = Func::cust(Alias::new(aggregate)).arg(row);
    Query::select()
        .from_subquery(per_question, q.clone())
        .expr_as(
            typed(Expr::val(chunk.key.as_str()), "TEXT"),
            Alias::new("scope"),
        )
        .expr_as(
            Expr::col((q.clone(), Alias::new("company"))),
            Alias::new("company"),
        )
        .expr_as(typed(counts.into(), "TEXT"), Alias::new("counts"))
        .expr_as(typed(Expr::val(0), "BIGINT"), Alias::new("total"))
        .expr_as(
            typed(Expr::val(Option::<f64>::None), "DOUBLE PRECISION"),
            Alias::new("score"),
        )
        .group_by_col((q, Alias::new("company")))
        .to_owned()
}

/// The stored scores of the companies of `chunks`, in the union's columns (respondents in
/// `total`, no counts).
fn stored_of_chunks(chunks: &[ScopeChunk<'_>]) -> SelectStatement {
    use score_row::Column as C;
    let t = score_row::Entity;
    let mut any = Condition::any();
    for chunk in chunks {
        any = any.add(
            Condition::all()
                .add(Expr::col((t, C::Scope)).eq(chunk.key.as_str()))
                .add(Expr::col((t, C::Company)).is_in(chunk.companies.iter().copied())),
        );
    }
    Query::select()
        .from(t)
        .expr_as(typed(Expr::col((t, C::Scope)), "TEXT"), Alias::new("scope"))
        .expr_as(Expr::col((t, C::Company)), Alias::new("company"))
        .expr_as(
            typed(Expr::val(Option::<String>::None), "TEXT"),
            Alias::new("counts"),
        )
        .expr_as(
            typed(Expr::col((t, C::Respondents)), "BIGINT"),
            Alias::new("total"),
        )
        .expr_as(
            typed(Expr::col((t, C::Score)), "DOUBLE PRECISION"),
            Alias::new("score"),
        )
        .cond_where(any)
        .to_owned()
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
    db: &DatabaseConnection,
    scope: &ScoreScope,
) -> Result<ScoreTotals, StoreError> {
    settle(db).await?;
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
    db: &DatabaseConnection,
    scope: &ScoreScope,
    offset: u64,
    limit: u64,
) -> Result<Vec<(String, u64, Option<f64>)>, StoreError> {
    settle(db).await?;
    Ok(score_row::Entity::find()
        .filter(score_row::Column::Scope.eq(scope.key()))
        .order_by_asc(score_row::Column::Company)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let respondents = non_negative(row.respondents);
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

#[cfg(test)]
mod tests {
    use super::question_counts;
    use crate::store::StoreError;

    #[test]
    fn a_company_s_counts_are_read_from_the_database_s_json_array() {
        // The respondents' row is the question without a name (`RESPONDENTS`).
        let counts = question_counts(r#"[["q1", 3, 5], ["", 0, 5]]"#).unwrap();
        assert_eq!(counts, [("q1".to_owned(), 3, 5), (String::new(), 0, 5)]);
        assert_eq!(question_counts("[]").unwrap(), []);
    }

    #[test]
    fn a_negative_sum_counts_as_none_as_in_every_read_of_the_tallies() {
        assert_eq!(
            question_counts(r#"[["q1", -1, 4]]"#).unwrap(),
            [("q1".to_owned(), 0, 4)]
        );
    }

    #[test]
    fn anything_but_an_array_of_counts_is_a_corrupt_store() {
        for json in [
            "",
            "{}",
            r#"[["q1", 3]]"#,
            r#"[["q1", "3", 5]]"#,
            "[[1, 2, 3]]",
        ] {
            assert!(
                matches!(question_counts(json), Err(StoreError::Corrupt(_))),
                "{json}"
            );
        }
    }
}
