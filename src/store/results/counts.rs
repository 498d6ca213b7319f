//! Reading the tallies: per-value and per-group counts summed over the campaigns of a
//! questionnaire (by period) or over one campaign (all periods). The rows read are as many
//! as the distinct counts, whatever the number of responses. Each read settles the backlog
//! first (`backlog::settle`): it counts every response committed before it.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult};
use uuid::Uuid;

use super::backlog::settle;
use crate::domain::QuestionnaireCode;
use crate::domain::results::{GroupCount, ValueCount};
use crate::entities::{answer_tally, campaign, group_tally};
use crate::store::StoreError;

/// Which tallies to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every campaign of a questionnaire, one set of counts per period (3.x, 4 by year).
    PerPeriod(QuestionnaireCode),
    /// One campaign, its periods summed (a wave, a campaign page).
    Campaign(Uuid),
}

/// `CAST(SUM(col) AS BIGINT)`: PostgreSQL sums bigints into numerics.
pub(super) fn sum(column: impl sea_orm::sea_query::IntoColumnRef) -> Expr {
    Func::cast_as(Func::sum(Expr::col(column)), Alias::new("BIGINT")).into()
}

fn scoped(query: &mut SelectStatement, scope: Scope, campaign_col: Expr, period: Expr) {
    match scope {
        Scope::PerPeriod(code) => {
            query
                .expr_as(period.clone(), Alias::new("period"))
                .inner_join(
                    campaign::Entity,
                    Expr::col((campaign::Entity, campaign::Column::Id)).eq(campaign_col.clone()),
                )
                .and_where(
                    Expr::col((campaign::Entity, campaign::Column::QuestionnaireCode))
                        .eq(code.as_str()),
                )
                .add_group_by([period]);
        }
        Scope::Campaign(id) => {
            query
                .expr_as(Expr::val(0), Alias::new("period"))
                .and_where(campaign_col.eq(id));
        }
    }
}

pub(super) fn count(row: &QueryResult, column: &str) -> Result<u64, StoreError> {
    let n: Option<i64> = row.try_get("", column)?;
    Ok(non_negative(n.unwrap_or(0)))
}

/// A stored count as the results read it: a negative sum counts as none.
pub(super) fn non_negative(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Per-value counts in `scope`.
pub async fn value_counts(
    db: &DatabaseConnection,
    scope: Scope,
) -> Result<Vec<ValueCount>, StoreError> {
    settle(db).await?;
    use answer_tally::Column as C;
    let t = answer_tally::Entity;
    let mut query = Query::select();
    query
        .from(t)
        .column((t, C::VersionId))
        .column((t, C::QuestionId))
        .column((t, C::Value))
        .expr_as(sum((t, C::Count)), Alias::new("n"))
        .group_by_col((t, C::VersionId))
        .group_by_col((t, C::QuestionId))
        .group_by_col((t, C::Value));
    scoped(
        &mut query,
        scope,
        Expr::col((t, C::CampaignId)),
        Expr::col((t, C::Period)),
    );
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| {
            Ok(ValueCount {
                period: row.try_get("", "period")?,
                version: row.try_get("", "version_id")?,
                question: row.try_get("", "question_id")?,
                value: row.try_get("", "value")?,
                count: count(row, "n")?,
            })
        })
        .collect()
}

/// Per-group counts in `scope`, of one dimension or of all.
/// Which dimensions of the group tallies to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimensions<'a> {
    All,
    Only(&'a str),
    /// All but one: the companies of 3.1, as many rows as companies, read by page instead.
    Except(&'a str),
}

pub async fn group_counts(
    db: &DatabaseConnection,
    scope: Scope,
    dimensions: Dimensions<'_>,
) -> Result<Vec<GroupCount>, StoreError> {
    settle(db).await?;
    use group_tally::Column as C;
    let t = group_tally::Entity;
    let mut query = Query::select();
    query
        .from(t)
        .column((t, C::Dimension))
        .column((t, C::GroupValue))
        .column((t, C::QuestionId))
        .expr_as(sum((t, C::Favorable)), Alias::new("favorable"))
        .expr_as(sum((t, C::Total)), Alias::new("total"))
        .group_by_col((t, C::Dimension))
        .group_by_col((t, C::GroupValue))
        .group_by_col((t, C::QuestionId));
    match (dimensions, scope) {
        (Dimensions::All, _) => {}
        (Dimensions::Only(dimension), _) => {
            query.and_where(Expr::col((t, C::Dimension)).eq(dimension));
        }
        // `!=` would read every row of the campaign, companies included: list the others.
        (Dimensions::Except(dimension), Scope::Campaign(id)) => {
            let others: Vec<String> = dimensions_of(db, id)
                .await?
                .into_iter()
                .filter(|d| d != dimension)
                .collect();
            query.and_where(Expr::col((t, C::Dimension)).is_in(others));
        }
        (Dimensions::Except(dimension), Scope::PerPeriod(_)) => {
            query.and_where(Expr::col((t, C::Dimension)).ne(dimension));
        }
    }
    scoped(
        &mut query,
        scope,
        Expr::col((t, C::CampaignId)),
        Expr::col((t, C::Period)),
    );
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| {
            Ok(GroupCount {
                period: row.try_get("", "period")?,
                dimension: row.try_get("", "dimension")?,
                group: row.try_get("", "group_value")?,
                question: row.try_get("", "question_id")?,
                favorable: count(row, "favorable")?,
                total: count(row, "total")?,
            })
        })
        .collect()
}

/// The versions answered in `scope`, to load their definitions before reading the counts.
pub fn versions_in(counts: &[ValueCount]) -> Vec<String> {
    let mut ids: Vec<String> = counts.iter().map(|c| c.version.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The dimensions a campaign's group tallies have, each found by one index seek (a recursive
/// "next dimension after this one" query), however many rows each holds.
pub async fn dimensions_of(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> Result<Vec<String>, StoreError> {
    let backend = db.get_database_backend();
    let p = match backend {
        sea_orm::DbBackend::Postgres => "$1",
        _ => "?1",
    };
    let sql = format!(
        "WITH RECURSIVE dims(dimension) AS ( \
           SELECT MIN(dimension) FROM group_tallies WHERE campaign_id = {p} \
           UNION ALL \
           SELECT (SELECT MIN(g.dimension) FROM group_tallies g \
                   WHERE g.campaign_id = {p} AND g.dimension > dims.dimension) \
           FROM dims WHERE dims.dimension IS NOT NULL \
         ) SELECT dimension FROM dims WHERE dimension IS NOT NULL"
    );
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [campaign_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<String>("", "dimension")?))
        .collect()
}
